import ChurnCore
import ChurnFeatures
import ChurnTestSupport
import Foundation
import Testing

/// `--contact-cost C --save-rate S` and `--rank-by value` through the built `churn`: every net
/// value, the cut and its totals recomputed here from the files the commands wrote and the
/// revenues of the input.
@Suite("churn score, report and brief: who is worth a call")
struct ContactValueCommandTests {
  /// 80 customers with known revenues (every 13th blank), a label that depends on usage and
  /// tickets, and a logistic model trained on them.
  static func smallTable(_ dir: TemporaryDirectory) throws -> (table: String, model: String, revenue: [String: Double?]) {
    var rng = SeededGenerator(seed: 20, stream: 0)
    var lines = ["id,usage,tickets,revenue,label"], revenue: [String: Double?] = [:]
    let prices = [19.99, 45.5, 80, 120.25, 300]
    for i in 0..<80 {
      let usage = (rng.uniform() * 100).rounded() / 10, tickets = Int(rng.uniform() * 5)
      let id = String(format: "K%03d", i)
      let r: Double? = i % 13 == 5 ? nil : prices[Int(rng.uniform() * 5)]
      revenue[id] = r
      let label = Double(tickets) * 0.8 - usage * 0.3 + (rng.uniform() - 0.5) * 3 > 0 ? 1 : 0
      lines.append("\(id),\(usage),\(tickets),\(r.map { "\($0)" } ?? ""),\(label)")
    }
    try (lines.joined(separator: "\n") + "\n").write(toFile: dir.file("small.csv"), atomically: true, encoding: .utf8)
    let train = try runChurn(["train", "--table", dir.file("small.csv"), "--id", "id", "--label", "label", "--l2", "1", "--out", dir.file("small.json")])
    #expect(train.status == 0, "\(train.stderr)")
    return (dir.file("small.csv"), dir.file("small.json"), revenue)
  }

  /// The cut's line as `ContactCut.summary` words it, from counts and sums made here.
  static func summary(calls: Int, of customers: Int, rate: String, cost: Double, net: Double, saved: Double, unknown: Int) -> String {
    "\(calls) of \(customers) customers worth a call (\(rate) × value at stake − \(String(format: "%.2f", cost)) > 0): "
      + String(format: "expected net value %.2f, cost %.2f, value saved %.2f", net, Double(calls) * cost, saved)
      + (unknown > 0 ? "; \(unknown) without a revenue value not counted" : "")
  }

  @Test("Net values, order, the cut and its totals recomputed from the list and the table's revenues; the report shows the same line")
  func scoreAndReport() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (table, model, revenue) = try Self.smallTable(dir)
    let flags = ["--revenue-column", "revenue", "--contact-cost", "20", "--save-rate", "0.3", "--rank-by", "value"]
    // The part of one shard is the whole list with every digit (JSON's numbers are printed to about 15).
    let exact = try runChurn(["score", "--model", model, "--table", table, "--shard", "0/1", "--out", dir.file("exact.csv")] + flags)
    #expect(exact.status == 0, "\(exact.stderr)")
    let json = try runChurn(["score", "--model", model, "--table", table, "--format", "json", "--out", dir.file("s.json")] + flags)
    #expect(json.status == 0, "\(json.stderr)")
    let csv = try runChurn(["score", "--model", model, "--table", table, "--out", dir.file("s.csv")] + flags)
    #expect(csv.status == 0, "\(csv.stderr)")
    let entries = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("s.json")))) as! [[String: Any]]
    let (header, rows, _) = try csvRecords(dir.file("s.csv"))
    let (exactHeader, exactRows, _) = try csvRecords(dir.file("exact.csv"))
    #expect(entries.count == 80 && rows.count == 80 && exactRows.count == 80)
    let netColumn = try #require(header.firstIndex(of: "expected_net_value_of_contact"))
    #expect(header.firstIndex(of: "change") == netColumn - 1 && exactHeader[0] == "part_rank_by_value" && Array(exactHeader.dropFirst()) == Array(header.dropFirst()))

    // Per customer: value at stake = p × revenue × 1 month (a table's horizon), net = 0.3 × value − 20.
    var known: [(id: String, p: Double, value: Double)] = [], unknown: [(id: String, p: Double)] = []
    for (k, e) in exactRows.enumerated() {
      let id = e[1], p = Double(e[2])!
      #expect(rows[k][1] == id && entries[k]["id"] as? String == id)
      guard let r = revenue[id]! else {
        #expect(e[netColumn] == "" && entries[k]["expected_net_value_of_contact"] == nil && rows[k][netColumn] == "", "\(id)")
        unknown.append((id, p))
        continue
      }
      let value = p * r, net = 0.3 * value - 20
      #expect(Double(e[netColumn]) == net, "\(id)")
      #expect(abs(entries[k]["expected_net_value_of_contact"] as! Double - net) <= 1e-9, "\(id)")
      #expect(abs(Double(rows[k][netColumn])! - net) <= 0.005 + 1e-9, "\(id): \(rows[k][netColumn]) against \(net)")
      known.append((id, p, value))
    }
    // Ranked by value: highest first, ties by probability then id; unknown values last by probability.
    let expected = known.sorted { $0.value != $1.value ? $0.value > $1.value : $0.p != $1.p ? $0.p > $1.p : $0.id < $1.id }.map(\.id)
      + unknown.sorted { $0.p != $1.p ? $0.p > $1.p : $0.id < $1.id }.map(\.id)
    #expect(exactRows.map { $0[1] } == expected)
    #expect(unknown.count == 6)

    // The cut: every customer whose net value is positive.
    let calls = known.filter { 0.3 * $0.value - 20 > 0 }
    let net = calls.reduce(0) { $0 + (0.3 * $1.value - 20) }, saved = calls.reduce(0) { $0 + 0.3 * $1.value }
    #expect(calls.count > 5 && calls.count < known.count, "\(calls.count) calls: the test wants a cut inside the list")
    let line = Self.summary(calls: calls.count, of: 80, rate: "30%", cost: 20, net: net, saved: saved, unknown: 6)
    #expect(csv.stderr.hasSuffix("score: " + line + "\n"), "\(csv.stderr)")
    let printed = try runChurn(["score", "--model", model, "--table", table, "--top", "3"] + flags)
    #expect(printed.status == 0 && printed.stdout.hasSuffix("\n" + line + "\n"), "\(printed.stdout)")

    // The report: the same line in its summary, the net values in its ranked list.
    let report = try runChurn(["report", "--model", model, "--table", table, "--top", "5", "--out", dir.file("r.html")] + flags)
    #expect(report.status == 0, "\(report.stderr)")
    let html = try String(contentsOfFile: dir.file("r.html"), encoding: .utf8)
    #expect(html.contains("<td>worth a call</td><td>\(line.replacingOccurrences(of: ">", with: "&gt;"))</td>"))
    #expect(html.contains("<th>net value of a call</th>"))
    let first = Double(exactRows[0][netColumn])!
    #expect(html.contains("<td>\(expected[0])</td>") && html.contains(String(format: "<td class=\"n\">%+.2f</td>", first)))
  }

  @Test("The brief: each owner's calls and totals are that owner's rows of the list with a positive net value; the index shows the list's line")
  func brief() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try CustomerSimulator(settings: SimulationSettings(customerCount: 300, months: 12, seed: 23)).write(to: dir.path)
    let data = ["--events", dir.file("events.csv"), "--customers", dir.file("customers.csv")]
    let train = try runChurn(["train"] + data + ["--cutoffs", "2024-06-01:2024-11-01:1m", "--horizon", "30d", "--l2", "100", "--threads", "2",
                                                 "--owner-column", "account_manager", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    let flags = ["--model", dir.file("m.json")] + data + ["--as-of", "2024-12-01", "--revenue-column", "monthly_revenue",
                                                          "--contact-cost", "40", "--save-rate", "0.25"]
    let score = try runChurn(["score"] + flags + ["--shard", "0/1", "--out", dir.file("list.csv")])
    #expect(score.status == 0, "\(score.stderr)")
    let brief = try runChurn(["brief"] + flags + ["--trend-points", "1", "--monthly-cutoffs", "0", "--out", dir.file("brief")])
    #expect(brief.status == 0, "\(brief.stderr)")
    let line = try #require(score.stderr.split(separator: "\n").last.map(String.init)).dropFirst("score: ".count)
    #expect(brief.stderr.contains("brief: \(line)\n"), "\(brief.stderr)")
    let index = try String(contentsOfFile: dir.file("brief/index.html"), encoding: .utf8)
    #expect(index.contains("All owners: \(line.replacingOccurrences(of: ">", with: "&gt;"))"))

    // Each owner's calls from the list (a part of one shard: every digit): net value > 0, highest value first.
    let (header, entries, _) = try csvRecords(dir.file("list.csv"))
    let (ownerColumn, valueColumn, netColumn) = (header.firstIndex(of: "owner")!, header.firstIndex(of: "expected_revenue_at_risk")!,
                                                 header.firstIndex(of: "expected_net_value_of_contact")!)
    var owners: [String: (customers: Int, calls: [(id: String, p: Double, value: Double, net: Double)])] = [:]
    for e in entries {
      let owner = e[ownerColumn], p = Double(e[2])!
      owners[owner, default: (0, [])].customers += 1
      guard let net = Double(e[netColumn]) else { continue }
      let value = Double(e[valueColumn])!
      #expect(net == 0.25 * value - 40)
      if net > 0 { owners[owner]!.calls.append((e[1], p, value, net)) }
    }
    #expect(owners.count > 3)
    var totalCalls = 0
    for (owner, o) in owners {
      let calls = o.calls.sorted { $0.value != $1.value ? $0.value > $1.value : $0.p != $1.p ? $0.p > $1.p : $0.id < $1.id }
      totalCalls += calls.count
      let stem = owner.isEmpty ? "unassigned" : owner.lowercased().split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }.joined(separator: "-")
      let (ownerHeader, ownerRows, _) = try csvRecords(dir.file("brief/\(stem).csv"))
      let called = ownerRows.filter { $0[0] == "call" }
      #expect(called.map { $0[1] } == calls.map(\.id), "\(owner)")
      let net = ownerHeader.firstIndex(of: "expected_net_value_of_contact")!
      #expect(zip(called, calls).allSatisfy { abs(Double($0[net])! - $1.net) <= 0.005 + 1e-9 }, "\(owner)")
      // The page's totals line, recomputed.
      let page = try String(contentsOfFile: dir.file("brief/\(stem).html"), encoding: .utf8)
      let totals = try #require(page.range(of: "<p class=\"totals\">").map { String(page[$0.upperBound...].prefix { $0 != "<" }) })
      let expected = Self.summary(calls: calls.count, of: o.customers, rate: "25%", cost: 40, net: calls.reduce(0) { $0 + $1.net },
                                  saved: calls.reduce(0) { $0 + 0.25 * $1.value }, unknown: 0)
      #expect(totals == expected.replacingOccurrences(of: ">", with: "&gt;"), "\(owner)")
    }
    #expect(totalCalls > 10 && totalCalls < entries.count, "\(totalCalls) calls")
    #expect(line.hasPrefix("\(totalCalls) of \(entries.count) customers worth a call"))
  }

  @Test("Errors of --contact-cost, --save-rate and --rank-by, exactly; nothing is written")
  func errors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (table, model, _) = try Self.smallTable(dir)
    func refused(_ extra: [String], command: String = "score") throws -> String {
      let run = try runChurn([command, "--model", model, "--table", table, "--out", dir.file("out.\(command == "report" ? "html" : "csv")")] + extra)
      #expect(run.status == 64, "\(run.stderr)")
      return run.stderr.split(separator: "\n").first.map(String.init) ?? ""
    }
    let revenue = ["--revenue-column", "revenue"]
    #expect(try refused(revenue + ["--contact-cost", "20"])
      == "Error: --contact-cost needs --save-rate: the net value of a contact is save rate × value at stake − contact cost; fix: give both")
    #expect(try refused(revenue + ["--save-rate", "0.3"])
      == "Error: --save-rate needs --contact-cost: the net value of a contact is save rate × value at stake − contact cost; fix: give both")
    let cost = ": expected the cost of one retention contact, a number of 0 or more; fix: give a cost such as 25"
    let rate = ": expected the share of contacted churners a contact keeps, more than 0 and at most 1; fix: give a share such as 0.3"
    #expect(try refused(revenue + ["--contact-cost=-5", "--save-rate", "0.3"]) == "Error: --contact-cost -5" + cost)
    #expect(try refused(revenue + ["--contact-cost", "nan", "--save-rate", "0.3"]) == "Error: --contact-cost nan" + cost)
    #expect(try refused(revenue + ["--contact-cost", "5", "--save-rate", "0"]) == "Error: --save-rate 0" + rate)
    #expect(try refused(revenue + ["--contact-cost", "5", "--save-rate", "1.2"], command: "report") == "Error: --save-rate 1.2" + rate)
    #expect(try refused(["--contact-cost", "5", "--save-rate", "0.3"])
      == "Error: --contact-cost needs a value at stake per customer; expected --revenue-column COLUMN (monthly revenue, for subscriptions) "
      + "or --lifetime-value btyd (value at risk from the event log's purchases, for purchase data); fix: give one of them, or drop --contact-cost")
    #expect(try refused(["--rank-by", "value"], command: "report")
      == "Error: --rank-by value needs a value at stake per customer; expected --revenue-column COLUMN (monthly revenue, for subscriptions) "
      + "or --lifetime-value btyd (value at risk from the event log's purchases, for purchase data); fix: give one of them, or drop --rank-by value")
    #expect(dir.contents().sorted() == ["small.csv", "small.json"])
  }
}
