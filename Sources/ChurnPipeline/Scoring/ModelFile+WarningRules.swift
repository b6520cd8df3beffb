import ChurnCore
import ChurnModels
import ChurnScoring

extension ModelFile {
  /// The model with `rules` stored in it (`churn train --rules`), so that scoring applies them
  /// without a flag; nil removes stored rules.
  ///
  /// - Throws: `WarningRulesError` for a rule naming a column the model's inputs lack, or of the
  ///   other kind: a rules file that could never score is refused when the model is made.
  public func carrying(_ rules: WarningRules?) throws -> ModelFile {
    var model = self
    guard let rules else {
      model.warningRules = nil
      return model
    }
    try rules.check(columns: preprocessor.inputNames, numeric: preprocessor.inputKinds)
    model.warningRules = rules.rules.map { StoredWarningRule(name: $0.name, severity: $0.severity.rawValue, condition: $0.text) }
    return model
  }

  /// The rules stored in the model, parsed; nil when it stores none.
  ///
  /// - Parameter path: where the model came from, named in errors ("model file PATH").
  /// - Throws: `WarningRulesError` for a stored rule that does not parse (an edited file).
  public func storedRules(path: String) throws -> WarningRules? {
    guard let stored = warningRules, !stored.isEmpty else { return nil }
    return try WarningRules(records: stored.map { ($0.name, $0.severity, $0.condition) }, source: "model file \(path)")
  }
}
