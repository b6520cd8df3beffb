import ChurnCore
@testable import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// Boosting's missing values (issue 17): they stay NaN through the preprocessor, get a bin of
/// their own, and every split learns the side they go to (LightGBM's default direction).
@Suite("Gradient-boosted trees: missing values learn a default direction per split")
struct BoostingMissingTests {
  /// Where the rows whose x0 is missing churn like: the low values, the high values, or
  /// neither (every value churns at 10%, every missing row at 80%).
  enum Missing: String, CaseIterable, Sendable {
    case likeLow, likeHigh, alone
  }

  /// x0 uniform in [0, 1) with a fifth of it missing, x1 noise. Low values (x0 ≤ 0.3) churn at
  /// 80%, the others at 10% (`alone`: every value at 10%); missing rows churn as `missing` says.
  static func table(_ missing: Missing, rows: Int = 4_000, seed: UInt64 = 1) -> (x: Matrix, labels: [Double]) {
    var rng = SeededGenerator(seed: seed)
    var x = Matrix(rows: rows, columns: 2)
    var labels = [Double](repeating: 0, count: rows)
    for i in 0..<rows {
      let value = rng.uniform()
      let isMissing = rng.uniform() < 0.2
      x[i, 0] = isMissing ? .nan : value
      x[i, 1] = rng.uniform()
      let rate: Double
      switch (missing, isMissing) {
      case (.likeLow, true): rate = 0.8
      case (.likeHigh, true): rate = 0.1
      case (.alone, true): rate = 0.8
      case (.alone, false): rate = 0.1
      default: rate = value <= 0.3 ? 0.8 : 0.1
      }
      labels[i] = rng.bernoulli(rate) ? 1 : 0
    }
    return (x, labels)
  }

  static func fit(_ x: Matrix, _ labels: [Double], _ spec: BoostingSpec, threads: Int = 1, seed: UInt64 = 0) throws -> BoostedModel {
    try #require(spec.fit(x, labels: labels, featureNames: (0..<x.columns).map { "x\($0)" }, options: FitOptions(seed: seed, threads: threads)).model
      as? BoostedModel)
  }

  @Test("Bins: with a missing bin, NaN is coded after the values' bins and takes no part in the cut points; without (the forest), coded 0 as before")
  func missingBin() {
    let nan = Double.nan
    let x = Matrix(rows: 8, columns: 2, storage: [1, 5, nan, 5, 2, 5, 3, 5, nan, 5, 4, 5, 1, 5, 2, 5])
    let bins = FeatureBins(x, maxBins: 4, missingBin: true)
    #expect(bins.thresholds[0] == FeatureBins.cuts(ascending: [1, 1, 2, 2, 3, 4], maxBins: 4))
    #expect(bins.hasMissing == [true, false])
    #expect(bins.histogramBinCount(0) == bins.binCount(0) + 1 && bins.histogramBinCount(1) == 1)
    let codes = Array(bins.codes[0..<8])
    #expect(codes[1] == UInt8(bins.binCount(0)) && codes[4] == UInt8(bins.binCount(0)))
    #expect(codes.enumerated().filter { ![1, 4].contains($0.offset) }.allSatisfy { Int($0.element) < bins.binCount(0) })
    let forest = FeatureBins(x, maxBins: 4)
    #expect(forest.hasMissing == [false, false] && forest.codes[1] == 0 && forest.codes[4] == 0)
  }

  @Test("One split learns where missing rows go: left with the low values they churn like, right with the high ones, or split off alone",
        arguments: Missing.allCases)
  func learnsDirection(_ missing: Missing) throws {
    let (x, labels) = Self.table(missing)
    let model = try Self.fit(x, labels, BoostingSpec(treeCount: 1, learningRate: 1, maxLeaves: 2, minChildRows: 1))
    let tree = try #require(model.trees.first)
    #expect(tree.feature == [0, -1, -1])
    let low = Matrix(rows: 1, columns: 2, storage: [0.1, 0.5]), high = Matrix(rows: 1, columns: 2, storage: [0.9, 0.5])
    let absent = Matrix(rows: 1, columns: 2, storage: [.nan, 0.5])
    let (pLow, pHigh, pMissing) = (model.probabilities(low)[0], model.probabilities(high)[0], model.probabilities(absent)[0])
    switch missing {
    case .likeLow:
      #expect(tree.threshold[0] >= 0.29 && tree.threshold[0] <= 0.31 && tree.defaultLeft == [true, false, false])
      #expect(pMissing == pLow && pMissing != pHigh)
    case .likeHigh:
      // Right, with the larger values: the flag is not stored (as in every tree before it existed).
      #expect(tree.threshold[0] >= 0.29 && tree.threshold[0] <= 0.31 && tree.defaultLeft == [])
      #expect(pMissing == pHigh && pMissing != pLow)
    case .alone:
      // Every value left, the missing rows right: a split on missingness alone.
      #expect(tree.threshold[0] == .greatestFiniteMagnitude && tree.defaultLeft == [])
      #expect(pLow == pHigh && pMissing > pLow + 0.5)
      #expect(model.probabilities(Matrix(rows: 1, columns: 2, storage: [1e300, 0.5]))[0] == pLow, "any value goes left")
      // The threshold is finite, so the model file (JSON) holds it.
      #expect(try JSONDecoder().decode(BoostedModel.self, from: JSONEncoder().encode(model)) == model)
    }
    // The leaf of the missing rows holds exactly them and the values that went their way.
    let missingRows = (0..<x.rows).filter { x[$0, 0].isNaN }
    let sideRows = (0..<x.rows).filter { x[$0, 0].isNaN || (missing == .likeLow ? x[$0, 0] <= tree.threshold[0] : missing == .likeHigh && x[$0, 0] > tree.threshold[0]) }
    let side = tree.defaultLeft.first == true ? Int(tree.left[0]) : Int(tree.right[0])
    #expect(Int(tree.cover[side]) == sideRows.count && missingRows.count > 700)
  }

  @Test("Many rounds: missing rows are scored near their churn rate; every walk (coded, by value, flat, one row) gives the same scores",
        arguments: Missing.allCases)
  func walksAgree(_ missing: Missing) throws {
    let (x, labels) = Self.table(missing, rows: 6_000, seed: 2)
    let model = try Self.fit(x, labels, BoostingSpec(treeCount: 40, maxLeaves: 8))
    let logOdds = model.logOdds(x)
    guard case .coded = model.walk else { Issue.record("boosted trees walk coded"); return }
    var flat = [Double](repeating: 0, count: x.rows)
    x.storage.withUnsafeBufferPointer { input in
      flat.withUnsafeMutableBufferPointer { FlatForest(model.trees).predict(input, columns: x.columns, rows: 0..<x.rows, scale: 1, into: $0) }
    }
    for i in 0..<x.rows {
      #expect(model.logOdds(x, row: i).bitPattern == logOdds[i].bitPattern, "row \(i): the walk on values differs from the coded walk")
      #expect((model.baseScore + flat[i]).bitPattern == logOdds[i].bitPattern, "row \(i): the flat walk differs from the coded walk")
    }
    let p = model.probabilities(x)
    let missingRows = (0..<x.rows).filter { x[$0, 0].isNaN }
    let predicted = missingRows.reduce(0) { $0 + p[$1] } / Double(missingRows.count)
    let actual = missingRows.reduce(0) { $0 + labels[$1] } / Double(missingRows.count)
    #expect(abs(predicted - actual) < 0.02, "missing rows: predicted \(predicted), churned \(actual)")
    #expect(abs(actual - (missing == .likeHigh ? 0.1 : 0.8)) < 0.05)
  }

  @Test("Path contributions from one walk of the flat trees: the same bits as tree by tree (missing values on both sides), with the row's score")
  func flatPathContributions() throws {
    let (x, labels) = Self.plantedWithMissing(rows: 1_500, seed: 5)
    let model = try Self.fit(x, labels, BoostingSpec(treeCount: 30, learningRate: 0.2, maxLeaves: 12, minChildRows: 5))
    #expect(model.trees.contains { $0.defaultLeft.contains(true) } && model.trees.contains { $0.defaultLeft.isEmpty || $0.defaultLeft.contains(false) })
    let logOdds = model.logOdds(x)
    var rowsWithMissing = 0
    for row in 0..<x.rows {
      rowsWithMissing += x.row(row).contains { $0.isNaN } ? 1 : 0
      let (roots, byTree) = TreeEnsembleSHAP.pathSum(model.trees, x, row: row)
      let flat = model.pathContributionsAndScore(x, row: row)
      #expect(flat.base.bitPattern == (model.baseScore + roots).bitPattern, "row \(row): base")
      #expect(flat.contributions.map(\.bitPattern) == byTree.map(\.bitPattern), "row \(row): \(flat.contributions) vs \(byTree)")
      #expect(flat.logOdds.bitPattern == logOdds[row].bitPattern, "row \(row): score \(flat.logOdds) vs \(logOdds[row])")
      #expect(model.logOddsPathContributions(x, row: row).contributions.map(\.bitPattern) == byTree.map(\.bitPattern))
    }
    #expect(rowsWithMissing > 400)
  }

  /// The planted matrix of the boosting tests with a seventh of x0, x1 and x2 missing (x2 takes
  /// few values, so some of its leaves hold only missing rows and values of one bin).
  static func plantedWithMissing(rows: Int, seed: UInt64) -> (x: Matrix, labels: [Double]) {
    var (x, labels) = BoostingTests.plantedMatrix(rows: rows, seed: seed)
    var rng = SeededGenerator(seed: seed, stream: 7)
    for i in 0..<rows {
      for j in 0..<3 where rng.uniform() < 1.0 / 7 { x[i, j] = .nan }
      // Missing x1 churns more: the missing rows must find their own way.
      if x[i, 1].isNaN && rng.uniform() < 0.3 { labels[i] = 1 }
    }
    return (x, labels)
  }

  @Test("Exact reasons with missing values: TreeSHAP follows each split's default side (brute-force Shapley values, 1e-9) and adds up to the prediction")
  func shapleyWithMissing() throws {
    let (x, labels) = Self.plantedWithMissing(rows: 600, seed: 2)
    let model = try Self.fit(x, labels, BoostingSpec(treeCount: 8, learningRate: 0.3, maxLeaves: 12, minChildRows: 5))
    #expect(model.trees.contains { $0.defaultLeft.contains(true) }, "some split sends missing values left")
    #expect(model.trees.contains { t in (0..<t.nodeCount).contains { t.feature[$0] >= 0 && (t.defaultLeft.isEmpty || !t.defaultLeft[$0]) } })
    let logOdds = model.logOdds(x)
    let p = model.probabilities(x)
    var rowsWithMissing = 0
    for row in stride(from: 0, to: 600, by: 13) {
      rowsWithMissing += x.row(row).contains { $0.isNaN } ? 1 : 0
      let own = model.logOddsShapleyValues(x, row: row)
      let brute = BoostingTests.bruteForceShapley(model.trees, x.row(row))
      let gap = zip(own.contributions, brute).map { abs($0 - $1) }.max()!
      #expect(gap <= 1e-9, "row \(row) \(x.row(row)): TreeSHAP \(own.contributions) vs brute force \(brute)")
      #expect(abs(own.base + own.contributions.reduce(0, +) - logOdds[row]) <= 1e-9, "row \(row)")
      for exact in [true, false] {
        let c = model.contributions(x, row: row, exact: exact)
        #expect(abs(c.base + c.contributions.reduce(0, +) - p[row]) <= 1e-9, "row \(row), exact \(exact)")
      }
    }
    #expect(rowsWithMissing >= 15)
  }

  @Test("Missing values: the same seed gives the same model with 1 and 2 threads (parallel partition and histograms, row and feature sampling)")
  func threads() throws {
    let (x, labels) = Self.plantedWithMissing(rows: 70_000, seed: 5)
    for spec in [BoostingSpec(treeCount: 4, maxLeaves: 31), BoostingSpec(treeCount: 6, maxLeaves: 15, rowFraction: 0.7, featureFraction: 0.6)] {
      let models = try [1, 2].map { try Self.fit(x, labels, spec, threads: $0, seed: 9) }
      #expect(models[0] == models[1])
      #expect(models[0].trees.contains { $0.defaultLeft.contains(true) })
      // The fit's running scores (by leaves, and for rows a round did not draw by a walk on
      // the codes) are the model's log-odds: the codes' missing bin walks as NaN does.
      let (refit, scores) = try GradientBoosting(spec: spec, classWeight: .none, seed: 9, threads: 2)
        .fitWithScores(x, labels: labels, featureNames: (0..<x.columns).map { "x\($0)" })
      #expect(refit == models[0])
      let gap = zip(scores, refit.logOdds(x)).map { abs($0 - $1) }.max()!
      #expect(gap <= 1e-12, "running scores and the model's log-odds differ by up to \(gap)")
    }
  }

  @Test("Model file: the directions round-trip (listed beside the packed trees); trees without them write no field and read as before")
  func roundTrip() throws {
    let (x, labels) = Self.plantedWithMissing(rows: 2_000, seed: 3)
    let fitted = try Self.fit(x, labels, BoostingSpec(treeCount: 10, maxLeaves: 15))
    let (clean, cleanLabels) = BoostingTests.plantedMatrix(rows: 2_000, seed: 3)
    let old = try Self.fit(clean, cleanLabels, BoostingSpec(treeCount: 10, maxLeaves: 15))
    // Trees with directions and trees without, in one file.
    let model = BoostedModel(featureNames: fitted.featureNames, baseScore: fitted.baseScore, trees: fitted.trees + old.trees,
                             gainImportance: fitted.gainImportance, learningRate: fitted.learningRate)
    #expect(model.trees.contains { $0.defaultLeft.contains(true) } && model.trees.contains { $0.defaultLeft.isEmpty })
    let data = try JSONEncoder().encode(model)
    let read = try JSONDecoder().decode(BoostedModel.self, from: data)
    #expect(read == model)
    #expect(read.probabilities(x).map(\.bitPattern) == model.probabilities(x).map(\.bitPattern))
    let packed = try JSONDecoder().decode(PackedTrees.self, from: JSONSerialization.data(
      withJSONObject: (JSONSerialization.jsonObject(with: data) as! [String: Any])["packedTrees"]!))
    let listed = try #require(packed.defaultLeft)
    #expect(listed.count == model.trees.count)
    for (t, tree) in model.trees.enumerated() {
      #expect(listed[t] == (0..<tree.nodeCount).filter { !tree.defaultLeft.isEmpty && tree.defaultLeft[$0] }, "tree \(t)")
    }
    // A model without missing values (or a file written before the flag existed): no field,
    // every missing value at scoring goes right, and the bytes are the packed trees alone.
    #expect(old.trees.allSatisfy { $0.defaultLeft.isEmpty })
    let oldData = try JSONEncoder().encode(old)
    #expect(!String(decoding: oldData, as: UTF8.self).contains("defaultLeft"))
    let oldRead = try JSONDecoder().decode(BoostedModel.self, from: oldData)
    #expect(oldRead == old)
    let nan = Matrix(rows: 1, columns: clean.columns, storage: [Double](repeating: .nan, count: clean.columns))
    let rightmost = old.trees.reduce(old.baseScore) { sum, tree in
      var k = 0
      while tree.feature[k] >= 0 { k = Int(tree.right[k]) }
      return sum + Double(tree.value[k])
    }
    #expect(oldRead.logOdds(nan)[0] == rightmost)
    // A direction on a leaf, or past the tree, is a damaged file.
    var damaged = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    var trees = damaged["packedTrees"] as! [String: Any]
    var lists = trees["defaultLeft"] as! [[Int]]
    let t = lists.firstIndex { !$0.isEmpty }!
    let leaf = (0..<model.trees[t].nodeCount).first { model.trees[t].feature[$0] < 0 }!
    lists[t].append(leaf)
    trees["defaultLeft"] = lists
    damaged["packedTrees"] = trees
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(BoostedModel.self, from: JSONSerialization.data(withJSONObject: damaged)) }
  }

  @Test("The preprocessor keeps missing values for boosting only: NaN out, no indicator; a column constant but for its missing values is kept")
  func preprocessing() throws {
    let nan = Double.nan
    let table = FeatureTable(ids: (0..<6).map { "c\($0)" }, columnNames: ["tenure", "flag", "same"],
                             columns: [.numeric([1, nan, 3, 4, nan, 6]), .numeric([2, 2, nan, 2, 2, 2]), .numeric([1, 2, 3, 4, 5, 6])],
                             labels: [0, 1, 0, 1, 0, 1])
    let boosting = try BoostingSpec().preprocessor.fit(table)
    #expect(boosting.outputNames == ["tenure", "flag", "same"])
    #expect(boosting.keepsMissing == true)
    let x = try boosting.transform(table)
    #expect(x.column(0).map(\.isNaN) == [false, true, false, false, true, false])
    #expect(x.column(0).filter { !$0.isNaN } == [1, 3, 4, 6])
    #expect(x.column(1).map(\.isNaN) == [false, false, true, false, false, false])
    // The consuming transform (training's) and the row-major one agree.
    let consumed = try boosting.transform(consuming: table)
    #expect(consumed.rowMajor.storage.map(\.bitPattern) == x.rowMajor.storage.map(\.bitPattern))
    // The forest and the logistic model impute, with indicators, as before.
    let forest = try ForestSpec().preprocessor.fit(table)
    #expect(forest.outputNames == ["tenure", "tenure_missing", "flag_missing", "same"] && forest.keepsMissing == nil)
    #expect(try forest.transform(table).storage.allSatisfy { !$0.isNaN })
    // Stored only when set: the other families' model files keep their bytes.
    #expect(!String(decoding: try JSONEncoder().encode(forest), as: UTF8.self).contains("keepsMissing"))
    let read = try JSONDecoder().decode(FittedPreprocessor.self, from: JSONEncoder().encode(boosting))
    #expect(read == boosting)
  }

  struct MissingReference: Decodable {
    struct Split: Decodable {
      var feature: Int
      var threshold: Double
      var default_left: Bool
      var missing_type: String
    }
    var x: [[Double?]]
    var y: [Double]
    var fresh: [[Double?]]
    var probability: [Double]
    var first_tree_splits: [Split]
  }

  /// LightGBM 4.7.0 on the integer features of `BoostingTests.integersAgainstLightGBM` with
  /// NaN planted in two columns (Fixtures/boosting-integers.json, "missing", from
  /// scripts/make-fixtures-boosting: `use_missing=True, zero_as_missing=False`). Each split
  /// scans missing rows left, then right, and keeps the right only when it gains strictly more,
  /// as LightGBM does, so a leaf with no missing rows sends them left in both; the values' bins
  /// are the same (one per integer). Compared: the first tree's splits in depth-first order
  /// (feature, threshold: LightGBM's lies halfway to the next integer, churn's at the integer,
  /// and default direction where the split's leaf had missing rows of its feature), and the
  /// probabilities of 10 rounds on fresh rows, a third of them with a missing value.
  @Test("Integer features with missing values: LightGBM's first tree, split for split and direction for direction; 10 rounds' probabilities within 1e-7")
  func missingAgainstLightGBM() throws {
    struct File: Decodable { var missing: MissingReference }
    let reference = try JSONDecoder().decode(File.self, from: Data(contentsOf: LogisticFixture.directory.appendingPathComponent("boosting-integers.json"))).missing
    let d = reference.x[0].count
    let x = Matrix(rows: reference.x.count, columns: d, storage: reference.x.flatMap { $0.map { $0 ?? .nan } })
    let fresh = Matrix(rows: reference.fresh.count, columns: d, storage: reference.fresh.flatMap { $0.map { $0 ?? .nan } })
    #expect(reference.fresh.filter { $0.contains(nil) }.count > 150)
    let model = try Self.fit(x, reference.y, BoostingSpec(treeCount: 10))
    let tree = try #require(model.trees.first)
    let splits = (0..<tree.nodeCount).filter { tree.feature[$0] >= 0 }
    #expect(splits.count == reference.first_tree_splits.count)
    var learned = 0
    for (k, theirs) in zip(splits, reference.first_tree_splits) {
      let ours = (feature: Int(tree.feature[k]), threshold: tree.threshold[k], defaultLeft: !tree.defaultLeft.isEmpty && tree.defaultLeft[k])
      #expect(ours.feature == theirs.feature && ours.threshold == theirs.threshold.rounded(.down), "node \(k): churn \(ours), LightGBM \(theirs)")
      // The training rows that reach node k with its feature missing.
      let missingHere = (0..<x.rows).filter { i in
        guard x[i, ours.feature].isNaN else { return false }
        var at = 0
        while at != k && tree.feature[at] >= 0 { at = Int(tree.goesLeft(x[i, Int(tree.feature[at])], at: at) ? tree.left[at] : tree.right[at]) }
        return at == k
      }.count
      if theirs.missing_type != "NaN" {
        // A feature with no missing training value (LightGBM's missing type None: it reads NaN
        // as 0 and its default_left is moot): churn sends missing values right.
        #expect(!ours.defaultLeft, "node \(k)")
      } else if missingHere > 0 {
        #expect(ours.defaultLeft == theirs.default_left, "node \(k) (\(missingHere) missing rows): churn \(ours), LightGBM \(theirs)")
        learned += 1
      } else {
        // No missing row in the leaf: both scans gain the same, up to LightGBM's rounding (its
        // sums start from 1e-15 and run in opposite directions), which decides its flag; churn
        // keeps the first scan's, left.
        #expect(ours.defaultLeft, "node \(k)")
      }
    }
    #expect(learned >= 10, "\(learned) directions learned from missing rows")
    let p = model.probabilities(fresh)
    let gap = zip(p, reference.probability).map { abs($0 - $1) }.max()!
    #expect(gap <= 1e-7, "probabilities differ from LightGBM's by up to \(gap)")
  }
}
