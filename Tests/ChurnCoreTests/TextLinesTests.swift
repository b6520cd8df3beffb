import ChurnCore
import ChurnTestSupport
import Foundation
import Testing

@Suite("Small text files: ids and rules")
struct TextLinesTests {
  @Test("Lines are numbered as an editor shows them: BOM dropped, CRLF ends a line, blank lines skipped but counted")
  func lines() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Data([0xEF, 0xBB, 0xBF] + Array("007\r\n\r\n  B  \n\tC\n".utf8)).write(to: URL(fileURLWithPath: dir.file("a.txt")))
    let file = try TextLines(path: dir.file("a.txt"))
    #expect(file.lines.map(\.number) == [1, 3, 4] && file.lines.map(\.text) == ["007", "B", "C"])
  }

  @Test("Invalid UTF-8 names its line; a directory and a missing file are file errors")
  func errors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Data(Array("ok\nbad \u{E9}\n".utf8.prefix(3)) + [0x62, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: dir.file("l.txt")))
    #expect(throws: TextFileError.notUTF8(path: dir.file("l.txt"), line: 2)) { try TextLines(path: dir.file("l.txt")) }
    #expect("\(TextFileError.notUTF8(path: "l.txt", line: 2))"
      == "l.txt line 2: the text is not valid UTF-8; expected a UTF-8 text file; fix: save the file as UTF-8 (\"CSV UTF-8\" in a spreadsheet)")
    #expect(throws: FileError(path: dir.path, action: "read", reason: "Is a directory")) { try TextLines(path: dir.path) }
    #expect(throws: FileError(path: dir.file("none"), action: "read", reason: "No such file or directory")) { try TextLines(path: dir.file("none")) }
  }

  @Test("Fields: commas split, quotes hold commas and doubled quotes, spaces trimmed; an open quote is nil")
  func fields() {
    #expect(TextLines.fields(of: "a, b ,c") == ["a", "b", "c"])
    #expect(TextLines.fields(of: "\"x, y\",z") == ["x, y", "z"])
    #expect(TextLines.fields(of: " \"say \"\"hi\"\"\" , w") == ["say \"hi\"", "w"])
    #expect(TextLines.fields(of: "a,") == ["a", ""])
    #expect(TextLines.fields(of: "\"open,x") == nil)
  }
}
