import ChurnTestSupport
import Foundation
import Testing

/// `--database` for the commands that analyse an event log's labelled rows (`backtest`,
/// `cohorts`, `monthly`) and for `brief`: on 200 of the demo's customers loaded into the private PostgreSQL
/// cluster, every output equals the one the same data as files gives.
@Suite struct DatabaseAnalysisCommandTests {
  /// The demo's first 200 customers and their events, every value rounded to a whole number
  /// (sums of whole numbers are exact in any order, so the server's equal churn's), as two CSV
  /// files in `directory`, loaded into a new database of the test cluster.
  static func smallDemo(in directory: TemporaryDirectory) throws -> (events: String, customers: String, database: PostgresDatabase) {
    func lines(_ name: String) throws -> [String] {
      try String(contentsOfFile: DatabaseCommandTests.demo + "/" + name, encoding: .utf8).split(separator: "\n").map(String.init)
    }
    let kept = { (line: String) in line.prefix(while: { $0 != "," }) <= "C000200" }
    var events = try lines("events.csv")
    events = [events[0]] + events.dropFirst().filter(kept).map { line in
      var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      if let value = Double(fields[3]) { fields[3] = String(Int(value.rounded())) }
      return fields.joined(separator: ",")
    }
    let customers = try lines("customers.csv")
    let paths = (directory.file("events.csv"), directory.file("customers.csv"))
    try (events.joined(separator: "\n") + "\n").write(toFile: paths.0, atomically: true, encoding: .utf8)
    try ([customers[0]] + customers.dropFirst().filter(kept)).joined(separator: "\n").appending("\n")
      .write(toFile: paths.1, atomically: true, encoding: .utf8)
    let database = try PostgresServer.shared().makeDatabase("demo200")
    try database.run(DatabaseCommandTests.schema)
    try database.copy("events", fromCSV: paths.0)
    try database.copy("customers", fromCSV: paths.1)
    return (paths.0, paths.1, database)
  }

  @Test func backtestCohortsAndMonthlyFromTheDatabaseEqualTheFiles() throws {
    let dir = try TemporaryDirectory("database-analysis")
    defer { dir.remove() }
    let (events, customers, database) = try Self.smallDemo(in: dir)
    let files = ["--events", events, "--customers", customers]
    let tables = ["--database", database.url, "--events-table", "events", "--customers-table", "customers"]
    let observe = ["--cutoffs", "2025-05-01:2025-11-01:1m", "--horizon", "30d"]
    func read(_ name: String) throws -> String { try String(contentsOfFile: dir.file(name), encoding: .utf8) }

    let backtest = ["backtest", "--l2", "1", "--bootstrap", "20", "--test-from", "2025-10-01"]
    let b1 = try runChurn(backtest + files + observe + ["--out", dir.file("files-backtest.json")])
    let b2 = try runChurn(backtest + tables + observe + ["--out", dir.file("db-backtest.json")])
    #expect(b1.status == 0 && b2.status == 0, "\(b1.stderr)\n\(b2.stderr)")
    #expect(b2.stdout == b1.stdout)
    #expect(b2.stdout.contains("2025-10-01"))  // the last testable fold is there
    #expect(try read("db-backtest.json") == read("files-backtest.json"))

    let c1 = try runChurn(["cohorts"] + files + observe + ["--out", dir.file("files-cohorts.csv")])
    let c2 = try runChurn(["cohorts"] + tables + observe + ["--out", dir.file("db-cohorts.csv")])
    #expect(c1.status == 0 && c2.status == 0, "\(c1.stderr)\n\(c2.stderr)")
    #expect(c2.stdout == c1.stdout)
    #expect(try read("db-cohorts.csv") == read("files-cohorts.csv"))
    #expect(try read("db-cohorts.csv").contains("industry"))  // the customer table's attributes came through

    let m1 = try runChurn(["monthly"] + files + observe + ["--out", dir.file("files-monthly.json")])
    let m2 = try runChurn(["monthly"] + tables + observe + ["--out", dir.file("db-monthly.json")])
    #expect(m1.status == 0 && m2.status == 0, "\(m1.stderr)\n\(m2.stderr)")
    #expect(m2.stdout == m1.stdout)
    let monthly = try read("db-monthly.json")
    #expect(monthly == (try read("files-monthly.json")))
    #expect(monthly.contains("\"satisfaction\"") && m2.stdout.contains("NPS"))  // the survey and NPS events were read from the table
  }

  @Test func briefFromTheDatabaseEqualsTheFiles() throws {
    let dir = try TemporaryDirectory("database-brief")
    defer { dir.remove() }
    let (events, customers, database) = try Self.smallDemo(in: dir)
    let files = ["--events", events, "--customers", customers]
    let tables = ["--database", database.url, "--events-table", "events", "--customers-table", "customers"]
    let train = try runChurn(["train"] + files + ["--cutoffs", "2025-05-01:2025-10-01:1m", "--horizon", "30d", "--l2", "1", "--importance", "none",
                                                  "--owner-column", "account_manager", "--out", dir.file("model.json")])
    #expect(train.status == 0, "\(train.stderr)")
    let brief = ["brief", "--model", dir.file("model.json"), "--as-of", "2025-12-01", "--revenue-column", "monthly_revenue",
                 "--trend-points", "3", "--monthly-cutoffs", "3"]
    let b1 = try runChurn(brief + files + ["--out", dir.file("files-brief")])
    let b2 = try runChurn(brief + tables + ["--out", dir.file("db-brief")])
    #expect(b1.status == 0 && b2.status == 0, "\(b1.stderr)\n\(b2.stderr)")
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.file("files-brief")).sorted()
    #expect(names.contains("index.html") && names.contains("monthly.html") && names.count > 4)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("db-brief")).sorted() == names)
    for name in names {
      let a = try String(contentsOfFile: dir.file("files-brief/" + name), encoding: .utf8)
      let b = try String(contentsOfFile: dir.file("db-brief/" + name), encoding: .utf8)
      #expect(a == b, "\(name) differs")
    }
  }

  @Test func databaseFlagsAreCheckedBeforeAnythingRuns() throws {
    let b = try runChurn(["backtest", "--database", "postgresql://", "--cutoffs", "2025-03-01:2025-11-01:1m"])
    #expect(b.status != 0 && b.stderr.contains("--database needs --events-table NAME, the table of events"), "\(b.stderr)")
    let c = try runChurn(["cohorts", "--database", "postgresql://", "--events-table", "events", "--events", "e.csv", "--cutoff", "2025-03-01"])
    #expect(c.status != 0 && c.stderr.contains("--events reads a file, but --database reads the tables of a database"), "\(c.stderr)")
    let m = try runChurn(["monthly", "--events-table", "events", "--events", "e.csv", "--cutoff", "2025-03-01"])
    #expect(m.status != 0 && m.stderr.contains("--events-table applies only with --database"), "\(m.stderr)")
  }
}
