import ChurnCore
import ChurnModels
import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

/// `Tuning` with a search that completes its candidates (boosting split on the period first:
/// the later periods' settings chosen on their own test rows).
@Suite("Tuning: boosting split on the period first")
struct BoostingPeriodTuningTests {
  @Test("The record lists and the choice returns the candidates as the search completed them, by the least mean log loss")
  func completedCandidates() throws {
    // x0, x1, period (1 … 3): period 1 churns on x0, the later periods on x1.
    let n = 1500
    let features = randomMatrix(rows: n, columns: 2, seed: 31)
    var rng = SeededGenerator(seed: 31, stream: 3)
    var x0: [Double] = [], x1: [Double] = [], period: [Double] = [], y: [Double] = []
    for i in 0..<n {
      let k = Double(i % 3 + 1)
      x0.append(features[i, 0])
      x1.append(features[i, 1])
      period.append(k)
      let eta = k == 1 ? -1 + 2.5 * features[i, 0] : -2 + 2 * features[i, 1]
      y.append(rng.uniform() < 1 / (1 + exp(-eta)) ? 1 : 0)
    }
    let table = FeatureTable(ids: (0..<n).map { "c\($0)" }, columnNames: ["x0", "x1", "period"],
                             columns: [.numeric(x0), .numeric(x1), .numeric(period)], labels: y)
    let folds = try Folds.stratified(labels: y, k: 3, seed: 2)
    let settings = ModelSettings(.boosting(BoostingSpec(treeCount: 10, periodColumn: "period")), seed: 5, threads: 1)
    let lines = RecordedLog()
    let (chosen, record) = try Tuning(metric: .logLoss, folds: 3, candidates: .search(fixed: ["treeCount"]))
      .choose(table, folds: folds, settings: settings, log: lines.log)
    let r = try #require(record)
    let given = settings.spec.learner.searchCandidates(columns: 3, fixed: ["treeCount"])
    let found = try settings.spec.learner.searchPredictions(given, table: table, folds: folds, settings: settings)
    let completed = try #require(found[0].candidates)
    #expect(r.candidates.map(\.settings) == completed.map { $0.learner.summary })
    #expect(r.candidates.contains { $0.settings.contains("(later periods: ") })
    let best = r.candidates.indices.min { r.candidates[$0].meanLogLoss < r.candidates[$1].meanLogLoss }!
    #expect(chosen.spec == completed[best] && r.chosen == chosen.summary && chosen.summary == r.candidates[best].settings)
    let later = try #require(chosen.spec.learner as? BoostingSpec).laterSpec
    #expect(r.reason == "lowest mean log loss over 3 cross-validation folds; each period half fitted apart; the later periods' ensemble "
      + "10 trees, \(later.maxLeaves) leaves, min leaf \(later.minChildRows) for every candidate (lowest log loss on their 1000 test rows)")
    #expect(lines.lines.contains("default search chose \(r.chosen) (\(r.reason))"))
  }
}
