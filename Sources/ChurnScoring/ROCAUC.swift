/// The area under the ROC curve: the probability that a randomly chosen churner is scored
/// above a randomly chosen non-churner, ties counting one half.
///
/// ```
/// AUC = (Σ_{i: y=1} rank(sᵢ) − n₁(n₁ + 1)/2) / (n₁ · n₀)
/// ```
/// with mid-ranks for tied scores (the Mann–Whitney U statistic), which equals
/// scikit-learn's `roc_auc_score` including ties.
///
/// - Parameters:
///   - scores: one score per observation; higher means more likely to churn. Must be finite.
///   - labels: 1 for churned, 0 for retained.
/// - Throws: `MetricError` when the lengths differ, a label is not 0 or 1, a score is not
///   finite, or only one class is present (the AUC is undefined).
/// - Complexity: O(n log n).
public func rocAUC(scores: [Double], labels: [Double]) throws -> Double {
  guard scores.count == labels.count else {
    throw MetricError.lengthMismatch(metric: "ROC AUC", scores: scores.count, labels: labels.count)
  }
  var positives = 0
  for (i, y) in labels.enumerated() {
    guard y == 0 || y == 1 else { throw MetricError.invalidLabel(metric: "ROC AUC", index: i, value: y) }
    guard scores[i].isFinite else { throw MetricError.nonFiniteScore(metric: "ROC AUC", index: i, value: scores[i]) }
    if y == 1 { positives += 1 }
  }
  let negatives = labels.count - positives
  guard positives > 0, negatives > 0 else {
    throw MetricError.singleClass(metric: "ROC AUC", count: labels.count, label: positives > 0 ? 1 : 0)
  }
  let order = scores.indices.sorted { scores[$0] < scores[$1] }
  var rankSum = 0.0
  var start = 0
  while start < order.count {
    var end = start + 1
    while end < order.count && scores[order[end]] == scores[order[start]] { end += 1 }
    // Ranks start..<end (1-based start+1 ... end) share their mean.
    let midRank = Double(start + 1 + end) / 2
    for k in start..<end where labels[order[k]] == 1 { rankSum += midRank }
    start = end
  }
  let n1 = Double(positives)
  return (rankSum - n1 * (n1 + 1) / 2) / (n1 * Double(negatives))
}

/// Inputs a metric cannot be computed on.
public enum MetricError: Error, Equatable, CustomStringConvertible {
  case lengthMismatch(metric: String, scores: Int, labels: Int)
  case invalidLabel(metric: String, index: Int, value: Double)
  case nonFiniteScore(metric: String, index: Int, value: Double)
  case singleClass(metric: String, count: Int, label: Int)

  public var description: String {
    switch self {
    case .lengthMismatch(let metric, let scores, let labels):
      return "\(metric): \(scores) scores but \(labels) labels; expected one score per label"
    case .invalidLabel(let metric, let index, let value):
      return "\(metric): label \(index) is \(value); expected 0 (retained) or 1 (churned)"
    case .nonFiniteScore(let metric, let index, let value):
      return "\(metric): score \(index) is \(value); expected a finite number"
    case .singleClass(let metric, let count, let label):
      return "\(metric) is undefined: all \(count) labels are \(label); it needs both churned and retained customers"
    }
  }
}
