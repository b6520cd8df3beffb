import ChurnCore

/// Each customer's purchase days before an as-of date: the frequency / recency / age ("RFM")
/// summary the BTYD models take, read from an event log.
///
/// A purchase is an event of one of the purchase types before `asOf` (a half-open window:
/// an event at the as-of instant or later is never seen). Purchases are counted per UTC day, as
/// lifetimes' `summary_data_from_transaction_data(freq="D")` does: several purchases on one day
/// are one purchase whose value is their sum (a blank value counts as 0). Observation ends on the
/// last day before `asOf` (lifetimes' `observation_period_end`; Fader, Hardie & Lee's CDNOW
/// summary counts T to the last day of the calibration period the same way):
/// ```
/// frequency x = purchase days − 1
/// recency  tₓ = last purchase day − first purchase day        (days)
/// age       T = last day before as-of − first purchase day     (days)
/// mean spend  = Σ values of the days after the first / x       (none when x = 0)
/// ```
public struct PurchaseSummary: Sendable {
  /// One customer with a purchase before the as-of date.
  public struct Customer: Sendable, Equatable {
    public var id: String
    /// Distinct purchase days (≥ 1).
    public var purchaseDays: Int
    /// Days since 1970-01-01 of the first and last purchase.
    public var firstDay: Int64
    public var lastDay: Int64
    /// The summed value of the purchase days after the first.
    public var repeatValue: Double
  }

  /// Customers in the byte order of their ids.
  public var customers: [Customer]
  /// The as-of instant (milliseconds since 1970, midnight UTC).
  public var asOf: Int64
  /// The event types counted as purchases, sorted.
  public var purchaseTypes: [String]
  /// Whether any purchase before the as-of date has a value.
  public var hasValues: Bool
  /// Rows of the log skipped as malformed (with `skipBadRows`).
  public var skipped = EventLogReader.SkippedRows()
  /// Purchase events before the as-of date, and at or after it (not used).
  public var purchasesBefore: Int
  public var purchasesAfter: Int

  /// The last day observed: the day before the as-of date (days since 1970).
  public var lastObservedDay: Int64 { UTCTime.floorDiv(asOf, UTCTime.millisecondsPerDay) - 1 }

  /// The as-of instant of `text`, a date such as 2024-07-01.
  ///
  /// - Throws: `PurchaseSummaryError.badAsOf` for text that is not a date or time.
  public static func asOf(_ text: String) throws(PurchaseSummaryError) -> Int64 {
    guard let t = UTCTime.parseMilliseconds(text) else { throw .badAsOf(text) }
    return t
  }

  /// Reads `reader`'s log once.
  ///
  /// - Parameters:
  ///   - asOf: midnight UTC (milliseconds); only events strictly before it are used.
  ///   - purchaseTypes: the event types that are purchases; nil for those of the log among
  ///     `FeatureSpec.defaultPurchaseNames` (purchase, order, transaction, sale and plurals).
  /// - Throws: what the reader throws; `PurchaseSummaryError` for an as-of date not at midnight,
  ///   a purchase type the log lacks, a log without purchase types, or no purchase before the
  ///   as-of date.
  public static func read(_ reader: EventLogReader, asOf: Int64, purchaseTypes: [String]?) throws -> PurchaseSummary {
    guard UTCTime.floorDiv(asOf, UTCTime.millisecondsPerDay) * UTCTime.millisecondsPerDay == asOf else {
      throw PurchaseSummaryError.asOfNotMidnight(UTCTime.formatDateTime(milliseconds: asOf))
    }
    let wanted = purchaseTypes.map(Set.init)
    // Per type index: whether it is a purchase type, decided when the type first appears.
    var isPurchase: [Bool] = []
    var customerIndex: [Int32] = [], day: [Int64] = [], value: [Double] = []
    var before = 0, after = 0, hasValues = false
    let result = try reader.readBatches { batch, _, types in
      while isPurchase.count < types.count {
        let name = types.string(isPurchase.count)
        isPurchase.append(wanted?.contains(name) ?? FeatureSpec.defaultPurchaseNames.contains(name.lowercased()))
      }
      for i in 0..<batch.count where isPurchase[Int(batch.typeIndex[i])] {
        guard batch.time[i] < asOf else {
          after += 1
          continue
        }
        before += 1
        customerIndex.append(batch.customerIndex[i])
        day.append(UTCTime.floorDiv(batch.time[i], UTCTime.millisecondsPerDay))
        let v = batch.value[i]
        if !v.isNaN { hasValues = true }
        value.append(v.isNaN ? 0 : v)
      }
    }
    let typeNames = result.eventTypes.strings
    let used = typeNames.indices.filter { isPurchase[$0] }.map { typeNames[$0] }.sorted()
    if let purchaseTypes {
      if let missing = purchaseTypes.first(where: { !typeNames.contains($0) }) {
        throw PurchaseSummaryError.unknownPurchaseType(path: reader.path, name: missing, types: typeNames.sorted())
      }
    } else if used.isEmpty {
      throw PurchaseSummaryError.noPurchaseTypes(path: reader.path, types: typeNames.sorted())
    }
    guard before > 0 else {
      throw PurchaseSummaryError.noPurchasesBeforeAsOf(path: reader.path, asOf: UTCTime.formatDate(milliseconds: asOf), types: used,
                                                       later: after)
    }
    // Group by customer, in the byte order of the ids, then by day: one sort of (rank, day) keys.
    let ids = result.customers.strings
    let (keyed, rankOf) = PurchaseKeys.sorted(ids: ids, customerIndex: customerIndex, day: day, value: value)
    var customers: [Customer] = []
    var k = 0
    while k < keyed.count {
      let c = keyed[k].key >> 32
      let first = keyed[k].key & 0xFFFF_FFFF
      var days = 0, last = first, repeatValue = 0.0
      while k < keyed.count && keyed[k].key >> 32 == c {
        let d = keyed[k].key & 0xFFFF_FFFF
        if d != last || days == 0 { days += 1 }
        last = d
        if d != first { repeatValue += keyed[k].value }
        k += 1
      }
      customers.append(Customer(id: ids[rankOf[Int(c)]], purchaseDays: days, firstDay: Int64(first) - 100_000, lastDay: Int64(last) - 100_000,
                                 repeatValue: repeatValue))
    }
    return PurchaseSummary(customers: customers, asOf: asOf, purchaseTypes: used, hasValues: hasValues, skipped: result.skipped,
                           purchasesBefore: before, purchasesAfter: after)
  }
}

/// Why an event log gives no purchase summary.
public enum PurchaseSummaryError: Error, Equatable, CustomStringConvertible {
  case badAsOf(String)
  case asOfNotMidnight(String)
  case unknownPurchaseType(path: String, name: String, types: [String])
  case noPurchaseTypes(path: String, types: [String])
  case noPurchasesBeforeAsOf(path: String, asOf: String, types: [String], later: Int)

  public var description: String {
    switch self {
    case .badAsOf(let text):
      return "as-of date \"\(MessageText.excerpt(text))\" is not a date; expected ISO 8601 such as 2024-07-01"
    case .asOfNotMidnight(let text):
      return "as-of date \(text) is not at midnight UTC; expected a day such as 2024-07-01"
    case .unknownPurchaseType(let path, let name, let types):
      return "purchase event type \"\(MessageText.excerpt(name))\" is not in \(path); its event types are: \(MessageText.list(types)); "
        + "name one of them with --event-type"
    case .noPurchaseTypes(let path, let types):
      return "\(path) has no purchase events (event types purchase, order, transaction or sale); its event types are: "
        + "\(MessageText.list(types)); name the purchase events with --event-type"
    case .noPurchasesBeforeAsOf(let path, let asOf, let types, let later):
      return "\(path) has no purchase (\(types.joined(separator: ", "))) before the as-of date \(asOf) (\(later) on or after it); "
        + "expected purchases before --as-of: use a later date"
    }
  }
}
