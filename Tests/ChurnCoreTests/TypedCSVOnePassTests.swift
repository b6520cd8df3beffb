import ChurnCore
import ChurnTestSupport
import Foundation
import Testing

/// TypedCSV keeps the numeric columns' values from its first pass and reads only the other
/// columns again: the values, the kinds and the first error reported must be those of reading
/// every column twice.
@Suite("Typed tables read in one pass where they can: the same values and the same first error")
struct TypedCSVOnePassTests {
  @discardableResult
  func withFile<T>(_ text: String, _ body: (String) throws -> T) throws -> T {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("t.csv")
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return try body(path)
  }

  func expectError(_ text: String, kinds: [String: TypedCSV.Kind] = [:], _ expected: (String) -> TableError) throws {
    try withFile(text) { path in
      #expect(throws: expected(path)) { _ = try TypedCSV(path: path, idColumn: "id", kinds: kinds) }
    }
  }

  @Test("The first error in the file wins, whichever column or pass finds it")
  func firstErrorWins() throws {
    // A blank id before a number beyond the limit, and after it.
    try expectError("id,x,y\n1,1,2\n ,2,3\n3,1e300,4\n") { .blankId(path: $0, line: 3, column: "id") }
    try expectError("id,x,y\n1,1,2\n2,1e300,3\n,3,4\n") { .outOfRange(path: $0, line: 3, column: "x", value: "1e300") }
    // A forced numeric column with text (read again) before and after a kept column's number beyond the limit.
    try expectError("id,x,y\n1,1,a\n2,1e300,3\n3,1,4\n", kinds: ["y": .numeric]) { .notNumeric(path: $0, line: 2, column: "y", value: "a") }
    try expectError("id,x,y\n1,1,2\n2,1e300,3\n3,1,b\n", kinds: ["y": .numeric]) { .outOfRange(path: $0, line: 3, column: "x", value: "1e300") }
    // On one line, the earlier column.
    try expectError("id,x,y\n1,1,2\n2,1e300,b\n", kinds: ["y": .numeric]) { .outOfRange(path: $0, line: 3, column: "x", value: "1e300") }
    try expectError("id,y,x\n1,1,2\n2,b,1e300\n", kinds: ["y": .numeric]) { .notNumeric(path: $0, line: 3, column: "y", value: "b") }
    // A forced date column's bad value, then a blank id; a number beyond the limit in a column that turns out to be codes is no error.
    try expectError("id,d,x\n1,2024-01-05,1\n2,soon,2\n,2024-01-07,3\n", kinds: ["d": .date]) { .notDate(path: $0, line: 3, column: "d", value: "soon") }
    try withFile("id,code\n1,1e300\n2,0123\n3,0456\n") { path in
      let t = try TypedCSV(path: path, idColumn: "id")
      #expect(t.kinds == [.categorical])
      #expect(t.columns == [.categorical(["1e300", "0123", "0456"])])
    }
  }

  @Test("Past the first 1,000 records (where the columns are sized): numbers, codes, dates, categories and missing values as written")
  func largeMixedTable() throws {
    let n = 2_500
    var text = "id,amount,code,joined,plan,late,forced\n"
    var amounts: [Double] = [], codes: [String?] = [], dates: [Double] = [], plans: [String?] = [], late: [String?] = [], forced: [Double] = []
    for i in 0..<n {
      let amount = i % 17 == 0 ? Double.nan : Double(i) * 0.37 - 100
      let amountText = amount.isNaN ? (i % 2 == 0 ? "" : " NA ") : " \(amount) "
      // Numbers until row 2,000, then a code with a leading zero: the column is codes, read again as written.
      let code = i < 2_000 ? "\(i + 1)" : String(format: "0%d", i)
      let day = 1 + i % 28
      let joined = i % 13 == 0 ? "" : String(format: "2024-02-%02d", day)
      let plan = i % 11 == 0 ? "" : ["basic", "pro", "NA"][i % 3]
      // Numbers until the last row, declared categorical.
      let lateValue = i == n - 1 ? "gold" : "\(i)"
      let forcedValue = i % 5 == 0 ? "007" : "\(i)"
      text += "C\(i),\(amountText),\(code),\(joined),\(plan),\(lateValue),\(forcedValue)\n"
      amounts.append(amount)
      codes.append(code)
      dates.append(joined.isEmpty ? .nan : Double(UTCTime.parseMilliseconds(joined)!))
      plans.append(plan.isEmpty ? nil : plan)
      late.append(lateValue)
      forced.append(i % 5 == 0 ? 7 : Double(i))
    }
    try withFile(text) { path in
      let t = try TypedCSV(path: path, idColumn: "id", kinds: ["late": .categorical, "forced": .numeric])
      #expect(t.names == ["amount", "code", "joined", "plan", "late", "forced"])
      #expect(t.kinds == [.numeric, .categorical, .date, .categorical, .categorical, .numeric])
      #expect(t.ids == (0..<n).map { "C\($0)" })
      #expect(t.lines == (0..<n).map { $0 + 2 })
      guard case .numeric(let a) = t.columns[0], case .numeric(let d) = t.columns[2], case .numeric(let f) = t.columns[5] else {
        Issue.record("kinds \(t.kinds)"); return
      }
      #expect(a.map(\.bitPattern) == amounts.map { $0.isNaN ? Double.nan.bitPattern : $0.bitPattern })
      #expect(d.map(\.bitPattern) == dates.map { $0.isNaN ? Double.nan.bitPattern : $0.bitPattern })
      #expect(f == forced)
      #expect(t.columns[1] == .categorical(codes))
      #expect(t.columns[3] == .categorical(plans))
      #expect(t.columns[4] == .categorical(late))
    }
  }
}
