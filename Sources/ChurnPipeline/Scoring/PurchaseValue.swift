import ChurnCore
import ChurnFeatures
import ChurnModels
import ChurnScoring

/// Each customer's lifetime value and value at risk from their purchases, for the ranked list
/// of purchase-based customers (`churn score --lifetime-value btyd`): the BTYD models of `churn
/// lifetime` (`LifetimeAnalysis`: BG/NBD or Pareto/NBD, and Gamma–Gamma) fitted on the purchases
/// before the as-of date, as `churn lifetime --as-of` fits them.
///
/// Over K = `lifetimeMonths` months of L = 30 days, discounted at the monthly rate d:
/// ```
/// lifetime_value = Σₖ₌₁..ᴷ E[M] · (E[X(k·L)] − E[X((k−1)·L)]) / (1 + d)ᵏ             (churn lifetime's)
/// value_at_risk  = Σₖ₌₁..ᴷ E[M] · (P(alive) · (r + x)/(α + T) · L − (E[X(k·L)] − E[X((k−1)·L)])) / (1 + d)ᵏ
/// ```
/// with E[M] Gamma–Gamma's expected spend per purchase, E[X(t)] the model's expected purchases
/// within t of the as-of date, P(alive) the probability that the customer is still here, and
/// (r + x)/(α + T) the posterior mean purchase rate of a customer alive at the as-of date
/// (λ | alive ~ Gamma(r + x, α + T), in BG/NBD and Pareto/NBD alike). Since E[X(t)] = P(alive) ·
/// E[X(t) | alive], the value at risk is P(alive) times the spend a live customer is expected to
/// lose to drop-out still to come (≥ 0): what a retention contact can save. A customer who has
/// almost surely left already has ≈ 0 at risk (winning them back is a different campaign).
/// `value_at_risk` is the value at stake of `RankOrder.value` and `ContactEconomics`.
///
/// A customer with no purchase before the as-of date has neither value (blank in the list,
/// last under `RankOrder.value`); so has one whose expected purchases the model cannot give
/// (₂F₁'s series not converging), as `churn lifetime` leaves them blank.
public struct PurchaseValue: Sendable {
  /// What to fit and how to sum: `churn score --lifetime-value btyd`'s `--lifetime-model`,
  /// `--event-type`, `--lifetime-months` and `--discount`.
  public struct Settings: Sendable, Equatable {
    /// The model of repeat purchasing (default BG/NBD).
    public var model: LifetimeAnalysis.PurchaseModelKind
    /// The purchase event types; nil for the log's purchase, order, transaction or sale types.
    public var purchaseTypes: [String]?
    /// K, the months summed (default 12, as `churn lifetime --lifetime-months`).
    public var lifetimeMonths: Int
    /// d, the monthly discount rate (default 0.01, as `churn lifetime --discount`).
    public var monthlyDiscount: Double
    /// lifetimes' `penalizer_coef` of the purchase model and of Gamma–Gamma, as
    /// `LifetimeAnalysis.Settings` reads them (nil: none, with its fallback).
    public var penalty: Double?
    public var spendPenalty: Double?

    /// - Precondition: 1 ≤ `lifetimeMonths` ≤ 1200, 0 ≤ `monthlyDiscount` ≤ 10, each penalty finite
    ///   and ≥ 0 (the CLI checks them).
    public init(model: LifetimeAnalysis.PurchaseModelKind = .bgnbd, purchaseTypes: [String]? = nil, lifetimeMonths: Int = 12,
                monthlyDiscount: Double = 0.01, penalty: Double? = nil, spendPenalty: Double? = nil) {
      precondition((1...1200).contains(lifetimeMonths) && monthlyDiscount >= 0 && monthlyDiscount <= 10,
                   "PurchaseValue.Settings(lifetimeMonths: \(lifetimeMonths), monthlyDiscount: \(monthlyDiscount)): expected 1...1200 and 0...10")
      self.model = model
      self.purchaseTypes = purchaseTypes
      self.lifetimeMonths = lifetimeMonths
      self.monthlyDiscount = monthlyDiscount
      self.penalty = penalty
      self.spendPenalty = spendPenalty
    }

    /// The settings of `churn lifetime --as-of` that give the same values (days, its 90-day horizon).
    public func analysisSettings(asOf: Int64) -> LifetimeAnalysis.Settings {
      LifetimeAnalysis.Settings(asOf: asOf, purchaseTypes: purchaseTypes, lifetimeMonths: lifetimeMonths, monthlyDiscount: monthlyDiscount, model: model,
                               penalty: penalty, spendPenalty: spendPenalty)
    }
  }

  /// The fit and every customer's row, as `churn lifetime` writes them.
  public let analysis: LifetimeAnalysis
  private let byId: [String: (lifetimeValue: Double, valueAtRisk: Double)]

  /// Fits the models on the purchases of `data` before `asOf` (midnight UTC).
  ///
  /// - Throws: the errors of reading the log; `PurchaseValueError.fitFailed` when there are no
  ///   purchases to use or BG/NBD (Pareto/NBD) cannot be fitted, `.noSpend` when Gamma–Gamma
  ///   cannot (no values in the log, too few repeat buyers, no convergence).
  /// - Complexity: one pass over the log, then O(customers × `lifetimeMonths`).
  public init(_ data: EventData, asOf: Int64, settings: Settings, log: JobLog = .silent) throws {
    let date = UTCTime.formatDate(milliseconds: asOf)
    do {
      analysis = try LifetimeAnalysis(data, settings: settings.analysisSettings(asOf: asOf), log: log)
    } catch let error as LifetimeError {
      throw PurchaseValueError.fitFailed(asOf: date, reason: "\(error)")
    } catch let error as PurchaseSummaryError {
      throw PurchaseValueError.fitFailed(asOf: date, reason: "\(error)")
    }
    guard analysis.gammaGamma != nil else {
      throw PurchaseValueError.noSpend(asOf: date, reason: analysis.spendError.map { "\($0)" } ?? "\(data.events) has no purchase values")
    }
    var byId: [String: (Double, Double)] = [:]
    byId.reserveCapacity(analysis.rows.count)
    for row in analysis.rows {
      guard let ltv = row.lifetimeValue, let risk = row.valueAtRisk, ltv.isFinite, risk.isFinite else { continue }
      byId[row.id] = (ltv, risk)
    }
    self.byId = byId
  }

  /// The lifetime value and value at risk of customer `id`; nil without a purchase before the
  /// as-of date (or when the model cannot give them).
  public func values(of id: String) -> (lifetimeValue: Double, valueAtRisk: Double)? { byId[id] }

  /// What was fitted, for the log: `lifetime value: BG/NBD and Gamma-Gamma on 2357 customers with a
  /// purchase before 1997-10-01; 12 months at 1% a month`.
  public var summary: String {
    let settings = analysis.settings
    let model = settings.model == .bgnbd ? "BG/NBD" : "Pareto/NBD"
    return "lifetime value: \(model) and Gamma-Gamma on \(analysis.rows.count) customers with a purchase before "
      + "\(UTCTime.formatDate(milliseconds: settings.asOf)); \(settings.lifetimeMonths) months at "
      + String(format: "%g%%", 100 * settings.monthlyDiscount) + " a month"
  }
}

/// A purchase value (`--lifetime-value btyd`) that cannot be given.
public enum PurchaseValueError: Error, Equatable, CustomStringConvertible {
  /// With a revenue column: two sources of value for one list.
  case withRevenueColumn(column: String)
  /// Customers from a prepared table or a database: no purchases to fit on.
  case needsEventLog(source: String)
  /// No purchases to fit on, or BG/NBD (Pareto/NBD) could not be fitted.
  case fitFailed(asOf: String, reason: String)
  /// Gamma–Gamma could not be fitted: no spend per purchase.
  case noSpend(asOf: String, reason: String)

  public var description: String {
    switch self {
    case .withRevenueColumn(let column):
      return "--lifetime-value btyd values customers by their purchases and --revenue-column \(column) by their monthly revenue; "
        + "expected one source of value at a time; fix: drop --revenue-column for purchase data, or --lifetime-value for subscriptions"
    case .needsEventLog(let source):
      return "--lifetime-value btyd fits BG/NBD on the purchases of an event log; \(source) has none; "
        + "expected --events FILE with --as-of DATE; fix: score from the event log, or drop --lifetime-value"
    case .fitFailed(let asOf, let reason):
      return "--lifetime-value btyd: the purchases before \(asOf) could not be fitted: \(reason)"
    case .noSpend(let asOf, let reason):
      return "--lifetime-value btyd: Gamma-Gamma could not be fitted on the purchase values before \(asOf) (\(reason)), "
        + "so there is no spend per purchase to value; expected purchase events with values, some customers buying more than once; "
        + "fix: check the value column and --event-type, or drop --lifetime-value"
    }
  }
}
