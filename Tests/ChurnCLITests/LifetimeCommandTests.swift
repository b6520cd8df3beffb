import ChurnTestSupport
import Foundation
import Testing

/// `churn lifetime` run as a program on the CDNOW log: its file against lifetimes' values (the
/// library's reference tests check every value; here the columns, the first rows and the text).
@Suite("churn lifetime")
struct LifetimeCommandTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
  static let events = root + "/datasets/cdnow/events.csv"

  @Test("CDNOW as of 1997-10-01: one row per customer, lifetimes' values, and what the fit found")
  func cdnow() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let run = try runChurn(["lifetime", "--events", Self.events, "--as-of", "1997-10-01", "--out", dir.file("l.csv")])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout == dir.file("l.csv") + "\n")
    #expect(run.stderr == """
      lifetime: 2357 customers with a purchase before 1997-10-01 (4960 purchase events of type purchase); 946 with repeat purchases
      lifetime: BG/NBD: r 0.2426, alpha 30.9 (days), a 0.7929, b 2.426; log-likelihood -1.436e+04 (24 iterations)
      lifetime: Gamma-Gamma: p 6.25, q 3.744, v 15.44; log-likelihood -4056 on 946 customers with repeat purchases
      lifetime: expected purchases in the 90 days after 1997-10-01: 621.6; mean p_alive 0.8134

      """)
    let out = try csvRecords(dir.file("l.csv"))
    #expect(out.header == ["customer_id", "frequency", "recency", "T", "monetary_value", "p_alive", "expected_purchases", "p_no_purchase",
                           "expected_spend", "lifetime_value"])
    #expect(out.rows.count == 2357)
    let ref = try csvRecords(Self.root + "/Tests/ChurnPipelineTests/Fixtures/lifetime-cdnow.csv")
    for (ours, theirs) in zip(out.rows, ref.rows) {
      #expect(ours[0...3] == theirs[0...3])
      // The mean repeat spend, summed in another order than pandas sums it.
      #expect(relativeDifference(Double(ours[4])!, Double(theirs[4])!) < 1e-13)
      #expect(abs(Double(ours[5])! - Double(theirs[5])!) < 1e-6 && abs(Double(ours[6])! - Double(theirs[6])!) < 1e-6)
      #expect(relativeDifference(Double(ours[8])!, Double(theirs[7])!) < 1e-6 && relativeDifference(Double(ours[9])!, Double(theirs[8])!) < 1e-6)
    }
  }

  @Test("--model pareto-nbd fits Pareto/NBD: lifetimes' parameters (r 0.5533, alpha 74.04, s 0.6062, beta 81.68 days)")
  func pareto() throws {
    let run = try runChurn(["lifetime", "--events", Self.events, "--as-of", "1997-10-01", "--model", "pareto-nbd", "--out", "/dev/null"])
    #expect(run.status == 0)
    #expect(run.stderr.split(separator: "\n")[1]
      == "lifetime: Pareto/NBD: r 0.5533, alpha 74.04, s 0.6062, beta 81.68 (days); log-likelihood -1.438e+04 (29 iterations)")
  }

  @Test("--penalizer fits lifetimes' BetaGeoFitter(penalizer_coef=0.001) (r 0.2428, alpha 30.84, a 0.4985, b 1.323) and says so")
  func penalizer() throws {
    let run = try runChurn(["lifetime", "--events", Self.events, "--as-of", "1997-10-01", "--penalizer", "0.001", "--out", "/dev/null"])
    #expect(run.status == 0, "\(run.stderr)")
    let line = run.stderr.split(separator: "\n")[1]
    #expect(line.hasPrefix("lifetime: BG/NBD: r 0.2428, alpha 30.84 (days), a 0.4985, b 1.323; log-likelihood "), "\(line)")
    #expect(line.hasSuffix("; penalizer_coef 0.001 (--penalizer)"))
    // The demo's orders as of 2025-01-01: the fit without a penalty stalls; the run says what it did instead.
    let demo = try runChurn(["lifetime", "--events", Self.root + "/datasets/demo/events.csv", "--as-of", "2025-01-01", "--event-type", "order",
                             "--out", "/dev/null"])
    #expect(demo.status == 0, "\(demo.stderr)")
    #expect(demo.stderr.split(separator: "\n")[1].hasSuffix("; penalizer_coef 0.001: the fit without a penalty did not converge (a flat likelihood; --penalizer sets one)"))
    let none = try runChurn(["lifetime", "--events", Self.root + "/datasets/demo/events.csv", "--as-of", "2025-01-01", "--event-type", "order",
                             "--penalizer", "0", "--out", "/dev/null"])
    #expect(none.status == 1 && none.stderr.hasPrefix("Error: the BG/NBD fit did not converge: after "))
    #expect(none.stderr.hasSuffix("fix: a penalty (--penalizer 0.001, lifetimes' penalizer_coef) keeps the fit off the flat edges, at the cost of a small bias\n"))
  }

  @Test("events on or after --as-of change nothing; --out - writes the CSV to standard output")
  func noLeakage() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let lines = try String(contentsOfFile: Self.events, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    let before = lines.prefix(1) + lines.dropFirst().filter { $0.isEmpty || $0.split(separator: ",")[1] < "1997-10-01" }
    try before.joined(separator: "\n").write(toFile: dir.file("before.csv"), atomically: true, encoding: .utf8)
    let full = try runChurn(["lifetime", "--events", Self.events, "--as-of", "1997-10-01", "--out", "-"])
    let cut = try runChurn(["lifetime", "--events", dir.file("before.csv"), "--as-of", "1997-10-01", "--out", "-"])
    #expect(full.status == 0 && cut.status == 0)
    #expect(before.count < lines.count - 1000)
    #expect(full.stdout == cut.stdout && full.stdout.hasPrefix("customer_id,frequency,recency,T,"))
  }

  @Test("errors name what was found")
  func errors() throws {
    func error(_ extra: [String]) throws -> (Int32, String) {
      let run = try runChurn(["lifetime", "--events", Self.events, "--out", "/dev/null"] + extra)
      return (run.status, run.stderr.split(separator: "\n").first.map(String.init) ?? "")
    }
    #expect(try error(["--as-of", "1997-13-01"]) == (1, "Error: as-of date \"1997-13-01\" is not a date; expected ISO 8601 such as 2024-07-01"))
    #expect(try error(["--as-of", "1996-10-01"])
      == (1, "Error: \(Self.events) has no purchase (purchase) before the as-of date 1996-10-01 (6919 on or after it); expected purchases before --as-of: use a later date"))
    #expect(try error(["--as-of", "1997-01-02"])
      == (1, "Error: none of the 18 customers made a repeat purchase (a purchase on a later day than their first); BG/NBD needs repeat purchases to learn how often customers buy: use a later --as-of or more of the log's event types as purchases"))
    #expect(try error(["--as-of", "1997-10-01", "--event-type", "refund"])
      == (1, "Error: purchase event type \"refund\" is not in \(Self.events); its event types are: purchase; name one of them with --event-type"))
    #expect(try error(["--as-of", "1997-10-01", "--event-type", " , "])
      == (64, "Error: --event-type \" , \" names no event type; expected types such as purchase,order"))
    #expect(try error(["--as-of", "1997-10-01", "--lifetime-months", "0"]) == (64, "Error: --lifetime-months 0 is too small; expected 1...1200"))
    #expect(try error(["--as-of", "1997-10-01", "--discount=-1"]) == (64, "Error: --discount -1.0 is outside 0...10; expected a monthly rate such as 0.01"))
    #expect(try error(["--as-of", "1997-10-01", "--penalizer=-1"])
      == (64, "Error: --penalizer -1.0 is not a penalty; expected lifetimes' penalizer_coef, a number in 0...1e6 such as 0.001 (0: none)"))
    #expect(try error(["--as-of", "1997-10-01", "--spend-penalizer", "nan"])
      == (64, "Error: --spend-penalizer nan is not a penalty; expected lifetimes' penalizer_coef, a number in 0...1e6 such as 0.001 (0: none)"))
    #expect(try error(["--as-of", "1997-10-01", "--horizon", "0d"])
      == (64, "Error: --horizon \"0d\" is zero; expected a length of at least one day, for example 30d, 4w or 1m"))
  }

  @Test("a Gamma-Gamma fit that fails leaves the spend columns empty and says why; malformed rows skipped are counted")
  func spendFails() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    // lifetimes' GammaGammaFitter does not converge on the number of CDs either (without a penalty).
    let run = try runChurn(["lifetime", "--events", Self.events, "--as-of", "1997-10-01", "--value-column", "cds", "--spend-penalizer", "0",
                            "--out", "-"])
    #expect(run.status == 0)
    let rows = run.stdout.split(separator: "\n")
    #expect(rows.count == 2358 && rows[1].hasPrefix("00004,2,213,272,1.5,0.72662031") && rows[1].hasSuffix(",,"))
    let lines = run.stderr.split(separator: "\n")
    #expect(lines[2].hasPrefix("lifetime: Gamma-Gamma not fitted: the Gamma-Gamma fit did not converge: after "))
    #expect(lines[2].hasSuffix("; expected_spend and lifetime_value are left empty"))
    // By default the fit is made again with penalizer_coef 0.001, which converges, and the run says so.
    let fallback = try runChurn(["lifetime", "--events", Self.events, "--as-of", "1997-10-01", "--value-column", "cds", "--out", "-"])
    #expect(fallback.status == 0 && fallback.stdout.split(separator: "\n")[1].hasPrefix("00004,2,213,272,1.5,0.72662031"))
    #expect(!fallback.stdout.split(separator: "\n")[1].hasSuffix(",,"))
    #expect(fallback.stderr.split(separator: "\n")[2].hasSuffix(
      " on 946 customers with repeat purchases; penalizer_coef 0.001: the fit without a penalty did not converge (a flat likelihood; --spend-penalizer sets one)"))
    let log = try String(contentsOfFile: Self.events, encoding: .utf8) + "00004,1997-13-45,purchase,1.00,1\n"
    try log.write(toFile: dir.file("bad.csv"), atomically: true, encoding: .utf8)
    let skipped = try runChurn(["lifetime", "--events", dir.file("bad.csv"), "--skip-bad-rows", "--as-of", "1997-10-01", "--out", "/dev/null"])
    #expect(skipped.status == 0)
    #expect(skipped.stderr.contains("\nlifetime: skipped 1 malformed rows of the log: 1 "))
  }

  @Test("outputs are atomic: --out may not be the event log, and a run that fails writes nothing")
  func atomicOutput() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try FileManager.default.copyItem(atPath: Self.events, toPath: dir.file("e.csv"))
    let same = try runChurn(["lifetime", "--events", dir.file("e.csv"), "--as-of", "1997-10-01", "--out", dir.file("e.csv")])
    #expect(same.status == 1)
    #expect(same.stderr == "Error: --out \(dir.file("e.csv")) is the same file as --events \(dir.file("e.csv")), an input of this run; writing it would destroy that input. Choose another path for --out\n")
    #expect(FileManager.default.contentsEqual(atPath: dir.file("e.csv"), andPath: Self.events))
    let failed = try runChurn(["lifetime", "--events", dir.file("e.csv"), "--as-of", "1997-01-02", "--out", dir.file("l.csv")])
    #expect(failed.status == 1 && !FileManager.default.fileExists(atPath: dir.file("l.csv")))
    #expect(dir.contents() == ["e.csv"])
  }

  @Test("without a value column the spend columns are empty and the fit still runs")
  func withoutValues() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let lines = try String(contentsOfFile: Self.events, encoding: .utf8).split(separator: "\n")
    try (lines.map { $0.split(separator: ",").prefix(3).joined(separator: ",") }.joined(separator: "\n") + "\n")
      .write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let run = try runChurn(["lifetime", "--events", dir.file("e.csv"), "--as-of", "1997-10-01", "--out", "-"])
    #expect(run.status == 0)
    let rows = run.stdout.split(separator: "\n")
    #expect(rows[1].hasPrefix("00004,2,213,272,,0.72662031") && rows[1].hasSuffix(",,"))
    #expect(run.stderr.contains("lifetime: no purchase values: expected_spend and lifetime_value are left empty\n"))
  }
}
