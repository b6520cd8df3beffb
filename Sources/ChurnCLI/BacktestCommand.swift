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
      Hyperparameters not given as flags (--l2; --min-leaf, --features-per-split; --trees,
      --max-leaves) are chosen
      for each fold on earlier folds only (nested), as churn train chooses them; --tune uses
      the wider grid.
      """)

  @OptionGroup var events: EventLogOptions
  @OptionGroup var customers: CustomerTableOptions
  @OptionGroup var observation: ObservationOptions
  @OptionGroup var families: FeatureFamilyOptions
  @OptionGroup var modelOptions: ModelOptions
  @OptionGroup var survivalOptions: SurvivalOptions
  @OptionGroup var database: DatabaseOptions

  @Option(help: "A prepared table, a .csv or .csv.gz file, instead of an event log (stratified k-fold).")
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
    try database.validate(files: FlagRules.given([("--events", events.events != nil), ("--customers", customers.customers != nil),
                                                  ("--table", table != nil)]))
    if (table == nil) == (events.events == nil && database.database == nil) {
      throw ValidationError("give either --events (with cutoffs) or --table (with --label)")
    }
    if table != nil && label == nil { throw ValidationError("--table needs --label COLUMN") }
    if table != nil && survivalOptions.survival { throw ValidationError(SurvivalError.preparedTable.description) }
    try survivalOptions.validate(family: modelOptions.model)
    try FlagRules.check("--folds", foldsFlag, in: 2...FlagRules.maxFolds)
    try FlagRules.check("--bootstrap", bootstrap, in: 0...FlagRules.maxBootstrap)
    if database.database == nil || database.customersTable == nil { try customers.validate(table: table != nil) }
    if table != nil {
      try FlagRules.refuse(events.givenFlags + observation.givenFlags + families.givenFlags + (testFrom != nil ? ["--test-from"] : []),
                           "applies to an event log (--events), not to --table; drop it")
    } else {
      try FlagRules.refuse(FlagRules.given([("--label", label != nil), ("--id", idFlag != nil), ("--folds", foldsFlag != nil)]), "applies only with --table; drop it")
    }
  }

  func run() throws {
    let clock = ContinuousClock()
    let began = clock.now
    let outputs = try OutputTransaction(outputs: [("--out", out)], inputs: [("--events", events.events), ("--customers", customers.customers), ("--table", table)])
    // With --out -, the JSON owns standard output; the tables go to standard error.
    let print: (String) -> Void = outputs.writesToStandardOutput ? { StandardError.print($0) } : { Swift.print($0) }
    var trainer = modelOptions.trainer(threads: observation.threads, log: .standardError("backtest"))
    trainer.survival = try survivalOptions.settings(for: modelOptions.model)
    let result = try table.map { try trainer.backtest(customers.tableData($0, idColumn: id, label: label), folds: folds, bootstrap: bootstrap) }
      ?? database.source(events: events, customers: customers).map { try trainer.backtest($0, plan: observation.plan(families), testFrom: testFrom, bootstrap: bootstrap) }
      ?? trainer.backtest(events.data(customers: customers, threads: observation.threads), plan: observation.plan(families), testFrom: testFrom, bootstrap: bootstrap)
    render(result).forEach(print)
    if let out {
      try OutputFile.write(try TextTable.json(result) + "\n", to: outputs.path(for: "--out"))
      try outputs.commit()
      StandardError.print("backtest: results written to \(out)")
    }
    StandardError.print("backtest: done in \(String(format: "%.2f", (clock.now - began).seconds)) s")
  }

  /// The tables printed: churn over time, per-fold metrics, the last fold's calibration and gains.
  func render(_ result: BacktestResult) -> [String] {
    var text: [String] = []
    if let rows = result.churnOverTime { text.append(rateTable(rows, horizon: result.horizon ?? "")) }
    text += ["\n\(result.model) model (\(result.tuned ? "tuned per fold on earlier folds" : result.settings)):", FoldTable.header()]
    for f in result.folds {
      text.append(FoldTable.line(f.fold, trainingRows: f.trainingRows, f.evaluation, calibratedECE: f.calibrated?.calibration.expectedCalibrationError,
                                 intervals: result.intervals) + (result.tuned ? "  [\(f.settings)]" : ""))
    }
    if result.folds.count > 1 { text.append(FoldTable.summary(result.folds.map(\.evaluation))) }
    if let last = result.folds.last {
      text.append("\ncalibration on \(last.fold) (10 quantile bins; expected calibration error \(String(format: "%.4f", last.evaluation.calibration.expectedCalibrationError))"
        + (last.calibrated.map { String(format: ", calibrated %.4f", $0.calibration.expectedCalibrationError) } ?? "") + "):")
      text.append(calibrationTable(last.evaluation.calibration, calibrated: last.calibrated?.calibration))
      text.append("\ncumulative gains on \(last.fold):")
      text.append(gainsTable(last.evaluation.gains))
    }
    if result.folds.contains(where: { $0.survival != nil }) { text += survivalTables(result.folds) }
    return text
  }

  /// A survival model's folds: concordance and integrated Brier score per fold, then the last
  /// fold's predicted survival against Kaplan–Meier per risk decile.
  func survivalTables(_ folds: [BacktestResult.FoldResult]) -> [String] {
    var lines = ["\ntime to churn (observed times with censoring; C: Harrell's concordance of the expected periods remaining; "
      + "IBS: integrated Brier score over periods 1…K):", "fold         customers  churned   C       pairs        IBS"]
    for f in folds {
      guard let s = f.survival else { continue }
      lines.append(TextTable.pad(f.fold, 12) + String(format: "%9d %8d   %.4f %11d   %.4f", s.customers, s.churned, s.concordance, s.comparablePairs,
                                                    s.integratedBrierScore))
    }
    guard let last = folds.last, let s = last.survival else { return lines }
    lines.append("\npredicted survival against Kaplan–Meier per risk decile on \(last.fold) (decile 1 the riskiest by churn probability; "
      + "S(k) predicted / observed, k = 1…\(s.periods)):")
    for d in s.deciles {
      let pairs = zip(d.predicted, d.kaplanMeier).map { p, km in String(format: "%.3f/", p) + (km.map { String(format: "%.3f", $0) } ?? "  —  ") }
        .joined(separator: "  ")
      lines.append(String(format: "%2d %6d  ", d.decile, d.customers) + pairs)
    }
    return lines
  }

  func rateTable(_ rows: [BacktestResult.RateRow], horizon: String) -> String {
    var lines = ["churn over time (\(horizon) horizon; Wilson 95% interval; monthly and annualized at a constant hazard):",
                 "cutoff      customers  churned   rate (95% CI)          monthly  annualized"]
    for r in rows {
      lines.append(TextTable.pad(r.cutoff, 12) + String(format: "%9d %8d   ", r.customers, r.churned)
        + TextTable.pad(String(format: "%5.2f%% (%.2f–%.2f%%)", 100 * r.rate.value, 100 * r.rate.lower, 100 * r.rate.upper), 22)
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
