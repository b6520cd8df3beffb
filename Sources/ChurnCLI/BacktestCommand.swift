import ArgumentParser
import ChurnPipeline
import Foundation

struct BacktestCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backtest",
    abstract: "Measure a model honestly: time-ordered folds with a purge gap (or stratified k-fold for a table).",
    discussion: """
      From an event log: for each cutoff c with known labels, a model is fitted on the rows
      whose label window closed by c (cutoff + horizon ≤ c: the purge gap) and tested on the
      rows at c, so nothing it learns comes from on or after c. From a table: stratified k-fold
      cross-validation, seeded. Prints churn rates over time, per-fold metrics with bootstrap
      95% intervals (AUC, top-decile lift), average precision, log loss, Brier score and
      expected calibration error, their mean and spread, and the last fold's calibration and
      gains tables. --calibrate calibrates each fold on the predictions of the folds before it;
      --tune chooses hyperparameters for each fold on earlier folds only (nested).
      """)

  @OptionGroup var events: EventLogOptions
  @OptionGroup var customers: CustomerTableOptions
  @OptionGroup var observation: ObservationOptions
  @OptionGroup var modelOptions: ModelOptions

  @Option(help: "A prepared table CSV instead of an event log (stratified k-fold).")
  var table: String?

  @Option(help: "Name of the label column (with --table).")
  var label: String?

  @Option(name: .customLong("id"), help: "Name of the id column (with --table; default customer_id).")
  var idFlag: String?

  @Option(name: .customLong("folds"), help: "With --table: number of folds, 2 to 100 (default 5).")
  var foldsFlag: Int?

  @Option(help: "With --events: test only cutoffs on or after this date (earlier cutoffs still train).")
  var testFrom: String?

  @Option(help: "Bootstrap resamples for the 95% intervals, 0 to 10000.")
  var bootstrap = 1000

  @Option(help: "Write the per-fold results as JSON here (- for standard output; the tables then go to standard error).")
  var out: String?

  var id: String { idFlag ?? "customer_id" }
  var folds: Int { foldsFlag ?? 5 }

  func validate() throws {
    if (table == nil) == (events.events == nil) { throw ValidationError("give either --events (with cutoffs) or --table (with --label)") }
    if table != nil && label == nil { throw ValidationError("--table needs --label COLUMN") }
    try FlagRules.check("--folds", foldsFlag, in: 2...FlagRules.maxFolds)
    try FlagRules.check("--bootstrap", bootstrap, in: 0...FlagRules.maxBootstrap)
    try customers.validate(table: table != nil)
    if table != nil {
      try FlagRules.refuse(events.givenFlags + observation.givenFlags + (testFrom != nil ? ["--test-from"] : []),
                           "applies to an event log (--events), not to --table; drop it")
    } else {
      try FlagRules.refuse(FlagRules.given([("--label", label != nil), ("--id", idFlag != nil), ("--folds", foldsFlag != nil)]), "applies only with --table; drop it")
    }
  }

  /// What --out holds.
  struct Output: Encodable {
    struct FoldResult: Encodable {
      var fold: String
      var settings: String
      var trainingRows: Int
      var evaluation: Evaluation
      var calibrated: Evaluation?
    }
    var kind: String
    var model: String
    var folds: [FoldResult]
    var churnOverTime: [RateRow]?
  }

  struct RateRow: Encodable {
    var cutoff: String
    var customers: Int
    var churned: Int
    var rate: Estimate
    var monthly: Double
    var annualized: Double
  }

  func run() throws {
    let clock = ContinuousClock()
    let began = clock.now
    let outputs = try OutputTransaction(outputs: [("--out", out)], inputs: [("--events", events.events), ("--customers", customers.customers), ("--table", table)])
    // With --out -, the JSON owns standard output; the tables go to standard error.
    let print: (String) -> Void = outputs.writesToStandardOutput ? { StandardError.print($0) } : { Swift.print($0) }
    let settings = modelOptions.settings(threads: observation.threads)
    let all: FeatureTable
    var splits: [Fold]
    var overTime: [RateRow]?
    if let table {
      let t = try customers.preparedTable(table, idColumn: id, label: label!).table
      let labelled = t.labels!.indices.filter { !t.labels![$0].isNaN }
      all = t.rows(labelled)
      // No label, or one class, fails in the first fold's fit with that fold's count; say it of the table.
      if all.rowCount == 0 { throw TrainingError.noLabelledRows }
      if let first = all.labels!.first, all.labels!.allSatisfy({ $0 == first }) {
        throw BacktestError.oneClass(path: table, rows: all.rowCount, label: Int(first))
      }
      splits = try Folds.stratified(labels: all.labels!, k: folds, seed: modelOptions.seed)
      StandardError.print("backtest: \(all.rowCount) labelled rows, stratified \(folds)-fold cross-validation (seed \(modelOptions.seed))")
    } else {
      let customerTable = try customers.load(eventCustomerColumn: events.customerColumn)
      let (reader, progress) = try events.reader(label: "backtest")
      let result = try observation.build(events: reader, customers: customerTable, spec: nil)
      progress?.finish()
      FeatureReport.print(result, seconds: 0, label: "backtest")
      all = result.table
      let design = try observation.design()
      var from: Int64?
      if let testFrom {
        guard let day = UTCTime.parseMilliseconds(testFrom) else { throw CommandError("--test-from \"\(testFrom)\" is not a date") }
        from = day
      }
      splits = Folds.timeOrdered(cutoffs: all.cutoffs!, labels: all.labels!, labelWindowEnd: { design.horizon.added(to: $0) })
      overTime = rates(all, days: { Double(design.horizon.added(to: $0) - $0) / Double(UTCTime.millisecondsPerDay) })
      print(rateTable(overTime!, horizon: design.horizon.description))
      if let from, let last = splits.last?.testCutoff, last < from {
        throw BacktestError.testFromTooLate(testFrom!, lastCutoff: UTCTime.formatDate(milliseconds: last))
      }
      if let from { splits = splits.filter { $0.testCutoff! >= from } }
      guard !splits.isEmpty else {
        throw BacktestError.noFold("no cutoff can be tested: each needs an earlier cutoff whose label window (\(design.horizon)) closed by then, and both classes; add earlier cutoffs or shorten the horizon")
      }
      StandardError.print("backtest: \(splits.count) out-of-time folds (purge gap: training rows' label windows close by the test cutoff)")
    }
    let predictions = try foldPredictions(all, splits: splits, settings: settings)
    print("\n\(settings.family.rawValue) model (\(modelOptions.tune ? "tuned per fold on earlier folds" : settings.summary)):")
    print(FoldTable.header())
    var results: [Output.FoldResult] = []
    for f in predictions {
      let chosen = f.settings
      let e = try Evaluation(probabilities: f.probabilities, labels: f.labels, replicates: bootstrap, seed: modelOptions.seed)
      let c = try f.calibrated.map { try Evaluation(probabilities: $0, labels: f.labels, replicates: bootstrap, seed: modelOptions.seed) }
      print(FoldTable.line(f.fold.name, trainingRows: f.trainingRows, e, calibratedECE: c?.calibration.expectedCalibrationError, intervals: bootstrap > 0)
        + (modelOptions.tune ? "  [\(chosen.summary)]" : ""))
      results.append(.init(fold: f.fold.name, settings: chosen.summary, trainingRows: f.trainingRows, evaluation: e, calibrated: c))
    }
    if results.count > 1 { print(FoldTable.summary(results.map(\.evaluation))) }
    if let last = results.last {
      print("\ncalibration on \(last.fold) (10 quantile bins; expected calibration error \(String(format: "%.4f", last.evaluation.calibration.expectedCalibrationError))"
        + (last.calibrated.map { String(format: ", calibrated %.4f", $0.calibration.expectedCalibrationError) } ?? "") + "):")
      print(calibrationTable(last.evaluation.calibration, calibrated: last.calibrated?.calibration))
      print("\ncumulative gains on \(last.fold):")
      print(gainsTable(last.evaluation.gains))
    }
    if let out {
      let output = Output(kind: table != nil ? "stratified k-fold" : "out-of-time", model: settings.family.rawValue, folds: results, churnOverTime: overTime)
      try OutputFile.write(try JSONOutput.text(output) + "\n", to: outputs.path(for: "--out"))
      try outputs.commit()
      StandardError.print("backtest: results written to \(out)")
    }
    StandardError.print("backtest: done in \(String(format: "%.2f", (clock.now - began).seconds)) s")
  }

  /// Each fold's predictions, with per-fold tuning (on earlier folds, or an inner 3-fold split
  /// of a k-fold's training rows) when asked.
  func foldPredictions(_ all: FeatureTable, splits: [Fold], settings: ModelSettings) throws -> [FoldPredictions] {
    try Backtest.run(all, folds: splits, settings: { fold in
      guard modelOptions.tune else { return settings }
      if fold.testCutoff != nil {
        let earlier = splits.filter { $0.precedes(fold) }
        return earlier.isEmpty ? settings : try modelOptions.tuned(all, folds: earlier, settings: settings, label: "backtest", quiet: true).0
      }
      let training = all.rows(fold.train)
      let inner = try Folds.stratified(labels: training.labels!, k: 3, seed: modelOptions.seed)
      return try modelOptions.tuned(training, folds: inner, settings: settings, label: "backtest", quiet: true).0
    }, calibrate: modelOptions.calibrationMethod) { done, count in
      StandardError.print("backtest: fold \(done) of \(count) fitted")
    }
  }

  func rates(_ t: FeatureTable, days: (Int64) -> Double) -> [RateRow] {
    var byCutoff: [Int64: (Int, Int)] = [:]
    for (c, y) in zip(t.cutoffs!, t.labels!) where !y.isNaN {
      byCutoff[c, default: (0, 0)].0 += 1
      if y == 1 { byCutoff[c, default: (0, 0)].1 += 1 }
    }
    return byCutoff.keys.sorted().map { c in
      let (n, k) = byCutoff[c]!
      let rate = wilsonInterval(successes: k, trials: n)
      return RateRow(cutoff: UTCTime.formatDate(milliseconds: c), customers: n, churned: k, rate: rate,
                     monthly: Cohorts.convert(rate: rate.value, days: days(c), periodDays: 30.4375),
                     annualized: Cohorts.convert(rate: rate.value, days: days(c), periodDays: 365))
    }
  }

  func rateTable(_ rows: [RateRow], horizon: String) -> String {
    var lines = ["churn over time (\(horizon) horizon; Wilson 95% interval; monthly and annualized at a constant hazard):",
                 "cutoff      customers  churned   rate (95% CI)          monthly  annualized"]
    for r in rows {
      lines.append(DescribeReport.pad(r.cutoff, 12) + String(format: "%9d %8d   ", r.customers, r.churned)
        + DescribeReport.pad(String(format: "%5.2f%% (%.2f–%.2f%%)", 100 * r.rate.value, 100 * r.rate.lower, 100 * r.rate.upper), 22)
        + String(format: "%7.2f%% %10.1f%%", 100 * r.monthly, 100 * r.annualized))
    }
    return lines.joined(separator: "\n")
  }

  func calibrationTable(_ t: CalibrationTable, calibrated: CalibrationTable?) -> String {
    func rows(_ t: CalibrationTable) -> [String] {
      t.bins.enumerated().map { k, b in
        String(format: "%3d %10d %9.2f%% %8.2f%% %+6.2f   %.4f–%.4f", k + 1, b.count, 100 * b.predicted, 100 * b.observed,
               100 * (b.observed - b.predicted), b.lowest, b.highest)
      }
    }
    let header = "bin  customers  predicted  observed   gap   predictions from–to"
    var lines = [header] + rows(t)
    if let calibrated {
      lines += ["after calibration (bins of the calibrated probabilities; tied values can merge bins):", header] + rows(calibrated)
    }
    return lines.joined(separator: "\n")
  }

  func gainsTable(_ gains: [GainsRow]) -> String {
    var lines = ["top   customers  churners  share of churners  lift  churn rate"]
    for g in gains {
      lines.append(String(format: "%3.0f%% %10d %9.1f %17.1f%% %5.2f %10.2f%%", 100 * g.fraction, g.customers, g.churners, 100 * g.gain, g.lift, 100 * g.churnRate))
    }
    return lines.joined(separator: "\n")
  }
}

/// A backtest that cannot run.
enum BacktestError: Error, CustomStringConvertible {
  case oneClass(path: String, rows: Int, label: Int)
  case testFromTooLate(String, lastCutoff: String)
  case noFold(String)

  var description: String {
    switch self {
    case .testFromTooLate(let testFrom, let last):
      return "--test-from \(testFrom) is after every cutoff that can be tested (the last is \(last)); expected a date on or before it"
    case .noFold(let message): return message
    case .oneClass(let path, let rows, let label):
      return "all \(rows) labelled rows of \(path) have label \(label); a churn model needs both churned and retained customers"
    }
  }
}
