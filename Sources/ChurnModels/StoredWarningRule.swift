/// A warning rule as a model file stores it: its name, severity and condition as written
/// (parsed and checked by `WarningRules` in ChurnScoring when the model scores).
public struct StoredWarningRule: Sendable, Equatable, Codable {
  public var name: String
  /// "red" or "yellow".
  public var severity: String
  public var condition: String

  public init(name: String, severity: String, condition: String) {
    self.name = name
    self.severity = severity
    self.condition = condition
  }
}
