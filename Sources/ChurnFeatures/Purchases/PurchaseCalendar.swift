import ChurnCore

/// Every customer's purchase days, read from an event log once, so that the purchase summary
/// (`PurchaseSummary`: frequency, recency and age) can be taken at many as-of dates: the
/// `btyd` feature family fits BG/NBD at each cutoff on the purchases before it.
///
/// `summary(asOf:)` gives exactly what `PurchaseSummary.read` gives for the same as-of date and
/// purchase types (the same day rule: purchases counted per UTC day, a day's values summed, a
/// blank value counted as 0; only events strictly before the as-of instant).
public struct PurchaseCalendar: Sendable {
  /// One customer with at least one purchase in the log.
  public struct Customer: Sendable, Equatable {
    public var id: String
    /// Distinct purchase days (days since 1970-01-01), ascending.
    public var days: [Int64]
    /// Per day: the summed value of its purchases, their number, whether any had a value.
    public var values: [Double]
    public var events: [Int]
    public var valued: [Bool]
  }

  /// Customers in the byte order of their ids.
  public var customers: [Customer]
  /// The event types counted as purchases that occur in the log, sorted.
  public var purchaseTypes: [String]
  /// Rows of the log skipped as malformed (with `skipBadRows`).
  public var skipped = EventLogReader.SkippedRows()

  /// Reads `reader`'s log once.
  ///
  /// - Parameter purchaseTypes: the event types that are purchases; empty for every event (the
  ///   rule of `FeatureSpec.purchaseTypes`). A type the log lacks is no error: a week's log may
  ///   have none of a model's purchase types.
  /// - Throws: what the reader throws.
  /// - Complexity: one pass over the log; a sort of the purchase events.
  public static func read(_ reader: EventLogReader, purchaseTypes: [String]) throws -> PurchaseCalendar {
    let wanted = Set(purchaseTypes)
    var isPurchase: [Bool] = []
    var customerIndex: [Int32] = [], day: [Int64] = [], value: [Double] = []
    let result = try reader.readBatches { batch, _, types in
      while isPurchase.count < types.count {
        isPurchase.append(wanted.isEmpty || wanted.contains(types.string(isPurchase.count)))
      }
      for i in 0..<batch.count where isPurchase[Int(batch.typeIndex[i])] {
        customerIndex.append(batch.customerIndex[i])
        day.append(UTCTime.floorDiv(batch.time[i], UTCTime.millisecondsPerDay))
        value.append(batch.value[i])
      }
    }
    let typeNames = result.eventTypes.strings
    let used = typeNames.indices.filter { isPurchase[$0] }.map { typeNames[$0] }.sorted()
    // Group by customer, in the byte order of the ids, then by day (as PurchaseSummary does).
    let ids = result.customers.strings
    let (keyed, rankOf) = PurchaseKeys.sorted(ids: ids, customerIndex: customerIndex, day: day, value: value)
    var customers: [Customer] = []
    var k = 0
    while k < keyed.count {
      let c = keyed[k].key >> 32
      var customer = Customer(id: ids[rankOf[Int(c)]], days: [], values: [], events: [], valued: [])
      while k < keyed.count && keyed[k].key >> 32 == c {
        let d = Int64(keyed[k].key & 0xFFFF_FFFF) - 100_000
        if customer.days.last != d {
          customer.days.append(d)
          customer.values.append(0)
          customer.events.append(0)
          customer.valued.append(false)
        }
        let v = keyed[k].value
        customer.values[customer.values.count - 1] += v.isNaN ? 0 : v
        customer.events[customer.events.count - 1] += 1
        if !v.isNaN { customer.valued[customer.valued.count - 1] = true }
        k += 1
      }
      customers.append(customer)
    }
    return PurchaseCalendar(customers: customers, purchaseTypes: used, skipped: result.skipped)
  }

  /// The purchase summary as of `asOf` (midnight UTC, ms): the customers with a purchase
  /// strictly before it, nil when there is none.
  ///
  /// - Precondition: `asOf` is a midnight UTC.
  /// - Complexity: O(purchase days of the customers).
  public func summary(asOf: Int64) -> PurchaseSummary? {
    let asOfDay = UTCTime.floorDiv(asOf, UTCTime.millisecondsPerDay)
    precondition(asOfDay * UTCTime.millisecondsPerDay == asOf, "PurchaseCalendar.summary(asOf: \(asOf)): expected a midnight UTC")
    var out: [PurchaseSummary.Customer] = []
    var before = 0, after = 0, hasValues = false
    for c in customers {
      // The number of purchase days before the as-of day: a binary search of the sorted days.
      var low = 0, high = c.days.count
      while low < high {
        let mid = (low + high) / 2
        if c.days[mid] < asOfDay { low = mid + 1 } else { high = mid }
      }
      for j in 0..<low {
        before += c.events[j]
        if c.valued[j] { hasValues = true }
      }
      for j in low..<c.days.count { after += c.events[j] }
      guard low > 0 else { continue }
      out.append(PurchaseSummary.Customer(id: c.id, purchaseDays: low, firstDay: c.days[0], lastDay: c.days[low - 1],
                                          repeatValue: c.values[1..<low].reduce(0, +)))
    }
    guard before > 0 else { return nil }
    return PurchaseSummary(customers: out, asOf: asOf, purchaseTypes: purchaseTypes, hasValues: hasValues, skipped: skipped,
                           purchasesBefore: before, purchasesAfter: after)
  }
}
