import ChurnCore

/// The model families churn trains: `churn train --model <family>`.
///
/// Adding a family is a case here and in `ModelSpec`, with its learner and model in a folder
/// of their own (see `ChurnModel`).
public enum ModelFamily: String, Sendable, Codable, CaseIterable {
  /// Penalized logistic regression (`LogisticSpec`, `LogisticModel`).
  case logistic
  /// A probability random forest (`ForestSpec`, `ForestModel`).
  case forest
  /// Gradient-boosted trees on log loss (`BoostingSpec`, `BoostedModel`).
  case boosting

  /// The family with its default hyperparameters.
  public var defaultSpec: ModelSpec {
    switch self {
    case .logistic: return .logistic(LogisticSpec())
    case .forest: return .forest(ForestSpec())
    case .boosting: return .boosting(BoostingSpec())
    }
  }

  /// The fitted model's type, for reading a model file.
  var modelType: any ChurnModel.Type {
    switch self {
    case .logistic: return LogisticModel.self
    case .forest: return ForestModel.self
    case .boosting: return BoostedModel.self
    }
  }

  /// "logistic regression", "random forest", "gradient-boosted trees".
  public var displayName: String { defaultSpec.learner.displayName }
}

/// A model family with its hyperparameters: the one source of truth for their names,
/// defaults and valid ranges. `ModelSettings` adds what every family shares (class weights,
/// seed, threads).
public enum ModelSpec: Sendable, Equatable, Codable {
  case logistic(LogisticSpec)
  case forest(ForestSpec)
  case boosting(BoostingSpec)

  /// The family's learner, through which everything else is done.
  public var learner: any ModelLearner {
    switch self {
    case .logistic(let spec): return spec
    case .forest(let spec): return spec
    case .boosting(let spec): return spec
    }
  }

  public var family: ModelFamily { type(of: learner).family }
}

/// What every family's fit is given besides its own hyperparameters.
public struct FitOptions: Sendable, Equatable {
  public var classWeight: ClassWeight
  public var seed: UInt64
  public var threads: Int
  /// The forest's bin cut points of each prepared column, when found from the fit's one sort
  /// of each table column (`ModelSettings.fit`): its bins then need no sort of their own.
  var binCuts: [[Double]?]?

  public init(classWeight: ClassWeight = .none, seed: UInt64 = 1, threads: Int = 1) {
    self.classWeight = classWeight
    self.seed = seed
    self.threads = threads
  }

  /// Equal settings (the column order is a means, not a setting).
  public static func == (a: FitOptions, b: FitOptions) -> Bool {
    a.classWeight == b.classWeight && a.seed == b.seed && a.threads == b.threads
  }
}

extension ModelLearner {
  public var matrixLayout: Matrix.Layout { .rowMajor }
}

/// A model family's hyperparameters and how to fit them: a plain value (as scikit-learn's
/// estimators are); all learning and all checking of the data happen in `fit`.
public protocol ModelLearner: Sendable, Equatable {
  static var family: ModelFamily { get }

  /// "logistic regression", "random forest".
  var displayName: String { get }

  /// The hyperparameters that matter, for reports ("l2 100", "100 trees, min leaf 5, √d features per split").
  var summary: String { get }

  /// How this family's inputs are prepared from a feature table.
  var preprocessor: Preprocessor { get }

  /// Checks every hyperparameter against its range (`Hyperparameters`) before anything is fitted.
  ///
  /// - Throws: `HyperparameterError`.
  func validate() throws

  /// Fits prepared rows.
  ///
  /// - Returns: the model, and the prior correction (log-odds) still to apply to its
  ///   probabilities (0 when the family applied it itself or there are no class weights).
  func fit(_ x: Matrix, labels: [Double], featureNames: [String], options: FitOptions) throws -> (model: any ChurnModel, priorShift: Double)

  /// The candidates `--tune` compares for a table with `columns` input columns.
  func grid(columns: Int) -> [ModelSpec]

  /// The layout of the prepared matrix `fit` is given by `ModelSettings.fit` (default
  /// row-major). Column-major lets the preprocessor free each input column as it writes the
  /// matrix (`FittedPreprocessor.transform(consuming:)`): a family whose fit reads X through
  /// `Matrix`'s products takes it.
  var matrixLayout: Matrix.Layout { get }

  /// The candidates of the default search (training with no hyperparameter flags): this
  /// learner with the hyperparameters not named in `fixed` (property names, such as
  /// `l2Penalty`) varied. One candidate, or none, means nothing to search. A default
  /// implementation (HyperparameterSearch.swift) gives `grid(columns:)` when nothing is fixed.
  func searchCandidates(columns: Int, fixed: Set<String>) -> [ModelSpec]

  /// Out-of-sample probabilities of each of `candidates` (from `searchCandidates`) on the rows
  /// of `folds` of `table`: each candidate fitted on a fold's training rows and predicting its
  /// test rows. A default implementation fits every candidate on every fold (one
  /// preprocessing per fold); a family may do it cheaper (the logistic λ path with warm
  /// starts) or score otherwise (a forest's out-of-bag predictions, without folds).
  func searchPredictions(_ candidates: [ModelSpec], table: FeatureTable, folds: [Fold], settings: ModelSettings) throws -> [SearchPredictions]

  /// A one-line account of a fit of this learner for the training log ("logistic regression,
  /// newton solver (auto-selected for 1000 × 12): 7 iterations ..."), given the prepared
  /// training matrix's shape, the labels and an AUC function (the metrics live above models).
  func fitReport(_ model: any ChurnModel, rows: Int, columns: Int, labels: [Double], auc: ([Double], [Double]) -> Double?) -> String

  /// What to change when every training row gets the same probability.
  var constantScoresFix: String { get }

  /// This learner as a spec.
  var spec: ModelSpec { get }
}
