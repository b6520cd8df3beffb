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
}

/// A fitted model of repeat purchasing: what `churn lifetime` asks of BG/NBD and Pareto/NBD.
public protocol PurchaseModel: Sendable {
  /// P(alive | x, tₓ, T).
  func probabilityAlive(_ h: PurchaseHistory) -> Double
  /// The expected number of purchases in the next `t` time units.
  func expectedPurchases(within t: Double, _ h: PurchaseHistory) -> Double
  /// The probability of no purchase in the next `t` time units.
  func probabilityOfNoPurchase(within t: Double, _ h: PurchaseHistory) -> Double
}

extension BGNBD: PurchaseModel {}
extension ParetoNBD: PurchaseModel {}
