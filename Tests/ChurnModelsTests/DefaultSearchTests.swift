import ChurnCore
@testable import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// The families' default searches (`ModelLearner.searchCandidates` / `searchPredictions`):
/// the logistic λ₂ path with warm starts, the forest's leaf size and features per split.
@Suite("Default hyperparameter search of each family")
struct DefaultSearchTests {
  /// A planted-signal table: 8 numeric columns, the first three carry the signal.
  static func table(rows: Int, seed: UInt64) -> FeatureTable {
    let data = PlantedSignal(rows: rows, weights: [1.2, -0.8, 0.5, 0, 0, 0, 0.1, 0], seed: seed)
    let columns = (0..<data.features.columns).map { j in FeatureTable.Column.numeric((0..<rows).map { data.features[$0, j] }) }
    return FeatureTable(ids: (0..<rows).map { "c\($0)" }, columnNames: (0..<columns.count).map { "x\($0)" }, columns: columns, labels: data.labels)
  }

  @Test("The warm-started λ₂ path gives the cold fits' models, in fewer iterations", arguments: [LogisticRegression.Solver.newton, .lbfgs])
  func warmPathEqualsColdFits(solver: LogisticRegression.Solver) throws {
    let data = PlantedSignal(rows: 4000, weights: [1.5, -1.0, 0.5, 0, 0, 0.2, 0, 0, -0.3, 0], seed: 7)
    let base = LogisticRegression(l2Penalty: 1, solver: solver, computeStandardErrors: false)
    let path = try LogisticPath(base: base).fit(features: data.features, labels: data.labels)
    #expect(path.map(\.l2Penalty) == LogisticPath.defaultPenalties)
    var warm = 0, cold = 0
    for model in path {
      var regression = base
      regression.l2Penalty = model.l2Penalty
      let alone = try regression.fit(features: data.features, labels: data.labels)
      #expect(model.converged && alone.converged)
      #expect(maxRelativeDifference(model.coefficients + [model.intercept], alone.coefficients + [alone.intercept]) < 1e-6,
              "λ₂ \(model.l2Penalty): warm \(model.coefficients) cold \(alone.coefficients)")
      warm += model.iterations
      cold += alone.iterations
    }
    #expect(warm < cold, "\(solver): \(warm) warm-started iterations against \(cold) cold")
  }

  @Test("A start point is where the solver starts: from the solution it stops at once")
  func startAtSolution() throws {
    let data = PlantedSignal(rows: 2000, weights: [1.0, -0.5, 0.25], seed: 2)
    let regression = LogisticRegression(l2Penalty: 3)
    let first = try regression.fit(features: data.features, labels: data.labels)
    let again = try regression.fit(features: data.features, labels: data.labels, start: [first.intercept] + first.coefficients)
    #expect(first.iterations > 1 && again.iterations == 0 && again.coefficients == first.coefficients)
  }

  @Test("Logistic candidates: the λ₂ path, or nothing when a penalty is given or the fit is L1")
  func logisticCandidates() {
    let spec = LogisticSpec()
    #expect(spec.searchCandidates(columns: 10, fixed: []).map { $0.learner.summary }
      == ["l2 10000", "l2 3000", "l2 1000", "l2 300", "l2 100", "l2 30", "l2 10", "l2 3", "l2 1"])
    #expect(spec.searchCandidates(columns: 10, fixed: ["l2Penalty"]).isEmpty)
    #expect(spec.searchCandidates(columns: 10, fixed: ["l1Penalty"]).isEmpty)
    #expect(LogisticSpec(l1Penalty: 2).searchCandidates(columns: 10, fixed: []).isEmpty)
  }

  @Test("Forest candidates: leaf size × features per split; a given value is kept, both given: nothing")
  func forestCandidates() {
    let spec = ForestSpec(treeCount: 80)
    #expect(spec.searchCandidates(columns: 25, fixed: []).map { $0.learner.summary } == [
      "80 trees, min leaf 5, √d features per split", "80 trees, min leaf 5, 10 features per split",
      "80 trees, min leaf 20, √d features per split", "80 trees, min leaf 20, 10 features per split",
      "80 trees, min leaf 50, √d features per split", "80 trees, min leaf 50, 10 features per split",
      "80 trees, min leaf 100, √d features per split", "80 trees, min leaf 100, 10 features per split",
    ])
    #expect(ForestSpec(minLeafSize: 50).searchCandidates(columns: 25, fixed: ["minLeafSize"]).map { $0.learner.summary }
      == ["100 trees, min leaf 50, √d features per split", "100 trees, min leaf 50, 10 features per split"])
    #expect(ForestSpec(featuresPerSplit: 3).searchCandidates(columns: 25, fixed: ["featuresPerSplit"]).map { $0.learner.summary }
      == [5, 20, 50, 100].map { "100 trees, min leaf \($0), 3 features per split" })
    #expect(spec.searchCandidates(columns: 25, fixed: ["minLeafSize", "featuresPerSplit"]).isEmpty)
  }

  @Test("A large fold: the λ₂ path is fitted on a seeded sample of its training rows and scored on a sample of its test rows, said in the note")
  func logisticSampledRows() throws {
    let table = Self.table(rows: 3000, seed: 9)
    let fold = Fold(name: "big", train: Array(0..<2000), test: Array(2000..<3000))
    let settings = ModelSettings(seed: 4, threads: 1)
    let spec = LogisticSpec()
    let candidates = spec.searchCandidates(columns: 8, fixed: [])
    let found = try spec.searchPredictions(candidates, table: table, folds: [fold], settings: settings, limits: (training: 700, test: 300))
    #expect(found[0].note == "fitted on at most 700 sampled training rows and scored on at most 300 test rows per fold")
    let train = HyperparameterSearch.sample(fold.train, limit: 700, seed: 4)
    let test = HyperparameterSearch.sample(fold.test, limit: 300, seed: 4)
    #expect(train.count == 700 && Set(train).count == 700 && train == train.sorted() && Set(train).isSubset(of: fold.train))
    #expect(test.count == 300 && Set(test).isSubset(of: fold.test) && HyperparameterSearch.sample(fold.test, limit: 300, seed: 5) != test)
    #expect(found[0].labels == test.map { table.labels![$0] })
    // The same as the search on a fold made of the samples, which no limit touches.
    let alone = try spec.searchPredictions(candidates, table: table, folds: [Fold(name: "big", train: train, test: test)], settings: settings)
    #expect(alone[0].note == nil && alone[0].probabilities == found[0].probabilities)
    #expect(HyperparameterSearch.sample(fold.train, limit: 2000, seed: 4) == fold.train)
  }

  @Test("The logistic search's predictions equal those of each candidate fitted on the fold (to its looser tolerance)")
  func logisticPredictionsEqualFits() throws {
    let table = Self.table(rows: 1500, seed: 5)
    let folds = try Folds.stratified(labels: table.labels!, k: 3, seed: 1)
    let settings = ModelSettings(threads: 1)
    let candidates = settings.spec.learner.searchCandidates(columns: 8, fixed: [])
    let found = try settings.spec.learner.searchPredictions(candidates, table: table, folds: folds, settings: settings)
    #expect(found.map(\.name) == ["fold 1 of 3", "fold 2 of 3", "fold 3 of 3"])
    for (f, fold) in folds.enumerated() {
      #expect(found[f].labels == table.rows(fold.test).labels!)
      for (c, candidate) in candidates.enumerated() {
        var s = settings
        s.spec = candidate
        let p = try s.fit(table.rows(fold.train)).probabilities(table.rows(fold.test))
        #expect(zip(found[f].probabilities[c], p).map { abs($0 - $1) }.max()! < 1e-5, "\(fold.name), \(candidate.learner.summary)")
      }
    }
  }

  @Test("The forest search scores out of bag on cross-validation folds, and on the folds' test rows on time folds")
  func forestOutOfBag() throws {
    let table = Self.table(rows: 600, seed: 9)
    let settings = ModelSettings(.forest(ForestSpec(treeCount: 30)), seed: 4, threads: 1)
    let candidates = settings.spec.learner.searchCandidates(columns: 8, fixed: [])
    let kfold = try Folds.stratified(labels: table.labels!, k: 3, seed: 1)
    let oob = try settings.spec.learner.searchPredictions(candidates, table: table, folds: kfold, settings: settings)
    #expect(oob.count == 1 && oob[0].name == "out-of-bag" && oob[0].note == "30 trees per candidate forest")
    // 30 trees: a row is in every bag with probability 0.632³⁰ ≈ 10⁻⁶, so every row is scored.
    #expect(oob[0].probabilities.count == candidates.count && oob[0].labels == table.labels!)
    // Each candidate's out-of-bag predictions are those of its forest fitted on every row.
    for c in [0, candidates.count - 1] {
      var s = settings
      s.spec = candidates[c]
      let forest = try #require(s.fit(table).model as? ForestModel)
      #expect(oob[0].probabilities[c] == forest.outOfBag, "\(candidates[c].learner.summary)")
    }
    // With balanced class weights the out-of-bag values are corrected back to the churn rate,
    // as the forest's own leaves are.
    var balanced = settings
    balanced.classWeight = .balanced
    let shifted = try balanced.spec.learner.searchPredictions(candidates, table: table, folds: kfold, settings: balanced)
    var s = balanced
    s.spec = candidates[0]
    let forest = try #require(s.fit(table).model as? ForestModel)
    let shift = ClassWeight.balanced.priorShift(labels: table.labels!)
    #expect(shift != 0 && shifted[0].probabilities[0] == forest.outOfBag.map { Calibration.shift($0, by: shift) })
    // Time folds: one result per fold, on its test rows.
    var timed = table
    timed.cutoffs = (0..<600).map { Int64($0 / 200) * 86_400_000 * 30 }
    let folds = Folds.timeOrdered(cutoffs: timed.cutoffs!, labels: timed.labels!, labelWindowEnd: { $0 + 86_400_000 * 30 })
    let byFold = try settings.spec.learner.searchPredictions(candidates, table: timed, folds: folds, settings: settings)
    #expect(byFold.map(\.name) == folds.map(\.name) && byFold.map(\.labels.count) == folds.map(\.test.count))
  }

  @Test("On time folds the forest search's predictions are those of each candidate fitted alone on the fold, with 1 and 2 threads",
        arguments: [1, 2])
  func forestFoldPredictionsEqualFits(threads: Int) throws {
    // The candidates share the fold's binned rows and skip the out-of-bag walk: the same forests.
    var table = Self.table(rows: 600, seed: 12)
    table.cutoffs = (0..<600).map { Int64($0 / 200) * 86_400_000 * 30 }
    let folds = Folds.timeOrdered(cutoffs: table.cutoffs!, labels: table.labels!, labelWindowEnd: { $0 + 86_400_000 * 30 })
    for weight in [ClassWeight.none, .balanced] {
      let settings = ModelSettings(.forest(ForestSpec(treeCount: 10)), classWeight: weight, seed: 6, threads: threads)
      let candidates = settings.spec.learner.searchCandidates(columns: 8, fixed: [])
      let found = try settings.spec.learner.searchPredictions(candidates, table: table, folds: folds, settings: settings)
      try #require(found.count == folds.count && !folds.isEmpty)
      for (f, fold) in folds.enumerated() {
        for (c, candidate) in candidates.enumerated() {
          var s = settings
          s.spec = candidate
          let p = try s.fit(table.rows(fold.train)).probabilities(table.rows(fold.test))
          #expect(found[f].probabilities[c] == p, "\(weight), \(fold.name), \(candidate.learner.summary)")
        }
      }
    }
  }
}
