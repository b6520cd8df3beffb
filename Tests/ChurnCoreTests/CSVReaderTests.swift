import ChurnCore
import ChurnTestSupport
import Foundation
import Testing

@Suite("Streaming CSV reader")
struct CSVReaderTests {
  func records(_ text: String, blockSize: Int = 4 << 20) throws -> (header: [String], rows: [[String]], lines: [Int]) {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try text.write(toFile: dir.file("f.csv"), atomically: true, encoding: .utf8)
    let reader = try CSVReader(path: dir.file("f.csv"), blockSize: blockSize)
    var rows: [[String]] = []
    var lines: [Int] = []
    try reader.forEachRecord { r in
      rows.append((0..<r.count).map { r.string($0) })
      lines.append(r.line)
    }
    return (reader.header, rows, lines)
  }

  @Test("Quotes, escaped quotes, embedded commas and newlines, CRLF, BOM, blank lines, no final newline",
        arguments: [1024, 4 << 20])
  func dialect(blockSize: Int) throws {
    let text = "\u{FEFF}id, name ,note\r\n"
      + "1,\"Smith, J\",\"said \"\"hi\"\"\"\r\n"
      + "\n"
      + "02,plain,\"two\nlines\"\n"
      + "3,,\n"
      + "4,last,x"
    let r = try records(text, blockSize: blockSize)
    #expect(r.header == ["id", "name", "note"])
    #expect(r.rows == [["1", "Smith, J", "said \"hi\""], ["02", "plain", "two\nlines"], ["3", "", ""], ["4", "last", "x"]])
    #expect(r.lines == [2, 4, 6, 7])
  }

  @Test("Records longer than the block are read whole")
  func longRecords() throws {
    let long = String(repeating: "x", count: 5000)
    let text = "a,b\n" + (0..<50).map { "\($0),\(long)" }.joined(separator: "\n") + "\n"
    let r = try records(text, blockSize: 1024)
    #expect(r.rows.count == 50)
    #expect(r.rows.allSatisfy { $0[1] == long })
    #expect(r.rows[49][0] == "49" && r.lines[49] == 51)
  }

  @Test("Malformed files give exact errors")
  func errors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    func expectError(_ text: String, _ expected: CSVError) throws {
      try text.write(toFile: dir.file("bad.csv"), atomically: true, encoding: .utf8)
      #expect(throws: expected) {
        let reader = try CSVReader(path: dir.file("bad.csv"))
        try reader.forEachRecord { _ in }
      }
    }
    let path = dir.file("bad.csv")
    try expectError("", .emptyFile(path: path))
    try expectError("\n\n", .emptyFile(path: path))
    try expectError("a,,c\n", .emptyColumnName(path: path, column: 2))
    try expectError("a,b,A\n", .duplicateColumn(path: path, name: "A", first: 1, second: 3))
    try expectError("a,b\n1,\"open\n2,3\n", .unterminatedQuote(path: path, line: 2))
    try expectError("a,b\n1,\"x\"y\n", .textAfterQuote(path: path, line: 2))
    #expect(CSVError.duplicateColumn(path: "e.csv", name: "A", first: 1, second: 3).description
      == "e.csv line 1: column name \"A\" appears twice (columns 1 and 3); rename one")
    #expect(throws: FileError.self) { _ = try CSVReader(path: dir.file("missing.csv")) }
  }

  @Test("Number parsing matches Double(String) on plain decimals and rejects words", arguments: [
    "0", "12", "-3.5", " 7.25 ", "1e-3", ".5", "123456789012345", "1234567890123456789", "0.1", "99.99", "+4",
  ])
  func numbers(text: String) {
    #expect(NumberParsing.double(text) == Double(text.trimmingSpaces))
  }

  @Test("Non-numbers are rejected", arguments: ["", " ", "nan", "inf", "abc", "1,5", "0x10", "-", "."])
  func nonNumbers(text: String) {
    #expect(NumberParsing.double(text) == nil)
  }
}
