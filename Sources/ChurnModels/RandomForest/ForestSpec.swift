import ChurnCore
import Foundation

/// A probability random forest's hyperparameters, with their defaults: the forest family of
/// `ModelSpec`.
public struct ForestSpec: ModelLearner, Codable {
  public static let family = ModelFamily.forest

  /// scikit-learn's `n_estimators`, ranger's `num.trees`; `--trees`.
  public var treeCount: Int
  /// Rows (bootstrap draws) a leaf must keep; `--min-leaf` (see `RandomForest.minLeafSize`).
  public var minLeafSize: Int
  /// scikit-learn's `max_features`, ranger's `mtry`; nil = ⌊√d⌋. `--features-per-split`.
  public var featuresPerSplit: Int?
  /// nil = unlimited. `--max-depth`.
  public var maxDepth: Int?
  /// A survival forest's period column (`PeriodEncoding.stratified`): the rows of period 1 and
  /// those of the later periods get forests of their own, joined tree by tree under a root
  /// split on it (`RandomForest.fitByPeriod`); nil (or a matrix without that column): one
  /// forest on all rows. Set by the trainer from the survival settings, not a flag.
  public var periodColumn: String?

  public init(treeCount: Int = 100, minLeafSize: Int = 5, featuresPerSplit: Int? = nil, maxDepth: Int? = nil, periodColumn: String? = nil) {
    self.treeCount = treeCount
    self.minLeafSize = minLeafSize
    self.featuresPerSplit = featuresPerSplit
    self.maxDepth = maxDepth
    self.periodColumn = periodColumn
  }

  public var displayName: String { "random forest" }

  public var spec: ModelSpec { .forest(self) }

  public var summary: String {
    "\(treeCount) trees, min leaf \(minLeafSize), " + (featuresPerSplit.map { "\($0) features per split" } ?? "√d features per split")
      + (maxDepth.map { ", depth ≤ \($0)" } ?? "") + (periodColumn == nil ? "" : ", period 1 apart")
  }

  /// Trees need no scaling or fat-tail transform; one-hot and imputation as for the logistic model.
  public var preprocessor: Preprocessor { Preprocessor(standardize: false, fatTailTransform: false) }

  public func validate() throws {
    try Hyperparameters.check(treeCount, in: Hyperparameters.treeCount, flag: "--trees", property: "ForestSpec.treeCount",
                              fix: "use 100 to 1000 trees (100 is the default); more trees only smooth the probabilities")
    try Hyperparameters.check(minLeafSize, in: Hyperparameters.minLeafSize, flag: "--min-leaf", property: "ForestSpec.minLeafSize",
                              fix: "use a value well below half the training rows (5 is the default)")
    if let featuresPerSplit {
      try Hyperparameters.check(featuresPerSplit, in: Hyperparameters.featuresPerSplit, flag: "--features-per-split",
                                property: "ForestSpec.featuresPerSplit", fix: "leave it out for ⌊√d⌋, or give 1 to the number of model columns")
    }
    if let maxDepth {
      try Hyperparameters.check(maxDepth, in: Hyperparameters.maxDepth, flag: "--max-depth", property: "ForestSpec.maxDepth",
                                fix: "leave it out for unlimited depth, or give at least 1 (--max-depth=N)")
    }
  }

  /// The fit. With balanced class weights the leaves are corrected in place (each leaf's
  /// weighted proportion becomes its unweighted one), so the trees, and their TreeSHAP values,
  /// give real probabilities and no correction is left to apply.
  /// With `periodColumn`, the two forests of `RandomForest.fitByPeriod`, each corrected so.
  public func fit(_ x: Matrix, labels: [Double], featureNames: [String], options: FitOptions) throws -> (model: any ChurnModel, priorShift: Double) {
    (try forest(x, labels: labels, featureNames: featureNames, options: options), 0)
  }

  /// The forest `fit` returns, with `x` binned already (`bins`, nil: binned here) and, with
  /// `outOfBag` false, without out-of-bag predictions (`RandomForest.fit`): the search's fits.
  func forest(_ x: Matrix, labels: [Double], featureNames: [String], options: FitOptions,
              bins: FeatureBins? = nil, outOfBag: Bool = true) throws -> ForestModel {
    let learner = RandomForest(treeCount: treeCount, featuresPerSplit: featuresPerSplit, minLeafSize: minLeafSize, maxDepth: maxDepth,
                               classWeight: options.classWeight, seed: options.seed, threads: options.threads)
    if let periodColumn, let column = featureNames.firstIndex(of: periodColumn),
       let forest = try learner.fitByPeriod(features: x, labels: labels, featureNames: featureNames, column: column, outOfBag: outOfBag) {
      return forest
    }
    let forest = try learner.fit(features: x, labels: labels, featureNames: featureNames, binCuts: options.binCuts, bins: bins, outOfBag: outOfBag)
    let shift = options.classWeight.priorShift(labels: labels)
    return shift == 0 ? forest : forest.shiftingNodeOdds(by: shift)
  }

  /// Minimum leaf size 1, 5, 20, 50 × features per split ½√d, √d, 2√d.
  public func grid(columns: Int) -> [ModelSpec] {
    let root = max(1, Int(Double(columns).squareRoot()))
    let features = Array(Set([max(1, root / 2), root, min(columns, 2 * root)])).sorted()
    return [1, 5, 20, 50].flatMap { leaf in
      features.map { m in
        var s = self
        s.minLeafSize = leaf
        s.featuresPerSplit = m
        return .forest(s)
      }
    }
  }

  public var constantScoresFix: String { "every tree is a single leaf, so it cannot rank customers; fix: raise --max-depth or lower --min-leaf" }
}

extension ForestModel: ChurnModel {
  public static var family: ModelFamily { .forest }

  /// Exact TreeSHAP values (Lundberg et al. 2018), or with `exact: false` path contributions
  /// (Saabas), which cost O(depth) per tree, add up the same way, and rank features much like
  /// SHAP values but are not Shapley values.
  public func contributions(_ x: Matrix, row: Int, exact: Bool) -> (base: Double, contributions: [Double]) {
    exact ? shapleyValues(x, row: row) : pathContributions(x, row: row)
  }

  /// Exact TreeSHAP values of a block of rows at a time (`shapleyValues(_:rows:)`), or path
  /// contributions row by row.
  public func contributions(_ x: Matrix, rows: [Int], exact: Bool) -> [(base: Double, contributions: [Double])] {
    exact ? shapleyValues(x, rows: rows) : rows.map { pathContributions(x, row: $0) }
  }

  public var exactExplanationCost: Int { nodeCount }

  public static let importanceMeasure = ImportanceMeasure(
    name: "impurity", description: "share of the Gini decrease (biased toward columns with many split points)")

  public var importances: [Double] { impurityImportance }
}

extension ForestSpec {
  public func fitReport(_ fitted: any ChurnModel, rows: Int, columns: Int, labels: [Double], auc: ([Double], [Double]) -> Double?) -> String {
    guard let forest = fitted as? ForestModel else { return displayName }
    let known = forest.outOfBag.indices.filter { !forest.outOfBag[$0].isNaN }
    let outOfBag = auc(known.map { forest.outOfBag[$0] }, known.map { labels[$0] })
    return "random forest, \(treeCount) trees (\(forest.nodeCount) nodes), \(forest.featuresPerSplit) features per split, "
      + "min leaf \(minLeafSize), seed \(forest.seed): out-of-bag AUC \(outOfBag.map { String(format: "%.4f", $0) } ?? "-")"
  }
}

extension ForestModel {
  public func problem(columns d: Int) -> (field: String, expected: String, found: String)? {
    guard featureNames.count == d else {
      return ("forest.featureNames", ModelFile.count(d, "name") + " (one per preprocessed column)", ModelFile.count(featureNames.count, "name"))
    }
    guard !trees.isEmpty else { return ("forest.packedTrees", "at least one tree", "none") }
    guard impurityImportance.count == d else {
      return ("forest.impurityImportance", ModelFile.count(d, "number"), ModelFile.count(impurityImportance.count, "number"))
    }
    if let bad = ModelFile.firstNonFinite(impurityImportance, "forest.impurityImportance") { return bad }
    for (t, tree) in trees.enumerated() {
      if let problem = tree.decodingProblem(features: d) { return ("forest tree \(t)", "a well-formed tree", problem) }
    }
    return nil
  }
}
