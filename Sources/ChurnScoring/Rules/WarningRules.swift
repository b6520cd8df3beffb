import ChurnCore

/// How serious a warning rule is: the users' red / yellow grading (green is no warning).
public enum WarningSeverity: String, Sendable, Codable {
  case red
  case yellow
}

/// One warning rule: a name, a severity and a condition on feature columns.
public struct WarningRule: Sendable, Equatable {
  public var name: String
  public var severity: WarningSeverity
  public var condition: RuleCondition
  /// The condition as written.
  public var text: String
  /// The line of the rules file it came from (nil for a rule made in code).
  public var line: Int?

  /// A rule from its condition's text.
  ///
  /// - Throws: `WarningRulesError.syntax` for a condition that does not parse.
  public init(name: String, severity: WarningSeverity, condition text: String) throws {
    try self.init(name: name, severity: severity, text: text, place: RulePlace(path: nil, line: nil, rule: name))
  }

  init(name: String, severity: WarningSeverity, text: String, place: RulePlace) throws {
    self.name = name
    self.severity = severity
    self.text = text
    line = place.line
    do {
      condition = try RuleParser.parse(text)
    } catch let e as RuleSyntaxError {
      throw WarningRulesError.syntax(place, position: e.position, found: e.found, expected: e.expected, condition: text)
    }
  }
}

/// Where a rule is, for error messages: its file and line when it came from a file.
public struct RulePlace: Sendable, Equatable {
  public var path: String?
  public var line: Int?
  public var rule: String?

  public init(path: String?, line: Int?, rule: String?) {
    self.path = path
    self.line = line
    self.rule = rule
  }

  /// `rules.csv line 3 (rule "complaints")`, `rules.csv line 3` or `rule "complaints"`.
  var text: String {
    var parts: [String] = []
    if let path { parts.append(line.map { "\(path) line \($0)" } ?? path) }
    if let rule { parts.append(parts.isEmpty ? "rule \"\(MessageText.excerpt(rule))\"" : "(rule \"\(MessageText.excerpt(rule))\")") }
    return parts.joined(separator: " ")
  }
}

/// A team's warning rules, read from a CSV file with the header `name,severity,condition`:
///
/// ```
/// name,severity,condition
/// two complaints,red,count_complaint_90d >= 2
/// logins halved,yellow,pct_change_count_login_30d <= -0.5 and count_login_30d < 10
/// "late, small",red,"mean_payment_30d > 15 and size == ""small"""
/// ```
///
/// Fields follow RFC 4180 (a field with a comma or a quote is quoted, a quote inside doubled);
/// spaces around a field are dropped; blank lines are skipped. Severity is `red` or `yellow`
/// (any case); names are unique and hold no `;`. A condition is parsed when the file is read; its columns are
/// checked against a feature table by `check(columns:)`.
public struct WarningRules: Sendable, Equatable {
  /// The rules, in file order.
  public var rules: [WarningRule]
  /// The file they came from, if any.
  public var path: String?

  /// Rules made in code.
  ///
  /// - Throws: `WarningRulesError.noRules` for none, `.duplicateName` for a name used twice.
  public init(_ rules: [WarningRule], path: String? = nil) throws {
    guard !rules.isEmpty else { throw WarningRulesError.noRules(path: path ?? "the rules") }
    var seen: [String: Int?] = [:]
    for rule in rules {
      // `;` separates rule names in the ranked list's warnings column.
      if rule.name.contains(";") { throw WarningRulesError.semicolonInName(RulePlace(path: path, line: rule.line, rule: nil), name: rule.name) }
      if let first = seen[rule.name] {
        throw WarningRulesError.duplicateName(RulePlace(path: path, line: rule.line, rule: nil), name: rule.name, firstLine: first)
      }
      seen[rule.name] = rule.line
    }
    self.rules = rules
    self.path = path
  }

  /// The rules of the CSV file at `path`.
  ///
  /// - Throws: `WarningRulesError` for a wrong header, a line without three fields, an empty
  ///   name, an unknown severity, a condition that does not parse, a name used twice, or no
  ///   rule at all; `FileError` and `CSVError` for a file that cannot be read as CSV.
  public static func read(path: String) throws -> WarningRules {
    let reader: CSVReader
    do {
      reader = try CSVReader(path: path, expected: "a header line name,severity,condition and one rule per line")
    } catch CSVError.emptyFile {
      throw WarningRulesError.noRules(path: path)
    }
    guard reader.header.map({ $0.lowercased() }) == ["name", "severity", "condition"] else {
      throw WarningRulesError.badHeader(path: path, header: reader.header.joined(separator: ","))
    }
    // The records first (a rules file is small), then the checks, so that no error is thrown
    // from inside the reader's loop.
    var records: [(line: Int, fields: [String])] = []
    try reader.forEachRecord { record in
      records.append((record.line, (0..<record.count).map { String(decoding: record.trimmedField($0), as: UTF8.self) }))
    }
    var rules: [WarningRule] = []
    for (line, fields) in records {
      if fields.allSatisfy(\.isEmpty) { continue }
      guard fields.count == 3 else { throw WarningRulesError.fieldCount(RulePlace(path: path, line: line, rule: nil), count: fields.count) }
      let place = RulePlace(path: path, line: line, rule: fields[0].isEmpty ? nil : fields[0])
      guard !fields[0].isEmpty else { throw WarningRulesError.emptyName(place) }
      guard let severity = WarningSeverity(rawValue: fields[1].lowercased()) else { throw WarningRulesError.unknownSeverity(place, severity: fields[1]) }
      rules.append(try WarningRule(name: fields[0], severity: severity, text: fields[2], place: place))
    }
    return try WarningRules(rules, path: path)
  }

  /// Rules from (name, severity, condition) texts, such as those a model file stores; errors
  /// name `source` ("model file m.json") as the place.
  ///
  /// - Throws: `WarningRulesError` as `read(path:)` does.
  public init(records: [(name: String, severity: String, condition: String)], source: String) throws {
    var rules: [WarningRule] = []
    for record in records {
      let place = RulePlace(path: source, line: nil, rule: record.name.isEmpty ? nil : record.name)
      guard !record.name.isEmpty else { throw WarningRulesError.emptyName(place) }
      guard let severity = WarningSeverity(rawValue: record.severity.lowercased()) else {
        throw WarningRulesError.unknownSeverity(place, severity: record.severity)
      }
      rules.append(try WarningRule(name: record.name, severity: severity, text: record.condition, place: place))
    }
    try self.init(rules, path: source)
  }

  /// Checks that every column the rules read is a column of `names` of the right kind
  /// (`numeric[i]` says whether `names[i]` holds numbers).
  ///
  /// - Throws: `WarningRulesError.unknownColumn` (with near names), `.categoricalColumn` for a
  ///   number compared with a categorical column, `.numericColumn` for a level compared with a
  ///   numeric one.
  public func check(columns names: [String], numeric: [Bool]) throws {
    precondition(names.count == numeric.count, "\(names.count) column names for \(numeric.count) kinds")
    for rule in rules {
      let place = RulePlace(path: path, line: rule.line, rule: rule.name)
      try Self.check(rule.condition, place: place, text: rule.text, names: names, numeric: numeric)
    }
  }

  /// `check(columns:numeric:)` with the columns of `table`.
  public func check(_ table: FeatureTable) throws {
    try check(columns: table.columnNames, numeric: table.columns.map(\.isNumeric))
  }

  private static func check(_ condition: RuleCondition, place: RulePlace, text: String, names: [String], numeric: [Bool]) throws {
    switch condition {
    case .compare(let column, _, _, let position), .level(let column, _, _, let position):
      guard let c = names.firstIndex(of: column) else {
        throw WarningRulesError.unknownColumn(place, position: position, column: column, near: MessageText.near(column, in: names), condition: text)
      }
      if case .compare = condition, !numeric[c] { throw WarningRulesError.categoricalColumn(place, position: position, column: column, condition: text) }
      if case .level = condition, numeric[c] { throw WarningRulesError.numericColumn(place, position: position, column: column, condition: text) }
    case .not(let c): try check(c, place: place, text: text, names: names, numeric: numeric)
    case .and(let a, let b), .or(let a, let b):
      try check(a, place: place, text: text, names: names, numeric: numeric)
      try check(b, place: place, text: text, names: names, numeric: numeric)
    }
  }

  /// Which rules fire on each row of `table`: `fired[r][i]` is true when rule `r`'s condition
  /// is true on row `i` (never on a missing value, see `RuleCondition`).
  ///
  /// - Throws: as `check(_:)`, before any row is looked at.
  /// - Complexity: O(rows × comparisons).
  public func fired(in table: FeatureTable) throws -> [[Bool]] {
    try check(table)
    return rules.map { $0.condition.truth(in: table).map { $0 == .yes } }
  }
}

/// A rules file or rule that cannot be used: what was found, what was expected, how to fix it.
public enum WarningRulesError: Error, Equatable, CustomStringConvertible {
  /// A condition that does not parse at 1-based character `position`.
  case syntax(RulePlace, position: Int, found: String, expected: String, condition: String)
  /// A column the features do not have, with the nearest names.
  case unknownColumn(RulePlace, position: Int, column: String, near: [String], condition: String)
  /// A number compared with a categorical column.
  case categoricalColumn(RulePlace, position: Int, column: String, condition: String)
  /// A quoted level compared with a numeric column.
  case numericColumn(RulePlace, position: Int, column: String, condition: String)
  case unknownSeverity(RulePlace, severity: String)
  case duplicateName(RulePlace, name: String, firstLine: Int?)
  case emptyName(RulePlace)
  /// A name with a `;`, which separates names in the ranked list's `warnings` column.
  case semicolonInName(RulePlace, name: String)
  case fieldCount(RulePlace, count: Int)
  case badHeader(path: String, header: String)
  /// A file (or list) with no rule.
  case noRules(path: String)

  public var description: String {
    switch self {
    case .syntax(let place, let position, let found, let expected, let condition):
      return "\(place.text), character \(position): expected \(expected), found \(found)" + Self.caret(condition, position)
    case .unknownColumn(let place, let position, let column, let near, let condition):
      let hint = near.isEmpty ? "; columns are those of churn features (run it with --out to see them)" : "; near names: \(near.joined(separator: ", "))"
      return "\(place.text), character \(position): no feature column \"\(MessageText.excerpt(column))\"\(hint)" + Self.caret(condition, position)
    case .categoricalColumn(let place, let position, let column, let condition):
      return "\(place.text), character \(position): column \"\(MessageText.excerpt(column))\" holds categories, not numbers; "
        + "expected a quoted level with == or !=, such as \(RuleParser.quotedColumn(column)) == \"gold\"" + Self.caret(condition, position)
    case .numericColumn(let place, let position, let column, let condition):
      return "\(place.text), character \(position): column \"\(MessageText.excerpt(column))\" holds numbers, not categories; "
        + "expected a number, such as \(RuleParser.quotedColumn(column)) >= 2" + Self.caret(condition, position)
    case .unknownSeverity(let place, let severity):
      return "\(place.text): severity \"\(MessageText.excerpt(severity))\" is not one; expected red or yellow"
    case .duplicateName(let place, let name, let firstLine):
      return "\(place.text): rule name \"\(MessageText.excerpt(name))\" is already used\(firstLine.map { " on line \($0)" } ?? ""); give each rule its own name"
    case .emptyName(let place):
      return "\(place.text): the rule has no name; expected a name in the first field, such as two complaints,red,count_complaint_90d >= 2"
    case .semicolonInName(let place, let name):
      return "\(place.text): rule name \"\(MessageText.excerpt(name))\" holds a ;, which separates rule names in the ranked list's warnings; "
        + "expected a name without ;, such as \(name.replacingOccurrences(of: ";", with: ","))"
    case .fieldCount(let place, let count):
      return "\(place.text): \(count) field\(count == 1 ? "" : "s"); expected 3 (name,severity,condition): quote a field that holds a comma"
    case .badHeader(let path, let header):
      return "\(path) line 1: header \"\(MessageText.excerpt(header))\"; expected name,severity,condition"
    case .noRules(let path):
      return "\(path) has no rules; expected a header name,severity,condition and one rule per line, such as two complaints,red,count_complaint_90d >= 2"
    }
  }

  /// The condition on its own line with a caret under character `position`: whole up to 120
  /// characters, else 60 characters before the position and 20 after (cut ends shown as …);
  /// control characters as spaces so the caret stays aligned.
  static func caret(_ condition: String, _ position: Int) -> String {
    let characters = Array(condition).map { $0.isNewline || $0 == "\t" || ($0.asciiValue.map { $0 < 0x20 } ?? false) ? " " : $0 }
    let at = max(0, min(position - 1, characters.count))
    // A condition of up to 120 characters is shown whole.
    let from = characters.count <= 120 ? 0 : max(0, at - 60), to = characters.count <= 120 ? characters.count : min(characters.count, at + 20)
    let head = from > 0 ? "…" : "", tail = to < characters.count ? "…" : ""
    return "\n  " + head + String(characters[from..<to]) + tail + "\n  " + String(repeating: " ", count: head.count + at - from) + "^"
  }
}
