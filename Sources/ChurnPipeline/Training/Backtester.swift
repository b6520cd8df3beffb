import ChurnCore
import ChurnFeatures
import ChurnModels
import ChurnScoring
import Foundation

extension Trainer {
  /// Backtests on an event log: for each cutoff c with known labels, a model fitted on the rows
  /// whose label window closed by c (the purge gap) is tested on the rows at c, so nothing it
  /// learns comes from on or after c. With `calibration`, each fold is calibrated on the folds
  /// before it; with `tuning`, each fold's hyperparameters are chosen on earlier folds only
  /// (the default search, with no earlier fold: on the fold's training rows, in 3 folds of
  /// whole customers).
  ///
  /// - Parameters:
  ///   - data: the event log and its customer table.
  ///   - plan: cutoffs, horizon and feature windows.
  ///   - testFrom: test only cutoffs on or after this date (earlier cutoffs still train).
  ///   - bootstrap: resamples for the 95% intervals (0: none).
  /// - Returns: churn over time, and each fold's evaluation.
  /// - Throws: `BacktestError` when `testFrom` is not a date or after every testable cutoff, or
  ///   no cutoff can be tested; the errors of reading the data, building features and fitting.
  public func backtest(_ data: EventData, plan: ObservationPlan, testFrom: String? = nil, bootstrap: Int = 1000) throws -> BacktestResult {
    try backtest(plan: plan, testFrom: testFrom, bootstrap: bootstrap) {
      let customers = try data.loadCustomers()
      try checkSurvival(customers: customers)  // before the features are built
      return (try plan.features(data, customers: customers, log: log), customers)
    }
  }

  /// Backtests on the feature rows `build` makes (from files or by a database) at the plan's
  /// cutoffs, with the customer table they were built with (a survival model follows its churn dates).
  func backtest(plan: ObservationPlan, testFrom: String?, bootstrap: Int,
                build: () throws -> (result: FeatureBuilder.Result, customers: CustomerTable?)) throws -> BacktestResult {
    var from: Int64?
    if let testFrom {
      guard let day = UTCTime.parseMilliseconds(testFrom) else { throw BacktestError.badTestFrom(testFrom) }
      from = day
    }
    if survival != nil { return try survivalBacktest(build, plan: plan, testFrom: testFrom, from: from, bootstrap: bootstrap) }
    let built = try build().result
    FeatureRunSummary(built).lines.forEach(log.line)
    let all = built.table
    let design = try plan.design()
    var splits = Folds.timeOrdered(cutoffs: all.cutoffs!, labels: all.labels!, labelWindowEnd: { design.horizon.added(to: $0) })
    let overTime = Self.rates(all, days: { Double(design.horizon.added(to: $0) - $0) / Double(UTCTime.millisecondsPerDay) })
    if let from, let last = splits.last?.testCutoff, last < from {
      throw BacktestError.testFromTooLate(testFrom!, lastCutoff: UTCTime.formatDate(milliseconds: last))
    }
    if let from { splits = splits.filter { $0.testCutoff! >= from } }
    guard !splits.isEmpty else { throw BacktestError.noFold(horizon: design.horizon.description) }
    log.line("\(splits.count) out-of-time folds (purge gap: training rows' label windows close by the test cutoff)")
    var result = try evaluate(all, splits: splits, bootstrap: bootstrap, kind: "out-of-time")
    result.churnOverTime = overTime
    result.horizon = design.horizon.description
    return result
  }

  /// Backtests on a prepared table by stratified k-fold cross-validation, seeded; with
  /// `tuning`, each fold's hyperparameters are chosen on an inner 3-fold split of its training rows.
  ///
  /// - Parameters:
  ///   - table: the table, with its label column in `table.label`.
  ///   - folds: the number of folds.
  ///   - bootstrap: resamples for the 95% intervals (0: none).
  /// - Returns: each fold's evaluation.
  /// - Throws: `TrainerError.noLabelColumn`, `TrainingError.noLabelledRows`,
  ///   `BacktestError.oneClass`, `FoldError`; the errors of reading the table and fitting.
  public func backtest(_ table: TableData, folds: Int = 5, bootstrap: Int = 1000) throws -> BacktestResult {
    guard table.label != nil else { throw TrainerError.noLabelColumn(table.path) }
    if survival != nil { throw SurvivalError.preparedTable }
    let t = try table.load().table
    let all = t.rows(t.labelledRows)
    // No label, or one class, fails in the first fold's fit with that fold's count; say it of the table.
    if all.rowCount == 0 { throw TrainingError.noLabelledRows }
    if let first = all.labels!.first, all.labels!.allSatisfy({ $0 == first }) {
      throw BacktestError.oneClass(path: table.path, rows: all.rowCount, label: Int(first))
    }
    let splits = try Folds.stratified(labels: all.labels!, k: folds, seed: settings.seed)
    log.line("\(all.rowCount) labelled rows, stratified \(folds)-fold cross-validation (seed \(settings.seed))")
    return try evaluate(all, splits: splits, bootstrap: bootstrap, kind: "stratified k-fold")
  }

  /// Fits and evaluates every fold.
  func evaluate(_ all: FeatureTable, splits: [Fold], bootstrap: Int, kind: String) throws -> BacktestResult {
    let settings = self.settings
    let tuning = foldTuning(all)
    let predictions = try Backtest.run(all, folds: splits, settings: foldSettings(all, splits: splits), calibrate: calibration) { done, count in
      log.line("fold \(done) of \(count) fitted")
    }
    var result = BacktestResult(kind: kind, model: settings.family.rawValue, settings: settings.summary, tuned: tuning != nil, intervals: bootstrap > 0)
    for f in predictions {
      let e = try Evaluation(probabilities: f.probabilities, labels: f.labels, replicates: bootstrap, seed: settings.seed)
      let c = try f.calibrated.map { try Evaluation(probabilities: $0, labels: f.labels, replicates: bootstrap, seed: settings.seed) }
      result.folds.append(.init(fold: f.fold.name, settings: f.settings.summary, trainingRows: f.trainingRows, evaluation: e, calibrated: c))
    }
    return result
  }

  /// The tuning a backtest runs on `all`: nil when the default search has nothing to search
  /// (every hyperparameter given) or there is no tuning.
  func foldTuning(_ all: FeatureTable) -> Tuning? {
    let settings = self.settings
    return self.tuning.flatMap { $0.candidates(for: settings, columns: all.columnNames.count).count > 1 ? $0 : nil }
  }

  /// Each fold's settings: chosen on what precedes the fold (nested tuning), or the settings given.
  func foldSettings(_ all: FeatureTable, splits: [Fold]) throws -> (Fold) throws -> ModelSettings {
    let settings = try fitSettings()
    let tuning = foldTuning(all)
    return { fold in
      guard let tuning else { return settings }
      if fold.testCutoff != nil {
        let earlier = splits.filter { $0.precedes(fold) }
        if earlier.isEmpty {
          // As in training: the fold's own training rows, 3 folds of whole customers.
          guard case .search = tuning.candidates else { return settings }
          let rows = all.rows(fold.train)
          let byCustomer = Folds.byCustomer(ids: rows.ids, labels: rows.labels!, k: 3, seed: settings.seed)
          return byCustomer.isEmpty ? settings : try tuning.choose(rows, folds: byCustomer, settings: settings).settings
        }
        return try tuning.choose(all, folds: earlier, settings: settings).settings
      }
      let training = all.rows(fold.train)
      let inner: [Fold]
      if case .search = tuning.candidates {
        // The default search leaves a fold too small for 3 inner folds at the settings given.
        guard let made = try? Folds.stratified(labels: training.labels!, k: 3, seed: settings.seed) else { return settings }
        inner = made
      } else {
        inner = try Folds.stratified(labels: training.labels!, k: 3, seed: settings.seed)
      }
      return try tuning.choose(training, folds: inner, settings: settings).settings
    }
  }

  /// Churn at each cutoff with a Wilson interval, and as monthly and annual rates at a constant hazard.
  static func rates(_ t: FeatureTable, days: (Int64) -> Double) -> [BacktestResult.RateRow] {
    var byCutoff: [Int64: (Int, Int)] = [:]
    for (c, y) in zip(t.cutoffs!, t.labels!) where !y.isNaN {
      byCutoff[c, default: (0, 0)].0 += 1
      if y == 1 { byCutoff[c, default: (0, 0)].1 += 1 }
    }
    return byCutoff.keys.sorted().map { c in
      let (n, k) = byCutoff[c]!
      let rate = wilsonInterval(successes: k, trials: n)
      return .init(cutoff: UTCTime.formatDate(milliseconds: c), customers: n, churned: k, rate: rate,
                   monthly: Cohorts.convert(rate: rate.value, days: days(c), periodDays: 30.4375),
                   annualized: Cohorts.convert(rate: rate.value, days: days(c), periodDays: 365))
    }
  }
}

/// What a backtest measured: churn over time (from an event log) and each fold's evaluation.
/// Its JSON (`Encodable`) is what `churn backtest --out` writes.
public struct BacktestResult: Sendable, Encodable {
  /// "out-of-time" or "stratified k-fold".
  public var kind: String
  /// The model family's name.
  public var model: String
  public var folds: [FoldResult] = []
  /// Churn at each labelled cutoff (event logs only).
  public var churnOverTime: [RateRow]?
  /// The settings given (each fold's own are in `FoldResult.settings` when tuned).
  public var settings: String
  /// Whether each fold's hyperparameters were tuned on what precedes it.
  public var tuned: Bool
  /// False when the evaluations have no bootstrap intervals.
  public var intervals: Bool
  /// The label horizon, from an event log.
  public var horizon: String?

  /// A result with the folds and churn rows given (the backtest appends them).
  public init(kind: String, model: String, folds: [FoldResult] = [], churnOverTime: [RateRow]? = nil, settings: String, tuned: Bool,
              intervals: Bool, horizon: String? = nil) {
    (self.kind, self.model, self.folds, self.churnOverTime) = (kind, model, folds, churnOverTime)
    (self.settings, self.tuned, self.intervals, self.horizon) = (settings, tuned, intervals, horizon)
  }

  enum CodingKeys: String, CodingKey {
    case kind, model, folds, churnOverTime
  }

  /// One fold: its name, the settings its model was fitted with, its evaluation and, with
  /// calibration, the evaluation of its calibrated probabilities.
  public struct FoldResult: Sendable, Encodable {
    public var fold: String
    public var settings: String
    public var trainingRows: Int
    public var evaluation: Evaluation
    public var calibrated: Evaluation?
    /// A survival model's fold (`--survival`): its curves against the observed times to churn
    /// of the customers at the fold's cutoff.
    public var survival: SurvivalEvaluation?
    /// What `survival` was computed from: the fold's curves S(1) … S(K), one per customer at
    /// its cutoff, and their observed times (not written to the JSON).
    public var survivalPredictions: (curves: [[Double]], observed: ObservedTimes)?

    enum CodingKeys: String, CodingKey {
      case fold, settings, trainingRows, evaluation, calibrated, survival
    }
  }

  /// Churn at one cutoff.
  public struct RateRow: Sendable, Encodable {
    public var cutoff: String
    public var customers: Int
    public var churned: Int
    /// The rate over the horizon with its Wilson 95% interval.
    public var rate: Estimate
    /// The rate per 30.4375 days and per 365 days at a constant hazard.
    public var monthly: Double
    public var annualized: Double
  }
}

/// A backtest that cannot run.
public enum BacktestError: Error, Equatable, CustomStringConvertible {
  /// Every labelled row of the table has the same label.
  case oneClass(path: String, rows: Int, label: Int)
  /// `--test-from` after the last cutoff that can be tested.
  case testFromTooLate(String, lastCutoff: String)
  /// No cutoff has an earlier cutoff whose label window closed by it, with both classes.
  case noFold(horizon: String)
  /// `--test-from` is not a date.
  case badTestFrom(String)

  public var description: String {
    switch self {
    case .testFromTooLate(let testFrom, let last):
      return "--test-from \(testFrom) is after every cutoff that can be tested (the last is \(last)); expected a date on or before it"
    case .noFold(let horizon):
      return "no cutoff can be tested: each needs an earlier cutoff whose label window (\(horizon)) closed by then, and both classes; add earlier cutoffs or shorten the horizon"
    case .oneClass(let path, let rows, let label):
      return "all \(rows) labelled rows of \(path) have label \(label); a churn model needs both churned and retained customers"
    case .badTestFrom(let text): return "--test-from \"\(text)\" is not a date; expected ISO 8601 such as 2025-09-01"
    }
  }
}
