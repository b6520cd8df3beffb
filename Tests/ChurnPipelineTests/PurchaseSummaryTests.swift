import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

/// The RFM summary of `churn lifetime` on a log worked out by hand: days, same-day purchases,
/// the as-of boundary, other event types, blank values.
@Suite("Purchase summary")
struct PurchaseSummaryTests {
  static let log = """
    customer_id,timestamp,event_type,value
    a,2024-01-01T09:00:00Z,purchase,10
    a,2024-01-01T18:30:00Z,purchase,5
    a,2024-01-11T15:00:00Z,purchase,3
    b,2024-01-03,purchase,8
    a,2024-01-05,order,7
    c,2024-01-21,purchase,100
    d,2024-01-02,visit,
    b,2024-01-20T23:59:59Z,purchase,
    a,2024-01-25,purchase,50

    """
  static let asOf = UTCTime.days(year: 2024, month: 1, day: 21) * UTCTime.millisecondsPerDay

  func summary(_ dir: TemporaryDirectory, types: [String]? = nil, log: String = log) throws -> PurchaseSummary {
    try log.write(toFile: dir.file("events.csv"), atomically: true, encoding: .utf8)
    return try PurchaseSummary.read(EventLogReader(path: dir.file("events.csv")), asOf: Self.asOf, purchaseTypes: types)
  }

  @Test("purchase days before the as-of date: frequency, recency, T and mean repeat spend by hand")
  func byHand() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let s = try summary(dir)
    // Default purchase types: purchase and order (the log's among purchase, order, transaction, sale).
    #expect(s.purchaseTypes == ["order", "purchase"])
    // c bought only at the as-of instant and d never bought: neither is a customer here.
    #expect(s.customers.map(\.id) == ["a", "b"])
    #expect(s.purchasesBefore == 6 && s.purchasesAfter == 2)
    let h = LifetimeAnalysis.histories(s, unit: .day)
    // a: days Jan 1 (two purchases, one day), Jan 5, Jan 11; T runs to Jan 20, the day before as-of.
    #expect(h[0] == PurchaseHistory(frequency: 2, recency: 10, age: 19, meanSpend: 5))
    // b: Jan 3 and Jan 20 (a blank value counts as 0).
    #expect(h[1] == PurchaseHistory(frequency: 1, recency: 17, age: 17, meanSpend: 0))
    #expect(LifetimeAnalysis.histories(s, unit: .week)[0] == PurchaseHistory(frequency: 2, recency: 10.0 / 7, age: 19.0 / 7, meanSpend: 5))
    // Only the types named.
    let purchases = try summary(dir, types: ["purchase"])
    #expect(LifetimeAnalysis.histories(purchases, unit: .day)[0] == PurchaseHistory(frequency: 1, recency: 10, age: 19, meanSpend: 3))
  }

  @Test("events at or after the as-of date change nothing")
  func noLeakage() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let before = try summary(dir)
    let more = Self.log + "a,2024-01-21,purchase,999\nb,2024-03-01,order,1\ne,2024-02-01,purchase,4\n"
    let after = try summary(dir, log: more)
    #expect(after.customers == before.customers && after.purchasesBefore == before.purchasesBefore)
    #expect(after.purchasesAfter == before.purchasesAfter + 3)
  }

  @Test("errors: not midnight, not a date, an unknown type, no purchase types, no purchase before the as-of date")
  func errors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.log.write(toFile: dir.file("events.csv"), atomically: true, encoding: .utf8)
    let reader = EventLogReader(path: dir.file("events.csv"))
    #expect(throws: PurchaseSummaryError.asOfNotMidnight("2024-01-21T12:00:00Z")) {
      try PurchaseSummary.read(reader, asOf: Self.asOf + 12 * 3_600_000, purchaseTypes: nil)
    }
    #expect(PurchaseSummaryError.asOfNotMidnight("2024-01-21T12:00:00Z").description
      == "as-of date 2024-01-21T12:00:00Z is not at midnight UTC; expected a day such as 2024-07-01")
    #expect(throws: PurchaseSummaryError.badAsOf("2024-13-01")) { try PurchaseSummary.asOf("2024-13-01") }
    #expect(PurchaseSummaryError.badAsOf("2024-13-01").description == "as-of date \"2024-13-01\" is not a date; expected ISO 8601 such as 2024-07-01")
    let unknown = PurchaseSummaryError.unknownPurchaseType(path: dir.file("events.csv"), name: "refund", types: ["order", "purchase", "visit"])
    #expect(throws: unknown) { try PurchaseSummary.read(reader, asOf: Self.asOf, purchaseTypes: ["refund"]) }
    #expect(unknown.description == "purchase event type \"refund\" is not in \(dir.file("events.csv")); its event types are: order, purchase, visit; name one of them with --event-type")
    try "customer_id,timestamp,event_type\na,2024-01-01,visit\na,2024-01-02,login\n".write(toFile: dir.file("visits.csv"), atomically: true, encoding: .utf8)
    let none = PurchaseSummaryError.noPurchaseTypes(path: dir.file("visits.csv"), types: ["login", "visit"])
    #expect(throws: none) { try PurchaseSummary.read(EventLogReader(path: dir.file("visits.csv")), asOf: Self.asOf, purchaseTypes: nil) }
    #expect(none.description == "\(dir.file("visits.csv")) has no purchase events (event types purchase, order, transaction or sale); its event types are: login, visit; name the purchase events with --event-type")
    let early = UTCTime.days(year: 2023, month: 6, day: 1) * UTCTime.millisecondsPerDay
    let nothing = PurchaseSummaryError.noPurchasesBeforeAsOf(path: dir.file("events.csv"), asOf: "2023-06-01", types: ["order", "purchase"], later: 8)
    #expect(throws: nothing) { try PurchaseSummary.read(reader, asOf: early, purchaseTypes: nil) }
    #expect(nothing.description == "\(dir.file("events.csv")) has no purchase (order, purchase) before the as-of date 2023-06-01 (8 on or after it); expected purchases before --as-of: use a later date")
  }
}
