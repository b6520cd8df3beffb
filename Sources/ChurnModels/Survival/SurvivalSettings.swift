import ChurnCore

/// How a discrete-time survival model reads the period index k (1...K) of a person-period row.
///
/// The hazard model is an ordinary classifier of person-period rows; the period index is one
/// more feature. `indicators` gives it one 0/1 column per period after the first
/// (`period_2` … `period_K`): a baseline hazard of its own for every period, the standard
/// logistic discrete-time model (Allison 1982; Singer & Willett 1993). `number` gives it one
/// numeric column `period` (a hazard that moves smoothly, log-linearly for the logistic, with
/// k); `both` gives both. `firstPeriod` is `indicators` plus a period-1 copy of every input
/// column (`X@period_1`: X in period 1, 0 or the level `(later period)` after), so that a linear
/// model gets an effect of each feature on the next period of its own on top of the effect
/// shared by all periods (a time-varying coefficient, the step from period 1 to the rest).
/// `stratified` (the tree models only) is `number` for trees that split on the period first:
/// the period-1 hazard from a forest (or boosted ensemble) of the period-1 rows alone (the rows
/// and labels of the fixed-horizon model), the later periods' from one of their rows
/// (`ForestSpec.periodColumn`, `RandomForest.fitByPeriod`; `BoostingSpec.periodColumn`,
/// `BoostingSpec.fitByPeriod`).
public enum PeriodEncoding: String, Sendable, Codable, CaseIterable, Equatable {
  case indicators
  case number
  case both
  case firstPeriod = "first-period"
  case stratified

  /// The encoding a family gets unless told: `firstPeriod` for the logistic model (on the demo
  /// its next-period AUC 0.79 against 0.77 with `indicators` or `number`, which rank alike),
  /// `stratified` for the tree models: over the demo's 10 backtest folds the forest's
  /// next-period AUC 0.0003 below the fixed-horizon forest's on average, against 0.014 below
  /// with `number`; boosting's (its search choosing each period half's settings on its own
  /// rows) 0.0011 below, against 0.011 below with `number`, and 0.0006 against 0.015 on a
  /// second simulated log (see the article Time to churn).
  public static func standard(for family: ModelFamily) -> PeriodEncoding {
    switch family {
    case .logistic: return .firstPeriod
    case .forest, .boosting: return .stratified
    }
  }

  /// Whether the encoding has the numeric column `period`.
  var hasNumber: Bool { self == .number || self == .both || self == .stratified }
  /// Whether the encoding has the 0/1 columns `period_2` … `period_K`.
  var hasIndicators: Bool { self == .indicators || self == .both || self == .firstPeriod }
}

/// What makes a model a discrete-time survival (time-to-churn) model: the number of periods K
/// (each one `--horizon` long) and how the period index enters as a feature. Stored in the
/// model file under `survival`; absent for a fixed-horizon model.
///
/// With hazards h_k(x) = P(churn in period k | stayed through k − 1, features x at the as-of date):
/// ```
/// S(k) = Π_{j ≤ k} (1 − h_j(x))          non-increasing by construction
/// churn_probability = 1 − S(1) = h_1(x)
/// ```
public struct SurvivalSettings: Sendable, Equatable, Codable {
  /// K, the periods the model looks ahead (at least 2).
  public var periods: Int
  public var encoding: PeriodEncoding

  /// The most periods a model looks ahead.
  public static let maximumPeriods = 120
  /// The numeric period column (`number`, `both`).
  public static let numberColumn = "period"
  /// The suffix of an input column's period-1 copy (`firstPeriod`).
  public static let firstPeriodSuffix = "@period_1"
  /// The level of a categorical period-1 copy after period 1.
  public static let laterPeriodLevel = "(later period)"

  /// - Throws: `SurvivalError.periods` outside 2...`maximumPeriods`.
  public init(periods: Int, encoding: PeriodEncoding = .indicators) throws {
    guard (2...Self.maximumPeriods).contains(periods) else { throw SurvivalError.periods(periods) }
    self.periods = periods
    self.encoding = encoding
  }

  /// The 0/1 column of period k (`indicators`, `both`), k ≥ 2.
  public static func indicatorColumn(_ k: Int) -> String { "period_\(k)" }

  /// Whether `name` is a column the survival model adds: a period column or a period-1 copy.
  public func isPeriodColumn(_ name: String) -> Bool {
    columnNames.contains(name) || (encoding == .firstPeriod && name.hasSuffix(Self.firstPeriodSuffix))
  }

  /// `columns` (one row's contributions per input column) with each period-1 copy's
  /// contribution added to its column's and the period columns left out: the reasons of a row
  /// set to period 1.
  public func foldingPeriodColumns(_ columns: [ColumnContribution]) -> [ColumnContribution] {
    var out = columns
    if encoding == .firstPeriod {
      var index: [String: Int] = [:]
      for (k, c) in columns.enumerated() where index[c.column] == nil { index[c.column] = k }
      for c in columns where c.column.hasSuffix(Self.firstPeriodSuffix) {
        if let k = index[String(c.column.dropLast(Self.firstPeriodSuffix.count))] { out[k].contribution += c.contribution }
      }
    }
    return out.filter { !isPeriodColumn($0.column) }
  }

  /// The period columns, in the order they are appended to a table (without the period-1
  /// copies of `firstPeriod`, which follow, named after the table's columns).
  public var columnNames: [String] {
    var names: [String] = []
    if encoding.hasNumber { names.append(Self.numberColumn) }
    if encoding.hasIndicators { names += (2...periods).map(Self.indicatorColumn) }
    return names
  }

  /// The period columns' values for period `k`, in `columnNames` order.
  public func values(period k: Int) -> [Double] {
    precondition((1...periods).contains(k), "period \(k) outside 1...\(periods)")
    var values: [Double] = []
    if encoding.hasNumber { values.append(Double(k)) }
    if encoding.hasIndicators { values += (2...periods).map { $0 == k ? 1 : 0 } }
    return values
  }

  /// `table` with the period columns appended, every row set to period `k`.
  ///
  /// - Throws: `SurvivalError.columnTaken` when the table already has a column of that name.
  public func adding(period k: Int, to table: FeatureTable) throws -> FeatureTable {
    try adding(periods: [Int](repeating: k, count: table.rowCount), to: table)
  }

  /// `table` with the period columns appended, row i set to period `periods[i]`.
  ///
  /// - Throws: `SurvivalError.columnTaken` when the table already has a column of that name.
  public func adding(periods rowPeriods: [Int], to table: FeatureTable) throws -> FeatureTable {
    precondition(rowPeriods.count == table.rowCount, "\(rowPeriods.count) periods for \(table.rowCount) rows")
    if let taken = columnNames.first(where: { table.columnIndex($0) != nil }) { throw SurvivalError.columnTaken(taken) }
    var out = table
    let names = columnNames
    var columns = [[Double]](repeating: [Double](repeating: 0, count: table.rowCount), count: names.count)
    for (i, k) in rowPeriods.enumerated() {
      for (c, v) in values(period: k).enumerated() { columns[c][i] = v }
    }
    for (name, column) in zip(names, columns) { out.append(name, .numeric(column)) }
    if encoding == .firstPeriod {
      for (name, column) in zip(table.columnNames, table.columns) {
        let copy = name + Self.firstPeriodSuffix
        if table.columnIndex(copy) != nil { throw SurvivalError.columnTaken(copy) }
        switch column {
        case .numeric(let v): out.append(copy, .numeric(v.indices.map { rowPeriods[$0] == 1 ? v[$0] : 0 }))
        case .categorical(let v): out.append(copy, .categorical(v.indices.map { rowPeriods[$0] == 1 ? v[$0] : Self.laterPeriodLevel }))
        }
      }
    }
    return out
  }

  /// `settings` as the hazard model is fitted: for `stratified`, the forest's or boosted
  /// ensemble's trees split on the period column first (`ForestSpec.periodColumn`,
  /// `BoostingSpec.periodColumn`); otherwise as given.
  ///
  /// - Throws: `SurvivalError.stratifiedNeedsTrees` for `stratified` with another family.
  public func hazardSettings(_ settings: ModelSettings) throws -> ModelSettings {
    guard encoding == .stratified else { return settings }
    var out = settings
    switch settings.spec {
    case .forest(var forest):
      forest.periodColumn = Self.numberColumn
      out.spec = .forest(forest)
    case .boosting(var boosting):
      boosting.periodColumn = Self.numberColumn
      out.spec = .boosting(boosting)
    default:
      throw SurvivalError.stratifiedNeedsTrees(settings.family)
    }
    return out
  }

  /// The survival curve S(1) … S(K) of each row of `table` (features at the as-of date, without
  /// the period columns), from the hazards `hazard` gives each period's rows.
  ///
  /// ```
  /// S(k) = S(k − 1) × (1 − h_k),  S(0) = 1
  /// ```
  ///
  /// - Parameter hazard: the model's probabilities for a table (the period columns appended).
  /// - Throws: `SurvivalError.columnTaken`; what `hazard` throws.
  /// - Complexity: K predictions of the table.
  public func curves(_ table: FeatureTable, hazard: (FeatureTable) throws -> [Double]) throws -> [[Double]] {
    var curves = [[Double]](repeating: [], count: table.rowCount)
    var s = [Double](repeating: 1, count: table.rowCount)
    for k in 1...periods {
      let h = try hazard(try adding(period: k, to: table))
      for i in s.indices {
        s[i] *= 1 - h[i]
        curves[i].append(s[i])
      }
    }
    return curves
  }
}

/// A survival (time-to-churn) model that cannot be trained or used as asked.
public enum SurvivalError: Error, Equatable, CustomStringConvertible {
  /// `--periods` outside 2...`SurvivalSettings.maximumPeriods`.
  case periods(Int)
  /// Survival asked for with inactivity labels (no churn-date column).
  case notContractual
  /// The data already has a column named like a period column.
  case columnTaken(String)
  /// Survival asked for on a prepared table (`--table`).
  case preparedTable
  /// `--calibrate` with `--survival`.
  case calibration
  /// `--period-encoding stratified` with a family without trees (the logistic model).
  case stratifiedNeedsTrees(ModelFamily)

  public var description: String {
    switch self {
    case .periods(let k):
      return "--periods \(k): a survival model needs 2 to \(SurvivalSettings.maximumPeriods) periods (each one --horizon long); "
        + "for one period train the fixed-horizon model (leave out --survival)"
    case .notContractual:
      return "--survival needs contractual labels: a customer table with a churn-date column (churn_date, or --churn-date-column NAME); "
        + "these labels are inactivity churn, which is not an absorbing event (a customer idle for one horizon can come back), "
        + "so a time to churn is not defined; fix: give --customers with churn dates, or leave out --survival"
    case .columnTaken(let name):
      return "the input already has a column named \(name), which a survival model uses for the period index; "
        + "fix: rename or --exclude that column"
    case .preparedTable:
      return "--survival needs an event log (--events) and a customer table with churn dates: a prepared table (--table) has "
        + "one label per row and no churn dates to follow over the periods"
    case .calibration:
      return "--calibrate is not available with --survival: a map fitted on next-period predictions would bend every later "
        + "period's hazard too; leave out --calibrate"
    case .stratifiedNeedsTrees(let family):
      return "--period-encoding stratified splits a tree model's trees on the period first; the \(family.rawValue) model has no trees "
        + "to split: use --model forest or boosting, or another encoding (indicators, number, both, first-period)"
    }
  }
}
