import ChurnCore
@testable import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// Exact TreeSHAP keeps its values when its computation changes: the library's contributions
/// against the walk it had before (`PreviousTreeSHAP.swift`, kept verbatim), on forests with
/// counted and class-weighted covers and on boosted trees with and without missing values, and
/// through `RiskScorer` with 1 and 2 threads.
@Suite("TreeSHAP pinned to the previous walk")
struct TreeSHAPPinTests {
  static func gap(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "\(a.count) against \(b.count) values")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
  }

  @Test("Forests, counted and class-weighted covers: the previous walk's Shapley values (1e-12), adding up to the probability (1e-9)")
  func forests() throws {
    let data = PlantedSignal(rows: 1200, weights: [1.2, -0.8, 0.4, 0, 0, 0.15], seed: 31)
    // Rows outside the training range too, and ties at thresholds (rounded values).
    var test = randomMatrix(rows: 40, columns: 6, seed: 32)
    for i in stride(from: 0, to: test.rows, by: 3) { test[i, 2] = (test[i, 2] * 2).rounded() / 2 }
    let settings = [RandomForest(treeCount: 4, minLeafSize: 3, seed: 5),
                    RandomForest(treeCount: 3, featuresPerSplit: 3, minLeafSize: 2, classWeight: .balanced, seed: 6)]
    for (s, setting) in settings.enumerated() {
      let forest = try setting.fit(features: data.features, labels: data.labels)
      #expect(forest.trees.allSatisfy { $0.nodeCount > 100 }, "trees too small: \(forest.trees.map(\.nodeCount))")
      let p = forest.probabilities(test)
      let scale = 1 / Double(forest.trees.count)
      // All rows at once (blocks of rows walked together): each row's values are its own walk's bits.
      let together = forest.shapleyValues(test, rows: Array(0..<test.rows))
      for row in 0..<test.rows {
        let own = forest.shapleyValues(test, row: row)
        #expect(together[row].base.bitPattern == own.base.bitPattern && together[row].contributions.map(\.bitPattern) == own.contributions.map(\.bitPattern),
                "forest \(s) row \(row): a block's values differ from the row's own")
        let previous = previousEnsembleShapley(forest.trees, row: test.row(row))
        #expect(abs(own.base - previous.expected * scale) <= 1e-12, "forest \(s) row \(row): base \(own.base) vs \(previous.expected * scale)")
        let gap = Self.gap(own.contributions, previous.phi.map { $0 * scale })
        #expect(gap <= 1e-12, "forest \(s) row \(row): contributions differ by \(gap)")
        #expect(abs(own.base + own.contributions.reduce(0, +) - p[row]) <= 1e-9, "forest \(s) row \(row): sum")
      }
    }
  }

  @Test("Boosted trees, with and without missing values: the previous walk's Shapley values in log-odds (1e-12), and probability points adding up (1e-9)")
  func boosting() throws {
    let cases: [(String, (x: Matrix, labels: [Double]))] = [("no missing values", BoostingTests.plantedMatrix(rows: 800, seed: 8)),
                                                            ("missing values", BoostingMissingTests.plantedWithMissing(rows: 800, seed: 9))]
    for (name, (x, labels)) in cases {
      let model = try BoostingMissingTests.fit(x, labels, BoostingSpec(treeCount: 12, learningRate: 0.2, maxLeaves: 15, minChildRows: 5))
      #expect(name == "no missing values" || model.trees.contains { !$0.defaultLeft.isEmpty }, "no split sends missing values left")
      let logOdds = model.logOdds(x), p = model.probabilities(x)
      let rows = Array(stride(from: 0, to: x.rows, by: 20))
      let together = model.contributions(x, rows: rows, exact: true)
      for (k, row) in rows.enumerated() {
        let own = model.logOddsShapleyValues(x, row: row)
        let previous = previousEnsembleShapley(model.trees, row: x.row(row))
        #expect(abs(own.base - (model.baseScore + previous.expected)) <= 1e-12, "\(name) row \(row): base")
        let gap = Self.gap(own.contributions, previous.phi)
        #expect(gap <= 1e-12, "\(name) row \(row): log-odds contributions differ by \(gap)")
        #expect(abs(own.base + own.contributions.reduce(0, +) - logOdds[row]) <= 1e-9, "\(name) row \(row): log-odds sum")
        let c = model.contributions(x, row: row, exact: true)
        #expect(together[k].base.bitPattern == c.base.bitPattern && together[k].contributions.map(\.bitPattern) == c.contributions.map(\.bitPattern),
                "\(name) row \(row): a block's values differ from the row's own")
        #expect(abs(c.base + c.contributions.reduce(0, +) - p[row]) <= 1e-9, "\(name) row \(row): probability sum")
      }
    }
  }

  @Test("Scoring with exact reasons and health on 1 and 2 threads, with and without a calibration: the same bits, equal to each row's explanation", arguments: [ModelFamily.forest, .boosting])
  func threads(family: ModelFamily) throws {
    let data = PlantedSignal(rows: 400, weights: [1.5, -1.0, 0.6, 0, 0.3], intercept: -1, seed: 12)
    let names = data.weights.indices.map { "x\($0)" }
    let table = FeatureTable(ids: data.labels.indices.map { "c\($0)" }, columnNames: names,
                             columns: data.weights.indices.map { j in .numeric((0..<data.features.rows).map { data.features[$0, j] }) },
                             labels: data.labels)
    let trained = try testSettings(family, trees: 6, minLeaf: 5).fit(table)
    var file = ModelFile(churnVersion: "test", idColumn: "id", labelColumn: "y", trained: trained,
                         training: .init(rows: table.rowCount, churned: 0, dataFingerprint: "", notes: []))
    let dimensions = RiskScorer.Dimensions(ofColumn: [0, 0, 1, 1, 2], count: 3)
    let x = trained.x
    // Without a calibration, and with one (a prior correction rescales each row's contributions).
    for calibration in [nil, Calibration(priorShift: -0.7)] {
      if let calibration { file.calibration = calibration }
      let scorer = RiskScorer(model: file)
      let runs = try [1, 2].map { threads in
        try scorer.scoreRows(table, revenue: nil, horizonMonths: 1, reasons: 5, reasonRows: 250, threads: threads, method: .exact, dimensions: dimensions)
      }
      let label = calibration == nil ? "uncalibrated" : "calibrated"
      for i in 0..<table.rowCount {
        let (a, b) = (runs[0][i], runs[1][i])
        #expect(a.reasons.map(\.contribution.bitPattern) == b.reasons.map(\.contribution.bitPattern), "\(label) row \(i): reasons")
        #expect(a.dimensionContributions.map(\.bitPattern) == b.dimensionContributions.map(\.bitPattern), "\(label) row \(i): dimensions")
        let e = file.explain(x, row: i, exact: true)
        #expect(abs(e.base + e.contributions.reduce(0, +) - a.probability) <= 1e-9, "\(label) row \(i): contributions add up to the probability")
        let byDimension = (0..<3).map { d in (0..<5).filter { dimensions.ofColumn[$0] == d }.reduce(0.0) { $0 + e.contributions[$1] } }
        #expect(Self.gap(byDimension, a.dimensionContributions) <= 1e-12, "\(label) row \(i): dimensions \(a.dimensionContributions) vs \(byDimension)")
      }
      #expect(runs[0].filter { !$0.reasons.isEmpty }.count >= 200, "\(label): reasons for the 250 riskiest (positive contributions only)")
    }
  }
}
