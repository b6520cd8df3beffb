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
  let positives = try checkedPositives("ROC AUC", scores: scores, labels: labels)
  let negatives = labels.count - positives
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
