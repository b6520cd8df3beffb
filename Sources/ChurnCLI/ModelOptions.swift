import ArgumentParser
import ChurnCore
import ChurnModels
import ChurnScoring

/// The model family and hyperparameters, shared by churn train and churn backtest.
struct ModelOptions: ParsableArguments {
  @Option(help: "Model family: logistic or forest.")
  var model = "logistic"

  @Option(help: "L2 penalty λ₂ (scikit-learn's 1/C).")
  var l2: Double = 1.0

  @Option(help: "L1 penalty λ₁.")
  var l1: Double = 0

  @Option(help: "Class weights: none or balanced (probabilities are then corrected back to the real churn rate).")
  var classWeight = "none"

  @Option(help: "Solver: auto, newton, lbfgs or owlqn.")
  var solver = "auto"

  @Flag(help: "Do not apply log1p/asinh to columns with skewness above 4.")
  var noFatTail = false

  @Option(help: "Forest: number of trees.")
  var trees = 100

  @Option(help: "Forest: rows a leaf must keep (scikit-learn's min_samples_leaf).")
  var minLeaf = 5

  @Option(help: "Forest: features tried per split (default ⌊√d⌋; scikit-learn's max_features, ranger's mtry).")
  var featuresPerSplit: Int?

  @Option(help: "Forest: maximum depth (default unlimited).")
  var maxDepth: Int?

  @Option(help: "Random seed (forest, k-fold splits, bootstrap intervals); the same seed gives the same results with any thread count.")
  var seed: UInt64 = 1

  @Option(help: "Calibrate probabilities on out-of-time (or out-of-fold) predictions: platt or isotonic.")
  var calibrate: String?

  @Flag(help: "Choose the penalty (logistic) or min leaf and features per split (forest) on the backtest.")
  var tune = false

  @Option(help: "With --tune: choose by log_loss (lower is better) or auc.")
  var tuneMetric = "log_loss"

  @Option(help: "With --tune: the number of latest backtest folds to compare candidates on.")
  var tuneFolds = 3

  func validate() throws {
    guard ModelSettings.Family(rawValue: model) != nil else { throw ValidationError("--model \"\(model)\" is not available; expected logistic or forest") }
    guard LogisticRegression.ClassWeight(rawValue: classWeight) != nil else {
      throw ValidationError("--class-weight \"\(classWeight)\" is not one of none, balanced")
    }
    guard LogisticRegression.Solver(rawValue: solver) != nil else {
      throw ValidationError("--solver \"\(solver)\" is not one of auto, newton, lbfgs, owlqn")
    }
    guard l2 >= 0, l1 >= 0, l2.isFinite, l1.isFinite else { throw ValidationError("--l2 and --l1 must be finite numbers ≥ 0") }
    guard trees >= 1, minLeaf >= 1 else { throw ValidationError("--trees and --min-leaf must be at least 1") }
    if let calibrate, Calibration.Method(rawValue: calibrate) == nil {
      throw ValidationError("--calibrate \"\(calibrate)\" is not one of platt, isotonic")
    }
    guard tuneMetric == "log_loss" || tuneMetric == "auc" else { throw ValidationError("--tune-metric \"\(tuneMetric)\" is not log_loss or auc") }
    guard tuneFolds >= 1 else { throw ValidationError("--tune-folds must be at least 1") }
  }

  func settings(threads: Int) -> ModelSettings {
    ModelSettings(family: ModelSettings.Family(rawValue: model)!, l2: l2, l1: l1, solver: LogisticRegression.Solver(rawValue: solver)!,
                  fatTail: !noFatTail, trees: trees, minLeaf: minLeaf, featuresPerSplit: featuresPerSplit, maxDepth: maxDepth, seed: seed,
                  classWeight: LogisticRegression.ClassWeight(rawValue: classWeight)!, threads: threads)
  }

  var calibrationMethod: Calibration.Method? { calibrate.flatMap(Calibration.Method.init(rawValue:)) }

  /// Runs `--tune`: every candidate of the grid on `folds` (the latest `tuneFolds`), chosen by
  /// the mean of `tuneMetric`; prints the comparison and returns the winner and the record.
  func tuned(_ table: FeatureTable, folds allFolds: [Fold], settings: ModelSettings, label: String,
             quiet: Bool = false) throws -> (ModelSettings, ModelFile.TuningRecord) {
    let folds = Array(allFolds.suffix(tuneFolds))
    guard !folds.isEmpty else { throw CommandError("--tune needs at least one backtest fold with both classes") }
    let grid = settings.grid(columns: table.columnNames.count)
    if !quiet { StandardError.print("\(label): tuning: \(grid.count) candidates × \(folds.count) folds (\(folds.map(\.name).joined(separator: ", "))), by mean \(tuneMetric)") }
    var candidates: [ModelFile.TuningRecord.Candidate] = []
    var best: (settings: ModelSettings, value: Double)?
    for candidate in grid {
      let predictions = try Backtest.run(table, folds: folds, settings: candidate)
      var losses: [Double] = [], aucs: [Double] = []
      for f in predictions {
        losses.append(try logLoss(probabilities: f.probabilities, labels: f.labels))
        aucs.append(try rocAUC(scores: f.probabilities, labels: f.labels))
      }
      let loss = losses.reduce(0, +) / Double(losses.count), auc = aucs.reduce(0, +) / Double(aucs.count)
      candidates.append(ModelFile.TuningRecord.Candidate(settings: candidate.summary, meanLogLoss: loss, meanAUC: auc))
      if !quiet { StandardError.print("\(label):   \(candidate.summary): mean log loss \(String(format: "%.5f", loss)), mean AUC \(String(format: "%.4f", auc))") }
      let value = tuneMetric == "auc" ? -auc : loss
      if best == nil || value < best!.value { best = (candidate, value) }
    }
    let chosen = best!.settings
    let kind = folds.first?.testCutoff != nil ? "out-of-time" : "cross-validation"
    let reason = tuneMetric == "auc" ? "highest mean AUC over \(folds.count) \(kind) folds" : "lowest mean log loss over \(folds.count) \(kind) folds"
    if !quiet { StandardError.print("\(label): tuning chose \(chosen.summary) (\(reason))") }
    return (chosen, .init(metric: tuneMetric, folds: folds.map(\.name), candidates: candidates, chosen: chosen.summary, reason: reason))
  }
}

/// Per-fold metric lines and their mean and spread, for churn backtest and churn train.
enum FoldTable {
  static func header() -> String {
    "fold          train   test  churn   AUC (95% CI)            lift@10% (95% CI)   avg prec  log loss   Brier    ECE"
  }

  /// `intervals`: false when the evaluation had no bootstrap (its intervals are the estimate, not a 95% CI).
  static func line(_ name: String, trainingRows: Int, _ e: Evaluation, calibratedECE: Double? = nil, intervals: Bool = true) -> String {
    let auc = intervals ? String(format: "%.4f (%.3f–%.3f)", e.auc.value, e.auc.lower, e.auc.upper) : String(format: "%.4f (no bootstrap)", e.auc.value)
    let lift = intervals ? String(format: "%.2f (%.2f–%.2f)", e.liftTopDecile.value, e.liftTopDecile.lower, e.liftTopDecile.upper)
      : String(format: "%.2f (no bootstrap)", e.liftTopDecile.value)
    return DescribeReport.pad(name, 12) + String(format: "%7d %6d ", trainingRows, e.rows) + DescribeReport.pad(Percent.format(e.churnRate), 6, right: true) + "  "
      + DescribeReport.pad(auc, 24) + DescribeReport.pad(lift, 20) + String(format: "%7.4f %9.5f %7.5f %6.4f", e.averagePrecision, e.logLoss, e.brierScore,
                                                                              e.calibration.expectedCalibrationError)
      + (calibratedECE.map { String(format: " → %.4f calibrated", $0) } ?? "")
  }

  /// "mean ± sd" lines over folds.
  static func summary(_ evaluations: [Evaluation]) -> String {
    func stat(_ values: [Double]) -> String {
      let mean = values.reduce(0, +) / Double(values.count)
      let sd = values.count > 1 ? (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot() : 0
      return String(format: "%.4f ± %.4f", mean, sd)
    }
    return "mean ± sd over \(evaluations.count) folds: AUC \(stat(evaluations.map(\.auc.value))), lift@10% \(stat(evaluations.map(\.liftTopDecile.value))), "
      + "avg prec \(stat(evaluations.map(\.averagePrecision))), log loss \(stat(evaluations.map(\.logLoss))), Brier \(stat(evaluations.map(\.brierScore))), "
      + "ECE \(stat(evaluations.map(\.calibration.expectedCalibrationError)))"
  }
}
