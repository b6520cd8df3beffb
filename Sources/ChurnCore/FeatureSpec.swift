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
/// count_T_Wd  sum_T_Wd  mean_T_Wd  days_since_last_T  rising_months_T
/// streak_T (types whose name shares its first word with another type's: upsell_declined, upsell_accepted)
/// pct_change_sum_T_90d (purchase types with values)  pct_change_count_T_30d
/// <attribute columns of the customer table, as they are>
/// btyd_p_alive  btyd_expected_purchases (only with the btyd family, which is off by default)
/// ```
///
/// Version 2 added the families `pct_change_sum`, `rising_months` and `streak`; a version 1
/// spec (a model trained before them) makes none of them, so it still makes exactly its
/// columns, and is written back as it was read.
public struct FeatureSpec: Sendable, Equatable, Codable {
  public static let currentVersion = 2
  /// The families each version added after version 1, left out when an older spec is read.
  static let familiesAddedInVersion2 = ["pct_change_sum", "rising_months", "streak"]
  /// `rising_months_T` compares the counts of this many 30-day periods, so it is at most one less.
  public static let risingPeriods = 7
  /// `streak_T` counts at most this many events (this value means this many or more).
  public static let streakCap = 8

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
  /// `pct_change_sum`, `rising_months`, `streak`, `days_since_last_event`, `tenure`,
  /// `active_days`, `mean_gap`, `rfm`.
  public var excludedFamilies: [String]
  /// The `btyd` family, off by default (nil) and turned on by `--features btyd`: a BG/NBD model
  /// of repeat purchasing fitted at each cutoff on the purchases before it, and each customer's
  /// P(alive) and expected purchases from it. Absent from the JSON of a spec without it, so
  /// every other spec reads and writes as before.
  public var btyd: BTYDFamily?

  /// The settings of the `btyd` family: its columns are `btyd_p_alive` and
  /// `btyd_expected_purchases`, over `horizonDays` days after the cutoff. Its purchases are the
  /// events of `purchaseTypes` (all events when that is empty), as for RFM.
  public struct BTYDFamily: Sendable, Equatable, Codable {
    /// The span of `btyd_expected_purchases`, in days (1...36500): the label horizon, a month counted as 30 days.
    public var horizonDays: Int

    public init(horizonDays: Int) {
      self.horizonDays = horizonDays
    }
  }

  /// Families that are off by default, which `--features` names to add: `btyd`.
  public static let optionalFamilyNames: [String] = ["btyd"]

  public static let familyNames: Set<String> = [
    "count", "sum", "mean", "days_since_last", "pct_change", "pct_change_sum", "rising_months", "streak",
    "days_since_last_event", "tenure", "active_days", "mean_gap", "rfm",
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

  /// Whether the spec computes `family`: not excluded, and known to the spec's version (a
  /// version 1 spec, from a model trained before version 2's families, makes none of them).
  public func includes(_ family: String) -> Bool {
    if family == "btyd" { return btyd != nil }
    return !excludedFamilies.contains(family) && !(version < 2 && Self.familiesAddedInVersion2.contains(family))
  }

  /// The group of an event type for `streak_T`: the first word of its token, before the first
  /// underscore (`upsell` for `upsell_declined`); `nil` for a one-word token (`login`) or a
  /// name with no ASCII letter or digit (its token is made of hex).
  public static func streakGroup(of name: String) -> String? {
    guard name.unicodeScalars.contains(where: { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }),
          let token = try? token(for: name), let underscore = token.firstIndex(of: "_") else { return nil }
    return String(token[..<underscore])
  }

  /// The other event types of the spec in `type`'s streak group (empty when it has none or
  /// the `streak` family is excluded): `streak_T` counts T's events since the latest of theirs.
  public func streakSiblings(of type: EventType) -> [EventType] {
    guard includes("streak"), let group = Self.streakGroup(of: type.name) else { return [] }
    return eventTypes.filter { $0.name != type.name && Self.streakGroup(of: $0.name) == group }
  }

  /// Whether `type` has `pct_change_sum_T_90d`: a purchase type that carries values.
  public func hasQuarterChange(_ type: EventType) -> Bool {
    includes("pct_change_sum") && type.valued && purchaseTypes.contains(type.name)
  }

  /// Checks windows, names and families; says what is wrong.
  public func validate() throws {
    guard (1...Self.currentVersion).contains(version) else { throw FeatureSpecError.badSpec("version \(version); this churn reads versions 1 to \(Self.currentVersion)") }
    guard !windows.isEmpty, windows.allSatisfy({ $0 >= 1 && $0 <= 3660 }), windows == Array(Set(windows)).sorted() else {
      throw FeatureSpecError.badSpec("windows \(windows); expected distinct ascending day counts in 1...3660")
    }
    guard leadDays >= 0 && leadDays <= 3660 else { throw FeatureSpecError.badSpec("leadDays \(leadDays); expected 0...3660") }
    guard windows.contains(rfmWindowDays) else {
      throw FeatureSpecError.badSpec("rfmWindowDays \(rfmWindowDays) is not one of the windows \(windows)")
    }
    if let btyd, !(1...36_500).contains(btyd.horizonDays) {
      throw FeatureSpecError.badSpec("btyd horizonDays \(btyd.horizonDays); expected 1...36500")
    }
    for family in excludedFamilies where !Self.familyNames.contains(family) {
      throw FeatureSpecError.badSpec("unknown family \"\(family)\"; expected one of \(Self.familyNames.sorted().joined(separator: ", "))")
    }
    var tokens: [String: String] = [:]
    for type in eventTypes {
      let base = try Self.token(for: type.name)
      guard type.token == base || Self.isNumbered(type.token, base: base) else {
        throw FeatureSpecError.badSpec("event type \"\(type.name)\" has token \"\(type.token)\"; expected \"\(base)\" (or \(base)_2, \(base)_3, ...)")
      }
      if let other = tokens[type.token] {
        throw FeatureSpecError.featureNameCollision(first: other, second: type.name, name: type.token)
      }
      tokens[type.token] = type.name
    }
    var seen: [String: ColumnSource] = [:]
    for (name, source) in columnSources() {
      if let first = seen[name.lowercased()] {
        throw FeatureSpecError.duplicateColumn(name: name, first: first, second: source)
      }
      seen[name.lowercased()] = source
    }
  }

  /// Whether `token` is `base_k` for a whole number k ≥ 2 (a token renamed to avoid a collision).
  static func isNumbered(_ token: String, base: String) -> Bool {
    guard token.hasPrefix(base + "_") else { return false }
    let suffix = token.dropFirst(base.count + 1)
    guard !suffix.isEmpty, suffix.count <= 6, suffix.allSatisfy({ $0.isASCII && $0.isNumber }), let k = Int(suffix) else { return false }
    return k >= 2 && String(k) == suffix
  }

  /// Column names a features file holds besides the features: the customer id, the cutoff and the label.
  public static let reservedColumns = ["customer_id", "cutoff", "label"]

  /// Where a column of the features file comes from, to name both sides of a collision.
  public enum ColumnSource: Sendable, Equatable, CustomStringConvertible {
    /// `customer_id`, `cutoff` or `label`.
    case reserved(String)
    case builtIn(String)
    case eventType(name: String, feature: String)
    case attribute(String)

    public var description: String {
      switch self {
      case .reserved(let name): return "the features file's \(name) column"
      case .builtIn(let name): return "the built-in feature \(name)"
      case .eventType(let name, let feature): return "event type \"\(name)\" (its feature \(feature))"
      case .attribute(let name): return "customer table column \"\(name)\""
      }
    }
  }

  /// The built-in feature names of this spec, in column order (before event types and attributes).
  public func builtInNames() -> [String] {
    var names: [String] = []
    let r = rfmWindowDays
    if includes("days_since_last_event") { names.append("days_since_last_event") }
    if includes("tenure") { names.append("tenure_days") }
    if includes("active_days") { names += windows.map { "active_days_\($0)d" } }
    if includes("mean_gap") { names.append("mean_gap_days_\(r)d") }
    if includes("rfm") { names += ["recency_days", "frequency_\(r)d", "monetary_\(r)d", "r_score", "f_score", "m_score", "rfm_segment"] }
    return names
  }

  /// The names of the features fitted at each cutoff (the `btyd` family), in column order:
  /// they come after the customer table's attributes.
  public func fittedNames() -> [String] {
    includes("btyd") ? ["btyd_p_alive", "btyd_expected_purchases"] : []
  }

  /// The feature names of one event type, in column order.
  public func names(of type: EventType) -> [String] {
    names(token: type.token, of: type)
  }

  /// The feature names `type` would have with the token `t`.
  func names(token t: String, of type: EventType) -> [String] {
    var names: [String] = []
    if includes("count") { names += windows.map { "count_\(t)_\($0)d" } }
    if type.valued && includes("sum") { names += windows.map { "sum_\(t)_\($0)d" } }
    if type.valued && includes("mean") { names += windows.map { "mean_\(t)_\($0)d" } }
    if includes("days_since_last") { names.append("days_since_last_\(t)") }
    if includes("rising_months") { names.append("rising_months_\(t)") }
    if !streakSiblings(of: type).isEmpty { names.append("streak_\(t)") }
    if hasQuarterChange(type) { names.append("pct_change_sum_\(t)_90d") }
    if includes("pct_change") { names.append("pct_change_count_\(t)_30d") }
    return names
  }

  /// Every column of a features file built with this spec and where it comes from: the
  /// reserved columns, the built-in features, each event type's, each attribute, the fitted features.
  public func columnSources() -> [(name: String, source: ColumnSource)] {
    var out = Self.reservedColumns.map { ($0, ColumnSource.reserved($0)) }
    out += builtInNames().map { ($0, .builtIn($0)) }
    for type in eventTypes { out += names(of: type).map { ($0, .eventType(name: type.name, feature: $0)) } }
    out += attributes.map { ($0.name, .attribute($0.name)) }
    out += fittedNames().map { ($0, .builtIn($0)) }
    return out
  }

  /// Gives each event type whose features would repeat a column already taken (a reserved
  /// column, a built-in feature, a customer-table column, or a feature of an earlier event
  /// type; case ignored) the first free token `TOKEN_2`, `TOKEN_3`, ..., so that any event
  /// log makes distinct column names without renaming its types. Returns a note per renamed type.
  ///
  /// For example an event type named `event` would make `days_since_last_event`, a built-in:
  /// its features become `count_event_2_7d`, ..., `days_since_last_event_2`.
  public mutating func renameCollidingTokens() -> [String] {
    var taken = Set((Self.reservedColumns + builtInNames() + attributes.map(\.name)).map { $0.lowercased() })
    var takenTokens = Set<String>()
    var notes: [String] = []
    for k in eventTypes.indices {
      let type = eventTypes[k]
      var token = type.token
      var suffix = 1
      func clash(_ t: String) -> String? {
        takenTokens.contains(t) ? t : names(token: t, of: type).first { taken.contains($0.lowercased()) }
      }
      let firstClash = clash(token)
      while clash(token) != nil {
        suffix += 1
        token = "\(type.token)_\(suffix)"
      }
      if let firstClash {
        let example = names(token: token, of: type).last ?? token
        notes.append("event type \"\(type.name)\" would repeat the name \(firstClash); its features are named with \(token) instead (for example \(example))")
        eventTypes[k].token = token
      }
      for name in names(token: token, of: type) { taken.insert(name.lowercased()) }
      takenTokens.insert(token)
    }
    return notes
  }

  /// The feature-name token of an event type: lowercased, every run of characters other than
  /// ASCII letters and digits replaced by one underscore, underscores trimmed
  /// (`"Support Ticket"` → `support_ticket`). A name with no ASCII letter or digit (`"€€"`,
  /// `"???"`) becomes `type_` and the hex of its UTF-8 bytes (`type_e282ace282ac`), so every
  /// event log makes feature names. Distinct names can share a token ("Support Ticket",
  /// "support-ticket"): `renameCollidingTokens()` then numbers the later one.
  ///
  /// - Throws: `FeatureSpecError.badEventTypeName` for an empty name.
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
    if out.isEmpty {
      guard !name.isEmpty else { throw FeatureSpecError.badEventTypeName(name) }
      let hex = name.utf8.prefix(32).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
      return "type_" + hex
    }
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
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
      throw FileError(path: path, action: "read", reason: "it is a directory; expected a feature spec JSON file (from --save-spec)")
    }
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      let missing = !FileManager.default.fileExists(atPath: path)
      throw FileError(path: path, action: "read", reason: (missing ? "no such file" : "permission denied")
        + "; expected a feature spec JSON file (from --save-spec)")
    }
    let spec: FeatureSpec
    do { spec = try JSONDecoder().decode(FeatureSpec.self, from: data) } catch let error as DecodingError {
      guard let field = JSONField.describe(error, data: data) else {
        throw FeatureSpecError.badSpec("\(path) (\(data.count) bytes) is not valid JSON: truncated or corrupt; write it again with --save-spec")
      }
      throw FeatureSpecError.badSpec("\(path): field \(field.name): expected \(field.expected), found \(field.found)")
    }
    try spec.validate()
    return spec
  }
}

/// A feature spec that cannot be used, or an event type that cannot make a feature name.
public enum FeatureSpecError: Error, Equatable, CustomStringConvertible {
  case badEventTypeName(String)
  case featureNameCollision(first: String, second: String, name: String)
  case duplicateColumn(name: String, first: FeatureSpec.ColumnSource, second: FeatureSpec.ColumnSource)
  case badSpec(String)

  public var description: String {
    switch self {
    case .badEventTypeName(let name):
      return "event type \"\(name)\" cannot make a feature name (it is empty); give the event a type in the log"
    case .featureNameCollision(let first, let second, let name):
      return "invalid feature spec: event types \"\(first)\" and \"\(second)\" both have the token \"\(name)\"; give one the token \(name)_2"
    case .duplicateColumn(let name, let first, let second):
      let fix: String
      switch (first, second) {
      case (_, .attribute(let column)), (.attribute(let column), _):
        fix = "rename the column in the customer table, or leave it out with --exclude \(column)"
      case (_, .eventType(let type, _)):
        fix = "give event type \"\(type)\" a numbered token in the spec (such as \((try? FeatureSpec.token(for: type)) ?? "TOKEN")_2)"
      default: fix = "fix the spec"
      }
      return "two columns would be named \"\(name)\": \(first) and \(second); \(fix)"
    case .badSpec(let detail): return "invalid feature spec: \(detail)"
    }
  }
}
