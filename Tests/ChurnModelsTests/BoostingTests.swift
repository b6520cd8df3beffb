import ChurnCore
@testable import ChurnModels
import ChurnScoring
import ChurnTestSupport
import Foundation
import Testing

@Suite("Gradient-boosted trees")
struct BoostingTests {
  /// One binary column and labels chosen so that every gradient and hessian sum is exact:
  /// 50 churners in 100 rows, so the base score is 0, every p is ½, g = ½ − y and h = ¼.
  /// x = 0: 40 rows, 10 churned (G = 30·½ − 10·½ = 10, H = 10); x = 1: 60 rows, 40 churned
  /// (G = 20·½ − 40·½ = −10, H = 15).
  static func handTable() -> (x: Matrix, labels: [Double]) {
    var x: [Double] = [], labels: [Double] = []
    for i in 0..<40 { x.append(0); labels.append(i < 10 ? 1 : 0) }
    for i in 0..<60 { x.append(1); labels.append(i < 40 ? 1 : 0) }
    return (Matrix(rows: 100, columns: 1, storage: x), labels)
  }

  @Test("Bin sample: exactly count distinct rows, ascending, the same on every call, spread over the rows")
  func binSampleRows() {
    let sample = FeatureBins.sampledRows(10_000, count: 2_000)
    #expect(sample.count == 2_000)
    #expect(zip(sample, sample.dropFirst()).allSatisfy { $0 < $1 })
    #expect(sample.first! >= 0 && sample.last! < 10_000)
    #expect(sample == FeatureBins.sampledRows(10_000, count: 2_000))
    // A fifth of each half (binomial: 1,000 ± 32 in each; ± 200 is 6 standard deviations).
    #expect(abs(sample.filter { $0 < 5_000 }.count - 1_000) < 200)
    #expect(FeatureBins.sampledRows(5, count: 5) == [0, 1, 2, 3, 4])
  }

  @Test("Bins from a sample: more rows than sampleRows take each column's cut points from the sampled rows' values; fewer, from all (as before)")
  func binsFromSample() {
    let (x, _) = Self.plantedMatrix(rows: 3_000, seed: 7)
    let sample = FeatureBins.sampledRows(3_000, count: 500)
    let sampled = FeatureBins(x, sampleRows: 500, threads: 2)
    for j in 0..<x.columns {
      let values = sample.map { x[Int($0), j] }
      let expected = FeatureBins.cuts(ascending: FeatureBins.twoValued(values) ?? values.sorted())
      #expect(sampled.thresholds[j].map(\.bitPattern) == expected.map(\.bitPattern), "column \(j)")
      // Every row is still coded: code = the number of cut points below its value.
      for i in stride(from: 0, to: 3_000, by: 97) {
        #expect(Int(sampled.codes[j * 3_000 + i]) == expected.filter { $0 < x[i, j] }.count)
      }
    }
    #expect(sampled.thresholds != FeatureBins(x).thresholds, "500 of 3,000 rows give other cut points")
    let whole = FeatureBins(x, sampleRows: 3_000)
    #expect(whole.codes == FeatureBins(x).codes && whole.thresholds == FeatureBins(x).thresholds)
  }

  @Test("Cut points by selection: the same bits as from the values sorted, for continuous values, ties, zeros of both signs, few values and few bins")
  func cutsBySelection() {
    var rng = SeededGenerator(seed: 41, stream: 0)
    let continuous = (0..<5_000).map { _ in rng.normal() }
    let ties = (0..<5_000).map { _ in Double(rng.integer(below: 10)) }
    let skewed = (0..<3_000).map { _ in exp(3 * rng.normal()) } + [Double](repeating: 0, count: 2_000)
    let signedZeros = (0..<1_000).map { i in i % 3 == 0 ? -0.0 : (i % 3 == 1 ? 0.0 : rng.normal()) }
    let cases: [(String, [Double], Int)] = [
      ("continuous", continuous, 255), ("continuous, 16 bins", continuous, 16), ("ten values", ties, 255),
      ("skewed with many zeros", skewed, 255), ("−0 and +0", signedZeros, 255), ("a NaN", continuous.prefix(50) + [.nan, 1, 2], 255), ("fewer values than bins", Array(continuous.prefix(100)), 255),
      ("three values", [3, 1, 2, 1, 3], 255), ("two values", [1, 0, 0, 1, 1], 255), ("one value", [7, 7, 7], 255), ("none", [], 255),
    ]
    for (name, values, bins) in cases {
      let expected = FeatureBins.cuts(ascending: FeatureBins.twoValued(values) ?? values.sorted(), maxBins: bins)
      #expect(FeatureBins.cuts(of: values, maxBins: bins).map(\.bitPattern) == expected.map(\.bitPattern), "\(name)")
    }
    #expect(FeatureBins.cuts(of: continuous).count == 254, "254 cut points of 5,000 distinct values")
    #expect(FeatureBins.cuts(of: ties) == (0..<9).map(Double.init), "ten values: a cut point below each but the largest")
  }

  @Test("One split by hand: base log-odds 0, leaf values −G/(H+λ)·η exactly, threshold at the data value, gain importance 1",
        arguments: [0.0, 1.0])
  func handChecked(l2: Double) throws {
    let (x, labels) = Self.handTable()
    let spec = BoostingSpec(treeCount: 1, learningRate: 0.1, maxLeaves: 2, minChildRows: 1, l2Penalty: l2)
    let (fitted, shift) = try spec.fit(x, labels: labels, featureNames: ["x"], options: FitOptions())
    let model = try #require(fitted as? BoostedModel)
    #expect(shift == 0 && model.baseScore == 0)
    let tree = try #require(model.trees.first)
    #expect(tree.feature == [0, -1, -1] && tree.threshold[0] == 0)
    let left = Float(-10.0 / (10 + l2) * 0.1), right = Float(10.0 / (15 + l2) * 0.1)
    #expect(tree.value[Int(tree.left[0])] == left && tree.value[Int(tree.right[0])] == right)
    #expect(tree.cover == [100, 40, 60])
    #expect(model.gainImportance == [1])
    let p = model.probabilities(Matrix(rows: 2, columns: 1, storage: [0, 1]))
    #expect(abs(p[0] - 1 / (1 + exp(-Double(left)))) <= 1e-15 && abs(p[1] - 1 / (1 + exp(-Double(right)))) <= 1e-15)
  }

  /// Rows with a planted signal in 6 columns (x0 up, x1 down, x2 a step), enough of them that
  /// histogram passes and the gradient pass run on 2 threads.
  static func plantedMatrix(rows: Int, seed: UInt64) -> (x: Matrix, labels: [Double]) {
    let data = PlantedSignal(rows: rows, weights: [1.5, -1, 0, 0, 0.3, 0], intercept: -1, seed: seed)
    var x = data.features
    for i in 0..<rows { x[i, 2] = (x[i, 2] * 3).rounded() }  // a column of few values
    var labels = data.labels
    for i in 0..<rows where x[i, 2] >= 2 { labels[i] = 1 }
    return (x, labels)
  }

  @Test("1 and 2 threads give the same model on 100,000 rows (the partition and the gradient layout in parallel chunks, sparse leaves read row by row)")
  func threadsOnManyRows() throws {
    let (x, labels) = Self.plantedMatrix(rows: 100_000, seed: 5)
    let names = (0..<x.columns).map { "x\($0)" }
    let spec = BoostingSpec(treeCount: 6, maxLeaves: 31, minChildRows: 20)
    let models = try [1, 2].map { threads in
      try #require(spec.fit(x, labels: labels, featureNames: names, options: FitOptions(seed: 3, threads: threads)).model as? BoostedModel)
    }
    #expect(models[0] == models[1])
    #expect(models[0].trees.allSatisfy { ($0.nodeCount + 1) / 2 == 31 }, "every tree grows all its leaves, many of them under a quarter of the rows")
  }

  @Test("The same seed gives the same model with 1 and 2 threads, with row and feature subsampling; the fit's scores are the model's")
  func threadsAndSampling() throws {
    let (x, labels) = Self.plantedMatrix(rows: 30_000, seed: 4)
    let names = (0..<x.columns).map { "x\($0)" }
    let spec = BoostingSpec(treeCount: 15, maxLeaves: 15, rowFraction: 0.7, featureFraction: 0.6)
    var models: [BoostedModel] = []
    for threads in [1, 2] {
      let (m, _) = try spec.fit(x, labels: labels, featureNames: names, options: FitOptions(seed: 9, threads: threads))
      models.append(m as! BoostedModel)
    }
    #expect(models[0] == models[1])
    // Each tree splits on at most ⌈0.6 · 6⌉ = 4 features (its draw).
    for (t, tree) in models[0].trees.enumerated() {
      #expect(Set(tree.feature.filter { $0 >= 0 }).count <= 4, "tree \(t) splits on \(Set(tree.feature.filter { $0 >= 0 }))")
    }
    // The fit's own running scores (leaf values added by the leaves' rows for the drawn rows, by
    // a walk on the codes for the others) are the model's log-odds.
    let (refit, scores) = try GradientBoosting(spec: spec, classWeight: .none, seed: 9, threads: 2)
      .fitWithScores(x, labels: labels, featureNames: names)
    #expect(refit == models[0])
    let logOdds = refit.logOdds(x)
    let gap = zip(scores, logOdds).map { abs($0 - $1) }.max()!
    #expect(gap <= 1e-12, "running scores and the model's log-odds differ by up to \(gap)")
    // Another seed draws other rows and features: another model.
    let (other, _) = try spec.fit(x, labels: labels, featureNames: names, options: FitOptions(seed: 10, threads: 2))
    #expect((other as! BoostedModel) != models[0])
  }

  /// v(S) = E[f(x) | x_S] with the path-dependent expectation TreeSHAP uses: at a split on a
  /// feature in S follow x, otherwise average the children by cover.
  static func conditional(_ tree: DecisionTree, _ x: [Double], _ known: Set<Int>, node: Int = 0) -> Double {
    let f = Int(tree.feature[node])
    if f < 0 { return Double(tree.value[node]) }
    let l = Int(tree.left[node]), r = Int(tree.right[node])
    if known.contains(f) { return conditional(tree, x, known, node: tree.goesLeft(x[f], at: node) ? l : r) }
    let cl = Double(tree.cover[l]), cr = Double(tree.cover[r])
    return (cl * conditional(tree, x, known, node: l) + cr * conditional(tree, x, known, node: r)) / (cl + cr)
  }

  /// Shapley values by enumerating every subset of the d features.
  static func bruteForceShapley(_ trees: [DecisionTree], _ x: [Double]) -> [Double] {
    let d = x.count
    var factorial = [1.0]
    for k in 1...d { factorial.append(factorial[k - 1] * Double(k)) }
    var phi = [Double](repeating: 0, count: d)
    for j in 0..<d {
      for mask in 0..<(1 << d) where mask & (1 << j) == 0 {
        let s = Set((0..<d).filter { mask & (1 << $0) != 0 })
        let weight = factorial[s.count] * factorial[d - s.count - 1] / factorial[d]
        let with = s.union([j])
        phi[j] += weight * trees.reduce(0) { $0 + conditional($1, x, with) - conditional($1, x, s) }
      }
    }
    return phi
  }

  @Test("Exact reasons: the TreeSHAP values of the boosted trees equal brute-force Shapley values (1e-9), and add up to the log-odds")
  func shapleyAgainstBruteForce() throws {
    let (x, labels) = Self.plantedMatrix(rows: 600, seed: 2)
    let spec = BoostingSpec(treeCount: 8, learningRate: 0.3, maxLeaves: 12, minChildRows: 5)
    let (m, _) = try spec.fit(x, labels: labels, featureNames: (0..<x.columns).map { "x\($0)" }, options: FitOptions())
    let model = m as! BoostedModel
    #expect(model.trees.contains { $0.nodeCount >= 15 }, "trees too small to test: \(model.trees.map(\.nodeCount))")
    let logOdds = model.logOdds(x)
    for row in stride(from: 0, to: 600, by: 37) {
      let own = model.logOddsShapleyValues(x, row: row)
      let brute = Self.bruteForceShapley(model.trees, x.row(row))
      let gap = zip(own.contributions, brute).map { abs($0 - $1) }.max()!
      #expect(gap <= 1e-9, "row \(row): TreeSHAP \(own.contributions) vs brute force \(brute)")
      #expect(model.logOdds(x, row: row).bitPattern == logOdds[row].bitPattern, "row \(row): one row's walk differs from the batch's")
      let base = model.baseScore + model.trees.reduce(0) { $0 + Self.conditional($1, x.row(row), []) }
      #expect(abs(own.base - base) <= 1e-12)
      #expect(abs(own.base + own.contributions.reduce(0, +) - logOdds[row]) <= 1e-9)
      // In probability points: σ(base) + Σ = p.
      let p = model.probabilities(x)[row]
      for exact in [true, false] {
        let c = model.contributions(x, row: row, exact: exact)
        #expect(abs(c.base + c.contributions.reduce(0, +) - p) <= 1e-9, "row \(row), exact \(exact)")
      }
    }
  }

  @Test("Staged log loss: one value per tree, the last equals the whole model's; prefix(trees:) scores as its first trees; the best round count overfits less")
  func stagedLogLoss() throws {
    let (x, labels) = Self.plantedMatrix(rows: 2000, seed: 3)
    let (m, _) = try BoostingSpec(treeCount: 30).fit(x, labels: labels, featureNames: (0..<x.columns).map { "x\($0)" }, options: FitOptions())
    let model = m as! BoostedModel
    let (fresh, freshLabels) = Self.plantedMatrix(rows: 1000, seed: 33)
    let staged = model.stagedLogLoss(fresh, labels: freshLabels)
    #expect(staged.count == 30)
    func logLoss(_ p: [Double]) -> Double {
      -zip(p, freshLabels).reduce(0) { $0 + ($1.1 == 1 ? log($1.0) : log(1 - $1.0)) } / Double(p.count)
    }
    #expect(abs(staged[29] - logLoss(model.probabilities(fresh))) <= 1e-9)
    #expect(abs(staged[9] - logLoss(model.prefix(trees: 10).probabilities(fresh))) <= 1e-9)
    #expect(staged[9] < staged[0], "the loss falls over the first rounds: \(staged.prefix(10))")
    let best = model.bestRoundCount(fresh, labels: freshLabels)
    #expect(staged[best - 1] == staged.min() && !staged[..<(best - 1)].contains(staged.min()!))
    // A model of 300 rounds of 63 leaves at a high rate overfits 2,000 rows: the best count is
    // well below 300.
    let (big, _) = try BoostingSpec(treeCount: 300, learningRate: 0.3, maxLeaves: 63, minChildRows: 5)
      .fit(x, labels: labels, featureNames: (0..<x.columns).map { "x\($0)" }, options: FitOptions())
    #expect((big as! BoostedModel).bestRoundCount(fresh, labels: freshLabels) < 100)
  }

  @Test("Data it cannot fit are named")
  func errors() throws {
    let spec = BoostingSpec(treeCount: 2)
    func message(_ x: Matrix, _ labels: [Double]) -> String {
      do {
        _ = try spec.fit(x, labels: labels, featureNames: ["tenure"], options: FitOptions())
        return "fitted"
      } catch { return "\(error)" }
    }
    // A missing value is data, not an error (BoostingMissingTests).
    #expect(message(Matrix(rows: 3, columns: 1, storage: [1, .nan, 3]), [0, 1, 0]) == "fitted")
    let ok = Matrix(rows: 3, columns: 1, storage: [1, 2, 3])
    #expect(message(ok, [0, 2, 1]) == "label of row 2 is 2.0; expected 0 or 1")
    #expect(message(ok, [1, 1, 1]) == "all 3 labels are the same; a churn model needs both churned and retained customers")
    #expect(message(ok, [1, 0]) == "3 rows but 2 labels; expected one label per row")
  }

  @Test("Settings outside their ranges are named with their flag and fix")
  func settings() throws {
    func message(_ spec: BoostingSpec) -> String {
      do { try ModelSettings(.boosting(spec)).validate(); return "valid" } catch { return "\(error)" }
    }
    #expect(message(BoostingSpec()) == "valid")
    #expect(message(BoostingSpec(treeCount: 0))
      == "--trees (BoostingSpec.treeCount) is 0; expected 1...10000; fix: use 100 to 1000 rounds (100 is the default); with a lower --learning-rate use more")
    #expect(message(BoostingSpec(learningRate: 1.5))
      == "--learning-rate (BoostingSpec.learningRate) is 1.5; expected a number in (0, 1]; fix: use 0.01 to 0.3 (0.1 is the default)")
    #expect(message(BoostingSpec(maxLeaves: 1)) == "--max-leaves (BoostingSpec.maxLeaves) is 1; expected 2...131072; fix: use 7 to 255 leaves (31 is the default)")
    #expect(message(BoostingSpec(maxDepth: 0))
      == "--max-depth (BoostingSpec.maxDepth) is 0; expected 1...10000; fix: leave it out for unlimited depth, or give at least 1 (--max-depth=N)")
    #expect(message(BoostingSpec(minChildRows: 0))
      == "--min-leaf (BoostingSpec.minChildRows) is 0; expected 1...1000000000; fix: use a value well below half the training rows (20 is the default)")
    #expect(message(BoostingSpec(minChildHessian: -1))
      == "--min-child-weight (BoostingSpec.minChildHessian) is -1.0; expected a number in [0, 1e12]; fix: use 0.001 (the default) to 10")
    #expect(message(BoostingSpec(l2Penalty: .nan)) == "--l2 (BoostingSpec.l2Penalty) is nan; expected a number in [0, 1e12]; fix: use 0 (the default) to 10")
    #expect(message(BoostingSpec(rowFraction: 0))
      == "BoostingSpec.rowFraction is 0.0; expected a fraction in (0, 1]; fix: use 1 (every row, the default) or 0.5 to 0.9")
    #expect(message(BoostingSpec(featureFraction: 2))
      == "BoostingSpec.featureFraction is 2.0; expected a fraction in (0, 1]; fix: use 1 (every feature, the default) or 0.5 to 0.9")
    #expect(BoostingSpec() == BoostingSpec(treeCount: 100, learningRate: 0.1, maxLeaves: 31, maxDepth: nil, minChildRows: 20, minChildHessian: 1e-3,
                                           l2Penalty: 0, rowFraction: 1, featureFraction: 1))
  }

  /// The split search estimates a side's rows from its hessians (as LightGBM does), so on other
  /// data a leaf could keep a few rows fewer than min-leaf; on these rows every leaf keeps 40.
  @Test("Depth and leaf limits hold; a leaf keeps min-leaf rows")
  func limits() throws {
    let (x, labels) = Self.plantedMatrix(rows: 3000, seed: 5)
    let names = (0..<x.columns).map { "x\($0)" }
    let (m, _) = try BoostingSpec(treeCount: 10, maxLeaves: 9, maxDepth: 3, minChildRows: 40).fit(x, labels: labels, featureNames: names,
                                                                                                 options: FitOptions())
    for tree in (m as! BoostedModel).trees {
      #expect(tree.depthAndDistinctFeatures(columns: x.columns).depth <= 3)
      let leaves = (0..<tree.nodeCount).filter { tree.feature[$0] < 0 }
      #expect(leaves.count <= 8)
      #expect(leaves.allSatisfy { tree.cover[$0] >= 40 }, "\(leaves.map { tree.cover[$0] })")
    }
  }

  struct LightGBMReference: Decodable {
    var names: [String]
    var holdout_ids: [String]
    var auc: Double
    var log_loss: Double
    var probability: [Double]
  }

  struct IntegerReference: Decodable {
    var x: [[Double]]
    var y: [Double]
    var fresh: [[Double]]
    var probability: [Double]
  }

  /// On integer features of 40 values LightGBM's bins and churn's are the same (a bin per
  /// value), so at equal settings the trees are the same trees: the probabilities of 10
  /// rounds agree to the Float rounding of churn's leaf values (measured: 4.8e-9). Later
  /// rounds drift apart (from round 11 on this data). Before issue 17's 16-byte bins that was
  /// because LightGBM does not count rows per bin but estimates a histogram's counts from its
  /// hessians (count ≈ h · n / H), and churn counted them; churn now estimates them the same
  /// way, and the first 10 rounds still agree.
  @Test("Integer features: the first 10 trees are LightGBM's (probabilities within 1e-7 on fresh rows)")
  func integersAgainstLightGBM() throws {
    let reference = try JSONDecoder().decode(IntegerReference.self,
                                             from: Data(contentsOf: LogisticFixture.directory.appendingPathComponent("boosting-integers.json")))
    let d = reference.x[0].count
    let x = Matrix(rows: reference.x.count, columns: d, storage: reference.x.flatMap { $0 })
    let fresh = Matrix(rows: reference.fresh.count, columns: d, storage: reference.fresh.flatMap { $0 })
    let (m, _) = try BoostingSpec(treeCount: 10).fit(x, labels: reference.y, featureNames: (0..<d).map { "x\($0)" }, options: FitOptions())
    let p = (m as! BoostedModel).probabilities(fresh)
    let gap = zip(p, reference.probability).map { abs($0 - $1) }.max()!
    #expect(gap <= 1e-7, "probabilities differ from LightGBM's by up to \(gap)")
  }

  /// LightGBM 4.7.0 at the same settings on the same design matrix (Fixtures/boosting-telco.json
  /// from scripts/make-fixtures-boosting). The two differ in their bin boundaries (LightGBM's
  /// bin finder against churn's quantile cuts at data values) and in the row counts behind
  /// `min_data_in_leaf` (see above), so the models are not equal tree for tree, and 100
  /// rounds of 31 leaves on 2,817 rows amplify each difference. Both keep totalcharges' missing
  /// values missing and learn their direction per split: measured holdout AUC 0.8383 against
  /// 0.8352, log loss 0.4251 against 0.4300 (0.8401 and 0.4252 when churn counted a side's
  /// rows exactly, before its histograms dropped the counts). The bound is on the AUC and the log loss.
  @Test("Telco: holdout AUC within 0.005 of LightGBM's at equal settings")
  func telcoAgainstLightGBM() throws {
    let reference = try JSONDecoder().decode(LightGBMReference.self,
                                             from: Data(contentsOf: LogisticFixture.directory.appendingPathComponent("boosting-telco.json")))
    let path = LogisticFixture.root.appendingPathComponent("datasets/telco/telco.csv").path
    let holdout = Set(try String(contentsOfFile: LogisticFixture.root.appendingPathComponent("datasets/telco/holdout_ids.txt").path,
                                 encoding: .utf8).split(separator: "\n").map(String.init))
    let table = try TypedCSV(path: path, idColumn: "customerid").featureTable(label: "churn")
    let train = table.rows(table.ids.indices.filter { !holdout.contains(table.ids[$0]) })
    let test = table.rows(table.ids.indices.filter { holdout.contains(table.ids[$0]) })
    let pre = try BoostingSpec().preprocessor.fit(train)
    try #require(pre.outputNames == reference.names && test.ids == reference.holdout_ids)
    let (m, _) = try BoostingSpec().fit(try pre.transform(train), labels: train.labels!, featureNames: pre.outputNames, options: FitOptions())
    let p = (m as! BoostedModel).probabilities(try pre.transform(test))
    let y = test.labels!
    let auc = try rocAUC(scores: p, labels: y)
    let loss = -zip(p, y).reduce(0) { $0 + ($1.1 == 1 ? log($1.0) : log(1 - $1.0)) } / Double(p.count)
    let rms = (zip(p, reference.probability).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(p.count)).squareRoot()
    #expect(abs(auc - reference.auc) <= 0.005, "holdout AUC \(auc), LightGBM \(reference.auc); log loss \(loss) vs \(reference.log_loss); rms \(rms)")
    #expect(abs(loss - reference.log_loss) <= 0.01, "holdout log loss \(loss), LightGBM \(reference.log_loss)")
    #expect(rms <= 0.1, "holdout probabilities differ from LightGBM's by \(rms) (root mean square)")
  }
}

