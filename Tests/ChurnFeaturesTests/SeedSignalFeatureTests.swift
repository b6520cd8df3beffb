import ChurnCore
import ChurnFeatures
import ChurnTestSupport
import Foundation
import Testing

/// The families added for the customer-success team's warning signals (issue 18): rising
/// months, streaks, the quarter-on-quarter change of purchase amounts. Each value below is
/// worked out by hand from the log written in the test, at the window edges: an event exactly
/// 30 (90, 180) days before the reference, exactly at the cutoff, and in the lead gap.
@Suite("Seed-signal features: rising_months_T, streak_T, pct_change_sum_T_90d")
struct SeedSignalFeatureTests {
  /// The cutoff of every test: reference r = cutoff − lead.
  static let cutoff = "2024-07-01"

  /// Builds the rows of `events` (lines `customer,timestamp,type,value`) at the cutoff, every
  /// customer with an event in the 10 years before it eligible.
  func build(_ events: String, lead: Int = 0, spec: FeatureSpec? = nil, purchaseTypes: [String]? = nil) throws -> FeatureBuilder.Result {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try ("customer_id,timestamp,event_type,value\n" + events).write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let design = try ObservationDesign(cutoffs: [try ObservationDesign.cutoff(Self.cutoff)], horizon: .days(30), activeWindow: .days(3660))
    var builder = FeatureBuilder(design: design, spec: spec)
    builder.defaultLeadDays = lead
    builder.purchaseTypes = purchaseTypes
    return try builder.build(events: EventLogReader(path: dir.file("e.csv")))
  }

  /// The column `name` by customer id.
  func values(_ result: FeatureBuilder.Result, _ name: String) throws -> [String: Double] {
    let index = try #require(result.table.columnIndex(name), "no column \(name) in \(result.table.columnNames)")
    guard case .numeric(let column) = result.table.columns[index] else {
      Issue.record("\(name) is not numeric")
      return [:]
    }
    return Dictionary(uniqueKeysWithValues: zip(result.table.ids, column))
  }

  // Cutoff 2024-07-01 with lead 0: period 1 = [06-01, 07-01), 2 = [05-02, 06-01),
  // 3 = [04-02, 05-02), 4 = [03-03, 04-02), 5 = [02-02, 03-03), 6 = [01-03, 02-02), 7 = [2023-12-04, 01-03).
  // With lead 10 (r = 06-21): 1 = [05-22, 06-21), 2 = [04-22, 05-22), 3 = [03-23, 04-22).
  static let risingLog = """
    a,2024-06-01T00:00:00Z,complaint,
    a,2024-06-15T00:00:00Z,complaint,
    a,2024-06-30T23:59:59Z,complaint,
    a,2024-05-02T00:00:00Z,complaint,
    a,2024-05-31T23:59:59Z,complaint,
    a,2024-04-10T00:00:00Z,complaint,
    a,2024-07-01T00:00:00Z,complaint,
    b,2024-06-10T00:00:00Z,complaint,
    b,2024-05-10T00:00:00Z,complaint,
    b,2024-07-01T00:00:00Z,complaint,
    c,2024-06-01T00:00:00Z,complaint,
    d,2024-06-05T00:00:00Z,complaint,
    d,2024-06-06T00:00:00Z,complaint,
    d,2024-06-07T00:00:00Z,complaint,
    d,2024-06-08T00:00:00Z,complaint,
    d,2024-06-09T00:00:00Z,complaint,
    d,2024-06-10T00:00:00Z,complaint,
    d,2024-05-05T00:00:00Z,complaint,
    d,2024-05-06T00:00:00Z,complaint,
    d,2024-05-07T00:00:00Z,complaint,
    d,2024-05-08T00:00:00Z,complaint,
    d,2024-05-09T00:00:00Z,complaint,
    d,2024-04-05T00:00:00Z,complaint,
    d,2024-04-06T00:00:00Z,complaint,
    d,2024-04-07T00:00:00Z,complaint,
    d,2024-04-08T00:00:00Z,complaint,
    d,2024-03-05T00:00:00Z,complaint,
    d,2024-03-06T00:00:00Z,complaint,
    d,2024-03-07T00:00:00Z,complaint,
    d,2024-02-05T00:00:00Z,complaint,
    d,2024-02-06T00:00:00Z,complaint,
    d,2024-01-05T00:00:00Z,complaint,
    e,2024-06-10T00:00:00Z,complaint,
    e,2024-06-11T00:00:00Z,complaint,
    e,2024-05-10T00:00:00Z,complaint,
    e,2024-05-11T00:00:00Z,complaint,
    e,2024-04-10T00:00:00Z,complaint,
    f,2024-06-25T00:00:00Z,complaint,
    f,2023-01-01T00:00:00Z,login,

    """

  @Test("rising_months_T: consecutive 30-day periods, ending at the reference, each with more events than the one before")
  func risingMonths() throws {
    let plain = try values(try build(Self.risingLog), "rising_months_complaint")
    // a: periods 3, 2, 1, 0 (06-01T00:00 is period 1, 05-02T00:00 period 2; the event at the
    // cutoff is not seen) → 3. b: 1, 1 → 0 (the cutoff's event would make 2 > 1). c: its only
    // event, exactly 30 days before, is period 1's: 1 > 0 → 1. d: 6, 5, 4, 3, 2, 1, 0 → 6, the
    // most seven periods allow. e: 2, 2, 1 → 0 (equal is not a rise). f: 1, 0 → 1.
    #expect(plain == ["a": 3, "b": 0, "c": 1, "d": 6, "e": 0, "f": 1])
    // Lead 10: a: [05-22, 06-21) holds 06-01, 06-15, 05-31 (3); then 05-02 (1); 04-10 (1) → 1.
    // b: 1, 1 → 0. c: 1, 0 → 1. d: the same 6, 5, 4, 3, 2, 1, 0 (periods [05-22, 06-21),
    // [04-22, 05-22), ... hold the June, May, April, March, February, January events) → 6.
    // e: 06-10, 06-11 (2); 05-10, 05-11 (2) → 0. f: its complaint is in the lead gap → 0.
    let lead = try values(try build(Self.risingLog, lead: 10), "rising_months_complaint")
    #expect(lead == ["a": 1, "b": 0, "c": 1, "d": 6, "e": 0, "f": 0])
  }

  @Test("rising_months_T: a period's count stops at 65,535 (two such periods compare equal), on one thread and on two")
  func risingSaturates() throws {
    // a: 65,540 complaints in period 1, 65,536 in period 2, none in period 3: exact counts
    // would rise twice; both periods hold 65,535, so the value is 0. b: 70,000 (65,535), then 1,
    // then 0 → 2.
    var lines: [String] = []
    for i in 0..<65_540 { lines.append("a,\(UTCTime.formatDateTime(milliseconds: UTCTime.parseMilliseconds("2024-06-02")! + Int64(i) * 1000)),complaint,") }
    for i in 0..<65_536 { lines.append("a,\(UTCTime.formatDateTime(milliseconds: UTCTime.parseMilliseconds("2024-05-03")! + Int64(i) * 1000)),complaint,") }
    for i in 0..<70_000 { lines.append("b,\(UTCTime.formatDateTime(milliseconds: UTCTime.parseMilliseconds("2024-06-03")! + Int64(i) * 1000)),complaint,") }
    lines.append("b,2024-05-10T00:00:00Z,complaint,")
    lines.append("b,2024-07-05T00:00:00Z,login,")
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try ("customer_id,timestamp,event_type,value\n" + lines.joined(separator: "\n") + "\n").write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let design = try ObservationDesign(cutoffs: [try ObservationDesign.cutoff(Self.cutoff)], horizon: .days(30), activeWindow: .days(3660))
    for threads in [1, 2] {
      var builder = FeatureBuilder(design: design)
      builder.threads = threads
      builder.minimumBytesPerThread = 1000
      let result = try builder.build(events: EventLogReader(path: dir.file("e.csv")))
      #expect(try values(result, "rising_months_complaint") == ["a": 0, "b": 2], "\(threads) threads")
      #expect(try values(result, "count_complaint_30d") == ["a": 65_540, "b": 70_000], "\(threads) threads")
    }
  }

  static let streakLog = """
    a,2024-03-01T00:00:00Z,upsell_accepted,
    a,2024-04-01T00:00:00Z,upsell_declined,
    a,2024-05-01T00:00:00Z,upsell_declined,
    a,2024-06-01T00:00:00Z,upsell_declined,
    b,2024-02-01T00:00:00Z,upsell_declined,
    b,2024-03-01T00:00:00Z,upsell_accepted,
    b,2024-04-01T00:00:00Z,upsell_declined,
    b,2024-05-01T00:00:00Z,upsell_declined,
    b,2024-07-01T00:00:00Z,upsell_declined,
    c,2024-04-01T00:00:00Z,upsell_declined,
    c,2024-05-01T10:00:00Z,upsell_accepted,
    c,2024-05-01T10:00:00Z,upsell_declined,
    d,2024-01-01T00:00:00Z,upsell_declined,
    d,2024-01-02T00:00:00Z,upsell_declined,
    d,2024-01-03T00:00:00Z,upsell_declined,
    d,2024-01-04T00:00:00Z,upsell_declined,
    d,2024-01-05T00:00:00Z,upsell_declined,
    d,2024-01-06T00:00:00Z,upsell_declined,
    d,2024-01-07T00:00:00Z,upsell_declined,
    d,2024-01-08T00:00:00Z,upsell_declined,
    d,2024-01-09T00:00:00Z,upsell_declined,
    d,2024-01-10T00:00:00Z,upsell_declined,
    e,2024-06-01T00:00:00Z,upsell_declined,
    e,2024-05-01T00:00:00Z,upsell_declined,
    e,2024-04-15T00:00:00Z,upsell_accepted,
    e,2024-04-01T00:00:00Z,upsell_declined,
    f,2024-01-01T00:00:00Z,upsell_declined,
    f,2024-06-20T00:00:00Z,upsell_accepted,
    f,2024-06-25T00:00:00Z,upsell_declined,
    f,2024-02-01T00:00:00Z,login,
    f,2024-02-01T00:00:00Z,support_ticket,

    """

  @Test("streak_T: T's events after the latest event of another type with the same first word, at most 8")
  func streaks() throws {
    let result = try build(Self.streakLog)
    // a: three declines after the acceptance → 3. b: declined, accepted, declined ×2 (the one at
    // the cutoff unseen) → 2. c: a decline at the same instant as the acceptance is not after
    // it → 0, and neither is the acceptance after the decline → 0. d: ten declines, never an
    // acceptance → 8 (the cap). e: the file out of time order: accepted 04-15, then 05-01 and
    // 06-01 → 2. f: accepted 06-20 then declined 06-25 → declined 1, accepted 0.
    #expect(try values(result, "streak_upsell_declined") == ["a": 3, "b": 2, "c": 0, "d": 8, "e": 2, "f": 1])
    #expect(try values(result, "streak_upsell_accepted") == ["a": 0, "b": 0, "c": 0, "d": 0, "e": 0, "f": 0])
    // Types alone in their group (login, support_ticket) have no streak.
    #expect(!result.table.columnNames.contains { $0.hasPrefix("streak_") && !$0.hasPrefix("streak_upsell_") })
    // Lead 10 (r = 06-21): f's decline of 06-25 is in the gap: the acceptance of 06-20 is after
    // its latest decline (01-01) → accepted 1, declined 0. The others' events are all before 06-21.
    let lead = try build(Self.streakLog, lead: 10)
    #expect(try values(lead, "streak_upsell_declined") == ["a": 3, "b": 2, "c": 0, "d": 8, "e": 2, "f": 0])
    #expect(try values(lead, "streak_upsell_accepted") == ["a": 0, "b": 0, "c": 0, "d": 0, "e": 0, "f": 1])
  }

  // Cutoff 2024-07-01, lead 0: recent quarter [04-02, 07-01), the one before [2024-01-03, 04-02).
  // Lead 10 (r = 06-21): [03-23, 06-21) and [2023-12-24, 03-23).
  static let purchaseLog = """
    a,2024-02-01T00:00:00Z,order,100
    a,2024-05-01T00:00:00Z,order,60
    b,2024-04-02T00:00:00Z,order,50
    c,2024-05-01T00:00:00Z,login,
    d,2024-06-01T00:00:00Z,order,-20
    e,2024-03-01T00:00:00Z,order,-50
    e,2024-06-01T00:00:00Z,order,25
    g,2024-01-03T00:00:00Z,order,80
    g,2024-01-02T23:59:59Z,order,40
    g,2024-05-05T00:00:00Z,order,40
    g,2024-06-10T00:00:00Z,order,
    g,2024-07-01T00:00:00Z,order,20

    """

  @Test("pct_change_sum_T_90d: purchase value in the last 90 days against the 90 before; a zero base gives ±1 or 0")
  func quarterChange() throws {
    let plain = try values(try build(Self.purchaseLog), "pct_change_sum_order_90d")
    // a: 100 → 60: −0.4. b: 50 exactly 90 days before is the recent quarter's: from 0 to 50 → +1.
    // c: no order → 0. d: from 0 to −20 (a refund) → −1. e: −50 → 25: (25 + 50) / 50 = 1.5.
    // g: 80 exactly 180 days before counts, 40 a second earlier does not, the blank value and
    // the order at the cutoff do not: 80 → 40 → −0.5.
    #expect(plain == ["a": -0.4, "b": 1, "c": 0, "d": -1, "e": 1.5, "g": -0.5])
    // Lead 10: the same for a, b, d, e; c still 0; g's 40 of 01-02 joins the earlier quarter:
    // 120 → 40 → −2/3.
    let lead = try values(try build(Self.purchaseLog, lead: 10), "pct_change_sum_order_90d")
    #expect(lead.filter { $0.key != "g" } == ["a": -0.4, "b": 1, "c": 0, "d": -1, "e": 1.5])
    #expect(abs(try #require(lead["g"]) + 2.0 / 3) < 1e-15)
  }

  @Test("pct_change_sum_T_90d only for purchase types that carry values")
  func quarterChangeOnlyForPurchases() throws {
    let log = "a,2024-06-01T00:00:00Z,order,5\na,2024-06-01T00:00:00Z,payment,3\na,2024-06-01T00:00:00Z,purchase,\na,2024-07-05T00:00:00Z,login,\n"
    let names = try build(log).table.columnNames.filter { $0.hasPrefix("pct_change_sum_") }
    // order carries values and is a purchase by name; payment is no purchase; purchase has no values.
    #expect(names == ["pct_change_sum_order_90d"])
    let chosen = try build(log, purchaseTypes: ["payment"]).table.columnNames.filter { $0.hasPrefix("pct_change_sum_") }
    #expect(chosen == ["pct_change_sum_payment_90d"])
  }

  @Test("Streak groups: the first word of the token; none for a one-word or hex token")
  func streakGroups() {
    #expect(FeatureSpec.streakGroup(of: "upsell_declined") == "upsell")
    #expect(FeatureSpec.streakGroup(of: "Upsell Declined") == "upsell")
    #expect(FeatureSpec.streakGroup(of: "login") == nil)
    #expect(FeatureSpec.streakGroup(of: "€€") == nil)
    #expect(FeatureSpec.streakGroup(of: "€ offer-made") == "offer")
    let types = ["offer_made", "offer_accepted", "login", "login_failed"].map { FeatureSpec.EventType(name: $0, token: $0, valued: false) }
    let spec = FeatureSpec(eventTypes: types, purchaseTypes: [])
    #expect(spec.streakSiblings(of: types[0]).map(\.name) == ["offer_accepted"])
    // login_failed's group is "login", which it alone has (the type login has no group).
    #expect(spec.streakSiblings(of: types[2]).isEmpty && spec.streakSiblings(of: types[3]).isEmpty)
  }

  @Test("Each new family can be excluded; a version 1 spec makes none of them (its old columns) and is written back as read")
  func familiesAndVersions() throws {
    let result = try build(Self.streakLog + Self.purchaseLog)
    var spec = result.spec
    #expect(spec.version == 2)
    let all = result.table.columnNames
    #expect(all.contains("rising_months_upsell_declined") && all.contains("streak_upsell_declined") && all.contains("pct_change_sum_order_90d"))
    for (family, prefix) in [("rising_months", "rising_months_"), ("streak", "streak_"), ("pct_change_sum", "pct_change_sum_")] {
      var fewer = spec
      fewer.excludedFamilies = [family]
      let columns = try build(Self.streakLog, spec: fewer).table.columnNames
      #expect(!columns.contains { $0.hasPrefix(prefix) }, "\(family)")
      #expect(columns.count == all.count - all.filter { $0.hasPrefix(prefix) }.count, "\(family)")
    }
    // The same spec written as version 1 (before these families) makes none of them.
    spec.excludedFamilies = []
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let json = try #require(String(data: try spec.jsonData(), encoding: .utf8))
    let v1 = json.replacingOccurrences(of: "\"version\" : 2", with: "\"version\" : 1")
    #expect(v1 != json)
    try v1.write(toFile: dir.file("v1.json"), atomically: true, encoding: .utf8)
    let old = try FeatureSpec.read(path: dir.file("v1.json"))
    #expect(old.version == 1 && old.excludedFamilies.isEmpty && !old.includes("rising_months") && !old.includes("streak")
      && !old.includes("pct_change_sum") && old.includes("pct_change"))
    #expect(String(data: try old.jsonData(), encoding: .utf8) == v1, "written back as read")
    let columns = try build(Self.streakLog, spec: old).table.columnNames
    #expect(columns == all.filter { !$0.hasPrefix("rising_months_") && !$0.hasPrefix("streak_") && !$0.hasPrefix("pct_change_sum_") })
    try json.replacingOccurrences(of: "\"version\" : 2", with: "\"version\" : 3").write(toFile: dir.file("v3.json"), atomically: true, encoding: .utf8)
    #expect(throws: FeatureSpecError.badSpec("version 3; this churn reads versions 1 to 2")) { try FeatureSpec.read(path: dir.file("v3.json")) }
    #expect("\(FeatureSpecError.badSpec("version 3; this churn reads versions 1 to 2"))" == "invalid feature spec: version 3; this churn reads versions 1 to 2")
  }

  @Test("A shuffled log read on 3 threads: the new families equal the reference and one thread's values")
  func shuffledOnThreads() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var rng = SeededGenerator(seed: 18)
    var lines: [String] = []
    let start = UTCTime.parseMilliseconds("2023-10-01")!
    let types = ["upsell_accepted", "upsell_declined", "order", "complaint"]
    for c in 0..<40 {
      for _ in 0..<(20 + rng.integer(below: 60)) {
        let t = start + Int64(rng.integer(below: 330 * 86_400)) * 1000
        let type = types[rng.integer(below: types.count)]
        let value = type == "order" ? String(rng.integer(below: 200) - 20) : ""
        lines.append("c\(c),\(UTCTime.formatDateTime(milliseconds: t)),\(type),\(value)")
      }
    }
    // Whole-day events exactly 30, 90 and 180 days before a cutoff, at it, and ties.
    for c in 0..<40 {
      for date in ["2024-06-01", "2024-04-02", "2024-01-03", "2024-07-01", "2024-05-02"] {
        lines.append("c\(c),\(date)T00:00:00Z,\(types[(c + date.count) % 4]),\(c)")
      }
      lines.append("c\(c),2024-03-01T00:00:00Z,upsell_accepted,")
      lines.append("c\(c),2024-03-01T00:00:00Z,upsell_declined,")
    }
    for i in stride(from: lines.count - 1, to: 0, by: -1) { lines.swapAt(i, rng.integer(below: i + 1)) }
    try ("customer_id,timestamp,event_type,value\n" + lines.joined(separator: "\n") + "\n").write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let cutoffs = ["2024-07-01", "2024-08-15"].map { UTCTime.parseMilliseconds($0)! }
    var one = FeatureBuilder(design: try ObservationDesign(cutoffs: cutoffs, horizon: .days(30), activeWindow: .days(3660)))
    one.defaultLeadDays = 3
    var many = one
    many.threads = 3
    many.minimumBytesPerThread = 1000
    let a = try one.build(events: EventLogReader(path: dir.file("e.csv")))
    let b = try many.build(events: EventLogReader(path: dir.file("e.csv")))
    let events = try readEvents(dir.file("e.csv"))
    var checked = 0
    for name in a.table.columnNames where name.hasPrefix("rising_months_") || name.hasPrefix("streak_") || name.hasPrefix("pct_change_sum_") {
      let x = numeric(a.table, name), y = numeric(b.table, name)
      #expect(zip(x, y).allSatisfy { relativeDifference($0, $1) < 1e-12 }, "\(name): 1 thread against 3")
      for row in 0..<a.table.rowCount {
        let r = a.table.cutoffs![row] - 3 * UTCTime.millisecondsPerDay
        let expected = referenceFeatures(events: events, customer: a.table.ids[row], reference: r, spec: a.spec, signup: nil)
        #expect(relativeDifference(x[row], try #require(expected[name])) < 1e-12, "\(name) of \(a.table.ids[row]): \(x[row]) vs \(expected[name]!)")
        checked += 1
      }
    }
    // 4 rising, 2 streak, 1 quarter change, for 80 rows; the streaks and rises not all zero.
    #expect(checked == 7 * 80)
    #expect(numeric(a.table, "streak_upsell_declined").contains { $0 >= 2 } && numeric(a.table, "rising_months_complaint").contains { $0 >= 1 })
  }
}
