import ChurnCore
import Foundation
import Testing
import ChurnTestSupport

/// `churn sql`'s query, run on real engines (DuckDB from PyPI in the test virtual environment
/// that scripts/setup makes; PostgreSQL 15 in a private cluster), gives the rows `churn
/// features` writes for the same data and flags: the same header, rows in the same order, and
/// every value, written as churn writes numbers, the same text. Sums of event values (sum_,
/// mean_, monetary_, pct_change_sum_) add in another order on the engine: on the demo they are
/// compared to 1e-9 relative (plus the CSV's 9-decimal rounding); on the randomized logs,
/// whose values are quarters (exact sums in any order), exactly.
@Suite(.serialized) struct SQLEqualityTests {
  static let root = GzipInputCommandTests.root
  static let python = root.appendingPathComponent(".build/test-venv/bin/python").path
  static let runner = root.appendingPathComponent("scripts/sql-features.py").path

  enum Engine: String, CaseIterable, Sendable { case duckdb, postgres }

  /// One comparison: the features run and the SQL run on the same inputs.
  struct Case {
    var events: String
    var customers: String?
    /// Flags both commands take (cutoffs, horizon, active window, activity types, column names).
    var observation: [String]
    /// Flags of `churn features` only (windows, lead, purchase types: the spec carries them).
    var featuresOnly: [String] = []
    /// Flags of `churn sql` only besides the dialect and tables (default: the saved spec).
    var sqlOnly: [String]? = nil
    /// Value sums compared exactly.
    var exactSums = false
  }

  /// Runs both sides in `dir` and returns the mismatches (empty when equal).
  static func compare(_ c: Case, engine: Engine, in dir: TemporaryDirectory) throws -> [String] {
    #expect(FileManager.default.isExecutableFile(atPath: python), "no \(python): run scripts/setup (it makes the test virtual environment with duckdb)")
    var features = ["features", "--events", c.events, "--save-spec", dir.file("spec.json"), "--out", dir.file("features.csv"), "--threads", "1"]
    if let customers = c.customers { features += ["--customers", customers] }
    let f = try runChurn(features + c.observation + c.featuresOnly)
    #expect(f.status == 0, "churn features failed: \(f.stderr)")
    var sql = ["sql", "--dialect", engine.rawValue, "--events-table", "events", "--out", dir.file("query.sql")]
    if c.customers != nil { sql += ["--customers-table", "customers"] }
    let s = try runChurn(sql + (c.sqlOnly ?? ["--spec", dir.file("spec.json")]) + c.observation)
    #expect(s.status == 0, "churn sql failed: \(s.stderr)")
    guard f.status == 0, s.status == 0 else { return ["a command failed"] }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [runner, engine.rawValue, dir.file("query.sql"), c.events] + (c.customers.map { [$0] } ?? []) + [dir.file("sql.csv")]
    if engine == .postgres { process.environment = ProcessInfo.processInfo.environment.merging(try PostgresCluster.shared().environment) { _, new in new } }
    let err = Pipe()
    process.standardError = err
    try process.run()
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "the query failed on \(engine): \(stderr)")
    guard process.terminationStatus == 0 else { return ["the query failed"] }
    return try mismatches(churn: dir.file("features.csv"), sql: dir.file("sql.csv"), exactSums: c.exactSums)
  }

  /// Field-by-field differences of the two CSV files (at most 20 described).
  static func mismatches(churn: String, sql: String, exactSums: Bool) throws -> [String] {
    let a = try csvRecords(churn), b = try csvRecords(sql)
    guard a.header == b.header else { return ["headers differ: churn \(a.header) sql \(b.header)"] }
    guard a.rows.count == b.rows.count else { return ["\(a.rows.count) rows from churn features, \(b.rows.count) from SQL"] }
    let valueDerived = a.header.map { ["sum_", "mean_", "monetary_", "pct_change_sum_"].contains(where: $0.hasPrefix) }
    // The summation-order caveat's one consequence beyond rounding: churn ranks monetary values
    // that tie in exact arithmetic by their last bits, which another addition order changes.
    // An m_score (and the segment it makes) may differ only for a row whose monetary value is
    // within 1e-9 relative of another row's at the same cutoff.
    let monetary = a.header.firstIndex { $0.hasPrefix("monetary_") }
    var nearTie = Set<Int>()
    if let monetary, !exactSums {
      var byCutoff: [String: [(value: Double, row: Int)]] = [:]
      for (r, row) in a.rows.enumerated() { if let v = Double(row[monetary]) { byCutoff[row[1], default: []].append((v, r)) } }
      for (_, values) in byCutoff {
        let sorted = values.sorted { $0.value < $1.value }
        for (p, q) in zip(sorted, sorted.dropFirst()) where abs(p.value - q.value) <= 1e-9 * max(abs(p.value), abs(q.value)) + 5e-10 {
          nearTie.insert(p.row)
          nearTie.insert(q.row)
        }
      }
    }
    var out: [String] = []
    for (r, (x, y)) in zip(a.rows, b.rows).enumerated() {
      guard x[0] == y[0], x[1] == y[1] else {
        out.append("row \(r + 1): churn has \(x[0]) at \(x[1]), SQL \(y[0]) at \(y[1])")
        if out.count >= 20 { break } else { continue }
      }
      for j in 2..<x.count where x[j] != y[j] {
        let formatted = Double(y[j]).map(churnNumber)
        if formatted == x[j] { continue }
        if valueDerived[j] && !exactSums, let p = Double(x[j]), let q = Double(y[j]), abs(p - q) <= 1e-9 * max(abs(p), abs(q)) + 5e-10 { continue }
        if ["m_score", "rfm_segment"].contains(a.header[j]) && nearTie.contains(r) { continue }
        out.append("\(x[0]) at \(x[1]), \(a.header[j]): churn \"\(x[j])\", SQL \"\(y[j])\"")
        if out.count >= 20 { return out }
      }
    }
    return out
  }

  /// `value` as `churn features` writes it (FeatureTable+CSV): integers without a point,
  /// others with 9 decimals, trailing zeros dropped.
  static func churnNumber(_ value: Double) -> String {
    if value.isNaN { return "" }
    let magnitude = abs(value)
    if value == value.rounded(), magnitude < 9.007_199_254_740_992e15 { return (value < 0 ? "-" : "") + String(UInt64(magnitude)) }
    guard magnitude < 1e9 else { return value.description }
    let units = UInt64((magnitude * 1e9).rounded(.toNearestOrAwayFromZero))
    var fraction = String(units % 1_000_000_000)
    fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
    while fraction.hasSuffix("0") { fraction.removeLast() }
    return (value < 0 && units != 0 ? "-" : "") + String(units / 1_000_000_000) + (fraction.isEmpty ? "" : "." + fraction)
  }

  // MARK: The demo and CDNOW

  static let demoContractual = Case(events: root.appendingPathComponent("datasets/demo/events.csv").path,
                                    customers: root.appendingPathComponent("datasets/demo/customers.csv").path,
                                    observation: ["--cutoffs", "2025-03-01:2026-01-01:1m", "--horizon", "30d"])

  @Test(arguments: Engine.allCases) func demoContractualLabels(engine: Engine) throws {
    let dir = try TemporaryDirectory("sql-demo")
    defer { dir.remove() }
    let found = try Self.compare(Self.demoContractual, engine: engine, in: dir)
    #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    // The run compared real rows: labelled, unlabelled (past the data end) and every family.
    let table = try csvRecords(dir.file("features.csv"))
    #expect(table.rows.count > 5000)
    #expect(table.rows.contains { $0.last == "" } && table.rows.contains { $0.last == "1" })
    #expect(table.header.contains("streak_upsell_declined") && table.header.contains("rising_months_complaint")
      && table.header.contains("pct_change_sum_order_90d") && table.header.contains("plan"))
  }

  @Test(arguments: Engine.allCases) func demoInactivityLabelsWithLeadAndActivityTypes(engine: Engine) throws {
    let dir = try TemporaryDirectory("sql-demo")
    defer { dir.remove() }
    let c = Case(events: Self.demoContractual.events, customers: nil,
                 observation: ["--cutoffs", "2025-04-15:2025-11-15:3w", "--horizon", "1m", "--active-window", "60d", "--activity-types", "login,order"],
                 featuresOnly: ["--lead", "3", "--windows", "14,30,60"])
    let found = try Self.compare(c, engine: engine, in: dir)
    #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
  }

  @Test(arguments: Engine.allCases) func cdnowPurchases(engine: Engine) throws {
    let dir = try TemporaryDirectory("sql-cdnow")
    defer { dir.remove() }
    let c = Case(events: Self.root.appendingPathComponent("datasets/cdnow/events.csv").path, customers: nil,
                 observation: ["--cutoffs", "1997-04-01:1998-06-01:1m", "--horizon", "90d"])
    let found = try Self.compare(c, engine: engine, in: dir)
    #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
  }

  /// `--model M`: the model's stored spec, horizon and label kind make the query; equal to
  /// `churn features --spec` with the model's spec and the same horizon.
  @Test func modelsSpecAndObservationRules() throws {
    let dir = try TemporaryDirectory("sql-model")
    defer { dir.remove() }
    let demo = Self.demoContractual
    let train = try runChurn(["train", "--events", demo.events, "--customers", demo.customers!, "--cutoffs", "2025-05-01:2025-08-01:1m",
                              "--horizon", "45d", "--l2", "10", "--importance", "none", "--out", dir.file("model.json")])
    #expect(train.status == 0, "\(train.stderr)")
    let model = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("model.json")))) as! [String: Any]
    let spec = try JSONSerialization.data(withJSONObject: model["featureSpec"]!)
    try spec.write(to: URL(fileURLWithPath: dir.file("model-spec.json")))
    let c = Case(events: demo.events, customers: demo.customers, observation: ["--cutoff", "2025-09-01", "--cutoff", "2025-12-01"],
                 featuresOnly: ["--horizon", "45d"], sqlOnly: ["--model", dir.file("model.json")])
    let features = try runChurn(["features", "--events", c.events, "--customers", c.customers!, "--spec", dir.file("model-spec.json"),
                                 "--out", dir.file("features.csv")] + c.observation + c.featuresOnly)
    #expect(features.status == 0, "\(features.stderr)")
    let sql = try runChurn(["sql", "--dialect", "duckdb", "--events-table", "events", "--customers-table", "customers",
                            "--out", dir.file("query.sql")] + c.sqlOnly! + c.observation)
    #expect(sql.status == 0, "\(sql.stderr)")
    let run = Process()
    run.executableURL = URL(fileURLWithPath: Self.python)
    run.arguments = [Self.runner, "duckdb", dir.file("query.sql"), c.events, c.customers!, dir.file("sql.csv")]
    try run.run()
    run.waitUntilExit()
    #expect(run.terminationStatus == 0)
    let found = try Self.mismatches(churn: dir.file("features.csv"), sql: dir.file("sql.csv"), exactSums: false)
    #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    // The 45-day horizon came from the model: 2025-12-01 + 45 days runs past the data end (2026-01-01), so its labels are empty (30 days would not).
    let rows = try csvRecords(dir.file("features.csv")).rows
    #expect(rows.contains { $0[1] == "2025-12-01" && $0.last == "" } && rows.contains { $0[1] == "2025-09-01" && $0.last == "1" })
  }

  /// The command's errors, pinned.
  @Test func commandErrors() throws {
    let none = try runChurn(["sql", "--dialect", "duckdb", "--events-table", "events", "--cutoff", "2025-01-01"])
    #expect(none.status != 0 && none.stderr.contains("the features are not given; add --spec FILE, --model FILE or --event-types T1,T2"))
    let dialect = try runChurn(["sql", "--dialect", "bigquery", "--events-table", "events", "--event-types", "a", "--cutoff", "2025-01-01"])
    #expect(dialect.stderr.contains("--dialect bigquery is not a dialect; expected postgres, duckdb or spark"))
    let lead = try runChurn(["sql", "--dialect", "duckdb", "--events-table", "events", "--spec", "s.json", "--lead", "3", "--cutoff", "2025-01-01"])
    #expect(lead.stderr.contains("--lead comes from the spec when --spec or --model is given; drop it"))
    let table = try runChurn(["sql", "--dialect", "duckdb", "--events-table", "ev ents", "--event-types", "a", "--cutoff", "2025-01-01"])
    #expect(table.stderr.contains("events table \"ev ents\" is not a table name; expected letters, digits and _ in dot-separated parts such as crm.events"))
    let churnDate = try runChurn(["sql", "--dialect", "duckdb", "--events-table", "e", "--event-types", "a", "--cutoff", "2025-01-01", "--no-churn-date-column"])
    #expect(churnDate.stderr.contains("--no-churn-date-column applies to a customers table; add --customers-table or drop it"))
  }

  // MARK: Randomized event logs

  /// A random log around `cutoffs`: random customers, types (valued and not, a streak group,
  /// a name that makes a token), values in quarters, and many timestamps exactly on window,
  /// lead, horizon and activity edges (and a millisecond either side), in several timestamp forms.
  static func randomLog(seed: UInt64, cutoffs: [String], in dir: TemporaryDirectory, contractual: Bool) throws -> (events: String, customers: String?) {
    var rng = SeededGenerator(seed: seed)
    let day = UTCTime.millisecondsPerDay
    let cuts = cutoffs.map { UTCTime.parseMilliseconds($0)! }
    let customers = (1...Int.random(in: 25...60, using: &rng)).map { String(format: "K%03d", $0) }
    let types: [(String, Bool)] = [("login", false), ("purchase", true), ("upsell_declined", false), ("upsell_accepted", true),
                                   ("nps", true), ("Support Ticket", false)]
    let offsets: [Int64] = [0, -1, 1, -3, -7, -14, -21, -30, -31, -60, -61, -90, -91, -120, -150, -180, -181, -210, 14, 21, 28, 30, 31, 60]
    var lines = ["customer_id,timestamp,event_type,value"]
    func stamp(_ ms: Int64, form: Int) -> String {
      let millis = ((ms % 1000) + 1000) % 1000
      let text = UTCTime.formatDateTime(milliseconds: ms - millis)  // YYYY-MM-DDTHH:MM:SSZ
      let date = String(text.prefix(10))
      switch form {
      case 0 where ms % day == 0: return date
      case 1: return String(text.dropLast()) + ".\(String(format: "%03d", Int(millis)))Z"
      case 2:  // the same instant written with a +02:00 offset
        let shifted = UTCTime.formatDateTime(milliseconds: ms - millis + 2 * 3_600_000)
        return String(shifted.dropLast()) + ".\(String(format: "%03d", Int(millis)))+02:00"
      default: return millis == 0 ? text : String(text.dropLast()) + ".\(String(format: "%03d", Int(millis)))Z"
      }
    }
    lines.append("K000,\(UTCTime.formatDateTime(milliseconds: cuts[0] - 400 * day)),login,")  // the data start well before the cutoffs
    for customer in customers {
      let start = cuts[0] - Int64.random(in: 0...300, using: &rng) * day
      for _ in 0..<Int.random(in: 0...40, using: &rng) {
        let (type, valued) = types[Int.random(in: 0..<types.count, using: &rng)]
        var ms: Int64
        if Bool.random(using: &rng) {
          let edge = cuts[Int.random(in: 0..<cuts.count, using: &rng)] + offsets[Int.random(in: 0..<offsets.count, using: &rng)] * day
          ms = edge + [0, 0, 0, -1, 1][Int.random(in: 0..<5, using: &rng)]
        } else {
          ms = start + Int64.random(in: 0...(cuts.last! + 90 * day - start), using: &rng)
        }
        ms = max(ms, start)
        let value = valued && Int.random(in: 0..<5, using: &rng) > 0 ? String(Double(Int.random(in: -40...800, using: &rng)) / 4) : ""
        lines.append("\(customer),\(stamp(ms, form: Int.random(in: 0..<4, using: &rng))),\(type),\(value)")
      }
    }
    let events = dir.file("events.csv")
    try (lines.joined(separator: "\n") + "\n").write(toFile: events, atomically: true, encoding: .utf8)
    var table = [contractual ? "customer_id,signup_date,churn_date,plan,seats" : "customer_id,signup_date,plan,seats"]
    for customer in customers + ["K999"] where Int.random(in: 0..<6, using: &rng) > 0 || customer == "K999" {
      let signup = Bool.random(using: &rng) ? UTCTime.formatDate(milliseconds: cuts[0] - Int64.random(in: -40...200, using: &rng) * day) : ""
      var churn = ""
      if contractual && Int.random(in: 0..<3, using: &rng) == 0 {
        let edge = cuts[Int.random(in: 0..<cuts.count, using: &rng)] + Int64([0, -1, 1, 29, 30, 31, 45][Int.random(in: 0..<7, using: &rng)]) * day
        churn = UTCTime.formatDate(milliseconds: signup.isEmpty ? edge : max(edge, UTCTime.parseMilliseconds(signup)!))
      }
      let plan = ["basic", "pro", "", "team"][Int.random(in: 0..<4, using: &rng)]
      let seats = Bool.random(using: &rng) ? String(Int.random(in: 1...50, using: &rng)) : ""
      table.append(contractual ? "\(customer),\(signup),\(churn),\(plan),\(seats)" : "\(customer),\(signup),\(plan),\(seats)")
    }
    let path = dir.file("customers.csv")
    try (table.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    return (events, path)
  }

  /// Seeds 1...6 on each engine: cutoffs, horizons, leads, windows, active windows and
  /// activity types vary with the seed; even seeds use contractual labels from a customer
  /// table, odd seeds inactivity labels (seed 3 without a customer table, from --event-types).
  @Test(arguments: Engine.allCases, Array(UInt64(1)...6)) func randomizedLogs(engine: Engine, seed: UInt64) throws {
    let dir = try TemporaryDirectory("sql-random")
    defer { dir.remove() }
    let grids: [(String, [String])] = [("2024-03-01:2024-06-01:1m", ["2024-03-01", "2024-04-01", "2024-05-01", "2024-06-01"]),
                                       ("2024-02-10:2024-04-10:3w", ["2024-02-10", "2024-03-02", "2024-03-23"]),
                                       ("2024-05-31:2024-07-31:1m", ["2024-05-31", "2024-06-30", "2024-07-31"])]
    let (range, cutoffs) = grids[Int(seed) % grids.count]
    let contractual = seed % 2 == 0
    let log = try Self.randomLog(seed: seed, cutoffs: cutoffs, in: dir, contractual: contractual)
    var observation = ["--cutoffs", range, "--horizon", ["30d", "1m", "2w", "45d"][Int(seed) % 4]]
    if seed % 3 == 1 { observation += ["--active-window", "21d"] }
    if seed == 5 { observation += ["--activity-types", "login,purchase"] }
    let featuresOnly = seed % 2 == 1 ? ["--lead", String(seed % 4), "--windows", "7,30,60"] : ["--purchase-types", "purchase,upsell_accepted"]
    var c = Case(events: log.events, customers: seed == 3 ? nil : log.customers, observation: observation, featuresOnly: featuresOnly, exactSums: true)
    if !contractual && c.customers != nil { c.sqlOnly = ["--spec", dir.file("spec.json"), "--no-churn-date-column"] }
    if seed == 3 {
      c.sqlOnly = ["--event-types", "login,purchase,upsell_declined,upsell_accepted,nps,Support Ticket", "--valued-types", "purchase,upsell_accepted,nps",
                   "--lead", "3", "--windows", "7,30,60"]
    }
    let found = try Self.compare(c, engine: engine, in: dir)
    #expect(found.isEmpty, "seed \(seed) on \(engine):\n\(found.joined(separator: "\n"))")
    let rows = try csvRecords(dir.file("features.csv")).rows
    #expect(rows.count >= 10, "seed \(seed): only \(rows.count) rows")
  }
}

/// The test process's private PostgreSQL cluster (branch pg's `PostgresServer`): the PG*
/// variables that reach it, and its `psql` first on PATH, for scripts/sql-features.py.
enum PostgresCluster {
  struct Handle { let environment: [String: String] }
  static func shared() throws -> Handle {
    let database = try PostgresServer.shared().makeDatabase("sql")
    var environment = database.environment
    environment["PATH"] = database.server.binDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    return Handle(environment: environment)
  }
}
