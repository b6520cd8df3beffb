import ChurnCore
import ChurnFeatures
import ChurnTestSupport
import Foundation
import Testing

@Suite("Event log reading and profiling")
struct EventLogReaderTests {
  @Test("Columns in any order and case, extra columns ignored, ids keep leading zeros, blank values are NaN")
  func read() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try "Event_Type,extra,Timestamp,Customer_ID,Value\nlogin,x,2024-03-05T10:00:00+02:00,007,\norder,y,1709648530,007,12.5\n"
      .write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    var seen: [(String, Int64, String, Double)] = []
    try EventLogReader(path: dir.file("e.csv")).read { e in
      seen.append((String(decoding: e.customer, as: UTF8.self), e.time, String(decoding: e.eventType, as: UTF8.self), e.value))
    }
    #expect(seen.count == 2)
    #expect(seen[0].0 == "007" && seen[0].1 == UTCTime.parseMilliseconds("2024-03-05T08:00:00Z") && seen[0].2 == "login" && seen[0].3.isNaN)
    #expect(seen[1].0 == "007" && seen[1].1 == 1_709_648_530_000 && seen[1].2 == "order" && seen[1].3 == 12.5)
  }

  @Test("Each bad row stops the read with file, line, value and what was expected")
  func errors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("e.csv")
    func expectError(_ body: String, _ expected: EventLogError) throws {
      try ("customer_id,timestamp,event_type,value\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
      #expect(throws: expected) { try EventLogReader(path: path).read { _ in } }
    }
    try expectError("1,2024-01-01,login,\n2,2024-13-01,login,\n", .badTimestamp(path: path, line: 3, value: "2024-13-01"))
    try expectError("1,2024-01-01,order,ten\n", .badValue(path: path, line: 2, column: "value", value: "ten"))
    try expectError("1,2024-01-01\n", .missingField(path: path, line: 2, found: 2, expected: 4))
    try expectError(" ,2024-01-01,login,\n", .blankField(path: path, line: 2, column: "customer_id"))
    #expect(EventLogError.badTimestamp(path: "events.csv", line: 812, value: "2024-13-01").description
      == "events.csv line 812: timestamp \"2024-13-01\" is not a valid date; expected ISO 8601 such as 2024-03-05 or 2024-03-05T14:22:10Z, or Unix seconds")
    try "id,when,what\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: EventLogError.missingColumn(path: path, name: "customer_id", role: "customer id", header: ["id", "when", "what"])) {
      try EventLogReader(path: path).read { _ in }
    }
    #expect(EventLogError.missingColumn(path: "e.csv", name: "customer_id", role: "customer id", header: ["id", "when"]).description
      == "e.csv: no column \"customer_id\" for the customer id; the header has id, when. Name the right column with --customer-column")
  }

  @Test("Skipping bad rows counts them by reason and keeps the first five")
  func skipping() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var text = "customer_id,timestamp,event_type,value\n"
    for i in 0..<7 { text += "\(i),not-a-date,login,\n" }
    text += "8,2024-01-01,order,abc\n9,2024-01-02,order,3\n"
    try text.write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    var count = 0
    let skipped = try EventLogReader(path: dir.file("e.csv"), skipBadRows: true).read { _ in count += 1 }.skipped
    #expect(count == 1)
    #expect(skipped.byReason == ["bad timestamp": 7, "non-numeric value": 1])
    #expect(skipped.examples.count == 5)
    #expect(skipped.examples[0].hasSuffix("line 2: timestamp \"not-a-date\" is not a valid date; expected ISO 8601 such as 2024-03-05 or 2024-03-05T14:22:10Z, or Unix seconds"))
  }

  @Test("The profile of a simulated log matches the simulator's own counts")
  func profile() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let summary = try CustomerSimulator(settings: SimulationSettings(customerCount: 200, months: 6, seed: 3)).write(to: dir.path)
    let profile = try EventLogProfile(reading: EventLogReader(path: dir.file("events.csv")))
    #expect(profile.events == summary.events)
    for t in profile.types { #expect(t.events == summary.eventsByType[t.name], "\(t.name)") }
    #expect(profile.first! >= UTCTime.parseMilliseconds("2024-01-01")! && profile.last! < UTCTime.parseMilliseconds("2024-07-01")!)
    let table = try CustomerTableProfile(path: dir.file("customers.csv"))
    #expect(table.rows == 200 && table.churned == summary.churnedCustomers && table.churnDateColumn == "churn_date")
  }
}
