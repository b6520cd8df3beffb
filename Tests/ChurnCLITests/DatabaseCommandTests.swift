import ChurnTestSupport
import Foundation
import Testing

/// `--database`: the demo loaded into the private PostgreSQL cluster gives the same feature
/// rows, model and ranked list as the demo's files; errors name the server's reason without
/// the password.
@Suite struct DatabaseCommandTests {
  static let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("datasets/demo").path

  static let schema = """
    CREATE TABLE events (customer_id text, timestamp timestamp, event_type text, value double precision);
    CREATE TABLE customers (customer_id text, industry text, size text, region text, tier text, plan text,
                            monthly_revenue double precision, signup_date date, churn_date date, account_manager text);
    """

  /// The demo's events with every value rounded to a whole number, as a CSV in `directory`:
  /// sums of whole numbers are exact in any order, so the server's sums (day by day) and
  /// churn's (event by event) are the same doubles.
  static func wholeNumberEvents(in directory: TemporaryDirectory) throws -> String {
    let text = try String(contentsOfFile: demo + "/events.csv", encoding: .utf8)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for i in 1..<lines.count where !lines[i].isEmpty {
      var fields = lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      if let value = Double(fields[3]) { fields[3] = String(Int(value.rounded())) }
      lines[i] = fields.joined(separator: ",")
    }
    let path = directory.file("events.csv")
    try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test func featuresTrainAndScoreFromTheDatabaseEqualTheFiles() throws {
    let dir = try TemporaryDirectory("database")
    defer { dir.remove() }
    let events = try Self.wholeNumberEvents(in: dir), customers = Self.demo + "/customers.csv"
    let database = try PostgresServer.shared().makeDatabase("demo_whole")
    try database.run(Self.schema)
    try database.copy("events", fromCSV: events)
    try database.copy("customers", fromCSV: customers)
    let tables = ["--database", database.url, "--events-table", "events", "--customers-table", "customers"]
    let files = ["--events", events, "--customers", customers]
    let observe = ["--cutoffs", "2025-08-01:2025-11-01:1m", "--horizon", "30d"]

    let f1 = try runChurn(["features"] + files + observe + ["--out", dir.file("files.csv")])
    let f2 = try runChurn(["features"] + tables + observe + ["--out", dir.file("db.csv")])
    #expect(f1.status == 0 && f2.status == 0, "\(f1.stderr)\n\(f2.stderr)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("files.csv"))) == Data(contentsOf: URL(fileURLWithPath: dir.file("db.csv"))))
    // The same summary on standard error, but for the timing and the path of the customer table.
    func summary(_ text: String) -> [String] {
      text.split(separator: "\n").map(String.init).filter { !$0.contains(" rows × ") && !$0.contains("customers.csv") }
    }
    #expect(summary(f1.stderr) == summary(f2.stderr))
    #expect(f2.stderr.hasPrefix("features: 267893 events from "))  // wc -l of the demo's events.csv, less its header

    let model = ["--l2", "1", "--owner-column", "account_manager", "--importance", "none"]
    let t1 = try runChurn(["train"] + files + observe + model + ["--out", dir.file("files.json")])
    let t2 = try runChurn(["train"] + tables + observe + model + ["--out", dir.file("db.json")])
    #expect(t1.status == 0 && t2.status == 0, "\(t1.stderr)\n\(t2.stderr)")
    // Byte for byte: the same rows give the same model file (data fingerprint included).
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("files.json"))) == Data(contentsOf: URL(fileURLWithPath: dir.file("db.json"))))

    let s1 = try runChurn(["score", "--model", dir.file("db.json"), "--events", events, "--customers", customers, "--as-of", "2025-12-01",
                           "--out", dir.file("files-list.csv")])
    let s2 = try runChurn(["score", "--model", dir.file("db.json")] + tables + ["--as-of", "2025-12-01", "--out", dir.file("db-list.csv")])
    #expect(s1.status == 0 && s2.status == 0, "\(s1.stderr)\n\(s2.stderr)")
    let list = try String(contentsOfFile: dir.file("db-list.csv"), encoding: .utf8)
    #expect(list == (try String(contentsOfFile: dir.file("files-list.csv"), encoding: .utf8)))
    #expect(list.split(separator: "\n").count > 1000)

    // The report's cohort sections recompute the training cutoffs' rows from the tables too.
    let r1 = try runChurn(["report", "--model", dir.file("db.json"), "--events", events, "--customers", customers, "--as-of", "2025-12-01",
                           "--out", dir.file("files.html")])
    let r2 = try runChurn(["report", "--model", dir.file("db.json")] + tables + ["--as-of", "2025-12-01", "--out", dir.file("db.html")])
    #expect(r1.status == 0 && r2.status == 0, "\(r1.stderr)\n\(r2.stderr)")
    let html = try String(contentsOfFile: dir.file("db.html"), encoding: .utf8)
    #expect(html.contains("recomputed from events."))
    #expect(html.replacingOccurrences(of: "recomputed from events.", with: "recomputed from \(events).")
      == (try String(contentsOfFile: dir.file("files.html"), encoding: .utf8)))
  }

  /// With the demo's own values (cents), the feature CSV is still byte for byte the same: the
  /// server's sums differ from churn's at most in the last bits, below the CSV's 9 digits.
  @Test func demoFeatureRowsEqualTheFiles() throws {
    let dir = try TemporaryDirectory("database")
    defer { dir.remove() }
    let database = try PostgresServer.shared().makeDatabase("demo")
    try database.run(Self.schema)
    try database.copy("events", fromCSV: Self.demo + "/events.csv")
    try database.copy("customers", fromCSV: Self.demo + "/customers.csv")
    let observe = ["--cutoffs", "2025-01-01:2025-12-01:1m", "--horizon", "30d"]
    let f1 = try runChurn(["features", "--events", Self.demo + "/events.csv", "--customers", Self.demo + "/customers.csv"] + observe
                          + ["--out", dir.file("files.csv")])
    // The connection from the PG* variables alone.
    let f2 = try runChurn(["features", "--database", "postgresql://", "--events-table", "events", "--customers-table", "customers"] + observe
                          + ["--out", dir.file("db.csv")], environment: database.environment)
    #expect(f1.status == 0 && f2.status == 0, "\(f1.stderr)\n\(f2.stderr)")
    let rows = try String(contentsOfFile: dir.file("db.csv"), encoding: .utf8)
    #expect(rows == (try String(contentsOfFile: dir.file("files.csv"), encoding: .utf8)))
    #expect(rows.split(separator: "\n").count == 15010)  // the header and the 15009 rows churn features writes
  }

  /// An events table without a value column reads like a log without one; a value column
  /// named by a flag must be there.
  @Test func anEventsTableWithoutValues() throws {
    let dir = try TemporaryDirectory("database")
    defer { dir.remove() }
    var csv = "customer_id,timestamp,event_type\n"
    for (i, customer) in ["a", "b", "c", "d"].enumerated() {
      for day in stride(from: 1 + i, through: 120, by: 3 + i) {
        csv += "\(customer),2025-\(day <= 31 ? "01" : day <= 59 ? "02" : day <= 90 ? "03" : "04")-\(String(format: "%02d", (day <= 31 ? day : day <= 59 ? day - 31 : day <= 90 ? day - 59 : day - 90)))T0\(i):00:00Z,\(day % 2 == 0 ? "login" : "ticket")\n"
      }
    }
    try csv.write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let database = try PostgresServer.shared().makeDatabase("novalue")
    try database.run("CREATE TABLE ev (customer_id text, timestamp timestamp, event_type text)")
    try database.copy("ev", fromCSV: dir.file("e.csv"))
    let observe = ["--cutoff", "2025-03-01", "--cutoff", "2025-04-01", "--horizon", "30d"]
    let f1 = try runChurn(["features", "--events", dir.file("e.csv"), "--out", dir.file("files.csv")] + observe)
    let f2 = try runChurn(["features", "--database", database.url, "--events-table", "ev", "--out", dir.file("db.csv")] + observe)
    #expect(f1.status == 0 && f2.status == 0, "\(f1.stderr)\n\(f2.stderr)")
    let rows = try String(contentsOfFile: dir.file("db.csv"), encoding: .utf8)
    #expect(rows == (try String(contentsOfFile: dir.file("files.csv"), encoding: .utf8)))
    #expect(rows.split(separator: "\n").count == 9 && !rows.contains("sum_"))  // 4 customers × 2 cutoffs, no value features

    let named = try runChurn(["features", "--database", database.url, "--events-table", "ev", "--value-column", "amount", "--out", "-"] + observe)
    #expect(named.stderr == "Error: table ev at \(database.url) has no column amount (its columns: customer_id, timestamp, event_type); "
      + "expected the column --value-column names; fix: --value-column NAME with one of them\n")
  }

  @Test func errorsNameTheServersReasonWithoutThePassword() throws {
    let database = try PostgresServer.shared().makeDatabase("errors")
    let role = "analyst_\(database.name)"  // roles are cluster-wide: one of this database's
    try database.run("CREATE ROLE \(role) LOGIN PASSWORD 'Tr0ub4dor'; CREATE TABLE events (customer_id text, timestamp timestamp, event_type text);")
    let socket = database.server.socketDirectory
    let observe = ["--cutoff", "2025-01-01"]

    let wrong = try runChurn(["features", "--database", "postgresql://\(role):Tr0ub4dor-x@/\(database.name)?host=\(socket)",
                              "--events-table", "events", "--out", "-"] + observe)
    #expect(wrong.status != 0)
    var expected = "Error: could not connect to PostgreSQL at postgresql://\(role):***@/\(database.name)?host=\(socket): "
    expected += "connection to server on socket \"\(socket)/.s.PGSQL.5432\" failed: FATAL:  password authentication failed for user \"\(role)\"; "
    expected += "expected a reachable server and valid credentials; fix: check the URL (postgresql://user@host:port/database, a socket folder as ?host=/path) "
    expected += "or PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD\n"
    #expect(wrong.stderr == expected)
    #expect(!wrong.stderr.contains("Tr0ub4dor"))

    let missing = try runChurn(["features", "--database", database.url, "--events-table", "crm.events", "--out", "-"] + observe)
    #expect(missing.status != 0)
    let refused = "Error: PostgreSQL at \(database.url) refused the query beginning \"SELECT * FROM \\\"crm\\\".\\\"events\\\" WHERE false\": "
    #expect(missing.stderr == refused.replacingOccurrences(of: "\\\"", with: "\"") + "relation \"crm.events\" does not exist (SQLSTATE 42P01)\n")

    let noTable = try runChurn(["features", "--database", database.url, "--out", "-"] + observe)
    #expect(noTable.stderr.hasPrefix("Error: --database needs --events-table NAME, the table of events\n"))
    let both = try runChurn(["train", "--database", database.url, "--events-table", "events", "--events", "e.csv", "--out", "m.json"] + observe)
    #expect(both.stderr.hasPrefix("Error: --events reads a file, but --database reads the tables of a database; drop it, or drop --database\n"))
    let alone = try runChurn(["score", "--model", "m.json", "--events-table", "events", "--table", "t.csv"])
    #expect(alone.stderr.hasPrefix("Error: --events-table applies only with --database; add --database URL or drop it\n"))
    let noDate = try runChurn(["score", "--model", "m.json", "--database", database.url, "--events-table", "events"])
    #expect(noDate.stderr.hasPrefix("Error: --database needs --as-of DATE, the day to score as of\n"))
  }
}
