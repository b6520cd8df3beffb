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
    return try csvRecords(dir.file("f.csv"), blockSize: blockSize)
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

  @Test("Unquoted records split eight bytes at a time equal a byte-by-byte split: commas at every offset, next to '-', '+', '\\u{AC}' and multibyte text",
        arguments: [1024, 4 << 20])
  func wordSplit(blockSize: Int) throws {
    var rng = SeededGenerator(seed: 12, stream: 0)
    let pieces = ["", "-", "+", "-0.5", "x", "\u{AC}", "é", "1234567", "abcdefghijklmnopq", "--", ",", "-,-"]
    var expected: [[String]] = []
    var text = "a,b,c\n"
    for _ in 0..<3_000 {
      var line = ""
      for _ in 0..<Int(rng.uniform() * 12) { line += pieces[Int(rng.uniform() * Double(pieces.count))] }
      if line.isEmpty { line = "z" }
      text += line + "\n"
      expected.append(line.split(separator: ",", omittingEmptySubsequences: false).map(String.init))
    }
    let r = try records(text, blockSize: blockSize)
    #expect(r.rows == expected)
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
    try expectError("a,b\n1,\"open\n2,3\n", .unterminatedQuote(path: path, line: 2, field: 2))
    try expectError("a,b\n1,\"x\"y\n", .textAfterQuote(path: path, line: 2, field: 2, closingLine: 2))
    try expectError("a,b,c\n1,\"x,y\n2,3\n3,\"q\",\n", .textAfterQuote(path: path, line: 2, field: 2, closingLine: 4))
    #expect(CSVError.textAfterQuote(path: "e.csv", line: 2, field: 2, closingLine: 2).description
      == "e.csv line 2: field 2 has text after its closing quote; expected a comma or the end of the line after a quoted field (a quote inside one is written \"\")")
    #expect(CSVError.textAfterQuote(path: "e.csv", line: 3, field: 2, closingLine: 5).description
      == "e.csv line 3: field 2 opens a quote that closes on line 5 and is followed by text; expected a comma or the end of the line after a closing quote: look for a stray \" at the start of field 2 on line 3")
    #expect(CSVError.duplicateColumn(path: "e.csv", name: "A", first: 1, second: 3).description
      == "e.csv line 1: column name \"A\" appears twice (columns 1 and 3); rename one")
    #expect(throws: FileError.self) { _ = try CSVReader(path: dir.file("missing.csv")) }
    #expect(CSVError.unterminatedQuote(path: "e.csv", line: 4, field: 2).description
      == "e.csv line 4: field 2 opens a quote that is never closed (it runs to the end of the file); "
      + "expected a closing \" — remove the stray \" or double it (\"\") inside a quoted field")
  }

  @Test("A quote inside an unquoted field is an ordinary character and swallows no line", arguments: [1024, 4 << 20])
  func strayQuote(blockSize: Int) throws {
    let text = "id,size,note\n1,12\" screen,a\n2,x\"y\"z,b\n3,plain,c\n4, \"spaced\",d\n5,last,e\n"
    let r = try records(text, blockSize: blockSize)
    #expect(r.rows == [["1", "12\" screen", "a"], ["2", "x\"y\"z", "b"], ["3", "plain", "c"], ["4", " \"spaced\"", "d"], ["5", "last", "e"]])
    #expect(r.lines == [2, 3, 4, 5, 6])
    // The same stray quote after a record longer than the block (the scan resumes mid-record).
    let long = String(repeating: "x", count: 3000)
    let r2 = try records("a,b,c\n\(long),y\"z,\"q\"\n2,3,4\n", blockSize: 1024)
    #expect(r2.rows == [[long, "y\"z", "q"], ["2", "3", "4"]])
  }

  @Test("Regression (found by fuzzing): a malformed record with more than 32 fields throws and the reader is freed once")
  func malformedWideRecord() throws {
    // The field-offset buffer grew while splitting, the split threw, and the reader kept the
    // freed buffer: a double free in deinit (AddressSanitizer, scripts/fuzz-parsers).
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("wide.csv")
    try ("a\n\"x\"" + String(repeating: ",", count: 40) + "\"q\"z\n").write(toFile: path, atomically: true, encoding: .utf8)
    for _ in 0..<3 {
      #expect(throws: CSVError.textAfterQuote(path: path, line: 2, field: 41, closingLine: 2)) {
        let reader = try CSVReader(path: path)
        try reader.forEachRecord { _ in }
      }
    }
  }

  @Test("Compressed and binary files are named as such; nothing of them is echoed")
  func binaryFiles() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("events.csv")
    func expectError(_ bytes: [UInt8], _ expected: CSVError) throws {
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      #expect(throws: expected) { _ = try CSVReader(path: path) }
    }
    let noise = (0..<4000).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }
    try expectError([0x50, 0x4B, 0x03, 0x04] + noise, .compressed(path: path, format: "zip"))
    try expectError(Array("BZh9".utf8) + noise, .compressed(path: path, format: "bzip2"))
    try expectError([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00] + noise, .compressed(path: path, format: "xz"))
    try expectError([0x28, 0xB5, 0x2F, 0xFD] + noise, .compressed(path: path, format: "zstd"))
    try expectError([0xFF, 0xFE, 0x61, 0x00, 0x2C, 0x00], .binary(path: path, reason: "it is UTF-16 text; save it as UTF-8"))
    try expectError(Array("id,na".utf8) + [0, 0, 0x41] + Array(",x\n1,2\n".utf8), .binary(path: path, reason: "its first line holds NUL bytes"))
    #expect(CSVError.compressed(path: "events.csv", format: "zip").description
      == "events.csv is zip-compressed; expected a plain-text CSV file or one compressed with gzip (.csv.gz): "
      + "decompress it first, or recompress it with gzip")
    // gzip is read (GzipInputTests); damaged gzip data is its own error.
    try Data([0x1F, 0x8B, 0x08, 0x00] + noise).write(to: URL(fileURLWithPath: path))
    #expect(throws: GzipError.corrupt(path: path, bytes: 0, line: 0, reason: "invalid block type")) { _ = try CSVReader(path: path) }
    #expect(CSVError.binary(path: "e.csv", reason: "its first line holds NUL bytes").description
      == "e.csv is not a text CSV file (its first line holds NUL bytes); expected UTF-8 text with a header line such as customer_id,timestamp,event_type,value")
  }

  @Test("Echoed values are cut to 40 characters and control bytes escaped")
  func excerpts() {
    #expect(MessageText.excerpt("plain") == "plain")
    #expect(MessageText.excerpt("a\tb\nc\r\u{0}\u{1B}\"") == "a\\tb\\nc\\r\\0\\u{1B}\\\"")
    #expect(MessageText.excerpt(String(repeating: "x", count: 1_000_000)) == String(repeating: "x", count: 40) + "…")
    #expect(MessageText.excerpt(String(repeating: "é", count: 40)) == String(repeating: "é", count: 40))
    #expect(MessageText.list((1...25).map { "c\($0)" }) == (1...20).map { "c\($0)" }.joined(separator: ", ") + ", … (25 columns)")
    #expect(MessageText.nearest("amout", in: ["customer_id", "amount", "value"]) == "amount")
    #expect(MessageText.nearest("Valeu", in: ["customer_id", "value"]) == "value")
    #expect(MessageText.nearest("zzz", in: ["customer_id", "value"]) == nil)
    let long = String(repeating: "n", count: 5000)
    #expect(CSVError.duplicateColumn(path: "e.csv", name: long, first: 1, second: 2).description
      == "e.csv line 1: column name \"\(String(repeating: "n", count: 40))…\" appears twice (columns 1 and 2); rename one")
  }

  @Test("Number parsing matches Double(String) on plain decimals and rejects words", arguments: [
    "0", "12", "-3.5", " 7.25 ", "1e-3", ".5", "123456789012345", "1234567890123456789", "0.1", "99.99", "+4",
  ])
  func numbers(text: String) {
    #expect(NumberParsing.double(text) == Double(text.trimmingSpaces))
  }

  @Test("Non-numbers are rejected", arguments: ["", " ", "nan", "inf", "abc", "1,5", "0x10", "-", ".", "NaN", "$12.50", "1e5e3", "--1"])
  func nonNumbers(text: String) {
    #expect(NumberParsing.double(text) == nil)
  }

  @Test("Overflow parses to infinity, as strtod does; callers check NumberParsing.magnitudeLimit")
  func overflow() {
    #expect(NumberParsing.double("1e400") == .infinity)
    #expect(NumberParsing.double("-1e400") == -.infinity)
    #expect(NumberParsing.double("1e308") == 1e308)
    #expect(NumberParsing.isWithinLimit(1e15) && NumberParsing.isWithinLimit(-1e15))
    #expect(!NumberParsing.isWithinLimit(1.0000001e15) && !NumberParsing.isWithinLimit(-.infinity) && !NumberParsing.isWithinLimit(.nan))
  }
}
