/// Every headline metric of one set of out-of-sample predictions, as `churn backtest` and
/// `churn train` report them: ROC AUC and top-decile lift with seeded bootstrap 95% intervals,
/// average precision, log loss, Brier score, the calibration table with its expected
/// calibration error, and the cumulative gains by decile.
public struct Evaluation: Sendable, Equatable, Codable {
  public var rows: Int
  public var churned: Int
  public var churnRate: Double
  public var meanPredicted: Double
  public var auc: Estimate
  public var liftTopDecile: Estimate
  public var averagePrecision: Double
  public var logLoss: Double
  public var brierScore: Double
  public var calibration: CalibrationTable
  public var gains: [GainsRow]

  /// - Parameters:
  ///   - replicates: bootstrap resamples for the intervals (0: intervals equal the estimate).
  /// - Throws: `MetricError` for a single class or invalid inputs.
  public init(probabilities p: [Double], labels y: [Double], replicates: Int = 1000, seed: UInt64 = 1) throws {
    rows = p.count
    churned = try checkedPositives("evaluation", scores: p, labels: y, probabilities: true)
    churnRate = Double(churned) / Double(rows)
    meanPredicted = p.reduce(0, +) / Double(max(rows, 1))
    if replicates > 0 {
      auc = try bootstrapInterval(scores: p, labels: y, replicates: replicates, seed: seed) { try rocAUC(scores: $0, labels: $1) }
      liftTopDecile = try bootstrapInterval(scores: p, labels: y, replicates: replicates, seed: seed) {
        try lift(scores: $0, labels: $1, fraction: 0.1)
      }
    } else {
      let a = try rocAUC(scores: p, labels: y), l = try lift(scores: p, labels: y, fraction: 0.1)
      auc = Estimate(value: a, lower: a, upper: a)
      liftTopDecile = Estimate(value: l, lower: l, upper: l)
    }
    averagePrecision = try ChurnScoring.averagePrecision(scores: p, labels: y)
    logLoss = try ChurnScoring.logLoss(probabilities: p, labels: y)
    brierScore = try ChurnScoring.brierScore(probabilities: p, labels: y)
    calibration = try CalibrationTable(probabilities: p, labels: y)
    gains = try gainsTable(scores: p, labels: y)
  }

  /// The scalar metrics by name (for model files and JSON output).
  public var metrics: [String: Double] {
    ["auc": auc.value, "auc_lower": auc.lower, "auc_upper": auc.upper, "lift_top_decile": liftTopDecile.value,
     "lift_lower": liftTopDecile.lower, "lift_upper": liftTopDecile.upper, "average_precision": averagePrecision,
     "log_loss": logLoss, "brier": brierScore, "ece": calibration.expectedCalibrationError, "churn_rate": churnRate,
     "mean_predicted": meanPredicted]
  }
}
