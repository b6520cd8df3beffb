import ChurnCore

/// Out-of-sample probabilities of every candidate of a hyperparameter search on one set of
/// rows: a fold's test rows, or a forest's out-of-bag rows.
public struct SearchPredictions: Sendable, Equatable {
  /// The fold's name ("2025-10-01", "fold 2 of 3"), or "out-of-bag".
  public var name: String
  /// The rows' labels.
  public var labels: [Double]
  /// One array per candidate, in the candidates' order, aligned with `labels` (prior
  /// correction applied, as `TrainedModel.probabilities` gives them).
  public var probabilities: [[Double]]
  /// A note for the log ("50 trees per forest"), or nil.
  public var note: String?
  /// The candidates as the search scored them, when it chose part of each itself (a boosting
  /// survival model's later periods' settings, `BoostingSpec.searchPredictions`), in the
  /// candidates' order; nil: as given. `Tuning` records and returns these.
  public var candidates: [ModelSpec]?

  public init(name: String, labels: [Double], probabilities: [[Double]], note: String? = nil, candidates: [ModelSpec]? = nil) {
    self.name = name
    self.labels = labels
    self.probabilities = probabilities
    self.note = note
    self.candidates = candidates
  }
}

/// The defaults of the search hooks of `ModelLearner`: what a family gets without a search
/// of its own (the logistic λ path is in LogisticPath.swift, the forest's out-of-bag search
/// in ForestSearch.swift).
extension ModelLearner {
  /// `grid(columns:)` when no hyperparameter is fixed; none (no search) when any is.
  public func searchCandidates(columns: Int, fixed: Set<String>) -> [ModelSpec] {
    fixed.isEmpty ? grid(columns: columns) : []
  }

  /// Every candidate fitted on every fold (`HyperparameterSearch.fitEach`).
  public func searchPredictions(_ candidates: [ModelSpec], table: FeatureTable, folds: [Fold], settings: ModelSettings) throws -> [SearchPredictions] {
    try HyperparameterSearch.fitEach(candidates, table: table, folds: folds, settings: settings)
  }
}

/// Helpers shared by the families' searches.
public enum HyperparameterSearch {
  /// Each candidate fitted on each fold's training rows and predicting its test rows. The
  /// preprocessor is fitted once per fold, on its training rows only, with the first
  /// candidate's preprocessing (the candidates of a search differ only in the model's
  /// hyperparameters), so each candidate's predictions equal those of
  /// `ModelSettings.fit` on the fold.
  ///
  /// - Parameters:
  ///   - candidates: specs of one family.
  ///   - settings: class weights, seed and threads of every fit.
  ///   - note: kept in each result, for the log.
  /// - Throws: `HyperparameterError` of a candidate; the errors of preprocessing and fitting.
  /// - Complexity: one preprocessing per fold, one fit per candidate and fold.
  public static func fitEach(_ candidates: [ModelSpec], table: FeatureTable, folds: [Fold], settings: ModelSettings,
                             note: String? = nil) throws -> [SearchPredictions] {
    guard let first = candidates.first else { return [] }
    for c in candidates { try c.learner.validate() }
    var base = settings
    base.spec = first
    return try folds.map { fold in
      let test = table.rows(fold.test)
      let prepared = try base.prepareFold(training: table.rows(fold.train), test: test)
      let x = prepared.test
      let labels = prepared.labels
      let p = try candidates.map { candidate -> [Double] in
        let (model, shift) = try candidate.learner.fit(prepared.x, labels: labels, featureNames: prepared.preprocessor.outputNames,
                                                       options: prepared.options)
        return shifted(model.probabilities(x), by: shift)
      }
      return SearchPredictions(name: fold.name, labels: test.labels!, probabilities: p, note: note)
    }
  }

  /// `rows` when they are at most `limit`; else `limit` of them drawn with `seed` (without
  /// replacement, in their order), the same draw for the same rows and seed.
  public static func sample(_ rows: [Int], limit: Int, seed: UInt64) -> [Int] {
    guard rows.count > limit else { return rows }
    var rng = SeededGenerator(seed: seed, stream: 1 << 41)
    var order = Array(rows.indices)
    for i in 0..<limit { order.swapAt(i, i + rng.integer(below: rows.count - i)) }
    return order[..<limit].sorted().map { rows[$0] }
  }

  /// `p` with the prior correction `shift` (log-odds) applied; `p` itself when 0.
  static func shifted(_ p: [Double], by shift: Double) -> [Double] {
    shift == 0 ? p : p.map { Calibration.shift($0, by: shift) }
  }
}
