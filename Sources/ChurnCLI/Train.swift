import ArgumentParser
import ChurnCore
import ChurnModels
import ChurnScoring
import Foundation

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train a churn model on a table with a label column and write the model file.",
    discussion: """
      The table is a CSV with an id column, feature columns (numeric or categorical, inferred)
      and a label column (0/1 or yes/no; rows with a blank label are left out). Features are
      preprocessed (one-hot categoricals, median imputation with indicators, fat-tail transform,
      standardization) and the steps are saved in the model.
      """)

  @Option(help: "Training table CSV (for example the output of churn features).")
  var table: String

  @Option(help: "Name of the label column.")
  var label: String

  @Option(help: "Name of the id column.")
  var id = "customer_id"

  @Option(help: "Model family: logistic.")
  var model = "logistic"

  @Option(help: "L2 penalty λ₂ (scikit-learn's 1/C).")
  var l2: Double = 1.0

  @Option(help: "L1 penalty λ₁.")
  var l1: Double = 0

  @Option(help: "Class weights: none or balanced.")
  var classWeight = "none"

  @Option(help: "Solver: auto, newton, lbfgs or owlqn.")
  var solver = "auto"

  @Option(help: "File of ids (one per line) held out of training and used to measure the model.")
  var holdoutIds: String?

  @Flag(help: "Do not apply log1p/asinh to columns with skewness above 4.")
  var noFatTail = false

  @Option(help: "Comma-separated columns to treat as categorical.")
  var categorical: String?

  @Option(help: "Comma-separated columns to treat as numeric.")
  var numeric: String?

  @Option(help: "Comma-separated columns to leave out.")
  var exclude: String?

  @Option(help: "Threads for the solver's passes over the data.")
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  @Option(help: "Where to write the model (JSON).")
  var out: String

  func validate() throws {
    guard model == "logistic" else { throw ValidationError("--model \"\(model)\" is not available; expected logistic") }
    guard LogisticRegression.ClassWeight(rawValue: classWeight) != nil else {
      throw ValidationError("--class-weight \"\(classWeight)\" is not one of none, balanced")
    }
    guard LogisticRegression.Solver(rawValue: solver) != nil else {
      throw ValidationError("--solver \"\(solver)\" is not one of auto, newton, lbfgs, owlqn")
    }
    guard l2 >= 0, l1 >= 0, l2.isFinite, l1.isFinite else { throw ValidationError("--l2 and --l1 must be finite numbers ≥ 0") }
    guard threads >= 1 else { throw ValidationError("--threads \(threads) must be at least 1") }
  }

  func run() throws {
    let clock = ContinuousClock()
    let began = clock.now
    var kinds: [String: TypedCSV.Kind] = [:]
    for name in commaList(categorical) { kinds[name] = .categorical }
    for name in commaList(numeric) { kinds[name] = .numeric }
    let csv = try TypedCSV(path: table, idColumn: id, kinds: kinds, exclude: Set(commaList(exclude)))
    var all = try csv.featureTable(label: label)
    var notes: [String] = []
    // Dates (a cutoff column, snapshot dates) are not features.
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
    let churned = training.labels!.filter { $0 == 1 }.count
    StandardError.print("train: \(training.rowCount) rows, \(churned) churned (\(Percent.format(Double(churned) / Double(max(training.rowCount, 1))))), \(training.columnNames.count) input columns")

    let preprocessor = try Preprocessor(fatTailTransform: !noFatTail).fit(training)
    notes += preprocessor.notes
    let x = try preprocessor.transform(training)
    let trainer = LogisticRegression(l2Penalty: l2, l1Penalty: l1, classWeight: LogisticRegression.ClassWeight(rawValue: classWeight)!,
                                     solver: LogisticRegression.Solver(rawValue: solver)!, threads: threads)
    let fitted = try trainer.fit(features: x, labels: training.labels!, featureNames: preprocessor.outputNames)
    StandardError.print("train: logistic regression, \(fitted.solver.rawValue) solver (\(solver == "auto" ? "auto-selected for \(x.rows) × \(x.columns)" : "as asked")): "
      + "\(fitted.iterations) iterations, objective \(String(format: "%.6f", fitted.objective)), "
      + (fitted.converged ? "converged" : "NOT converged (largest gradient entry \(fitted.gradientNorm)); results may be inaccurate: raise --l2 or check the data"))
    var validation: [String: Double] = [:]
    let trainAUC = try? rocAUC(scores: fitted.probabilities(x), labels: training.labels!)
    if let trainAUC { validation["training_auc"] = trainAUC }
    if !testRows.isEmpty {
      let test = all.rows(testRows)
      let p = fitted.probabilities(try preprocessor.transform(test))
      let auc = try rocAUC(scores: p, labels: test.labels!)
      validation["holdout_auc"] = auc
      StandardError.print("train: holdout AUC \(String(format: "%.4f", auc)) on \(test.rowCount) rows (training AUC \(String(format: "%.4f", trainAUC ?? .nan)))")
    } else if let trainAUC {
      StandardError.print("train: training AUC \(String(format: "%.4f", trainAUC)) (optimistic: no holdout given)")
    }
    for note in notes { StandardError.print("train: note: " + note) }
    let file = ModelFile(churnVersion: Churn.configuration.version, idColumn: csv.path.isEmpty ? id : id, labelColumn: label,
                         preprocessor: preprocessor, logistic: fitted,
                         training: .init(rows: training.rowCount, churned: churned, dataFingerprint: ModelFile.fingerprint(training), notes: notes),
                         validation: validation)
    try file.write(to: out)
    print(WeightsReport.table(fitted, top: 15))
    StandardError.print("train: model written to \(out) in \(String(format: "%.2f", (clock.now - began).seconds)) s")
  }
}

/// The strongest coefficients as a table that fits 80 columns.
enum WeightsReport {
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
