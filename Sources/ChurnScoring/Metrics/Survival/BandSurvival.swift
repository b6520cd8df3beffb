import ChurnCore

/// Predicted survival against Kaplan–Meier for the customers of one risk band: the report's
/// "Time to churn" comparison (`HTMLReport.TimeToChurn`).
///
/// Customers are placed in the model's bands (`RiskBands.band`) by their churn probability
/// 1 − S(1); per band, the mean predicted S(k) beside the Kaplan–Meier S(k) of the band's
/// observed, right-censored times (`KaplanMeier`, the estimate `churn backtest --survival`
/// reports per decile):
/// ```
/// predicted(k)     = 1/n Σ_{i in band} S_i(k)
/// kaplanMeier(k)   = Π_{j ≤ k} (1 − d_j / n_j)     nil when no one in the band was followed into period k
/// ```
public struct BandSurvival: Sendable, Equatable {
  /// "red", "yellow" or "green".
  public var band: String
  /// Customers in the band, and how many of them churned within the periods they were followed.
  public var customers: Int
  public var churned: Int
  /// The mean predicted S(k), k = 1 … K.
  public var predicted: [Double]
  /// The Kaplan–Meier S(k) of the band's observed times; nil for a period no customer of the
  /// band was followed into (the data end before).
  public var kaplanMeier: [Double?]
  /// The customers at risk in each period 1 … K (followed into it, not churned before).
  public var atRisk: [Int]

  /// The bands that hold customers, red first, of `survival` (one curve S(1) … S(K) per
  /// customer) against `observed`.
  ///
  /// - Precondition: one curve per observed time, all of the same K ≥ 1.
  /// - Complexity: O(n × K).
  public static func compare(survival: [[Double]], observed: ObservedTimes, bands: RiskBands) -> [BandSurvival] {
    precondition(survival.count == observed.count, "\(survival.count) curves for \(observed.count) times")
    let periods = survival.first?.count ?? 0
    precondition(periods >= 1 && survival.allSatisfy { $0.count == periods }, "curves of \(periods) periods (at least 1, all alike)")
    let band = survival.map { bands.band(1 - $0[0]) }
    return ["red", "yellow", "green"].compactMap { name in
      let rows = band.indices.filter { band[$0] == name }
      guard !rows.isEmpty else { return nil }
      let times = ObservedTimes(periods: rows.map { observed.periods[$0] }, churned: rows.map { observed.churned[$0] })
      let atRisk = KaplanMeier.atRisk(times, periods: periods)
      return BandSurvival(band: name, customers: rows.count, churned: times.churned.filter { $0 }.count,
                          predicted: (0..<periods).map { k in rows.reduce(0.0) { $0 + survival[$1][k] } / Double(rows.count) },
                          kaplanMeier: zip(KaplanMeier.survival(times, periods: periods), atRisk).map { $1 > 0 ? $0 : nil },
                          atRisk: atRisk)
    }
  }
}
