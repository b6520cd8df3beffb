import ChurnCore
import Dispatch
import Foundation

/// A probability random forest for churn (Breiman 2001): each tree is grown on a bootstrap
/// sample with Gini splits over `featuresPerSplit` random features per node; leaves hold the
/// (weighted) churn share of their training rows, and the forest's probability is the mean of
/// its trees' leaves (ranger's `probability = TRUE`, scikit-learn's `predict_proba`).
///
/// Split search runs on features binned once to ≤ 255 quantile bins: per node and candidate
/// feature, a class histogram over the bins, scanned left to right. (LightGBM also builds the
/// larger child's histograms by subtracting the smaller child's from the parent's; with a
/// fresh random feature subset per node the parent rarely has the child's features, and
/// building all d features for the smaller child costs more than 2·√d for both, so this
/// forest counts directly.)
///
/// Randomness: tree t draws everything from `SeededGenerator(seed, stream: t)`, so the same
/// seed gives the same forest with any number of threads.
public struct RandomForest: Sendable {
  /// scikit-learn's `n_estimators`, ranger's `num.trees`.
  public var treeCount: Int
  /// scikit-learn's `max_features`, ranger's `mtry`; nil = ⌊√d⌋.
  public var featuresPerSplit: Int?
  /// Rows a leaf must keep, counted by bootstrap draws (a row drawn twice counts twice).
  /// scikit-learn's `min_samples_leaf` counts distinct rows, so it grows shallower trees (at 5,
  /// about 8 draws); its equivalent is `min_weight_fraction_leaf` = minLeafSize / n with
  /// `min_samples_leaf` = 1. Without bootstrap the two agree.
  public var minLeafSize: Int
  /// nil = unlimited.
  public var maxDepth: Int?
  /// Rows drawn per tree as a fraction of n (with replacement when `bootstrap`).
  public var sampleFraction: Double
  public var bootstrap: Bool
  public var classWeight: ClassWeight
  public var seed: UInt64
  public var threads: Int

  public init(treeCount: Int = ForestSpec().treeCount, featuresPerSplit: Int? = nil, minLeafSize: Int = ForestSpec().minLeafSize, maxDepth: Int? = nil,
              sampleFraction: Double = 1, bootstrap: Bool = true, classWeight: ClassWeight = .none,
              seed: UInt64 = 1, threads: Int = 1) {
    self.treeCount = treeCount
    self.featuresPerSplit = featuresPerSplit
    self.minLeafSize = minLeafSize
    self.maxDepth = maxDepth
    self.sampleFraction = sampleFraction
    self.bootstrap = bootstrap
    self.classWeight = classWeight
    self.seed = seed
    self.threads = threads
  }

  /// Fits the forest.
  ///
  /// - Throws: `HyperparameterError` for a setting outside its range (`Hyperparameters`);
  ///   `RandomForestError` for invalid labels.
  /// - Complexity: O(trees × depth × n × featuresPerSplit) for the histograms.
  public func fit(features x: Matrix, labels: [Double], sampleWeights: [Double]? = nil, featureNames: [String]? = nil) throws -> ForestModel {
    try fit(features: x, labels: labels, sampleWeights: sampleWeights, featureNames: featureNames, binCuts: nil)
  }

  /// The fit, with the cut points of `x`'s columns when already known (`PreparedColumnOrder.binCuts`),
  /// so that binning them sorts nothing.
  ///
  /// - Parameters:
  ///   - bins: `x` binned already (`FeatureBins(x, knownCuts: binCuts, threads:)`), shared by the
  ///     forests a search fits on the same rows; nil: binned here. The same forest either way.
  ///   - outOfBag: false leaves the out-of-bag predictions out (every one NaN): a search scored
  ///     on a fold's test rows reads none, and walking each tree's unsampled rows cost it about a
  ///     sixth of its time, on one thread.
  func fit(features x: Matrix, labels: [Double], sampleWeights: [Double]? = nil, featureNames: [String]? = nil,
           binCuts: [[Double]?]?, bins sharedBins: FeatureBins? = nil, outOfBag: Bool = true) throws -> ForestModel {
    let n = x.rows, d = x.columns
    try Hyperparameters.check(treeCount, in: Hyperparameters.treeCount, flag: "--trees", property: "RandomForest.treeCount",
                              fix: "use 100 to 1000 trees (100 is the default); more trees only smooth the probabilities")
    try Hyperparameters.check(minLeafSize, in: Hyperparameters.minLeafSize, flag: "--min-leaf", property: "RandomForest.minLeafSize",
                              fix: "use a value well below half the training rows (5 is the default)")
    if let maxDepth {
      try Hyperparameters.check(maxDepth, in: Hyperparameters.maxDepth, flag: "--max-depth", property: "RandomForest.maxDepth",
                                fix: "leave it out for unlimited depth, or give at least 1 (--max-depth=N)")
    }
    let fractions = bootstrap ? Hyperparameters.sampleFraction : Hyperparameters.sampleFraction.lowerBound...1
    try Hyperparameters.check(sampleFraction, in: fractions, flag: "", property: "RandomForest.sampleFraction",
                              expected: bootstrap ? "a fraction in (0, 10] (with bootstrap)" : "a fraction in (0, 1] (without bootstrap)",
                              fix: "use 1 (every tree draws n rows)")
    try Hyperparameters.check(threads, in: Hyperparameters.threads, flag: "--threads", property: "RandomForest.threads",
                              fix: "use at most the number of cores")
    let mtry = featuresPerSplit ?? max(1, Int(Double(d).squareRoot()))
    try Hyperparameters.check(mtry, in: 1...max(d, 1), flag: "--features-per-split", property: "RandomForest.featuresPerSplit",
                              fix: "leave it out for ⌊√d⌋ (\(max(1, Int(Double(d).squareRoot())))), or give at most the \(d) model columns "
                                + "(one per numeric column, missing indicator and categorical level)")
    guard labels.count == n else { throw RandomForestError.invalidSetting("\(n) rows but \(labels.count) labels") }
    if let i = labels.firstIndex(where: { $0 != 0 && $0 != 1 }) { throw RandomForestError.invalidLabel(row: i, value: labels[i]) }
    let positives = labels.reduce(0, +)
    guard positives > 0 && positives < Double(n) else { throw RandomForestError.singleClass(rows: n) }
    let weights = classWeight.applied(to: sampleWeights ?? Array(repeating: 1, count: n), labels: labels, positives: positives)
    precondition(sharedBins.map { $0.rows == n && $0.columns == d } ?? true, "bins of another matrix")
    let bins = sharedBins ?? FeatureBins(x, knownCuts: binCuts, threads: threads)
    let grower = TreeGrower(bins: bins, labels: labels, weights: weights, mtry: mtry, minLeafSize: minLeafSize,
                            maxDepth: maxDepth ?? Int.max, sampleSize: max(1, Int((sampleFraction * Double(n)).rounded())),
                            bootstrap: bootstrap)
    final class Slots: @unchecked Sendable {
      var trees: [DecisionTree?]
      var inBag: [[UInt16]?]
      init(_ k: Int) {
        trees = Array(repeating: nil, count: k)
        inBag = Array(repeating: nil, count: k)
      }
    }
    let slots = Slots(treeCount)
    let lock = NSLock()
    let seed = self.seed
    let workers = max(1, min(threads, treeCount))
    BLASThreads.set(1)
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      var t = worker
      while t < treeCount {
        var rng = SeededGenerator(seed: seed, stream: UInt64(t))
        let (grown, counts) = grower.grow(&rng)
        let tree = grown.preordered()
        lock.lock()
        slots.trees[t] = tree
        slots.inBag[t] = counts
        lock.unlock()
        t += workers
      }
    }
    let trees = slots.trees.map { $0! }
    // Out-of-bag predictions: each row averaged over the trees that did not draw it, summed in
    // tree order (the same sums with any thread count); blocks of rows in parallel.
    var oob = [Double](repeating: .nan, count: n)
    if outOfBag {
      let inBag = slots.inBag.map { $0! }
      let block = 1024, blocks = max(1, min(threads, (n + block - 1) / block))
      oob.withUnsafeMutableBufferPointer { out in
        nonisolated(unsafe) let out = out
        DispatchQueue.concurrentPerform(iterations: blocks) { worker in
          for start in stride(from: worker * block, to: n, by: blocks * block) {
            for i in start..<min(n, start + block) {
              var sum = 0.0, count = 0
              for (t, tree) in trees.enumerated() where inBag[t][i] == 0 {
                sum += Double(tree.predict(row: i, in: x))
                count += 1
              }
              if count > 0 { out[i] = sum / Double(count) }
            }
          }
        }
      }
    }
    var importance = [Double](repeating: 0, count: d)
    for tree in trees { for (j, v) in tree.impurityDecrease.enumerated() { importance[j] += v } }
    let total = importance.reduce(0, +)
    if total > 0 { importance = importance.map { $0 / total } }
    return ForestModel(featureNames: featureNames ?? (0..<d).map { "x\($0)" }, trees: trees, outOfBag: oob,
                       impurityImportance: importance, seed: seed, featuresPerSplit: mtry, minLeafSize: minLeafSize)
  }
}

/// Settings or data a forest cannot be fitted with.
public enum RandomForestError: Error, Equatable, CustomStringConvertible {
  case invalidSetting(String)
  case invalidLabel(row: Int, value: Double)
  case singleClass(rows: Int)

  public var description: String {
    switch self {
    case .invalidSetting(let message): return "invalid random forest setting: \(message)"
    case .invalidLabel(let row, let value): return "label of row \(row + 1) is \(value); expected 0 or 1"
    case .singleClass(let rows): return "all \(rows) labels are the same; a churn model needs both churned and retained customers"
    }
  }
}
