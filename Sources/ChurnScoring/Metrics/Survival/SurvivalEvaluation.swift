/// How well predicted survival curves describe observed, right-censored times to churn:
/// Harrell's concordance of the expected periods remaining, the Brier score per period and its
/// integral, and the predicted survival against Kaplan–Meier per risk decile.
public struct SurvivalEvaluation: Sendable, Equatable, Encodable {
  /// Customers evaluated and how many churned within their observed periods.
  public var customers: Int
  public var churned: Int
  /// K.
  public var periods: Int
  /// Harrell's C of the expected periods remaining (`ConcordanceIndex`).
  public var concordance: Double
  public var comparablePairs: Int
  /// BS(1) … BS(K) (`SurvivalBrier`).
  public var brierScores: [Double]
  /// The integrated Brier score over periods 1 … K.
  public var integratedBrierScore: Double
  /// Per risk decile: predicted against Kaplan–Meier survival.
  public var deciles: [Decile]

  /// One risk decile: customers ranked by churn probability 1 − S(1), highest first (ties in
  /// input order), cut into 10 groups of ⌊n(d + 1)/10⌋ − ⌊nd/10⌋ customers (decile 1 the riskiest).
  public struct Decile: Sendable, Equatable, Encodable {
    public var decile: Int
    public var customers: Int
    /// The lowest and highest churn probability 1 − S(1) in the decile.
    public var lowestRisk: Double
    public var highestRisk: Double
    /// The mean predicted S(k), k = 1 … K.
    public var predicted: [Double]
    /// The Kaplan–Meier S(k) of the decile's observed times; nil for a period no customer of
    /// the decile was followed into (the data ended before).
    public var kaplanMeier: [Double?]
  }

  /// Evaluates `survival` (one curve S(1) … S(K) per customer, K ≥ 2) against `observed`.
  public init(survival: [[Double]], observed: ObservedTimes) {
    precondition(survival.count == observed.count && !survival.isEmpty, "\(survival.count) curves for \(observed.count) times")
    let periods = survival[0].count
    precondition(periods >= 2 && survival.allSatisfy { $0.count == periods }, "curves of \(periods) periods (at least 2, all alike)")
    customers = observed.count
    churned = observed.churned.filter { $0 }.count
    self.periods = periods
    let c = ConcordanceIndex.harrell(predicted: survival.map { $0.reduce(0, +) }, observed: observed)
    concordance = c.value
    comparablePairs = c.comparablePairs
    brierScores = SurvivalBrier.scores(survival: survival, observed: observed)
    integratedBrierScore = SurvivalBrier.integrated(brierScores)
    deciles = Self.deciles(survival: survival, observed: observed)
  }

  static func deciles(survival: [[Double]], observed: ObservedTimes) -> [Decile] {
    let n = survival.count, periods = survival[0].count
    let risk = survival.map { 1 - $0[0] }
    let order = (0..<n).sorted { risk[$0] != risk[$1] ? risk[$0] > risk[$1] : $0 < $1 }
    var out: [Decile] = []
    for d in 0..<10 {
      let rows = Array(order[(n * d / 10)..<(n * (d + 1) / 10)])
      guard !rows.isEmpty else { continue }
      let predicted = (0..<periods).map { k in rows.reduce(0.0) { $0 + survival[$1][k] } / Double(rows.count) }
      let times = ObservedTimes(periods: rows.map { observed.periods[$0] }, churned: rows.map { observed.churned[$0] })
      out.append(Decile(decile: d + 1, customers: rows.count, lowestRisk: rows.map { risk[$0] }.min()!, highestRisk: rows.map { risk[$0] }.max()!,
                        predicted: predicted,
                        kaplanMeier: zip(KaplanMeier.survival(times, periods: periods), KaplanMeier.atRisk(times, periods: periods)).map { $1 > 0 ? $0 : nil }))
    }
    return out
  }
}
