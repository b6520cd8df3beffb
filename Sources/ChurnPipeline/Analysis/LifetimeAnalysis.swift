import ChurnCore
import ChurnFeatures
import ChurnModels
#if canImport(Glibc)
import Glibc
#endif

/// Who is still a customer and what they are worth, for purchase-based (non-contractual)
/// customers, without labels: BG/NBD (or Pareto/NBD) on each customer's repeat purchases and
/// Gamma–Gamma on their spend, fitted on the purchases before the as-of date (`churn lifetime`).
///
/// Per customer, from `PurchaseSummary`'s frequency x, recency tₓ and age T (in `unit`s):
/// - `p_alive`: BG/NBD's P(alive | x, tₓ, T);
/// - `expected_purchases`: BG/NBD's expected purchases within the horizon after the as-of date;
/// - `p_no_purchase`: BG/NBD's probability of no purchase within the horizon (dropped out, or
///   alive and silent): the column to rank who will not buy again by, since P(alive) is 1 for
///   every customer without a repeat purchase;
/// - `expected_spend`: Gamma–Gamma's expected value per purchase, E[M | x, m̄];
/// - `lifetime_value`: lifetimes' `customer_lifetime_value`, a discounted sum over months of
///   expected purchases times expected spend:
/// ```
/// lifetime_value = Σₖ₌₁..ᴷ E[M] · (E[X(k·L)] − E[X((k−1)·L)]) / (1 + d)ᵏ
/// ```
///   K = `lifetimeMonths`, d = `monthlyDiscount`, L = a month in the time unit (30 days, or
///   4.345 weeks: lifetimes' factors for freq "D" and "W");
/// - `valueAtRisk` (not in `csv`; the ranked list's `value_at_risk` with `churn score
///   --lifetime-value btyd`): the spend expected to be lost to future drop-out if the customer
///   is still here, over the same months: P(alive) times the spend of the customer were they
///   never to drop out, less the expected spend, with λ | alive ~ Gamma(r + x, α + T)
///   (`PurchaseModel.expectedPurchasesIfAlwaysAlive`):
/// ```
/// value_at_risk = Σₖ₌₁..ᴷ E[M] · (P(alive) · (r + x)/(α + T) · L − (E[X(k·L)] − E[X((k−1)·L)])) / (1 + d)ᵏ
/// ```
///   Since E[X(t)] = P(alive) · E[X(t) | alive] in BG/NBD and Pareto/NBD, this is P(alive) times
///   what drop-out still to come costs a live customer, ≥ 0: what a retention contact can save.
///   A customer who has almost surely left already (P(alive) ≈ 0) has ≈ 0 at risk: winning
///   them back is another campaign.
public struct LifetimeAnalysis: Sendable {
  /// The time unit of recency, age and α: days, or weeks of 7 days. P(alive) and expected
  /// purchases do not depend on it (BG/NBD only rescales α); the lifetime value does a little,
  /// through lifetimes' month lengths (30 days against 4.345 weeks = 30.415 days).
  public enum TimeUnit: String, Sendable, CaseIterable {
    case day, week
    public var days: Double { self == .day ? 1 : 7 }
    /// A month in this unit, as lifetimes' `customer_lifetime_value` counts it.
    public var month: Double { self == .day ? 30 : 4.345 }
  }

  /// The model of repeat purchasing.
  public enum PurchaseModelKind: String, Sendable, CaseIterable {
    /// BG/NBD (Fader, Hardie & Lee 2005): drop-out only just after a purchase.
    case bgnbd
    /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987): drop-out at any time.
    case paretoNBD = "pareto-nbd"
  }

  public struct Settings: Sendable {
    /// The model of repeat purchasing (default BG/NBD).
    public var model: PurchaseModelKind
    /// Only purchases before this midnight UTC are used.
    public var asOf: Int64
    /// The purchase event types; nil for the log's purchase, order, transaction or sale types.
    public var purchaseTypes: [String]?
    /// The span after the as-of date for `expected_purchases`.
    public var horizon: CalendarSpan
    public var unit: TimeUnit
    /// Months summed in the lifetime value (lifetimes' `time`, default 12).
    public var lifetimeMonths: Int
    /// The monthly discount rate of the lifetime value (lifetimes' `discount_rate`, default 0.01).
    public var monthlyDiscount: Double
    /// lifetimes' `penalizer_coef` of the BG/NBD or Pareto/NBD fit; nil (the default): none, and
    /// `LifetimeFit.fallbackPenalty` where the fit without one does not converge.
    public var penalty: Double?
    /// lifetimes' `penalizer_coef` of the Gamma–Gamma fit, read as `penalty` is.
    public var spendPenalty: Double?

    /// - Precondition: each penalty, when given, is finite and ≥ 0.
    public init(asOf: Int64, purchaseTypes: [String]? = nil, horizon: CalendarSpan = .days(90), unit: TimeUnit = .day,
                lifetimeMonths: Int = 12, monthlyDiscount: Double = 0.01, model: PurchaseModelKind = .bgnbd,
                penalty: Double? = nil, spendPenalty: Double? = nil) {
      for c in [penalty, spendPenalty] {
        if let c { precondition(c >= 0 && c.isFinite, "LifetimeAnalysis.Settings: penalty \(c), expected a finite number ≥ 0") }
      }
      self.penalty = penalty
      self.spendPenalty = spendPenalty
      self.model = model
      self.asOf = asOf
      self.purchaseTypes = purchaseTypes
      self.horizon = horizon
      self.unit = unit
      self.lifetimeMonths = lifetimeMonths
      self.monthlyDiscount = monthlyDiscount
    }

    /// The horizon in days after the as-of date (calendar months counted from it).
    public var horizonDays: Int {
      Int((horizon.added(to: asOf) - asOf) / UTCTime.millisecondsPerDay)
    }
  }

  /// One customer's row.
  public struct Row: Sendable {
    public var id: String
    public var history: PurchaseHistory
    public var probabilityAlive: Double
    public var expectedPurchases: Double
    public var probabilityOfNoPurchase: Double
    /// nil without values in the log.
    public var expectedSpend: Double?
    public var lifetimeValue: Double?
    /// The spend expected to be lost to drop-out still to come over the lifetime value's months,
    /// P(alive) × never-drops-out spend − expected spend (see the type); nil with `lifetimeValue`.
    public var valueAtRisk: Double?
  }

  public let settings: Settings
  public let summary: PurchaseSummary
  /// The BG/NBD fit (with `model` .bgnbd), or the Pareto/NBD fit (with .paretoNBD).
  public let bgnbd: LifetimeFit<BGNBD>?
  public let paretoNBD: LifetimeFit<ParetoNBD>?
  /// nil when the purchases carry no values, or when Gamma–Gamma could not be fitted.
  public let gammaGamma: LifetimeFit<GammaGamma>?
  /// Why Gamma–Gamma could not be fitted (it did not converge, q ≤ 1, fewer than 2 customers
  /// with repeat purchases of positive value): the spend columns are then empty, and the
  /// purchase columns are written all the same.
  public let spendError: LifetimeError?
  /// Customers in the byte order of their ids.
  public let rows: [Row]

  /// Reads `data`'s event log and fits both models.
  ///
  /// - Throws: the reader's errors; `PurchaseSummaryError` when there are no purchases to use;
  ///   `LifetimeError` when BG/NBD or Pareto/NBD cannot be fitted (Gamma–Gamma's failure is
  ///   `spendError`).
  public init(_ data: EventData, settings: Settings, log: JobLog = .silent) throws {
    let (reader, progress) = data.reader(log: log)
    defer { progress?.finish() }
    try self.init(summary: try PurchaseSummary.read(reader, asOf: settings.asOf, purchaseTypes: settings.purchaseTypes), settings: settings)
  }

  /// Fits both models on a summary already read.
  public init(summary: PurchaseSummary, settings: Settings) throws {
    self.settings = settings
    self.summary = summary
    let histories = Self.histories(summary, unit: settings.unit)
    let model: any PurchaseModel
    switch settings.model {
    case .bgnbd:
      let fit = try LifetimeFit.fitting(penalty: settings.penalty) { (c) throws(LifetimeError) in try BGNBD.fit(histories, penalty: c) }
      (bgnbd, paretoNBD, model) = (fit, nil, fit.model)
    case .paretoNBD:
      let fit = try LifetimeFit.fitting(penalty: settings.penalty) { (c) throws(LifetimeError) in try ParetoNBD.fit(histories, penalty: c) }
      (bgnbd, paretoNBD, model) = (nil, fit, fit.model)
    }
    do {
      let spend = summary.hasValues
        ? try LifetimeFit.fitting(penalty: settings.spendPenalty) { (c) throws(LifetimeError) in try GammaGamma.fit(histories, penalty: c) } : nil
      (gammaGamma, spendError) = (spend, nil)
    } catch {
      (gammaGamma, spendError) = (nil, error)
    }
    let spend = gammaGamma?.model
    let horizon = Double(settings.horizonDays) / settings.unit.days
    rows = zip(summary.customers, histories).map { customer, h in
      let expectedSpend = spend.map { $0.expectedSpend(h) }
      let values = expectedSpend.map { Self.monthlyValues(model, h, spend: $0, settings: settings) }
      return Row(id: customer.id, history: h, probabilityAlive: model.probabilityAlive(h),
                 expectedPurchases: model.expectedPurchases(within: horizon, h),
                 probabilityOfNoPurchase: model.probabilityOfNoPurchase(within: horizon, h), expectedSpend: expectedSpend,
                 lifetimeValue: values?.lifetimeValue, valueAtRisk: values?.valueAtRisk)
    }
  }

  /// The BTYD histories of `summary`'s customers in `unit`s.
  public static func histories(_ summary: PurchaseSummary, unit: TimeUnit) -> [PurchaseHistory] {
    summary.customers.map { c in
      let x = c.purchaseDays - 1
      return PurchaseHistory(frequency: x, recency: Double(c.lastDay - c.firstDay) / unit.days,
                             age: Double(summary.lastObservedDay - c.firstDay) / unit.days,
                             meanSpend: x > 0 && summary.hasValues ? c.repeatValue / Double(x) : nil)
    }
  }

  /// lifetimes' `customer_lifetime_value` for one customer, and the value at risk over the
  /// same discounted months, P(alive) × the never-drops-out spend − the expected spend (see the
  /// type's formulas).
  ///
  /// - Complexity: O(`lifetimeMonths`) evaluations of the expected purchases.
  public static func monthlyValues(_ model: any PurchaseModel, _ h: PurchaseHistory, spend: Double,
                            settings: Settings) -> (lifetimeValue: Double, valueAtRisk: Double) {
    var total = 0.0, atRisk = 0.0, previous = 0.0
    // An immortal customer's purchases in a month (the same in every month), counted only if the
    // customer is still here: the spend of one who has already left is not a retention call's to save.
    let alwaysAlive = model.probabilityAlive(h) * model.expectedPurchasesIfAlwaysAlive(within: settings.unit.month, h)
    for k in stride(from: 1, through: settings.lifetimeMonths, by: 1) {
      let cumulative = model.expectedPurchases(within: Double(k) * settings.unit.month, h)
      let discount = pow(1 + settings.monthlyDiscount, Double(k))
      total += spend * (cumulative - previous) / discount
      atRisk += spend * (alwaysAlive - (cumulative - previous)) / discount
      previous = cumulative
    }
    return (total, atRisk)
  }

  /// The per-customer CSV: customer_id, frequency, recency, T, monetary_value, p_alive,
  /// expected_purchases, p_no_purchase, expected_spend, lifetime_value (the last three columns empty without
  /// values; monetary_value is the mean repeat spend, 0 without repeat purchases as lifetimes
  /// writes it).
  public var csv: String {
    var out = "customer_id,frequency,recency,T,monetary_value,p_alive,expected_purchases,p_no_purchase,expected_spend,lifetime_value\n"
    // Empty for a value the model cannot give (₂F₁'s series not converging: NaN).
    func field(_ x: Double?) -> String { x.flatMap { $0.isFinite ? "\($0)" : nil } ?? "" }
    func time(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : "\(x)" }
    for row in rows {
      let h = row.history
      let monetary: Double? = summary.hasValues ? (h.meanSpend ?? 0) : nil
      out += [CSVField.escape(row.id), String(h.frequency), time(h.recency), time(h.age), field(monetary), field(row.probabilityAlive),
              field(row.expectedPurchases), field(row.probabilityOfNoPurchase), field(row.expectedSpend), field(row.lifetimeValue)].joined(separator: ",") + "\n"
    }
    return out
  }

  /// What the run found, for the terminal.
  public var lines: [String] {
    let unit = settings.unit.rawValue
    let fitLine: String
    if let bgnbd {
      let m = bgnbd.model
      fitLine = "BG/NBD: r \(Self.short(m.r)), alpha \(Self.short(m.alpha)) (\(unit)s), a \(Self.short(m.a)), b \(Self.short(m.b)); "
        + "log-likelihood \(Self.short(bgnbd.logLikelihood)) (\(bgnbd.iterations) iterations)"
    } else {
      let fit = paretoNBD!, m = fit.model
      fitLine = "Pareto/NBD: r \(Self.short(m.r)), alpha \(Self.short(m.alpha)), s \(Self.short(m.s)), beta \(Self.short(m.beta)) (\(unit)s); "
        + "log-likelihood \(Self.short(fit.logLikelihood)) (\(fit.iterations) iterations)"
    }
    /// How a fit was penalized: by the setting, or by the fallback where the plain fit stalled.
    func penaltyNote(_ used: Double, setting: Double?, flag: String) -> String {
      if let setting { return setting > 0 ? "; penalizer_coef \(setting) (\(flag))" : "" }
      guard used > 0 else { return "" }
      return "; penalizer_coef \(used): the fit without a penalty did not converge (a flat likelihood; \(flag) sets one)"
    }
    let purchasePenalty = bgnbd?.penalty ?? paretoNBD!.penalty
    var lines = [
      "\(rows.count) customers with a purchase before \(UTCTime.formatDate(milliseconds: settings.asOf)) "
        + "(\(summary.purchasesBefore) purchase events of type \(summary.purchaseTypes.joined(separator: ", "))); "
        + "\(rows.filter { $0.history.frequency > 0 }.count) with repeat purchases",
      fitLine + penaltyNote(purchasePenalty, setting: settings.penalty, flag: "--penalizer"),
    ]
    if let gg = gammaGamma {
      lines.append("Gamma-Gamma: p \(Self.short(gg.model.p)), q \(Self.short(gg.model.q)), v \(Self.short(gg.model.v)); "
        + "log-likelihood \(Self.short(gg.logLikelihood)) on \(gg.customers) customers with repeat purchases"
        + penaltyNote(gg.penalty, setting: settings.spendPenalty, flag: "--spend-penalizer"))
    } else if let spendError {
      lines.append("Gamma-Gamma not fitted: \(spendError); expected_spend and lifetime_value are left empty")
    } else {
      lines.append("no purchase values: expected_spend and lifetime_value are left empty")
    }
    if summary.skipped.count > 0 {
      lines.append("skipped \(summary.skipped.count) malformed rows of the log: "
        + summary.skipped.byReason.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
    }
    let expected = rows.reduce(0) { $0 + $1.expectedPurchases }
    lines.append("expected purchases in the \(settings.horizonDays) days after \(UTCTime.formatDate(milliseconds: settings.asOf)): "
      + Self.short(expected) + "; mean p_alive " + Self.short(rows.reduce(0) { $0 + $1.probabilityAlive } / Double(rows.count)))
    return lines
  }

  static func short(_ x: Double) -> String { String(format: "%.4g", x) }
}
