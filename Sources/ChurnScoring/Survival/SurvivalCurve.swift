/// One customer's predicted survival over the next K periods: S(k), the probability of still
/// being a customer at the end of period k, and what the ranked list derives from it.
///
/// ```
/// expected_periods_remaining = Σ_{k=1..K} S(k)        (the mean time to churn, restricted to K periods)
/// median_periods_to_churn    = min { k : S(k) ≤ ½ }   (none when S stays above ½ through K)
/// churn_probability          = 1 − S(1)
/// ```
public struct SurvivalCurve: Sendable, Equatable {
  /// S(1) … S(K), non-increasing, in [0, 1].
  public var survival: [Double]

  /// A curve of S(1) … S(K).
  public init(survival: [Double]) {
    self.survival = survival
  }

  /// K, the periods the curve covers.
  public var periods: Int { survival.count }

  /// Σ_k S(k): the expected number of whole periods the customer stays, within K.
  public var expectedPeriodsRemaining: Double { survival.reduce(0, +) }

  /// The first period k with S(k) ≤ ½, or nil when S stays above ½ through period K.
  public var medianPeriodsToChurn: Int? { survival.firstIndex { $0 <= 0.5 }.map { $0 + 1 } }
}
