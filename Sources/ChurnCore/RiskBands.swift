/// The users' red / yellow / green grading of churn risk, as probability cut points.
///
/// Learned at training time from the distribution of the model's scores: red is the riskiest
/// `redShare` of customers (default 10%), yellow the next `yellowShare` (default 20%), green the
/// rest, as near as tied scores allow (see `learn`). The churn rate observed in each band (on held-out rows when there are any) is stored
/// beside the cut points, so a user can see that the bands really separate risk.
public struct RiskBands: Sendable, Equatable, Codable {
  /// Probabilities at or above this are red.
  public var red: Double
  /// Probabilities at or above this (and below `red`) are yellow.
  public var yellow: Double
  /// Observed churn rate per band ("red", "yellow", "green"), when measured.
  public var observedChurnRate: [String: Double]
  /// Rows per band in that measurement.
  public var observedRows: [String: Int]

  public init(red: Double, yellow: Double, observedChurnRate: [String: Double] = [:], observedRows: [String: Int] = [:]) {
    precondition(red >= yellow, "red cut point \(red) below yellow \(yellow)")
    self.red = red
    self.yellow = yellow
    self.observedChurnRate = observedChurnRate
    self.observedRows = observedRows
  }

  /// Cut points for the riskiest `redShare` of `scores` (red) and the next `yellowShare`
  /// (yellow), as near as tied scores allow.
  ///
  /// Customers with the same score always share a band, so a band can only hold a whole number
  /// of score levels. The red band holds the count of scores at or above some score (or none)
  /// nearest to the target, and red plus yellow likewise; on a tie between two counts the smaller
  /// band wins (a tied group never overfills a band more than it would leave it short). With
  /// distinct scores the targets are met exactly:
  ///
  /// ```
  /// red target       t₁ = n − ⌊(1 − redShare) · n⌋                 (10% of 143 → 15)
  /// red + yellow     t₂ = max(t₁, n − ⌊(1 − redShare − yellowShare) · n⌋)
  /// red cut point    the lowest score in red (above every score when red is empty)
  /// ```
  ///
  /// So when 60% of the training scores tie at the top, red stays empty (0% is nearer 10% than
  /// 60% is) instead of silently becoming 60% of customers; `unevenNote(scores:)` says so.
  ///
  /// - Precondition: `scores` is not empty and every score is finite.
  /// - Complexity: O(n) for n scores (a radix sort, `ScoreOrder`).
  public static func learn(scores: [Double], redShare: Double = 0.10, yellowShare: Double = 0.20) -> RiskBands {
    precondition(!scores.isEmpty, "risk bands need at least one score")
    precondition(scores.allSatisfy(\.isFinite), "risk bands need finite scores; got \(scores.first { !$0.isFinite }!)")
    return learn(ScoreOrder(scores), redShare: redShare, yellowShare: yellowShare)
  }

  /// `learn(scores:redShare:yellowShare:)` on scores already sorted, so that the training AUC
  /// and the score's drift deciles can share the one sort: the same cut points.
  ///
  /// - Precondition: the scores are not empty and every score is finite.
  /// - Complexity: O(n) for n scores.
  public static func learn(_ order: ScoreOrder, redShare: Double = 0.10, yellowShare: Double = 0.20) -> RiskBands {
    let n = order.count
    precondition(n > 0, "risk bands need at least one score")
    let (lowest, highest) = (order[rank: 0], order[rank: n - 1])
    precondition(lowest.isFinite && highest.isFinite, "risk bands need finite scores; got \(lowest.isFinite ? highest : lowest)")
    precondition((0...1).contains(redShare) && (0...1).contains(yellowShare) && redShare + yellowShare <= 1,
                 "band shares \(redShare) and \(yellowShare) must lie in [0, 1] and add up to at most 1")
    let (redTarget, bothTarget) = targets(n: n, redShare: redShare, yellowShare: yellowShare)
    // The score level (a distinct score with the number of scores at or above it) nearest the
    // target among those holding more than `above` scores, or `start`; the levels are walked
    // from the highest score down, not collected. Counts differ, so the nearest is unique.
    func nearest(_ start: (cut: Double, count: Int), above: Int, _ target: Int) -> (cut: Double, count: Int) {
      var best = start
      for i in 0..<n {
        let v = order[rank: n - 1 - i]
        guard i + 1 == n || order[rank: n - 2 - i] != v, i + 1 > above else { continue }
        if (abs(i + 1 - target), i + 1) < (abs(best.count - target), best.count) { best = (v, i + 1) }
      }
      return best
    }
    let red = nearest((highest.nextUp, 0), above: 0, redTarget)
    let yellow = nearest(red, above: red.count, bothTarget)
    return RiskBands(red: red.cut, yellow: yellow.cut)
  }

  /// The band sizes `learn` aims at for `n` distinct scores: red, and red plus yellow.
  static func targets(n: Int, redShare: Double, yellowShare: Double) -> (red: Int, both: Int) {
    func atOrAbove(_ quantile: Double) -> Int { n - min(n, max(0, Int((quantile * Double(n)).rounded(.down)))) }
    let red = atOrAbove(1 - redShare)
    return (red, max(red, atOrAbove(1 - redShare - yellowShare)))
  }

  /// A sentence for the training log when ties kept the bands on `scores` (the training scores
  /// the cut points were learned from) away from their shares; nil when they hold them exactly.
  public func unevenNote(scores: [Double], redShare: Double = 0.10, yellowShare: Double = 0.20) -> String? {
    guard !scores.isEmpty else { return nil }
    let n = scores.count
    var red = 0, both = 0
    for p in scores {
      red += p >= self.red ? 1 : 0
      both += p >= yellow ? 1 : 0
    }
    let (redTarget, bothTarget) = Self.targets(n: n, redShare: redShare, yellowShare: yellowShare)
    guard red != redTarget || both != bothTarget else { return nil }
    func percent(_ count: Int) -> String { String(format: "%.1f%%", 100 * Double(count) / Double(n)) }
    func asked(_ share: Double) -> String { String(format: "%g%%", (1000 * share).rounded() / 10) }
    return "tied scores make the bands uneven: red holds \(percent(red)) of the training scores (\(asked(redShare)) asked), "
      + "yellow \(percent(both - red)) (\(asked(yellowShare)) asked); customers with the same score share a band"
  }

  public func band(_ probability: Double) -> String {
    probability >= red ? "red" : (probability >= yellow ? "yellow" : "green")
  }

  /// The same cut points with the churn rate observed in each band on `labels` (1/0; NaN skipped).
  public func measured(scores: [Double], labels: [Double]) -> RiskBands {
    // Counted by band index (red 0, yellow 1, green 2), without hashing a name per row.
    var counts = [Int](repeating: 0, count: 3), churnedCounts = [Int](repeating: 0, count: 3)
    for (p, y) in zip(scores, labels) where !y.isNaN {
      let b = p >= red ? 0 : (p >= yellow ? 1 : 2)
      counts[b] += 1
      churnedCounts[b] += y == 1 ? 1 : 0
    }
    var rows: [String: Int] = [:], rates: [String: Double] = [:]
    for (b, name) in ["red", "yellow", "green"].enumerated() where counts[b] > 0 {
      rows[name] = counts[b]
      rates[name] = Double(churnedCounts[b]) / Double(counts[b])
    }
    return RiskBands(red: red, yellow: yellow, observedChurnRate: rates, observedRows: rows)
  }
}
