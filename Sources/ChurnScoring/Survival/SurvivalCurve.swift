import Foundation

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

extension SurvivalCurve {
  /// The revenue the customer is expected to bring over the K periods, discounted:
  /// `lifetime_value = Σ_{k=1..K} S(k) × r × δ^k`, with r the revenue per period and δ the
  /// per-period discount factor (`PeriodDiscount`; 1 for none).
  public func lifetimeValue(revenuePerPeriod r: Double, discount δ: Double = 1) -> Double {
    weightedSum(revenuePerPeriod: r, discount: δ) { $0 }
  }

  /// The revenue the model expects to lose to churn over the K periods, against a customer who
  /// stays: `value_at_risk = Σ_{k=1..K} (1 − S(k)) × r × δ^k`. With δ = 1 and K = 1 it is
  /// churn_probability × r, the fixed-horizon expected revenue at risk.
  public func valueAtRisk(revenuePerPeriod r: Double, discount δ: Double = 1) -> Double {
    weightedSum(revenuePerPeriod: r, discount: δ) { 1 - $0 }
  }

  /// Σ_k w(S(k)) × r × δ^k, in period order.
  private func weightedSum(revenuePerPeriod r: Double, discount δ: Double, _ w: (Double) -> Double) -> Double {
    var total = 0.0, factor = 1.0
    for s in survival {
      factor *= δ
      total += w(s) * r * factor
    }
    return total + 0  // -0 reads as 0
  }
}

/// The monthly discount rate d of a lifetime value (`churn score --discount`, the same rate as
/// `churn lifetime --discount`): revenue m months ahead counts (1 + d)^−m of today's, so over a
/// period of M months (the horizon) the per-period factor is δ = (1 + d)^−M (`perPeriod`).
public struct DiscountRate: Sendable, Equatable {
  /// d, from 0 to `maximum`.
  public let monthly: Double
  /// The largest rate accepted, as `churn lifetime`'s.
  public static let maximum = 10.0

  /// No discount (d = 0).
  public static let none = DiscountRate(unchecked: 0)

  /// - Throws: `PeriodDiscountError.badRate` unless 0 ≤ `monthly` ≤ `maximum`.
  public init(monthly: Double) throws(PeriodDiscountError) {
    guard monthly >= 0, monthly <= Self.maximum else { throw .badRate(monthly) }
    self.monthly = monthly + 0  // -0 reads as 0
  }

  private init(unchecked: Double) { monthly = unchecked }

  /// δ = (1 + d)^−M for a period of `months` months (1 without a discount).
  public func perPeriod(months: Double) -> PeriodDiscount {
    monthly == 0 ? .none : PeriodDiscount(uncheckedFactor: Foundation.pow(1 + monthly, -months))
  }
}

/// δ: the per-period discount factor of a lifetime value (`DiscountRate.perPeriod`), in (0, 1];
/// 1 (the default) discounts nothing, 0.99 values period k's revenue at 0.99^k of today's.
public struct PeriodDiscount: Sendable, Equatable {
  /// δ, in (0, 1].
  public let factor: Double

  /// No discount (δ = 1).
  public static let none = PeriodDiscount(uncheckedFactor: 1)

  /// - Throws: `PeriodDiscountError.outOfRange` unless 0 < `factor` ≤ 1.
  public init(_ factor: Double) throws(PeriodDiscountError) {
    guard factor > 0, factor <= 1 else { throw .outOfRange(factor) }
    self.factor = factor
  }

  init(uncheckedFactor: Double) { factor = uncheckedFactor }
}

/// A discount factor that cannot be used.
public enum PeriodDiscountError: Error, Equatable, CustomStringConvertible {
  /// δ not in (0, 1] (NaN included).
  case outOfRange(Double)
  /// `--discount`: a monthly rate not in 0...`DiscountRate.maximum` (NaN included).
  case badRate(Double)
  /// `--discount` for a model without survival curves: there is no lifetime value to discount.
  case needsSurvivalModel(model: String)
  /// `--discount` without a revenue column: no revenue to discount.
  case needsRevenue

  public var description: String {
    switch self {
    case .outOfRange(let d):
      return "per-period discount factor \(String(format: "%g", d)): expected more than 0 and at most 1 (1 = no discount)"
    case .badRate(let d):
      return "--discount \(String(format: "%g", d)): expected a monthly discount rate from 0 to \(String(format: "%g", DiscountRate.maximum)) "
        + "(the same rate as churn lifetime's; 0 = none); fix: give a rate such as 0.01"
    case .needsSurvivalModel(let model):
      return "--discount: \(model) is not a survival model, so the list has no lifetime value to discount; "
        + "fix: train one with churn train --survival --periods K, or leave out --discount"
    case .needsRevenue:
      return "--discount discounts lifetime_value and value_at_risk, which need each customer's revenue; expected --revenue-column COLUMN (monthly revenue); "
        + "fix: name the revenue column, or leave out --discount"
    }
  }
}
