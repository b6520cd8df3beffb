import ArgumentParser
import ChurnPipeline
import Foundation

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train a churn model from an event log (or a prepared table) and write the model file.",
    discussion: """
      From an event log: point-in-time features and labels at every cutoff (as churn features
      makes them); the last cutoff with known labels is held out to measure the model, with a
      purge gap (training rows must have their whole label window before it); the model written
      is then fitted on every labelled row. From a table: a CSV with an id column, feature
      columns and a label column (0/1 or yes/no), optionally with --holdout-ids.
      Features are preprocessed (one-hot categoricals, median imputation with indicators,
      fat-tail transform, standardization) and every step is saved in the model.
      --tune picks hyperparameters on the latest backtest folds; --calibrate fits Platt scaling
      or isotonic regression on out-of-time predictions (every backtest fold; k-fold for a
      table) and stores it in the model; balanced class weights are corrected back to the real
      churn rate (King & Zeng's prior correction).
      """)

  @OptionGroup var events: EventLogOptions
  @OptionGroup var customers: CustomerTableOptions
  @OptionGroup var observation: ObservationOptions
  @OptionGroup var modelOptions: ModelOptions

  @Option(help: "A prepared training table CSV instead of an event log.")
  var table: String?

  @Option(help: "Name of the label column (with --table).")
  var label: String?

  @Option(name: .customLong("id"), help: "Name of the id column (with --table; default customer_id).")
  var idFlag: String?

  @Option(help: "File of ids (one per line) held out of training and used to measure the model (with --table).")
  var holdoutIds: String?

  @Option(name: .customLong("folds"), help: "With --table and --tune or --calibrate: folds of their stratified cross-validation, 2 to 100 (default 5).")
  var foldsFlag: Int?

  @Option(help: "Where to write the model (JSON; - for standard output).")
  var out: String

  var id: String { idFlag ?? "customer_id" }
  var folds: Int { foldsFlag ?? 5 }

  func validate() throws {
    if (table == nil) == (events.events == nil) { throw ValidationError("give either --events (with cutoffs) or --table (with --label)") }
    if table != nil && label == nil { throw ValidationError("--table needs --label COLUMN") }
    try FlagRules.check("--folds", foldsFlag, in: 2...FlagRules.maxFolds)
    try customers.validate(table: table != nil)
    if table != nil {
      try FlagRules.refuse(events.givenFlags + observation.givenFlags, "applies to an event log (--events), not to --table; drop it")
      if !modelOptions.tune && modelOptions.calibrate == nil {
        try FlagRules.refuse(foldsFlag != nil ? ["--folds"] : [], "applies only with --tune or --calibrate (the folds of their cross-validation); drop it")
      }
    } else {
      try FlagRules.refuse(FlagRules.given([("--label", label != nil), ("--id", idFlag != nil), ("--holdout-ids", holdoutIds != nil), ("--folds", foldsFlag != nil)]),
                           "applies only with --table; drop it")
    }
  }

  func run() throws {
    let clock = ContinuousClock()
    let began = clock.now
    let outputs = try OutputTransaction(outputs: [("--out", out)], inputs: [("--events", events.events), ("--customers", customers.customers),
                                                                            ("--table", table), ("--holdout-ids", holdoutIds)])
    let file = table != nil ? try trainOnTable() : try trainOnEvents()
    try file.write(to: outputs.path(for: "--out"))
    try outputs.commit()
    if !outputs.writesToStandardOutput { print(FeatureWeights(file).table(top: 15)) }
    StandardError.print("train: model written to \(out) in \(String(format: "%.2f", (clock.now - began).seconds)) s")
  }

  /// Fits `settings` on `training` and prints what the fit did.
  func fit(_ training: FeatureTable, settings: ModelSettings) throws -> TrainedModel {
    let fitted = try settings.fit(training)
    StandardError.print("train: " + fitted.fitReport(labels: training.labels!, auc: { try? rocAUC(scores: $0, labels: $1) }))
    if fitted.priorShift != 0 {
      StandardError.print("train: balanced class weights: probabilities corrected by \(String(format: "%+.3f", fitted.priorShift)) log-odds "
        + "(King & Zeng's prior correction) so they average to the real churn rate")
    }
    return fitted
  }

  func summary(_ t: FeatureTable) -> String {
    let churned = t.labels!.filter { $0 == 1 }.count
    return "\(t.rowCount) rows, \(churned) churned (\(Percent.format(Double(churned) / Double(max(t.rowCount, 1)))))"
  }

  /// What the folds measured, for the model file and the bands.
  struct Measured {
    var validation = ValidationMetrics()
    var folds: [ModelFile.FoldMetrics] = []
    var calibration: Calibration?
    /// Held-out probabilities (calibrated when a map was fitted) and labels, for the risk bands.
    var heldOut: (p: [Double], y: [Double])?
    var heldOutSource = ""
    /// A model that did not see `heldOutRows`, for permutation importance.
    var heldOutModel: TrainedModel?
    var heldOutRows: FeatureTable?
  }

  /// Tunes (with --tune), backtests `folds` with the chosen settings, fits the calibration map
  /// (with --calibrate) on all their predictions, and reports. For time folds (`kind` "time")
  /// the last fold is the model's holdout; for k-fold the out-of-fold predictions together.
  func measure(_ all: FeatureTable, folds: [Fold], kind: String) throws -> (ModelSettings, ModelFile.TuningRecord?, Measured) {
    var settings = modelOptions.settings(threads: observation.threads)
    var record: ModelFile.TuningRecord?
    if modelOptions.tune { (settings, record) = try modelOptions.tuned(all, folds: folds, settings: settings, label: "train") }
    var measured = Measured()
    guard !folds.isEmpty else { return (settings, record, measured) }
    let method = modelOptions.calibrationMethod
    // Without calibration only the holdout fold is needed (the last time fold); k-fold needs all.
    let run = method == nil && kind == "time" ? [folds.last!] : folds
    let predictions = try Backtest.run(all, folds: run, settings: settings, calibrate: method)
    StandardError.print("train: backtest (\(kind == "time" ? "out-of-time, purge gap" : "stratified \(folds.count)-fold")), \(settings.summary):")
    StandardError.print("train:   " + FoldTable.header())
    var evaluations: [Evaluation] = []
    for f in predictions {
      let e = try Evaluation(probabilities: f.probabilities, labels: f.labels, replicates: 200, seed: settings.seed)
      evaluations.append(e)
      let calibrated = try f.calibrated.map { try CalibrationTable(probabilities: $0, labels: f.labels).expectedCalibrationError }
      StandardError.print("train:   " + FoldTable.line(f.fold.name, trainingRows: f.trainingRows, e, calibratedECE: calibrated))
      var metrics = MetricSet(e.metrics)
      metrics.eceCalibrated = calibrated
      measured.folds.append(.init(fold: f.fold.name, trainingRows: f.trainingRows, testRows: e.rows, churnRate: e.churnRate, metrics: metrics))
    }
    if evaluations.count > 1 { StandardError.print("train:   " + FoldTable.summary(evaluations)) }
    if kind == "time", let last = predictions.last, let e = evaluations.last {
      measured.validation.holdout = MetricSet(e.metrics)
      measured.validation.holdoutCutoff = last.fold.testCutoff
      measured.heldOut = (last.calibrated ?? last.probabilities, last.labels)
      measured.heldOutSource = "holdout cutoff \(last.fold.name), \(e.rows) rows"
      measured.heldOutModel = last.model
      measured.heldOutRows = all.rows(last.fold.test)
      StandardError.print("train: holdout cutoff \(last.fold.name): AUC \(String(format: "%.4f", e.auc.value)) on \(e.rows) rows "
        + "(model fitted on the \(last.trainingRows) rows whose label window closed by then)")
    } else {
      let p = predictions.flatMap { $0.calibrated ?? $0.probabilities }, y = predictions.flatMap(\.labels)
      measured.heldOut = (p, y)
      measured.heldOutSource = "out-of-fold predictions of \(predictions.count) folds, \(y.count) rows"
      if let last = predictions.last {
        measured.heldOutModel = last.model
        measured.heldOutRows = all.rows(last.fold.test)
      }
      if let e = try? Evaluation(probabilities: predictions.flatMap(\.probabilities), labels: y, replicates: 0) {
        // Without bootstrap replicates the intervals are the estimate itself: not kept.
        measured.validation.crossValidation = MetricSet(e.metrics.filter { !$0.key.contains("lower") && !$0.key.contains("upper") })
      }
    }
    if let method {
      var map = Calibration()
      try map.fit(method, probabilities: predictions.flatMap(\.probabilities), labels: predictions.flatMap(\.labels),
                  source: "\(predictions.count) \(kind == "time" ? "out-of-time" : "out-of-fold") folds, \(predictions.reduce(0) { $0 + $1.labels.count }) predictions")
      measured.calibration = map
      if let last = predictions.last, let calibrated = last.calibrated {
        let before = try CalibrationTable(probabilities: last.probabilities, labels: last.labels)
        let after = try CalibrationTable(probabilities: calibrated, labels: last.labels)
        measured.validation.holdout.eceCalibrated = after.expectedCalibrationError
        StandardError.print("train: \(method.rawValue) calibration: expected calibration error on \(last.fold.name) \(String(format: "%.4f", before.expectedCalibrationError)) → "
          + "\(String(format: "%.4f", after.expectedCalibrationError)) (map fitted on \(kind == "time" ? "the folds before it" : "the other folds")); the model's map uses all \(predictions.count) folds")
      }
    }
    return (settings, record, measured)
  }

  /// Puts the measured calibration after the final model's prior correction.
  func calibrated(_ fitted: TrainedModel, _ measured: Measured) -> Calibration? {
    guard var map = measured.calibration else { return fitted.priorShift != 0 ? Calibration(priorShift: fitted.priorShift) : nil }
    map.priorShift = fitted.priorShift
    return map
  }

  func finish(_ file: inout ModelFile, fitted: TrainedModel, training: FeatureTable, measured: Measured, record: ModelFile.TuningRecord?) throws {
    try fitted.checkRanksCustomers()
    file.calibration = calibrated(fitted, measured)
    if let held = measured.heldOut {
      file.holdoutPredictions = .init(source: measured.heldOutSource, probabilities: held.p, labels: held.y, seed: modelOptions.seed)
    }
    // Permutation importance: shuffling each input column of rows the model did not see (at
    // most 10,000 of them, a seeded sample; without held-out rows, 5,000 training rows, which
    // flatter the columns a forest memorized, and say so).
    var (judged, rows, source) = measured.heldOutModel.flatMap { m in measured.heldOutRows.map { (m, $0, measured.heldOutSource) } }
      ?? (fitted, training, "training rows (optimistic: no held-out rows)")
    let limit = measured.heldOutRows == nil ? 5_000 : 10_000
    if rows.rowCount > limit {
      var rng = SeededGenerator(seed: modelOptions.seed, stream: 0x9E12)
      var order = Array(0..<rows.rowCount)
      order.shuffle(using: &rng)
      rows = rows.rows(order.prefix(limit).sorted())
      source += ", a sample of \(limit)"
    }
    if Set(rows.labels!).count == 2 {
      let model = judged
      let clock = ContinuousClock()
      let began = clock.now
      file.permutationImportance = try PermutationImportance.compute(
        table: rows, probabilities: { try model.probabilities($0) }, metric: "auc",
        score: { try rocAUC(scores: $0, labels: $1) }, repeats: 5, seed: modelOptions.seed, rows: source, threads: observation.threads)
      StandardError.print("train: permutation importance (drop in AUC, 5 shuffles per column) on \(source) in \(String(format: "%.2f", (clock.now - began).seconds)) s")
    }
    file.tuning = record
    file.backtest = measured.folds.isEmpty ? nil : measured.folds
    let raw = fitted.rawProbabilities(fitted.x)
    let scores = file.calibration.apply(raw)
    file.validation.trainingAUC = try? rocAUC(scores: scores, labels: training.labels!)
    let mean = scores.reduce(0, +) / Double(scores.count)
    StandardError.print("train: final model: mean predicted probability \(Percent.format(mean)) against an observed churn rate of \(Percent.format(file.training.churnRate))")
    let learned = RiskBands.learn(scores: scores)
    if let note = learned.unevenNote(scores: scores) { StandardError.print("train: note: " + note) }
    let bands = measured.heldOut.map { learned.measured(scores: $0.p, labels: $0.y) } ?? learned.measured(scores: scores, labels: training.labels!)
    report(bands)
    file.riskBands = bands
    file.driftReferences = ModelFile.driftReferences(training)
    file.scoreReference = DriftReference.numeric("(churn score)", scores)
  }

  func trainOnTable() throws -> ModelFile {
    let (all, dates) = try customers.preparedTable(table!, idColumn: id, label: label!)
    var notes: [String] = []
    if !dates.isEmpty { notes.append("date columns left out of the features: \(dates.joined(separator: ", "))") }
    let labels = all.labels!
    var trainRows = labels.indices.filter { !labels[$0].isNaN }
    var testRows: [Int] = []
    if let holdoutIds {
      let held = try HoldoutIds(path: holdoutIds, idColumn: id)
      let split = try held.split(rowIds: all.ids, labels: labels, table: table!, idColumn: id)
      (trainRows, testRows) = (split.train, split.test)
      StandardError.print("train: \(testRows.count) labelled rows held out (ids in \(holdoutIds))")
      if let first = split.unknown.first {
        let count = split.unknown.count == 1 ? "1 id in \(holdoutIds) is not" : "\(split.unknown.count) ids in \(holdoutIds) are not"
        notes.append("\(count) in column \(id) of \(table!) (line \(first.line): \"\(first.id)\")")
      }
    }
    let unlabelled = labels.count - labels.filter { !$0.isNaN }.count
    if unlabelled > 0 { notes.append("\(unlabelled) rows with a blank label left out of training") }
    let training = all.rows(trainRows)
    StandardError.print("train: \(summary(training)), \(training.columnNames.count) input columns")
    let needsFolds = modelOptions.tune || modelOptions.calibrate != nil
    let folds = needsFolds ? try Folds.stratified(labels: training.labels!, k: folds, seed: modelOptions.seed) : []
    var (settings, record, measured) = try measure(training, folds: folds, kind: "k-fold")
    let fitted = try fit(training, settings: settings)
    notes += fitted.preprocessor.notes
    var file = ModelFile(churnVersion: Churn.configuration.version, idColumn: id, labelColumn: label!, trained: fitted,
                         training: .init(rows: training.rowCount, churned: training.labels!.filter { $0 == 1 }.count,
                                         dataFingerprint: ModelFile.fingerprint(training), notes: notes))
    file.validation = measured.validation
    if !testRows.isEmpty {
      let test = all.rows(testRows)
      let raw = fitted.rawProbabilities(try fitted.preprocessor.transform(test))
      let p = calibrated(fitted, measured).apply(raw)
      let e = try Evaluation(probabilities: p, labels: test.labels!, replicates: 200, seed: settings.seed)
      file.validation.holdout = MetricSet(e.metrics)
      measured.heldOut = (p, test.labels!)
      measured.heldOutSource = "holdout ids, \(test.rowCount) rows"
      measured.heldOutModel = fitted
      measured.heldOutRows = test
      StandardError.print("train: holdout AUC \(String(format: "%.4f", e.auc.value)) on \(test.rowCount) rows; in full:")
      StandardError.print("train:   " + FoldTable.header())
      StandardError.print("train:   " + FoldTable.line("holdout", trainingRows: training.rowCount, e))
    } else if measured.heldOut == nil {
      StandardError.print("train: note: no holdout given (--holdout-ids) and no cross-validation run: the bands' churn rates below are measured on the training rows (optimistic)")
    }
    try finish(&file, fitted: fitted, training: training, measured: measured, record: record)
    for note in notes { StandardError.print("train: note: " + note) }
    return file
  }

  func trainOnEvents() throws -> ModelFile {
    let table = try customers.load(eventCustomerColumn: events.customerColumn)
    let (reader, progress) = try events.reader(label: "train")
    let result = try observation.build(events: reader, customers: table, spec: nil)
    progress?.finish()
    FeatureReport.print(result, seconds: 0, label: "train")
    let all = result.table
    let labels = all.labels!
    let labelled = labels.indices.filter { !labels[$0].isNaN }
    guard !labelled.isEmpty else {
      throw CommandError("no cutoff has a known label: every horizon runs past the end of the data; use earlier cutoffs")
    }
    let design = try observation.design()
    let folds = Folds.timeOrdered(cutoffs: all.cutoffs!, labels: labels, labelWindowEnd: { design.horizon.added(to: $0) })
    if folds.isEmpty, let purpose = modelOptions.tune ? "--tune" : modelOptions.calibrate.map({ _ in "--calibrate" }) {
      // Checked before any fitting: without a fold there is nothing to tune or calibrate on.
      throw FoldError.noTimeFolds(purpose: purpose, cutoffs: Set(labelled.map { all.cutoffs![$0] }).count,
                                  churned: labelled.filter { labels[$0] == 1 }.count, retained: labelled.filter { labels[$0] == 0 }.count)
    }
    if folds.isEmpty {
      StandardError.print("train: note: no holdout measurement (needs an earlier cutoff whose label window closes before the last one, and both classes)")
    }
    let (settings, record, measured) = try measure(all, folds: folds, kind: "time")
    let training = all.rows(labelled)
    StandardError.print("train: final model on every labelled row: \(summary(training))")
    let fitted = try fit(training, settings: settings)
    let notes = result.notes + fitted.preprocessor.notes
    for note in fitted.preprocessor.notes { StandardError.print("train: note: " + note) }
    var file = ModelFile(churnVersion: Churn.configuration.version, idColumn: events.customerColumn, labelColumn: "label", trained: fitted,
                         training: .init(rows: training.rowCount, churned: training.labels!.filter { $0 == 1 }.count,
                                         dataFingerprint: ModelFile.fingerprint(training), notes: notes))
    file.validation = measured.validation
    file.featureSpec = result.spec
    let holdoutCutoff = folds.last?.testCutoff
    file.events = .init(horizon: design.horizon.description, activeWindow: design.activeWindow?.description,
                        activityTypes: design.activityTypes, contractual: table?.hasChurnDates ?? false,
                        trainingCutoffs: design.cutoffs.map { UTCTime.formatDate(milliseconds: $0) },
                        holdoutCutoff: holdoutCutoff.map { UTCTime.formatDate(milliseconds: $0) },
                        customerColumn: events.customerColumn, timestampColumn: events.timestampColumn,
                        eventTypeColumn: events.eventTypeColumn, valueColumn: events.valueColumn,
                        signupColumn: customers.signupColumn, churnDateColumn: customers.churnDateColumn)
    try finish(&file, fitted: fitted, training: training, measured: measured, record: record)
    return file
  }

  func report(_ bands: RiskBands) {
    let parts = ["red", "yellow", "green"].map { band -> String in
      let rate = bands.observedChurnRate[band].map { Percent.format($0) } ?? "-"
      return "\(band) \(rate) of \(bands.observedRows[band] ?? 0)"
    }
    StandardError.print("train: risk bands: red ≥ \(String(format: "%.3f", bands.red)), yellow ≥ \(String(format: "%.3f", bands.yellow)); observed churn: " + parts.joined(separator: ", "))
  }
}
