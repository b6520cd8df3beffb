/// Checks the inputs every metric shares and counts the churners.
///
/// - Parameters:
///   - probabilities: also require every score to lie in [0, 1].
///   - bothClasses: also require at least one churner and one retained customer.
/// - Returns: the number of labels equal to 1.
func checkedPositives(_ metric: String, scores: [Double], labels: [Double], probabilities: Bool = false,
                      bothClasses: Bool = true) throws -> Int {
  guard scores.count == labels.count else {
    throw MetricError.lengthMismatch(metric: metric, scores: scores.count, labels: labels.count)
  }
  guard !labels.isEmpty else { throw MetricError.empty(metric: metric) }
  var positives = 0
  for (i, y) in labels.enumerated() {
    guard y == 0 || y == 1 else { throw MetricError.invalidLabel(metric: metric, index: i, value: y) }
    guard scores[i].isFinite else { throw MetricError.nonFiniteScore(metric: metric, index: i, value: scores[i]) }
    if probabilities && !(0...1).contains(scores[i]) { throw MetricError.notAProbability(metric: metric, index: i, value: scores[i]) }
    if y == 1 { positives += 1 }
  }
  if bothClasses && (positives == 0 || positives == labels.count) {
    throw MetricError.singleClass(metric: metric, count: labels.count, label: positives > 0 ? 1 : 0)
  }
  return positives
}

/// Inputs a metric cannot be computed on.
public enum MetricError: Error, Equatable, CustomStringConvertible {
  case lengthMismatch(metric: String, scores: Int, labels: Int)
  case invalidLabel(metric: String, index: Int, value: Double)
  case nonFiniteScore(metric: String, index: Int, value: Double)
  case notAProbability(metric: String, index: Int, value: Double)
  case singleClass(metric: String, count: Int, label: Int)
  case empty(metric: String)
  case invalidParameter(metric: String, detail: String)

  public var description: String {
    switch self {
    case .lengthMismatch(let metric, let scores, let labels):
      return "\(metric): \(scores) scores but \(labels) labels; expected one score per label"
    case .invalidLabel(let metric, let index, let value):
      return "\(metric): label \(index) is \(value); expected 0 (retained) or 1 (churned)"
    case .nonFiniteScore(let metric, let index, let value):
      return "\(metric): score \(index) is \(value); expected a finite number"
    case .notAProbability(let metric, let index, let value):
      return "\(metric): score \(index) is \(value); expected a probability in [0, 1]"
    case .singleClass(let metric, let count, let label):
      return "\(metric) is undefined: all \(count) labels are \(label); it needs both churned and retained customers"
    case .empty(let metric):
      return "\(metric) is undefined on no rows"
    case .invalidParameter(let metric, let detail):
      return "\(metric): \(detail)"
    }
  }
}

/// Scores sorted from highest to lowest, in groups of equal score: the order every ranking
/// metric walks. `groups[k]` is (rows, churners) of the k-th distinct score, highest first.
struct RankedGroups {
  var groups: [(rows: Int, positives: Int)] = []
  /// The distinct scores, highest first.
  var scores: [Double] = []

  init(scores s: [Double], labels: [Double]) {
    let order = s.indices.sorted { s[$0] > s[$1] }
    var k = 0
    while k < order.count {
      var end = k + 1
      while end < order.count && s[order[end]] == s[order[k]] { end += 1 }
      var positives = 0
      for j in k..<end where labels[order[j]] == 1 { positives += 1 }
      groups.append((end - k, positives))
      scores.append(s[order[k]])
      k = end
    }
  }

  /// Churners among the `count` highest-scored rows; a group of tied scores that straddles the
  /// boundary contributes its churn rate times the rows of it that fit, so the result does not
  /// depend on the order of tied rows.
  func positives(inTop count: Int) -> Double {
    var left = count
    var captured = 0.0
    for g in groups {
      if left <= 0 { break }
      if g.rows <= left {
        captured += Double(g.positives)
        left -= g.rows
      } else {
        captured += Double(g.positives) * Double(left) / Double(g.rows)
        left = 0
      }
    }
    return captured
  }
}

/// The number of rows in the top `fraction` of `n`: ⌈fraction · n⌉, at least 1 (a hair below
/// an integer product counts as that integer, so 0.07 · 100 is 7 rows, not 8).
func topCount(fraction: Double, of n: Int) -> Int {
  max(1, min(n, Int((fraction * Double(n) - 1e-9).rounded(.up))))
}
