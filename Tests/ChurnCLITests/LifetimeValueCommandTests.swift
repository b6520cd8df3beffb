import ChurnFeatures
import ChurnTestSupport
import Foundation
import Testing

/// `churn score --revenue-column --discount` on a survival model: lifetime_value and
/// value_at_risk recomputed here from the written survival_k columns and the customer table's
/// revenues; the value ranking and contact economics read value_at_risk.
@Suite("churn score: lifetime value and value at risk of a survival model")
struct LifetimeValueCommandTests {
  @Test("Every lifetime_value and value_at_risk from survival_1..3 and the table's revenue to 1e-9; --discount errors; a plain model's list unchanged")
  func survivalList() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try CustomerSimulator(settings: SimulationSettings(customerCount: 300, months: 12, seed: 31)).write(to: dir.path)
    let data = ["--events", dir.file("events.csv"), "--customers", dir.file("customers.csv")]
    let common = ["--cutoffs", "2024-08-01:2024-11-01:1m", "--horizon", "30d", "--l2", "10", "--threads", "2", "--importance", "none"]
    let train = try runChurn(["train"] + data + common + ["--survival", "--periods", "3", "--out", dir.file("s.json")])
    #expect(train.status == 0, "\(train.stderr)")
    let flags = ["--model", dir.file("s.json")] + data + ["--as-of", "2024-12-01", "--revenue-column", "monthly_revenue"]
    let score = try runChurn(["score"] + flags + ["--discount", "0.02", "--rank-by", "value", "--contact-cost", "20", "--save-rate", "0.3",
                                                  "--reasons", "10", "--shard", "0/1", "--out", dir.file("list.csv")])
    #expect(score.status == 0, "\(score.stderr)")

    // The table's monthly revenue per customer (blank: none).
    let (customerHeader, customers, _) = try csvRecords(dir.file("customers.csv"))
    let (idAt, revenueAt) = (customerHeader.firstIndex(of: "customer_id")!, customerHeader.firstIndex(of: "monthly_revenue")!)
    let revenue = Dictionary(uniqueKeysWithValues: customers.map { ($0[idAt], Double($0[revenueAt])) })
    // A part (--shard 0/1) carries every digit.
    let (header, rows, _) = try csvRecords(dir.file("list.csv"))
    #expect(Array(header.suffix(7)) == ["survival_1", "survival_2", "survival_3", "expected_periods_remaining", "median_periods_to_churn",
                                         "lifetime_value", "value_at_risk"])
    let column = { (name: String) in header.firstIndex(of: name)! }
    let months = 30 / 30.4375  // the horizon, 30 days, in months of 30.4375 days
    let δ = pow(1.02, -months)  // --discount 0.02 a month, per period of the horizon
    var withValue = 0, previous = Double.infinity
    for row in rows {
      let s = (1...3).map { Double(row[column("survival_\($0)")])! }
      guard let monthly = try #require(revenue[row[1]]) else {
        #expect(row[column("lifetime_value")].isEmpty && row[column("value_at_risk")].isEmpty, "\(row[1])")
        continue
      }
      withValue += 1
      let r = monthly * months
      let ltv = (0..<3).reduce(0.0) { $0 + s[$1] * r * pow(δ, Double($1 + 1)) }
      let risk = (0..<3).reduce(0.0) { $0 + (1 - s[$1]) * r * pow(δ, Double($1 + 1)) }
      let (ltvWritten, riskWritten) = (Double(row[column("lifetime_value")])!, Double(row[column("value_at_risk")])!)
      #expect(abs(ltvWritten - ltv) < 1e-9, "\(row[1]): \(ltvWritten) against \(ltv)")
      #expect(abs(riskWritten - risk) < 1e-9, "\(row[1]): \(riskWritten) against \(risk)")
      // The value at stake: net value 0.3 × value_at_risk − 20, the list by value_at_risk, highest first.
      #expect(abs(Double(row[column("expected_net_value_of_contact")])! - (0.3 * riskWritten - 20)) < 1e-9)
      #expect(riskWritten <= previous)
      previous = riskWritten
      // Still there: the fixed-horizon revenue at risk, p × monthly revenue × months.
      #expect(abs(Double(row[column("expected_revenue_at_risk")])! - Double(row[2])! * monthly * months) < 1e-9)
    }
    #expect(withValue > 50)
    // Reasons go to the first 10 of the list in its order, by value_at_risk.
    let reasons = rows.map { row in (1...3).contains { !row[column("reason_\($0)")].isEmpty } }
    #expect(reasons.prefix(10).filter { $0 }.count >= 5 && !reasons.dropFirst(10).contains(true))

    // The finished list: 2 decimals, the same values; JSON carries them as numbers.
    let finished = try runChurn(["score"] + flags + ["--discount", "0.02", "--out", dir.file("risk.json"), "--format", "json"])
    #expect(finished.status == 0, "\(finished.stderr)")
    let entries = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("risk.json")))) as? [[String: Any]])
    let byId = Dictionary(uniqueKeysWithValues: rows.map { ($0[1], $0) })
    for e in entries {
      let id = try #require(e["id"] as? String), row = try #require(byId[id])
      #expect((e["lifetime_value"] as? Double).map { abs($0 - Double(row[column("lifetime_value")])!) < 1e-9 } ?? row[column("lifetime_value")].isEmpty)
      #expect((e["value_at_risk"] as? Double).map { abs($0 - Double(row[column("value_at_risk")])!) < 1e-9 } ?? row[column("value_at_risk")].isEmpty)
    }

    // churn report ranks by the same value at stake (no --discount there: δ = 1) and says so.
    let report = try runChurn(["report"] + flags + ["--rank-by", "value", "--out", dir.file("report.html")])
    #expect(report.status == 0, "\(report.stderr)")
    let html = try String(contentsOfFile: dir.file("report.html"), encoding: .utf8)
    #expect(html.contains("value at stake (value at risk over 3 periods, undiscounted), highest first; bands are probability bands"))
    // Its first row: the customer with the largest undiscounted value at risk, both values from the list's survival_k columns.
    let undiscounted = rows.compactMap { row -> (ltv: Double, risk: Double)? in
      guard let monthly = revenue[row[1]] ?? nil else { return nil }
      let s = (1...3).map { Double(row[column("survival_\($0)")])! }, r = monthly * months
      return (s.reduce(0) { $0 + $1 * r }, s.reduce(0) { $0 + (1 - $1) * r })
    }.max { $0.risk < $1.risk }!
    let cents = { (x: Double) in String(format: "%.2f", (x * 100).rounded() / 100) }
    #expect(html.contains("<th>revenue at risk</th><th>lifetime value</th><th>value at risk</th><th>segment</th>"))
    #expect(html.contains("</td><td class=\"n\">\(cents(undiscounted.ltv))</td><td class=\"n\">\(cents(undiscounted.risk))</td>"), "\(undiscounted)")
    // Its time to churn: the 5 riskiest customers by probability (whatever the list's order), their curves as the list's survival_k.
    #expect(ReportCheck.problems(html) == [])
    let riskiest = rows.sorted { (Double($0[2])!, $1[1]) > (Double($1[2])!, $0[1]) }.prefix(5)
    let plotted = try SVGLines(svg: try #require(SVGLines.svg(html, section: "time-to-churn", index: 0)), xRange: 0...3)
    #expect(plotted.names == riskiest.map { $0[1] })
    for (line, row) in zip(plotted.points, riskiest) {
      let curve = [1] + (1...3).map { Double(row[column("survival_\($0)")])! }
      #expect(line.count == 4 && zip(line, curve).allSatisfy { abs($0.y - $1) < 0.002 }, "\(row[1]): \(line) against \(curve)")
      #expect(html.contains("<tr><td>\(row[1])</td>" + curve.dropFirst().map { "<td class=\"n\">\(String(format: "%.3f", $0))</td>" }.joined()), "\(row[1])")
    }
    #expect(html.contains("Kaplan–Meier survival of the ") && html.contains(" customers at the model's held-out cutoff 2024-11-01, recomputed from \(dir.file("events.csv"))"))

    // Errors, each pinned.
    func error(_ arguments: [String]) throws -> String {
      let run = try runChurn(arguments)
      #expect(run.status != 0)
      return run.stderr.split(separator: "\n").first.map(String.init) ?? ""
    }
    #expect(try error(["score"] + flags + ["--discount", "11"])
      == "Error: --discount 11: expected a monthly discount rate from 0 to 10 (the same rate as churn lifetime's; 0 = none); fix: give a rate such as 0.01")
    #expect(try error(["score"] + flags + ["--discount=-0.5"]).hasPrefix("Error: --discount -0.5: expected a monthly discount rate"))
    #expect(try error(["score", "--model", dir.file("s.json")] + data + ["--as-of", "2024-12-01", "--discount", "0.9"])
      == "Error: --discount discounts lifetime_value and value_at_risk, which need each customer's revenue; expected --revenue-column COLUMN "
      + "(monthly revenue); fix: name the revenue column, or leave out --discount")

    // A fixed-horizon model: no new columns, and --discount refused.
    let plain = try runChurn(["train"] + data + common + ["--out", dir.file("p.json")])
    #expect(plain.status == 0, "\(plain.stderr)")
    let plainFlags = ["score", "--model", dir.file("p.json")] + data + ["--as-of", "2024-12-01", "--revenue-column", "monthly_revenue"]
    let plainScore = try runChurn(plainFlags + ["--out", dir.file("plain.csv")])
    #expect(plainScore.status == 0, "\(plainScore.stderr)")
    let (plainHeader, _, _) = try csvRecords(dir.file("plain.csv"))
    #expect(!plainHeader.contains("lifetime_value") && !plainHeader.contains("value_at_risk") && plainHeader.last?.hasPrefix("health") == true)
    #expect(try error(plainFlags + ["--discount", "0.9"]) == "Error: --discount: \(dir.file("p.json")) is not a survival model, so the list has no "
      + "lifetime value to discount; fix: train one with churn train --survival --periods K, or leave out --discount")
  }
}
