/// A customer's purchases as the BTYD ("buy till you die") models see them, in one time unit
/// (days or weeks).
///
/// Purchases are counted per period of the data (per day): several purchases on one day are one
/// purchase, as lifetimes' `summary_data_from_transaction_data` counts them.
public struct PurchaseHistory: Sendable, Equatable {
  /// x: the number of repeat purchases (purchase days after the first).
  public var frequency: Int
  /// tₓ: the time from the first purchase to the last one (0 without repeat purchases).
  public var recency: Double
  /// T: the time from the first purchase to the end of observation.
  public var age: Double
  /// m̄: the mean value of the repeat purchases (each day's values summed), or nil without
  /// repeat purchases or without values.
  public var meanSpend: Double?

  /// - Precondition: frequency ≥ 0 and 0 ≤ recency ≤ age, recency 0 when frequency is 0.
  public init(frequency: Int, recency: Double, age: Double, meanSpend: Double? = nil) {
    precondition(frequency >= 0 && recency >= 0 && recency <= age && (frequency > 0 || recency == 0),
                 "PurchaseHistory(frequency: \(frequency), recency: \(recency), age: \(age)): expected frequency ≥ 0, 0 ≤ recency ≤ age, recency 0 without repeat purchases")
    self.frequency = frequency
    self.recency = recency
    self.age = age
    self.meanSpend = meanSpend
  }
}

/// A fitted BTYD model with what its fit found.
public struct LifetimeFit<Model: Sendable>: Sendable {
  /// The maximum-likelihood parameters.
  public var model: Model
  /// The total log-likelihood of the fitted customers at `model`.
  public var logLikelihood: Double
  /// BFGS iterations taken.
  public var iterations: Int
  /// Customers the fit used.
  public var customers: Int
  /// lifetimes' `penalizer_coef` the fit was made with (0: maximum likelihood).
  public var penalty: Double = 0

  /// The penalty a fit made without one is made again with where it does not converge:
  /// lifetimes' `penalizer_coef` 0.001, the size its documentation suggests. The likelihood is
  /// flat along a ridge there (for BG/NBD: drop-out hardly varies between customers, and a and
  /// b grow together), which a small penalty closes.
  public static var fallbackPenalty: Double { 0.001 }

  /// `fit` made with `penalty`; with nil, without one and, where that does not converge, again
  /// with `fallbackPenalty` (the fit's `penalty` says which).
  ///
  /// - Throws: `fit`'s error: the fallback's when both fits do not converge.
  public static func fitting(penalty: Double?, _ fit: (Double) throws(LifetimeError) -> LifetimeFit) throws(LifetimeError) -> LifetimeFit {
    if let penalty { return try fit(penalty) }
    do {
      return try fit(0)
    } catch .didNotConverge {
      return try fit(fallbackPenalty)
    }
  }
}

/// A fitted model of repeat purchasing: what `churn lifetime` asks of BG/NBD and Pareto/NBD.
public protocol PurchaseModel: Sendable {
  /// P(alive | x, tₓ, T).
  func probabilityAlive(_ h: PurchaseHistory) -> Double
  /// The expected number of purchases in the next `t` time units.
  func expectedPurchases(within t: Double, _ h: PurchaseHistory) -> Double
  /// The probability of no purchase in the next `t` time units.
  func probabilityOfNoPurchase(within t: Double, _ h: PurchaseHistory) -> Double
  /// The expected number of purchases in the next `t` time units of the customer were they
  /// alive and never to drop out (see `BGNBD.expectedPurchasesIfAlwaysAlive(within:_:)`).
  func expectedPurchasesIfAlwaysAlive(within t: Double, _ h: PurchaseHistory) -> Double
}

extension BGNBD: PurchaseModel {
  /// E[λ | alive, x, tₓ, T] · t: the expected purchases in the next `t` time units of a
  /// customer alive at T who never drops out.
  ///
  /// While alive, purchases are Poisson with rate λ ~ Gamma(r, α); given alive at T, the drop-out
  /// process says nothing more about λ, and the likelihood of x repeat purchases in (0, T] is
  /// λˣ e^(−λT), so λ | alive ~ Gamma(r + x, α + T) and
  /// ```
  /// E[purchases in (T, T + t] | alive, never drops out] = (r + x) / (α + T) · t
  /// ```
  /// It is at least `expectedPurchases(within:_:)`: the difference is what drop-out costs.
  /// - Complexity: O(1).
  public func expectedPurchasesIfAlwaysAlive(within t: Double, _ h: PurchaseHistory) -> Double {
    precondition(t >= 0, "expectedPurchasesIfAlwaysAlive(within: \(t)): expected t ≥ 0")
    return (r + Double(h.frequency)) / (alpha + h.age) * t
  }
}

extension ParetoNBD: PurchaseModel {
  /// E[λ | alive, x, tₓ, T] · t: the expected purchases in the next `t` time units of a
  /// customer alive at T who never drops out.
  ///
  /// Pareto/NBD's purchase rate λ ~ Gamma(r, α) and drop-out rate μ ~ Gamma(s, β) are
  /// independent; given alive at T the likelihood of the purchases is λˣ e^(−λT), so
  /// λ | alive ~ Gamma(r + x, α + T), as in BG/NBD:
  /// ```
  /// E[purchases in (T, T + t] | alive, never drops out] = (r + x) / (α + T) · t
  /// ```
  /// - Complexity: O(1).
  public func expectedPurchasesIfAlwaysAlive(within t: Double, _ h: PurchaseHistory) -> Double {
    precondition(t >= 0, "expectedPurchasesIfAlwaysAlive(within: \(t)): expected t ≥ 0")
    return (r + Double(h.frequency)) / (alpha + h.age) * t
  }
}
