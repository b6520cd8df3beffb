import ChurnScoring
import Foundation

/// Per-fold metric lines and their mean and spread, as `churn backtest` and `churn train` print them.
public enum FoldTable {
  /// The column heads.
  public static func header() -> String {
    "fold          train   test  churn   AUC (95% CI)            lift@10% (95% CI)   avg prec  log loss   Brier    ECE"
  }

  /// One fold's line.
  ///
  /// - Parameters:
  ///   - name: the fold's name (its cutoff, or "fold k").
  ///   - trainingRows: the rows its model was fitted on.
  ///   - e: its evaluation.
  ///   - calibratedECE: the expected calibration error after calibration, if calibrated.
  ///   - intervals: false when the evaluation had no bootstrap (its intervals are the estimate, not a 95% CI).
  public static func line(_ name: String, trainingRows: Int, _ e: Evaluation, calibratedECE: Double? = nil, intervals: Bool = true) -> String {
    let auc = intervals ? String(format: "%.4f (%.3f–%.3f)", e.auc.value, e.auc.lower, e.auc.upper) : String(format: "%.4f (no bootstrap)", e.auc.value)
    let lift = intervals ? String(format: "%.2f (%.2f–%.2f)", e.liftTopDecile.value, e.liftTopDecile.lower, e.liftTopDecile.upper)
      : String(format: "%.2f (no bootstrap)", e.liftTopDecile.value)
    return TextTable.pad(name, 12) + String(format: "%7d %6d ", trainingRows, e.rows) + TextTable.pad(TextTable.percent(e.churnRate), 6, right: true) + "  "
      + TextTable.pad(auc, 24) + TextTable.pad(lift, 20) + String(format: "%7.4f %9.5f %7.5f %6.4f", e.averagePrecision, e.logLoss, e.brierScore,
                                              e.calibration.expectedCalibrationError)
      + (calibratedECE.map { String(format: " → %.4f calibrated", $0) } ?? "")
  }

  /// The "mean ± sd over N folds" line.
  public static func summary(_ evaluations: [Evaluation]) -> String {
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
