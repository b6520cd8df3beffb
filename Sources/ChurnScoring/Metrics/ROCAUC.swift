import ChurnCore

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
/// - Complexity: O(n) (a radix sort, `ScoreOrder`).
public func rocAUC(scores: [Double], labels: [Double]) throws -> Double {
  // The checks (and their errors) are `rocAUC(_:labels:)`'s, run once there.
  try rocAUC(ScoreOrder(scores), labels: labels)
}

/// The area under the ROC curve of scores already sorted (`ScoreOrder`), so that the risk
/// bands and the score's drift deciles can share the one sort: the same value as
/// `rocAUC(scores: order.scores, labels:)`, with the same errors.
///
/// - Complexity: O(n).
public func rocAUC(_ order: ScoreOrder, labels: [Double]) throws -> Double {
  let positives = try checkedPositives("ROC AUC", scores: order.scores, labels: labels)
  let negatives = labels.count - positives
  let n = order.count
  var rankSum = 0.0
  var start = 0
  while start < n {
    let score = order[rank: start]
    var end = start + 1
    while end < n && order[rank: end] == score { end += 1 }
    // Ranks start..<end (1-based start+1 ... end) share their mean.
    let midRank = Double(start + 1 + end) / 2
    for k in start..<end where labels[Int(order.rows[k])] == 1 { rankSum += midRank }
    start = end
  }
  let n1 = Double(positives)
  return (rankSum - n1 * (n1 + 1) / 2) / (n1 * Double(negatives))
}
