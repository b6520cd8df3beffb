import ChurnFeatures
import ChurnTestSupport
import Foundation
import Testing

/// `churn brief` of a survival model scored with revenue: every listed customer's lifetime
/// value and value at risk, and each owner's totals, equal the ranked list's `lifetime_value`
/// and `value_at_risk` for the same customers (`churn score` with the same `--discount`).
@Suite("churn brief: lifetime value and value at risk of a survival model")
struct BriefLifetimeValueCommandTests {
  static func number(_ text: String) -> Double? { Double(text.replacingOccurrences(of: ",", with: "")) }

  /// The cells of each row of the table in `<section id="ID">` of a page, tags removed.
  static func rows(_ html: String, section: String) -> [[String]] {
    guard let start = html.range(of: "<section id=\"\(section)\">"), let end = html[start.upperBound...].range(of: "</section>") else { return [] }
    return html[start.upperBound..<end.lowerBound].components(separatedBy: "<tr>").dropFirst().map { row in
      row.components(separatedBy: "</tr>")[0].components(separatedBy: "</td>").dropLast().map { cell in
        cell.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
      }
    }.filter { !$0.isEmpty }
  }

  /// The text of the first `<p class="value">` of a page.
  static func valueLine(_ html: String) -> String? {
    html.range(of: "<p class=\"value\">").map { String(html[$0.upperBound...].prefix { $0 != "<" }) }
  }

  /// "lifetime value X and value at risk Y over …, over N customers with a revenue value": X, Y, N.
  static func totals(_ line: String) -> (ltv: Double, risk: Double, customers: Int)? {
    let words = line.split(separator: " ").map(String.init)
    guard let l = words.firstIndex(of: "value").map({ $0 + 1 }), let r = words.firstIndex(of: "risk").map({ $0 + 1 }),
          let c = words.lastIndex(of: "customers").map({ $0 - 1 }), let ltv = Double(words[l]), let risk = Double(words[r]), let n = Int(words[c])
    else { return nil }
    return (ltv, risk, n)
  }

  @Test("Each owner's CSV and page rows, the owner's totals and the index's equal the list's lifetime_value and value_at_risk; --discount errors as churn score's")
  func briefValues() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try CustomerSimulator(settings: SimulationSettings(customerCount: 200, months: 12, seed: 23)).write(to: dir.path)
    let data = ["--events", dir.file("events.csv"), "--customers", dir.file("customers.csv")]
    let common = ["--cutoffs", "2024-08-01:2024-11-01:1m", "--horizon", "30d", "--l2", "10", "--threads", "2", "--importance", "none",
                  "--owner-column", "account_manager"]
    let train = try runChurn(["train"] + data + common + ["--survival", "--periods", "3", "--out", dir.file("s.json")])
    #expect(train.status == 0, "\(train.stderr)")
    let flags = ["--model", dir.file("s.json")] + data + ["--as-of", "2024-12-01", "--revenue-column", "monthly_revenue", "--discount", "0.02"]
    let score = try runChurn(["score"] + flags + ["--shard", "0/1", "--out", dir.file("list.csv")])
    #expect(score.status == 0, "\(score.stderr)")
    let brief = try runChurn(["brief"] + flags + ["--trend-points", "1", "--monthly-cutoffs", "0", "--contact-cost", "50", "--save-rate", "0.3",
                                                  "--out", dir.file("brief")])
    #expect(brief.status == 0, "\(brief.stderr)")

    // The list (a part: every digit): each customer's owner and values.
    let (header, entries, _) = try csvRecords(dir.file("list.csv"))
    let (ownerAt, ltvAt, riskAt) = (header.firstIndex(of: "owner")!, header.firstIndex(of: "lifetime_value")!, header.firstIndex(of: "value_at_risk")!)
    let values = Dictionary(uniqueKeysWithValues: entries.map { ($0[1], (ltv: Double($0[ltvAt]), risk: Double($0[riskAt]))) })
    let byOwner = Dictionary(grouping: entries) { $0[ownerAt] }
    #expect(byOwner.count > 3 && entries.filter { !$0[ltvAt].isEmpty }.count > 60)
    func close(_ shown: Double?, _ value: Double?) -> Bool {
      switch (shown, value) {
      case (nil, nil): return true
      case (let a?, let b?): return abs(a - b) <= 0.005 + 1e-6
      default: return false
      }
    }
    var listed = 0, allLTV = 0.0, allRisk = 0.0, allValued = 0
    let index = try String(contentsOfFile: dir.file("brief/index.html"), encoding: .utf8)
    let indexRows = Self.rows("<section id=\"i\">" + index + "</section>", section: "i")
    for (owner, rows) in byOwner {
      let stem = owner.lowercased().split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }.joined(separator: "-")
      // The owner's CSV: every listed customer's two values, the list's to the cent.
      let (ownerHeader, ownerRows, _) = try csvRecords(dir.file("brief/\(stem).csv"))
      #expect(Array(ownerHeader.suffix(2)) == ["lifetime_value", "value_at_risk"])
      for row in ownerRows {
        let v = try #require(values[row[1]])
        #expect(close(Self.number(row[ownerHeader.count - 2]), v.ltv) && close(Self.number(row[ownerHeader.count - 1]), v.risk), "\(owner) \(row[1]): \(row.suffix(2))")
        listed += 1
      }
      // The page: the key accounts' cells (id, monthly revenue, lifetime value, value at risk, …), and the owner's totals.
      let page = try String(contentsOfFile: dir.file("brief/\(stem).html"), encoding: .utf8)
      #expect(BriefPageCheck.check(page).problems == [])
      let keys = Self.rows(page, section: "key-accounts")
      #expect(!keys.isEmpty, "\(owner)")
      for row in keys {
        let v = try #require(values[row[0]])
        #expect(close(Self.number(row[2]), v.ltv) && close(Self.number(row[3]), v.risk), "\(owner) \(row[0]): \(row)")
      }
      let warned = Self.rows(page, section: "new-warnings")
      for row in warned {
        let v = try #require(values[row[1]])
        #expect(close(Self.number(row[4]), v.ltv) && close(Self.number(row[5]), v.risk), "\(owner) \(row[1]): \(row)")
      }
      // Worth a call: the value at stake is the value at risk, shown once (net value, lifetime
      // value, value at risk, …): net = 0.3 × value at risk − 50, to the cent.
      #expect(page.contains("<tr><th>customer_id</th><th>net value of a call</th><th>lifetime value</th><th>value at risk</th><th>churn</th>"))
      for row in Self.rows(page, section: "calls") {
        let v = try #require(values[row[0]])
        #expect(close(Self.number(row[2]), v.ltv) && close(Self.number(row[3]), v.risk), "\(owner) \(row[0]): \(row)")
        #expect(close(Self.number(row[1].replacingOccurrences(of: "+", with: "")), v.risk.map { 0.3 * $0 - 50 }), "\(owner) \(row[0]): \(row)")
      }
      let valued = rows.filter { !$0[ltvAt].isEmpty }
      let (ltv, risk) = (valued.reduce(0) { $0 + Double($1[ltvAt])! }, valued.reduce(0) { $0 + Double($1[riskAt])! })
      (allLTV, allRisk, allValued) = (allLTV + ltv, allRisk + risk, allValued + valued.count)
      let line = try #require(Self.valueLine(page), "\(owner)")
      let shown = try #require(Self.totals(line), "\(line)")
      #expect(close(shown.ltv, ltv) && close(shown.risk, risk) && shown.customers == valued.count, "\(owner): \(line) against \(ltv), \(risk)")
      #expect(line.hasSuffix("over the next 3 periods of 30d for \(valued.count) customers with a revenue value, discounted 2% a month"), "\(line)")
      // The index: the owner's row ends with lifetime value, value at risk, CSV.
      let indexRow = try #require(indexRows.first { $0[0] == owner }, "\(owner)")
      #expect(close(Self.number(indexRow[indexRow.count - 3]), ltv) && close(Self.number(indexRow[indexRow.count - 2]), risk), "\(indexRow)")
    }
    #expect(listed > 20)
    let all = try #require(Self.valueLine(index).flatMap { Self.totals($0) })
    #expect(close(all.ltv, allLTV) && close(all.risk, allRisk) && all.customers == allValued, "\(all) against \(allLTV), \(allRisk)")

    // --discount as churn score checks it, exactly; nothing written.
    func error(_ arguments: [String]) throws -> String {
      let run = try runChurn(arguments)
      #expect(run.status != 0)
      return run.stderr.split(separator: "\n").first.map(String.init) ?? ""
    }
    let out = ["--trend-points", "1", "--monthly-cutoffs", "0", "--out", dir.file("refused")]
    #expect(try error(["brief"] + flags + ["--discount", "11"] + out)
      == "Error: --discount 11: expected a monthly discount rate from 0 to 10 (the same rate as churn lifetime's; 0 = none); fix: give a rate such as 0.01")
    #expect(try error(["brief", "--model", dir.file("s.json")] + data + ["--as-of", "2024-12-01", "--discount", "0.01"] + out)
      == "Error: --discount discounts lifetime_value and value_at_risk, which need each customer's revenue; expected --revenue-column COLUMN "
      + "(monthly revenue); fix: name the revenue column, or leave out --discount")
    let plain = try runChurn(["train"] + data + common + ["--out", dir.file("p.json")])
    #expect(plain.status == 0, "\(plain.stderr)")
    #expect(try error(["brief", "--model", dir.file("p.json")] + data + ["--as-of", "2024-12-01", "--revenue-column", "monthly_revenue", "--discount", "0.01"] + out)
      == "Error: --discount: \(dir.file("p.json")) is not a survival model, so the list has no lifetime value to discount; "
      + "fix: train one with churn train --survival --periods K, or leave out --discount")
    #expect(!FileManager.default.fileExists(atPath: dir.file("refused")))
    // A fixed-horizon model's brief with revenue has no such columns.
    let fixed = try runChurn(["brief", "--model", dir.file("p.json")] + data + ["--as-of", "2024-12-01", "--revenue-column", "monthly_revenue"] + out)
    #expect(fixed.status == 0, "\(fixed.stderr)")
    let fixedIndex = try String(contentsOfFile: dir.file("refused/index.html"), encoding: .utf8)
    #expect(!fixedIndex.contains("lifetime value") && Self.valueLine(fixedIndex) == nil)
  }
}
