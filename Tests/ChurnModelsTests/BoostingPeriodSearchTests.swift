import ChurnCore
@testable import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// The default search of boosted trees split on the period first (`BoostingSpec.periodColumn`):
/// each period half fitted and stopped on its own rows, as the model is fitted.
@Suite("Boosting search split on the period first")
struct BoostingPeriodSearchTests {
  /// `ForestByPeriodTests.rows` as a table: x0, x1, period (1 … 3). Period 1 churns on x0, the
  /// later periods on x1.
  static func table(_ n: Int, seed: UInt64) -> FeatureTable {
    let (x, y, names) = ForestByPeriodTests.rows(n, seed: seed)
    return FeatureTable(ids: (0..<n).map { "c\($0)" }, columnNames: names,
                        columns: (0..<3).map { j in .numeric((0..<n).map { x[$0, j] }) }, labels: y)
  }

  static let stratified = BoostingSpec(periodColumn: "period")

  static func maxDifference(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
  }

  @Test("Period-1 rows get each candidate's period-1 ensemble, later rows the later settings of least log loss; the completed candidates fitted score the same",
        arguments: [ClassWeight.none, .balanced])
  func halves(classWeight: ClassWeight) throws {
    let table = Self.table(1800, seed: 12)
    let folds = try Folds.stratified(labels: table.labels!, k: 3, seed: 1)
    let settings = ModelSettings(.boosting(Self.stratified), classWeight: classWeight, seed: 3, threads: 1)
    // At most 20 rounds: no fit stops early, so every candidate's predictions are its own.
    let candidates = BoostingSearchTests.candidates(rounds: [5, 12, 20], spec: Self.stratified)
    let found = try settings.spec.learner.searchPredictions(candidates, table: table, folds: folds, settings: settings)
    let scored = try #require(found[0].candidates)
    #expect(found.allSatisfy { $0.candidates == scored })
    // Each candidate fitted as given: its own settings for both halves.
    let alone = try HyperparameterSearch.fitEach(candidates, table: table, folds: folds, settings: settings)
    let period = try #require(table.columnIndex("period"))
    guard case .numeric(let k) = table.columns[period] else { Issue.record("period not numeric"); return }
    // The later settings: the least log loss on the later test rows, each fold weighted 1 / its rows.
    var losses = [Double](repeating: 0, count: candidates.count)
    for (f, fold) in folds.enumerated() {
      for c in candidates.indices {
        for (r, i) in fold.test.enumerated() where k[i] > 1 {
          let p = alone[f].probabilities[c][r], y = alone[f].labels[r]
          losses[c] -= log(y == 1 ? p : 1 - p) / Double(fold.test.count)
        }
      }
    }
    let later = losses.indices.min { losses[$0] < losses[$1] }!
    guard case .boosting(let chosen) = candidates[later] else { Issue.record("not boosting"); return }
    for (c, candidate) in scored.enumerated() {
      guard case .boosting(let s) = candidate, case .boosting(let given) = candidates[c] else { Issue.record("not boosting"); continue }
      #expect((s.treeCount, s.maxLeaves, s.minChildRows) == (given.treeCount, given.maxLeaves, given.minChildRows))
      #expect((s.laterSpec.treeCount, s.laterSpec.maxLeaves, s.laterSpec.minChildRows) == (chosen.treeCount, chosen.maxLeaves, chosen.minChildRows),
              "candidate \(c): \(s.summary), least later log loss \(candidates[later].learner.summary)")
    }
    #expect(Set(scored.map { $0.learner.summary }).count == candidates.count)
    let completed = try HyperparameterSearch.fitEach(scored, table: table, folds: folds, settings: settings)
    for (f, fold) in folds.enumerated() {
      for c in candidates.indices {
        let firstRows = fold.test.indices.filter { k[fold.test[$0]] == 1 }, laterRows = fold.test.indices.filter { k[fold.test[$0]] > 1 }
        let p = found[f].probabilities[c]
        // Period 1: the candidate's own period-1 ensemble (the joined model's first tree carries
        // the base score difference, rounded to Float with its leaves).
        #expect(Self.maxDifference(firstRows.map { p[$0] }, firstRows.map { alone[f].probabilities[c][$0] }) < 1e-6)
        #expect(Self.maxDifference(laterRows.map { p[$0] }, laterRows.map { alone[f].probabilities[later][$0] }) < 1e-12)
        #expect(Self.maxDifference(p, completed[f].probabilities[c]) < 1e-6, "\(fold.name), \(scored[c].learner.summary)")
      }
    }
  }

  @Test("Test rows of period 1 only (out-of-time folds): each candidate's period-1 ensemble alone, the later half not judged, said in the note")
  func firstPeriodTestRows() throws {
    let table = Self.table(1500, seed: 13)
    let k = (0..<table.rowCount).map { $0 % 3 + 1 }
    let fold = Fold(name: "2025-06-01", train: Array(0..<1200), test: (1200..<1500).filter { k[$0] == 1 })
    let settings = ModelSettings(.boosting(Self.stratified), seed: 4, threads: 1)
    let candidates = BoostingSearchTests.candidates(rounds: [4, 10], spec: Self.stratified)
    let found = try settings.spec.learner.searchPredictions(candidates, table: table, folds: [fold], settings: settings)
    #expect(found[0].candidates == nil)
    #expect(found[0].note == "one fit per setting, per period half and fold, up to 10 trees, stopped after 20 rounds without a lower log loss; "
      + "the test rows are all period 1: each candidate's period-1 ensemble fitted and stopped on its own rows; "
      + "the later periods' ensemble, not judged, gets the candidate's settings")
    let alone = try HyperparameterSearch.fitEach(candidates, table: table, folds: [fold], settings: settings)
    for c in candidates.indices {
      #expect(Self.maxDifference(found[0].probabilities[c], alone[0].probabilities[c]) < 1e-6, "\(candidates[c].learner.summary)")
    }
    // The period-1 rows alone, without the period column, searched as a fixed-horizon model: the same predictions.
    let firstRows = (0..<table.rowCount).filter { k[$0] == 1 }
    let firstTable = table.rows(firstRows)
    let plainTable = FeatureTable(ids: firstTable.ids, columnNames: ["x0", "x1"], columns: Array(firstTable.columns.prefix(2)), labels: firstTable.labels)
    let position = Dictionary(uniqueKeysWithValues: firstRows.enumerated().map { ($1, $0) })
    let plainFold = Fold(name: fold.name, train: fold.train.compactMap { position[$0] }, test: fold.test.map { position[$0]! })
    let plainCandidates = BoostingSearchTests.candidates(rounds: [4, 10])
    let plainSettings = ModelSettings(.boosting(BoostingSpec()), seed: 4, threads: 1)
    let fixed = try plainSettings.spec.learner.searchPredictions(plainCandidates, table: plainTable, folds: [plainFold], settings: plainSettings)
    for c in candidates.indices {
      #expect(Self.maxDifference(found[0].probabilities[c], fixed[0].probabilities[c]) < 1e-6, "\(candidates[c].learner.summary)")
    }
  }

  @Test("A model with later settings of its own: period-1 rows score as the period-1 ensemble, later rows as the later one; written and read back; S(k) non-increasing")
  func laterSettings() throws {
    let (x, y, names) = ForestByPeriodTests.rows(1500, seed: 6)
    var spec = BoostingSpec(treeCount: 6, maxLeaves: 7, minChildRows: 10, periodColumn: "period")
    (spec.laterTreeCount, spec.laterMaxLeaves, spec.laterMinChildRows) = (15, 15, 30)
    #expect(spec.summary == "6 trees, learning rate 0.1, 7 leaves, min leaf 10, period 1 apart (later periods: 15 trees, 15 leaves, min leaf 30)")
    let joined = try BoostingByPeriodTests.fit(spec, x, y, names).model
    let first = (0..<x.rows).filter { x[$0, 2] == 1 }, later = (0..<x.rows).filter { x[$0, 2] > 1 }
    let xa = ForestByPeriodTests.select(x, rows: first, columns: [0, 1]), xb = ForestByPeriodTests.select(x, rows: later, columns: [0, 1, 2])
    let a = try BoostingByPeriodTests.fit(BoostingSpec(treeCount: 6, maxLeaves: 7, minChildRows: 10), xa, first.map { y[$0] }, ["x0", "x1"]).model
    let b = try BoostingByPeriodTests.fit(BoostingSpec(treeCount: 15, maxLeaves: 15, minChildRows: 30), xb, later.map { y[$0] }, names).model
    #expect(joined.trees.count == 15 && a.trees.count == 6 && b.trees.count == 15)
    let s = joined.logOdds(x), sa = a.logOdds(xa), sb = b.logOdds(xb)
    for (r, i) in first.enumerated() { #expect(abs(s[i] - sa[r]) < 1e-6, "period-1 row \(i)") }
    for (r, i) in later.enumerated() { #expect(abs(s[i] - sb[r]) < 1e-12, "later row \(i)") }
    let read = try JSONDecoder().decode(BoostedModel.self, from: try JSONEncoder().encode(joined))
    #expect(read == joined && read.logOdds(x) == s)
    // The spec's JSON: the later settings round trip, and are absent when nil.
    let encoded = try JSONEncoder().encode(spec)
    #expect(try JSONDecoder().decode(BoostingSpec.self, from: encoded) == spec)
    let plain = String(decoding: try JSONEncoder().encode(BoostingSpec(periodColumn: "period")), as: UTF8.self)
    #expect(!plain.contains("later"))
    // S(k) = Π (1 − h_j) over the rows set to periods 1, 2, 3: in [0, 1] and non-increasing.
    var survival = [Double](repeating: 1, count: x.rows)
    for k in 1...3 {
      let rows = Matrix(rows: x.rows, columns: 3, storage: (0..<x.rows).flatMap { [x[$0, 0], x[$0, 1], Double(k)] })
      let h = joined.probabilities(rows)
      for i in 0..<x.rows {
        let next = survival[i] * (1 - h[i])
        #expect(next.isFinite && next >= 0 && next <= survival[i], "row \(i), period \(k): \(survival[i]) then \(next)")
        survival[i] = next
      }
    }
  }

  @Test("A later setting out of range is an error naming it, exactly")
  func laterValidation() {
    var spec = BoostingSpec(periodColumn: "period")
    spec.laterTreeCount = 0
    #expect(throws: HyperparameterError(flag: "", property: "BoostingSpec.laterTreeCount", value: "0", expected: "1...10000",
                                        fix: "leave it nil (the period-1 ensemble's rounds) or use 25 to 1000")) { try spec.validate() }
    do {
      try spec.validate()
    } catch {
      #expect("\(error)" == "BoostingSpec.laterTreeCount is 0; expected 1...10000; fix: leave it nil (the period-1 ensemble's rounds) or use 25 to 1000")
    }
  }
}
