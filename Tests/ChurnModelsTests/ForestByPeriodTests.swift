import ChurnCore
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// A survival forest whose trees split on the period first (`ForestSpec.periodColumn`,
/// `PeriodEncoding.stratified`), checked against the two forests it is made of.
@Suite("Survival forest split on the period first")
struct ForestByPeriodTests {
  /// Person-period-like rows: columns x0, x1, period (1 … 3, the last column). Period 1 churns
  /// on x0, the later periods on x1, so a forest that mixes them averages two different signals.
  static func rows(_ n: Int, seed: UInt64) -> (x: Matrix, y: [Double], names: [String]) {
    let features = randomMatrix(rows: n, columns: 2, seed: seed)
    var rng = SeededGenerator(seed: seed, stream: 3)
    var storage: [Double] = [], y: [Double] = []
    for i in 0..<n {
      let k = Double(i % 3 + 1)
      storage += [features[i, 0], features[i, 1], k]
      let eta = k == 1 ? -1 + 2.5 * features[i, 0] : -2 + 2 * features[i, 1]
      y.append(rng.uniform() < 1 / (1 + exp(-eta)) ? 1 : 0)
    }
    return (Matrix(rows: n, columns: 3, storage: storage), y, ["x0", "x1", "period"])
  }

  static func select(_ x: Matrix, rows: [Int], columns: [Int]) -> Matrix {
    Matrix(rows: rows.count, columns: columns.count, storage: rows.flatMap { i in columns.map { x[i, $0] } })
  }

  static func forest(_ spec: ForestSpec, _ x: Matrix, _ y: [Double], _ names: [String], weight: ClassWeight = .none) throws -> ForestModel {
    try #require(try spec.fit(x, labels: y, featureNames: names, options: FitOptions(classWeight: weight, seed: 9, threads: 2)).model as? ForestModel)
  }

  @Test("Period-1 rows get the forest of the period-1 rows alone (same seed), later rows the forest of theirs; OOB from each", arguments: [ClassWeight.none, .balanced])
  func halves(weight: ClassWeight) throws {
    let (x, y, names) = Self.rows(1200, seed: 4)
    let spec = ForestSpec(treeCount: 15, minLeafSize: 5, periodColumn: "period")
    let joined = try Self.forest(spec, x, y, names, weight: weight)
    let first = (0..<x.rows).filter { x[$0, 2] == 1 }, later = (0..<x.rows).filter { x[$0, 2] > 1 }
    var plain = spec
    plain.periodColumn = nil
    let a = try Self.forest(plain, Self.select(x, rows: first, columns: [0, 1]), first.map { y[$0] }, ["x0", "x1"], weight: weight)
    let b = try Self.forest(plain, Self.select(x, rows: later, columns: [0, 1, 2]), later.map { y[$0] }, names, weight: weight)
    let p = joined.probabilities(x)
    let pa = a.probabilities(Self.select(x, rows: first, columns: [0, 1])), pb = b.probabilities(Self.select(x, rows: later, columns: [0, 1, 2]))
    for (k, i) in first.enumerated() { #expect(abs(p[i] - pa[k]) < 1e-12, "period-1 row \(i): \(p[i]) against \(pa[k])") }
    for (k, i) in later.enumerated() { #expect(abs(p[i] - pb[k]) < 1e-12, "later row \(i): \(p[i]) against \(pb[k])") }
    for (k, i) in first.enumerated() { #expect(joined.outOfBag[i] == a.outOfBag[k] || (joined.outOfBag[i].isNaN && a.outOfBag[k].isNaN)) }
    for (k, i) in later.enumerated() { #expect(joined.outOfBag[i] == b.outOfBag[k] || (joined.outOfBag[i].isNaN && b.outOfBag[k].isNaN)) }
    // The same row set to period 1 and to period 3: two forests, two signals.
    let row = [0.9, 0.1]
    let h1 = joined.probabilities(Matrix(rows: 1, columns: 3, storage: row + [1]))[0]
    #expect(h1 == a.probabilities(Matrix(rows: 1, columns: 2, storage: row))[0])
    #expect(joined.probabilities(Matrix(rows: 1, columns: 3, storage: row + [3]))[0] == b.probabilities(Matrix(rows: 1, columns: 3, storage: row + [3]))[0])
    for (t, tree) in joined.trees.enumerated() {
      tree._checkInvariants()
      #expect(tree.feature[0] == 2 && tree.threshold[0] == 1.5 && tree.left[0] == 1 && Int(tree.right[0]) == 1 + a.trees[t].nodeCount)
      #expect(tree.cover[0] == a.trees[t].cover[0] + b.trees[t].cover[0])
      #expect(tree.nodeCount == 1 + a.trees[t].nodeCount + b.trees[t].nodeCount)
    }
    #expect(joined.trees.count == 15 && joined.featureNames == names)
    #expect(abs(joined.impurityImportance.reduce(0, +) - 1) < 1e-12)
    // x0 drives period 1, x1 the later periods: both matter; the period split itself a little.
    let importance = joined.impurityImportance
    #expect(importance[0] > 0.3 && importance[1] > 0.3 && importance[2] > 0 && importance[2] < 0.2, "\(importance)")
  }

  @Test("Written and read back: the same forest, the same probabilities")
  func roundTrip() throws {
    let (x, y, names) = Self.rows(600, seed: 5)
    let joined = try Self.forest(ForestSpec(treeCount: 8, minLeafSize: 5, periodColumn: "period"), x, y, names)
    let read = try JSONDecoder().decode(ForestModel.self, from: try JSONEncoder().encode(joined))
    #expect(read.trees == joined.trees && read.featureNames == joined.featureNames)
    #expect(read.probabilities(x) == joined.probabilities(x))
  }

  @Test("One forest on all rows when a period group holds one class or the period column is not among the columns")
  func fallback() throws {
    var (x, y, names) = Self.rows(600, seed: 6)
    for i in 0..<x.rows where x[i, 2] > 1 { y[i] = 0 }
    let spec = ForestSpec(treeCount: 8, minLeafSize: 5, periodColumn: "period")
    var plain = spec
    plain.periodColumn = nil
    #expect(try Self.forest(spec, x, y, names) == (try Self.forest(plain, x, y, names)))
    (x, y, names) = Self.rows(600, seed: 6)
    let renamed = ["x0", "x1", "k"]
    #expect(try Self.forest(spec, x, y, renamed) == (try Self.forest(plain, x, y, renamed)))
  }

  @Test("stratified: the number column, the forest's or boosting's period column set; the logistic model is refused")
  func settings() throws {
    let survival = try SurvivalSettings(periods: 3, encoding: .stratified)
    #expect(survival.columnNames == ["period"] && survival.values(period: 2) == [2])
    #expect(PeriodEncoding.standard(for: .forest) == .stratified && PeriodEncoding.standard(for: .boosting) == .stratified)
    let forest = try survival.hazardSettings(ModelSettings(.forest(ForestSpec(minLeafSize: 20))))
    #expect(forest.spec == .forest(ForestSpec(minLeafSize: 20, periodColumn: "period")))
    #expect(forest.summary == "100 trees, min leaf 20, √d features per split, period 1 apart")
    let number = try SurvivalSettings(periods: 3, encoding: .number)
    #expect(try number.hazardSettings(ModelSettings(.forest(ForestSpec()))).spec == .forest(ForestSpec()))
    #expect(throws: SurvivalError.stratifiedNeedsTrees(.logistic)) { try survival.hazardSettings(ModelSettings(.logistic(LogisticSpec()))) }
    #expect(try survival.hazardSettings(ModelSettings(.boosting(BoostingSpec(minChildRows: 5)))).spec
      == .boosting(BoostingSpec(minChildRows: 5, periodColumn: "period")))
    #expect(SurvivalError.stratifiedNeedsTrees(.logistic).description
      == "--period-encoding stratified splits a tree model's trees on the period first; the logistic model has no trees to split: "
      + "use --model forest or boosting, or another encoding (indicators, number, both, first-period)")
  }
}
