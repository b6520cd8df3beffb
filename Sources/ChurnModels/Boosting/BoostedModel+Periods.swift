import ChurnCore

/// A survival model's boosted trees that split on the period first (`PeriodEncoding.stratified`).
extension BoostingSpec {
  /// Two boosted ensembles joined tree by tree: one fitted on the rows of period 1
  /// (`x[i, column] ≤ 1.5`) without the period column, one on the rows of the later periods
  /// (2 … K, the period column kept, so they share one ensemble and split on k where it
  /// matters), with the settings of `laterSpec` (the `later…` rounds, leaves and minimum leaf
  /// where given). Tree t of the result splits on the period at its root, with the first
  /// ensemble's tree t on the left and the second's on the right (a one-leaf tree of value 0
  /// where one ensemble has fewer trees); the first ensemble's base
  /// score (less the second's, which is the result's) is added to the leaves of the first
  /// tree's left side:
  /// ```
  /// score(x) = base₁ + Σₜ aₜ(x)   for period 1 (the ensemble of the period-1 rows alone, with the
  ///                                same settings and seed: the fixed-horizon model's rows)
  ///          = base₂ + Σₜ bₜ(x)   for periods 2 … K
  /// ```
  /// so the next period's hazard is not learned together with the later periods' (whose
  /// features are older when they are labelled: on the demo, boosting with the period as one
  /// more column ranked the next period's churners 0.018 AUC below its fixed-horizon model over
  /// the backtest folds). The result is an ordinary `BoostedModel`: it predicts, is explained
  /// and is written like any other. With balanced class weights each group gets its own prior
  /// correction (`GradientBoosting.meanMatchingShift`), the later periods' returned as the
  /// model's and the difference added with the base scores.
  ///
  /// - Parameter column: the period column of `x` (values 1 … K).
  /// - Returns: nil when the period-1 rows or the later rows are none or hold one class, or the
  ///   period is the only column: the caller fits one ensemble on all rows.
  /// - Throws: as `GradientBoosting.fitWithScores`.
  /// - Complexity: the two fits, on disjoint rows: about one fit's cost on all of them.
  func fitByPeriod(_ x: Matrix, labels: [Double], featureNames: [String], column: Int, options: FitOptions) throws
    -> (model: any ChurnModel, priorShift: Double)? {
    let n = x.rows, d = x.columns
    guard let (first, later) = RandomForest.periodGroups(x, labels: labels, column: column) else { return nil }
    let others = (0..<d).filter { $0 != column }
    func fitted(_ spec: BoostingSpec, rows: [Int], columns: [Int]) throws -> (model: BoostedModel, shift: Double) {
      let y = rows.map { labels[$0] }
      let (model, scores) = try GradientBoosting(spec: spec, classWeight: options.classWeight, seed: options.seed, threads: options.threads)
        .fitWithScores(x.selecting(rows: rows, columns: columns), labels: y, featureNames: columns.map { featureNames[$0] },
                       binCuts: options.binCuts.map { cuts in columns.map { cuts[$0] } })
      guard options.classWeight == .balanced else { return (model, 0) }
      let start = Calibration.priorShift(labels: y, weightedChurnShare: 0.5)
      return (model, GradientBoosting.meanMatchingShift(scores: scores, labels: y, start: start))
    }
    let a = try fitted(singleEnsembleSpec, rows: first, columns: others)
    let b = try fitted(laterSpec, rows: later, columns: Array(0..<d))
    let offset = (a.model.baseScore + a.shift) - (b.model.baseScore + b.shift)
    var trees: [DecisionTree] = []
    for t in 0..<max(a.model.trees.count, b.model.trees.count) {
      let left = t < a.model.trees.count ? a.model.trees[t] : .leaf(0), right = t < b.model.trees.count ? b.model.trees[t] : .leaf(0)
      trees.append(Self.joined(left, right, on: column, leftOffset: t == 0 ? offset : 0))
    }
    // Gain importance: each ensemble's shares weighted by its rows.
    var importance = [Double](repeating: 0, count: d)
    let wa = Double(first.count) / Double(n), wb = Double(later.count) / Double(n)
    for (j, v) in a.model.gainImportance.enumerated() { importance[others[j]] += wa * v }
    for (j, v) in b.model.gainImportance.enumerated() { importance[j] += wb * v }
    let model = BoostedModel(featureNames: featureNames, baseScore: b.model.baseScore, trees: trees, gainImportance: importance,
                             learningRate: learningRate)
    return (model, b.shift)
  }

  /// Tree `first` (over every column but `column`) and tree `later` (over all columns) under a
  /// root split on the period (`DecisionTree.underPeriodSplit`), `leftOffset` added to
  /// `first`'s leaves; inner values and covers made again from the leaves (`setInnerValues`).
  static func joined(_ first: DecisionTree, _ later: DecisionTree, on column: Int, leftOffset: Double) -> DecisionTree {
    var first = first
    if leftOffset != 0 {
      for k in 0..<first.nodeCount where first.feature[k] < 0 { first.value[k] = Float(Double(first.value[k]) + leftOffset) }
    }
    var tree = DecisionTree.underPeriodSplit(first, later, column: column, rootValue: 0, rootCover: 0, impurityDecrease: [])
    tree.setInnerValues()
    return tree
  }
}

extension DecisionTree {
  /// A tree of one leaf of value `value` and cover 0.
  static func leaf(_ value: Float) -> DecisionTree {
    DecisionTree(feature: [-1], threshold: [0], left: [-1], right: [-1], value: [value], cover: [0], impurityDecrease: [])
  }
}
