import ChurnTestSupport
import Foundation
import Testing

/// Inputs that were once misread with exit 0 (issue 14, item 5): each now reads right or stops
/// with an error naming the file, the line and the value.
@Suite("Silent misreads of input files")
struct InputMisreadTests {
  static let header = "customer_id,timestamp,event_type,value\n"

  func write(_ text: String, _ name: String, in dir: TemporaryDirectory) throws -> String {
    try text.write(toFile: dir.file(name), atomically: true, encoding: .utf8)
    return dir.file(name)
  }

  @Test("Stray quotes inside fields: describe counts all 5 events")
  func strayQuotes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let events = try write(Self.header + "1,2024-01-01,login,\n2,2024-01-02,log\"in,\n3,2024-01-03,login,\n"
      + "4,2024-01-04,log\"in,\n5,2024-01-05,login,\n", "e.csv", in: dir)
    let r = try runChurn(["describe", "--events", events])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.hasPrefix("\(events): 5 events, 5 customers"))
  }

  @Test("A misspelled --value-column stops the run, naming the nearest column")
  func valueColumnTypo() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let events = try write("customer_id,timestamp,event_type,amount\n1,2024-01-01,order,5\n1,2024-02-01,order,7\n", "e.csv", in: dir)
    let r = try runChurn(["features", "--events", events, "--value-column", "amout", "--cutoff", "2024-01-15", "--out", dir.file("f.csv")])
    #expect(r.status != 0)
    #expect(r.stderr.contains("\(events): no column \"amout\" for the value (did you mean \"amount\"?); the header has customer_id, timestamp, event_type, amount. Name the right column with --value-column"))
    #expect(!FileManager.default.fileExists(atPath: dir.file("f.csv")))
  }

  @Test("One event dated 9999-12-31 or in the future stops the run instead of making every label known")
  func farFuture() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var text = Self.header
    for c in 0..<20 { text += "\(c),2024-01-0\(c % 9 + 1),login,\n\(c),2024-02-1\(c % 9),login,\n" }
    let far = try write(text + "3,9999-12-31,login,\n", "far.csv", in: dir)
    let r = try runChurn(["features", "--events", far, "--cutoff", "2024-02-01", "--horizon", "30d", "--out", dir.file("f.csv")])
    #expect(r.status != 0)
    #expect(r.stderr.contains("\(far) line 42: timestamp \"9999-12-31\" (read as 9999-12-31) is outside 1900-01-01 to 2199-12-31"))
    let future = try write(text + "3,2150-06-01,login,\n", "future.csv", in: dir)
    let f = try runChurn(["features", "--events", future, "--cutoff", "2024-02-01", "--horizon", "30d", "--out", dir.file("f.csv")])
    #expect(f.status != 0)
    #expect(f.stderr.contains("\(future) line 42: timestamp \"2150-06-01\" (read as 2150-06-01) is in the future"))
    // An explicit end of the data vouches for the log.
    let ok = try runChurn(["features", "--events", future, "--cutoff", "2024-02-01", "--horizon", "30d",
                           "--data-end", "2024-03-01", "--out", dir.file("f.csv")])
    #expect(ok.status == 0, "\(ok.stderr)")
  }

  @Test("Event values of ±1e308 stop the run at their line; the features file never holds inf or nan")
  func hugeValues() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let events = try write(Self.header + "1,2024-01-01,order,1e308\n1,2024-01-02,order,1e308\n2,2024-01-03,order,-1e308\n"
      + "2,2024-02-10,order,5\n", "e.csv", in: dir)
    let r = try runChurn(["features", "--events", events, "--cutoff", "2024-02-01", "--out", dir.file("f.csv")])
    #expect(r.status != 0)
    #expect(r.stderr.contains("\(events) line 2: value \"1e308\" is beyond ±1e15"))
    #expect(!FileManager.default.fileExists(atPath: dir.file("f.csv")))
  }

  @Test("A stray $12.50 in a numeric customer column stops the run; NaN is a missing value")
  func strayCustomerText() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let events = try write(Self.header + "1,2024-01-01,login,\n2,2024-01-02,login,\n3,2024-01-03,login,\n4,2024-02-10,login,\n", "e.csv", in: dir)
    let customers = try write("customer_id,monthly\n1,10\n2,NaN\n3,$12.50\n4,12\n", "c.csv", in: dir)
    let r = try runChurn(["features", "--events", events, "--customers", customers, "--cutoff", "2024-02-01", "--out", dir.file("f.csv")])
    #expect(r.status != 0)
    #expect(r.stderr.contains("\(customers) line 4: monthly \"$12.50\" is a number with a currency sign, percent sign or thousands separator; expected a plain number such as 1200.50: remove the signs, or pass --categorical monthly to read the column as categories"))
    let fixed = try write("customer_id,monthly\n1,10\n2,NaN\n3,12.50\n4,12\n", "c.csv", in: dir)
    let ok = try runChurn(["features", "--events", events, "--customers", fixed, "--cutoff", "2024-02-01", "--out", dir.file("f.csv")])
    #expect(ok.status == 0, "\(ok.stderr)")
    let csv = try String(contentsOfFile: dir.file("f.csv"), encoding: .utf8)
    let head = csv.split(separator: "\n")[0].split(separator: ",", omittingEmptySubsequences: false)
    let column = try #require(head.firstIndex(of: "monthly"))
    var values: [String: String] = [:]
    for line in csv.split(separator: "\n").dropFirst() {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false)
      values[String(fields[0])] = String(fields[column])
    }
    #expect(values["2"] == "" && values["3"] == "12.5")
  }

  @Test("An event log with the gzip magic but damaged data is named as such, without echoing its bytes")
  func gzipInput() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("events.csv")
    try Data([0x1F, 0x8B, 0x08, 0x00] + (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: path))
    let r = try runChurn(["describe", "--events", path])
    #expect(r.status != 0)
    #expect(r.stderr == "Error: \(path) is damaged: its gzip data cannot be decompressed after 3 bytes of data (line 1) "
      + "(zlib: invalid distance too far back); expected intact gzip data: copy or export the file again (gzip -t \(path) checks a file)\n")
    #expect(r.stderr.utf8.count < 400)
  }
}
