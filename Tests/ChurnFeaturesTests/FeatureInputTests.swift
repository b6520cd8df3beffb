import ChurnCore
import ChurnFeatures
import ChurnTestSupport
import Foundation
import Testing

/// Inputs that used to pass with exit 0 and a silently different result (issue 14): typos in
/// event types, a blank value column, a log whose every row was skipped, churn dates that drop
/// customers, a customer table with no rows.
@Suite("Feature inputs that must not pass silently")
struct FeatureInputTests {
  let log = "customer_id,timestamp,event_type,value\na,2024-01-10,login,\na,2024-02-05,order,\nb,2024-01-20,login,\nb,2024-03-15,payment,\n"

  func build(events: String? = nil, customers: String? = nil, activityTypes: [String]? = nil, purchaseTypes: [String]? = nil,
             spec: FeatureSpec? = nil, skipBadRows: Bool = false) throws -> FeatureBuilder.Result {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try (events ?? log).write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    var table: CustomerTable?
    if let customers {
      try customers.write(toFile: dir.file("c.csv"), atomically: true, encoding: .utf8)
      table = try CustomerTable(path: dir.file("c.csv"))
    }
    let design = try ObservationDesign(cutoffs: [try ObservationDesign.cutoff("2024-02-01")], horizon: .days(30), activityTypes: activityTypes)
    var builder = FeatureBuilder(design: design, spec: spec, customers: table)
    builder.purchaseTypes = purchaseTypes
    return try builder.build(events: EventLogReader(path: dir.file("e.csv"), skipBadRows: skipBadRows))
  }

  @Test("An activity or purchase type the log lacks is an error naming the log's types and the nearest (was a note, exit 0)")
  func unknownTypes() throws {
    #expect(throws: FeatureError.unknownEventType(option: "--activity-types", name: "logn", types: ["login", "order", "payment"])) {
      _ = try build(activityTypes: ["logn"])
    }
    #expect(throws: FeatureError.unknownEventType(option: "--purchase-types", name: "ordr", types: ["login", "order", "payment"])) {
      _ = try build(purchaseTypes: ["order", "ordr"])
    }
    #expect(FeatureError.unknownEventType(option: "--activity-types", name: "logn", types: ["login", "order", "payment"]).description
      == "--activity-types: event type \"logn\" never occurs in the log (did you mean \"login\"?); the log's types are login, order, payment; "
      + "expected types as written in the log (case matters)")
    #expect(FeatureError.unknownEventType(option: "--purchase-types", name: "zzz", types: ["login"]).description
      == "--purchase-types: event type \"zzz\" never occurs in the log; the log's types are login; expected types as written in the log (case matters)")
    // Types that occur pass; with a fixed spec (a model's types) a missing activity type is a note.
    #expect(try build(activityTypes: ["login"], purchaseTypes: ["order"]).spec.purchaseTypes == ["order"])
    let spec = try build().spec
    let fixed = try build(activityTypes: ["login", "visit"], spec: spec)
    #expect(fixed.notes.contains("activity type visit never occurs in the log"))
  }

  @Test("A value column blank in every row says that sums, means and monetary features are left out")
  func blankValueColumn() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("e.csv")
    try log.write(toFile: path, atomically: true, encoding: .utf8)
    let design = try ObservationDesign(cutoffs: [try ObservationDesign.cutoff("2024-02-01")], horizon: .days(30))
    let blank = try FeatureBuilder(design: design).build(events: EventLogReader(path: path))
    #expect(blank.notes == ["the value column value is blank in every row of \(path); sum and mean features are left out, "
      + "and monetary_90d and m_score are empty"])
    #expect(!blank.table.columnNames.contains { $0.hasPrefix("sum_") || $0.hasPrefix("mean_") && !$0.hasPrefix("mean_gap") })
    let monetary = numeric(blank.table, "monetary_90d")
    #expect(!monetary.isEmpty && monetary.allSatisfy(\.isNaN))
    // One value anywhere: no note. No value column at all: no note either (events have no value by design).
    try log.replacingOccurrences(of: "order,\n", with: "order,5\n").write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try FeatureBuilder(design: design).build(events: EventLogReader(path: path)).notes.isEmpty)
    try "customer_id,timestamp,event_type\na,2024-01-10,login\nb,2024-02-05,login\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try FeatureBuilder(design: design).build(events: EventLogReader(path: path)).notes.isEmpty)
  }

  @Test("--skip-bad-rows that skips every row says so with the counts by reason (was 'has no events')")
  func everyRowSkipped() throws {
    let bad = "customer_id,timestamp,event_type,value\na,xx,login,\nb,yy,login,\nc,2024-01-01,,\n"
    do {
      _ = try build(events: bad, skipBadRows: true)
    } catch let error as FeatureError {
      guard case .everyRowSkipped(_, let count, let byReason) = error else { Issue.record("unexpected \(error)"); return }
      #expect(count == 3 && byReason == ["bad timestamp": 2, "blank id or event type": 1])
      return
    }
    Issue.record("a log whose every row was skipped was accepted")
    #expect(FeatureError.everyRowSkipped(path: "e.csv", count: 3, byReason: ["bad timestamp": 2, "blank id or event type": 1]).description
      == "e.csv: every row was skipped (3 bad rows: 2 bad timestamp, 1 blank id or event type), so no event is left; expected at least one "
      + "good row: run without --skip-bad-rows to see the first error, and check the column flags and the timestamp form")
  }

  @Test("A churn date before signup is an error naming the line; before the first event a counted note; no rows an error")
  func churnDates() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("c.csv")
    try "customer_id,plan,Signup_Date,churn_date\na,pro,2023-06-01,\nb,basic,2023-09-01,2023-08-01\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: FeatureError.churnBeforeSignup(path: path, line: 3, id: "b", churn: "2023-08-01", signup: "2023-09-01",
                                                  churnColumn: "churn_date", signupColumn: "Signup_Date")) {
      _ = try CustomerTable(path: path)
    }
    #expect(FeatureError.churnBeforeSignup(path: "c.csv", line: 3, id: "b", churn: "2023-08-01", signup: "2023-09-01",
                                           churnColumn: "churn_date", signupColumn: "signup_date").description
      == "c.csv line 3: customer \"b\" has churn_date 2023-08-01 before signup_date 2023-09-01; expected a churn date on or after the signup date: correct one of them")
    try "customer_id,plan,churn_date\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: FeatureError.noCustomers(path: path)) { _ = try CustomerTable(path: path) }
    #expect(FeatureError.noCustomers(path: "c.csv").description
      == "c.csv has a header but no rows; expected one row per customer: add the customers, or leave out --customers (labels then come from inactivity)")
    // b churned (2023-12-01) before its first event (2024-01-20): in no row, and counted.
    let result = try build(customers: "customer_id,plan,churn_date\na,pro,\nb,basic,2023-12-01\n")
    #expect(result.table.ids == ["a"])
    #expect(result.notes.contains { $0.hasSuffix("c.csv churned before their first event and is in no cutoff's rows (first: line 3, \"b\" churned 2023-12-01, first event 2024-01-20): check the churn dates") && $0.hasPrefix("1 customer of ") }, "\(result.notes)")
  }
}
