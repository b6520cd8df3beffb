import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

@Suite("Scoring with warning rules")
struct ScoringRulesTests {
  @Test("The worse of the model's band and the rules' severity, and which decided")
  func band() {
    #expect(WarningRules.band(model: "green", rules: nil) == ("green", "model"))
    #expect(WarningRules.band(model: nil, rules: nil) == (nil, "model"))
    #expect(WarningRules.band(model: "green", rules: .yellow) == ("yellow", "rules"))
    #expect(WarningRules.band(model: "green", rules: .red) == ("red", "rules"))
    #expect(WarningRules.band(model: "yellow", rules: .red) == ("red", "rules"))
    #expect(WarningRules.band(model: "yellow", rules: .yellow) == ("yellow", "both"))
    #expect(WarningRules.band(model: "red", rules: .red) == ("red", "both"))
    #expect(WarningRules.band(model: "red", rules: .yellow) == ("red", "model"))
    #expect(WarningRules.band(model: nil, rules: .yellow) == ("yellow", "rules"))
  }

  @Test("churn score --rules marks exactly the customers whose written features satisfy each condition, red first; the band is the worse; the CLI's bytes are the library's")
  func marks() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let modelPath = try ScorerTests.eventModel(dir)
    let data = EventData(events: dir.file("events.csv"), customers: dir.file("customers.csv"), threads: 1)
    try RuleStudyTests.rulesText.write(toFile: dir.file("rules.csv"), atomically: true, encoding: .utf8)
    let rules = try WarningRules.read(path: dir.file("rules.csv"))
    let model = try ModelFile.read(path: modelPath)
    let plain = try Scorer(model: model).score(data, asOf: "2024-10-01")
    let scored = try Scorer(model: model).score(data, asOf: "2024-10-01", options: ScoringOptions(rules: rules))

    // The features as churn features writes them at that date, read back as text.
    let table = try ObservationPlan(cutoff: ["2024-10-01"], horizon: "30d").features(data).table
    try table.writeCSV(to: dir.file("features.csv"))
    let lines = try String(contentsOfFile: dir.file("features.csv"), encoding: .utf8).split(separator: "\n")
      .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    func column(_ name: String) -> Int { lines[0].firstIndex(of: name)! }
    func number(_ row: [String], _ name: String) -> Double { Double(row[column(name)]) ?? .nan }
    var expected: [String: [String]] = [:]
    for row in lines.dropFirst() {
      let complaints = number(row, "count_complaint_90d") >= 2
      let halved = number(row, "pct_change_count_login_30d") <= -0.5 && !row[column("size")].isEmpty && row[column("size")] != "large"
      let slow = number(row, "mean_resolution_90d") > 3.5 || number(row, "days_since_last_login") > 21
      // Red rules first (complaints, slow and quiet), then yellow, each in file order.
      expected[row[0]] = (complaints ? ["complaints"] : []) + (slow ? ["slow and quiet"] : []) + (halved ? ["logins halved"] : [])
    }
    #expect(scored.count == lines.count - 1 && scored.list.showsWarnings && !plain.list.showsWarnings)
    let modelBand = Dictionary(uniqueKeysWithValues: plain.list.rows.map { ($0.id, $0.band) })
    var fired = 0
    for row in scored.list.rows {
      #expect(row.warnings == expected[row.id], "\(row.id)")
      fired += row.warnings?.isEmpty == false ? 1 : 0
      let severity: WarningSeverity? = row.warnings!.contains("complaints") || row.warnings!.contains("slow and quiet") ? .red
        : (row.warnings!.isEmpty ? nil : .yellow)
      let (band, source) = WarningRules.band(model: modelBand[row.id]!, rules: severity)
      #expect(row.band == band && row.bandSource == source, "\(row.id)")
    }
    #expect(fired > 10 && scored.list.rows.contains { $0.bandSource == "rules" } && scored.list.rows.contains { $0.bandSource == "model" })

    try scored.write(to: dir.file("lib.csv"))
    let cli = try runChurn(["score", "--model", modelPath, "--events", data.events, "--customers", data.customers!, "--as-of", "2024-10-01",
                            "--rules", dir.file("rules.csv"), "--out", dir.file("cli.csv")])
    #expect(cli.status == 0, "\(cli.stderr)")
    #expect(try bytes(dir.file("lib.csv")) == bytes(dir.file("cli.csv")))
    let written = try String(contentsOfFile: dir.file("cli.csv"), encoding: .utf8).split(separator: "\n")
    // The health columns come after the rules' (see HealthDimensionTests).
    #expect(written[0] == "rank,customer_id,churn_probability,percentile,risk_band,reason_1,reason_2,reason_3,expected_revenue_at_risk,segment,change,"
      + "warnings,band_from,health,health_baseline,health_service,health_finance,health_commercial,health_engagement,health_account")
    let first = scored.list.rows[0]
    let health = first.health!
    #expect(written[1].hasSuffix(",\(first.warnings!.joined(separator: ";")),\(first.bandSource!),\(health.score),\(health.baseline),"
      + health.dimensions.map { "\($0.points)" }.joined(separator: ",")))
    // Without --rules: no warnings columns.
    try plain.write(to: dir.file("plain.csv"))
    #expect(try String(contentsOfFile: dir.file("plain.csv"), encoding: .utf8).hasPrefix(
      "rank,customer_id,churn_probability,percentile,risk_band,reason_1,reason_2,reason_3,expected_revenue_at_risk,segment,change,health,health_baseline,health_service,health_finance,health_commercial,health_engagement,health_account\n"))

    try scored.write(to: dir.file("lib.json"), format: .json, top: 3)
    let entries = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("lib.json")))) as! [[String: Any]]
    #expect(entries.map { $0["warnings"] as! [String] } == scored.list.rows.prefix(3).map { $0.warnings! })
    #expect(entries.map { $0["band_from"] as! String } == scored.list.rows.prefix(3).map { $0.bandSource! })
  }

  @Test("A rule naming a column the model's features lack stops scoring with the rules file's message")
  func unknownColumn() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let modelPath = try ScorerTests.eventModel(dir)
    try "name,severity,condition\nc,red,count_complaint_60d >= 1\n".write(toFile: dir.file("rules.csv"), atomically: true, encoding: .utf8)
    let run = try runChurn(["score", "--model", modelPath, "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                            "--as-of", "2024-10-01", "--rules", dir.file("rules.csv"), "--out", dir.file("risk.csv")])
    #expect(run.status == 1 && !FileManager.default.fileExists(atPath: dir.file("risk.csv")))
    #expect(run.stderr.contains("Error: \(dir.file("rules.csv")) line 2 (rule \"c\"), character 1: no feature column \"count_complaint_60d\"; near names: "))
  }
}

@Suite("A model that carries its warning rules")
struct StoredRulesTests {
  @Test("churn train --rules stores them; churn score then applies them without the flag: the same bytes as score --rules")
  func trainStores() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try CustomerSimulator(settings: SimulationSettings(customerCount: 300, months: 10, seed: 31)).write(to: dir.path)
    try RuleStudyTests.rulesText.write(toFile: dir.file("rules.csv"), atomically: true, encoding: .utf8)
    let train = ["train", "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"), "--cutoffs", "2024-04-01:2024-09-01:1m",
                 "--horizon", "30d", "--importance", "none", "--threads", "1"]
    #expect(try runChurn(train + ["--out", dir.file("plain.json")]).status == 0)
    let carrying = try runChurn(train + ["--rules", dir.file("rules.csv"), "--out", dir.file("carrying.json")])
    #expect(carrying.status == 0, "\(carrying.stderr)")
    let model = try ModelFile.read(path: dir.file("carrying.json"))
    #expect(model.warningRules?.map(\.name) == ["complaints", "logins halved", "slow and quiet"])
    #expect(model.warningRules?[1] == StoredWarningRule(name: "logins halved", severity: "yellow",
                                                        condition: "pct_change_count_login_30d <= -0.5 and not size == \"large\""))
    #expect(try ModelFile.read(path: dir.file("plain.json")).warningRules == nil)
    #expect(try String(contentsOfFile: dir.file("plain.json"), encoding: .utf8).contains("warningRules") == false)
    let score = ["score", "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"), "--as-of", "2024-10-01"]
    #expect(try runChurn(score + ["--model", dir.file("carrying.json"), "--out", dir.file("stored.csv")]).status == 0)
    #expect(try runChurn(score + ["--model", dir.file("plain.json"), "--rules", dir.file("rules.csv"), "--out", dir.file("flag.csv")]).status == 0)
    #expect(try bytes(dir.file("stored.csv")) == bytes(dir.file("flag.csv")))
    #expect(try String(contentsOfFile: dir.file("stored.csv"), encoding: .utf8).hasPrefix("rank,customer_id,churn_probability,percentile,risk_band,"
      + "reason_1,reason_2,reason_3,expected_revenue_at_risk,segment,change,warnings,band_from,health,health_baseline,health_service,health_finance,health_commercial,health_engagement,health_account\n"))
  }

  @Test("A rule the model's inputs cannot serve is refused when the model is made; a damaged stored rule names the model file")
  func errors() throws {
    let table = plantedTable()
    let model = try modelFile(table, ModelSettings())
    let bad = try WarningRules([WarningRule(name: "c", severity: .red, condition: "ticket > 2")])
    #expect(throws: WarningRulesError.unknownColumn(RulePlace(path: nil, line: nil, rule: "c"), position: 1, column: "ticket", near: ["tickets"],
                                                    condition: "ticket > 2")) { try model.carrying(bad) }
    let good = try model.carrying(try WarningRules([WarningRule(name: "many tickets", severity: .yellow, condition: "tickets > 1 or plan == \"basic\"")]))
    #expect(try good.storedRules(path: "m.json")?.rules.map(\.name) == ["many tickets"])
    #expect(try good.carrying(nil).warningRules == nil)
    var edited = good
    edited.warningRules = [StoredWarningRule(name: "c", severity: "orange", condition: "tickets > 1")]
    #expect { try edited.storedRules(path: "m.json") } throws: {
      "\($0)" == "model file m.json (rule \"c\"): severity \"orange\" is not one; expected red or yellow"
    }
    edited.warningRules = [StoredWarningRule(name: "c", severity: "red", condition: "tickets >")]
    #expect { try edited.storedRules(path: "m.json") } throws: {
      "\($0)" == "model file m.json (rule \"c\"), character 10: expected a number after >, found the end of the condition\n  tickets >\n           ^"
    }
  }
}
