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
    try expectError("1,2024-01-01\n", .fieldCount(path: path, line: 2, found: 2, expected: 4))
    try expectError(" ,2024-01-01,login,\n", .blankField(path: path, line: 2, column: "customer_id"))
    #expect(EventLogError.badTimestamp(path: "events.csv", line: 812, value: "2024-13-01").description
      == "events.csv line 812: timestamp \"2024-13-01\" is not a valid date; expected ISO 8601 such as 2024-03-05 or 2024-03-05T14:22:10Z, 20240305, or Unix seconds (9–11 digits) or milliseconds (12–14 digits)")
    try "id,when,what\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: EventLogError.missingColumn(path: path, name: "customer_id", role: "customer id", header: ["id", "when", "what"])) {
      try EventLogReader(path: path).read { _ in }
    }
    #expect(EventLogError.missingColumn(path: "e.csv", name: "customer_id", role: "customer id", header: ["id", "when"]).description
      == "e.csv: no column \"customer_id\" for the customer id; the header has id, when. Name the right column with --customer-column")
  }

  /// The events of `body` under the standard header, or the error the read throws.
  func readEvents(_ body: String, header: String = "customer_id,timestamp,event_type,value",
                  columns: EventLogColumns = EventLogColumns(),
                  configure: (inout EventLogReader) -> Void = { _ in }) throws -> (path: String, events: [(String, Int64, String, Double)]) {
    let dir = try TemporaryDirectory()
    let path = dir.file("e.csv")
    try (header + "\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
    var reader = EventLogReader(path: path, columns: columns)
    configure(&reader)
    var seen: [(String, Int64, String, Double)] = []
    try reader.read { e in
      seen.append((String(decoding: e.customer, as: UTF8.self), e.time, String(decoding: e.eventType, as: UTF8.self), e.value))
    }
    return (path, seen)
  }

  func expectReadError(_ body: String, header: String = "customer_id,timestamp,event_type,value",
                       columns: EventLogColumns = EventLogColumns(), _ expected: (String) -> EventLogError) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("e.csv")
    try (header + "\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: expected(path)) { try EventLogReader(path: path, columns: columns).read { _ in } }
  }

  @Test("A stray quote never swallows lines: inside a field it is a character; at a field's start the row is refused")
  func strayQuotes() throws {
    let inside = try readEvents("1,2024-01-01,log\"in,\n2,2024-01-02,login,\n3,2024-01-03,login,\n4,2024-01-04,login,\n5,2024-01-05,login,\n")
    #expect(inside.events.count == 5)
    #expect(inside.events[0].2 == "log\"in")
    try expectReadError("1,2024-01-01,login,\n2,\"2024-01-02,login,\n3,2024-01-03,login,\n4,2024-01-04\",login,\n5,2024-01-05,login,\n") {
      .multilineRow(path: $0, line: 3, lines: 3)
    }
    #expect(EventLogError.multilineRow(path: "e.csv", line: 3, lines: 3).description
      == "e.csv line 3: a quoted field runs over 3 lines (to line 5); expected one event per line: look for a stray \" at the start of a field on line 3")
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("e.csv")
    try "customer_id,timestamp,event_type,value\n1,2024-01-01,login,\n2,\"2024-01-02,login,\n3,2024-01-03,login,\n"
      .write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: CSVError.unterminatedQuote(path: path, line: 3, field: 2)) { try EventLogReader(path: path).read { _ in } }
    try "customer_id,timestamp,event_type,value\n1,\"2024-01-01,login,\n2,2024-01-02,\"login\",\n"
      .write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: CSVError.textAfterQuote(path: path, line: 2, field: 2, closingLine: 3)) { try EventLogReader(path: path).read { _ in } }
  }

  @Test("A row over several lines is refused at its true line when the log is read on several threads")
  func multilinePartitioned() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var lines = ["customer_id,timestamp,event_type,value"]
    for i in 0..<3000 { lines.append("c\(i % 7),2024-01-\(String(format: "%02d", 1 + i % 28)),login,\(i)") }
    lines[2000] = "c1,2024-01-05,\"log\nin\",3"
    try lines.joined(separator: "\n").write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    #expect(throws: EventLogError.multilineRow(path: dir.file("e.csv"), line: 2001, lines: 2)) {
      _ = try EventLogReader(path: dir.file("e.csv")).readBatches(partitions: 3, minimumPartitionBytes: 100, reset: {}) { _, _, _, _ in }
    }
  }

  @Test("A row with more fields than the header is refused, as in the customer table")
  func extraFields() throws {
    try expectReadError("1,2024-01-01,login,\n2,2024-01-02,order,5,extra\n") { .fieldCount(path: $0, line: 3, found: 5, expected: 4) }
    #expect(EventLogError.fieldCount(path: "e.csv", line: 3, found: 5, expected: 4).description
      == "e.csv line 3: 5 fields; expected 4 as in the header")
  }

  @Test("Eight digits are a date; Unix seconds and milliseconds are told apart by magnitude")
  func timestampForms() throws {
    let r = try readEvents("1,20250105,login,\n2,1736035200,login,\n3,1736035200000,login,\n")
    let day = UTCTime.parseMilliseconds("2025-01-05")!
    #expect(r.events.map(\.1) == [day, day, day])
  }

  @Test("Timestamps outside 1900–2199 or after tomorrow are refused with the line; --data-end lifts the future check")
  func timestampRange() throws {
    try expectReadError("1,2024-01-01,login,\n2,9999-12-31,login,\n") {
      .implausibleTimestamp(path: $0, line: 3, value: "9999-12-31", time: UTCTime.parseMilliseconds("9999-12-31")!)
    }
    try expectReadError("1,1899-12-31,login,\n") {
      .implausibleTimestamp(path: $0, line: 2, value: "1899-12-31", time: UTCTime.parseMilliseconds("1899-12-31")!)
    }
    #expect(EventLogError.implausibleTimestamp(path: "e.csv", line: 3, value: "9999-12-31", time: UTCTime.parseMilliseconds("9999-12-31")!).description
      == "e.csv line 3: timestamp \"9999-12-31\" (read as 9999-12-31) is outside 1900-01-01 to 2199-12-31; expected a date in that range: correct the row, or skip such rows with --skip-bad-rows")
    let future = UTCTime.parseMilliseconds("2199-01-01")!
    try expectReadError("1,2024-01-01,login,\n2,2199-01-01,login,\n") {
      .futureTimestamp(path: $0, line: 3, value: "2199-01-01", time: future, latest: EventLogReader.endOfTomorrow())
    }
    #expect(EventLogError.futureTimestamp(path: "e.csv", line: 3, value: "2199-01-01", time: future, latest: UTCTime.parseMilliseconds("2026-12-02")!).description
      == "e.csv line 3: timestamp \"2199-01-01\" (read as 2199-01-01) is in the future (after 2026-12-01); expected past events, since the last event sets the end of the data and a future one would make labels \"known\" that are not: correct the row, skip such rows with --skip-bad-rows, or pass --data-end (features, train, backtest, cohorts) if the log really runs that far")
    let lifted = try readEvents("1,2024-01-01,login,\n2,2199-01-01,login,\n") { $0.latestTimestamp = nil }
    #expect(lifted.events.count == 2)
    let tomorrow = UTCTime.formatDate(milliseconds: EventLogReader.endOfTomorrow() - 1)
    #expect(try readEvents("1,\(tomorrow)T23:59:59Z,login,\n").events.count == 1)
  }

  @Test("Values beyond ±1e15 (1e308, 1e400) are refused with the line; nan and inf are not numbers")
  func valueRange() throws {
    try expectReadError("1,2024-01-01,order,1e308\n") { .valueOutOfRange(path: $0, line: 2, column: "value", value: "1e308") }
    try expectReadError("1,2024-01-01,order,5\n1,2024-01-02,order,-1e308\n") { .valueOutOfRange(path: $0, line: 3, column: "value", value: "-1e308") }
    try expectReadError("1,2024-01-01,order,1e400\n") { .valueOutOfRange(path: $0, line: 2, column: "value", value: "1e400") }
    try expectReadError("1,2024-01-01,order,nan\n") { .badValue(path: $0, line: 2, column: "value", value: "nan") }
    try expectReadError("1,2024-01-01,order,inf\n") { .badValue(path: $0, line: 2, column: "value", value: "inf") }
    #expect(try readEvents("1,2024-01-01,order,1e15\n1,2024-01-01,order,-1e15\n").events.map(\.3) == [1e15, -1e15])
    #expect(EventLogError.valueOutOfRange(path: "e.csv", line: 2, column: "value", value: "1e308").description
      == "e.csv line 2: value \"1e308\" is beyond ±1e15; expected a magnitude of at most 1e15 (larger values are typing or unit mistakes, and their sums overflow): correct the row, or skip such rows with --skip-bad-rows")
  }

  @Test("A misspelled column name is an error naming the header and the nearest name; the default value column may be absent")
  func columnTypos() throws {
    try expectReadError("1,2024-01-01,order,5\n", header: "customer_id,timestamp,event_type,amount",
                        columns: EventLogColumns(value: "amout")) {
      .missingColumn(path: $0, name: "amout", role: "value", header: ["customer_id", "timestamp", "event_type", "amount"])
    }
    #expect(EventLogError.missingColumn(path: "e.csv", name: "amout", role: "value", header: ["customer_id", "timestamp", "event_type", "amount"]).description
      == "e.csv: no column \"amout\" for the value (did you mean \"amount\"?); the header has customer_id, timestamp, event_type, amount. Name the right column with --value-column")
    #expect(EventLogError.missingColumn(path: "e.csv", name: "timestmp", role: "timestamp", header: ["customer_id", "timestamp"]).description
      == "e.csv: no column \"timestmp\" for the timestamp (did you mean \"timestamp\"?); the header has customer_id, timestamp. Name the right column with --timestamp-column")
    let noValue = try readEvents("1,2024-01-01,login\n", header: "customer_id,timestamp,event_type")
    #expect(noValue.events.count == 1 && noValue.events[0].3.isNaN)
    var required = EventLogColumns()
    required.valueRequired = true  // scoring with a model whose features use values
    try expectReadError("1,2024-01-01,login\n", header: "customer_id,timestamp,event_type", columns: required) {
      .missingColumn(path: $0, name: "value", role: "value", header: ["customer_id", "timestamp", "event_type"])
    }
  }

  @Test("Echoed values are cut to 40 characters")
  func longValues() throws {
    let long = String(repeating: "9", count: 1_000_000)
    let error = EventLogError.badTimestamp(path: "e.csv", line: 2, value: long + "x")
    #expect(error.description.count < 300)
    #expect(error.description.hasPrefix("e.csv line 2: timestamp \"" + String(repeating: "9", count: 40) + "…\" is not a valid date"))
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
    #expect(skipped.examples[0].hasSuffix("line 2: timestamp \"not-a-date\" is not a valid date; expected ISO 8601 such as 2024-03-05 or 2024-03-05T14:22:10Z, 20240305, or Unix seconds (9–11 digits) or milliseconds (12–14 digits)"))
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
