import ChurnCore
import Foundation

/// Everything that decides a fit: the model family with its hyperparameters (`ModelSpec`)
/// and what every family shares. One value trains the model of `churn train`, every fold of
/// `churn backtest` and every candidate of `--tune`, so they are fitted the same way.
public struct ModelSettings: Sendable, Equatable {
  public var spec: ModelSpec
  public var classWeight: ClassWeight
  /// Forest bootstraps, k-fold splits, bootstrap intervals and samples; the same seed gives
  /// the same model with any thread count.
  public var seed: UInt64
  /// Threads for fitting (not part of the result).
  public var threads: Int

  public init(_ spec: ModelSpec = .logistic(LogisticSpec()), classWeight: ClassWeight = .none, seed: UInt64 = 1, threads: Int = 1) {
    self.spec = spec
    self.classWeight = classWeight
    self.seed = seed
    self.threads = threads
  }

  public var family: ModelFamily { spec.family }

  /// The hyperparameters that matter for this family, for reports ("l2 100", "100 trees, min leaf 5, 7 features per split").
  public var summary: String { spec.learner.summary }

  var options: FitOptions { FitOptions(classWeight: classWeight, seed: seed, threads: threads) }

  /// Preprocessing and model fitted on the labelled rows of `table` (every label must be 0 or 1).
  ///
  /// With `balanced` class weights the fit sees as much weight on churners as on the rest, so
  /// its probabilities are inflated. King & Zeng's (2001) prior correction undoes it:
  /// logit p′ = logit p + logit τ − logit ȳ_w, τ the training churn rate, ȳ_w the churners'
  /// share of the total weight (½ when balanced). A family applies it where its probabilities
  /// are made (a forest's leaves) or returns it to be applied after the model (the logistic
  /// intercept correction, kept in `TrainedModel.priorShift` and applied by the model file).
  ///
  /// `prepare` then `fit(_:consuming:)`; a caller that needs the table for more (fingerprints,
  /// drift references) calls the two itself and gives the table up in between, so its columns
  /// can be freed while the matrix is written.
  ///
  /// - Throws: `HyperparameterError` (see `validate()`) before anything is fitted; the errors of
  ///   the preprocessor and the model family.
  public func fit(_ table: FeatureTable) throws -> TrainedModel {
    try fit(prepare(table), consuming: table)
  }

  /// Everything of a fit that reads `table` besides its transform: the checks, the deciles of
  /// its numeric columns and the fitted preprocessor (and a forest's bin cuts).
  ///
  /// - Throws: as `fit`.
  public func prepare(_ table: FeatureTable) throws -> PreparedFit {
    try validate()
    guard let labels = table.labels else { throw TrainingError.noLabelColumn }
    // Checked before the preprocessor, whose "no column varies" would hide the real cause
    // (no rows, or a single row), and the same for every family.
    guard let first = labels.first else { throw TrainingError.noLabelledRows }
    if labels.allSatisfy({ $0 == first }) { throw LogisticRegressionError.singleClass(rows: labels.count, label: Int(first)) }
    let learner = spec.learner
    // The forest needs every column sorted (its bins): sorted once, for the medians, the
    // bins and the drift references, and kept no longer than needed (as large as the table's
    // numeric columns). The logistic model needs a few order statistics: found by selection;
    // so does boosting, whose bins come from a sample of the rows (`GradientBoosting.binSampleRows`).
    let sorted: SortedColumns? = family == .forest ? SortedColumns(table, threads: threads) : nil
    let deciles = sorted?.deciles ?? ColumnDeciles(selecting: table, threads: threads)
    let preprocessor = try learner.preprocessor.fit(table, sorted: sorted, deciles: deciles, threads: threads)
    var options = self.options
    if let ascending = sorted {
      options.binCuts = preprocessor.columnOrder(table, sorted: ascending)?.binCuts(threads: threads)
    }
    return PreparedFit(labels: labels, deciles: deciles, preprocessor: preprocessor, options: options)
  }

  /// The fit `prepare` began, on the same `table`: its matrix (in the family's
  /// `ModelLearner.matrixLayout`; column-major through `transform(consuming:)`, which frees each
  /// input column once written when the caller gave the table up) and the model.
  ///
  /// - Throws: the errors of the transform and the model family.
  public func fit(_ prepared: PreparedFit, consuming table: consuming FeatureTable) throws -> TrainedModel {
    let learner = spec.learner
    let x = try matrix(prepared, consuming: table)
    let (model, shift) = try learner.fit(x, labels: prepared.labels, featureNames: prepared.preprocessor.outputNames, options: prepared.options)
    return TrainedModel(settings: self, preprocessor: prepared.preprocessor, model: model, x: x, priorShift: shift, deciles: prepared.deciles)
  }

  /// `prepare` and the transform of the same table (in the family's layout), kept together:
  /// what the candidates of a search share, which differ only in the model's hyperparameters.
  ///
  /// - Throws: as `fit`.
  func prepareMatrix(_ table: FeatureTable) throws -> (preprocessor: FittedPreprocessor, x: Matrix, options: FitOptions) {
    let prepared = try prepare(table)
    return (prepared.preprocessor, try matrix(prepared, consuming: table), prepared.options)
  }

  /// One fold of a search prepared: the preprocessor fitted on `training`, the `test` rows
  /// transformed by it, then `training` itself, consumed (a caller that passes the rows it
  /// just cut, such as `table.rows(fold.train)`, lets each input column go as the matrix is
  /// written, so a fold's table and matrix are never both whole in memory).
  ///
  /// - Throws: as `fit`.
  func prepareFold(training: consuming FeatureTable, test: FeatureTable) throws
    -> (preprocessor: FittedPreprocessor, x: Matrix, labels: [Double], options: FitOptions, test: Matrix) {
    let prepared = try prepare(training)
    let testX = try prepared.preprocessor.transform(test)
    return (prepared.preprocessor, try matrix(prepared, consuming: training), prepared.labels, prepared.options, testX)
  }

  /// The matrix of `table` in the family's layout (column-major through
  /// `transform(consuming:)`).
  func matrix(_ prepared: PreparedFit, consuming table: consuming FeatureTable) throws -> Matrix {
    spec.learner.matrixLayout == .columnMajor
      ? try prepared.preprocessor.transform(consuming: table) : try prepared.preprocessor.transform(table)
  }

  /// The candidates `--tune` compares (`ModelLearner.grid`) for a table with `columns` input
  /// columns, each with this value's class weights, seed and threads.
  public func grid(columns: Int) -> [ModelSettings] {
    spec.learner.grid(columns: columns).map { candidate in
      var s = self
      s.spec = candidate
      return s
    }
  }

  /// Checks every hyperparameter against its range (`Hyperparameters`) before anything is
  /// fitted. `featuresPerSplit` is checked against the model's columns by `RandomForest.fit`.
  ///
  /// - Throws: `HyperparameterError`.
  public func validate() throws {
    try spec.learner.validate()
    try Hyperparameters.check(threads, in: Hyperparameters.threads, flag: "--threads", property: "ModelSettings.threads",
                              fix: "use at most the number of cores")
  }
}

/// The first half of a fit (`ModelSettings.prepare`): what it read from the table before the
/// transform.
public struct PreparedFit: Sendable {
  /// The training labels.
  public let labels: [Double]
  /// The deciles of the table's numeric columns, from the fit's one selection (or sort) of each.
  public let deciles: ColumnDeciles?
  public let preprocessor: FittedPreprocessor
  let options: FitOptions
}

/// A fitted preprocessing and model, with the training matrix it saw.
public struct TrainedModel: Sendable {
  public var settings: ModelSettings
  public var preprocessor: FittedPreprocessor
  public var model: any ChurnModel
  /// The preprocessed training rows.
  public var x: Matrix
  /// King & Zeng's prior correction in log-odds still to apply to the model's probabilities
  /// (0 without class weights, or when the family applied it itself).
  public var priorShift: Double
  /// The deciles of the training table's numeric columns, from the fit's one sort of each:
  /// for the model file's drift references (`ModelFile.driftReferences`).
  public var deciles: ColumnDeciles?

  init(settings: ModelSettings, preprocessor: FittedPreprocessor, model: any ChurnModel, x: Matrix, priorShift: Double,
       deciles: ColumnDeciles? = nil) {
    self.settings = settings
    self.preprocessor = preprocessor
    self.model = model
    self.x = x
    self.priorShift = priorShift
    self.deciles = deciles
  }

  /// The model's own probabilities for preprocessed rows (before any correction).
  public func rawProbabilities(_ m: Matrix) -> [Double] { model.probabilities(m) }

  /// A one-line account of the fit for the training log.
  public func fitReport(labels: [Double], auc: ([Double], [Double]) -> Double?) -> String {
    settings.spec.learner.fitReport(model, rows: x.rows, columns: x.columns, labels: labels, auc: auc)
  }

  /// Throws when the model gives every training row the same probability (every coefficient
  /// 0 under a strong L1 penalty, every tree a single leaf): such a model cannot rank anyone,
  /// and its risk bands would put every customer in red.
  ///
  /// - Parameter probabilities: `rawProbabilities(x)` when the caller has them already (one
  ///   pass over the training matrix fewer); nil: computed here.
  /// - Throws: `TrainingError.constantScores`.
  public func checkRanksCustomers(probabilities: [Double]? = nil) throws {
    let p = probabilities ?? rawProbabilities(x)
    guard let first = p.first, p.allSatisfy({ $0 == first }) else { return }
    throw TrainingError.constantScores(rows: p.count, probability: first, fix: settings.spec.learner.constantScoresFix)
  }

  /// Probabilities for `table`'s rows with the prior correction applied.
  public func probabilities(_ table: FeatureTable) throws -> [Double] {
    let p = rawProbabilities(try preprocessor.transform(table))
    return priorShift == 0 ? p : p.map { Calibration.shift($0, by: priorShift) }
  }

  /// Probabilities of the training rows (prior correction applied).
  public var trainingProbabilities: [Double] {
    let p = rawProbabilities(x)
    return priorShift == 0 ? p : p.map { Calibration.shift($0, by: priorShift) }
  }
}

/// Rows that no model can be fitted on.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
  case noLabelledRows
  /// A table with no label column at all.
  case noLabelColumn
  /// `fix` says what to change, from the family's learner (`ModelLearner.constantScoresFix`).
  case constantScores(rows: Int, probability: Double, fix: String)

  public var description: String {
    switch self {
    case .constantScores(let rows, let p, let fix):
      return String(format: "the fitted model gives all %d training rows the same probability (%.4f): ", rows, p) + fix
    case .noLabelColumn: return "the table has no label column; expected rows labelled 0/1 or yes/no: name the label column (--label COLUMN)"
    case .noLabelledRows: return "no labelled rows to train on: every label is blank (unknown); expected rows labelled 0/1 or yes/no"
    }
  }
}
