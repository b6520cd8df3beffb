import ChurnCore
import ChurnModels
import ChurnScoring
import ChurnTestSupport
import Foundation
import Testing

@Suite("Random forest")
struct RandomForestTests {
  /// Churn depends on x0 (threshold) and on x1 only when x2 > 0 (an interaction); x3...x5 are noise.
  func interactionData(rows: Int, seed: UInt64) -> (Matrix, [Double]) {
    let x = randomMatrix(rows: rows, columns: 6, seed: seed)
    var rng = SeededGenerator(seed: seed, stream: 9)
    let y = (0..<rows).map { i -> Double in
      let eta = -1 + 2.0 * (x[i, 0] > 0.5 ? 1 : 0) + (x[i, 2] > 0 ? 1.8 * x[i, 1] : 0)
      return rng.uniform() < 1 / (1 + exp(-eta)) ? 1 : 0
    }
    return (x, y)
  }

  @Test("Trees satisfy their invariants; probabilities are in [0, 1]; a batch scores as row by row", arguments: [UInt64(1), 2])
  func invariants(seed: UInt64) throws {
    let (x, y) = interactionData(rows: 1500, seed: seed)
    let forest = try RandomForest(treeCount: 20, minLeafSize: 3, seed: seed, threads: 2).fit(features: x, labels: y)
    for tree in forest.trees { tree._checkInvariants() }
    let p = forest.probabilities(x)
    #expect(p.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
    for i in stride(from: 0, to: x.rows, by: 97) {
      let one = forest.probabilities(Matrix(rows: 1, columns: x.columns, storage: x.row(i)))
      #expect(one[0] == p[i])
    }
    #expect(forest.outOfBag.filter { !$0.isNaN }.count > 1400)
  }

  @Test("The same seed gives the same forest with 1 and 2 threads; another seed a different one")
  func determinism() throws {
    let (x, y) = interactionData(rows: 800, seed: 3)
    let a = try RandomForest(treeCount: 12, seed: 42, threads: 1).fit(features: x, labels: y)
    let b = try RandomForest(treeCount: 12, seed: 42, threads: 2).fit(features: x, labels: y)
    let c = try RandomForest(treeCount: 12, seed: 43, threads: 2).fit(features: x, labels: y)
    #expect(a.trees == b.trees && a.impurityImportance == b.impurityImportance)
    #expect(zip(a.outOfBag, b.outOfBag).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
    #expect(a.trees != c.trees)
  }

  @Test("Planted signal: the informative features outrank the noise; out-of-bag AUC is high")
  func planted() throws {
    let (x, y) = interactionData(rows: 4000, seed: 5)
    let forest = try RandomForest(treeCount: 60, minLeafSize: 5, seed: 7, threads: 2).fit(features: x, labels: y)
    let imp = forest.impurityImportance
    #expect(abs(imp.reduce(0, +) - 1) < 1e-9)
    #expect(min(imp[0], imp[1], imp[2]) > max(imp[3], imp[4], imp[5]), "importances \(imp)")
    let oob = forest.outOfBag
    let rows = oob.indices.filter { !oob[$0].isNaN }
    let auc = try rocAUC(scores: rows.map { oob[$0] }, labels: rows.map { y[$0] })
    #expect(auc > 0.75, "OOB AUC \(auc)")
  }

  @Test("Path contributions add up to the probability")
  func additivity() throws {
    let (x, y) = interactionData(rows: 600, seed: 8)
    let forest = try RandomForest(treeCount: 15, seed: 1).fit(features: x, labels: y)
    let p = forest.probabilities(x)
    for i in 0..<x.rows {
      let (base, c) = forest.pathContributions(x, row: i)
      #expect(abs(base + c.reduce(0, +) - p[i]) < 1e-6)
    }
  }

  @Test("Telco holdout AUC is within 0.005 of scikit-learn's RandomForestClassifier with the same settings")
  func telco() throws {
    struct Reference: Decodable { var auc_mean: Double }
    let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: LogisticFixture.directory.appendingPathComponent("forest-telco.json")))
    let path = LogisticFixture.root.appendingPathComponent("datasets/telco/telco.csv").path
    let holdout = Set(try String(contentsOfFile: LogisticFixture.root.appendingPathComponent("datasets/telco/holdout_ids.txt").path,
                                 encoding: .utf8).split(separator: "\n").map(String.init))
    var table = try TypedCSV(path: path, idColumn: "customerid").featureTable(label: "churn")
    let trainRows = table.ids.indices.filter { !holdout.contains(table.ids[$0]) }
    let testRows = table.ids.indices.filter { holdout.contains(table.ids[$0]) }
    let train = table.rows(trainRows), test = table.rows(testRows)
    table = train
    let pre = try Preprocessor(standardize: false, fatTailTransform: false).fit(train)
    var aucs: [Double] = []
    for seed in UInt64(1)...3 {
      let forest = try RandomForest(treeCount: 100, minLeafSize: 5, seed: seed, threads: 2)
        .fit(features: try pre.transform(train), labels: train.labels!)
      aucs.append(try rocAUC(scores: forest.probabilities(try pre.transform(test)), labels: test.labels!))
    }
    let mean = aucs.reduce(0, +) / 3
    #expect(abs(mean - reference.auc_mean) < 0.005, "churn \(aucs) vs scikit-learn \(reference.auc_mean)")
  }

  @Test("Invalid settings are named")
  func errors() {
    let (x, y) = interactionData(rows: 50, seed: 1)
    #expect(throws: RandomForestError.invalidSetting("minLeafSize must be at least 1, got 0")) {
      try RandomForest(minLeafSize: 0).fit(features: x, labels: y)
    }
    #expect(throws: RandomForestError.singleClass(rows: 50)) {
      try RandomForest().fit(features: x, labels: Array(repeating: 0, count: 50))
    }
  }
}
