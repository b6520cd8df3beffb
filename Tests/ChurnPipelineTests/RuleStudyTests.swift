import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

@Suite("RuleStudy")
struct RuleStudyTests {
  static let rulesText = "name,severity,condition\ncomplaints,red,count_complaint_90d >= 2\n"
    + #"logins halved,yellow,"pct_change_count_login_30d <= -0.5 and not size == ""large""""# + "\n"
    + "slow and quiet,red,mean_resolution_90d > 3.5 or days_since_last_login > 21\n"

  @Test("Flagged and churned counts equal a computation by hand over the library's features; ratios to 1e-9; the CLI writes the same CSV")
  func againstHand() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = try TrainerTests.simulated(dir)
    try Self.rulesText.write(toFile: dir.file("rules.csv"), atomically: true, encoding: .utf8)
    let rules = try WarningRules.read(path: dir.file("rules.csv"))
    let plan = try ObservationPlan(cutoffs: "2024-04-01:2024-10-01:1m", horizon: "30d")
    let study = try RuleStudy(rules, data: data, plan: plan)

    // The features as churn features writes them, read back as text: the values a user (or
    // pandas) sees. A mean such as 3.5000000000000004 is written 3.5, and 3.5 > 3.5 is false.
    let table = try plan.features(data).table
    try table.writeCSV(to: dir.file("features.csv"))
    let lines = try String(contentsOfFile: dir.file("features.csv"), encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    func text(_ name: String) -> [String] { let c = lines[0].firstIndex(of: Substring(name))!; return lines.dropFirst().map { String($0[c]) } }
    func numeric(_ name: String) -> [Double] { text(name).map { Double($0) ?? .nan } }
    let size: [String?] = text("size").map { $0.isEmpty ? nil : $0 }
    let complaints = numeric("count_complaint_90d"), logins = numeric("pct_change_count_login_30d")
    let resolution = numeric("mean_resolution_90d"), quiet = numeric("days_since_last_login")
    #expect(resolution.count == table.rowCount)
    let labels = table.labels!
    let rows = labels.indices.filter { !labels[$0].isNaN }
    // By hand, with the missing-value rule spelled out (a comparison on NaN or nil is unknown).
    let hand: [(Int) -> Bool] = [
      { !complaints[$0].isNaN && complaints[$0] >= 2 },
      { !logins[$0].isNaN && logins[$0] <= -0.5 && size[$0] != nil && size[$0] != "large" },
      { (!resolution[$0].isNaN && resolution[$0] > 3.5) || (!quiet[$0].isNaN && quiet[$0] > 21) },
    ]
    let all = hand + [{ hand[0]($0) || hand[2]($0) }, { i in hand.contains { $0(i) } }]
    let churners = rows.filter { labels[$0] == 1 }.count
    let rate = Double(churners) / Double(rows.count)
    #expect(study.labelledRows == rows.count && study.churned == churners)
    #expect(study.measures.map(\.rule) == ["complaints", "logins halved", "slow and quiet", "(any red rule)", "(any rule)"])
    for (m, rule) in zip(study.measures, all) {
      let flagged = rows.filter(rule), churned = flagged.filter { labels[$0] == 1 }.count
      #expect(m.flagged == flagged.count && m.churned == churned, "\(m.rule)")
      #expect(flagged.count > 0 && churned > 0, "\(m.rule): a rule that flags nobody tests little")
      let precision = Double(churned) / Double(flagged.count)
      #expect(abs(m.precision.value - precision) < 1e-9 && abs(m.recall - Double(churned) / Double(churners)) < 1e-9)
      #expect(abs(m.lift - precision / rate) < 1e-9)
    }
    // Some rows have a missing value in a rule's column, so the missing-value rule is exercised.
    #expect(rows.contains { resolution[$0].isNaN } && rows.contains { quiet[$0].isNaN })
    // And some raw means differ from their written value just at the rule's threshold.
    guard case .numeric(let raw) = table.columns[table.columnIndex("mean_resolution_90d")!] else { return }
    #expect(rows.contains { raw[$0] > 3.5 && resolution[$0] == 3.5 })

    let run = try runChurn(["rules", "--rules", dir.file("rules.csv"), "--events", data.events, "--customers", data.customers!,
                            "--cutoffs", "2024-04-01:2024-10-01:1m", "--threads", "1", "--out", "-"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout == study.csv)
    #expect(run.stderr.contains(study.text))
  }

  @Test("With a model: features from its spec, and its precision among as many of its riskiest rows as each rule flagged")
  func withModel() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = try TrainerTests.simulated(dir)
    try Self.rulesText.write(toFile: dir.file("rules.csv"), atomically: true, encoding: .utf8)
    let model = try Trainer(settings: ModelSettings(.logistic(LogisticSpec(l2Penalty: 10)), threads: 1))
      .train(data, plan: try ObservationPlan(cutoffs: "2024-03-01:2024-08-01:1m", horizon: "30d")).model
    let plan = try ObservationPlan(cutoffs: "2024-09-01:2024-11-01:1m", horizon: "30d")
    let study = try RuleStudy(try WarningRules.read(path: dir.file("rules.csv")), data: data, plan: plan, model: model)
    #expect(study.withModel)
    let table = try plan.features(data).table
    let labelled = table.rows(table.labelledRows)
    let p = try model.probabilities(labelled)
    let labels = labelled.labels!
    let order = p.indices.sorted { p[$0] > p[$1] }
    for m in study.measures where m.flagged > 0 {
      let k = m.flagged
      // Logistic probabilities do not tie here, so the top k are plain.
      #expect(k == order.count || p[order[k - 1]] != p[order[k]])
      let churned = order.prefix(k).filter { labels[$0] == 1 }.count
      #expect(abs(m.modelPrecision! - Double(churned) / Double(k)) < 1e-12, "\(m.rule)")
      #expect(abs(m.modelLift! - m.modelPrecision! / study.churnRate) < 1e-12)
    }
    #expect(study.text.contains("model precision"))
    #expect(study.csv.split(separator: "\n")[1].split(separator: ",", omittingEmptySubsequences: false)[10] != "")
  }

  @Test("From a table: only the labelled rows are measured, the probabilities of the same rows; no feature run")
  func fromTable() throws {
    var table = plantedTable(rows: 200)
    table.labels![0] = .nan
    table.labels![1] = .nan
    let rules = try WarningRules([WarningRule(name: "many tickets", severity: .red, condition: "tickets > 0.5")])
    // The two unlabelled rows get the highest probabilities: were they kept, the model's top rows would be them.
    let p = (0..<200).map { $0 < 2 ? 1.0 : Double($0) / 1000 }
    let study = try RuleStudy(rules, table: table, probabilities: p)
    let rows = Array(2..<200), labels = rows.map { table.labels![$0] }
    guard case .numeric(let tickets) = table.columns[0] else { return }
    let flagged = rows.filter { tickets[$0] > 0.5 }
    #expect(study.features == nil && study.ruleCount == 1 && study.labelledRows == 198)
    #expect(study.measures[0].flagged == flagged.count && study.measures[0].churned == flagged.filter { table.labels![$0] == 1 }.count)
    let top = RuleMeasure.TopPrecision(probabilities: rows.map { p[$0] }, labels: labels)
    #expect(study.measures[0].modelPrecision == top.precision(at: flagged.count))
    #expect(study.measures.map(\.rule) == ["many tickets", "(any red rule)", "(any rule)"])
    #expect(study.text.split(separator: "\n")[3].hasPrefix("-----"))
  }

  @Test("No labelled row: RuleStudyError.noLabels with its exact text")
  func noLabels() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = try TrainerTests.simulated(dir)
    try Self.rulesText.write(toFile: dir.file("rules.csv"), atomically: true, encoding: .utf8)
    let plan = try ObservationPlan(cutoff: ["2024-12-20"], horizon: "30d")
    #expect {
      try RuleStudy(try WarningRules.read(path: dir.file("rules.csv")), data: data, plan: plan)
    } throws: { error in
      let text = "\(error)"
      return text.hasPrefix("none of the ") && text.hasSuffix(" rows has a known label (their horizons run past the end of the data); "
        + "expected cutoffs at least one horizon before the last event: choose earlier --cutoffs")
    }
  }
}
