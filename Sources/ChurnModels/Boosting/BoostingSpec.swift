import ChurnCore
import Foundation

/// Gradient-boosted trees' hyperparameters, with their defaults: the boosting family of
/// `ModelSpec`.
///
/// The defaults are LightGBM's (`num_iterations` 100, `learning_rate` 0.1, `num_leaves` 31,
/// no depth limit, `min_data_in_leaf` 20, `min_sum_hessian_in_leaf` 1e-3, `lambda_l2` 0, no
/// bagging or feature subsampling), so a model here and a LightGBM model at default settings
/// can be compared directly (`scripts/bench-boosting`).
public struct BoostingSpec: ModelLearner, Codable {
  public static let family = ModelFamily.boosting

  /// Boosting rounds, one tree each: LightGBM's `num_iterations`, XGBoost's `n_estimators`;
  /// `--trees`.
  public var treeCount: Int
  /// Shrinkage η of each tree's leaf values: LightGBM's `learning_rate`; `--learning-rate`.
  public var learningRate: Double
  /// Leaves per tree, grown best-first: LightGBM's `num_leaves`; `--max-leaves`.
  public var maxLeaves: Int
  /// nil = unlimited (LightGBM's `max_depth` −1); `--max-depth`.
  public var maxDepth: Int?
  /// Training rows a leaf must keep: LightGBM's `min_data_in_leaf`; `--min-leaf`. As in
  /// LightGBM the split search estimates a side's rows from its hessian sum (the histograms
  /// hold no row counts), so a leaf can keep somewhat fewer or more.
  public var minChildRows: Int
  /// Sum of hessians a leaf must keep: LightGBM's `min_sum_hessian_in_leaf`, XGBoost's
  /// `min_child_weight`; `--min-child-weight`.
  public var minChildHessian: Double
  /// L2 penalty λ on leaf values: LightGBM's `lambda_l2`, XGBoost's `reg_lambda`; `--l2`.
  public var l2Penalty: Double
  /// Rows each round draws without replacement, as a fraction (LightGBM's `bagging_fraction`
  /// with `bagging_freq` 1); 1 = every row.
  public var rowFraction: Double
  /// Features each tree may split on, as a fraction (LightGBM's `feature_fraction`); 1 = all.
  public var featureFraction: Double
  /// A survival model's period column (`PeriodEncoding.stratified`): the rows of period 1 and
  /// those of the later periods get ensembles of their own, joined tree by tree under a root
  /// split on it (`fitByPeriod`); nil (or a matrix without that column): one ensemble on all
  /// rows. Set by the trainer from the survival settings, not a flag.
  public var periodColumn: String?
  /// With `periodColumn`, the later periods' ensemble's rounds, leaves per tree and minimum leaf
  /// size when they differ from the period-1 ensemble's (`treeCount`, `maxLeaves`,
  /// `minChildRows`); nil: the same. Chosen by the default search on the later periods' own
  /// test rows (`searchPredictions`), not flags; unused without `periodColumn`. Absent from a
  /// model spec's JSON when nil.
  public var laterTreeCount: Int?
  public var laterMaxLeaves: Int?
  public var laterMinChildRows: Int?

  public init(treeCount: Int = 100, learningRate: Double = 0.1, maxLeaves: Int = 31, maxDepth: Int? = nil, minChildRows: Int = 20,
              minChildHessian: Double = 1e-3, l2Penalty: Double = 0, rowFraction: Double = 1, featureFraction: Double = 1,
              periodColumn: String? = nil) {
    self.periodColumn = periodColumn
    self.treeCount = treeCount
    self.learningRate = learningRate
    self.maxLeaves = maxLeaves
    self.maxDepth = maxDepth
    self.minChildRows = minChildRows
    self.minChildHessian = minChildHessian
    self.l2Penalty = l2Penalty
    self.rowFraction = rowFraction
    self.featureFraction = featureFraction
  }

  public var displayName: String { "gradient-boosted trees" }

  public var spec: ModelSpec { .boosting(self) }

  public var summary: String {
    "\(treeCount) trees, learning rate \(learningRate), \(maxLeaves) leaves" + (maxDepth.map { ", depth ≤ \($0)" } ?? "")
      + ", min leaf \(minChildRows)" + (minChildHessian != 1e-3 ? ", min child weight \(minChildHessian)" : "")
      + (l2Penalty != 0 ? ", l2 \(l2Penalty)" : "") + (rowFraction != 1 ? ", rows \(rowFraction)" : "")
      + (featureFraction != 1 ? ", features \(featureFraction)" : "") + (periodColumn == nil ? "" : ", period 1 apart" + laterSummary)
  }

  /// The later periods' ensemble where it differs from the period-1 one's: " (later periods:
  /// 100 trees, 31 leaves, min leaf 20)"; empty when it does not.
  var laterSummary: String {
    let later = laterSpec
    guard later.treeCount != treeCount || later.maxLeaves != maxLeaves || later.minChildRows != minChildRows else { return "" }
    return " (later periods: \(later.treeCount) trees, \(later.maxLeaves) leaves, min leaf \(later.minChildRows))"
  }

  /// The settings of one ensemble fitted alone: these without the period column and the
  /// `later…` values (the period-1 ensemble of a model split on the period, `fitByPeriod`, and
  /// a search's fits).
  public var singleEnsembleSpec: BoostingSpec {
    var s = self
    (s.periodColumn, s.laterTreeCount, s.laterMaxLeaves, s.laterMinChildRows) = (nil, nil, nil, nil)
    return s
  }

  /// The settings of the later periods' ensemble of a model split on the period
  /// (`fitByPeriod`): these, with the `later…` values where given and no period column.
  public var laterSpec: BoostingSpec {
    var s = singleEnsembleSpec
    s.treeCount = laterTreeCount ?? treeCount
    s.maxLeaves = laterMaxLeaves ?? maxLeaves
    s.minChildRows = laterMinChildRows ?? minChildRows
    return s
  }

  /// As the forest's, trees need no scaling or fat-tail transform, and categorical columns are
  /// one-hot encoded; unlike the forest's, missing numeric values stay NaN, with no median and
  /// no `NAME_missing` column (`Preprocessor.keepsMissing`): each split learns which side its
  /// missing rows go to (LightGBM's default direction, `DecisionTree.defaultLeft`), so a
  /// customer with a missing value is scored with the customers their missing value behaved
  /// like in training, split by split.
  public var preprocessor: Preprocessor { Preprocessor(standardize: false, fatTailTransform: false, keepsMissing: true) }

  public func validate() throws {
    try Hyperparameters.check(treeCount, in: Hyperparameters.treeCount, flag: "--trees", property: "BoostingSpec.treeCount",
                              fix: "use 100 to 1000 rounds (100 is the default); with a lower --learning-rate use more")
    try Hyperparameters.check(learningRate, in: Hyperparameters.learningRate, flag: "--learning-rate", property: "BoostingSpec.learningRate",
                              expected: "a number in (0, 1]", fix: "use 0.01 to 0.3 (0.1 is the default)")
    try Hyperparameters.check(maxLeaves, in: Hyperparameters.maxLeaves, flag: "--max-leaves", property: "BoostingSpec.maxLeaves",
                              fix: "use 7 to 255 leaves (31 is the default)")
    if let maxDepth {
      try Hyperparameters.check(maxDepth, in: Hyperparameters.maxDepth, flag: "--max-depth", property: "BoostingSpec.maxDepth",
                                fix: "leave it out for unlimited depth, or give at least 1 (--max-depth=N)")
    }
    try Hyperparameters.check(minChildRows, in: Hyperparameters.minLeafSize, flag: "--min-leaf", property: "BoostingSpec.minChildRows",
                              fix: "use a value well below half the training rows (20 is the default)")
    try Hyperparameters.check(minChildHessian, in: Hyperparameters.minChildHessian, flag: "--min-child-weight",
                              property: "BoostingSpec.minChildHessian", expected: "a number in [0, 1e12]", fix: "use 0.001 (the default) to 10")
    try Hyperparameters.check(l2Penalty, in: Hyperparameters.penalty, flag: "--l2", property: "BoostingSpec.l2Penalty",
                              expected: "a number in [0, 1e12]", fix: "use 0 (the default) to 10")
    try Hyperparameters.check(rowFraction, in: Hyperparameters.fraction, flag: "", property: "BoostingSpec.rowFraction",
                              expected: "a fraction in (0, 1]", fix: "use 1 (every row, the default) or 0.5 to 0.9")
    try Hyperparameters.check(featureFraction, in: Hyperparameters.fraction, flag: "", property: "BoostingSpec.featureFraction",
                              expected: "a fraction in (0, 1]", fix: "use 1 (every feature, the default) or 0.5 to 0.9")
    if let laterTreeCount {
      try Hyperparameters.check(laterTreeCount, in: Hyperparameters.treeCount, flag: "", property: "BoostingSpec.laterTreeCount",
                                fix: "leave it nil (the period-1 ensemble's rounds) or use 25 to 1000")
    }
    if let laterMaxLeaves {
      try Hyperparameters.check(laterMaxLeaves, in: Hyperparameters.maxLeaves, flag: "", property: "BoostingSpec.laterMaxLeaves",
                                fix: "leave it nil (the period-1 ensemble's leaves) or use 7 to 255")
    }
    if let laterMinChildRows {
      try Hyperparameters.check(laterMinChildRows, in: Hyperparameters.minLeafSize, flag: "", property: "BoostingSpec.laterMinChildRows",
                                fix: "leave it nil (the period-1 ensemble's minimum leaf) or use a value well below half the training rows")
    }
  }

  /// The fit (`GradientBoosting`). With balanced class weights the trees are fitted to the
  /// weighted log loss and a prior correction is returned, to be applied after the model (a
  /// constant in log-odds, as for the logistic model): the shift that brings the training
  /// rows' mean probability back to their churn rate (`GradientBoosting.meanMatchingShift`,
  /// from King & Zeng's logit τ − logit ½).
  public func fit(_ x: Matrix, labels: [Double], featureNames: [String], options: FitOptions) throws -> (model: any ChurnModel, priorShift: Double) {
    try validate()
    if let periodColumn, let column = featureNames.firstIndex(of: periodColumn),
       let byPeriod = try fitByPeriod(x, labels: labels, featureNames: featureNames, column: column, options: options) {
      return byPeriod
    }
    let (model, scores) = try GradientBoosting(spec: self, classWeight: options.classWeight, seed: options.seed, threads: options.threads)
      .fitWithScores(x, labels: labels, featureNames: featureNames, binCuts: options.binCuts)
    guard options.classWeight == .balanced else { return (model, 0) }
    let start = Calibration.priorShift(labels: labels, weightedChurnShare: 0.5)
    return (model, GradientBoosting.meanMatchingShift(scores: scores, labels: labels, start: start))
  }

  /// Leaves 7, 31, 63 × min leaf 5, 20, 100 (LightGBM's `num_leaves` × `min_data_in_leaf`).
  public func grid(columns: Int) -> [ModelSpec] {
    [7, 31, 63].flatMap { leaves in
      [5, 20, 100].map { rows in
        var s = self
        s.maxLeaves = leaves
        s.minChildRows = rows
        return .boosting(s)
      }
    }
  }

  public var constantScoresFix: String {
    "every tree is a single leaf, so it cannot rank customers; fix: lower --min-leaf or --min-child-weight, or raise --max-depth"
  }

  public func fitReport(_ fitted: any ChurnModel, rows: Int, columns: Int, labels: [Double], auc: ([Double], [Double]) -> Double?) -> String {
    guard let model = fitted as? BoostedModel else { return displayName }
    let leaves = model.trees.reduce(0) { $0 + ($1.nodeCount + 1) / 2 }
    return "gradient-boosted trees, \(model.trees.count) trees (\(leaves) leaves, at most \(maxLeaves) a tree), learning rate \(learningRate), "
      + "min leaf \(minChildRows), base log-odds " + String(format: "%.4f", model.baseScore)
  }
}
