import ChurnCore

/// The forest's default search: minimum leaf size and features per split.
extension ForestSpec {
  /// The minimum leaf sizes the default search tries.
  public static let searchLeafSizes = [5, 20, 50, 100]
  /// Trees per forest while searching (the chosen forest gets `treeCount`): the choice
  /// between leaf sizes shows with fewer trees, at half the cost.
  public static let searchTreeCount = 50

  /// Minimum leaf size 5, 20, 50, 100 × features per split ⌊√d⌋ (the default, d the model's
  /// columns) and 2⌊√c⌋ (c the input columns, at most c; left out below 4 columns). A
  /// hyperparameter in `fixed` (`minLeafSize`, `featuresPerSplit`) keeps its value and the
  /// other is searched; with both fixed nothing is. The tree count and depth are never searched.
  public func searchCandidates(columns: Int, fixed: Set<String>) -> [ModelSpec] {
    let leaves = fixed.contains("minLeafSize") ? [minLeafSize] : Self.searchLeafSizes
    let root = max(1, Int(Double(columns).squareRoot()))
    let features: [Int?] = fixed.contains("featuresPerSplit") ? [featuresPerSplit] : (columns >= 4 ? [nil, min(columns, 2 * root)] : [nil])
    let candidates = leaves.flatMap { leaf in
      features.map { m -> ModelSpec in
        var s = self
        s.minLeafSize = leaf
        s.featuresPerSplit = m
        return .forest(s)
      }
    }
    return candidates.count > 1 ? candidates : []
  }

  /// Each candidate with `searchTreeCount` trees (at most its own count). Rows from an event
  /// log (`table.cutoffs` set): fitted on each fold's training rows and scored on its test
  /// rows, because a customer's rows at neighbouring cutoffs are near copies, so out-of-bag
  /// rows would have their twins in the bag and favour trees that memorize customers. A
  /// prepared table (one row per customer): fitted once on all of `table`'s rows and scored
  /// out of bag, without the folds (k times cheaper; rows that every tree drew are left out).
  /// Features per split above the model's columns are lowered to them. The candidates of one
  /// set of rows share its binned features; fitted on a fold, they skip the out-of-bag
  /// predictions (not read).
  public func searchPredictions(_ candidates: [ModelSpec], table: FeatureTable, folds: [Fold], settings: ModelSettings) throws -> [SearchPredictions] {
    let reduced = candidates.map { candidate -> ModelSpec in
      guard case .forest(var s) = candidate else { return candidate }
      s.treeCount = min(s.treeCount, Self.searchTreeCount)
      return .forest(s)
    }
    for c in reduced { try c.learner.validate() }
    guard let first = reduced.first else { return [] }
    let note = "\(min(treeCount, Self.searchTreeCount)) trees per candidate forest"
    var base = settings
    base.spec = first
    // The candidates share the rows, so `x` is binned once for them all.
    func fitAll(_ x: Matrix, labels: [Double], names: [String], options: FitOptions, outOfBag: Bool) throws -> [ForestModel] {
      let bins = periodColumn.flatMap { names.firstIndex(of: $0) } == nil ? FeatureBins(x, knownCuts: options.binCuts, threads: options.threads) : nil
      return try reduced.map { candidate in
        guard case .forest(var s) = candidate else { preconditionFailure("a forest search given \(candidate.family) candidates") }
        if let m = s.featuresPerSplit { s.featuresPerSplit = min(m, x.columns) }
        return try s.forest(x, labels: labels, featureNames: names, options: options, bins: bins, outOfBag: outOfBag)
      }
    }
    if table.cutoffs == nil {
      let labels = table.labels!
      let prepared = try base.prepareMatrix(table)
      let forests = try fitAll(prepared.x, labels: labels, names: prepared.preprocessor.outputNames, options: prepared.options, outOfBag: true)
      let shift = settings.classWeight.priorShift(labels: labels)
      let known = labels.indices.filter { i in forests.allSatisfy { !$0.outOfBag[i].isNaN } }
      return [SearchPredictions(name: "out-of-bag", labels: known.map { labels[$0] },
                                probabilities: forests.map { f in HyperparameterSearch.shifted(known.map { f.outOfBag[$0] }, by: shift) },
                                note: note)]
    }
    return try folds.map { fold in
      let test = table.rows(fold.test)
      let prepared = try base.prepareFold(training: table.rows(fold.train), test: test)
      let x = prepared.test
      let forests = try fitAll(prepared.x, labels: prepared.labels, names: prepared.preprocessor.outputNames, options: prepared.options,
                               outOfBag: false)
      return SearchPredictions(name: fold.name, labels: test.labels!, probabilities: forests.map { $0.probabilities(x) }, note: note)
    }
  }
}
