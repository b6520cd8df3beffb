import ChurnCore
@testable import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// Boosted trees that split on the period first (`BoostingSpec.periodColumn`,
/// `PeriodEncoding.stratified`), checked against the two ensembles they are made of.
@Suite("Survival boosting split on the period first")
struct BoostingByPeriodTests {
  static func fit(_ spec: BoostingSpec, _ x: Matrix, _ y: [Double], _ names: [String], weight: ClassWeight = .none) throws
    -> (model: BoostedModel, shift: Double) {
    let (model, shift) = try spec.fit(x, labels: y, featureNames: names, options: FitOptions(classWeight: weight, seed: 9, threads: 2))
    return (try #require(model as? BoostedModel), shift)
  }

  @Test("Period-1 rows score as the ensemble of the period-1 rows alone (same seed), later rows as the ensemble of theirs",
        arguments: [ClassWeight.none, .balanced])
  func halves(weight: ClassWeight) throws {
    // Period 1 churns on x0, the later periods on x1 (ForestByPeriodTests' rows).
    let (x, y, names) = ForestByPeriodTests.rows(1500, seed: 4)
    let spec = BoostingSpec(treeCount: 20, maxLeaves: 7, minChildRows: 10, periodColumn: "period")
    let joined = try Self.fit(spec, x, y, names, weight: weight)
    let first = (0..<x.rows).filter { x[$0, 2] == 1 }, later = (0..<x.rows).filter { x[$0, 2] > 1 }
    var plain = spec
    plain.periodColumn = nil
    let xa = ForestByPeriodTests.select(x, rows: first, columns: [0, 1]), xb = ForestByPeriodTests.select(x, rows: later, columns: [0, 1, 2])
    let a = try Self.fit(plain, xa, first.map { y[$0] }, ["x0", "x1"], weight: weight)
    let b = try Self.fit(plain, xb, later.map { y[$0] }, names, weight: weight)
    // In log-odds, with each model's prior correction: the joined model's first tree carries the
    // difference of the base scores (rounded to Float with its leaves).
    let s = joined.model.logOdds(x).map { $0 + joined.shift }
    let sa = a.model.logOdds(xa).map { $0 + a.shift }, sb = b.model.logOdds(xb).map { $0 + b.shift }
    for (k, i) in first.enumerated() { #expect(abs(s[i] - sa[k]) < 1e-6, "period-1 row \(i): \(s[i]) against \(sa[k])") }
    for (k, i) in later.enumerated() { #expect(abs(s[i] - sb[k]) < 1e-12, "later row \(i): \(s[i]) against \(sb[k])") }
    #expect(joined.shift == b.shift && (weight == .none) == (joined.shift == 0))
    for (t, tree) in joined.model.trees.enumerated() {
      #expect(tree.feature[0] == 2 && tree.threshold[0] == 1.5 && tree.left[0] == 1 && Int(tree.right[0]) == 1 + a.model.trees[t].nodeCount)
      #expect(tree.nodeCount == 1 + a.model.trees[t].nodeCount + b.model.trees[t].nodeCount)
      #expect(tree.cover[0] == a.model.trees[t].cover[0] + b.model.trees[t].cover[0])
    }
    #expect(joined.model.trees.count == 20 && joined.model.featureNames == names && joined.model.baseScore == b.model.baseScore)
    #expect(abs(joined.model.gainImportance.reduce(0, +) - 1) < 1e-12)
    // Explanations add up: each row's contributions and the expected value give its log-odds.
    for row in [0, 1, 2] {
      let (base, contributions) = joined.model.logOddsShapleyValues(x, row: row)
      #expect(abs(base + contributions.reduce(0, +) - joined.model.logOdds(x)[row]) < 1e-9)
    }
  }

  @Test("Written and read back: the same trees and scores; one ensemble when a period group holds one class")
  func roundTripAndFallback() throws {
    var (x, y, names) = ForestByPeriodTests.rows(800, seed: 5)
    let spec = BoostingSpec(treeCount: 8, maxLeaves: 7, minChildRows: 10, periodColumn: "period")
    let joined = try Self.fit(spec, x, y, names).model
    let read = try JSONDecoder().decode(BoostedModel.self, from: try JSONEncoder().encode(joined))
    #expect(read == joined && read.logOdds(x) == joined.logOdds(x))
    for i in 0..<x.rows where x[i, 2] > 1 { y[i] = 0 }
    var plain = spec
    plain.periodColumn = nil
    #expect(try Self.fit(spec, x, y, names).model == (try Self.fit(plain, x, y, names).model))
  }
}
