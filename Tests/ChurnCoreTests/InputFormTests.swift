import ChurnCore
import ChurnTestSupport
import Foundation
import Testing

/// Files that are not the comma-separated UTF-8 text the readers expect: each is refused with
/// its own message (issue 14, silent misreads).
@Suite("Input form: invalid UTF-8, other separators, empty files by kind")
struct InputFormTests {
  func write(_ bytes: [UInt8], _ name: String, in dir: TemporaryDirectory) throws -> String {
    let path = dir.file(name)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test("A table value that is not UTF-8 is refused with line, column, byte and position (was repaired into U+FFFD)")
  func invalidUTF8InTable() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try write(Array("id,internetservice,charges\n1,DSL,10\n2,DS".utf8) + [0xFF] + Array("L,12\n".utf8), "t.csv", in: dir)
    #expect(throws: CSVError.invalidUTF8(path: path, line: 3, column: "internetservice", value: "DS\u{FFFD}L", position: 3, byte: 0xFF)) {
      _ = try TypedCSV(path: path, idColumn: "id")
    }
    // The id column too, and a Latin-1 "é" (0xE9 followed by an ASCII byte) at its own position.
    let ids = try write(Array("id,plan\ncaf".utf8) + [0xE9] + Array(",basic\n".utf8), "ids.csv", in: dir)
    #expect(throws: CSVError.invalidUTF8(path: ids, line: 2, column: "id", value: "caf\u{FFFD}", position: 4, byte: 0xE9)) {
      _ = try TypedCSV(path: ids, idColumn: "id")
    }
    // An excluded column is never read: its bytes do not matter.
    #expect(try TypedCSV(path: path, idColumn: "id", exclude: ["internetservice"]).names == ["charges"])
    #expect(CSVError.invalidUTF8(path: "c.csv", line: 3, column: "internetservice", value: "DS\u{FFFD}L", position: 3, byte: 0xFF).description
      == "c.csv line 3: internetservice \"DS\u{FFFD}L\" is not valid UTF-8 (byte 0xFF at byte 3 of the value); expected UTF-8 text: "
      + "save the file as UTF-8 (\"CSV UTF-8\" in a spreadsheet) or convert it, for example with iconv -f WINDOWS-1252 -t UTF-8")
  }

  @Test("A header name that is not UTF-8 is refused by the reader, for every kind of file")
  func invalidUTF8InHeader() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try write(Array("customer_id,timestamp,event_type,val".utf8) + [0xC3, 0x28] + Array("ue\n".utf8), "e.csv", in: dir)
    #expect(throws: CSVError.invalidUTF8(path: path, line: 1, column: "column 4 of the header", value: "val\u{FFFD}(ue", position: 4, byte: 0xC3)) {
      _ = try CSVReader(path: path)
    }
    #expect(CSVError.invalidUTF8(path: "e.csv", line: 1, column: "column 4 of the header", value: "val\u{FFFD}(ue", position: 4, byte: 0x0C).description
      .hasPrefix("e.csv line 1: column 4 of the header \"val\u{FFFD}(ue\" is not valid UTF-8 (byte 0x0C at byte 4 of the value)"))
  }

  @Test("Valid multi-byte UTF-8 passes; the offset of the first bad byte counts whole characters before it")
  func validUTF8() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try write(Array("id,city\n1,Zürich\n2,東京\n3,".utf8) + [0xE6, 0x9D] + Array("\n".utf8), "t.csv", in: dir)
    #expect(throws: CSVError.invalidUTF8(path: path, line: 4, column: "city", value: "\u{FFFD}", position: 1, byte: 0xE6)) {
      _ = try TypedCSV(path: path, idColumn: "id")
    }
    let good = try write(Array("id,city\n1,Zürich\n2,東京\n".utf8), "g.csv", in: dir)
    guard case .categorical(let cities) = try TypedCSV(path: good, idColumn: "id").columns[0] else { Issue.record("not categorical"); return }
    #expect(cities == ["Zürich", "東京"])
  }

  @Test("A header with no comma but semicolons, tabs or | says the file looks so separated and how to convert it")
  func otherSeparators() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    for (text, name, character, count) in [("customer_id;plan;charges\n1;basic;12,5\n", "semicolon", ";", 2),
                                           ("customer_id\ttimestamp\tevent_type\n1\t2024-01-01\tlogin\n", "tab", "\t", 2),
                                           ("customer_id|plan\n1|basic\n", "|", "|", 1)] {
      let path = dir.file("s.csv")
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      let header = String(text.prefix { $0 != "\n" })
      #expect(throws: CSVError.otherSeparator(path: path, name: name, character: character, count: count, header: header)) {
        _ = try CSVReader(path: path)
      }
    }
    #expect(CSVError.otherSeparator(path: "c.csv", name: "semicolon", character: ";", count: 2, header: "customer_id;plan;charges").description
      == "c.csv line 1: the header \"customer_id;plan;charges\" has no comma but 2 semicolons: the file looks ;-separated; churn reads "
      + "comma-separated CSV: convert it, for example with python3 -c 'import csv,sys; csv.writer(sys.stdout).writerows(csv.reader(sys.stdin, "
      + "delimiter=\";\"))' < c.csv > converted.csv, or save it from a spreadsheet as \"CSV UTF-8 (comma delimited)\"")
    #expect(CSVError.otherSeparator(path: "e.csv", name: "tab", character: "\t", count: 1, header: "a\tb").description
      .hasPrefix("e.csv line 1: the header \"a\\tb\" has no comma but 1 tab: the file looks tab-separated; churn reads comma-separated CSV: "
                 + "convert it, for example with python3 -c 'import csv,sys; csv.writer(sys.stdout).writerows(csv.reader(sys.stdin, delimiter=\"\\t\"))'"))
    #expect(CSVError.otherSeparator(path: "p.csv", name: "|", character: "|", count: 3, header: "a|b|c|d").description
      .hasPrefix("p.csv line 1: the header \"a|b|c|d\" has no comma but 3 | characters: the file looks |-separated;"))
    // A one-column file with none of them is still read.
    let single = dir.file("one.csv")
    try "id\n1\n2\n".write(toFile: single, atomically: true, encoding: .utf8)
    #expect(try CSVReader(path: single).header == ["id"])
  }

  @Test("An empty file says what that kind of file should hold")
  func emptyFileByKind() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("empty.csv")
    try "".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: CSVError.emptyFile(path: path)) { _ = try CSVReader(path: path) }
    #expect(throws: CSVError.emptyFile(path: path, expected: "a header line naming its columns, one of them customerid, then one row per customerid")) {
      _ = try TypedCSV(path: path, idColumn: "customerid")
    }
    #expect(CSVError.emptyFile(path: "e.csv").description == "e.csv is empty; expected a header line such as customer_id,timestamp,event_type,value")
    #expect(CSVError.emptyFile(path: "t.csv", expected: TypedCSV.expectedHeader(idColumn: "id")).description
      == "t.csv is empty; expected a header line naming its columns, one of them id, then one row per id")
    // A binary file names the same expectation.
    let binary = try write([0x61, 0x00, 0x62, 0x0A], "bin.csv", in: dir)
    #expect(throws: CSVError.binary(path: binary, reason: "its first line holds NUL bytes", expected: TypedCSV.expectedHeader(idColumn: "id"))) {
      _ = try TypedCSV(path: binary, idColumn: "id")
    }
  }
}
