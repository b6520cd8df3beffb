import ChurnCore
import ChurnModels
import Testing

@Suite("Stratified folds")
struct FoldsTests {
  /// `churned` ones and `retained` zeros, interleaved, plus two unknown labels (left out).
  func labels(churned: Int, retained: Int) -> [Double] {
    var y = [Double](repeating: 0, count: retained) + [.nan]
    for i in 0..<churned { y.insert(1, at: (i * 7) % (y.count + 1)) }
    return y + [.nan]
  }

  @Test("More folds than rows of a class is refused before any fold is made, with the class counts and the largest k that works")
  func classTooSmall() throws {
    #expect(throws: FoldError.classTooSmall(folds: 10, churned: 3, retained: 997)) {
      try Folds.stratified(labels: labels(churned: 3, retained: 997), k: 10, seed: 1)
    }
    #expect(FoldError.classTooSmall(folds: 10, churned: 3, retained: 997).description
      == "cannot make 10 stratified folds: the labelled rows hold 3 churned and 997 retained customers, and every fold needs "
      + "at least one of each to train and test on; use at most 3 folds (--folds 3) or more labelled rows")
    // The retained class can be the small one too.
    #expect(throws: FoldError.classTooSmall(folds: 5, churned: 40, retained: 4)) {
      try Folds.stratified(labels: labels(churned: 40, retained: 4), k: 5, seed: 1)
    }
    #expect(FoldError.classTooSmall(folds: 5, churned: 40, retained: 4).description
      == "cannot make 5 stratified folds: the labelled rows hold 40 churned and 4 retained customers, and every fold needs "
      + "at least one of each to train and test on; use at most 4 folds (--folds 4) or more labelled rows")
    // A class of one row (or none) cannot be cross-validated at all.
    #expect(throws: FoldError.classTooSmall(folds: 2, churned: 1, retained: 50)) {
      try Folds.stratified(labels: labels(churned: 1, retained: 50), k: 2, seed: 1)
    }
    #expect(FoldError.classTooSmall(folds: 2, churned: 1, retained: 50).description
      == "cannot make 2 stratified folds: the labelled rows hold 1 churned and 50 retained customers, and every fold needs "
      + "at least one of each to train and test on; cross-validation needs at least 2 rows of each class: add labelled rows")
    #expect(throws: FoldError.classTooSmall(folds: 3, churned: 0, retained: 50)) {
      try Folds.stratified(labels: labels(churned: 0, retained: 50), k: 3, seed: 1)
    }
  }

  @Test("Fewer than 2 folds is refused")
  func tooFewFolds() {
    for k in [1, 0, -3] {
      #expect(throws: FoldError.tooFewFolds(k)) { try Folds.stratified(labels: labels(churned: 30, retained: 30), k: k, seed: 1) }
    }
    #expect(FoldError.tooFewFolds(1).description == "k-fold cross-validation needs at least 2 folds, got 1; use --folds 2 or more")
  }

  @Test("As many folds as the smaller class: every fold trains and tests on both classes", arguments: [UInt64(1), 2, 3])
  func boundary(seed: UInt64) throws {
    for (churned, retained) in [(3, 997), (5, 5), (40, 4), (2, 9)] {
      let y = labels(churned: churned, retained: retained)
      let k = min(churned, retained)
      let folds = try Folds.stratified(labels: y, k: k, seed: seed)
      #expect(folds.count == k)
      #expect(folds.flatMap(\.test).sorted() == y.indices.filter { !y[$0].isNaN })
      for fold in folds {
        for rows in [fold.train, fold.test] {
          #expect(rows.contains { y[$0] == 1 } && rows.contains { y[$0] == 0 }, "\(churned)/\(retained), seed \(seed), \(fold.name)")
        }
      }
    }
  }
}
