import ChurnTestSupport
import Foundation
import Testing

/// `.csv.gz` inputs give exactly what the plain files give, and errors name the true lines.
@Suite("gzip-compressed inputs")
struct GzipInputCommandTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let demo = root.appendingPathComponent("datasets/demo").path
  static let telco = root.appendingPathComponent("datasets/telco/telco.csv").path

  func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

  /// The first `count` lines of `source`, written to `destination`.
  func head(_ source: String, _ count: Int, to destination: String) throws {
    let lines = try String(contentsOfFile: source, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    try (lines.prefix(count).joined(separator: "\n") + "\n").write(toFile: destination, atomically: true, encoding: .utf8)
  }

  @Test("churn features: the same feature file from the demo's .csv and .csv.gz (event log and customer table)")
  func features() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    // The demo's 10 MB log: decompressed past the first block, on the read-ahead thread.
    try gzipFile(Self.demo + "/events.csv", to: dir.file("events.csv.gz"))
    try gzipFile(Self.demo + "/customers.csv", to: dir.file("customers.csv.gz"))
    let common = ["--cutoffs", "2025-01-01:2025-06-01:1m", "--horizon", "30d"]
    let plain = try runChurn(["features", "--events", Self.demo + "/events.csv", "--customers", Self.demo + "/customers.csv",
                              "--out", dir.file("plain.csv")] + common)
    #expect(plain.status == 0, "\(plain.stderr)")
    let gz = try runChurn(["features", "--events", dir.file("events.csv.gz"), "--customers", dir.file("customers.csv.gz"),
                           "--out", dir.file("gz.csv")] + common)
    #expect(gz.status == 0, "\(gz.stderr)")
    #expect(try bytes(dir.file("gz.csv")) == bytes(dir.file("plain.csv")))
    #expect(try bytes(dir.file("plain.csv")).count > 1_000_000)
  }

  @Test("churn train --events and --table, churn score --table: the same model files and lists from .csv and .csv.gz")
  func trainAndScore() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    // About 150 customers of the demo, and 1,500 rows of telco: small enough to train in a debug build.
    try head(Self.demo + "/events.csv", 20_000, to: dir.file("events.csv"))
    try head(Self.demo + "/customers.csv", 160, to: dir.file("customers.csv"))
    try head(Self.telco, 1_500, to: dir.file("table.csv"))
    for name in ["events", "customers", "table"] { try gzipFile(dir.file("\(name).csv"), to: dir.file("\(name).csv.gz")) }
    for ext in ["csv", "csv.gz"] {
      let events = try runChurn(["train", "--events", dir.file("events.\(ext)"), "--customers", dir.file("customers.\(ext)"),
                                 "--cutoffs", "2025-04-01:2025-06-01:1m", "--out", dir.file("events-model.\(ext).json")])
      #expect(events.status == 0, "\(events.stderr)")
      let table = try runChurn(["train", "--table", dir.file("table.\(ext)"), "--id", "customerid", "--label", "churn",
                                "--out", dir.file("table-model.\(ext).json")])
      #expect(table.status == 0, "\(table.stderr)")
      let score = try runChurn(["score", "--model", dir.file("table-model.csv.json"), "--table", dir.file("table.\(ext)"),
                                "--out", dir.file("risk.\(ext)")])
      #expect(score.status == 0, "\(score.stderr)")
    }
    #expect(try bytes(dir.file("events-model.csv.gz.json")) == bytes(dir.file("events-model.csv.json")))
    #expect(try bytes(dir.file("table-model.csv.gz.json")) == bytes(dir.file("table-model.csv.json")))
    #expect(try bytes(dir.file("risk.csv.gz")) == bytes(dir.file("risk.csv")))
    #expect(try bytes(dir.file("risk.csv")).count > 10_000)
  }

  /// An event log of 150,000 lines (about 6 MB) with a bad timestamp on line `badLine`.
  func eventLog(badLine: Int) -> String {
    var out = "customer_id,timestamp,event_type,value\n"
    for line in 2...150_000 {
      let day = line % 28 + 1
      out += "C\(line % 997),\(line == badLine ? "2024-13-45" : "2024-03-\(day < 10 ? "0" : "")\(day)T10:00:00Z"),login,\(line % 50)\n"
    }
    return out
  }

  @Test("An error on line N of a .csv.gz says line N: a bad date in an event log, a bad number in a table")
  func trueLines() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try eventLog(badLine: 123_457).write(toFile: dir.file("events.csv"), atomically: true, encoding: .utf8)
    try gzipFile(dir.file("events.csv"), to: dir.file("events.csv.gz"))
    for path in [dir.file("events.csv"), dir.file("events.csv.gz")] {
      let r = try runChurn(["features", "--events", path, "--cutoff", "2024-03-20", "--out", dir.file("f.csv")])
      #expect(r.status == 1)
      #expect(r.stderr == "Error: \(path) line 123457: timestamp \"2024-13-45\" is not a valid date; expected ISO 8601 such as "
        + "2024-03-05 or 2024-03-05T14:22:10Z, 20240305, or Unix seconds (9–11 digits) or milliseconds (12–14 digits)\n")
    }
    var table = "id,churned,spend\n"
    for i in 1...20_000 { table += "\(i),\(i % 3 == 0 ? 1 : 0),\(i == 17_001 ? "12.5x" : "\(i % 90).5")\n" }
    try table.write(toFile: dir.file("table.csv"), atomically: true, encoding: .utf8)
    try gzipFile(dir.file("table.csv"), to: dir.file("table.csv.gz"))
    for path in [dir.file("table.csv"), dir.file("table.csv.gz")] {
      let r = try runChurn(["train", "--table", path, "--id", "id", "--label", "churned", "--out", dir.file("m.json")])
      #expect(r.status == 1)
      #expect(r.stderr == "Error: \(path) line 17002: spend \"12.5x\" is not a number, but 19999 of the column's 20000 values "
        + "are (1 not); expected a number, blank or NA: correct the value, or pass --categorical spend to read the column as categories\n")
    }
  }

  @Test("A .csv.gz cut short stops the command with the typed error, naming the bytes and the line")
  func truncated() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try gzipFile(Self.demo + "/events.csv", to: dir.file("whole.gz"))
    let whole = try bytes(dir.file("whole.gz"))
    let path = dir.file("events.csv.gz")
    try whole.dropLast(8).write(to: URL(fileURLWithPath: path))  // no trailer: all the data, no end
    let r = try runChurn(["features", "--events", path, "--cutoff", "2025-06-01", "--out", dir.file("f.csv")])
    #expect(r.status == 1)
    #expect(r.stderr == "Error: \(path) is cut short: the gzip stream ends after 10,176,709 bytes of data (line 267,894); "
      + "expected the complete file: it was probably copied or downloaded only in part, so copy it again "
      + "(gzip -t \(path) checks a file)\n")
    #expect(!FileManager.default.fileExists(atPath: dir.file("f.csv")))
  }

  @Test("The help of --events and --table says a .csv.gz file is read")
  func help() throws {
    let features = try runChurn(["features", "--help"])
    #expect(features.stdout.contains("Event log, a .csv or .csv.gz file with a header"))
    let train = try runChurn(["train", "--help"])
    #expect(train.stdout.contains("A prepared training table, a .csv or .csv.gz file,"))
  }
}
