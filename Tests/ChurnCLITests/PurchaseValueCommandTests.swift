import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

/// `churn score --lifetime-value btyd` on the CDNOW purchase log (plus two customers who only
/// visited): every lifetime_value is churn lifetime's (the library's `LifetimeAnalysis`) and every
/// value_at_risk the formula (P(alive) × never-drops-out spend − expected spend) recomputed here
/// from the fitted parameters, to 1e-9; the value
/// ranking and contact economics read value_at_risk; shards merge to the same bytes; without the
/// flag the list is the same bytes less the two columns.
@Suite("churn score --lifetime-value btyd")
struct PurchaseValueCommandTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

  /// CDNOW's log with two customers whose only events are recent visits before the as-of date, a
  /// customer table naming two owners, and a model trained on them (inactivity churn: 411
  /// customers active in the year before 1997-10-01).
  static func prepare(_ dir: TemporaryDirectory) throws -> (log: String, model: String) {
    let log = dir.file("events.csv")
    var text = try String(contentsOfFile: root + "/datasets/cdnow/events.csv", encoding: .utf8)
    text += "99998,1997-09-10,visit,,\n99999,1997-08-20,visit,,\n"
    try text.write(toFile: log, atomically: true, encoding: .utf8)
    let ids = Set(text.split(separator: "\n").dropFirst().map { $0.prefix { $0 != "," } }).sorted()
    try ("customer_id,account_manager\n" + ids.enumerated().map { "\($1),\($0 % 2 == 0 ? "Bob" : "Ann")\n" }.joined())
      .write(toFile: dir.file("customers.csv"), atomically: true, encoding: .utf8)
    let train = try runChurn(["train", "--events", log, "--customers", dir.file("customers.csv"), "--owner-column", "account_manager",
                              "--cutoffs", "1997-05-01:1997-07-01:1m", "--horizon", "90d", "--l2", "10",
                              "--importance", "none", "--threads", "2", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    return (log, dir.file("m.json"))
  }

  @Test("lifetime_value is churn lifetime's and value_at_risk Σ E[M](P(alive)(r+x)/(α+T)·30 − ΔE[X])/1.01^m, to 1e-9; the value order and net values read it")
  func values() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (log, model) = try Self.prepare(dir)
    let flags = ["score", "--model", model, "--events", log, "--customers", dir.file("customers.csv"), "--as-of", "1997-10-01", "--lifetime-value", "btyd"]
    let run = try runChurn(flags + ["--rank-by", "value", "--contact-cost", "5", "--save-rate", "0.3", "--reasons", "20",
                                    "--shard", "0/1", "--out", dir.file("part.csv")])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stderr.contains("score: lifetime value: BG/NBD and Gamma-Gamma on 2357 customers with a purchase before 1997-10-01; 12 months at 1% a month\n"))

    // churn lifetime's path, as the library gives it: the same fit, days, 12 months at 0.01.
    let analysis = try LifetimeAnalysis(EventData(events: log), settings: .init(asOf: UTCTime.days(year: 1997, month: 10, day: 1) * UTCTime.millisecondsPerDay))
    let bgnbd = try #require(analysis.bgnbd).model
    let byId = Dictionary(uniqueKeysWithValues: analysis.rows.map { ($0.id, $0) })
    let (header, rows, _) = try csvRecords(dir.file("part.csv"))
    #expect(header.first == "part_rank_by_value" && Array(header.suffix(2)) == ["lifetime_value", "value_at_risk"])
    let column = { (name: String) in header.firstIndex(of: name)! }
    #expect(rows.count == 411)
    var previous = Double.infinity
    for row in rows.prefix(409) {
      let ours = try #require(byId[row[1]]), h = ours.history, spend = try #require(ours.expectedSpend)
      var risk = 0.0
      for m in 1...12 {
        let inMonth = bgnbd.expectedPurchases(within: 30 * Double(m), h) - bgnbd.expectedPurchases(within: 30 * Double(m - 1), h)
        risk += spend * (bgnbd.probabilityAlive(h) * (bgnbd.r + Double(h.frequency)) / (bgnbd.alpha + h.age) * 30 - inMonth) / pow(1.01, Double(m))
      }
      let (ltvWritten, riskWritten) = (Double(row[column("lifetime_value")])!, Double(row[column("value_at_risk")])!)
      #expect(abs(ltvWritten - ours.lifetimeValue!) < 1e-9, "\(row[1])")
      #expect(abs(riskWritten - risk) < 1e-9, "\(row[1]): \(riskWritten) against \(risk)")
      #expect(riskWritten >= -1e-9, "\(row[1]): \(riskWritten)")
      #expect(abs(Double(row[column("expected_net_value_of_contact")])! - (0.3 * riskWritten - 5)) < 1e-9)
      #expect(riskWritten <= previous)
      previous = riskWritten
    }
    // The visitors: no purchase before the as-of date, no value, last.
    #expect(Set(rows.suffix(2).map { $0[1] }) == ["99998", "99999"])
    for row in rows.suffix(2) {
      #expect(row[column("lifetime_value")].isEmpty && row[column("value_at_risk")].isEmpty && row[column("expected_net_value_of_contact")].isEmpty)
    }
    #expect(run.stderr.contains("; 2 without a purchase before the as-of date not counted\n"))

    // The terminal table shows both values under each customer.
    let shown = try runChurn(flags + ["--rank-by", "value", "--top", "1"])
    #expect(shown.status == 0, "\(shown.stderr)")
    let top = rows[0]
    #expect(shown.stdout.contains("        lifetime value: \(String(format: "%.2f", Double(top[column("lifetime_value")])!)); "
      + "value at risk: \(String(format: "%.2f", Double(top[column("value_at_risk")])!))\n"), "\(shown.stdout)")

    // churn report ranks by the same value at risk and says where it comes from.
    let report = try runChurn(["report"] + flags.dropFirst() + ["--rank-by", "value", "--top", "3", "--out", dir.file("r.html")])
    #expect(report.status == 0, "\(report.stderr)")
    let html = try String(contentsOfFile: dir.file("r.html"), encoding: .utf8)
    #expect(html.contains("value at stake (BTYD value at risk over 12 months), highest first; bands are probability bands"))
    #expect(html.contains("<th>revenue at risk</th><th>lifetime value</th><th>value at risk</th>"))
    #expect(html.contains("<td>\(top[1])</td>"))
    // Its summary sums the list's values (every digit in the part, in the same order).
    let sums = ["lifetime_value", "value_at_risk"].map { name in rows.reduce(0.0) { $0 + (Double($1[column(name)]) ?? 0) } }
    #expect(html.contains("BG/NBD and Gamma-Gamma on 2357 customers with a purchase before 1997-10-01; 12 months at 1% a month; over the 409 customers "
      + "scored with a value: lifetime value \(String(format: "%.2f", sums[0])), value at risk \(String(format: "%.2f", sums[1])); "
      + "2 without a purchase before the as-of date left blank"), "\(html)")

    // churn brief: each owner's calls carry the same value at stake, and the same cut as churn score's.
    let brief = try runChurn(["brief"] + flags.dropFirst() + ["--contact-cost", "5", "--save-rate", "0.3", "--monthly-cutoffs", "0",
                                                              "--out", dir.file("brief")])
    #expect(brief.status == 0, "\(brief.stderr)")
    let cut = run.stderr.split(separator: "\n").first { $0.hasPrefix("score: ") && $0.contains("worth a call") }!.dropFirst("score: ".count)
    #expect(brief.stderr.contains("brief: \(cut)\n"), "\(brief.stderr)")
    let valueAtRisk = Dictionary(uniqueKeysWithValues: rows.map { ($0[1], $0[column("value_at_risk")]) })
    var calls = 0
    for owner in ["ann", "bob"] {
      let (briefHeader, briefRows, _) = try csvRecords(dir.file("brief/\(owner).csv"))
      let stake = briefHeader.firstIndex(of: "value_at_stake")!
      for row in briefRows where row[0] == "call" {
        calls += 1
        #expect(row[stake] == String(format: "%.2f", Double(valueAtRisk[row[1]]!)!), "\(row[1])")
      }
    }
    #expect(cut.hasPrefix("\(calls) of 411 customers worth a call"))
  }

  @Test("shards merge to the list one run writes; without the flag the list is the same bytes less lifetime_value and value_at_risk")
  func bytes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (log, model) = try Self.prepare(dir)
    let base = ["score", "--model", model, "--events", log, "--customers", dir.file("customers.csv"), "--as-of", "1997-10-01", "--reasons", "50"]
    let btyd = ["--lifetime-value", "btyd", "--rank-by", "value", "--contact-cost", "5", "--save-rate", "0.3", "--discount", "0.02"]
    let whole = try runChurn(base + btyd + ["--out", dir.file("whole.csv")])
    #expect(whole.status == 0, "\(whole.stderr)")
    for i in 0..<2 {
      let part = try runChurn(base + btyd + ["--shard", "\(i)/2", "--out", dir.file("part\(i).csv")])
      #expect(part.status == 0, "\(part.stderr)")
    }
    let merged = try runChurn(["merge", dir.file("part0.csv"), dir.file("part1.csv"), "--reasons", "50", "--contact-cost", "5", "--save-rate", "0.3",
                               "-o", dir.file("merged.csv")])
    #expect(merged.status == 0, "\(merged.stderr)")
    // Who is worth a call: the whole run's line, customers without a purchase named as such.
    let cut = try #require(cutLine(whole.stderr, "score: "))
    #expect(cutLine(merged.stderr, "merge: ") == cut, "\(merged.stderr)")
    #expect(cut.hasSuffix(" without a purchase before the as-of date not counted"), "\(cut)")
    let wholeBytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("whole.csv")))
    #expect(wholeBytes == (try Data(contentsOf: URL(fileURLWithPath: dir.file("merged.csv")))))
    #expect(String(decoding: wholeBytes, as: UTF8.self).hasPrefix("rank,customer_id,"))

    // Ranked by risk, with and without the flag: the same lines but for the two last cells.
    let plain = try runChurn(base + ["--out", dir.file("plain.csv")])
    let valued = try runChurn(base + ["--lifetime-value", "btyd", "--out", dir.file("valued.csv")])
    #expect(plain.status == 0 && valued.status == 0, "\(plain.stderr)\(valued.stderr)")
    let plainLines = try String(contentsOfFile: dir.file("plain.csv"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    let valuedLines = try String(contentsOfFile: dir.file("valued.csv"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    #expect(plainLines.count == valuedLines.count && plainLines.count == 413)
    #expect(valuedLines[0] == plainLines[0] + ",lifetime_value,value_at_risk")
    for (p, v) in zip(plainLines, valuedLines).dropFirst() where !p.isEmpty {
      // The two cells are numbers or blank: the last two commas start them.
      let cut = v.lastIndex(of: ",").flatMap { v[..<$0].lastIndex(of: ",") }!
      #expect(v[..<cut] == p)
    }
    #expect(!plainLines[0].contains("lifetime_value"))
  }

  @Test("errors: two sources of value, settings without the flag, a fit that fails, a table")
  func errors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (log, model) = try Self.prepare(dir)
    let flags = ["--model", model, "--events", log, "--customers", dir.file("customers.csv"), "--as-of", "1997-10-01"]
    func error(_ arguments: [String]) throws -> (Int32, String) {
      let run = try runChurn(arguments)
      return (run.status, run.stderr.split(separator: "\n").first { $0.hasPrefix("Error: ") }.map(String.init) ?? run.stderr)
    }
    #expect(try error(["score"] + flags + ["--lifetime-value", "btyd", "--revenue-column", "value"])
      == (64, "Error: --lifetime-value btyd values customers by their purchases and --revenue-column value by their monthly revenue; "
        + "expected one source of value at a time; fix: drop --revenue-column for purchase data, or --lifetime-value for subscriptions"))
    #expect(try error(["score"] + flags + ["--lifetime-model", "pareto-nbd"])
      == (64, "Error: --lifetime-model applies to --lifetime-value btyd (purchase data); add it, or drop the flag"))
    #expect(try error(["score"] + flags + ["--lifetime-value", "btyd", "--lifetime-months", "0"])
      == (64, "Error: --lifetime-months 0 is too small; expected 1...1200"))
    // The same rule and words as a survival model's --discount.
    #expect(try error(["score"] + flags + ["--lifetime-value", "btyd", "--discount", "11"])
      == (64, "Error: \(PeriodDiscountError.badRate(11))"))
    #expect(try error(["report"] + flags + ["--discount", "0.01", "--out", dir.file("r.html")])
      == (64, "Error: --discount applies to --lifetime-value btyd; add it, or drop --discount"))
    #expect(try error(["score"] + flags + ["--lifetime-value", "btyd", "--event-type", "visit"])
      == (1, "Error: --lifetime-value btyd: the purchases before 1997-10-01 could not be fitted: none of the 2 customers made a repeat purchase "
        + "(a purchase on a later day than their first); BG/NBD needs repeat purchases to learn how often customers buy: "
        + "use a later --as-of or more of the log's event types as purchases"))
    let features = try runChurn(["features", "--events", log, "--cutoff", "1997-10-01", "--out", dir.file("table.csv")])
    #expect(features.status == 0, "\(features.stderr)")
    #expect(try error(["score", "--model", model, "--table", dir.file("table.csv"), "--lifetime-value", "btyd", "--out", dir.file("t.csv")])
      == (1, "Error: --lifetime-value btyd fits BG/NBD on the purchases of an event log; --table \(dir.file("table.csv")) has none; "
        + "expected --events FILE with --as-of DATE; fix: score from the event log, or drop --lifetime-value"))
  }
}
