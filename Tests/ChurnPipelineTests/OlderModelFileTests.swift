import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

/// Model files written before the model contract still load, re-encode to the same bytes and
/// score the same (fixtures and how they were made: Fixtures/README.md).
@Suite("Model files written by earlier churn")
struct OlderModelFileTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

  static let cases: [(model: String, family: ModelFamily, input: [String])] = [
    ("v1-forest-telco", .forest, ["--table", root + "/datasets/telco/telco.csv"]),
    ("v1-logistic-telco", .logistic, ["--table", root + "/datasets/telco/telco.csv"]),
    ("v1-logistic-demo", .logistic, ["--events", root + "/datasets/demo/events.csv", "--customers", root + "/datasets/demo/customers.csv",
                                     "--as-of", "2025-12-01", "--revenue-column", "monthly_revenue"]),
  ]

  @Test("Each loads as its family and writes back byte for byte (the JSON layout is unchanged)", arguments: 0..<3)
  func sameBytes(index: Int) throws {
    let (name, family, _) = Self.cases[index]
    let path = Self.fixtures + "/\(name).json"
    let file = try ModelFile.read(path: path)
    #expect(file.family == family)
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try file.write(to: dir.file("again.json"))
    #expect(try bytes(dir.file("again.json")) == bytes(path))
  }

  @Test("Scored today, each gives the ranked list it gave then, reasons included (the health columns, added since, aside)", arguments: 0..<3)
  func sameList(index: Int) throws {
    let (name, _, input) = Self.cases[index]
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let r = try runChurn(["score", "--model", Self.fixtures + "/\(name).json"] + input + ["--top", "200", "--out", dir.file("risk.csv")])
    #expect(r.status == 0, "\(r.stderr)")
    // The health columns come last, integers without commas: the fixture's columns are what
    // precedes them, byte for byte.
    let lines = try String(contentsOfFile: dir.file("risk.csv"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    let health = lines[0].split(separator: ",").filter { $0.hasPrefix("health") }.count
    #expect(health >= 3 && lines[0].split(separator: ",").suffix(health).first == "health")
    let trimmed = lines.map { line in
      var s = Substring(line)
      for _ in 0..<health { if let k = s.lastIndex(of: ",") { s = s[..<k] } }
      return String(s)
    }
    #expect(trimmed.joined(separator: "\n") == (try String(contentsOfFile: Self.fixtures + "/\(name)-risk.csv", encoding: .utf8)))
  }
}
