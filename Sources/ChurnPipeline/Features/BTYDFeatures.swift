import ChurnCore
import ChurnFeatures
import ChurnModels

/// The `btyd` feature family: at each cutoff, BG/NBD (Fader, Hardie & Lee 2005) fitted on the
/// purchase histories of the events strictly before it, and from it each customer's P(alive)
/// and expected purchases over the next `horizonDays` days, as point-in-time features
/// (`churn features|train|backtest --features btyd`; `churn score` refits at the as-of date).
///
/// For cutoff c with reference r = c − lead (the instant the other features end at), the
/// histories are those `churn lifetime --as-of r` fits, in days (`PurchaseSummary`,
/// `LifetimeAnalysis.histories`): purchases are the events of the spec's purchase types (every
/// event when it has none), counted per UTC day, and
/// ```
/// frequency x = purchase days before r − 1
/// recency  tₓ = last purchase day − first purchase day
/// age       T = the day before r − first purchase day
/// btyd_p_alive            = P(alive | x, tₓ, T)
/// btyd_expected_purchases = E[X(T, T + horizonDays) | x, tₓ, T]
/// ```
/// The model is fitted on every customer with a purchase before r (eligible at c or not); no
/// label is used, and nothing at or after r is read, so the features cannot leak the label.
/// A customer with no purchase before r has both columns missing. When the fit does not
/// converge, it is made again with lifetimes' `penalizer_coef` `LifetimeFit.fallbackPenalty` (a note names
/// those cutoffs). When BG/NBD cannot be fitted at a cutoff even so (no purchase before it, no
/// repeat purchase, no convergence), both columns are missing for that cutoff's rows and a note
/// names the cutoff.
public struct BTYDFeatures: Sendable {
  /// The fit at each cutoff of the table (ms); absent where it failed.
  public var fits: [Int64: LifetimeFit<BGNBD>]
  /// One column each, a value per row of the table (NaN = missing).
  public var probabilityAlive: [Double]
  public var expectedPurchases: [Double]
  /// The cutoffs where BG/NBD was fitted with `LifetimeFit.fallbackPenalty`.
  public var penalized: [Int64]
  /// Why a cutoff's columns are missing, one line per such cutoff, and one line naming the
  /// cutoffs fitted with a penalty.
  public var notes: [String]
  /// The columns for the rows of `table` (its ids and cutoffs), with `family`'s horizon and the
  /// purchases of `calendar` before each row's cutoff less `leadDays`.
  ///
  /// - Precondition: the table has a cutoff column; every cutoff is a midnight UTC.
  /// - Complexity: per cutoff, O(customers × purchase days) to summarize and a BG/NBD fit
  ///   (O(customers) per BFGS iteration).
  public init(table: FeatureTable, calendar: PurchaseCalendar, family: FeatureSpec.BTYDFamily, leadDays: Int) {
    guard let cutoffs = table.cutoffs else { preconditionFailure("BTYDFeatures: the table has no cutoff column") }
    let rows = Dictionary(grouping: cutoffs.indices, by: { cutoffs[$0] })
    probabilityAlive = [Double](repeating: .nan, count: table.rowCount)
    expectedPurchases = probabilityAlive
    fits = [:]
    notes = []
    penalized = []
    let horizon = Double(family.horizonDays)
    for cutoff in rows.keys.sorted() {
      let reference = cutoff - Int64(leadDays) * UTCTime.millisecondsPerDay
      let before = reference == cutoff ? "" : " (the cutoff less --lead \(leadDays) days: \(UTCTime.formatDate(milliseconds: reference)))"
      func blank(_ why: String) {
        notes.append("btyd_p_alive and btyd_expected_purchases are blank at cutoff \(UTCTime.formatDate(milliseconds: cutoff)): "
          + "BG/NBD cannot be fitted on the purchases before it\(before): \(why)")
      }
      guard let summary = calendar.summary(asOf: reference) else {
        blank("there is none (purchase types: \(calendar.purchaseTypes.isEmpty ? "none in the log" : calendar.purchaseTypes.joined(separator: ", ")))")
        continue
      }
      let histories = LifetimeAnalysis.histories(summary, unit: .day)
      let fit: LifetimeFit<BGNBD>
      do throws(LifetimeError) {
        fit = try LifetimeFit.fitting(penalty: nil) { (c) throws(LifetimeError) in try BGNBD.fit(histories, penalty: c) }
        if fit.penalty > 0 { penalized.append(cutoff) }
      } catch {
        switch error {
        case .noRepeatPurchases(let customers):
          blank("none of the \(customers) customers who bought made a repeat purchase (a purchase on a later day than their first)")
        case .didNotConverge(_, _, let gradient, _):
          blank("the fit did not converge, without a penalty nor with lifetimes' penalizer_coef \(LifetimeFit<BGNBD>.fallbackPenalty) "
            + "(largest gradient component \(gradient), expected at most 1e-6): the likelihood is flat (too few repeat purchases)")
        default:
          blank(error.description)
        }
        continue
      }
      fits[cutoff] = fit
      var index: [String: Int] = [:]
      index.reserveCapacity(summary.customers.count)
      for (k, customer) in summary.customers.enumerated() { index[customer.id] = k }
      for row in rows[cutoff]! {
        guard let k = index[table.ids[row]] else { continue }
        probabilityAlive[row] = fit.model.probabilityAlive(histories[k])
        expectedPurchases[row] = fit.model.expectedPurchases(within: horizon, histories[k])
      }
    }
    if !penalized.isEmpty {
      notes.append("btyd: BG/NBD did not converge without a penalty at \(penalized.count) of \(rows.count) cutoffs "
        + "(\(penalized.map { UTCTime.formatDate(milliseconds: $0) }.joined(separator: ", ")): a flat likelihood); "
        + "fitted there with lifetimes' penalizer_coef \(LifetimeFit<BGNBD>.fallbackPenalty)")
    }
  }

  /// Adds the columns of `result.spec`'s `btyd` family to `result`'s table (after every other
  /// column) and the notes on cutoffs without them to its notes.
  ///
  /// - Precondition: the spec has the `btyd` family.
  public static func add(to result: inout FeatureBuilder.Result, calendar: PurchaseCalendar) throws {
    guard let family = result.spec.btyd else { preconditionFailure("BTYDFeatures.add: the spec has no btyd family") }
    let columns = BTYDFeatures(table: result.table, calendar: calendar, family: family, leadDays: result.spec.leadDays)
    result.table.append("btyd_p_alive", .numeric(columns.probabilityAlive))
    result.table.append("btyd_expected_purchases", .numeric(columns.expectedPurchases))
    result.notes += columns.notes
  }
}
