import Foundation
import ChurnCore
import ChurnModels
import ChurnScoring

/// What `Trainer` tunes hyperparameters by.
public enum TuneMetric: String, Sendable, Equatable, CaseIterable {
  /// Mean log loss over the folds, lower is better.
  case logLoss = "log_loss"
  /// Mean ROC AUC over the folds, higher is better.
  case auc
}

/// How to choose hyperparameters on held-out rows: the candidates are scored on the latest
/// `folds` folds given (the trainer gives only folds whose test rows are not the ones it
/// reports on) and the best mean `metric` wins.
///
/// Two kinds of candidates:
/// - `.search(fixed:)`, the default search of `churn train` and `churn backtest` without
///   hyperparameter flags: the family's own search (`ModelLearner.searchCandidates` and
///   `searchPredictions`): the logistic λ₂ path with warm starts, the forest's leaf size and
///   features per split (out of bag on a table); a hyperparameter in `fixed` (given by the user)
///   is kept, and with nothing left to search nothing is fitted.
/// - `.grid` (`--tune`): every candidate of the family's grid (`ModelLearner.grid`), each
///   fitted on every fold.
public struct Tuning: Sendable, Equatable {
  /// Which candidates are compared.
  public enum Candidates: Sendable, Equatable {
    /// Every candidate of `ModelLearner.grid`, fitted on every fold (`--tune`).
    case grid
    /// The family's default search, keeping the hyperparameters named in `fixed` (property
    /// names: `l2Penalty`, `l1Penalty`, `minLeafSize`, `featuresPerSplit`, ...).
    case search(fixed: Set<String>)
  }

  /// What the candidates are compared by.
  public var metric: TuneMetric
  /// How many of the latest folds given the candidates are compared on.
  public var folds: Int
  /// The grid of `--tune` or the default search.
  public var candidates: Candidates

  /// - Parameters:
  ///   - metric: log loss (default) or AUC.
  ///   - folds: the number of latest folds to compare on (default 3).
  ///   - candidates: `.grid` (default, `--tune`) or the default search.
  public init(metric: TuneMetric = .logLoss, folds: Int = 3, candidates: Candidates = .grid) {
    self.metric = metric
    self.folds = folds
    self.candidates = candidates
  }

  /// Test rows enough for the default search: it compares candidates on the fewest of the
  /// latest folds that hold this many (at most `folds`), so large data pays for one fold.
  public static let enoughTestRows = 30_000

  /// The default search of `churn train` without hyperparameter flags: by log loss, on the
  /// latest 3 folds before the holdout (or a 3-fold split of a table's training rows, or a
  /// forest's out-of-bag rows), fewer when the later ones hold `enoughTestRows` test rows,
  /// keeping the hyperparameters in `fixed`.
  public static func defaultSearch(fixed: Set<String> = []) -> Tuning {
    Tuning(metric: .logLoss, folds: 3, candidates: .search(fixed: fixed))
  }

  /// The candidates for `settings` on a table with `columns` input columns (empty or one:
  /// nothing to choose).
  public func candidates(for settings: ModelSettings, columns: Int) -> [ModelSettings] {
    let specs: [ModelSpec]
    switch candidates {
    case .grid: specs = settings.spec.learner.grid(columns: columns)
    case .search(let fixed): specs = settings.spec.learner.searchCandidates(columns: columns, fixed: fixed)
    }
    return specs.map { spec in
      var s = settings
      s.spec = spec
      return s
    }
  }

  /// Scores every candidate on the latest `self.folds` of `allFolds` and returns the winner
  /// and the record of the comparison.
  ///
  /// - Parameters:
  ///   - table: the labelled rows the folds index.
  ///   - allFolds: out-of-time or k-fold folds; the latest `self.folds` are used. They must not
  ///     test the rows the caller reports on (the trainer passes the folds before its holdout).
  ///   - settings: the family, class weight, seed and threads; the candidates vary its spec.
  ///   - log: gets the comparison, one line per candidate (nil: says nothing).
  /// - Returns: the chosen settings and the record stored in the model file; `settings` and
  ///   nil when there is nothing to choose (a default search whose hyperparameters were all given).
  /// - Throws: `TrainerError.noTuningFolds` without a fold; the fitting errors of the candidates.
  public func choose(_ table: FeatureTable, folds allFolds: [Fold], settings: ModelSettings,
                     log: JobLog? = nil) throws -> (settings: ModelSettings, record: ModelFile.TuningRecord?) {
    var grid = candidates(for: settings, columns: table.columnNames.count)
    guard grid.count > 1 else { return (settings, nil) }
    var folds = Array(allFolds.suffix(self.folds))
    guard !folds.isEmpty else { throw TrainerError.noTuningFolds }
    if case .search = candidates {
      // Large data: the latest folds that hold `enoughTestRows` test rows score the candidates
      // as stably as three, at a fraction of the cost.
      while folds.count > 1 && folds.dropFirst().reduce(0, { $0 + $1.test.count }) >= Self.enoughTestRows { folds.removeFirst() }
    }
    let predictions: [SearchPredictions]
    switch candidates {
    case .grid: predictions = try HyperparameterSearch.fitEach(grid.map(\.spec), table: table, folds: folds, settings: settings)
    case .search: predictions = try settings.spec.learner.searchPredictions(grid.map(\.spec), table: table, folds: folds, settings: settings)
    }
    // A search that completed the candidates (a part of each chosen on rows of its own) scored those.
    if let scored = predictions.first?.candidates, scored.count == grid.count {
      for c in grid.indices { grid[c].spec = scored[c] }
    }
    let kind = predictions.first?.name == "out-of-bag" ? "out-of-bag" : folds.first?.testCutoff != nil ? "out-of-time" : "cross-validation"
    let scored = "out-of-bag predictions of \(predictions.first?.labels.count ?? 0) training rows"
    let what = candidates == .grid ? "tuning" : "default search"
    log?.line("\(what): \(grid.count) candidates "
      + (kind == "out-of-bag" ? "on \(scored), by \(metric.rawValue)"
        : "× \(predictions.count) \(predictions.count == 1 ? "fold" : "folds") (\(predictions.map(\.name).joined(separator: ", "))), by mean \(metric.rawValue)")
      + (predictions.first?.note.map { " (\($0))" } ?? ""))
    var records: [ModelFile.TuningRecord.Candidate] = []
    var best: (settings: ModelSettings, value: Double)?
    for (c, candidate) in grid.enumerated() {
      var losses: [Double] = [], aucs: [Double] = []
      for f in predictions {
        losses.append(try logLoss(probabilities: f.probabilities[c], labels: f.labels))
        aucs.append(try rocAUC(scores: f.probabilities[c], labels: f.labels))
      }
      let loss = losses.reduce(0, +) / Double(losses.count), auc = aucs.reduce(0, +) / Double(aucs.count)
      records.append(ModelFile.TuningRecord.Candidate(settings: candidate.summary, meanLogLoss: loss, meanAUC: auc))
      log?.line("  \(candidate.summary): mean log loss \(String(format: "%.5f", loss)), mean AUC \(String(format: "%.4f", auc))")
      let value = metric == .auc ? -auc : loss
      if best == nil || value < best!.value { best = (candidate, value) }
    }
    let chosen = best!.settings
    let by = metric == .auc ? "highest" : "lowest"
    let reason = kind == "out-of-bag" ? "\(by) \(metric == .auc ? "AUC" : "log loss") on \(scored)"
      : "\(by) mean \(metric == .auc ? "AUC" : "log loss") over \(predictions.count) \(kind) \(predictions.count == 1 ? "fold" : "folds")"
    // How the candidates were fitted when it differs from the chosen model ("50 trees per candidate forest").
    let fitted = predictions.first?.note.map { reason + "; \($0)" } ?? reason
    log?.line("\(what) chose \(chosen.summary) (\(fitted))")
    return (chosen, .init(metric: metric.rawValue, folds: predictions.map(\.name), candidates: records, chosen: chosen.summary, reason: fitted))
  }
}
