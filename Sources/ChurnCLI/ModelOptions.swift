import ArgumentParser
import ChurnPipeline

/// The model family and hyperparameters, shared by churn train and churn backtest.
struct ModelOptions: ParsableArguments {
  @Option(help: "Model family.")
  var model = ModelFamily.logistic

  @Option(help: "Logistic: L2 penalty λ₂ (scikit-learn's 1/C), 0...1e12 (default: chosen on held-out rows from 10000, 3000, ..., 3, 1; 1 with --l1).")
  var l2: Double?

  @Option(help: "Logistic: L1 penalty λ₁, 0...1e12 (default 0).")
  var l1: Double?

  @Option(help: "Class weights (balanced: probabilities are then corrected back to the real churn rate).")
  var classWeight = ClassWeight.none

  @Option(help: "Logistic: solver (default auto).")
  var solver: LogisticRegression.Solver?

  @Flag(help: "Logistic: do not apply log1p/asinh to columns with skewness above 4.")
  var noFatTail = false

  @Option(help: "Forest and boosting: number of trees (boosting rounds), 1 to 10000 (default: forest 100; boosting chosen on held-out rows by early stopping from 25 to 200).")
  var trees: Int?

  @Option(help: "Forest and boosting: rows a leaf must keep (scikit-learn's min_samples_leaf, LightGBM's min_data_in_leaf; boosting estimates them from the hessians, as LightGBM), 1...1000000000 (default: chosen on held-out rows, forest from 5, 20, 50, 100; boosting from 20, 100).")
  var minLeaf: Int?

  @Option(help: "Forest: features tried per split, 1 to the model's columns d (default: chosen on held-out rows from ⌊√d⌋ and 2⌊√c⌋, c the input columns; scikit-learn's max_features, ranger's mtry).")
  var featuresPerSplit: Int?

  @Option(help: "Forest and boosting: maximum depth, 1...10000 (default unlimited).")
  var maxDepth: Int?

  @Option(help: "Boosting: shrinkage of each tree (LightGBM's learning_rate), (0, 1] (default 0.1).")
  var learningRate: Double?

  @Option(help: "Boosting: leaves per tree, grown best-first (LightGBM's num_leaves), 2...131072 (default: chosen on held-out rows from 7, 31).")
  var maxLeaves: Int?

  @Option(help: "Boosting: hessian sum a leaf must keep (LightGBM's min_sum_hessian_in_leaf, XGBoost's min_child_weight), 0...1e12 (default 0.001).")
  var minChildWeight: Double?

  @Option(help: "Random seed, 0...18446744073709551615 (forest, k-fold splits, bootstrap intervals); the same seed gives the same results with any thread count.")
  var seed: UInt64 = 1

  @Option(help: "Calibrate probabilities on out-of-time (or out-of-fold) predictions.")
  var calibrate: Calibration.Method?

  @Flag(help: "Choose the penalty (logistic), min leaf and features per split (forest) or max leaves and min leaf (boosting) from a wider grid, each candidate fitted in full on the backtest folds before the holdout (without it and without those flags, a cheaper default search chooses them).")
  var tune = false

  @Option(help: "With --tune: choose by log_loss (lower is better) or auc (default log_loss).")
  var tuneMetric: TuneMetric?

  @Option(help: "With --tune: the number of latest backtest folds to compare candidates on (default 3).")
  var tuneFolds: Int?

  func validate() throws {
    // Flags of the other model family would be ignored: refuse them.
    let logisticFlags = FlagRules.given([("--l2", l2 != nil), ("--l1", l1 != nil), ("--solver", solver != nil), ("--no-fat-tail", noFatTail)])
    let boostingFlags = FlagRules.given([("--learning-rate", learningRate != nil), ("--max-leaves", maxLeaves != nil),
                                         ("--min-child-weight", minChildWeight != nil)])
    switch model {
    case .forest:
      try FlagRules.refuse(logisticFlags, "applies to the logistic model only, not to --model forest; drop it")
      try FlagRules.refuse(boostingFlags, "applies to gradient boosting only (--model boosting), not to --model forest; drop it")
    case .logistic:
      try FlagRules.refuse(FlagRules.given([("--trees", trees != nil), ("--min-leaf", minLeaf != nil), ("--max-depth", maxDepth != nil)]),
                           "applies to the tree models only (--model forest or boosting), not to the logistic model; drop it")
      try FlagRules.refuse(FlagRules.given([("--features-per-split", featuresPerSplit != nil)]),
                           "applies to the forest only (--model forest), not to the logistic model; drop it")
      try FlagRules.refuse(boostingFlags, "applies to gradient boosting only (--model boosting), not to the logistic model; drop it")
    case .boosting:
      try FlagRules.refuse(logisticFlags, "applies to the logistic model only, not to --model boosting; drop it")
      try FlagRules.refuse(FlagRules.given([("--features-per-split", featuresPerSplit != nil)]),
                           "applies to the forest only (--model forest), not to --model boosting; drop it")
    }
    try FlagRules.check("--trees", trees, in: 1...FlagRules.maxTrees)
    try FlagRules.check("--min-leaf", minLeaf, atLeast: 1)
    try FlagRules.check("--features-per-split", featuresPerSplit, atLeast: 1)
    try FlagRules.check("--max-depth", maxDepth, atLeast: 1)
    // Every range (Hyperparameters), with the fix: --min-leaf and --max-depth above, penalties NaN, negative or above 1e12.
    do { try settings(threads: 1).validate() } catch let error as HyperparameterError { throw ValidationError(error.description) }
    if tune {
      // What --tune chooses would overwrite the value given.
      if model == .forest {
        try FlagRules.refuse(FlagRules.given([("--min-leaf", minLeaf != nil), ("--features-per-split", featuresPerSplit != nil)]),
                             "is chosen by --tune (it tries min leaf 1, 5, 20, 50 × features per split ½√d, √d, 2√d); drop it, or drop --tune")
      } else if model == .boosting {
        try FlagRules.refuse(FlagRules.given([("--max-leaves", maxLeaves != nil), ("--min-leaf", minLeaf != nil)]),
                             "is chosen by --tune (it tries max leaves 7, 31, 63 × min leaf 5, 20, 100); drop it, or drop --tune")
      } else if l1 == nil {
        try FlagRules.refuse(l2 != nil ? ["--l2"] : [], "is chosen by --tune (it tries 0.01, 0.1, 1, 10, 100, 1000); drop it, or drop --tune")
      }
    } else {
      try FlagRules.refuse(FlagRules.given([("--tune-metric", tuneMetric != nil), ("--tune-folds", tuneFolds != nil)]), "applies only with --tune; add --tune or drop it")
    }
    try FlagRules.check("--tune-folds", tuneFolds, in: 1...FlagRules.maxFolds)
  }

  /// The settings the flags give; a hyperparameter not given keeps its family's default (`LogisticSpec`, `ForestSpec`, `BoostingSpec`).
  func settings(threads: Int) -> ModelSettings {
    let spec: ModelSpec
    switch model {
    case .logistic:
      let d = LogisticSpec()
      spec = .logistic(LogisticSpec(l2Penalty: l2 ?? d.l2Penalty, l1Penalty: l1 ?? d.l1Penalty, solver: solver ?? d.solver, fatTailTransform: !noFatTail))
    case .forest:
      let d = ForestSpec()
      spec = .forest(ForestSpec(treeCount: trees ?? d.treeCount, minLeafSize: minLeaf ?? d.minLeafSize, featuresPerSplit: featuresPerSplit,
                                maxDepth: maxDepth))
    case .boosting:
      let d = BoostingSpec()
      spec = .boosting(BoostingSpec(treeCount: trees ?? d.treeCount, learningRate: learningRate ?? d.learningRate, maxLeaves: maxLeaves ?? d.maxLeaves,
                                    maxDepth: maxDepth, minChildRows: minLeaf ?? d.minChildRows, minChildHessian: minChildWeight ?? d.minChildHessian))
    }
    return ModelSettings(spec, classWeight: classWeight, seed: seed, threads: threads)
  }

  /// The hyperparameters given as flags (the spec's property names), which the default search
  /// keeps. Every hyperparameter flag belongs here, also those no search varies today (a
  /// family without a search of its own searches its grid only when this set is empty, see
  /// `ModelLearner.searchCandidates`): a new family's flags are added with it.
  var fixed: Set<String> {
    Set(FlagRules.given([("l2Penalty", l2 != nil), ("l1Penalty", l1 != nil), ("solver", solver != nil), ("fatTailTransform", noFatTail),
                         ("treeCount", trees != nil), ("minLeafSize", minLeaf != nil), ("featuresPerSplit", featuresPerSplit != nil),
                         ("maxDepth", maxDepth != nil), ("learningRate", learningRate != nil), ("maxLeaves", maxLeaves != nil),
                         ("minChildHessian", minChildWeight != nil)]))
  }

  /// The library's trainer for these flags: settings, calibration and tuning: `--tune`'s grid,
  /// or else the default search of what no flag gave (nothing when every searched value is given).
  func trainer(threads: Int, log: JobLog) -> Trainer {
    Trainer(settings: settings(threads: threads), calibration: calibrate,
            tuning: tune ? Tuning(metric: tuneMetric ?? .logLoss, folds: tuneFolds ?? 3) : .defaultSearch(fixed: fixed), log: log)
  }
}

extension TuneMetric: ExpressibleByArgument {}
extension ModelFamily: ExpressibleByArgument {}
extension ClassWeight: ExpressibleByArgument {}
extension LogisticRegression.Solver: ExpressibleByArgument {}
extension Calibration.Method: ExpressibleByArgument {}
extension ImportanceSetting: ExpressibleByArgument {}
