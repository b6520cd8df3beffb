import ChurnCore
import Foundation

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
  /// - Complexity: one fit per setting and fold, of at most the largest round count.
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
    let note = [stopsEarly ? "one fit per setting and fold, up to \(most) trees, stopped after \(Self.searchPatience) rounds without a lower log loss" : nil,
                sampled ? "fitted on \(Self.searchRowLimit) sampled training rows per fold" : nil].compactMap { $0 }.joined(separator: "; ")
    var base = settings
    base.spec = .boosting(first)
    return try folds.map { fold in
      var rows = fold.train
      if rows.count > Self.searchRowLimit {
        let fraction = Double(Self.searchRowLimit) / Double(rows.count)
        rows = GradientBoosting.sample(rows.count, fraction: fraction, stream: 1 << 40, seed: settings.seed).map { rows[Int($0)] }
      }
      let training = table.rows(rows), test = table.rows(fold.test)
      let prepared = try base.prepareMatrix(training)
      let x = try prepared.preprocessor.transform(test).rowMajor
      let labels = training.labels!, testLabels = test.labels!
      let balanced = prepared.options.classWeight == .balanced
      let testWeights = prepared.options.classWeight.applied(to: [Double](repeating: 1, count: x.rows), labels: testLabels,
                                                             positives: testLabels.reduce(0, +))
      let weightSum = testWeights.reduce(0, +)
      var probabilities = [[Double]](repeating: [], count: specs.count)
      for group in groups {
        var spec = group.spec
        spec.treeCount = group.members.map { specs[$0].treeCount }.max()!
        var sums = [Double](repeating: 0, count: x.rows)
        var grown = 0, bestLoss = Double.infinity, bestRound = 0
        var last: [Double] = []
        func record(_ round: Int, baseScore: Double, trainingScores: [Double]) -> [Double] {
          let shift = balanced
            ? GradientBoosting.meanMatchingShift(scores: trainingScores, labels: labels,
                                                 start: Calibration.priorShift(labels: labels, weightedChurnShare: 0.5)) : 0
          return HyperparameterSearch.shifted(sums.map { sigmoid(baseScore + $0) }, by: shift)
        }
        _ = try GradientBoosting(spec: spec, classWeight: prepared.options.classWeight, seed: prepared.options.seed, threads: prepared.options.threads)
          .fitWithScores(prepared.x, labels: labels, featureNames: prepared.preprocessor.outputNames, binCuts: prepared.options.binCuts) {
            baseScore, tree, scores in
            x.storage.withUnsafeBufferPointer { p in
              for i in 0..<x.rows { sums[i] += Double(tree.predict(p.baseAddress! + i * x.columns)) }
            }
            grown += 1
            let wanted = group.members.filter { specs[$0].treeCount == grown }
            var p: [Double] = []
            if !wanted.isEmpty {
              p = record(grown, baseScore: baseScore, trainingScores: scores)
              for c in wanted { probabilities[c] = p }
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
            guard grown - bestRound < Self.searchPatience || wanted.isEmpty else {
              last = p
              return false
            }
            return true
          }
        for c in group.members where probabilities[c].isEmpty { probabilities[c] = last }
      }
      return SearchPredictions(name: fold.name, labels: testLabels, probabilities: probabilities, note: note.isEmpty ? nil : note)
    }
  }
}
