import ChurnCore
import Foundation

/// The users' attribution table ("service response 0.35, product gaps 0.25, ...") from a
/// fitted model: each input column's weight summed into the category of signal it measures.
///
/// A column's category comes from the first rule whose pattern its name contains
/// (case-insensitive). The default rules follow the users' own dimensions:
/// engagement (logins, visits, activity, silence), service (tickets, complaints, resolution
/// times, surveys, NPS), finance (payments, invoices, revenue), commercial (orders and
/// purchases, RFM, upsell, plan and tier) and account (the other customer-table attributes:
/// industry, size, region). Rules can be replaced with a CSV of `pattern,category` lines.
public struct Attribution: Sendable {
  public struct Rule: Sendable, Equatable {
    public var pattern: String
    public var category: String

    public init(pattern: String, category: String) {
      self.pattern = pattern.lowercased()
      self.category = category
    }
  }

  public struct Group: Sendable, Equatable {
    public var category: String
    /// The group's summed weight over the total (shares add up to 1).
    public var share: Double
    public var weight: Double
    /// Members, strongest first.
    public var columns: [(column: String, weight: Double)]

    public static func == (a: Group, b: Group) -> Bool {
      a.category == b.category && a.share == b.share && a.weight == b.weight && a.columns.map(\.column) == b.columns.map(\.column)
    }
  }

  public static let defaultRules: [Rule] = [
    ("complaint", "service"), ("ticket", "service"), ("resolution", "service"), ("support", "service"), ("survey", "service"),
    ("nps", "service"), ("satisfaction", "service"), ("csat", "service"), ("response", "service"),
    ("payment", "finance"), ("invoice", "finance"), ("overdue", "finance"), ("receivable", "finance"), ("billing", "finance"),
    ("revenue", "finance"), ("charge", "finance"), ("balance", "finance"),
    ("upsell", "commercial"), ("order", "commercial"), ("purchase", "commercial"), ("transaction", "commercial"), ("sale", "commercial"),
    ("recency", "commercial"), ("frequency", "commercial"), ("monetary", "commercial"), ("r_score", "commercial"), ("f_score", "commercial"),
    ("m_score", "commercial"), ("rfm", "commercial"), ("plan", "commercial"), ("tier", "commercial"), ("contract", "commercial"),
    ("login", "engagement"), ("visit", "engagement"), ("session", "engagement"), ("usage", "engagement"), ("active_days", "engagement"),
    ("days_since_last_event", "engagement"), ("mean_gap", "engagement"), ("contact", "engagement"), ("email", "engagement"),
    ("call", "engagement"), ("meeting", "engagement"), ("tenure", "engagement"),
  ].map { Rule(pattern: $0.0, category: $0.1) }

  public var rules: [Rule]
  /// The category of columns no rule matches.
  public var fallback: String

  public init(rules: [Rule] = Attribution.defaultRules, fallback: String = "account") {
    self.rules = rules
    self.fallback = fallback
  }

  /// Rules from CSV text, read as `rules(path:)` reads a file; `name` stands for the path in errors.
  ///
  /// - Throws: `AttributionError.badRule` naming the line, or `.noRules` for a text with none.
  public static func rules(csv: String, name: String = "rules") throws -> [Rule] {
    try rules(TextLines(text: csv, name: name)).map(\.rule)
  }

  /// Rules from a file of `pattern,category` lines, each with its line number (a header line
  /// `pattern,category` is skipped; a field in double quotes may hold a comma).
  ///
  /// - Throws: `FileError`, `TextFileError`; `AttributionError.badRule` naming the line, or
  ///   `.noRules` for a file with none (which would silently put every column in one group).
  public static func rules(path: String) throws -> [(rule: Rule, line: Int)] {
    try rules(TextLines(path: path))
  }

  private static func rules(_ text: TextLines) throws -> [(rule: Rule, line: Int)] {
    var rules: [(rule: Rule, line: Int)] = []
    for line in text.lines {
      guard let fields = TextLines.fields(of: line.text), fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
        throw AttributionError.badRule(path: text.path, line: line.number, text: line.text)
      }
      if rules.isEmpty && fields[0].lowercased() == "pattern" && fields[1].lowercased() == "category" { continue }
      rules.append((Rule(pattern: fields[0], category: fields[1]), line.number))
    }
    guard !rules.isEmpty else { throw AttributionError.noRules(path: text.path) }
    return rules
  }

  /// The rules that place none of `columns`, by index into `rules`, each with why: `false` when
  /// no column name contains its pattern, `true` when every column that does is placed by an
  /// earlier rule. Such a rule is usually a typo, or listed after a broader one.
  public func unusedRules(columns: [String]) -> [(index: Int, shadowed: Bool)] {
    var used = Set<Int>()
    for column in columns {
      let name = column.lowercased()
      if let k = rules.firstIndex(where: { name.contains($0.pattern) }) { used.insert(k) }
    }
    return rules.indices.filter { !used.contains($0) }.map { k in
      (k, columns.contains { $0.lowercased().contains(rules[k].pattern) })
    }
  }

  public func category(of column: String) -> String {
    let name = column.lowercased()
    return rules.first { name.contains($0.pattern) }?.category ?? fallback
  }

  /// Weights (≥ 0; negative ones count as 0) grouped by category, largest share first.
  public func grouped(_ weights: [(column: String, weight: Double)]) -> [Group] {
    var groups: [String: [(String, Double)]] = [:]
    for (column, weight) in weights { groups[category(of: column), default: []].append((column, max(0, weight))) }
    let total = weights.reduce(0) { $0 + max(0, $1.weight) }
    return groups.map { category, members in
      let weight = members.reduce(0) { $0 + $1.1 }
      return Group(category: category, share: total > 0 ? weight / total : 0, weight: weight,
                   columns: members.sorted { ($0.1, $1.0) > ($1.1, $0.0) }.map { (column: $0.0, weight: $0.1) })
    }.sorted { ($0.share, $1.category) > ($1.share, $0.category) }
  }
}

/// A rules file that cannot group the columns.
public enum AttributionError: Error, Equatable, CustomStringConvertible {
  case badRule(path: String, line: Int, text: String)
  case noRules(path: String)

  public var description: String {
    switch self {
    case .badRule(let path, let line, let text):
      return "\(path) line \(line): \"\(text)\" is not pattern,category; expected two fields separated by a comma, such as ticket,service"
    case .noRules(let path):
      return "\(path) has no rules; expected lines pattern,category such as ticket,service"
    }
  }
}
