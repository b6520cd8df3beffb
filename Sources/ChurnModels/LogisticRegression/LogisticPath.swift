import ChurnCore
import Foundation

/// A regularization path: one logistic regression per L2 penalty, fitted from the largest
/// penalty to the smallest, each fit starting from the previous solution (a warm start, as
/// glmnet's and scikit-learn's `LogisticRegressionCV` paths do). Neighbouring penalties have
/// nearby optima, so each fit after the first needs a few Newton (or L-BFGS) steps instead
/// of a full solve from β = 0; the solutions are those of cold fits (the same objective and
/// stopping rule), to the solver's tolerance.
///
/// ```swift
/// let models = try LogisticPath(base: LogisticRegression(l2Penalty: 1, computeStandardErrors: false))
///   .fit(features: x, labels: y)   // 9 models, λ₂ = 10,000 … 1
/// ```
public struct LogisticPath: Sendable {
  /// The penalties of the default search, largest first: λ₂ from 10,000 down to 1 in half
  /// decades (λ₂ is on the summed log loss, so a given value regularizes less as rows grow).
  public static let defaultPenalties: [Double] = [10_000, 3_000, 1_000, 300, 100, 30, 10, 3, 1]

  /// The L2 penalties, in the order fitted (largest first for warm starts that help).
  public var penalties: [Double]
  /// Every setting but the L2 penalty (class weights, solver, tolerance, threads).
  public var base: LogisticRegression

  /// - Parameters:
  ///   - penalties: the L2 penalties, fitted in this order (default `defaultPenalties`).
  ///   - base: the regression whose `l2Penalty` each fit replaces.
  public init(penalties: [Double] = LogisticPath.defaultPenalties, base: LogisticRegression) {
    self.penalties = penalties
    self.base = base
  }

  /// One model per penalty, in the order of `penalties`.
  ///
  /// - Throws: the errors of `LogisticRegression.fit`.
  /// - Complexity: one fit from β = 0, then one warm-started fit per further penalty, from the
  ///   last solution extrapolated along the path (from the third penalty on).
  public func fit(features x: Matrix, labels: [Double], sampleWeights: [Double]? = nil, featureNames: [String]? = nil) throws -> [LogisticModel] {
    var models: [LogisticModel] = []
    var solutions: [[Double]] = []
    for (k, penalty) in penalties.enumerated() {
      var regression = base
      regression.l2Penalty = penalty
      var start = solutions.last
      if k >= 2, let last = solutions.last, solutions.count >= 2 {
        // The solution path is smooth in log λ: extrapolate the last two solutions linearly
        // (by the ratio of the steps in log λ), which starts the fit much nearer its optimum.
        let before = solutions[solutions.count - 2]
        let t = log(penalties[k - 1] / penalty) / log(penalties[k - 2] / penalties[k - 1])
        if t.isFinite, t > 0, t <= 2 { start = zip(last, before).map { $0 + t * ($0 - $1) } }
      }
      let model = try regression.fit(features: x, labels: labels, sampleWeights: sampleWeights, featureNames: featureNames, start: start)
      // A fit that ran off (not converged) is a poor start for the next one.
      if model.converged { solutions.append([model.intercept] + model.coefficients) } else { solutions.removeAll() }
      models.append(model)
    }
    return models
  }
}

/// The logistic family's default search: the λ₂ path.
extension LogisticSpec {
  /// The stopping rule of the search's fits: largest gradient entry ≤ 10⁻⁶ · Σ weights
  /// (scikit-learn's `tol` is of that order). Held-out log loss and AUC do not move at that
  /// precision; Newton needs one or two steps fewer per penalty than at the final fit's 10⁻¹⁰.
  public static let searchTolerance = 1e-6

  /// Training rows a search fold is fitted on at most: a fold with more is fitted on a sample of
  /// this many (drawn with the seed). The λ₂ penalty is on the summed log loss, a prior's
  /// precision, whose best value does not grow with the rows; and past this many rows the
  /// held-out losses of the path's penalties no longer change their order. It keeps the search of
  /// a large table cheap in time and memory (1,000,000 × 50: peak 1.30 GB → see README).
  public static let searchTrainingRows = 200_000
  /// Test rows a search fold is scored on at most (a seeded sample): the log loss of 100,000
  /// rows has a standard error far below the differences between the path's penalties.
  public static let searchTestRows = 100_000

  /// λ₂ over `LogisticPath.defaultPenalties` (10,000 … 1), unless a penalty is fixed (given)
  /// or the fit is an L1 fit: then nothing is searched.
  public func searchCandidates(columns: Int, fixed: Set<String>) -> [ModelSpec] {
    guard !fixed.contains("l2Penalty"), !fixed.contains("l1Penalty"), l1Penalty == 0 else { return [] }
    return LogisticPath.defaultPenalties.map { penalty in
      var s = self
      s.l2Penalty = penalty
      return .logistic(s)
    }
  }

  /// Candidates that differ only in λ₂: per fold, one preprocessing and one warm-started path
  /// (largest λ₂ first), without standard errors, stopped at `searchTolerance`; other
  /// candidates: one fit each
  /// (`HyperparameterSearch.fitEach`).
  public func searchPredictions(_ candidates: [ModelSpec], table: FeatureTable, folds: [Fold], settings: ModelSettings) throws -> [SearchPredictions] {
    try searchPredictions(candidates, table: table, folds: folds, settings: settings, limits: (Self.searchTrainingRows, Self.searchTestRows))
  }

  /// `searchPredictions` with row limits of the caller's (tests use small ones).
  func searchPredictions(_ candidates: [ModelSpec], table: FeatureTable, folds: [Fold], settings: ModelSettings,
                         limits: (training: Int, test: Int)) throws -> [SearchPredictions] {
    let specs = candidates.compactMap { candidate -> LogisticSpec? in
      guard case .logistic(let s) = candidate else { return nil }
      return s
    }
    guard let first = specs.first, specs.count == candidates.count,
          specs.allSatisfy({ $0.l1Penalty == 0 && $0.solver == first.solver && $0.fatTailTransform == first.fatTailTransform }) else {
      return try HyperparameterSearch.fitEach(candidates, table: table, folds: folds, settings: settings)
    }
    for s in specs { try s.validate() }
    // Largest penalty first, whatever the candidates' order.
    let order = specs.indices.sorted { specs[$0].l2Penalty > specs[$1].l2Penalty }
    let path = LogisticPath(penalties: order.map { specs[$0].l2Penalty },
                            base: LogisticRegression(l2Penalty: first.l2Penalty, classWeight: settings.classWeight, solver: first.solver,
                                                     gradientTolerance: Self.searchTolerance, threads: settings.threads,
                                                     computeStandardErrors: false))
    var base = settings
    base.spec = .logistic(first)
    let sampled = folds.contains { $0.train.count > limits.training || $0.test.count > limits.test }
    let note = sampled ? "fitted on at most \(limits.training) sampled training rows and scored on at most \(limits.test) test rows per fold" : nil
    return try folds.map { fold in
      let train = HyperparameterSearch.sample(fold.train, limit: limits.training, seed: settings.seed)
      let testRows = HyperparameterSearch.sample(fold.test, limit: limits.test, seed: settings.seed)
      let prepared = try base.prepareFold(training: table.rows(train), test: table.rows(testRows))
      let x = prepared.test
      let labels = prepared.labels
      let models = try path.fit(features: prepared.x, labels: labels, featureNames: prepared.preprocessor.outputNames)
      let shift = settings.classWeight.priorShift(labels: labels)
      var p = [[Double]](repeating: [], count: specs.count)
      for (k, i) in order.enumerated() { p[i] = HyperparameterSearch.shifted(models[k].probabilities(x), by: shift) }
      return SearchPredictions(name: fold.name, labels: testRows.map { table.labels![$0] }, probabilities: p, note: note)
    }
  }
}
