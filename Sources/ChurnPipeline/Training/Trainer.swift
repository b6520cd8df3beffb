import ChurnCore
import ChurnFeatures
import ChurnModels
import ChurnScoring
import Foundation

/// The training job: a model file from an event log or a prepared table, measured honestly.
///
/// From an event log: point-in-time features and labels at every cutoff; the last cutoff with
/// known labels is held out to measure the model, with a purge gap (training rows must have
/// their whole label window before it); the model returned is then fitted on every labelled
/// row. From a table: an id column, feature columns and a label column, optionally with ids
/// held out. With `tuning`, hyperparameters are chosen on the latest backtest folds; with
/// `calibration`, a Platt or isotonic map is fitted on out-of-time (or out-of-fold)
/// predictions and stored in the model. Risk bands are measured on held-out rows and
/// permutation importance on rows the judged model did not see.
///
/// ```swift
/// let plan = try ObservationPlan(cutoffs: "2025-01-01:2025-11-01:1m", horizon: "30d")
/// let result = try Trainer().train(EventData(events: "events.csv", customers: "customers.csv"), plan: plan)
/// try result.model.write(to: "model.json")
/// ```
public struct Trainer: Sendable {
  /// The model family, hyperparameters, class weight, seed and threads.
  public var settings: ModelSettings
  /// The calibration map to fit on out-of-sample predictions (nil: none).
  public var calibration: Calibration.Method?
  /// Hyperparameter tuning on the backtest folds (nil: the settings as given).
  public var tuning: Tuning?
  /// Where progress lines and notes go while the job runs.
  public var log: JobLog
  /// Whether to measure permutation importance (`.none` leaves it out of the model file).
  public var importance = ImportanceSetting.auto
  /// A discrete-time survival model of K periods (`churn train --survival --periods K`): the
  /// hazard model is fitted on person-period rows (`PersonPeriodRows`); nil: the fixed-horizon model.
  public var survival: SurvivalSettings?

  /// - Parameters:
  ///   - settings: the model settings (their `threads` also run permutation importance).
  ///   - calibration: Platt or isotonic calibration, or nil.
  ///   - tuning: the metric and fold count of tuning, or nil.
  ///   - log: where the job's lines go (default: nowhere).
  public init(settings: ModelSettings = ModelSettings(), calibration: Calibration.Method? = nil, tuning: Tuning? = nil, log: JobLog = .silent) {
    self.settings = settings
    self.calibration = calibration
    self.tuning = tuning
    self.log = log
  }

  /// Trains from an event log: features at every cutoff of `plan`, an out-of-time holdout with
  /// a purge gap, calibration, bands measured on held-out rows, permutation importance, and the
  /// final model fitted on every labelled row.
  ///
  /// - Parameters:
  ///   - data: the event log and its customer table.
  ///   - plan: cutoffs, horizon and feature windows.
  /// - Returns: the model file (with its feature spec and observation design) and the report.
  /// - Throws: `TrainerError.noLabelledCutoff` when every horizon runs past the data;
  ///   `FoldError.noTimeFolds` when tuning or calibration has no fold; the errors of reading
  ///   the data, building features and fitting.
  public func train(_ data: EventData, plan: ObservationPlan) throws -> TrainingResult {
    let customers = try data.loadCustomers()
    try checkSurvival(customers: customers)
    return try train(built: try plan.features(data, customers: customers, log: log), customers: customers, columns: data.columns,
                     signupColumn: data.customerColumns.signupColumn, churnDateColumn: data.customerColumns.churnDateColumn, plan: plan)
  }

  /// Trains from feature rows already built (from files or by a database), the customer table
  /// they were built with, and the names of the columns they came from (stored in the model).
  func train(built: consuming FeatureBuilder.Result, customers: CustomerTable?, columns: EventLogColumns, signupColumn: String,
             churnDateColumn: String, plan: ObservationPlan) throws -> TrainingResult {
    var built = built
    try checkSurvival(customers: customers)
    var report = TrainingReport()
    report.features = FeatureRunSummary(built)
    report.features!.lines.forEach(log.line)
    let design = try plan.design()
    // A survival model learns from person-period rows: the table expanded (see `personPeriods`).
    let periods = try survival.map { try personPeriods(built.table, customers: customers, design: design, dataEnd: built.dataEnd, settings: $0) }
    // One holder of the feature table, let go before the final fit (see below).
    let all = periods?.table ?? built.table
    built.table = FeatureTable(ids: [])
    let labels = all.labels!
    let labelled = all.labelledRows
    guard !labelled.isEmpty else { throw TrainerError.noLabelledCutoff }
    let folds = periods?.timeFolds() ?? Folds.timeOrdered(cutoffs: all.cutoffs!, labels: labels, labelWindowEnd: { design.horizon.added(to: $0) })
    if folds.isEmpty, let purpose = tuning?.candidates == .grid ? "--tune" : calibration.map({ _ in "--calibrate" }) {
      // Checked before any fitting: without a fold there is nothing to tune or calibrate on.
      throw FoldError.noTimeFolds(purpose: purpose, cutoffs: Set(labelled.map { all.cutoffs![$0] }).count,
                                  churned: labelled.filter { labels[$0] == 1 }.count, retained: labelled.filter { labels[$0] == 0 }.count)
    }
    if folds.isEmpty {
      log.note("no holdout measurement (needs an earlier cutoff whose label window closes before the last one, and both classes)")
    }
    let (settings, measured) = try measureOutOfTime(all, folds: folds, report: &report)
    let training = all.rows(labelled)
    // The whole table let go: the fit frees the training rows' columns as it writes the matrix.
    _ = consume all
    log.line("final model on every labelled row: \(summary(training))")
    let (fitted, final) = try fit(consuming: training, settings: settings, importanceOnTraining: measured.heldOutRows == nil, report: &report)
    report.notes = built.notes + fitted.preprocessor.notes
    for note in fitted.preprocessor.notes { log.note(note) }
    var file = ModelFile(churnVersion: churnVersion, idColumn: columns.customer, labelColumn: "label", trained: fitted,
                         training: final.summary(notes: report.notes))
    file.validation = measured.validation
    file.featureSpec = built.spec
    file.ownerColumn = customers?.ownerColumn
    let holdoutCutoff = folds.last?.testCutoff
    file.events = .init(horizon: design.horizon.description, activeWindow: design.activeWindow?.description,
                        activityTypes: design.activityTypes, contractual: customers?.hasChurnDates ?? false,
                        trainingCutoffs: design.cutoffs.map { UTCTime.formatDate(milliseconds: $0) },
                        holdoutCutoff: holdoutCutoff.map { UTCTime.formatDate(milliseconds: $0) },
                        customerColumn: columns.customer, timestampColumn: columns.timestamp,
                        eventTypeColumn: columns.eventType, valueColumn: columns.value ?? "value",
                        signupColumn: signupColumn, churnDateColumn: churnDateColumn)
    try finish(&file, fitted: fitted, final: final, measured: measured, record: report.tuning, report: &report,
               scoredRows: periods?.firstPeriodRows)
    if let survival { file.recordSurvival(survival) }
    return TrainingResult(model: file, report: report)
  }

  /// Trains from a prepared table: the rows with a label, less those whose ids are in
  /// `holdoutIds` (they measure the model); `folds` stratified folds for tuning and calibration.
  ///
  /// - Parameters:
  ///   - table: the table, with its label column in `table.label`.
  ///   - holdoutIds: a file of ids (one per line) held out of training, or nil.
  ///   - folds: the folds of the cross-validation that tuning and calibration run on.
  /// - Returns: the model file and the report.
  /// - Throws: `TrainerError.noLabelColumn` without `table.label`; the errors of reading the
  ///   table and the ids, making folds and fitting.
  public func train(_ table: TableData, holdoutIds: String? = nil, folds: Int = 5) throws -> TrainingResult {
    guard let labelColumn = table.label else { throw TrainerError.noLabelColumn(table.path) }
    if survival != nil { throw SurvivalError.preparedTable }
    let (all, dates) = try table.load()
    var report = TrainingReport()
    var notes: [String] = []
    if !dates.isEmpty { notes.append("date columns left out of the features: \(dates.joined(separator: ", "))") }
    let labels = all.labels!
    var trainRows = all.labelledRows
    var testRows: [Int] = []
    if let holdoutIds {
      let held = try HoldoutIds(path: holdoutIds, idColumn: table.idColumn)
      let split = try held.split(rowIds: all.ids, labels: labels, table: table.path, idColumn: table.idColumn)
      (trainRows, testRows) = (split.train, split.test)
      log.line("\(testRows.count) labelled rows held out (ids in \(holdoutIds))")
      if let first = split.unknown.first {
        let count = split.unknown.count == 1 ? "1 id in \(holdoutIds) is not" : "\(split.unknown.count) ids in \(holdoutIds) are not"
        notes.append("\(count) in column \(table.idColumn) of \(table.path) (line \(first.line): \"\(first.id)\")")
      }
    }
    let unlabelled = all.rowCount - all.labelledRows.count
    if unlabelled > 0 { notes.append("\(unlabelled) rows with a blank label left out of training") }
    // The held-out rows are cut before the fit, and the whole table let go: when every row
    // trains, `training` shares its columns, which the fit frees as it writes the matrix.
    let test = testRows.isEmpty ? nil : all.rows(testRows)
    let training = all.rows(trainRows)
    _ = consume all
    report.table = .init(rows: training.rowCount, churned: training.churnedCount, inputColumns: training.columnNames.count,
                         heldOut: testRows.count, holdoutIds: holdoutIds)
    log.line("\(summary(training)), \(training.columnNames.count) input columns")
    // The default search makes its own 3-fold split (or scores a forest out of bag) and adds
    // no cross-validation measurement; --tune and --calibrate run on the `folds` folds.
    let needsFolds = tuning?.candidates == .grid || calibration != nil
    let splits = needsFolds ? try Folds.stratified(labels: training.labels!, k: folds, seed: settings.seed) : []
    var tuningFolds = splits
    if case .search = tuning?.candidates {
      tuningFolds = (try? Folds.stratified(labels: training.labels!, k: 3, seed: settings.seed)) ?? []
    }
    var (settings, measured) = try measure(training, folds: splits, outOfTime: false, tuning: (training, tuningFolds), report: &report)
    let (fitted, final) = try fit(consuming: training, settings: settings,
                                  importanceOnTraining: measured.heldOutRows == nil && test == nil, report: &report)
    notes += fitted.preprocessor.notes
    var file = ModelFile(churnVersion: churnVersion, idColumn: table.idColumn, labelColumn: labelColumn, trained: fitted,
                         training: final.summary(notes: notes))
    file.validation = measured.validation
    file.ownerColumn = table.ownerColumn
    if let test {
      let raw = fitted.rawProbabilities(try fitted.preprocessor.transform(test))
      let p = calibrated(fitted, measured).apply(raw)
      let e = try Evaluation(probabilities: p, labels: test.labels!, replicates: 200, seed: settings.seed)
      file.validation.holdout = MetricSet(e.metrics)
      measured.heldOut = (p, test.labels!)
      measured.heldOutSource = "holdout ids, \(test.rowCount) rows"
      measured.heldOutModel = fitted
      measured.heldOutRows = test
      report.holdout = .init(name: "holdout", cutoff: nil, trainingRows: final.rows, evaluation: e)
      log.line(report.holdout!.text)
      log.line("  " + FoldTable.header())
      log.line("  " + FoldTable.line("holdout", trainingRows: final.rows, e))
    } else if measured.heldOut == nil {
      log.note("no holdout given (--holdout-ids) and no cross-validation run: the bands' churn rates below are measured on the training rows (optimistic)")
    }
    try finish(&file, fitted: fitted, final: final, measured: measured, record: report.tuning, report: &report)
    report.notes = notes
    for note in notes { log.note(note) }
    return TrainingResult(model: file, report: report)
  }

  // MARK: - Steps

  /// What the job still needs of the final model's training rows once the fit has taken
  /// them: taken from the table before the fit (`fit(consuming:)`).
  struct FinalRows {
    var rows: Int
    var churned: Int
    var labels: [Double]
    var fingerprint: String
    /// The rows permutation importance falls back to without held-out rows (a seeded sample of
    /// at most 5,000), and how to name them; nil when not needed.
    var importanceRows: (rows: FeatureTable, source: String)?
    var driftReferences: [DriftReference]

    func summary(notes: [String]) -> ModelFile.TrainingSummary {
      .init(rows: rows, churned: churned, dataFingerprint: fingerprint, notes: notes)
    }
  }

  /// Fits `settings` on `training` and logs what the fit did. Everything the job needs of the
  /// raw rows besides the matrix (`FinalRows`) is taken first, then the table is handed to the
  /// fit, which frees its columns as it writes the matrix when nothing else holds them.
  ///
  /// - Parameter importanceOnTraining: no held-out rows will judge permutation importance: a
  ///   sample of these rows is kept for it.
  func fit(consuming training: consuming FeatureTable, settings: ModelSettings, importanceOnTraining: Bool,
           report: inout TrainingReport) throws -> (TrainedModel, FinalRows) {
    let prepared = try settings.prepare(training)
    var importanceRows: (FeatureTable, String)?
    if importance != .none && importanceOnTraining {
      let limit = 5_000
      if training.rowCount > limit {
        var rng = SeededGenerator(seed: settings.seed, stream: 0x9E12)
        var order = Array(0..<training.rowCount)
        order.shuffle(using: &rng)
        importanceRows = (training.rows(order.prefix(limit).sorted()), "training rows (optimistic: no held-out rows), a sample of \(limit)")
      } else {
        importanceRows = (copy training, "training rows (optimistic: no held-out rows)")
      }
    }
    let final = FinalRows(rows: training.rowCount, churned: training.churnedCount, labels: prepared.labels,
                          fingerprint: ModelFile.fingerprint(training), importanceRows: importanceRows,
                          driftReferences: ModelFile.driftReferences(training, deciles: prepared.deciles, threads: settings.threads))
    let fitted = try settings.fit(prepared, consuming: training)
    report.fit = fitted.fitReport(labels: final.labels, auc: { try? rocAUC(scores: $0, labels: $1) })
    report.priorShift = fitted.priorShift
    report.finalRows = final.rows
    report.finalChurned = final.churned
    log.line(report.fit)
    if let text = report.priorShiftText { log.line(text) }
    return (fitted, final)
  }

  func summary(_ t: FeatureTable) -> String {
    TrainingReport.rowSummary(rows: t.rowCount, churned: t.churnedCount)
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

  /// The out-of-time measurement of `train(_:plan:)`, with the hyperparameters chosen on the
  /// folds before the holdout (their labels known by its cutoff), never on the holdout rows the
  /// model is measured on. A function of its own, so that nothing but the caller's `all` holds
  /// the table once it returns. (Written first as a `do` block assigning `let` constants declared
  /// before it, next to `_ = consume all`: with Swift 6.3 that crashed the process with a bad
  /// pointer whenever a later step threw, TrainerTests.errors; a function has no such path.)
  func measureOutOfTime(_ all: FeatureTable, folds: [Fold], report: inout TrainingReport) throws -> (ModelSettings, Measured) {
    var tuningFolds = folds.last.map { holdout in folds.filter { $0.precedes(holdout) } } ?? []
    var tuningTable = all
    if tuningFolds.isEmpty, let holdout = folds.last {
      if tuning?.candidates == .grid { throw TrainerError.noTuningFoldBeforeHoldout(holdout.name) }
      if case .search = tuning?.candidates {
        // A horizon long against the history leaves no out-of-time fold before the holdout:
        // the holdout fold's own training rows (label windows closed by its cutoff), 3 folds
        // of whole customers. Still nothing from the holdout's rows or its label window.
        tuningTable = all.rows(holdout.train)
        tuningFolds = Folds.byCustomer(ids: tuningTable.ids, labels: tuningTable.labels!, k: 3, seed: settings.seed)
        if !tuningFolds.isEmpty, tuning!.candidates(for: settings, columns: all.columnNames.count).count > 1 {
          log.note("no out-of-time fold before the holdout cutoff \(holdout.name): the default search compares candidates on the "
            + "\(tuningTable.rowCount) rows whose label window closed by then, in 3 folds of whole customers")
        }
      }
    }
    return try measure(all, folds: folds, outOfTime: true, tuning: (tuningTable, tuningFolds), report: &report)
  }

  /// Tunes (with `tuning`, on the folds of `rows`, which never test the rows reported on),
  /// backtests `folds` with the chosen settings, fits the calibration map (with `calibration`)
  /// on all their predictions, and reports. For out-of-time folds the last fold is the model's
  /// holdout; for k-fold the out-of-fold predictions together.
  func measure(_ all: FeatureTable, folds: [Fold], outOfTime: Bool, tuning rows: (table: FeatureTable, folds: [Fold]),
               report: inout TrainingReport) throws -> (ModelSettings, Measured) {
    var settings = try fitSettings()
    let tuningFolds = rows.folds
    if let tuning {
      if case .search = tuning.candidates, tuningFolds.isEmpty {
        if tuning.candidates(for: settings, columns: all.columnNames.count).count > 1 {
          log.note("default search skipped: " + (outOfTime ? "no out-of-time fold before the holdout cutoff, and too few rows before it for 3 folds of customers with both classes" : "fewer than 3 rows of each class for its 3 folds")
            + "; \(settings.summary) kept (the family's default)")
        }
      } else {
        (settings, report.tuning) = try tuning.choose(rows.table, folds: tuningFolds, settings: settings, log: log)
      }
    }
    var measured = Measured()
    guard !folds.isEmpty else { return (settings, measured) }
    let method = calibration
    // Without calibration only the holdout fold is needed (the last time fold); k-fold needs all.
    let run = method == nil && outOfTime ? [folds.last!] : folds
    let predictions = try Backtest.run(all, folds: run, settings: settings, calibrate: method)
    var backtest = TrainingReport.BacktestFolds(outOfTime: outOfTime, k: folds.count, settings: settings.summary, folds: [])
    log.line(backtest.title)
    log.line("  " + FoldTable.header())
    for f in predictions {
      let e = try Evaluation(probabilities: f.probabilities, labels: f.labels, replicates: 200, seed: settings.seed)
      let calibrated = try f.calibrated.map { try CalibrationTable(probabilities: $0, labels: f.labels).expectedCalibrationError }
      backtest.folds.append(.init(fold: f.fold.name, trainingRows: f.trainingRows, evaluation: e, calibratedECE: calibrated))
      log.line("  " + FoldTable.line(f.fold.name, trainingRows: f.trainingRows, e, calibratedECE: calibrated))
      var metrics = MetricSet(e.metrics)
      metrics.eceCalibrated = calibrated
      measured.folds.append(.init(fold: f.fold.name, trainingRows: f.trainingRows, testRows: e.rows, churnRate: e.churnRate, metrics: metrics))
    }
    report.backtest = backtest
    let evaluations = backtest.folds.map(\.evaluation)
    if evaluations.count > 1 { log.line("  " + FoldTable.summary(evaluations)) }
    if outOfTime, let last = predictions.last, let e = evaluations.last {
      measured.validation.holdout = MetricSet(e.metrics)
      measured.validation.holdoutCutoff = last.fold.testCutoff
      measured.heldOut = (last.calibrated ?? last.probabilities, last.labels)
      measured.heldOutSource = "holdout cutoff \(last.fold.name), \(e.rows) rows"
      measured.heldOutModel = last.model
      measured.heldOutRows = all.rows(last.fold.test)
      report.holdout = .init(name: last.fold.name, cutoff: last.fold.testCutoff, trainingRows: last.trainingRows, evaluation: e)
      log.line(report.holdout!.text)
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
                  source: "\(predictions.count) \(outOfTime ? "out-of-time" : "out-of-fold") folds, \(predictions.reduce(0) { $0 + $1.labels.count }) predictions")
      measured.calibration = map
      if let last = predictions.last, let calibrated = last.calibrated {
        let before = try CalibrationTable(probabilities: last.probabilities, labels: last.labels)
        let after = try CalibrationTable(probabilities: calibrated, labels: last.labels)
        measured.validation.holdout.eceCalibrated = after.expectedCalibrationError
        report.calibration = .init(method: method, fold: last.fold.name, before: before.expectedCalibrationError, after: after.expectedCalibrationError,
                                   folds: predictions.count, outOfTime: outOfTime)
        log.line(report.calibration!.text)
      }
    }
    return (settings, measured)
  }

  /// Puts the measured calibration after the final model's prior correction.
  func calibrated(_ fitted: TrainedModel, _ measured: Measured) -> Calibration? {
    guard var map = measured.calibration else { return fitted.priorShift != 0 ? Calibration(priorShift: fitted.priorShift) : nil }
    map.priorShift = fitted.priorShift
    return map
  }

  /// Fills the model file: calibration, held-out predictions, permutation importance, tuning,
  /// backtest, training AUC, risk bands and drift references.
  ///
  /// - Parameter scoredRows: the training rows whose scores are churn probabilities (a survival
  ///   model's period-1 rows), for the training AUC, the bands and the score's drift reference;
  ///   nil: every row.
  func finish(_ file: inout ModelFile, fitted: TrainedModel, final: FinalRows, measured: Measured, record: ModelFile.TuningRecord?,
              report: inout TrainingReport, scoredRows: [Int]? = nil) throws {
    // The training rows' raw probabilities, computed once: for the check and for the scores below.
    var raw = fitted.rawProbabilities(fitted.x)
    try fitted.checkRanksCustomers(probabilities: raw)
    var labels = final.labels
    if let scoredRows { (raw, labels) = (scoredRows.map { raw[$0] }, scoredRows.map { labels[$0] }) }
    file.calibration = calibrated(fitted, measured)
    if let held = measured.heldOut {
      file.holdoutPredictions = .init(source: measured.heldOutSource, probabilities: held.p, labels: held.y, seed: settings.seed)
    }
    // Permutation importance: shuffling each input column of rows the model did not see (at
    // most 10,000 of them, a seeded sample; without held-out rows, 5,000 training rows, which
    // flatter the columns a forest memorized, and say so).
    if importance == .none {
      log.line("permutation importance: not measured (--importance none)")
    } else if let (judged, all, described) = measured.heldOutModel.flatMap({ m in measured.heldOutRows.map { (m, $0, measured.heldOutSource) } })
                ?? final.importanceRows.map({ (fitted, $0.rows, $0.source) }) {
      var (rows, source) = (all, described)
      // The training rows' sample was drawn before the fit (`FinalRows`).
      let limit = 10_000
      if rows.rowCount > limit {
        var rng = SeededGenerator(seed: settings.seed, stream: 0x9E12)
        var order = Array(0..<rows.rowCount)
        order.shuffle(using: &rng)
        rows = rows.rows(order.prefix(limit).sorted())
        source += ", a sample of \(limit)"
      }
      if Set(rows.labels!).count == 2 {
        let clock = ContinuousClock()
        let began = clock.now
        file.permutationImportance = try PermutationImportance.compute(
          judged, on: rows, metric: "auc", score: { try rocAUC(scores: $0, labels: $1) }, repeats: 5, seed: settings.seed, rows: source,
          threads: settings.threads)
        report.importance = .init(source: source, seconds: (clock.now - began).secondsValue)
        log.line(report.importance!.text)
      }
    }
    file.tuning = record
    file.backtest = measured.folds.isEmpty ? nil : measured.folds
    let scores = file.calibration.apply(raw)
    // Sorted once for the training AUC, the bands' cut points and the score's drift deciles
    // (the order is dropped right after, not kept beside the matrix to the end).
    let (trainingAUC, learned, scoreEdges) = { () -> (Double?, RiskBands, [Double]) in
      let order = ScoreOrder(scores)
      return (try? rocAUC(order, labels: labels), RiskBands.learn(order), DriftReference.distinctEdges(DriftReference.decileRanks(count: scores.count).map { order[rank: $0] }))
    }()
    file.validation.trainingAUC = trainingAUC
    report.meanPredicted = scores.reduce(0, +) / Double(scores.count)
    report.observedChurnRate = scoredRows == nil ? file.training.churnRate : labels.reduce(0, +) / Double(max(1, labels.count))
    log.line(report.meanText)
    report.bandsNote = learned.unevenNote(scores: scores)
    if let note = report.bandsNote { log.note(note) }
    let bands = measured.heldOut.map { learned.measured(scores: $0.p, labels: $0.y) } ?? learned.measured(scores: scores, labels: labels)
    report.bands = bands
    log.line(report.bandsText)
    file.riskBands = bands
    file.driftReferences = final.driftReferences
    file.scoreReference = DriftReference.numeric("(churn score)", scores, edges: scoreEdges)
  }
}

/// A trained model file and the report of its training.
public struct TrainingResult: Sendable {
  /// The model file to write (`ModelFile.write(to:)`) and score with.
  public var model: ModelFile
  /// What the training did and measured.
  public var report: TrainingReport

  /// A result of a model file and its report.
  public init(model: ModelFile, report: TrainingReport) {
    self.model = model
    self.report = report
  }
}

/// A training or backtest job that cannot run on the data given.
public enum TrainerError: Error, Equatable, CustomStringConvertible {
  /// Every cutoff's horizon runs past the end of the data.
  case noLabelledCutoff
  /// A prepared table given to train without a label column (`TableData.label`).
  case noLabelColumn(String)
  /// Tuning asked for with no fold to compare candidates on.
  case noTuningFolds
  /// `--tune` on an event log whose only out-of-time fold is the holdout (named by its cutoff).
  case noTuningFoldBeforeHoldout(String)

  public var description: String {
    switch self {
    case .noLabelledCutoff: return "no cutoff has a known label: every horizon runs past the end of the data; use earlier cutoffs"
    case .noLabelColumn(let path): return "no label column given for \(path); expected the name of its 0/1 or yes/no column (--label COLUMN)"
    case .noTuningFolds: return "--tune needs at least one backtest fold with both classes"
    case .noTuningFoldBeforeHoldout(let holdout):
      return "--tune needs an out-of-time fold before the holdout cutoff \(holdout) (one whose label window closed by then), "
        + "so that the choice never sees the rows the model is measured on; none exists: add earlier cutoffs (--cutoffs FROM:TO:STEP) or leave out --tune"
    }
  }
}
