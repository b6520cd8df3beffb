import ChurnCore
@testable import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// The boosting family's default search (BoostingSearch.swift): rounds by early stopping, a
/// small grid on leaves × minimum leaf.
@Suite("Boosting default search")
struct BoostingSearchTests {
  static func candidates(rounds: [Int], spec: BoostingSpec = BoostingSpec()) -> [ModelSpec] {
    [(7, 20), (31, 100)].flatMap { leaves, minimum in
      rounds.map { r -> ModelSpec in
        var s = spec
        s.treeCount = r
        s.maxLeaves = leaves
        s.minChildRows = minimum
        return .boosting(s)
      }
    }
  }

  @Test("Candidates: rounds × leaves × min leaf; a given value is kept; rounds, leaves and min leaf all given: nothing")
  func candidates() {
    let spec = BoostingSpec()
    let all = spec.searchCandidates(columns: 10, fixed: []).map { $0.learner.summary }
    #expect(all.count == 20)
    #expect(all.prefix(7) == ["25 trees, learning rate 0.1, 7 leaves, min leaf 20", "50 trees, learning rate 0.1, 7 leaves, min leaf 20",
                              "100 trees, learning rate 0.1, 7 leaves, min leaf 20", "150 trees, learning rate 0.1, 7 leaves, min leaf 20",
                              "200 trees, learning rate 0.1, 7 leaves, min leaf 20",
                              "25 trees, learning rate 0.1, 7 leaves, min leaf 100", "50 trees, learning rate 0.1, 7 leaves, min leaf 100"])
    #expect(all.last == "200 trees, learning rate 0.1, 31 leaves, min leaf 100")
    #expect(BoostingSpec(treeCount: 40).searchCandidates(columns: 10, fixed: ["treeCount"]).map { $0.learner.summary } == [
      "40 trees, learning rate 0.1, 7 leaves, min leaf 20", "40 trees, learning rate 0.1, 7 leaves, min leaf 100",
      "40 trees, learning rate 0.1, 31 leaves, min leaf 20", "40 trees, learning rate 0.1, 31 leaves, min leaf 100",
    ])
    #expect(BoostingSpec(learningRate: 0.05, maxLeaves: 15, minChildRows: 30).searchCandidates(columns: 10, fixed: ["maxLeaves", "minLeafSize", "learningRate"])
      .map { $0.learner.summary } == BoostingSpec.searchRounds.map { "\($0) trees, learning rate 0.05, 15 leaves, min leaf 30" })
    #expect(spec.searchCandidates(columns: 10, fixed: ["treeCount", "maxLeaves", "minLeafSize"]).isEmpty)
  }

  @Test("Each candidate's predictions equal those of the candidate fitted alone on the fold (1e-12), also class-weighted",
        arguments: [ClassWeight.none, .balanced])
  func predictionsEqualFits(classWeight: ClassWeight) throws {
    let table = DefaultSearchTests.table(rows: 1200, seed: 11)
    let folds = try Folds.stratified(labels: table.labels!, k: 3, seed: 1)
    let settings = ModelSettings(.boosting(BoostingSpec()), classWeight: classWeight, seed: 3, threads: 1)
    // At most 20 rounds: no fit can stop before its 21st round, so every candidate is exact.
    let candidates = Self.candidates(rounds: [5, 12, 20])
    let found = try settings.spec.learner.searchPredictions(candidates, table: table, folds: folds, settings: settings)
    #expect(found.map(\.name) == ["fold 1 of 3", "fold 2 of 3", "fold 3 of 3"])
    let alone = try HyperparameterSearch.fitEach(candidates, table: table, folds: folds, settings: settings)
    for (f, fold) in found.enumerated() {
      #expect(fold.labels == alone[f].labels)
      for c in candidates.indices {
        let difference = zip(fold.probabilities[c], alone[f].probabilities[c]).map { abs($0 - $1) }.max()!
        #expect(difference <= 1e-12, "\(fold.name), \(candidates[c].learner.summary): \(difference)")
      }
    }
  }

  @Test("Early stopping: a fit stops at the first candidate round count searchPatience rounds past its least test log loss; longer candidates get that count's predictions")
  func stopsEarly() throws {
    // Few rows, many leaves, a high learning rate: the fit overfits within a few dozen rounds.
    let table = DefaultSearchTests.table(rows: 600, seed: 21)
    let folds = Array(try Folds.stratified(labels: table.labels!, k: 3, seed: 2).prefix(1))
    let spec = BoostingSpec(learningRate: 0.5, maxLeaves: 31, minChildRows: 5)
    let settings = ModelSettings(.boosting(spec), seed: 3, threads: 1)
    let rounds = [10, 30, 45, 60, 80, 100, 150, 300]
    let candidates: [ModelSpec] = rounds.map { r in
      var s = spec
      s.treeCount = r
      return .boosting(s)
    }
    let found = try settings.spec.learner.searchPredictions(candidates, table: table, folds: folds, settings: settings)
    #expect(found[0].note == "one fit per setting and fold, up to 300 trees, stopped after 20 rounds without a lower log loss")
    var full = settings
    full.spec = candidates.last!
    let trained = try full.fit(table.rows(folds[0].train))
    let model = try #require(trained.model as? BoostedModel)
    let x = try trained.preprocessor.transform(table.rows(folds[0].test))
    let losses = model.stagedLogLoss(x, labels: found[0].labels)
    let best = losses.indices.min { losses[$0] < losses[$1] }! + 1
    let stop = try #require(rounds.first { $0 >= best + BoostingSpec.searchPatience })
    #expect(stop < 300, "best round \(best)")
    for (c, r) in rounds.enumerated() {
      #expect(found[0].probabilities[c] == model.prefix(trees: min(r, stop)).probabilities(x), "\(r) rounds, stopped at \(stop)")
    }
  }

  @Test("The same predictions with 1 and 2 threads")
  func threads() throws {
    let table = DefaultSearchTests.table(rows: 1500, seed: 4)
    let folds = try Folds.stratified(labels: table.labels!, k: 2, seed: 1)
    let candidates = Self.candidates(rounds: [10, 40])
    let one = try BoostingSpec().searchPredictions(candidates, table: table, folds: folds, settings: ModelSettings(.boosting(BoostingSpec()), seed: 5, threads: 1))
    let two = try BoostingSpec().searchPredictions(candidates, table: table, folds: folds, settings: ModelSettings(.boosting(BoostingSpec()), seed: 5, threads: 2))
    #expect(one == two)
  }

  @Test("A fold with more than searchRowLimit training rows is fitted on a seeded sample of that many, said in the note")
  func sampledRows() throws {
    let n = BoostingSpec.searchRowLimit + 6000
    let table = DefaultSearchTests.table(rows: n, seed: 8)
    let fold = Fold(name: "big", train: Array(0..<(n - 1000)), test: Array((n - 1000)..<n))
    let settings = ModelSettings(.boosting(BoostingSpec()), seed: 6, threads: 2)
    let candidates = Self.candidates(rounds: [2, 4])
    let found = try settings.spec.learner.searchPredictions(candidates, table: table, folds: [fold], settings: settings)
    #expect(found[0].note == "one fit per setting and fold, up to 4 trees, stopped after 20 rounds without a lower log loss; "
      + "fitted on 50000 sampled training rows per fold")
    let sample = GradientBoosting.sample(fold.train.count, fraction: Double(BoostingSpec.searchRowLimit) / Double(fold.train.count),
                                         stream: 1 << 40, seed: 6).map { fold.train[Int($0)] }
    #expect(sample.count == BoostingSpec.searchRowLimit)
    let alone = try HyperparameterSearch.fitEach(candidates, table: table, folds: [Fold(name: "big", train: sample, test: fold.test)], settings: settings)
    for c in candidates.indices {
      #expect(zip(found[0].probabilities[c], alone[0].probabilities[c]).map { abs($0 - $1) }.max()! <= 1e-12)
    }
  }
}
