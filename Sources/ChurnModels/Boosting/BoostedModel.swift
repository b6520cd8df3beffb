import ChurnCore
import Dispatch
import Foundation

/// A fitted gradient-boosted tree model: a base score and trees in log-odds,
///
/// ```
/// p(x) = σ(baseScore + Σₜ fₜ(x))
/// ```
///
/// Each tree is a `DecisionTree` whose leaf values are log-odds (rounded to Float, as the fit
/// used them) and whose covers are training row counts; an inner node's value is the
/// cover-weighted mean of its children's.
public struct BoostedModel: Sendable, Equatable, Codable {
  public let featureNames: [String]
  /// Log-odds of the (weighted) training churn rate: the score before any tree.
  public let baseScore: Double
  /// The trees in the order they were fitted (one per boosting round).
  public let trees: [DecisionTree]
  /// Total split gain per feature over all trees, summing to 1 (LightGBM's
  /// `importance_type="gain"`). Read it beside permutation importance.
  public let gainImportance: [Double]
  /// The shrinkage the trees were fitted with (already in their leaf values).
  public let learningRate: Double
  /// All trees' nodes in one set of arrays, walked on coded inputs (as the forest's).
  let walk: ForestWalk
  /// Per tree, its depth, the most distinct features on a path and its expected value.
  let shapleyLevels: TreeEnsembleSHAP.Levels
  /// All trees' nodes in flat arrays, for the per-row walks of explanations.
  let flat: FlatTrees

  enum CodingKeys: String, CodingKey {
    case featureNames, baseScore, packedTrees, gainImportance, learningRate
  }

  init(featureNames: [String], baseScore: Double, trees: [DecisionTree], gainImportance: [Double], learningRate: Double) {
    self.featureNames = featureNames
    self.baseScore = baseScore
    self.trees = trees
    self.gainImportance = gainImportance
    self.learningRate = learningRate
    walk = ForestWalk(trees)
    shapleyLevels = TreeEnsembleSHAP.levels(trees, columns: featureNames.count)
    flat = FlatTrees(trees)
  }

  /// Writes the trees packed (`PackedTrees`, weighted: each node's Float value and cover).
  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(featureNames, forKey: .featureNames)
    try c.encode(baseScore, forKey: .baseScore)
    try c.encode(PackedTrees(trees, features: featureNames.count, countable: false), forKey: .packedTrees)
    try c.encode(gainImportance, forKey: .gainImportance)
    try c.encode(learningRate, forKey: .learningRate)
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let featureNames = try c.decode([String].self, forKey: .featureNames)
    let trees: [DecisionTree]
    do { trees = try c.decode(PackedTrees.self, forKey: .packedTrees).decoded() } catch let error as PackedTreesError {
      throw DecodingError.dataCorruptedError(forKey: .packedTrees, in: c, debugDescription: "\(error)")
    }
    // Checked before the walk is built from them: a damaged tree must be an error, not a trap.
    for (t, tree) in trees.enumerated() {
      if let problem = tree.decodingProblem(features: featureNames.count, proportions: false) {
        throw DecodingError.dataCorruptedError(forKey: .packedTrees, in: c, debugDescription: "well-formed trees (tree \(t): \(problem))")
      }
    }
    self.init(featureNames: featureNames, baseScore: try c.decode(Double.self, forKey: .baseScore), trees: trees,
              gainImportance: try c.decode([Double].self, forKey: .gainImportance), learningRate: try c.decode(Double.self, forKey: .learningRate))
  }

  public static func == (a: BoostedModel, b: BoostedModel) -> Bool {
    a.featureNames == b.featureNames && a.baseScore.bitPattern == b.baseScore.bitPattern && a.trees == b.trees
      && a.gainImportance == b.gainImportance && a.learningRate == b.learningRate
  }

  /// Each row's score in log-odds, baseScore + Σₜ fₜ(x), summed tree by tree in fit order.
  ///
  /// - Complexity: O(rows × trees × depth); the coded walk of the forest (`BinnedForest`), no
  ///   thread pool for fewer than 2,048 rows.
  public func logOdds(_ x: Matrix) -> [Double] {
    precondition(x.columns == featureNames.count, "The boosted model has \(featureNames.count) features; the input has \(x.columns) columns")
    let x = x.rowMajor
    var out = [Double](repeating: 0, count: x.rows)
    let chunks = x.rows < 2048 ? 1 : min(ProcessInfo.processInfo.activeProcessorCount, (x.rows + 2047) / 2048)
    let walk = self.walk
    x.storage.withUnsafeBufferPointer { xs in
      out.withUnsafeMutableBufferPointer { o in
        nonisolated(unsafe) let input = xs, output = o
        let d = x.columns, n = x.rows
        let work: @Sendable (Int) -> Void = { c in
          let lower = c * n / chunks, upper = (c + 1) * n / chunks
          switch walk {
          case .coded(let forest): forest.predict(input, columns: d, rows: lower..<upper, scale: 1, into: output)
          case .values(let forest): forest.predict(input, columns: d, rows: lower..<upper, scale: 1, into: output)
          }
        }
        if chunks == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: chunks) { work($0) } }
      }
    }
    return out.map { baseScore + $0 }
  }

  /// Row `row`'s score, walking each tree on the values: the same leaves and the same sum, in
  /// the same order, as `logOdds(_:)` (so the same bits), without coding a block of rows.
  func logOdds(_ x: Matrix, row: Int) -> Double {
    let sum = x.row(row).withUnsafeBufferPointer { flat.leafSum($0.baseAddress!) }
    return baseScore + sum
  }

  /// Churn probabilities σ(baseScore + Σₜ fₜ(x)), one per row of `x`.
  public func probabilities(_ x: Matrix) -> [Double] { logOdds(x).map(sigmoid) }

  /// The log loss of the first k trees' predictions of `x`, for k = 1 … trees (LightGBM's
  /// `evals_result_` with a validation set): what early stopping chooses the number of rounds
  /// from, without refitting. Add `priorShift` (a class-weighted fit's correction) to compare
  /// real probabilities.
  ///
  /// ```
  /// loss_k = −(1/n) Σᵢ [yᵢ log pᵢₖ + (1 − yᵢ) log(1 − pᵢₖ)],   pᵢₖ = σ(shift + baseScore + Σ_{t<k} fₜ(xᵢ))
  /// ```
  ///
  /// - Complexity: O(rows × trees × depth).
  public func stagedLogLoss(_ x: Matrix, labels: [Double], priorShift: Double = 0) -> [Double] {
    precondition(x.columns == featureNames.count && labels.count == x.rows, "stagedLogLoss: \(x.rows) rows, \(labels.count) labels")
    let x = x.rowMajor
    var scores = [Double](repeating: baseScore + priorShift, count: x.rows)
    var losses: [Double] = []
    x.storage.withUnsafeBufferPointer { p in
      for tree in trees {
        var loss = 0.0
        for i in 0..<x.rows {
          scores[i] += Double(tree.predict(p.baseAddress! + i * x.columns))
          // log(1 + e^{−s}) for y = 1, log(1 + e^{s}) for y = 0, computed without overflow.
          let s = labels[i] == 1 ? -scores[i] : scores[i]
          loss += s > 0 ? s + log1p(exp(-s)) : log1p(exp(s))
        }
        losses.append(loss / Double(max(x.rows, 1)))
      }
    }
    return losses
  }

  /// The number of rounds whose staged log loss on `x` is lowest (the first among equals):
  /// early stopping's choice, to be fitted again with or cut to by `prefix(trees:)`.
  public func bestRoundCount(_ x: Matrix, labels: [Double], priorShift: Double = 0) -> Int {
    let losses = stagedLogLoss(x, labels: labels, priorShift: priorShift)
    return (losses.indices.min { losses[$0] < losses[$1] } ?? 0) + 1
  }

  /// The model of its first `count` trees (early stopping's choice). Its gain importances stay
  /// those of the whole fit (they are not recounted over the kept trees).
  public func prefix(trees count: Int) -> BoostedModel {
    precondition(count >= 1 && count <= trees.count, "prefix(trees: \(count)) of \(trees.count) trees")
    return BoostedModel(featureNames: featureNames, baseScore: baseScore, trees: Array(trees.prefix(count)), gainImportance: gainImportance,
                        learningRate: learningRate)
  }

  /// Exact TreeSHAP values (Lundberg et al. 2018) of row `row` in log-odds, summed over the
  /// trees: `base + Σ contributions = logOdds(x)[row]` (to rounding), where base is
  /// baseScore plus the trees' expected values.
  public func logOddsShapleyValues(_ x: Matrix, row: Int) -> (base: Double, contributions: [Double]) {
    logOddsShapleyValues(x, rows: [row])[0]
  }

  /// `logOddsShapleyValues(_:row:)` of each of `rows` (the same values), each tree walked once
  /// for a block of rows (`TreeEnsembleSHAP.sum(_:levels:x:rows:)`).
  public func logOddsShapleyValues(_ x: Matrix, rows: [Int]) -> [(base: Double, contributions: [Double])] {
    let (expected, phi) = TreeEnsembleSHAP.sum(trees, levels: shapleyLevels, x: x, rows: rows)
    return phi.map { (baseScore + expected, $0) }
  }

  /// Path contributions (Saabas) of row `row` in log-odds: at each split on the row's path the
  /// change in node value (cover-weighted means) is credited to its feature; base is
  /// baseScore plus the trees' root values. O(depth) per tree.
  public func logOddsPathContributions(_ x: Matrix, row: Int) -> (base: Double, contributions: [Double]) {
    let (base, _, contributions) = pathContributionsAndScore(x, row: row)
    return (base, contributions)
  }

  /// `logOddsPathContributions` and `logOdds(_:row:)` of row `row` from one walk of the trees.
  func pathContributionsAndScore(_ x: Matrix, row: Int) -> (base: Double, logOdds: Double, contributions: [Double]) {
    let (roots, leaves, contributions) = x.row(row).withUnsafeBufferPointer { flat.pathSum($0.baseAddress!, columns: x.columns) }
    return (baseScore + roots, baseScore + leaves, contributions)
  }

  /// Nodes over all trees (splits and leaves).
  public var nodeCount: Int { trees.reduce(0) { $0 + $1.nodeCount } }
}

extension BoostedModel: ChurnModel {
  public static var family: ModelFamily { .boosting }

  /// Exact TreeSHAP values (or with `exact: false` path contributions) in log-odds, turned into
  /// probability points as the logistic model's are (`LogisticModel.probabilityContributions`):
  /// scaled by (p − p₀) / Σ φ, so that `σ(base) + Σ contributions = p` exactly, with p the
  /// model's probability of the row and p₀ = σ(base) that of the average training row.
  public func contributions(_ x: Matrix, row: Int, exact: Bool) -> (base: Double, contributions: [Double]) {
    if exact {
      let (base, phi) = logOddsShapleyValues(x, row: row)
      return Self.probabilityPoints(base: base, score: logOdds(x, row: row), phi: phi)
    }
    // The path walk reaches each tree's leaf: the row's score comes with it.
    let (base, score, phi) = pathContributionsAndScore(x, row: row)
    return Self.probabilityPoints(base: base, score: score, phi: phi)
  }

  /// Exact TreeSHAP values of a block of rows at a time (`logOddsShapleyValues(_:rows:)`), or
  /// path contributions row by row, in probability points as `contributions(_:row:exact:)`'s.
  public func contributions(_ x: Matrix, rows: [Int], exact: Bool) -> [(base: Double, contributions: [Double])] {
    guard exact else { return rows.map { contributions(x, row: $0, exact: false) } }
    return zip(rows, logOddsShapleyValues(x, rows: rows)).map { row, shapley in
      Self.probabilityPoints(base: shapley.base, score: logOdds(x, row: row), phi: shapley.contributions)
    }
  }

  /// Log-odds contributions `phi` from `base` to `score` in probability points.
  static func probabilityPoints(base: Double, score: Double, phi: [Double]) -> (base: Double, contributions: [Double]) {
    let total = phi.reduce(0, +)
    let p0 = sigmoid(base)
    let p = sigmoid(score)
    // As Σ φ → 0 the ratio tends to σ'(base) = p₀(1 − p₀); below 1e-9 that slope is used (its
    // error is of order (Σ φ)², far below the 1e-9 the sum must keep).
    let scale = abs(total) < 1e-9 ? p0 * (1 - p0) : (p - p0) / total
    return (p0, phi.map { $0 * scale })
  }

  public var exactExplanationCost: Int { nodeCount }

  public static let importanceMeasure = ImportanceMeasure(
    name: "gain", description: "share of the total split gain (the log loss's second-order reduction), biased toward columns with many split points")

  public var importances: [Double] { gainImportance }

  public func problem(columns d: Int) -> (field: String, expected: String, found: String)? {
    guard featureNames.count == d else {
      return ("boosting.featureNames", ModelFile.count(d, "name") + " (one per preprocessed column)", ModelFile.count(featureNames.count, "name"))
    }
    guard !trees.isEmpty else { return ("boosting.packedTrees", "at least one tree", "none") }
    guard gainImportance.count == d else {
      return ("boosting.gainImportance", ModelFile.count(d, "number"), ModelFile.count(gainImportance.count, "number"))
    }
    if let bad = ModelFile.firstNonFinite(gainImportance, "boosting.gainImportance") { return bad }
    guard baseScore.isFinite else { return ("boosting.baseScore", "a finite number", "\(baseScore)") }
    guard learningRate.isFinite else { return ("boosting.learningRate", "a finite number", "\(learningRate)") }
    var largest = abs(baseScore)
    for (t, tree) in trees.enumerated() {
      if let problem = tree.decodingProblem(features: d, proportions: false) { return ("boosting tree \(t)", "a well-formed tree", problem) }
      largest += Double(tree.value.lazy.map { abs($0) }.max() ?? 0)
    }
    // Scores that could overflow to ±∞ (and ∞ − ∞ = NaN) are refused.
    guard largest < 1e300 else { return ("boosting.packedTrees", "leaf values whose sums stay finite", "sums up to \(largest)") }
    return nil
  }
}
