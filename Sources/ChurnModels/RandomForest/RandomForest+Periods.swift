import ChurnCore

/// A survival forest whose trees split on the period first (`PeriodEncoding.stratified`).
extension RandomForest {
  /// The first period's threshold on the period column: period 1 goes left.
  static let firstPeriodThreshold = 1.5

  /// The rows of period 1 (`x[i, column]` ≤ `firstPeriodThreshold`) and those of the later
  /// periods, in row order; nil when either group is empty or holds one class, or the period is
  /// the only column (a tree model split on the period first then fits one model on all rows).
  static func periodGroups(_ x: Matrix, labels: [Double], column: Int) -> (first: [Int], later: [Int])? {
    guard x.columns > 1 else { return nil }
    var first: [Int] = [], later: [Int] = []
    for i in 0..<x.rows {
      if x[i, column] <= firstPeriodThreshold { first.append(i) } else { later.append(i) }
    }
    func bothClasses(_ rows: [Int]) -> Bool { rows.contains { labels[$0] == 1 } && rows.contains { labels[$0] == 0 } }
    return bothClasses(first) && bothClasses(later) ? (first, later) : nil
  }

  /// Two forests joined tree by tree: one fitted on the rows of period 1 (`x[i, column] ≤ 1.5`)
  /// without the period column, one on the rows of the later periods (2 … K, the period column
  /// kept, so they share one forest and split on k where it matters). Tree t of the result
  /// splits on the period at its root, with the first forest's tree t on the left and the
  /// second's on the right:
  /// ```
  /// h_1(x)          = the period-1 forest's prediction (a forest fitted on the period-1 rows
  ///                   alone with the same settings and seed: the fixed-horizon forest's rows)
  /// h_k(x), k ≥ 2   = the later-period forest's prediction
  /// ```
  /// so the next period's hazard is not averaged with the later periods' (whose features are
  /// older when they are labelled), and the result is an ordinary forest: it predicts, is
  /// explained (the period column's contribution is the step between the two) and is written
  /// like any other. Each group gets its own class-weight correction
  /// (`ForestModel.shiftingNodeOdds`); out-of-bag predictions come from each row's own group.
  ///
  /// - Parameters:
  ///   - column: the period column of `x` (values 1 … K).
  ///   - outOfBag: false: no out-of-bag predictions (as `fit(features:labels:...)`).
  /// - Returns: nil when the period-1 rows or the later rows are none or hold one class, or the
  ///   period is the only column: the caller fits one forest on all rows.
  /// - Throws: as `fit(features:labels:)`.
  /// - Complexity: the two fits, on disjoint rows: about one forest's cost on all of them.
  func fitByPeriod(features x: Matrix, labels: [Double], featureNames: [String], column: Int, outOfBag: Bool = true) throws -> ForestModel? {
    let n = x.rows, d = x.columns
    guard let (first, later) = Self.periodGroups(x, labels: labels, column: column) else { return nil }
    let others = (0..<d).filter { $0 != column }
    var firstForest = self
    if let m = featuresPerSplit { firstForest.featuresPerSplit = min(m, d - 1) }
    func fitted(_ forest: RandomForest, rows: [Int], columns: [Int]) throws -> ForestModel {
      let y = rows.map { labels[$0] }
      let model = try forest.fit(features: x.selecting(rows: rows, columns: columns), labels: y, featureNames: columns.map { featureNames[$0] },
                                 binCuts: nil, outOfBag: outOfBag)
      let shift = classWeight.priorShift(labels: y)
      return shift == 0 ? model : model.shiftingNodeOdds(by: shift)
    }
    let a = try fitted(firstForest, rows: first, columns: others)
    let b = try fitted(self, rows: later, columns: Array(0..<d))
    var oob = [Double](repeating: .nan, count: n)
    for (k, i) in first.enumerated() { oob[i] = a.outOfBag[k] }
    for (k, i) in later.enumerated() { oob[i] = b.outOfBag[k] }
    let trees = zip(a.trees, b.trees).map { Self.joined($0, $1, on: column, columns: d) }
    var importance = [Double](repeating: 0, count: d)
    for tree in trees { for (j, v) in tree.impurityDecrease.enumerated() { importance[j] += v } }
    let total = importance.reduce(0, +)
    if total > 0 { importance = importance.map { $0 / total } }
    return ForestModel(featureNames: featureNames, trees: trees, outOfBag: oob, impurityImportance: importance, seed: seed,
                       featuresPerSplit: b.featuresPerSplit, minLeafSize: minLeafSize)
  }

  /// Tree `first` (over every column but `column`) and tree `later` (over all `columns`) under
  /// a root "`column` ≤ 1.5": node 0 the root, then `first`'s nodes, then `later`'s, each in
  /// its own order (so children still follow their parents). The root's value and cover are
  /// its children's cover-weighted mean and sum; the impurity decreases are put over the new
  /// root's weight, the root's own Gini decrease credited to `column`.
  static func joined(_ first: DecisionTree, _ later: DecisionTree, on column: Int, columns d: Int) -> DecisionTree {
    let ca = Double(first.cover[0]), cb = Double(later.cover[0]), c = ca + cb
    let va = Double(first.value[0]), vb = Double(later.value[0])
    let v = (ca * va + cb * vb) / max(c, .leastNormalMagnitude)
    // A node's Gini score (w₀² + w₁²) / w (see `NodeTotals.score`); a split's decrease is its
    // children's scores less its own.
    func score(_ w: Double, _ p: Double) -> Double { w * (p * p + (1 - p) * (1 - p)) }
    var decrease = [Double](repeating: 0, count: d)
    for (j, value) in first.impurityDecrease.enumerated() { decrease[j < column ? j : j + 1] += value * ca / c }
    for (j, value) in later.impurityDecrease.enumerated() { decrease[j] += value * cb / c }
    decrease[column] += max(0, score(ca, va) + score(cb, vb) - score(c, v)) / max(c, .leastNormalMagnitude)
    return .underPeriodSplit(first, later, column: column, rootValue: Float(v), rootCover: Float(c), impurityDecrease: decrease)
  }
}

extension DecisionTree {
  /// Tree `first` (over every column but `column`) and tree `later` (over all columns) under
  /// a root "`column` ≤ `RandomForest.firstPeriodThreshold`": node 0 the root (its value and
  /// cover as given), then `first`'s nodes (their features renumbered past `column`), then
  /// `later`'s, each in its own order, so children still follow their parents. Missing-value
  /// flags are kept (none when neither tree has any). Shared by the forest and boosting split
  /// on the period first.
  static func underPeriodSplit(_ first: DecisionTree, _ later: DecisionTree, column: Int, rootValue: Float, rootCover: Float,
                               impurityDecrease: [Double]) -> DecisionTree {
    let na = Int32(first.nodeCount)
    func shifted(_ children: [Int32], by offset: Int32) -> [Int32] { children.map { $0 < 0 ? $0 : $0 + offset } }
    var tree = DecisionTree(feature: [Int32(column)] + first.feature.map { $0 >= Int32(column) ? $0 + 1 : $0 } + later.feature,
                            threshold: [RandomForest.firstPeriodThreshold] + first.threshold + later.threshold,
                            left: [1] + shifted(first.left, by: 1) + shifted(later.left, by: 1 + na),
                            right: [1 + na] + shifted(first.right, by: 1) + shifted(later.right, by: 1 + na),
                            value: [rootValue] + first.value + later.value, cover: [rootCover] + first.cover + later.cover,
                            impurityDecrease: impurityDecrease)
    if !first.defaultLeft.isEmpty || !later.defaultLeft.isEmpty {
      func flags(_ t: DecisionTree) -> [Bool] { t.defaultLeft.isEmpty ? [Bool](repeating: false, count: t.nodeCount) : t.defaultLeft }
      tree.defaultLeft = [false] + flags(first) + flags(later)
    }
    return tree
  }
}

extension Matrix {
  /// The rows `rows` and columns `columns` of this matrix, in that order, row-major.
  func selecting(rows: [Int], columns: [Int]) -> Matrix {
    var storage = [Double]()
    storage.reserveCapacity(rows.count * columns.count)
    for i in rows { for j in columns { storage.append(self[i, j]) } }
    return Matrix(rows: rows.count, columns: columns.count, storage: storage)
  }
}
