import ChurnCore
import ChurnFeatures
import ChurnModels
import ChurnScoring
import ChurnTestSupport
import Foundation
import Testing

@Suite("The weekly job: train from events, score as of a date")
struct WeeklyJobTests {
  @Test("The CLI's ranked probabilities equal the library's; reasons and bands are filled; drivers lead the weights")
  func trainAndScore() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try CustomerSimulator(settings: SimulationSettings(customerCount: 1500, months: 14, seed: 77)).write(to: dir.path)
    let train = try runChurn(["train", "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                              "--cutoffs", "2024-06-01:2025-01-01:1m", "--horizon", "30d", "--l2", "100", "--threads", "2",
                              "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    #expect(train.stderr.contains("train: holdout cutoff 2025-01-01: AUC "))
    #expect(train.stderr.contains("train: risk bands: red ≥ "))
    // The simulated causes of churn (complaints, slow resolutions, late or missing payments,
    // falling logins) lead the weights table.
    let top = train.stdout.split(separator: "\n").dropFirst().prefix(8).map { String($0.split(separator: " ")[0]) }
    let drivers = ["complaint", "resolution", "payment", "login", "ticket", "survey", "days_since_last_event", "active_days"]
    #expect(top.filter { name in drivers.contains { name.contains($0) } }.count >= 5, "top weights: \(top)")

    let score = try runChurn(["score", "--model", dir.file("m.json"), "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                              "--as-of", "2025-02-01", "--revenue-column", "monthly_revenue", "--out", dir.file("risk.csv")])
    #expect(score.status == 0, "\(score.stderr)")
    // Without the customer table the model was trained with: a data error, exit 1, no usage text.
    let noTable = try runChurn(["score", "--model", dir.file("m.json"), "--events", dir.file("events.csv"), "--as-of", "2025-02-01"])
    #expect(noTable.status == 1 && noTable.stderr == "Error: \(dir.file("m.json")) was trained with a customer table "
      + "(attributes industry, size, region, tier, ...); expected it again; fix: pass it with --customers CUSTOMERS.csv\n", "\(noTable.stderr)")
    // The library on the same model file and data.
    let model = try ModelFile.read(path: dir.file("m.json"))
    let design = try ObservationDesign(cutoffs: [UTCTime.parseMilliseconds("2025-02-01")!], horizon: .days(30))
    let customers = try CustomerTable(path: dir.file("customers.csv"))
    let table = try FeatureBuilder(design: design, spec: model.featureSpec, customers: customers)
      .build(events: EventLogReader(path: dir.file("events.csv"))).table
    let expected = Dictionary(uniqueKeysWithValues: zip(table.ids, try model.probabilities(table)))
    let lines = try String(contentsOfFile: dir.file("risk.csv"), encoding: .utf8).split(separator: "\n")
    #expect(lines.count == table.rowCount + 1)
    // What each line should say, from the library and the inputs: revenue at risk = p × monthly
    // revenue × the horizon in months (30 days of 30.4375), the band from the cut points, the
    // segment from the customer's rfm_segment, the percentile from the share of lower probabilities.
    let customerLines = try String(contentsOfFile: dir.file("customers.csv"), encoding: .utf8).split(separator: "\n")
    let revenueField = customerLines[0].split(separator: ",").firstIndex(of: "monthly_revenue")!
    var revenue: [String: Double] = [:]
    for line in customerLines.dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false)
      revenue[String(f[0])] = Double(f[revenueField])
    }
    let segmentColumn = table.columnIndex("rfm_segment")
    let ascending = expected.values.sorted()
    var bands = Set<String>()
    for line in lines.dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      // 11 columns, then health, health_baseline and 5 dimensions that add up to it.
      #expect(f.count == 18, "\(line)")
      let p = expected[f[1]]!
      #expect(Int(f[11]) == Int((100 * (1 - p)).rounded()) && Int(f[12])! + f[13...].reduce(0) { $0 + Int($1)! } == Int(f[11]), "\(line)")
      #expect(abs(Double(f[2])! - p) <= 5e-7)
      #expect(f[3] == String(format: "%.1f", 100 * Double(ascending.firstIndex { $0 >= p }!) / Double(ascending.count)), "\(line)")
      #expect(f[4] == model.riskBands!.band(p), "\(line)")
      bands.insert(f[4])
      #expect(abs(Double(f[8])! - p * revenue[f[1]]! * 30 / 30.4375) <= 0.005 + 1e-9, "\(line)")
      if let segmentColumn, case .categorical(let segments) = table.columns[segmentColumn] {
        #expect(f[9] == segments[table.ids.firstIndex(of: f[1])!] ?? "", "\(line)")
      } else {
        Issue.record("the simulated features have no rfm_segment column")
      }
    }
    #expect(bands == ["red", "yellow", "green"])
    #expect(lines[1].contains(" pts)"))
    // The drift line is the library's verdict on the same rows (not either of two texts).
    let drift = model.drift(table, scores: try model.probabilities(table))
    if let largest = drift.first, largest.psi <= 0.2 {
      #expect(score.stderr.contains(String(format: "score: drift check: no column shifted (largest population stability index %.3f, %@)\n",
                                           largest.psi, largest.column)), "\(score.stderr)")
    } else {
      let shifted = drift.filter { $0.psi > 0.2 }
      #expect(score.stderr.contains("score: WARNING: \(shifted.count) columns shifted since training"), "\(score.stderr)")
    }

    // Against last week's list: one customer removed (new now), one unknown id (vanished now),
    // the second riskiest customer green last week at 1% (a band move now).
    var previous = lines.map(String.init)
    let removed = String(previous[1].split(separator: ",")[1])
    var mover = previous[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    let moverNow = (probability: Double(mover[2])!, band: mover[4])
    mover[2] = "0.010000"
    mover[4] = "green"
    previous[2] = mover.joined(separator: ",")
    previous.remove(at: 1)
    // As wide as the header: change, then the health columns (7 with the simulated features' dimensions).
    let width = previous[0].split(separator: ",").count
    #expect(width == 18)
    previous.append("999,C999999,0.5,50.0,red" + String(repeating: ",", count: width - 5))
    try (previous.joined(separator: "\n") + "\n").write(toFile: dir.file("last.csv"), atomically: true, encoding: .utf8)
    let again = try runChurn(["score", "--model", dir.file("m.json"), "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                              "--as-of", "2025-02-01", "--previous", dir.file("last.csv"), "--out", dir.file("risk2.csv")])
    #expect(again.status == 0, "\(again.stderr)")
    #expect(again.stderr.contains("score: against \(dir.file("last.csv")): 1 new, 1 vanished, 1 changed band"))
    // The change column, the 11th: the 7 health columns follow it.
    let next = try String(contentsOfFile: dir.file("risk2.csv"), encoding: .utf8).split(separator: "\n")
    func change(_ line: Substring) -> Substring {
      var s = line
      for _ in 0..<7 { s = s[..<s.lastIndex(of: ",")!] }
      return s
    }
    #expect(change(next[1]).hasSuffix(",new") && next[1].contains(removed))
    #expect(change(next[2]).hasSuffix(String(format: ",%+.1f pts (green→%@)", 100 * (moverNow.probability - 0.01), moverNow.band)), "\(next[2])")
    #expect(moverNow.band != "green")
    #expect(change(next[3]).hasSuffix(",0.0 pts"))
    #expect(next.last == ",C999999,,,,,,,,,\"vanished (was 0.500000, red)\",,,,,,,")
    let json = try runChurn(["score", "--model", dir.file("m.json"), "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                             "--as-of", "2025-02-01", "--format", "json", "--top", "3", "--out", dir.file("risk.json")])
    #expect(json.status == 0)
    let decoded = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("risk.json")))) as? [[String: Any]]
    #expect(decoded?.count == 3 && (decoded?[0]["reasons"] as? [String])?.isEmpty == false)

    // churn weights: the CLI's numbers are the library's; the simulated drivers' categories lead the grouped view.
    let weights = try runChurn(["weights", "--model", dir.file("m.json"), "--format", "json"])
    #expect(weights.status == 0, "\(weights.stderr)")
    let w = try JSONSerialization.jsonObject(with: Data(weights.stdout.utf8)) as! [String: Any]
    let library = Dictionary(uniqueKeysWithValues: (model.model as! LogisticModel).coefficientTable.map { ($0.name, $0) })
    let features = w["features"] as! [[String: Any]]
    #expect(features.count == library.count)
    for f in features {
      let c = library[f["feature"] as! String]!
      // Equal to the last digit JSON carries (Foundation's parser may differ in the 17th).
      #expect(relativeDifference(f["coefficient"] as! Double, c.estimate) < 1e-14)
      #expect(relativeDifference(f["retentionImpact"] as! Double, c.retentionImpact) < 1e-14)
      #expect(relativeDifference(f["pValue"] as! Double, c.pValue) < 1e-14)
    }
    let groups = (w["groups"] as! [[String: Any]]).map { $0["category"] as! String }
    #expect(["service", "finance", "engagement"].contains(groups[0]), "grouped view: \(groups)")
    let text = try runChurn(["weights", "--model", dir.file("m.json")])
    #expect(text.stdout.split(separator: "\n").allSatisfy { $0.count <= 80 })
    #expect(text.stdout.contains("signals grouped by category (sum of |coefficient| per +1 SD):"))

    // Explanations: base + contributions = the scored probability, for every customer (library) and through the CLI.
    let x = try model.preprocessor.transform(table)
    let probabilities = try model.probabilities(table)
    for row in 0..<table.rowCount {
      let e = model.explain(x, row: row)
      #expect(abs(e.base + e.contributions.reduce(0, +) - probabilities[row]) < 1e-9)
    }
    let riskiest = String(lines[1].split(separator: ",")[1])
    let explain = try runChurn(["explain", "--model", dir.file("m.json"), "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                                "--as-of", "2025-02-01", "--customer", riskiest, "--format", "json"])
    #expect(explain.status == 0, "\(explain.stderr)")
    let e = try JSONSerialization.jsonObject(with: Data(explain.stdout.utf8)) as! [String: Any]
    let terms = (e["terms"] as! [[String: Any]]).map { $0["contribution"] as! Double }
    #expect(terms.count == model.preprocessor.inputNames.count)
    // Each term is the library's column contribution, shown with the customer's own value.
    let explained = try model.explainColumns(table, row: table.ids.firstIndex(of: riskiest)!)
    for term in e["terms"] as! [[String: Any]] {
      let c = explained.columns.first { $0.column == term["feature"] as! String }!
      #expect(abs(c.contribution - (term["contribution"] as! Double)) < 1e-12, "\(term)")
      switch c.value {
      case .level(let level): #expect(term["value"] as? String == level)
      case .number(let v): #expect(term["value"] as? String == ReasonText.number(v))
      case .missing: #expect(term["value"] as? String == "missing")
      }
    }
    // The list's reasons for this customer are the explanation's largest positive columns.
    let reasons = String(lines[1]).split(separator: ",", omittingEmptySubsequences: false)[5...7].filter { !$0.isEmpty }.map(String.init)
    #expect(reasons == ColumnContribution.reasons(explained.columns, count: 3).map(ReasonText.reason))
    #expect(abs((e["base"] as! Double) + terms.reduce(0, +) - (e["probability"] as! Double)) < 1e-9)
    #expect(abs((e["probability"] as! Double) - expected[riskiest]!) < 1e-12)

    // The report: well formed, every section, nothing fetched from elsewhere; its list is the scored list.
    let report = try runChurn(["report", "--model", dir.file("m.json"), "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                               "--as-of", "2025-02-01", "--revenue-column", "monthly_revenue", "--out", dir.file("report.html")])
    #expect(report.status == 0, "\(report.stderr)")
    let html = try String(contentsOfFile: dir.file("report.html"), encoding: .utf8)
    #expect(ReportCheck.problems(html) == [])
    #expect(html.contains("<td>\(riskiest)</td>"))
    #expect(html.components(separatedBy: "<svg").count - 1 >= 10)
    #expect(!html.contains("Cohort plots need labelled rows"))
  }

  @Test("Scoring before the data, or from an empty log, is a clear error and writes nothing")
  func badDoors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try CustomerSimulator(settings: SimulationSettings(customerCount: 300, months: 8, seed: 5)).write(to: dir.path)
    let train = try runChurn(["train", "--events", dir.file("events.csv"), "--cutoffs", "2024-04-01:2024-07-01:1m",
                              "--horizon", "30d", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    let early = try runChurn(["score", "--model", dir.file("m.json"), "--events", dir.file("events.csv"), "--as-of", "2023-01-01",
                              "--out", dir.file("risk.csv")])
    #expect(early.stderr.hasPrefix("Error: cutoff 2023-01-01 is not after the first event (2024-01-01T"))
    try "customer_id,timestamp,event_type,value\n".write(toFile: dir.file("empty.csv"), atomically: true, encoding: .utf8)
    let empty = try runChurn(["score", "--model", dir.file("m.json"), "--events", dir.file("empty.csv"), "--as-of", "2024-06-01",
                              "--out", dir.file("risk.csv")])
    #expect(empty.stderr == "Error: \(dir.file("empty.csv")) has no events; expected at least one row after the header\n")
    // Data errors found while running: exit 1 and no usage text (that is for flags).
    let noCustomers = try runChurn(["score", "--model", dir.file("m.json"), "--events", dir.file("events.csv"), "--as-of", "2024-06-01",
                                    "--revenue-column", "monthly_revenue", "--out", dir.file("risk.csv")])
    #expect(noCustomers.status == 1 && noCustomers.stderr == "Error: --revenue-column monthly_revenue is read from the customer table; "
      + "expected --customers FILE.csv with that column; fix: give --customers, or drop --revenue-column\n", "\(noCustomers.stderr)")
    let unlabelled = try runChurn(["train", "--events", dir.file("events.csv"), "--cutoffs", "2024-07-01:2024-08-01:1m", "--horizon", "90d",
                                   "--out", dir.file("late.json")])
    #expect(unlabelled.status == 1 && unlabelled.stderr.hasSuffix(
      "Error: no cutoff has a known label: every horizon runs past the end of the data; use earlier cutoffs\n"), "\(unlabelled.stderr)")
    let unknown = try runChurn(["explain", "--model", dir.file("m.json"), "--events", dir.file("events.csv"), "--as-of", "2024-06-01", "--customer", "nope"])
    #expect(unknown.status == 1 && unknown.stderr.hasSuffix(
      "\nError: customer \"nope\" is not among the 265 eligible customers as of 2024-06-01 (not in the log, not yet started, already churned, or inactive over the active window); "
      + "expected an id exactly as in the data (case and leading zeros count); fix: copy the id from the data or from churn score's list\n"), "\(unknown.stderr)")
    let badDate = try runChurn(["explain", "--model", dir.file("m.json"), "--events", dir.file("events.csv"), "--as-of", "June", "--customer", "x"])
    #expect(badDate.status == 64 && badDate.stderr.hasPrefix("Error: --as-of \"June\" is not a date; expected ISO 8601 such as 2025-07-01\nUsage: churn explain"))
    let tableModel = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("customers.csv"), "--out", dir.file("risk.csv")])
    #expect(tableModel.status != 0)
    #expect(!FileManager.default.fileExists(atPath: dir.file("risk.csv")))
  }
}
