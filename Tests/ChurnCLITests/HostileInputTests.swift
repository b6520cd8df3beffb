import ChurnTestSupport
import Foundation
import Testing

/// Bad inputs a new user gives that no other slice of issue 14 covers: last week's list, the
/// holdout ids, the attribution rules, a customer table given to describe, cohorts of a
/// one-class table. Each was exit 0 with a wrong or silently shortened result, or a message
/// that did not say what was wrong.
@Suite("Hostile inputs: --previous, --holdout-ids, --groups, describe, cohorts")
struct HostileInputTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let telco = root.appendingPathComponent("datasets/telco/telco.csv").path
  static let train = ["train", "--table", telco, "--id", "customerid", "--label", "churn"]

  /// The telco ids in file order, with their labels.
  static func telcoIds() throws -> [(id: String, churned: Bool)] {
    try String(contentsOfFile: telco, encoding: .utf8).split(separator: "\n").dropFirst().map {
      (String($0.prefix { $0 != "," }), $0.hasSuffix(",Yes"))
    }
  }

  @Test("score --previous refuses a list with a band that is not one, before writing anything")
  func previous() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try runChurn(Self.train + ["--out", dir.file("m.json")]).status == 0)
    try "rank,customerid,churn_probability,percentile,risk_band\n1,8879-ZKJOF,0.5,99.0,purple\n".write(toFile: dir.file("last.csv"), atomically: true, encoding: .utf8)
    let r = try runChurn(["score", "--model", dir.file("m.json"), "--table", Self.telco, "--previous", dir.file("last.csv"), "--out", dir.file("risk.csv")])
    #expect(r.status == 1)
    #expect(r.stderr.hasSuffix("Error: \(dir.file("last.csv")) line 2: risk_band \"purple\" is not a band; expected red, yellow, green or blank; "
      + "fix: pass the CSV that churn score --out wrote last week with this model\n"), "\(r.stderr)")
    #expect(dir.contents() == ["last.csv", "m.json"])
  }

  @Test("--holdout-ids that match no customer, every row, or one class are errors; unknown ids are named")
  func holdoutIds() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let ids = try Self.telcoIds()
    func trainWith(_ text: String) throws -> (status: Int32, stdout: String, stderr: String) {
      try text.write(toFile: dir.file("ho.txt"), atomically: true, encoding: .utf8)
      return try runChurn(Self.train + ["--holdout-ids", dir.file("ho.txt"), "--out", dir.file("m.json")])
    }
    let fix = "fix: list one customerid per line, as in the table"
    var r = try trainWith("nope1\nnope2\n")
    #expect(r.status == 1 && r.stderr.hasSuffix("Error: none of the 2 ids in \(dir.file("ho.txt")) is in column customerid of \(Self.telco) "
      + "(line 1: \"nope1\"); expected the ids of the customers to hold out; \(fix)\n"), "\(r.stderr)")
    r = try trainWith("\n\n")
    #expect(r.status == 1 && r.stderr.hasSuffix("Error: \(dir.file("ho.txt")) has no ids; expected the ids of the customers to hold out; \(fix)\n"), "\(r.stderr)")
    r = try trainWith(ids.map(\.id).joined(separator: "\n"))
    #expect(r.status == 1 && r.stderr.hasSuffix("Error: \(dir.file("ho.txt")) holds out all 4930 labelled rows of \(Self.telco): none is left to train on; "
      + "fix: hold out a part of the customers, such as one in five\n"), "\(r.stderr)")
    r = try trainWith(ids.filter { !$0.churned }.prefix(100).map(\.id).joined(separator: "\n"))
    #expect(r.status == 1 && r.stderr.hasSuffix("Error: the 100 held-out rows (ids in \(dir.file("ho.txt"))) all have label 0; "
      + "expected both churned and retained customers to measure the model; fix: hold out a random sample of customers\n"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.file("m.json")))
    // A header line and quotes are read as a CSV's first column; an unknown id is named, not ignored.
    r = try trainWith("customerid\n" + ids.prefix(300).map { "\"\($0.id)\"" }.joined(separator: "\n") + "\nnope\n")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("train: 300 labelled rows held out (ids in \(dir.file("ho.txt")))"))
    #expect(r.stderr.contains("train: note: 1 id in \(dir.file("ho.txt")) is not in column customerid of \(Self.telco) (line 302: \"nope\")"), "\(r.stderr)")
    // A directory is a file error, not a usage error.
    let d = try runChurn(Self.train + ["--holdout-ids", dir.path, "--out", dir.file("m2.json")])
    #expect(d.status == 1 && d.stderr == "Error: cannot read \(dir.path): Is a directory\n", "\(d.stderr)")
  }

  @Test("weights --groups: an empty rules file is an error; a rule that places no column is named")
  func groups() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try runChurn(Self.train + ["--out", dir.file("m.json")]).status == 0)
    func weights(_ rules: String) throws -> (status: Int32, stdout: String, stderr: String) {
      try rules.write(toFile: dir.file("g.csv"), atomically: true, encoding: .utf8)
      return try runChurn(["weights", "--model", dir.file("m.json"), "--groups", dir.file("g.csv")])
    }
    var r = try weights("pattern,category\n")
    #expect(r.status == 1 && r.stderr == "Error: \(dir.file("g.csv")) has no rules; expected lines pattern,category such as ticket,service\n", "\(r.stderr)")
    r = try weights("tenure;engagement\n")
    #expect(r.status == 1 && r.stderr == "Error: \(dir.file("g.csv")) line 1: \"tenure;engagement\" is not pattern,category; "
      + "expected two fields separated by a comma, such as ticket,service\n", "\(r.stderr)")
    r = try weights("\u{FEFF}pattern,category\ntenure,engagement\nnomatch,other\ntenure,never\n\"internet, or not\",x\n")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr == "weights: note: \(dir.file("g.csv")) line 3: no column name contains \"nomatch\"\n"
      + "weights: note: \(dir.file("g.csv")) line 4: every column that contains \"tenure\" is placed by an earlier rule\n"
      + "weights: note: \(dir.file("g.csv")) line 5: no column name contains \"internet, or not\"\n", "\(r.stderr)")
    #expect(r.stdout.contains("engagement     0.21   tenure"), "\(r.stdout)")
    let d = try runChurn(["weights", "--model", dir.file("m.json"), "--groups", dir.path])
    #expect(d.status == 1 && d.stderr == "Error: cannot read \(dir.path): Is a directory\n", "\(d.stderr)")
  }

  @Test("describe checks the customer table as features does (a repeated customer is an error) and prints nothing on failure")
  func describeCustomers() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try "customer_id,timestamp,event_type,value\nA,2024-01-01,order,10\n".write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    try "customer_id,plan\nA,pro\nB,basic\nA,pro\n".write(toFile: dir.file("c.csv"), atomically: true, encoding: .utf8)
    let r = try runChurn(["describe", "--events", dir.file("e.csv"), "--customers", dir.file("c.csv")])
    #expect(r.status == 1 && r.stdout == "", "\(r.stdout)")
    #expect(r.stderr == "Error: \(dir.file("c.csv")) line 4: customer \"A\" already appeared on line 2; expected one row per customer\n", "\(r.stderr)")
  }

  @Test("cohorts of a one-class table is an error; --features names why a present column has no cohorts")
  func cohorts() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let lines = try String(contentsOfFile: Self.telco, encoding: .utf8).split(separator: "\n")
    try (lines.prefix(1) + lines.dropFirst().filter { $0.hasSuffix(",No") }).joined(separator: "\n").write(toFile: dir.file("no.csv"), atomically: true, encoding: .utf8)
    let r = try runChurn(["cohorts", "--table", dir.file("no.csv"), "--id", "customerid", "--label", "churn"])
    #expect(r.status == 1 && r.stdout == "")
    #expect(r.stderr == "Error: all 3624 labelled rows have label 0; cohorts compare churn rates, which needs both churned and retained customers\n", "\(r.stderr)")
    let k = [lines[0] + ",k,code"] + lines.dropFirst().enumerated().map { "\($1),5,L\($0)" }
    try k.joined(separator: "\n").write(toFile: dir.file("k.csv"), atomically: true, encoding: .utf8)
    let c = try runChurn(["cohorts", "--table", dir.file("k.csv"), "--id", "customerid", "--label", "churn", "--features", "k"])
    #expect(c.status == 1 && c.stderr == "Error: --features: k has one cohort in the labelled rows (= 5); nothing to compare\n", "\(c.stderr)")
    let l = try runChurn(["cohorts", "--table", dir.file("k.csv"), "--id", "customerid", "--label", "churn", "--features", "code"])
    #expect(l.status == 1 && l.stderr == "Error: --features: code has no cohort of 30 or more labelled rows (4930 cohorts); its churn rates would be noise\n", "\(l.stderr)")
    let n = try runChurn(["cohorts", "--table", dir.file("k.csv"), "--id", "customerid", "--label", "churn", "--features", "nope"])
    #expect(n.status == 1 && n.stderr.hasPrefix("Error: --features: no column nope; columns are gender, seniorcitizen"), "\(n.stderr)")
  }

  @Test("simulate refuses a start month whose dates the tool could not write or read back, and an --out that is a file")
  func simulateBounds() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    // Start years 1900...2200 and at most 600 months keep every date a four-digit year that
    // the readers take back (signups reach 3 years before the start).
    let late = try runChurn(["simulate", "--customers", "5", "--months", "3", "--start", "9999-12", "--out", dir.file("s")])
    #expect(late.status == 64 && late.stderr.hasPrefix("Error: invalid simulation setting: start year must be between 1900 and 2200, got 9999\n"), "\(late.stderr)")
    let early = try runChurn(["simulate", "--customers", "5", "--months", "3", "--start", "0000-01", "--out", dir.file("s")])
    #expect(early.status == 64 && early.stderr.hasPrefix("Error: invalid simulation setting: start year must be between 1900 and 2200, got 0\n"), "\(early.stderr)")
    // A log that runs past tomorrow could not be read back (the readers refuse future events).
    var now = tm()
    var clock = time(nil)
    gmtime_r(&clock, &now)
    let thisMonth = (Int(now.tm_year) + 1900) * 12 + Int(now.tm_mon)
    let start = String(format: "%04d-%02d", (thisMonth - 1) / 12, (thisMonth - 1) % 12 + 1)
    let latest = String(format: "%04d-%02d", (thisMonth - 3) / 12, (thisMonth - 3) % 12 + 1)
    let end = String(format: "%04d-%02d", (thisMonth + 1) / 12, (thisMonth + 1) % 12 + 1)
    let future = try runChurn(["simulate", "--customers", "5", "--months", "3", "--start", start, "--out", dir.file("s")])
    #expect(future.status == 64 && future.stderr.hasPrefix("Error: --start \(start) with --months 3 runs to the end of \(end), after tomorrow; "
      + "churn reads no events after tomorrow, so it could not read this log back; expected a start no later than \(latest)\n"), "\(future.stderr)")
    let ok = try runChurn(["simulate", "--customers", "5", "--months", "3", "--start", latest, "--out", dir.file("s")])
    #expect(ok.status == 0, "\(ok.stderr)")
    let back = try runChurn(["describe", "--events", dir.file("s/events.csv")])
    #expect(back.status == 0, "\(back.stderr)")
    try FileManager.default.removeItem(atPath: dir.file("s"))
    try "x".write(toFile: dir.file("f.csv"), atomically: true, encoding: .utf8)
    let file = try runChurn(["simulate", "--customers", "5", "--months", "3", "--out", dir.file("f.csv")])
    #expect(file.status == 64 && file.stderr.hasPrefix("Error: --out \(dir.file("f.csv")) is a file; simulate writes events.csv and customers.csv into a directory (created if missing): give a directory\n"), "\(file.stderr)")
    #expect(dir.contents() == ["f.csv"])
  }

  @Test("backtest --bootstrap 0 shows no interval (was a zero-width '95% CI'); a one-class table is refused before any fold")
  func backtestEdges() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let r = try runChurn(["backtest", "--table", Self.telco, "--id", "customerid", "--label", "churn", "--folds", "2", "--bootstrap", "0"])
    #expect(r.status == 0, "\(r.stderr)")
    let folds = r.stdout.split(separator: "\n").filter { $0.hasPrefix("fold 1 of 2") || $0.hasPrefix("fold 2 of 2") }
    #expect(folds.count == 2 && folds.allSatisfy { $0.contains(" (no bootstrap)") && !$0.contains("–") }, "\(folds)")
    let lines = try String(contentsOfFile: Self.telco, encoding: .utf8).split(separator: "\n")
    try (lines.prefix(1) + lines.dropFirst().filter { $0.hasSuffix(",No") }).joined(separator: "\n").write(toFile: dir.file("no.csv"), atomically: true, encoding: .utf8)
    let one = try runChurn(["backtest", "--table", dir.file("no.csv"), "--id", "customerid", "--label", "churn"])
    #expect(one.status == 1 && one.stderr == "Error: all 3624 labelled rows of \(dir.file("no.csv")) have label 0; "
      + "a churn model needs both churned and retained customers\n", "\(one.stderr)")
  }

  @Test("train and backtest on rows with no label, or one row, say so (was: 'none of the 19 feature columns varies')")
  func noLabels() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let lines = try String(contentsOfFile: Self.telco, encoding: .utf8).split(separator: "\n")
    try ([lines[0]] + lines.dropFirst().map { $0.dropLast($0.hasSuffix(",Yes") ? 3 : 2) }).joined(separator: "\n")
      .write(toFile: dir.file("blank.csv"), atomically: true, encoding: .utf8)
    try lines.prefix(2).joined(separator: "\n").write(toFile: dir.file("one.csv"), atomically: true, encoding: .utf8)
    let none = "Error: no labelled rows to train on: every label is blank (unknown); expected rows labelled 0/1 or yes/no\n"
    for family in ["logistic", "forest"] {
      let t = try runChurn(["train", "--table", dir.file("blank.csv"), "--id", "customerid", "--label", "churn", "--model", family, "--out", dir.file("m.json")])
      #expect(t.status == 1 && t.stderr.hasSuffix(none), "\(t.stderr)")
      let b = try runChurn(["backtest", "--table", dir.file("blank.csv"), "--id", "customerid", "--label", "churn", "--model", family])
      #expect(b.status == 1 && b.stderr.hasSuffix(none), "\(b.stderr)")
      let o = try runChurn(["train", "--table", dir.file("one.csv"), "--id", "customerid", "--label", "churn", "--model", family, "--out", dir.file("m.json")])
      #expect(o.status == 1 && o.stderr.hasSuffix("Error: all 1 labels are 0; a churn model needs both churned and retained customers\n"), "\(o.stderr)")
    }
    #expect(dir.contents() == ["blank.csv", "one.csv"])
  }

  @Test("score --table refuses a customer on two rows (a multi-cutoff feature table), which made a list naming a customer twice")
  func scoreDuplicates() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try runChurn(Self.train + ["--out", dir.file("m.json")]).status == 0)
    let lines = try String(contentsOfFile: Self.telco, encoding: .utf8).split(separator: "\n")
    try (lines + [lines[3]]).joined(separator: "\n").write(toFile: dir.file("t.csv"), atomically: true, encoding: .utf8)
    let r = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("t.csv"), "--out", dir.file("risk.csv")])
    let id = String(lines[3].prefix { $0 != "," })
    #expect(r.status == 1 && r.stderr.hasSuffix("Error: \(dir.file("t.csv")): customerid \"\(id)\" is on rows 3 and 4931 (counted after the header); "
      + "a ranked list has one row per customer; fix: score one cutoff's rows (churn features --cutoff DATE), or score --events with --as-of\n"), "\(r.stderr)")
    #expect(dir.contents() == ["m.json", "t.csv"])
  }

  @Test("cohorts --groups is bounded (9223372036854775807 ran for ever)")
  func cohortGroups() throws {
    let r = try runChurn(["cohorts", "--table", Self.telco, "--id", "customerid", "--label", "churn", "--groups", "9223372036854775807"])
    #expect(r.status == 64 && r.stderr.hasPrefix("Error: --groups 9223372036854775807 is too many; expected 2...1000 quantile groups\n"), "\(r.stderr)")
    let ok = try runChurn(["cohorts", "--table", Self.telco, "--id", "customerid", "--label", "churn", "--groups", "1000", "--features", "tenure"])
    #expect(ok.status == 0, "\(ok.stderr)")
  }

  @Test("backtest --test-from after every testable cutoff says so (was: blamed the horizon, with a usage text)")
  func backtestTestFrom() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try runChurn(["simulate", "--customers", "150", "--months", "8", "--seed", "3", "--out", dir.path]).status == 0)
    let r = try runChurn(["backtest", "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                          "--cutoffs", "2024-03-01:2024-06-01:1m", "--test-from", "2030-01-01", "--bootstrap", "10"])
    #expect(r.status == 1 && r.stderr.hasSuffix("Error: --test-from 2030-01-01 is after every cutoff that can be tested (the last is 2024-06-01); "
      + "expected a date on or before it\n"), "\(r.stderr)")
  }

  @Test("describe shows a log with events after tomorrow (the tool to find them) and says what the other commands will do")
  func describeFuture() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try "customer_id,timestamp,event_type,value\nA,2024-01-01,order,10\nB,2199-01-01,order,5\n".write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let r = try runChurn(["describe", "--events", dir.file("e.csv")])
    #expect(r.status == 0 && r.stdout.hasPrefix("\(dir.file("e.csv")): 2 events, 2 customers, from 2024-01-01T00:00:00Z to 2199-01-01T00:00:00Z"), "\(r.stdout)\(r.stderr)")
    #expect(r.stderr.contains("describe: note: the last event, 2199-01-01T00:00:00Z, is after tomorrow; the other commands refuse events after "
      + "tomorrow (they would make labels \"known\" that are not) unless --data-end is given (features, train, backtest, cohorts)\n"), "\(r.stderr)")
  }

  @Test("describe --churn-date-column naming no column is an error (a typo silently dropped the churn line)")
  func describeChurnColumn() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try "customer_id,timestamp,event_type,value\nA,2024-01-01,order,10\n".write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    try "customer_id,plan,churn_date\nA,pro,2024-02-01\nB,basic,\n".write(toFile: dir.file("c.csv"), atomically: true, encoding: .utf8)
    let r = try runChurn(["describe", "--events", dir.file("e.csv"), "--customers", dir.file("c.csv"), "--churn-date-column", "churn_dat"])
    #expect(r.status == 1 && r.stdout == "", "\(r.stdout)")
    #expect(r.stderr == "Error: \(dir.file("c.csv")): no column \"churn_dat\" (did you mean \"churn_date\"?); the header has customer_id, plan, churn_date\n", "\(r.stderr)")
    let ok = try runChurn(["describe", "--events", dir.file("e.csv"), "--customers", dir.file("c.csv")])
    #expect(ok.status == 0 && ok.stdout.hasSuffix("churn_date: 1 customers churned (50.0%), from 2024-02-01 to 2024-02-01\n"), "\(ok.stdout)")
  }

  @Test("cohorts --features that names nothing, the id or the label is an error (\"\" printed no feature, exit 0)")
  func cohortFeatures() throws {
    let base = ["cohorts", "--table", Self.telco, "--id", "customerid", "--label", "churn", "--features"]
    let empty = try runChurn(base + [" , "])
    #expect(empty.status == 1 && empty.stderr == "Error: --features \" , \" names no column; expected a comma-separated list such as contract,tenure\n", "\(empty.stderr)")
    let id = try runChurn(base + ["customerID"])
    #expect(id.status == 1 && id.stderr == "Error: --features: customerID is the id column, not a feature\n", "\(id.stderr)")
    let label = try runChurn(base + ["churn"])
    #expect(label.status == 1 && label.stderr == "Error: --features: churn is the label column, not a feature\n", "\(label.stderr)")
  }

  @Test("A model that gives every customer the same probability is refused (--l1 1000 wrote a model whose list put everyone in red)")
  func constantModel() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let l1 = try runChurn(Self.train + ["--l1", "1000", "--out", dir.file("m.json")])
    #expect(l1.status == 1 && l1.stderr.hasSuffix("Error: the fitted model gives all 4930 training rows the same probability (0.2649): every coefficient is 0, "
      + "so it cannot rank customers; fix: lower --l1 or --l2\n"), "\(l1.stderr)")
    // Leaves of at least 2,500 draws: no split of 4,930 rows can make two (--max-depth 0 is refused up front).
    let depth = try runChurn(Self.train + ["--model", "forest", "--trees", "3", "--min-leaf", "2500", "--out", dir.file("m.json")])
    #expect(depth.status == 1 && depth.stderr.hasSuffix("Error: the fitted model gives all 4930 training rows the same probability (0.2599): every tree is a single leaf, "
      + "so it cannot rank customers; fix: raise --max-depth or lower --min-leaf\n"), "\(depth.stderr)")
    #expect(dir.contents().isEmpty)
  }
}
