import Foundation

// Classification metrics for churn scores. Labels are 1 (churned) and 0 (retained); scores
// are finite, higher meaning riskier; metrics of probabilities also need them in [0, 1]. Each
// agrees with scikit-learn 1.9 to 1e-12 on the fixtures in Tests/ChurnScoringTests/Fixtures
// (scripts/make-fixtures-metrics), or, where scikit-learn has no such metric (lift, gains,
// top-k), with an independent numpy implementation of the formula given here.

/// Average precision, scikit-learn's `average_precision_score`: the precision–recall curve
/// summed as a step function, with no interpolation,
///
/// ```
/// AP = Σₖ (Rₖ − Rₖ₋₁) · Pₖ
/// ```
/// over the distinct scores taken as thresholds from highest to lowest, where Pₖ and Rₖ are
/// the precision and recall of flagging every row scored at or above the k-th one (R₀ = 0).
/// Its baseline is the churn rate, not ½.
public func averagePrecision(scores: [Double], labels: [Double]) throws -> Double {
  let positives = try checkedPositives("average precision", scores: scores, labels: labels)
  let ranked = RankedGroups(scores: scores, labels: labels)
  var flagged = 0, truePositives = 0
  var ap = 0.0, previousRecall = 0.0
  for g in ranked.groups {
    flagged += g.rows
    truePositives += g.positives
    let recall = Double(truePositives) / Double(positives)
    ap += (recall - previousRecall) * (Double(truePositives) / Double(flagged))
    previousRecall = recall
  }
  return ap
}

/// Mean log loss (cross-entropy), scikit-learn's `log_loss`:
///
/// ```
/// −(1/n) Σᵢ [yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)]
/// ```
/// with pᵢ and 1 − pᵢ clipped to [ε, 1 − ε], ε = 2⁻⁵² (machine epsilon), so that a confident
/// miss costs about 36 rather than infinity. Defined with one class present.
public func logLoss(probabilities p: [Double], labels: [Double]) throws -> Double {
  _ = try checkedPositives("log loss", scores: p, labels: labels, probabilities: true, bothClasses: false)
  let eps = Double.ulpOfOne
  var total = 0.0
  for (pi, y) in zip(p, labels) {
    total -= y == 1 ? log(min(max(pi, eps), 1 - eps)) : log(min(max(1 - pi, eps), 1 - eps))
  }
  return total / Double(p.count)
}

/// The Brier score, scikit-learn's `brier_score_loss`: the mean squared difference between
/// probability and outcome, (1/n) Σᵢ (pᵢ − yᵢ)². 0 is perfect; always predicting the churn
/// rate r scores r(1 − r). Defined with one class present.
public func brierScore(probabilities p: [Double], labels: [Double]) throws -> Double {
  _ = try checkedPositives("Brier score", scores: p, labels: labels, probabilities: true, bothClasses: false)
  var total = 0.0
  for (pi, y) in zip(p, labels) { total += (pi - y) * (pi - y) }
  return total / Double(p.count)
}

/// Lift in the riskiest `fraction` of customers: their churn rate over the overall churn rate,
///
/// ```
/// lift(f) = (churners in the top k / k) / (n₁ / n),   k = ⌈f · n⌉
/// ```
/// Customers tied with the k-th score count with their group's churn rate (so the value does
/// not depend on the order of ties). Top-decile lift is `lift(fraction: 0.1)`; 1 is no better
/// than random.
public func lift(scores: [Double], labels: [Double], fraction: Double) throws -> Double {
  guard fraction > 0, fraction <= 1 else {
    throw MetricError.invalidParameter(metric: "lift", detail: "fraction \(fraction) is not in (0, 1]")
  }
  let positives = try checkedPositives("lift", scores: scores, labels: labels)
  let k = topCount(fraction: fraction, of: scores.count)
  let captured = RankedGroups(scores: scores, labels: labels).positives(inTop: k)
  return (captured / Double(k)) / (Double(positives) / Double(scores.count))
}

/// One row of the cumulative-gains table: what contacting the riskiest `fraction` catches.
public struct GainsRow: Sendable, Equatable, Codable {
  /// Share of customers contacted (0.1, 0.2, ...).
  public var fraction: Double
  /// Customers in it: ⌈fraction · n⌉.
  public var customers: Int
  /// Churners among them (ties at the boundary counted at their group's rate).
  public var churners: Double
  /// Share of all churners caught: churners / n₁.
  public var gain: Double
  /// gain / fraction (the lift of that top share).
  public var lift: Double
  /// churners / customers.
  public var churnRate: Double
}

/// The cumulative-gains table by `groups` equal shares (deciles by default): for the riskiest
/// 10%, 20%, ..., 100%, how many of all churners they hold. The last row holds them all.
public func gainsTable(scores: [Double], labels: [Double], groups: Int = 10) throws -> [GainsRow] {
  guard groups >= 1 else { throw MetricError.invalidParameter(metric: "gains table", detail: "needs at least 1 group") }
  let positives = try checkedPositives("gains table", scores: scores, labels: labels)
  let ranked = RankedGroups(scores: scores, labels: labels)
  let n = scores.count
  return (1...groups).map { g in
    let fraction = evenFraction(g, of: groups)
    let k = topCount(fraction: fraction, of: n)
    let churners = ranked.positives(inTop: k)
    let gain = churners / Double(positives)
    return GainsRow(fraction: fraction, customers: k, churners: churners, gain: gain,
                    lift: (churners / Double(k)) / (Double(positives) / Double(n)), churnRate: churners / Double(k))
  }
}

/// Precision, recall and F1 of a set of flagged customers.
public struct Classification: Sendable, Equatable, Codable {
  public var flagged: Double
  public var truePositives: Double
  /// truePositives / flagged (0 when nothing is flagged, as scikit-learn's `zero_division` default).
  public var precision: Double
  /// truePositives / churners.
  public var recall: Double
  /// 2PR / (P + R), 0 when both are 0.
  public var f1: Double

  init(flagged: Double, truePositives: Double, positives: Int) {
    self.flagged = flagged
    self.truePositives = truePositives
    precision = flagged > 0 ? truePositives / flagged : 0
    recall = truePositives / Double(positives)
    f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
  }
}

/// Precision, recall and F1 when every customer with probability ≥ `threshold` is flagged
/// (scikit-learn's `precision_score`, `recall_score`, `f1_score` on `p >= threshold`).
public func classification(scores: [Double], labels: [Double], threshold: Double) throws -> Classification {
  let positives = try checkedPositives("precision and recall", scores: scores, labels: labels)
  var flagged = 0, hits = 0
  for (s, y) in zip(scores, labels) where s >= threshold {
    flagged += 1
    if y == 1 { hits += 1 }
  }
  return Classification(flagged: Double(flagged), truePositives: Double(hits), positives: positives)
}

/// Precision, recall and F1 when the `count` riskiest customers are flagged (what a team with
/// capacity for `count` calls gets); ties at the boundary counted at their group's rate.
public func classification(scores: [Double], labels: [Double], top count: Int) throws -> Classification {
  guard count >= 1 else { throw MetricError.invalidParameter(metric: "precision at k", detail: "k = \(count) must be at least 1") }
  let positives = try checkedPositives("precision at k", scores: scores, labels: labels)
  let k = min(count, scores.count)
  let hits = RankedGroups(scores: scores, labels: labels).positives(inTop: k)
  return Classification(flagged: Double(k), truePositives: hits, positives: positives)
}

/// The ROC curve: (false-positive rate, true-positive rate) at every distinct score taken as a
/// threshold, from (0, 0) to (1, 1). Its trapezoid area is `rocAUC` (ties are diagonal steps).
public func rocCurve(scores: [Double], labels: [Double]) throws -> [(fpr: Double, tpr: Double)] {
  let positives = try checkedPositives("ROC curve", scores: scores, labels: labels)
  let negatives = scores.count - positives
  var points: [(fpr: Double, tpr: Double)] = [(0, 0)]
  var tp = 0, fp = 0
  for g in RankedGroups(scores: scores, labels: labels).groups {
    tp += g.positives
    fp += g.rows - g.positives
    points.append((Double(fp) / Double(negatives), Double(tp) / Double(positives)))
  }
  return points
}

/// The precision–recall curve: (recall, precision) at every distinct score taken as a
/// threshold, highest first; `averagePrecision` sums it as a step function.
public func precisionRecallCurve(scores: [Double], labels: [Double]) throws -> [(recall: Double, precision: Double)] {
  let positives = try checkedPositives("precision-recall curve", scores: scores, labels: labels)
  var points: [(recall: Double, precision: Double)] = []
  var tp = 0, flagged = 0
  for g in RankedGroups(scores: scores, labels: labels).groups {
    tp += g.positives
    flagged += g.rows
    points.append((Double(tp) / Double(positives), Double(tp) / Double(flagged)))
  }
  return points
}
