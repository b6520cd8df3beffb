import ChurnCore
import ChurnModels
import ChurnTestSupport
import Testing

@Suite("Explanations of a model file")
struct ExplanationTests {
  @Test("Exact and path explanations of a calibrated forest both add up to its probability; auto picks by cost")
  func forestExplanations() throws {
    let data = PlantedSignal(rows: 1500, weights: [1.5, -1.0, 0.6, 0, 0], intercept: -1, seed: 4)
    let table = FeatureTable(ids: data.labels.indices.map { "c\($0)" }, columnNames: data.weights.indices.map { "x\($0)" },
                             columns: data.weights.indices.map { j in .numeric((0..<data.features.rows).map { data.features[$0, j] }) },
                             labels: data.labels)
    let trained = try ModelSettings(family: .forest, trees: 15, minLeaf: 10).fit(table)
    var file = ModelFile(churnVersion: "test", idColumn: "id", labelColumn: "y", trained: trained,
                         training: .init(rows: 1500, churned: 0, dataFingerprint: "", notes: []))
    var calibration = Calibration()
    try calibration.fit(.platt, probabilities: trained.trainingProbabilities, labels: data.labels, source: "training")
    file.calibration = calibration
    let p = try file.probabilities(table)
    for row in 0..<60 {
      for exact in [true, false] {
        let e = file.explain(trained.x, row: row, exact: exact)
        #expect(abs(e.base + e.contributions.reduce(0, +) - p[row]) < 1e-9, "row \(row), exact \(exact)")
      }
    }
    // Both credit the planted signal: x0's contribution has the sign of its value on average.
    var agree = 0
    for row in 0..<200 where abs(data.features[row, 0]) > 1 {
      let e = file.explain(trained.x, row: row, exact: false)
      if (e.contributions[0] > 0) == (data.features[row, 0] > 0) { agree += 1 }
    }
    #expect(agree > 40)
    let scorer = RiskScorer(model: file)
    #expect(scorer.usesExactShapley(rows: 10, method: .auto))
    #expect(!scorer.usesExactShapley(rows: RiskScorer.exactBudget, method: .auto))
    #expect(!scorer.usesExactShapley(rows: 1, method: .path) && scorer.usesExactShapley(rows: 10_000_000, method: .exact))
  }
}
