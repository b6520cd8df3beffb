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
  /// - Throws: `HyperparameterError` (see `validate()`) before anything is fitted; the errors of
  ///   the preprocessor and the model family.
  public func fit(_ table: FeatureTable) throws -> TrainedModel {
    try validate()
    guard let labels = table.labels else { throw TrainingError.noLabelColumn }
    // Checked before the preprocessor, whose "no column varies" would hide the real cause
    // (no rows, or a single row), and the same for every family.
    guard let first = labels.first else { throw TrainingError.noLabelledRows }
    if labels.allSatisfy({ $0 == first }) { throw LogisticRegressionError.singleClass(rows: labels.count, label: Int(first)) }
    let learner = spec.learner
    // Tree families need every column sorted (their bins): sorted once, for the medians, the
    // bins and the drift references, and kept no longer than needed (as large as the table's
    // numeric columns). The logistic model needs a few order statistics: found by selection.
    var sorted: SortedColumns? = family == .forest || family == .boosting ? SortedColumns(table, threads: threads) : nil
    let deciles = sorted?.deciles ?? ColumnDeciles(selecting: table, threads: threads)
    let preprocessor = try learner.preprocessor.fit(table, sorted: sorted, deciles: deciles, threads: threads)
    var options = self.options
    if let ascending = sorted {
      options.binCuts = preprocessor.columnOrder(table, sorted: ascending)?.binCuts(threads: threads)
    }
    sorted = nil
    let x = try preprocessor.transform(table)
    let (model, shift) = try learner.fit(x, labels: labels, featureNames: preprocessor.outputNames, options: options)
    return TrainedModel(settings: self, preprocessor: preprocessor, model: model, x: x, priorShift: shift, deciles: deciles)
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
