import Foundation

/// Which features to compute: families, windows, event types and customer attributes.
///
/// Saved as JSON with every model, so that scoring next week recomputes exactly the same
/// columns. The default spec derives from the data: every event type in the log, windows of
/// 7, 30 and 90 days, every attribute of the customer table.
///
/// Feature names (part of the interface; W = each window, R = `rfmWindowDays`, T = event type):
/// ```
/// days_since_last_event  tenure_days  active_days_Wd  mean_gap_days_Rd
/// recency_days  frequency_Rd  monetary_Rd  r_score  f_score  m_score  rfm_segment
/// count_T_Wd  sum_T_Wd  mean_T_Wd  days_since_last_T  pct_change_count_T_30d
/// <attribute columns of the customer table, as they are>
/// ```
public struct FeatureSpec: Sendable, Equatable, Codable {
  public static let currentVersion = 1

  /// One event type: its name in the log and the token used in feature names.
  public struct EventType: Sendable, Equatable, Codable {
    public var name: String
    public var token: String
    /// Whether `sum_T_Wd` and `mean_T_Wd` are computed (the type carries values).
    public var valued: Bool

    public init(name: String, token: String, valued: Bool) {
      self.name = name
      self.token = token
      self.valued = valued
    }
  }

  /// One attribute column of the customer table.
  public struct Attribute: Sendable, Equatable, Codable {
    public var name: String
    public var kind: TypedCSV.Kind

    public init(name: String, kind: TypedCSV.Kind) {
      self.name = name
      self.kind = kind
    }
  }

  public var version = FeatureSpec.currentVersion
  /// Window lengths in days, ascending.
  public var windows: [Int]
  /// Features end this many days before the cutoff (for teams who need time to act).
  public var leadDays: Int
  public var eventTypes: [EventType]
  /// Event types whose counts, dates and values make the RFM recency, frequency and monetary
  /// features; empty = all events (monetary then missing).
  public var purchaseTypes: [String]
  public var rfmWindowDays: Int
  public var attributes: [Attribute]
  /// Families left out, by name: `count`, `sum`, `mean`, `days_since_last`, `pct_change`,
  /// `days_since_last_event`, `tenure`, `active_days`, `mean_gap`, `rfm`.
  public var excludedFamilies: [String]

  public static let familyNames: Set<String> = [
    "count", "sum", "mean", "days_since_last", "pct_change", "days_since_last_event", "tenure", "active_days", "mean_gap", "rfm",
  ]
  /// Event type names recognized as purchases when no purchase types are given.
  public static let defaultPurchaseNames: Set<String> = [
    "purchase", "purchases", "order", "orders", "transaction", "transactions", "sale", "sales",
  ]

  public init(windows: [Int] = [7, 30, 90], leadDays: Int = 0, eventTypes: [EventType], purchaseTypes: [String],
              rfmWindowDays: Int = 90, attributes: [Attribute] = [], excludedFamilies: [String] = []) {
    self.windows = windows
    self.leadDays = leadDays
    self.eventTypes = eventTypes
    self.purchaseTypes = purchaseTypes
    self.rfmWindowDays = rfmWindowDays
    self.attributes = attributes
    self.excludedFamilies = excludedFamilies
  }

  public func includes(_ family: String) -> Bool { !excludedFamilies.contains(family) }

  /// Checks windows, names and families; says what is wrong.
  public func validate() throws {
    guard version == Self.currentVersion else { throw FeatureSpecError.badSpec("version \(version); this churn reads version \(Self.currentVersion)") }
    guard !windows.isEmpty, windows.allSatisfy({ $0 >= 1 && $0 <= 3660 }), windows == Array(Set(windows)).sorted() else {
      throw FeatureSpecError.badSpec("windows \(windows); expected distinct ascending day counts in 1...3660")
    }
    guard leadDays >= 0 && leadDays <= 3660 else { throw FeatureSpecError.badSpec("leadDays \(leadDays); expected 0...3660") }
    guard windows.contains(rfmWindowDays) else {
      throw FeatureSpecError.badSpec("rfmWindowDays \(rfmWindowDays) is not one of the windows \(windows)")
    }
    for family in excludedFamilies where !Self.familyNames.contains(family) {
      throw FeatureSpecError.badSpec("unknown family \"\(family)\"; expected one of \(Self.familyNames.sorted().joined(separator: ", "))")
    }
    var tokens: [String: String] = [:]
    for type in eventTypes {
      guard type.token == (try Self.token(for: type.name)) else {
        throw FeatureSpecError.badSpec("event type \"\(type.name)\" has token \"\(type.token)\"; expected \"\(try Self.token(for: type.name))\"")
      }
      if let other = tokens[type.token] {
        throw FeatureSpecError.featureNameCollision(first: other, second: type.name, name: type.token)
      }
      tokens[type.token] = type.name
    }
  }

  /// The feature-name token of an event type: lowercased, every run of characters other than
  /// ASCII letters and digits replaced by one underscore, underscores trimmed
  /// (`"Support Ticket"` → `support_ticket`).
  ///
  /// - Throws: `FeatureSpecError.badEventTypeName` when nothing is left.
  public static func token(for name: String) throws -> String {
    var out = ""
    var pendingUnderscore = false
    for scalar in name.lowercased().unicodeScalars {
      if (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") {
        if pendingUnderscore && !out.isEmpty { out.append("_") }
        pendingUnderscore = false
        out.unicodeScalars.append(scalar)
      } else {
        pendingUnderscore = true
      }
    }
    guard !out.isEmpty else { throw FeatureSpecError.badEventTypeName(name) }
    return out
  }

  // MARK: JSON

  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }

  /// Reads and validates a spec file.
  public static func read(path: String) throws -> FeatureSpec {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw FileError(path: path, action: "read", reason: "no such file or not readable")
    }
    let spec: FeatureSpec
    do { spec = try JSONDecoder().decode(FeatureSpec.self, from: data) } catch {
      throw FeatureSpecError.badSpec("\(path) is not a feature spec: \(error)")
    }
    try spec.validate()
    return spec
  }
}

/// A feature spec that cannot be used, or an event type that cannot make a feature name.
public enum FeatureSpecError: Error, Equatable, CustomStringConvertible {
  case badEventTypeName(String)
  case featureNameCollision(first: String, second: String, name: String)
  case badSpec(String)

  public var description: String {
    switch self {
    case .badEventTypeName(let name):
      return "event type \"\(name)\" cannot make a feature name (it has no letters or digits); rename it in the log"
    case .featureNameCollision(let first, let second, let name):
      return "event types \"\(first)\" and \"\(second)\" both make the feature name \"\(name)\"; rename one in the log"
    case .badSpec(let detail): return "invalid feature spec: \(detail)"
    }
  }
}
