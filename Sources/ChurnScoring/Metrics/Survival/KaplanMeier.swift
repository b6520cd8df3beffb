/// The Kaplan–Meier estimate of survival at the end of each period 1 … K from right-censored
/// times in whole periods (Kaplan & Meier 1958):
/// ```
/// S(k) = Π_{j ≤ k} (1 − d_j / n_j)
/// d_j  customers who churned in period j
/// n_j  customers at risk in period j: time ≥ j (censored at j included: churn comes first)
/// ```
public enum KaplanMeier {
  /// S(1) … S(`periods`); a period with no one at risk keeps the previous value.
  public static func survival(_ observed: ObservedTimes, periods: Int) -> [Double] {
    var s = 1.0
    var out: [Double] = []
    for k in 1...max(1, periods) {
      var atRisk = 0, churned = 0
      for i in 0..<observed.count where observed.periods[i] >= k {
        atRisk += 1
        if observed.periods[i] == k && observed.churned[i] { churned += 1 }
      }
      if atRisk > 0 && churned > 0 { s *= 1 - Double(churned) / Double(atRisk) }
      out.append(s)
    }
    return out
  }

  /// The customers at risk in each period 1 … `periods` (time ≥ k): after the last period with
  /// any, Kaplan–Meier only repeats its last value.
  public static func atRisk(_ observed: ObservedTimes, periods: Int) -> [Int] {
    (1...max(1, periods)).map { k in observed.periods.filter { $0 >= k }.count }
  }

  /// The censoring distribution G(t) = P(censored after t), Kaplan–Meier with the roles of
  /// churn and censoring swapped (scikit-survival's `CensoringDistributionEstimator`), at the
  /// end of each period 1 … `periods`. A customer censored after m periods leaves after period
  /// m's churn, so G(k) multiplies the censorings of periods m < k:
  /// ```
  /// G(k) = Π_{m < k} (1 − c_m / r_m),  c_m censored after m periods, r_m those with time > m or censored at m
  /// ```
  static func censoring(_ observed: ObservedTimes, periods: Int) -> [Double] {
    var g = 1.0
    var out: [Double] = []
    for k in 1...max(1, periods) {
      out.append(g)
      // Censorings right after period k (time k + ½) act from k + 1 on.
      var atRisk = 0, censored = 0
      for i in 0..<observed.count {
        let ended = observed.periods[i] > k || (observed.periods[i] == k && !observed.churned[i])
        if ended { atRisk += 1 }
        if observed.periods[i] == k && !observed.churned[i] { censored += 1 }
      }
      if atRisk > 0 && censored > 0 { g *= 1 - Double(censored) / Double(atRisk) }
    }
    return out
  }
}
