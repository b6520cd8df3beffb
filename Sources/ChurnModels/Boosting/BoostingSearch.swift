import ChurnCore
import Foundation
import Synchronization

/// The boosting family's default search: the number of rounds by early stopping, and a small
/// grid on leaves per tree × minimum leaf size.
extension BoostingSpec {
  /// The round counts (trees) the default search compares.
  /// At most 200: the chosen model's own fit costs its round count, and the default search of
  /// `churn train` keeps to about 4× one fit at the default 100 rounds.
  public static let searchRounds = [25, 50, 100, 150, 200]
  /// Leaves per tree the default search tries (LightGBM's `num_leaves`).
  public static let searchMaxLeaves = [7, 31]
  /// Minimum leaf sizes the default search tries (LightGBM's `min_data_in_leaf`).
  public static let searchMinLeafSizes = [20, 100]
  /// Rounds without a lower log loss on a fold's test rows after which a search fit stops.
  public static let searchPatience = 20
  /// Training rows a search fit uses at most: a fold with more is fitted on a sample of this
  /// many of them (drawn with the seed), so the search of a large table costs about what
  /// one full fit does (measured on 200,000 rows × 50: 7.6× one fit with every row, 300 rounds).
  public static let searchRowLimit = 50_000

  /// Rounds `searchRounds` × leaves `searchMaxLeaves` × minimum leaf `searchMinLeafSizes`, in
  /// that nesting (rounds vary fastest). A hyperparameter in `fixed` keeps its value and the
  /// others are searched: `treeCount` (`--trees`) fixes the rounds, `maxLeaves`
  /// (`--max-leaves`) the leaves, `minLeafSize` (`--min-leaf`) the minimum leaf; the learning
  /// rate, depth and minimum child weight are never searched (given, they apply to every
  /// candidate). With rounds, leaves and minimum leaf all fixed nothing is searched.
  public func searchCandidates(columns: Int, fixed: Set<String>) -> [ModelSpec] {
    let rounds = fixed.contains("treeCount") ? [treeCount] : Self.searchRounds
    let leaves = fixed.contains("maxLeaves") ? [maxLeaves] : Self.searchMaxLeaves
    let minimums = fixed.contains("minLeafSize") ? [minChildRows] : Self.searchMinLeafSizes
    let candidates = leaves.flatMap { l in
      minimums.flatMap { m in
        rounds.map { r -> ModelSpec in
          var s = self
          s.treeCount = r
          s.maxLeaves = l
          s.minChildRows = m
          return .boosting(s)
        }
      }
    }
    return candidates.count > 1 ? candidates : []
  }

  /// Early stopping: per fold, the preprocessor is fitted once on the fold's training rows,
  /// and each setting the candidates share but for their round count is fitted once, up to
  /// the largest round count among them, its trees walked on the fold's test rows as they are
  /// grown; the predictions of every candidate's round count are read off on the way (they
  /// equal those of the candidate fitted alone: the first k trees of a fit do not depend on
  /// how many follow). When rounds are searched, a fit stops at the first candidate round
  /// count by which its log loss on the fold's test rows (weighted as the fit, without the
  /// prior correction) has not improved for `searchPatience` rounds; a candidate with more
  /// rounds than were grown gets the predictions of that last candidate round count, so it
  /// ties with it and the shorter one is chosen (`Tuning` keeps the first of equals). A fold with more than `searchRowLimit` training
  /// rows is fitted on a sample of that many (the same for every setting). Candidates of another family: `HyperparameterSearch.fitEach`.
  ///
  /// With `periodColumn` (a survival model split on the period, `fitByPeriod`) the search
  /// scores what is fitted: per fold, the period-1 training rows (without the period column)
  /// and the later periods' (with it) are fitted apart as above, each half stopped on its own
  /// half's test rows, so a candidate's period-1 predictions are those of its period-1
  /// ensemble alone (the fixed-horizon model's search on those rows). Log loss is a sum over
  /// rows, so choosing each half's settings on its own test rows chooses the best pair: the
  /// later periods' settings are the candidate settings with the lowest summed log loss on the
  /// later test rows (each fold's weighted 1 / its test rows, as `Tuning`'s mean over folds), and every
  /// candidate is returned with them (`laterTreeCount`, `laterMaxLeaves`,
  /// `laterMinChildRows`, in `SearchPredictions.candidates`) and scored with them on those
  /// rows. Out-of-time folds of a survival model test only period-1 rows (the customers at the
  /// cutoff): the later half has nothing to be judged on and is not fitted, and each candidate
  /// keeps its own settings for it. A fold whose period groups `fitByPeriod` would not split
  /// (`RandomForest.periodGroups` nil) is searched as one ensemble, as it is then fitted.
  ///
  /// - Complexity: one fit per setting and fold (per half with `periodColumn`), of at most the largest round count.
  public func searchPredictions(_ candidates: [ModelSpec], table: FeatureTable, folds: [Fold], settings: ModelSettings) throws -> [SearchPredictions] {
    let specs = candidates.compactMap { candidate -> BoostingSpec? in
      guard case .boosting(let s) = candidate else { return nil }
      return s
    }
    guard let first = specs.first, specs.count == candidates.count else {
      return try HyperparameterSearch.fitEach(candidates, table: table, folds: folds, settings: settings)
    }
    for s in specs { try s.validate() }
    // The settings, each with its candidates' indices (first appearance order).
    var groups: [(spec: BoostingSpec, members: [Int])] = []
    for (c, s) in specs.enumerated() {
      var key = s
      key.treeCount = 0
      if let g = groups.firstIndex(where: { $0.spec == key }) { groups[g].members.append(c) } else { groups.append((key, [c])) }
    }
    let stopsEarly = Set(specs.map(\.treeCount)).count > 1
    let most = specs.map(\.treeCount).max()!
    let sampled = folds.contains { $0.train.count > Self.searchRowLimit }
    var base = settings
    base.spec = .boosting(first)
    let search = EarlyStoppedSearch(specs: specs, groups: groups, stopsEarly: stopsEarly)
    // Per fold: the test rows' labels, and each candidate's predictions as one ensemble, or per
    // period half (the test rows of each half, and its predictions when it has test rows).
    var results: [(labels: [Double], whole: [[Double]]?, first: [Int], later: [Int], firstP: [[Double]], laterP: [[Double]]?)] = []
    for fold in folds {
      var rows = fold.train
      if rows.count > Self.searchRowLimit {
        let fraction = Double(Self.searchRowLimit) / Double(rows.count)
        rows = GradientBoosting.sample(rows.count, fraction: fraction, stream: 1 << 40, seed: settings.seed).map { rows[Int($0)] }
      }
      let training = table.rows(rows), test = table.rows(fold.test)
      let prepared = try base.prepareMatrix(training)
      let x = try prepared.preprocessor.transform(test).rowMajor
      let labels = training.labels!, testLabels = test.labels!
      let names = prepared.preprocessor.outputNames
      guard let periodColumn = first.periodColumn, let column = names.firstIndex(of: periodColumn),
            let (firstRows, laterRows) = RandomForest.periodGroups(prepared.x, labels: labels, column: column) else {
        let p = try search.predictions(prepared.x, labels: labels, names: names, binCuts: prepared.options.binCuts, test: x,
                                       testLabels: testLabels, options: prepared.options)
        results.append((testLabels, p, [], [], [], nil))
        continue
      }
      let testFirst = (0..<x.rows).filter { x[$0, column] <= RandomForest.firstPeriodThreshold }
      let testLater = (0..<x.rows).filter { x[$0, column] > RandomForest.firstPeriodThreshold }
      func half(_ trainRows: [Int], _ testRows: [Int], columns: [Int]) throws -> [[Double]] {
        try search.predictions(prepared.x.selecting(rows: trainRows, columns: columns), labels: trainRows.map { labels[$0] },
                               names: columns.map { names[$0] }, binCuts: prepared.options.binCuts.map { cuts in columns.map { cuts[$0] } },
                               test: x.selecting(rows: testRows, columns: columns), testLabels: testRows.map { testLabels[$0] },
                               options: prepared.options)
      }
      let others = (0..<x.columns).filter { $0 != column }
      let firstP = testFirst.isEmpty ? [[Double]](repeating: [], count: specs.count) : try half(firstRows, testFirst, columns: others)
      let laterP = testLater.isEmpty ? nil : try half(laterRows, testLater, columns: Array(0..<x.columns))
      results.append((testLabels, nil, testFirst, testLater, firstP, laterP))
    }
    // The later periods' settings: the lowest log loss on the later test rows over the folds.
    var later: Int?
    var laterRows = 0
    if results.contains(where: { $0.laterP != nil }) {
      var losses = [Double](repeating: 0, count: specs.count)
      for r in results {
        guard let laterP = r.laterP else { continue }
        laterRows += r.later.count
        for c in specs.indices {
          var loss = 0.0
          for (k, i) in r.later.enumerated() { loss += Self.logLoss(laterP[c][k], label: r.labels[i]) }
          losses[c] += loss / Double(r.labels.count)
        }
      }
      later = specs.indices.min { losses[$0] < losses[$1] }
    }
    let split = results.contains { $0.whole == nil }
    var scored = specs
    if let later {
      let l = specs[later]
      for c in scored.indices {
        scored[c].laterTreeCount = l.treeCount == scored[c].treeCount ? nil : l.treeCount
        scored[c].laterMaxLeaves = l.maxLeaves == scored[c].maxLeaves ? nil : l.maxLeaves
        scored[c].laterMinChildRows = l.minChildRows == scored[c].minChildRows ? nil : l.minChildRows
      }
    }
    let perHalf = split ? ", per period half" : ""
    let laterNote: String? = !split ? nil : (stopsEarly ? "" : "each period half fitted apart; ") + (later.map {
      "the later periods' ensemble \(specs[$0].treeCount) trees, \(specs[$0].maxLeaves) leaves, min leaf \(specs[$0].minChildRows) "
        + "for every candidate (lowest log loss on their \(laterRows) test rows)"
    } ?? "the test rows are all period 1: each candidate's period-1 ensemble fitted and stopped on its own rows; "
      + "the later periods' ensemble, not judged, gets the candidate's settings")
    let note = [stopsEarly ? "one fit per setting\(perHalf) and fold, up to \(most) trees, stopped after \(Self.searchPatience) rounds without a lower log loss" : nil,
                sampled ? "fitted on \(Self.searchRowLimit) sampled training rows per fold" : nil, laterNote].compactMap { $0 }.joined(separator: "; ")
    return zip(folds, results).map { fold, r in
      var probabilities: [[Double]]
      if let whole = r.whole {
        probabilities = whole
      } else {
        probabilities = [[Double]](repeating: [Double](repeating: .nan, count: r.labels.count), count: specs.count)
        for c in specs.indices {
          for (k, i) in r.first.enumerated() { probabilities[c][i] = r.firstP[c][k] }
          if let laterP = r.laterP, let later {
            for (k, i) in r.later.enumerated() { probabilities[c][i] = laterP[later][k] }
          }
        }
      }
      return SearchPredictions(name: fold.name, labels: r.labels, probabilities: probabilities, note: note.isEmpty ? nil : note,
                               candidates: later == nil ? nil : scored.map { .boosting($0) })
    }
  }

  /// −log p for a churner, −log(1 − p) otherwise, clipped to [ε, 1 − ε] as the metric
  /// `Tuning` compares by (ChurnScoring's `logLoss`): the log loss of one row.
  static func logLoss(_ p: Double, label: Double) -> Double {
    let eps = Double.ulpOfOne
    return -log(min(max(label == 1 ? p : 1 - p, eps), 1 - eps))
  }
}

/// The rounds of a boosting search read off one fit per setting (`BoostingSpec.searchPredictions`).
struct EarlyStoppedSearch {
  let specs: [BoostingSpec]
  /// The settings but for the round count, each with its candidates' indices.
  let groups: [(spec: BoostingSpec, members: [Int])]
  let stopsEarly: Bool

  /// Each candidate's probabilities of the rows of `x` (row-major), from one fit per group on
  /// the training rows `training`, stopped early on the log loss of `x`.
  ///
  /// The groups' fits are independent, so with `options.threads` > 1 they run side by side,
  /// each on one thread (`options.threads` workers claim them in turn): a fit of a few
  /// thousand rows keeps two threads busy only part of the time (on Telco the whole
  /// `churn train --model boosting` took 0.74 s of wall time with 2 threads and 0.60 s with 1),
  /// two fits at once keep both.
  /// A fit gives the same trees on any thread count, so the predictions do not depend on it.
  func predictions(_ training: Matrix, labels: [Double], names: [String], binCuts: [[Double]?]?, test x: Matrix, testLabels: [Double],
                   options: FitOptions) throws -> [[Double]] {
    let workers = max(1, min(options.threads, groups.count))
    final class Results: @unchecked Sendable {
      var probabilities: [[[Double]]]
      var errors: [(any Error)?]
      init(_ k: Int) {
        probabilities = Array(repeating: [], count: k)
        errors = Array(repeating: nil, count: k)
      }
    }
    let results = Results(groups.count)
    let next = Atomic<Int>(0)
    let lock = NSLock()
    var each = options
    each.threads = workers > 1 ? 1 : options.threads
    let unit = each
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      while true {
        let g = next.add(1, ordering: .relaxed).oldValue
        guard g < groups.count else { return }
        let outcome = Result {
          try groupPredictions(groups[g], training, labels: labels, names: names, binCuts: binCuts, test: x, testLabels: testLabels,
                               options: unit)
        }
        lock.lock()
        switch outcome {
        case .success(let p): results.probabilities[g] = p
        case .failure(let error): results.errors[g] = error
        }
        lock.unlock()
      }
    }
    if let error = results.errors.compactMap({ $0 }).first { throw error }
    var probabilities = [[Double]](repeating: [], count: specs.count)
    for (g, group) in groups.enumerated() {
      for (k, c) in group.members.enumerated() { probabilities[c] = results.probabilities[g][k] }
    }
    return probabilities
  }

  /// The probabilities of `group`'s members (in its order) from one fit of its setting, up to
  /// its largest round count, stopped early as `predictions` says.
  private func groupPredictions(_ group: (spec: BoostingSpec, members: [Int]), _ training: Matrix, labels: [Double], names: [String],
                                binCuts: [[Double]?]?, test x: Matrix, testLabels: [Double], options: FitOptions) throws -> [[Double]] {
    let balanced = options.classWeight == .balanced
    let testWeights = options.classWeight.applied(to: [Double](repeating: 1, count: x.rows), labels: testLabels,
                                                  positives: testLabels.reduce(0, +))
    let weightSum = testWeights.reduce(0, +)
    var probabilities = [[Double]](repeating: [], count: group.members.count)
    var spec = group.spec.singleEnsembleSpec
    spec.treeCount = group.members.map { specs[$0].treeCount }.max()!
    var sums = [Double](repeating: 0, count: x.rows)
    var grown = 0, bestLoss = Double.infinity, bestRound = 0
    var last: [Double] = []
    func record(baseScore: Double, trainingScores: [Double]) -> [Double] {
      let shift = balanced
        ? GradientBoosting.meanMatchingShift(scores: trainingScores, labels: labels,
                                             start: Calibration.priorShift(labels: labels, weightedChurnShare: 0.5)) : 0
      return HyperparameterSearch.shifted(sums.map { sigmoid(baseScore + $0) }, by: shift)
    }
    _ = try GradientBoosting(spec: spec, classWeight: options.classWeight, seed: options.seed, threads: options.threads)
      .fitWithScores(training, labels: labels, featureNames: names, binCuts: binCuts) { baseScore, tree, scores in
        x.storage.withUnsafeBufferPointer { p in
          for i in 0..<x.rows { sums[i] += Double(tree.predict(p.baseAddress! + i * x.columns)) }
        }
        grown += 1
        let wanted = group.members.indices.filter { specs[group.members[$0]].treeCount == grown }
        var p: [Double] = []
        if !wanted.isEmpty {
          p = record(baseScore: baseScore, trainingScores: scores)
          for k in wanted { probabilities[k] = p }
        }
        guard stopsEarly else { return true }
        var loss = 0.0
        for i in 0..<x.rows {
          // log(1 + e^{−s}) for y = 1, log(1 + e^{s}) for y = 0, computed without overflow.
          let s = testLabels[i] == 1 ? -(baseScore + sums[i]) : baseScore + sums[i]
          loss += testWeights[i] * (s > 0 ? s + log1p(exp(-s)) : log1p(exp(s)))
        }
        loss /= max(weightSum, 1e-300)
        if loss < bestLoss { (bestLoss, bestRound) = (loss, grown) }
        // Stopped only at a candidate's round count, so every candidate's predictions up
        // to there are its own, and a longer one's tie with them (the shorter one wins).
        guard grown - bestRound < BoostingSpec.searchPatience || wanted.isEmpty else {
          last = p
          return false
        }
        return true
      }
    for k in probabilities.indices where probabilities[k].isEmpty { probabilities[k] = last }
    return probabilities
  }
}
