/// The Brier score of predicted survival at the end of each period, with inverse probability
/// of censoring weights, and its integral over periods 1 … K (Graf et al. 1999; scikit-survival's
/// `brier_score` and `integrated_brier_score`, the censoring distribution G estimated from the
/// same customers):
/// ```
/// BS(k)  = 1/n Σ_i [ S_i(k)² · 1{churned at T_i ≤ k} / G(T_i) + (1 − S_i(k))² · 1{T_i > k} / G(k) ]
/// IBS    = 1/(K − 1) ∫_1^K BS(t) dt      (the trapezoid rule over k = 1 … K)
/// ```
/// A customer censored after m periods is known to stay beyond m (`ObservedTimes`): a control
/// at every k ≤ m, neither case nor control after. 0 is perfect; a constant S(k) = ½ scores ¼.
public enum SurvivalBrier {
  /// BS(1) … BS(K) of `survival` (one curve S(1) … S(K) per customer) against `observed`.
  public static func scores(survival: [[Double]], observed: ObservedTimes) -> [Double] {
    precondition(survival.count == observed.count, "\(survival.count) curves for \(observed.count) times")
    let periods = survival.first?.count ?? 0
    guard periods > 0, observed.count > 0 else { return [] }
    let g = KaplanMeier.censoring(observed, periods: periods)
    let n = Double(observed.count)
    return (1...periods).map { k in
      var sum = 0.0
      for i in 0..<observed.count {
        let s = survival[i][k - 1], t = observed.periods[i]
        if observed.churned[i] && t <= k {
          let w = g[t - 1]
          if w > 0 { sum += s * s / w }
        } else if t > k || (t == k && !observed.churned[i]) {
          if g[k - 1] > 0 { sum += (1 - s) * (1 - s) / g[k - 1] }
        }
      }
      return sum / n
    }
  }

  /// The integrated Brier score over periods 1 … K (K ≥ 2): the trapezoid rule on `scores`,
  /// divided by K − 1.
  public static func integrated(_ scores: [Double]) -> Double {
    precondition(scores.count >= 2, "the integrated Brier score needs at least 2 periods, got \(scores.count)")
    var area = 0.0
    for k in 1..<scores.count { area += (scores[k - 1] + scores[k]) / 2 }
    return area / Double(scores.count - 1)
  }
}
