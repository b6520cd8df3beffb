import ChurnCore
import ChurnTestSupport
import Foundation
import Testing

@Suite("Atomic output files and number formatting")
struct OutputFileTests {
  @Test("A committed file has all its bytes and no temporary file remains")
  func commit() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let file = try OutputFile(path: dir.file("out.csv"))
    for i in 0..<100_000 { try file.write("row \(i)\n") }
    #expect(dir.contents().count == 1 && !dir.contents().contains("out.csv"))
    try file.commit()
    #expect(dir.contents() == ["out.csv"])
    let text = try String(contentsOfFile: dir.file("out.csv"), encoding: .utf8)
    #expect(text.hasPrefix("row 0\n") && text.hasSuffix("row 99999\n"))
  }

  @Test("An abandoned file leaves the old contents and no temporary file")
  func abandon() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try OutputFile.write("old\n", to: dir.file("out.csv"))
    do {
      let file = try OutputFile(path: dir.file("out.csv"))
      try file.write("new, but never committed\n")
    }
    #expect(dir.contents() == ["out.csv"])
    #expect(try String(contentsOfFile: dir.file("out.csv"), encoding: .utf8) == "old\n")
  }

  @Test("A missing directory is a clear error")
  func missingDirectory() {
    #expect(throws: FileError(path: "/nonexistent-churn-dir/out.csv", action: "create", reason: "No such file or directory")) {
      _ = try OutputFile(path: "/nonexistent-churn-dir/out.csv")
    }
    #expect(FileError(path: "/x/out.csv", action: "create", reason: "No such file or directory").description
      == "cannot create /x/out.csv: No such file or directory")
  }

  @Test("Fixed-point formatting rounds half away from zero and keeps trailing zeros", arguments: [
    (3.14159, 2, "3.14"), (2.5, 0, "3"), (-2.5, 0, "-3"), (0.125, 2, "0.13"), (-0.001, 2, "0.00"),
    (1234567.5, 1, "1234567.5"), (7, 3, "7.000"), (0, 0, "0"), (Double.nan, 2, "nan"), (-Double.infinity, 1, "-inf"),
  ])
  func fixed(value: Double, digits: Int, expected: String) {
    var out: [UInt8] = []
    DecimalFormatting.appendFixed(value, fractionDigits: digits, to: &out)
    #expect(String(decoding: out, as: UTF8.self) == expected)
  }

  @Test("Integers", arguments: [0, 7, -7, 1_000_000, Int.max, Int.min])
  func integers(value: Int) {
    var out: [UInt8] = []
    DecimalFormatting.appendInteger(value, to: &out)
    #expect(String(decoding: out, as: UTF8.self) == String(value))
  }
}
