/// Observed times to churn, in whole periods, with right censoring: the input of the survival
/// metrics (`ConcordanceIndex`, `KaplanMeier`, `SurvivalBrier`).
///
/// A customer who churned in period k has time k and `churned`; one seen through m periods
/// without churn has time m and is censored: known to stay beyond m. At equal times, churn
/// comes before censoring (the discrete-time convention): a customer censored at m was still at
/// risk in period m. (For continuous-time tools such as lifelines or scikit-survival, write a
/// censored time m as m + ½: the same orderings and risk sets.)
public struct ObservedTimes: Sendable, Equatable {
  /// Each customer's time in periods (≥ 1).
  public var periods: [Int]
  /// Whether each customer's churn was observed at `periods` (else censored there).
  public var churned: [Bool]

  /// Times and churn flags, one per customer.
  public init(periods: [Int], churned: [Bool]) {
    precondition(periods.count == churned.count, "\(periods.count) times for \(churned.count) churn flags")
    precondition(periods.allSatisfy { $0 >= 1 }, "times must be whole periods ≥ 1: \(periods.filter { $0 < 1 }.prefix(3))")
    self.periods = periods
    self.churned = churned
  }

  public var count: Int { periods.count }

  /// A time on a continuous scale: k for a churn in period k, m + ½ for a customer censored
  /// after m periods (who stayed beyond m).
  func continuous(_ i: Int) -> Double { Double(periods[i]) + (churned[i] ? 0 : 0.5) }
}
