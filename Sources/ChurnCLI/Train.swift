import ArgumentParser
import ChurnCore
import ChurnFeatures
import ChurnModels
import ChurnScoring
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
      """)

  @OptionGroup var events: EventLogOptions
  @OptionGroup var customers: CustomerTableOptions
  @OptionGroup var observation: ObservationOptions

  @Option(help: "A prepared training table CSV instead of an event log.")
  var table: String?

  @Option(help: "Name of the label column (with --table).")
  var label: String?

  @Option(help: "Name of the id column (with --table).")
  var id = "customer_id"

  @Option(help: "File of ids (one per line) held out of training and used to measure the model (with --table).")
  var holdoutIds: String?

  @Option(help: "Model family: logistic or forest.")
  var model = "logistic"

  @Option(help: "Forest: number of trees.")
  var trees = 100

  @Option(help: "Forest: rows a leaf must keep (scikit-learn's min_samples_leaf).")
  var minLeaf = 5

  @Option(help: "Forest: features tried per split (default ⌊√d⌋; scikit-learn's max_features, ranger's mtry).")
  var featuresPerSplit: Int?

  @Option(help: "Forest: maximum depth (default unlimited).")
  var maxDepth: Int?

  @Option(help: "Forest: random seed; the same seed gives the same forest with any thread count.")
  var seed: UInt64 = 1

  @Option(help: "L2 penalty λ₂ (scikit-learn's 1/C).")
  var l2: Double = 1.0

  @Option(help: "L1 penalty λ₁.")
  var l1: Double = 0

  @Option(help: "Class weights: none or balanced.")
  var classWeight = "none"

  @Option(help: "Solver: auto, newton, lbfgs or owlqn.")
  var solver = "auto"

  @Flag(help: "Do not apply log1p/asinh to columns with skewness above 4.")
  var noFatTail = false

  @Option(help: "Where to write the model (JSON).")
  var out: String

  func validate() throws {
    guard model == "logistic" || model == "forest" else { throw ValidationError("--model \"\(model)\" is not available; expected logistic or forest") }
    guard LogisticRegression.ClassWeight(rawValue: classWeight) != nil else {
      throw ValidationError("--class-weight \"\(classWeight)\" is not one of none, balanced")
    }
    guard LogisticRegression.Solver(rawValue: solver) != nil else {
      throw ValidationError("--solver \"\(solver)\" is not one of auto, newton, lbfgs, owlqn")
    }
    guard l2 >= 0, l1 >= 0, l2.isFinite, l1.isFinite else { throw ValidationError("--l2 and --l1 must be finite numbers ≥ 0") }
    if (table == nil) == (events.events == nil) { throw ValidationError("give either --events (with cutoffs) or --table (with --label)") }
    if table != nil && label == nil { throw ValidationError("--table needs --label COLUMN") }
  }

  var trainer: LogisticRegression {
    LogisticRegression(l2Penalty: l2, l1Penalty: l1, classWeight: LogisticRegression.ClassWeight(rawValue: classWeight)!,
                       solver: LogisticRegression.Solver(rawValue: solver)!, threads: observation.threads)
  }

  func run() throws {
    let clock = ContinuousClock()
    let began = clock.now
    let file = table != nil ? try trainOnTable() : try trainOnEvents()
    try file.write(to: out)
    if let logistic = file.logistic { print(WeightsReport.table(logistic, top: 15)) }
    if let forest = file.forest { print(WeightsReport.table(forest, top: 15)) }
    StandardError.print("train: model written to \(out) in \(String(format: "%.2f", (clock.now - began).seconds)) s")
  }

  /// A fitted preprocessing and model.
  struct Fitted {
    var preprocessor: FittedPreprocessor
    var logistic: LogisticModel?
    var forest: ForestModel?
    var x: Matrix

    func probabilities(_ m: Matrix) -> [Double] { logistic?.probabilities(m) ?? forest!.probabilities(m) }
    var scores: [Double] { probabilities(x) }
  }

  /// Preprocessing and the model's fit on `training`; prints what the fit did.
  func fit(_ training: FeatureTable, quiet: Bool = false) throws -> Fitted {
    if model == "forest" {
      // Trees need no scaling or fat-tail transform; one-hot and imputation as for the logistic model.
      let preprocessor = try Preprocessor(standardize: false, fatTailTransform: false).fit(training)
      let x = try preprocessor.transform(training)
      let forest = try RandomForest(treeCount: trees, featuresPerSplit: featuresPerSplit, minLeafSize: minLeaf, maxDepth: maxDepth,
                                    classWeight: LogisticRegression.ClassWeight(rawValue: classWeight)!, seed: seed,
                                    threads: observation.threads)
        .fit(features: x, labels: training.labels!, featureNames: preprocessor.outputNames)
      if !quiet {
        let rows = forest.outOfBag.indices.filter { !forest.outOfBag[$0].isNaN }
        let auc = try? rocAUC(scores: rows.map { forest.outOfBag[$0] }, labels: rows.map { training.labels![$0] })
        StandardError.print("train: random forest, \(trees) trees (\(forest.nodeCount) nodes), \(forest.featuresPerSplit) features per split, "
          + "min leaf \(minLeaf), seed \(seed): out-of-bag AUC \(auc.map { String(format: "%.4f", $0) } ?? "-")")
      }
      return Fitted(preprocessor: preprocessor, forest: forest, x: x)
    }
    let preprocessor = try Preprocessor(fatTailTransform: !noFatTail).fit(training)
    let x = try preprocessor.transform(training)
    let fitted = try trainer.fit(features: x, labels: training.labels!, featureNames: preprocessor.outputNames)
    if !quiet {
      StandardError.print("train: logistic regression, \(fitted.solver.rawValue) solver (\(solver == "auto" ? "auto-selected for \(x.rows) × \(x.columns)" : "as asked")): "
        + "\(fitted.iterations) iterations, objective \(String(format: "%.6f", fitted.objective)), "
        + (fitted.converged ? "converged" : "NOT converged (largest gradient entry \(fitted.gradientNorm)); results may be inaccurate: raise --l2 or check the data"))
    }
    return Fitted(preprocessor: preprocessor, logistic: fitted, x: x)
  }

  func summary(_ t: FeatureTable) -> String {
    let churned = t.labels!.filter { $0 == 1 }.count
    return "\(t.rowCount) rows, \(churned) churned (\(Percent.format(Double(churned) / Double(max(t.rowCount, 1)))))"
  }

  func trainOnTable() throws -> ModelFile {
    let csv = try TypedCSV(path: table!, idColumn: id, kinds: customers.forcedKinds(), exclude: Set(commaList(customers.exclude)))
    var all = try csv.featureTable(label: label)
    var notes: [String] = []
    let dates = Set(csv.names.indices.filter { csv.kinds[$0] == .date }.map { csv.names[$0] })
    if !dates.isEmpty {
      notes.append("date columns left out of the features: \(dates.sorted().joined(separator: ", "))")
      all = all.removing(columns: dates)
    }
    let labels = all.labels!
    var trainRows = labels.indices.filter { !labels[$0].isNaN }
    var testRows: [Int] = []
    if let holdoutIds {
      guard let text = try? String(contentsOfFile: holdoutIds, encoding: .utf8) else {
        throw ValidationError("cannot read --holdout-ids \(holdoutIds)")
      }
      let held = Set(text.split(whereSeparator: \.isNewline).map { String($0).trimmingSpaces }.filter { !$0.isEmpty })
      testRows = trainRows.filter { held.contains(all.ids[$0]) }
      trainRows = trainRows.filter { !held.contains(all.ids[$0]) }
      StandardError.print("train: \(testRows.count) labelled rows held out (ids in \(holdoutIds))")
    }
    let unlabelled = labels.count - labels.filter { !$0.isNaN }.count
    if unlabelled > 0 { notes.append("\(unlabelled) rows with a blank label left out of training") }
    let training = all.rows(trainRows)
    StandardError.print("train: \(summary(training)), \(training.columnNames.count) input columns")
    let fitted = try fit(training)
    let preprocessor = fitted.preprocessor
    notes += preprocessor.notes
    var validation: [String: Double] = [:]
    let trainScores = fitted.scores
    var bands = RiskBands.learn(scores: trainScores)
    if let auc = try? rocAUC(scores: trainScores, labels: training.labels!) { validation["training_auc"] = auc }
    if !testRows.isEmpty {
      let test = all.rows(testRows)
      let p = fitted.probabilities(try preprocessor.transform(test))
      validation["holdout_auc"] = try rocAUC(scores: p, labels: test.labels!)
      bands = bands.measured(scores: p, labels: test.labels!)
      StandardError.print("train: holdout AUC \(String(format: "%.4f", validation["holdout_auc"]!)) on \(test.rowCount) rows (training AUC \(String(format: "%.4f", validation["training_auc"] ?? .nan)))")
    } else if let auc = validation["training_auc"] {
      bands = bands.measured(scores: trainScores, labels: training.labels!)
      StandardError.print("train: training AUC \(String(format: "%.4f", auc)) (optimistic: no holdout given)")
    }
    report(bands)
    for note in notes { StandardError.print("train: note: " + note) }
    var file = ModelFile(churnVersion: Churn.configuration.version, idColumn: id, labelColumn: label!, preprocessor: preprocessor,
                         logistic: fitted.logistic, forest: fitted.forest,
                         training: .init(rows: training.rowCount, churned: training.labels!.filter { $0 == 1 }.count,
                                         dataFingerprint: ModelFile.fingerprint(training), notes: notes),
                         validation: validation)
    file.riskBands = bands
    file.driftReferences = ModelFile.driftReferences(training)
    file.scoreReference = DriftReference.numeric("(churn score)", trainScores)
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
      throw ValidationError("no cutoff has a known label: every horizon runs past the end of the data; use earlier cutoffs")
    }
    let design = try observation.design()
    // Hold out the last cutoff with labels; train the measuring model on rows whose label
    // window closed before it (the purge gap), so nothing it learns comes from on or after it.
    let holdoutCutoff = labelled.map { all.cutoffs![$0] }.max()!
    let purged = labelled.filter { design.horizon.added(to: all.cutoffs![$0]) <= holdoutCutoff }
    let heldOut = labelled.filter { all.cutoffs![$0] == holdoutCutoff }
    var validation: [String: Double] = [:]
    var bands: RiskBands?
    if !purged.isEmpty, Set(purged.map { labels[$0] }).count == 2, Set(heldOut.map { labels[$0] }).count == 2 {
      let measuring = all.rows(purged)
      let measured = try fit(measuring, quiet: true)
      let test = all.rows(heldOut)
      let p = measured.probabilities(try measured.preprocessor.transform(test))
      validation["holdout_auc"] = try rocAUC(scores: p, labels: test.labels!)
      bands = RiskBands.learn(scores: measured.scores).measured(scores: p, labels: test.labels!)
      StandardError.print("train: holdout cutoff \(UTCTime.formatDate(milliseconds: holdoutCutoff)): AUC \(String(format: "%.4f", validation["holdout_auc"]!)) on \(test.rowCount) rows "
        + "(model fitted on the \(measuring.rowCount) rows whose label window closed by then)")
    } else {
      StandardError.print("train: note: no holdout measurement (needs an earlier cutoff whose label window closes before the last one, and both classes)")
    }
    let training = all.rows(labelled)
    StandardError.print("train: final model on every labelled row: \(summary(training))")
    let fitted = try fit(training)
    let preprocessor = fitted.preprocessor
    let scores = fitted.scores
    if let auc = try? rocAUC(scores: scores, labels: training.labels!) { validation["training_auc"] = auc }
    let learned = RiskBands.learn(scores: scores)
    let finalBands = bands.map { RiskBands(red: learned.red, yellow: learned.yellow, observedChurnRate: $0.observedChurnRate, observedRows: $0.observedRows) }
      ?? learned.measured(scores: scores, labels: training.labels!)
    report(finalBands)
    let notes = result.notes + preprocessor.notes
    for note in preprocessor.notes { StandardError.print("train: note: " + note) }
    var file = ModelFile(churnVersion: Churn.configuration.version, idColumn: events.customerColumn, labelColumn: "label",
                         preprocessor: preprocessor, logistic: fitted.logistic, forest: fitted.forest,
                         training: .init(rows: training.rowCount, churned: training.labels!.filter { $0 == 1 }.count,
                                         dataFingerprint: ModelFile.fingerprint(training), notes: notes),
                         validation: validation)
    file.featureSpec = result.spec
    file.events = .init(horizon: design.horizon.description, activeWindow: design.activeWindow?.description,
                        activityTypes: design.activityTypes, contractual: table?.hasChurnDates ?? false,
                        trainingCutoffs: design.cutoffs.map { UTCTime.formatDate(milliseconds: $0) },
                        holdoutCutoff: validation["holdout_auc"] != nil ? UTCTime.formatDate(milliseconds: holdoutCutoff) : nil,
                        customerColumn: events.customerColumn, timestampColumn: events.timestampColumn,
                        eventTypeColumn: events.eventTypeColumn, valueColumn: events.valueColumn,
                        signupColumn: customers.signupColumn, churnDateColumn: customers.churnDateColumn)
    file.riskBands = finalBands
    file.driftReferences = ModelFile.driftReferences(training)
    file.scoreReference = DriftReference.numeric("(churn score)", scores)
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

/// The strongest coefficients (or importances) as a table that fits 80 columns.
enum WeightsReport {
  static func table(_ forest: ForestModel, top: Int) -> String {
    let order = forest.featureNames.indices.sorted { forest.impurityImportance[$0] > forest.impurityImportance[$1] }
    var lines = ["feature                          impurity importance (share of the Gini decrease)"]
    for j in order.prefix(top) {
      let name = forest.featureNames[j].count > 32 ? String(forest.featureNames[j].prefix(31)) + "…" : forest.featureNames[j]
      let share = forest.impurityImportance[j]
      lines.append(DescribeReport.pad(name, 33) + String(format: "%6.1f%%  ", 100 * share) + String(repeating: "█", count: Int((share * 200).rounded())))
    }
    return lines.joined(separator: "\n")
  }

  static func table(_ model: LogisticModel, top: Int) -> String {
    let rows = model.coefficientTable.sorted { abs($0.estimate) > abs($1.estimate) }.prefix(top)
    var lines = ["feature (per +1 SD)                coef   odds ratio (95% CI)      p    churn pts"]
    for c in rows {
      let name = c.name.count > 30 ? String(c.name.prefix(29)) + "…" : c.name
      let interval = c.standardError.isNaN ? "" : String(format: "(%.2f–%.2f)", exp(c.lower95), exp(c.upper95))
      let p = c.pValue.isNaN ? "   -" : (c.pValue < 0.001 ? "<.001" : String(format: "%.3f", c.pValue))
      lines.append(DescribeReport.pad(name, 31) + String(format: "%+7.3f", c.estimate) + String(format: "%8.2f ", c.oddsRatio)
        + DescribeReport.pad(interval, 13) + DescribeReport.pad(p, 6, right: true) + String(format: "%+9.1f", 100 * c.retentionImpact))
    }
    return lines.joined(separator: "\n")
  }
}
