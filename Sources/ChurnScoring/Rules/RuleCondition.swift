import ChurnCore

/// The condition of a warning rule: comparisons of feature columns with numbers (or, for a
/// categorical column, with a quoted level), combined with `and`, `or`, `not` and parentheses
/// (the grammar: `RuleParser`).
///
/// ```
/// count_complaint_90d >= 2 and not (tier == "platinum" or pct_change_count_login_30d > -0.5)
/// ```
///
/// **Missing values.** A comparison with a missing value (an empty field: NaN in a numeric
/// column, no level in a categorical one) is *unknown*, and the connectives follow Kleene's
/// three-valued logic, as SQL's `WHERE` does:
///
/// ```
/// not unknown        = unknown
/// false and unknown  = false       true and unknown  = unknown
/// true  or  unknown  = true        false or unknown  = unknown
/// ```
///
/// A rule fires only when its condition is *true*, so a missing value never fires a rule:
/// neither `x > 5` nor `not (x > 5)` fires for a customer whose `x` is missing. A rule can
/// still fire on its other, known comparisons (`x > 5 or y > 3` fires when `y` is 4).
///
/// **Values.** A number is compared as `churn features` writes it, rounded to 9 decimal places
/// (`FeatureTable.writtenValue`), so a rule fires on exactly the rows a user (or pandas) sees
/// satisfying it in the features CSV: a mean of 3.4999999999999996 is written, and compared, as 3.5.
public indirect enum RuleCondition: Sendable, Equatable {
  /// `column op number`; `position` is the 1-based character of the column name in the condition.
  case compare(column: String, op: RuleComparison, value: Double, position: Int)
  /// `column == "level"` (or `!=` when `equal` is false) on a categorical column.
  case level(column: String, equal: Bool, level: String, position: Int)
  case not(RuleCondition)
  case and(RuleCondition, RuleCondition)
  case or(RuleCondition, RuleCondition)

  /// The columns the condition reads, each with the position of its first mention, in order.
  public var columns: [(name: String, position: Int)] {
    switch self {
    case .compare(let column, _, _, let position), .level(let column, _, _, let position): return [(column, position)]
    case .not(let c): return c.columns
    case .and(let a, let b), .or(let a, let b): return a.columns + b.columns
    }
  }
}

/// A comparison operator of a rule condition.
public enum RuleComparison: String, Sendable, CaseIterable {
  case less = "<"
  case lessOrEqual = "<="
  case greater = ">"
  case greaterOrEqual = ">="
  case equal = "=="
  case notEqual = "!="

  /// `lhs op rhs` for two known numbers.
  @inline(__always)
  func holds(_ lhs: Double, _ rhs: Double) -> Bool {
    switch self {
    case .less: return lhs < rhs
    case .lessOrEqual: return lhs <= rhs
    case .greater: return lhs > rhs
    case .greaterOrEqual: return lhs >= rhs
    case .equal: return lhs == rhs
    case .notEqual: return lhs != rhs
    }
  }
}

/// A truth value of three-valued logic: a condition on a missing value is `unknown`.
public enum RuleTruth: UInt8, Sendable {
  case no = 0, yes = 1, unknown = 2

  static prefix func ! (t: RuleTruth) -> RuleTruth { t == .unknown ? .unknown : (t == .yes ? .no : .yes) }

  static func && (a: RuleTruth, b: RuleTruth) -> RuleTruth {
    if a == .no || b == .no { return .no }
    return a == .yes && b == .yes ? .yes : .unknown
  }

  static func || (a: RuleTruth, b: RuleTruth) -> RuleTruth {
    if a == .yes || b == .yes { return .yes }
    return a == .no && b == .no ? .no : .unknown
  }
}

extension RuleCondition {
  /// The condition's truth on every row of `table`.
  ///
  /// - Precondition: every column the condition reads is in `table`, numeric for a number
  ///   comparison and categorical for a level (`WarningRules.check(columns:)` says so first).
  /// - Complexity: O(rows × comparisons).
  public func truth(in table: FeatureTable) -> [RuleTruth] {
    switch self {
    case .compare(let column, let op, let value, _):
      guard let c = table.columnIndex(column), case .numeric(let values) = table.columns[c] else {
        preconditionFailure("rule column \(column) is not a numeric column of the table")
      }
      return values.map { x in x.isNaN ? .unknown : (op.holds(FeatureTable.writtenValue(x), value) ? .yes : .no) }
    case .level(let column, let equal, let level, _):
      guard let c = table.columnIndex(column), case .categorical(let values) = table.columns[c] else {
        preconditionFailure("rule column \(column) is not a categorical column of the table")
      }
      return values.map { x in x.map { ($0 == level) == equal ? .yes : .no } ?? .unknown }
    case .not(let c): return c.truth(in: table).map { !$0 }
    case .and(let a, let b): return zip(a.truth(in: table), b.truth(in: table)).map { $0 && $1 }
    case .or(let a, let b): return zip(a.truth(in: table), b.truth(in: table)).map { $0 || $1 }
    }
  }

  /// The condition written back as text, with parentheses only where precedence needs them
  /// (`not` binds tighter than `and`, `and` tighter than `or`); columns that are not plain
  /// names in backticks, numbers in Swift's shortest form.
  public var text: String { text(level: 0) }

  private func text(level: Int) -> String {
    func wrap(_ s: String, _ own: Int) -> String { own < level ? "(" + s + ")" : s }
    switch self {
    case .compare(let column, let op, let value, _):
      let number = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
      return "\(RuleParser.quotedColumn(column)) \(op.rawValue) \(number)"
    case .level(let column, let equal, let level, _):
      return "\(RuleParser.quotedColumn(column)) \(equal ? "==" : "!=") \"\(level)\""
    case .not(let c): return "not " + c.text(level: 3)
    case .and(let a, let b): return wrap(a.text(level: 2) + " and " + b.text(level: 2), 2)
    case .or(let a, let b): return wrap(a.text(level: 1) + " or " + b.text(level: 1), 1)
    }
  }
}

extension FeatureTable {
  /// `value` as `churn features` writes it and a CSV reader reads it back: integers as they
  /// are, other numbers below 10⁹ rounded half away from zero to 9 decimal places (the nearest
  /// `Double` to that decimal), larger ones unchanged (written in round-trip form).
  ///
  /// ```
  /// writtenValue(3.4999999999999996) = 3.5      writtenValue(0.1 + 0.2) = 0.3
  /// ```
  @inline(__always)
  public static func writtenValue(_ value: Double) -> Double {
    let magnitude = abs(value)
    guard value.isFinite, value != value.rounded(), magnitude < 1e9 else { return value }
    // The writer's digits are those of round(|x| · 10⁹), an integer-valued Double; dividing it
    // by 10⁹ is one correctly rounded operation: the Double a correct parser reads from them.
    let rounded = (magnitude * 1e9).rounded(.toNearestOrAwayFromZero) / 1e9
    return value < 0 ? -rounded : rounded
  }
}
