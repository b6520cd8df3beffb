/// Harrell's concordance index of predicted times against observed, right-censored times to churn.
///
/// Over every comparable pair, the share whose predicted order agrees with the observed order,
/// a tie in prediction counting ½ (Harrell et al. 1982; lifelines' `concordance_index`):
/// ```
/// comparable (i, j)   i churned at T_i and T_i < T_j, or j was censored at T_j = T_i
/// concordant          predicted_i < predicted_j (i was predicted to leave first)
/// C = (concordant + ½ tied) / comparable
/// ```
/// Two customers who churned in the same period are not comparable. With predicted times the
/// expected periods remaining, C = ½ is a random order and 1 a perfect one.
public enum ConcordanceIndex {
  /// The concordance and its counts.
  public struct Result: Sendable, Equatable {
    public var value: Double
    public var comparablePairs: Int
    public var concordantPairs: Int
    public var tiedPairs: Int
  }

  /// Harrell's C of `predicted` (higher: expected to stay longer) against `observed`.
  ///
  /// - Returns: the result; its value is NaN when no pair is comparable (no churn observed).
  /// - Complexity: O(n log n) comparisons plus the insertions into a sorted array of churned
  ///   customers' predictions (O(n²) moves of 8 bytes at worst).
  public static func harrell(predicted: [Double], observed: ObservedTimes) -> Result {
    precondition(predicted.count == observed.count, "\(predicted.count) predictions for \(observed.count) times")
    let n = observed.count
    // In time order, churned before censored at the same time (lifelines' order).
    let order = (0..<n).sorted { a, b in
      let ta = observed.periods[a], tb = observed.periods[b]
      if ta != tb { return ta < tb }
      return observed.churned[a] && !observed.churned[b]
    }
    var pool: [Double] = []  // predictions of those who churned at earlier times, sorted
    var (pairs, concordant, tied) = (0, 0, 0)
    func lowerBound(_ x: Double) -> Int {
      var (lo, hi) = (0, pool.count)
      while lo < hi {
        let mid = (lo + hi) / 2
        if pool[mid] < x { lo = mid + 1 } else { hi = mid }
      }
      return lo
    }
    func upperBound(_ x: Double) -> Int {
      var (lo, hi) = (0, pool.count)
      while lo < hi {
        let mid = (lo + hi) / 2
        if pool[mid] <= x { lo = mid + 1 } else { hi = mid }
      }
      return lo
    }
    var start = 0
    while start < n {
      // One batch: the customers of one time and one status.
      var end = start
      let t = observed.periods[order[start]], event = observed.churned[order[start]]
      while end < n && observed.periods[order[end]] == t && observed.churned[order[end]] == event { end += 1 }
      for k in start..<end {
        let x = predicted[order[k]]
        let below = lowerBound(x), equal = upperBound(x) - below
        pairs += pool.count
        concordant += below
        tied += equal
      }
      if event {
        for k in start..<end {
          let x = predicted[order[k]]
          pool.insert(x, at: upperBound(x))
        }
      }
      start = end
    }
    return Result(value: pairs > 0 ? (Double(concordant) + Double(tied) / 2) / Double(pairs) : .nan,
                  comparablePairs: pairs, concordantPairs: concordant, tiedPairs: tied)
  }
}
