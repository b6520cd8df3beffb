import ChurnCore
import ChurnTestSupport
import Foundation
import Testing

@Suite("Typed tables: column kinds, missing tokens, stray text, magnitudes")
struct TypedCSVTests {
  func table(_ text: String, kinds: [String: TypedCSV.Kind] = [:], exclude: Set<String> = []) throws -> TypedCSV {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try text.write(toFile: dir.file("t.csv"), atomically: true, encoding: .utf8)
    return try TypedCSV(path: dir.file("t.csv"), idColumn: "id", kinds: kinds, exclude: exclude)
  }

  func expectError(_ text: String, kinds: [String: TypedCSV.Kind] = [:], exclude: Set<String> = [],
                   _ expected: (String) -> TableError) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("t.csv")
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: expected(path)) { _ = try TypedCSV(path: path, idColumn: "id", kinds: kinds, exclude: exclude) }
  }

  @Test("NA, N/A, NaN, null, None, #N/A, <NA> are missing in a numeric column, which stays numeric")
  func missingTokens() throws {
    let t = try table("id,charges,plan\n1,10.5,NA\n2,NaN,basic\n3,null,\n4, N/A ,pro\n5,None,basic\n6,#N/A,x\n7,<NA>,y\n8,-nan,z\n9,20,w\n")
    #expect(t.kinds == [.numeric, .categorical])
    guard case .numeric(let v) = t.columns[0] else { Issue.record("charges is not numeric"); return }
    #expect(v[0] == 10.5 && v[8] == 20 && v[1...7].allSatisfy(\.isNaN))
    guard case .categorical(let plan) = t.columns[1] else { Issue.record("plan is not categorical"); return }
    #expect(plan[0] == "NA")  // kept as written in a categorical column
  }

  @Test("One non-number in a mostly numeric column is an error naming line, column and value, not a silent categorical")
  func strayText() throws {
    try expectError("id,charges\n1,10\n2,twelve\n3,11\n4,12\n") {
      .strayText(path: $0, line: 3, column: "charges", value: "twelve", numbers: 3, others: 1)
    }
    try expectError("id,charges\n1,10\n2,$12.50\n3,11\n4,12\n") { .formattedNumber(path: $0, line: 3, column: "charges", value: "$12.50") }
    try expectError("id,charges\n1,10\n2,inf\n3,11\n") { .strayText(path: $0, line: 3, column: "charges", value: "inf", numbers: 2, others: 1) }
    #expect(TableError.strayText(path: "c.csv", line: 3, column: "charges", value: "$12.50", numbers: 3, others: 1).description
      == "c.csv line 3: charges \"$12.50\" is not a number, but 3 of the column's 4 values are (1 not); expected a number, blank or NA: correct the value, or pass --categorical charges to read the column as categories")
    // Declared categorical, the same column reads as categories.
    let forced = try table("id,charges\n1,10\n2,$12.50\n3,11\n", kinds: ["charges": .categorical])
    #expect(forced.kinds == [.categorical])
    // Mostly text, or codes with leading zeros: a categorical column, as before.
    #expect(try table("id,plan\n1,basic\n2,1\n3,pro\n").kinds == [.categorical])
    #expect(try table("id,zip\n1,02134\n2,90210\n3,10001\n").kinds == [.categorical])
  }

  @Test("A column of numbers with currency signs, percent signs or thousands separators is an error, not a level per amount")
  func formattedNumbers() throws {
    try expectError("id,charges\n1,$10.00\n2,$12.50\n3,\n") { .formattedNumber(path: $0, line: 2, column: "charges", value: "$10.00") }
    try expectError("id,charges\n1,\"1,200\"\n2,-€3\n3,12%\n4,7\n") { .formattedNumber(path: $0, line: 2, column: "charges", value: "1,200") }
    #expect(TableError.formattedNumber(path: "c.csv", line: 2, column: "charges", value: "$10.00").description
      == "c.csv line 2: charges \"$10.00\" is a number with a currency sign, percent sign or thousands separator; expected a plain number such as 1200.50: remove the signs, or pass --categorical charges to read the column as categories")
    #expect(try table("id,charges\n1,$10.00\n2,$12.50\n", kinds: ["charges": .categorical]).kinds == [.categorical])
    // Not amounts: "1,2" is no thousands group, and text stays text.
    #expect(try table("id,code\n1,\"1,2\"\n2,\"3,4\"\n").kinds == [.categorical])
    #expect(try table("id,plan\n1,$basic\n2,pro\n").kinds == [.categorical])
  }

  @Test("Numbers beyond ±1e15 (1e308, 1e400) are refused with line, column and value")
  func magnitudes() throws {
    try expectError("id,charges\n1,10\n2,1e308\n") { .outOfRange(path: $0, line: 3, column: "charges", value: "1e308") }
    try expectError("id,charges\n1,10\n2,-1e400\n") { .outOfRange(path: $0, line: 3, column: "charges", value: "-1e400") }
    #expect(TableError.outOfRange(path: "c.csv", line: 3, column: "charges", value: "1e308").description
      == "c.csv line 3: charges \"1e308\" is beyond ±1e15; expected a magnitude of at most 1e15 (larger values are typing or unit mistakes): correct the value")
    guard case .numeric(let v) = try table("id,x\n1,1e15\n2,-1e15\n").columns[0] else { Issue.record("not numeric"); return }
    #expect(v == [1e15, -1e15])
  }

  @Test("A misspelled column in the kinds or the exclusions is an error with the nearest name")
  func misspelledColumns() throws {
    try expectError("id,churned,plan\n1,0,a\n", exclude: ["churnd"]) { .missingColumn(path: $0, name: "churnd", header: ["id", "churned", "plan"]) }
    try expectError("id,churned,plan\n1,0,a\n", kinds: ["plann": .categorical]) { .missingColumn(path: $0, name: "plann", header: ["id", "churned", "plan"]) }
    #expect(TableError.missingColumn(path: "c.csv", name: "churnd", header: ["id", "churned", "plan"]).description
      == "c.csv: no column \"churnd\" (did you mean \"churned\"?); the header has id, churned, plan")
    #expect(TableError.missingColumn(path: "c.csv", name: "zzz", header: ["id"]).description == "c.csv: no column \"zzz\"; the header has id")
  }

  @Test("Writing a feature table refuses infinite values and leaves no file")
  func infiniteOutput() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let table = FeatureTable(ids: ["a", "b"], columnNames: ["x", "y"], columns: [.numeric([1, 2]), .numeric([3, -.infinity])])
    #expect(throws: TableError.infiniteValue(path: dir.file("f.csv"), column: "y", id: "b")) { try table.writeCSV(to: dir.file("f.csv")) }
    #expect(!FileManager.default.fileExists(atPath: dir.file("f.csv")))
    #expect(TableError.infiniteValue(path: "f.csv", column: "y", id: "b").description
      == "cannot write f.csv: y is infinite for \"b\"; expected finite values (an input value too large for the arithmetic: check the inputs for values near ±1e308)")
  }
}
