import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

@Suite("FeatureWeights and WeightsReport")
struct FeatureWeightsTests {
  @Test("Logistic: one row per model column, strongest first, with the planted signs; the grouped view sums |coefficient| per input column")
  func logistic() throws {
    let file = try modelFile(plantedTable(), ModelSettings(.logistic(LogisticSpec())))
    let weights = FeatureWeights(file)
    #expect(weights.isLinear)
    #expect(weights.rows.count == file.preprocessor.outputNames.count)
    #expect(weights.rows.map(\.strength) == weights.rows.map(\.strength).sorted(by: >))
    #expect(weights.rows.prefix(2).map(\.feature).sorted() == ["logins", "tickets"])
    let tickets = try #require(weights.rows.first { $0.feature == "tickets" }?.coefficient)
    let logins = try #require(weights.rows.first { $0.feature == "logins" }?.coefficient)
    #expect(tickets.estimate > 0 && logins.estimate < 0)
    #expect(weights.rows.allSatisfy { $0.permutation == nil && $0.splitImportance == nil })
    #expect(weights.groupBasis == "sum of |coefficient| per +1 SD")
    let planWeight = weights.rows.filter { $0.column == "plan" }.reduce(0) { $0 + $1.strength }
    #expect(weights.groupWeights.first { $0.column == "plan" }?.weight == planWeight)
    let table = weights.table(top: 2).split(separator: "\n")
    #expect(table.count == 3 && table[0] == "feature (per +1 SD)               coef   odds ratio (95% CI)      p    churn pts")
    let csv = weights.csv().split(separator: "\n")
    #expect(csv.first == "feature,category,coefficient,standard_error,odds_ratio,odds_ratio_lower_95,odds_ratio_upper_95,p_value,retention_impact")
    #expect(csv.count == weights.rows.count + 1)
    #expect(weights.csv(top: 1).split(separator: "\n").count == 2)
    #expect(weights.document(grouped: []).model == "logistic")
  }

  @Test("Forest: one row per input column with its impurity share (shares add up to 1); no coefficients")
  func forest() throws {
    let file = try modelFile(plantedTable(), ModelSettings(.forest(ForestSpec(treeCount: 20)), seed: 3))
    let weights = FeatureWeights(file)
    #expect(!weights.isLinear)
    #expect(Set(weights.rows.map(\.feature)) == ["tickets", "logins", "noise", "plan"])
    #expect(weights.rows.allSatisfy { $0.coefficient == nil && $0.feature == $0.column && $0.strength == $0.splitImportance })
    #expect(abs(weights.rows.reduce(0) { $0 + ($1.splitImportance ?? 0) } - 1) < 1e-9)
    #expect(weights.rows.first?.feature == "tickets")
    #expect(weights.groupBasis == "sum of impurity importance")
    #expect(weights.table(top: 20).hasPrefix("feature                      permutation: AUC drop ± sd   impurity\n"))
    #expect(weights.csv().hasPrefix("feature,category,permutation_importance,permutation_sd,impurity_importance\n"))
  }

  @Test("Boosting: the tree importance is named for what it measures (gain, not impurity) in the table, CSV, JSON and grouped view")
  func boostingGain() throws {
    let file = try modelFile(plantedTable(), ModelSettings(.boosting(BoostingSpec(treeCount: 20)), seed: 3))
    let weights = FeatureWeights(file)
    #expect(weights.measure.name == "gain")
    #expect(abs(weights.rows.reduce(0) { $0 + ($1.splitImportance ?? 0) } - 1) < 1e-9)
    #expect(weights.groupBasis == "sum of gain importance")
    #expect(weights.table(top: 20).hasPrefix("feature                      permutation: AUC drop ± sd       gain\n"))
    #expect(weights.table(top: 20).hasSuffix("sorted by gain importance)"))
    #expect(weights.csv().hasPrefix("feature,category,permutation_importance,permutation_sd,gain_importance\n"))
    let entry = try #require(weights.document(grouped: []).features.first)
    #expect(entry.gainImportance != nil && entry.impurityImportance == nil)
  }

  @Test("The library's table, CSV and JSON are what churn weights prints for the same model file", arguments: ["logistic", "forest"])
  func sameAsCLI(family: String) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let spec: ModelSpec = family == "logistic" ? .logistic(LogisticSpec()) : .forest(ForestSpec(treeCount: 10))
    try modelFile(plantedTable(), ModelSettings(spec)).write(to: dir.file("m.json"))
    let report = try WeightsReport(model: dir.file("m.json"))
    let table = try runChurn(["weights", "--model", dir.file("m.json")])
    #expect(table.status == 0 && table.stdout == report.table() + "\n")
    let csv = try runChurn(["weights", "--model", dir.file("m.json"), "--format", "csv", "--top", "3"])
    #expect(csv.status == 0 && csv.stdout == report.csv(top: 3))
    // The grouped shares are sums in groupWeights' order: a fixed one, or the bits change from
    // one process to the next.
    let columns = try FeatureWeights(ModelFile.read(path: dir.file("m.json"))).groupWeights.map(\.column)
    #expect(family == "forest" || columns == columns.sorted())
    let json = try runChurn(["weights", "--model", dir.file("m.json"), "--format", "json"])
    let expected = try report.json() + "\n"
    #expect(json.status == 0 && json.stdout == expected)
  }

  @Test("Rules from a file group the columns; a rule that places none is noted on the log with its line")
  func rules() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try modelFile(plantedTable(), ModelSettings()).write(to: dir.file("m.json"))
    try "pattern,category\nticket,service\nseat,product\nticket,again\nlogin,usage\n".write(toFile: dir.file("rules.csv"), atomically: true, encoding: .utf8)
    let recorded = RecordedLog()
    let report = try WeightsReport(model: dir.file("m.json"), rules: dir.file("rules.csv"), log: recorded.log)
    #expect(recorded.lines == [
      "note: \(dir.file("rules.csv")) line 3: no column name contains \"seat\"",
      "note: \(dir.file("rules.csv")) line 4: every column that contains \"ticket\" is placed by an earlier rule",
    ])
    #expect(Set(report.groups.map(\.category)) == ["service", "usage", "account"])
    #expect(abs(report.groups.reduce(0) { $0 + $1.share } - 1) < 1e-12)
    #expect(report.csv().contains("\ntickets,service,"))
  }
}
