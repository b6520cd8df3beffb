/// One input column's share of one customer's churn probability, with the customer's own value
/// of that column: the unit of a reason in the ranked list and of a line of `churn explain`.
///
/// A model sees a categorical column as one-hot columns (`plan=pro`, `plan=basic`, ...) and a
/// numeric column with missing values as the value plus an indicator (`tenure_missing`). Their
/// contributions describe one fact about the customer, so they are summed into one column
/// contribution, and that contribution is shown with the customer's own value: the level they
/// have, never the level of a one-hot column they do not have (whose contribution only says
/// "not being on that plan"). `group` is the one place that does this, for `churn score`,
/// `churn explain` and `churn report` alike.
///
/// ```
/// contribution(column) = Σ_{j : output column j comes from column} contributionⱼ
/// base + Σ_columns contribution(column) = base + Σⱼ contributionⱼ = the customer's probability
/// ```
public struct ColumnContribution: Sendable, Equatable {
  /// The customer's own value of the column.
  public enum Value: Sendable, Equatable {
    /// A numeric column's value, as the table holds it (before any transform).
    case number(Double)
    /// A categorical column's level, as the table holds it (a rare level pooled into `other`
    /// by the model, or a level unseen in training, is still shown as itself).
    case level(String)
    /// No value: NaN in a numeric column, `nil` in a categorical one.
    case missing
  }

  /// The input column's name (a feature table column).
  public var column: String
  public var value: Value
  /// The summed contribution in probability units (0.05 = 5 percentage points).
  public var contribution: Double

  public init(column: String, value: Value, contribution: Double) {
    self.column = column
    self.value = value
    self.contribution = contribution
  }

  /// The value of `column` in row `row` of `table` (`.missing` when the table has no such column).
  public static func value(of column: String, row: Int, in table: FeatureTable) -> Value {
    guard let k = table.columnIndex(column) else { return .missing }
    switch table.columns[k] {
    case .numeric(let v): return v[row].isNaN ? .missing : .number(v[row])
    case .categorical(let v): return v[row].map { .level($0) } ?? .missing
    }
  }

  /// Sums per-output-column contributions into one contribution per input column.
  ///
  /// - Parameters:
  ///   - contributions: one row's contributions, one per output (design) column.
  ///   - sources: the input column each output column comes from (its value, its missing
  ///     indicator, or one of its one-hot levels); as many as `contributions`.
  ///   - columns: the input columns, in the order the result lists them (a column that no
  ///     output column comes from, such as one dropped as constant, contributes 0).
  ///   - row: the customer's row in `table`, where their own values are read.
  /// - Returns: one entry per element of `columns`, in that order.
  /// - Complexity: O(contributions + columns).
  public static func group(_ contributions: [Double], sources: [String], columns: [String], row: Int,
                           in table: FeatureTable) -> [ColumnContribution] {
    precondition(contributions.count == sources.count, "\(contributions.count) contributions for \(sources.count) sources")
    var position: [String: Int] = [:]
    for (k, name) in columns.enumerated() where position[name] == nil { position[name] = k }
    var sums = [Double](repeating: 0, count: columns.count)
    for (c, source) in zip(contributions, sources) {
      guard let k = position[source] else { preconditionFailure("output column source \(source) is not among the input columns \(columns)") }
      sums[k] += c
    }
    return columns.indices.map { k in
      ColumnContribution(column: columns[k], value: value(of: columns[k], row: row, in: table), contribution: sums[k])
    }
  }

  /// The reasons among a customer's column contributions: the `count` largest positive ones,
  /// largest first (ties by column name). Columns that lower the risk are never reasons.
  public static func reasons(_ all: [ColumnContribution], count: Int) -> [ColumnContribution] {
    Array(all.filter { $0.contribution > 0 }
      .sorted { $0.contribution != $1.contribution ? $0.contribution > $1.contribution : $0.column < $1.column }
      .prefix(max(0, count)))
  }
}
