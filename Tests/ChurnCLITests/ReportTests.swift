import ChurnCore
import ChurnModels
import ChurnScoring
import ChurnTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// What a reader's browser would object to: malformed markup, missing sections, anything
/// fetched from elsewhere.
struct ReportCheck {
  static let sections = ["summary", "roc", "precision-recall", "lift", "gains", "calibration", "scores", "weights", "attribution",
                         "cohorts", "categories", "drift", "health", "ranked-list"]

  final class Collector: NSObject, XMLParserDelegate {
    var ids: [String] = []
    var elements: Set<String> = []
    var references: [String] = []
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
      elements.insert(name.lowercased())
      if let id = attributes["id"] { ids.append(id) }
      for (key, value) in attributes where ["src", "href", "xlink:href", "data", "action", "srcset"].contains(key.lowercased()) {
        references.append("\(name) \(key)=\(value)")
      }
      if let style = attributes["style"], style.contains("url(") { references.append("\(name) style url(") }
    }
  }

  /// Problems found in `html`, empty when it is well formed, complete and self-contained.
  static func problems(_ html: String) -> [String] {
    var problems: [String] = []
    let parser = XMLParser(data: Data(html.utf8))
    let collector = Collector()
    parser.delegate = collector
    // On Linux parse() can return true with an error recorded: check both.
    if !parser.parse() || parser.parserError != nil { problems.append("not well formed: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)") }
    for id in sections where !collector.ids.contains(id) { problems.append("section \(id) missing") }
    for element in ["script", "link", "iframe", "img", "object", "embed"] where collector.elements.contains(element) {
      problems.append("<\(element)> element")
    }
    problems += collector.references.map { "external reference: \($0)" }
    for needle in ["http:", "https:", "@import", "url(", "//fonts."] where html.contains(needle) { problems.append("contains \(needle)") }
    return problems
  }
}

@Suite("The HTML report")
struct ReportTests {
  @Test("The checker catches what it should")
  func checker() {
    #expect(ReportCheck.problems("<html><body><p>unclosed</body></html>").contains { $0.hasPrefix("not well formed") })
    let good = "<!DOCTYPE html><html><body>" + ReportCheck.sections.map { "<section id=\"\($0)\"></section>" }.joined() + "</body></html>"
    #expect(ReportCheck.problems(good).isEmpty)
    #expect(ReportCheck.problems(good.replacingOccurrences(of: "<body>", with: "<body><img src=\"https://x.example/a.png\"/>")).count >= 2)
    #expect(ReportCheck.problems(good.replacingOccurrences(of: "<section id=\"drift\"></section>", with: "")) == ["section drift missing"])
  }
}

/// The report's numbers against the scored list and the data they describe.
@Suite("The report's numbers, through the CLI")
struct ReportNumberTests {
  static func cells(_ html: String, section: String) -> [[String]] {
    guard let start = html.range(of: "<section id=\"\(section)\">"), let end = html[start.upperBound...].range(of: "</section>") else { return [] }
    let body = html[start.upperBound..<end.lowerBound]
    return body.components(separatedBy: "<tr>").dropFirst().map { row in
      row.components(separatedBy: "</tr>")[0].components(separatedBy: "</td>").dropLast().map { cell in
        String(cell[cell.range(of: ">", options: .backwards)!.upperBound...]).replacingOccurrences(of: "&amp;", with: "&")
      }
    }.filter { !$0.isEmpty }
  }

  @Test("Telco: the ranked list (with health), customers scored, mean probability, band counts, health means and drift equal the scored list's; a shifted column is named")
  func telco() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let telco = TrainScoreCommandTests.telco
    let train = try runChurn(["train", "--table", telco, "--id", "customerid", "--label", "churn", "--threads", "2", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    let score = try runChurn(["score", "--model", dir.file("m.json"), "--table", telco, "--out", dir.file("p.csv")])
    #expect(score.status == 0, "\(score.stderr)")
    // Scored on its own training data: nothing moved, and the check says so.
    #expect(score.stderr.contains("score: drift check: no column shifted (largest population stability index 0.000, "))
    let report = try runChurn(["report", "--model", dir.file("m.json"), "--table", telco, "--label", "churn", "--top", "10", "--out", dir.file("r.html")])
    #expect(report.status == 0, "\(report.stderr)")
    let html = try String(contentsOfFile: dir.file("r.html"), encoding: .utf8)
    #expect(ReportCheck.problems(html) == [])
    #expect(!html.contains("<section id=\"time-to-churn\">"))  // not a survival model

    let model = try ModelFile.read(path: dir.file("m.json"))
    let table = try TypedCSV(path: telco, idColumn: "customerid").featureTable(label: nil)
    let p = Dictionary(uniqueKeysWithValues: zip(table.ids, try model.probabilities(table)))
    let csv = try String(contentsOfFile: dir.file("p.csv"), encoding: .utf8).split(separator: "\n").map(csvFields)
    let list = Array(csv.dropFirst())
    // The health columns of churn score's list: health, health_baseline, health_<dimension>...
    let healthAt = csv[0].firstIndex(of: "health")!
    let dimensions = csv[0][(healthAt + 2)...].map { String($0.dropFirst("health_".count)) }
    #expect(dimensions.count >= 3, "\(csv[0])")
    func healthText(_ line: [String]) -> String {
      "\(line[healthAt]) = baseline \(line[healthAt + 1])"
        + dimensions.indices.map { d in ", \(dimensions[d]) " + (Int(line[healthAt + 2 + d])! > 0 ? "+" : "") + line[healthAt + 2 + d] }.joined()
    }
    let ranked = Self.cells(html, section: "ranked-list")
    #expect(ranked.count == 10)
    for (k, row) in ranked.enumerated() {
      let line = list[k]
      #expect(row == ["\(k + 1)", line[1], String(format: "%.1f%%", 100 * p[line[1]]!), line[4], line[5...7].filter { !$0.isEmpty }.joined(separator: "; "),
                      "", "", healthText(line)], "rank \(k + 1)")
    }
    // Health by dimension: the means of the list's health columns over all customers and per band.
    func means(_ rows: [[String]], _ label: String) -> [String] {
      func mean(_ column: Int) -> Double { rows.reduce(0) { $0 + Double($1[column])! } / Double(rows.count) }
      return [label, SignedNumber.unsigned(mean(healthAt), decimals: 1), SignedNumber.unsigned(mean(healthAt + 1), decimals: 1)]
        + dimensions.indices.map { SignedNumber.text(mean(healthAt + 2 + $0), decimals: 1) }
    }
    let bandRows = ["red", "yellow", "green"].map { band in list.filter { $0[4] == band } }.filter { !$0.isEmpty }
    #expect(Self.cells(html, section: "health") == [means(list, "all 4930 customers")]
      + zip(["red", "yellow", "green"].filter { band in list.contains { $0[4] == band } }, bandRows).map { means($1, "\($0) band (\($1.count))") })
    let noHealth = try runChurn(["report", "--model", dir.file("m.json"), "--table", telco, "--no-health", "--top", "3", "--out", dir.file("n.html")])
    #expect(noHealth.status == 0, "\(noHealth.stderr)")
    let plain = try String(contentsOfFile: dir.file("n.html"), encoding: .utf8)
    #expect(Self.cells(plain, section: "ranked-list").map(\.count) == [7, 7, 7] && plain.contains("Health was not computed for this report."))
    let summary = Dictionary(uniqueKeysWithValues: Self.cells(html, section: "summary").map { ($0[0], $0[1]) })
    let mean = p.values.reduce(0, +) / Double(p.count)
    #expect(summary["customers scored"] == "4930 from \(telco); mean churn probability \(String(format: "%.1f%%", 100 * mean))")
    let red = list.filter { $0[4] == "red" }.count, yellow = list.filter { $0[4] == "yellow" }.count
    #expect(summary["red band"]?.hasPrefix("\(red) customers at or above ") == true, "\(summary)")
    let bands = Self.cells(html, section: "scores")
    #expect(bands.map { $0.prefix(2) } == [["red", "\(red)"], ["yellow", "\(yellow)"], ["green", "\(4930 - red - yellow)"]])
    #expect(html.contains("0 column(s) above 0.2."))

    // Every contract month-to-month, tenure a year longer: both shifted, named, with the library's PSI.
    let lines = try String(contentsOfFile: telco, encoding: .utf8).split(separator: "\n")
    let header = csvFields(lines[0])
    let contract = header.firstIndex(of: "contract")!, tenure = header.firstIndex(of: "tenure")!
    var shifted = [lines[0].description]
    for line in lines.dropFirst() {
      var f = csvFields(line)
      f[contract] = "Month-to-month"
      f[tenure] = String(Int(f[tenure])! + 12)
      shifted.append(f.map { $0.contains(",") ? "\"\($0)\"" : $0 }.joined(separator: ","))
    }
    try (shifted.joined(separator: "\n") + "\n").write(toFile: dir.file("shifted.csv"), atomically: true, encoding: .utf8)
    let moved = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("shifted.csv"), "--out", dir.file("q.csv")])
    #expect(moved.status == 0, "\(moved.stderr)")
    let shiftedTable = try TypedCSV(path: dir.file("shifted.csv"), idColumn: "customerid").featureTable(label: nil)
    let drift = model.drift(shiftedTable, scores: try model.probabilities(shiftedTable)).filter { $0.psi > 0.2 }
    #expect(Set(drift.map(\.column)).isSuperset(of: ["contract", "tenure"]), "\(drift)")
    let named = drift.prefix(8).map { String(format: "%@ %.2f", $0.column, $0.psi) }.joined(separator: ", ")
    #expect(moved.stderr.contains("score: WARNING: \(drift.count) columns shifted since training (population stability index > 0.2): \(named)\n"),
            "\(moved.stderr)")
    let movedReport = try runChurn(["report", "--model", dir.file("m.json"), "--table", dir.file("shifted.csv"), "--out", dir.file("s.html")])
    #expect(movedReport.status == 0, "\(movedReport.stderr)")
    let driftRows = Self.cells(try String(contentsOfFile: dir.file("s.html"), encoding: .utf8), section: "drift")
    #expect(driftRows.contains(["contract", String(format: "%.3f", drift.first { $0.column == "contract" }!.psi), "shifted"]), "\(driftRows)")
  }

  @Test("A value too large to compute with stops score, explain and report at its input line (it gave a nan probability); nothing is written")
  func nonFinite() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var rng = SeededGenerator(seed: 2)
    var rows = ["id,a,b,churn"]
    for i in 0..<300 {
      let a = rng.normal(), b = rng.normal()
      rows.append("c\(i),\(a),\(b),\(rng.bernoulli(1 / (1 + exp(-4 * (a + b)))) ? 1 : 0)")
    }
    try (rows.joined(separator: "\n") + "\n").write(toFile: dir.file("t.csv"), atomically: true, encoding: .utf8)
    try "id,a,b\nok,0.5,0.1\nhuge,1e308,-1e308\n".write(toFile: dir.file("bad.csv"), atomically: true, encoding: .utf8)
    let train = try runChurn(["train", "--table", dir.file("t.csv"), "--id", "id", "--label", "churn", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    // The table reader refuses the value (the library-level guards behind it, for a probability
    // or a contribution that is not finite, are tested in ScoredListTests and HTMLReportTests).
    let message = "Error: \(dir.file("bad.csv")) line 3: a \"1e308\" is beyond ±1e15; expected a magnitude of at most 1e15 (larger values are typing or unit mistakes): correct the value\n"
    for command in [["score", "--out", dir.file("s.csv")], ["score", "--format", "json", "--out", dir.file("s.json")],
                    ["explain", "--customer", "huge"], ["explain", "--customer", "huge", "--format", "json"], ["report", "--out", dir.file("r.html")]] {
      let r = try runChurn(command + ["--model", dir.file("m.json"), "--table", dir.file("bad.csv")])
      #expect(r.status == 1 && r.stderr == message && r.stdout.isEmpty, "\(command): \(r.status) \(r.stderr)")
    }
    #expect(dir.contents() == ["bad.csv", "m.json", "t.csv"])
    // One huge value: the probability is 1, but the contribution of "a" is inf × 0. Not a red
    // customer without reasons, nor "-nan pts".
    try "id,a,b\nok,0.5,0.1\nbig,1e308,0.1\n".write(toFile: dir.file("big.csv"), atomically: true, encoding: .utf8)
    let big = "Error: \(dir.file("big.csv")) line 3: a \"1e308\" is beyond ±1e15; expected a magnitude of at most 1e15 (larger values are typing or unit mistakes): correct the value\n"
    for command in [["score", "--out", dir.file("s.csv")], ["explain", "--customer", "big"], ["explain", "--customer", "big", "--format", "json"],
                    ["report", "--out", dir.file("r.html")]] {
      let r = try runChurn(command + ["--model", dir.file("m.json"), "--table", dir.file("big.csv")])
      #expect(r.status == 1 && r.stderr == big && r.stdout.isEmpty, "\(command): \(r.status) \(r.stderr)")
    }
    #expect(dir.contents() == ["bad.csv", "big.csv", "m.json", "t.csv"])
  }
}

extension ReportNumberTests {
  @Test("report --top below 1 is refused before any work, naming the value", arguments: ["-1", "0"])
  func badTop(top: String) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let r = try runChurn(["report", "--model", dir.file("m.json"), "--table", dir.file("t.csv"), "--top=\(top)", "--out", dir.file("r.html")])
    #expect(r.status == 64)
    #expect(r.stderr.hasPrefix("Error: --top \(top) is too small; expected the number of customers to list, 1 or more\nUsage: churn report "))
    #expect(dir.contents().isEmpty)
  }
}

extension ReportNumberTests {
  @Test("report --top 30 lists 30 customers (it stopped at 25); a revenue of -0 reads 0.00 everywhere, never -0.00 or -0")
  func topAndNegativeZero() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try ScoringInputErrorTests.trained(dir)
    var rows = ["id,a,plan,revenue"]
    for i in 0..<40 { rows.append(String(format: "%03d,%.2f,%@,%@", i, Double(i) / 20 - 1, i % 2 == 0 ? "pro" : "basic", i == 39 ? "-0" : "\(10 + i)")) }
    try (rows.joined(separator: "\n") + "\n").write(toFile: dir.file("s.csv"), atomically: true, encoding: .utf8)
    let report = try runChurn(["report", "--model", dir.file("m.json"), "--table", dir.file("s.csv"), "--revenue-column", "revenue",
                               "--top", "40", "--out", dir.file("r.html")])
    #expect(report.status == 0, "\(report.stderr)")
    let html = try String(contentsOfFile: dir.file("r.html"), encoding: .utf8)
    let listed = Self.cells(html, section: "ranked-list")
    #expect(listed.count == 40 && listed.map { $0[1] }.contains("039"), "\(listed.count)")
    #expect(listed.first { $0[1] == "039" }?[5] == "0.00")
    #expect(!html.contains("-0.00") && !html.contains(">-0<"))
    let thirty = try runChurn(["report", "--model", dir.file("m.json"), "--table", dir.file("s.csv"), "--top", "30", "--out", dir.file("r30.html")])
    let html30 = try String(contentsOfFile: dir.file("r30.html"), encoding: .utf8)
    #expect(thirty.status == 0 && Self.cells(html30, section: "ranked-list").count == 30)
    let text = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("s.csv"), "--revenue-column", "revenue", "--top", "40"])
    #expect(text.status == 0 && !text.stdout.contains("-0.00"), "\(text.stdout)")
    let json = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("s.csv"), "--revenue-column", "revenue",
                             "--format", "json", "--out", dir.file("s.json")])
    #expect(json.status == 0)
    let entries = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("s.json")))) as! [[String: Any]]
    let zero = entries.first { $0["id"] as? String == "039" }!["expected_revenue_at_risk"] as! Double
    #expect(zero == 0 && zero.sign == .plus)
    let explain = try runChurn(["explain", "--model", dir.file("m.json"), "--table", dir.file("s.csv"), "--customer", "020"])
    // "nan" as a number, not inside the health dimension "finance".
    #expect(explain.status == 0 && !explain.stdout.contains("-0.00") && !explain.stdout.contains("+0.00")
      && !explain.stdout.replacingOccurrences(of: "finance", with: "").contains("nan"), "\(explain.stdout)")
  }
}
