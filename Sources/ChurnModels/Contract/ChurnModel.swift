import ChurnCore

/// What every fitted churn model can do, whatever its family: the contract that scoring,
/// reasons, the model file and the pipeline rely on.
///
/// A model sees rows already prepared by its `FittedPreprocessor` (one-hot levels, imputed
/// values with missing indicators, and for some families scaled columns): `x` has one column
/// per name of `featureNames`.
///
/// To add a model family: a folder in ChurnModels with its learner (a `ModelLearner`, the
/// family's hyperparameters and `fit`) and its fitted model (a `ChurnModel`), and a case in
/// `ModelFamily` and `ModelSpec` (Contract/ModelSpec.swift). The conformance suite
/// (Tests/ChurnModelsTests/ModelConformanceTests.swift) runs over `ModelFamily.allCases` and
/// says when it is done.
public protocol ChurnModel: Sendable, Codable, Equatable {
  /// The family this model belongs to; also the key its JSON is stored under in a model file.
  static var family: ModelFamily { get }

  /// The prepared (model) columns, in order.
  var featureNames: [String] { get }

  /// Churn probabilities in [0, 1], one per row of `x`.
  func probabilities(_ x: Matrix) -> [Double]

  /// Row `row` of `x` explained additively in probability units:
  /// `base + Σ contributions = probabilities(x)[row]` (to rounding), one contribution per
  /// model column.
  ///
  /// - Parameter exact: for families with a cheaper approximation (a forest's path
  ///   contributions against exact TreeSHAP values), false asks for the cheaper one; families
  ///   with one exact method ignore it.
  func contributions(_ x: Matrix, row: Int, exact: Bool) -> (base: Double, contributions: [Double])

  /// `contributions(_:row:exact:)` of each of `rows`, in that order: the same values, computed
  /// together where that is cheaper (tree models walk each tree once for a block of rows). The
  /// default explains the rows one by one.
  func contributions(_ x: Matrix, rows: [Int], exact: Bool) -> [(base: Double, contributions: [Double])]

  /// The work of one exact explanation in node visits, for choosing between exact and
  /// approximate explanations by budget; 0 when exact explanations are as cheap as any.
  var exactExplanationCost: Int { get }

  /// The family's own importance of each model column, non-negative (a logistic model's
  /// |coefficient| on the standardized scale, a forest's impurity decrease).
  var importances: [Double] { get }

  /// What `importances` measures, named for readers (`churn weights`, the report).
  static var importanceMeasure: ImportanceMeasure { get }

  /// The first thing that makes a model read from a file unusable with `columns` prepared
  /// columns (arrays of the wrong length, a non-finite number, a malformed tree): the field
  /// (under the family's key, such as `logistic.coefficients[3]`), what was expected and what
  /// it holds; nil when it can score any accepted input without a crash or a NaN.
  func problem(columns: Int) -> (field: String, expected: String, found: String)?
}

extension ChurnModel {
  public func contributions(_ x: Matrix, rows: [Int], exact: Bool) -> [(base: Double, contributions: [Double])] {
    rows.map { contributions(x, row: $0, exact: exact) }
  }

  /// This model's family.
  public var family: ModelFamily { Self.family }

  /// What this model's `importances` measure.
  public var importanceMeasure: ImportanceMeasure { Self.importanceMeasure }

  /// Whether `other` is the same model (same family, equal values).
  public func isEqual(to other: any ChurnModel) -> Bool {
    guard let other = other as? Self else { return false }
    return self == other
  }
}

/// Models whose effect of each column is one coefficient, with inference (standard errors,
/// intervals, p-values): `churn weights` shows them as a coefficient table.
public protocol LinearChurnModel: ChurnModel {
  /// One row per model column, in order.
  var coefficientTable: [LogisticModel.Coefficient] { get }
  /// The L2 penalty of the fit (its intervals understate the uncertainty of shrunken estimates when > 0).
  var l2Penalty: Double { get }
}

/// What a model family's own importance measures: its short name (a table header, the
/// `<name>_importance` CSV column) and a sentence for a plot's axis.
public struct ImportanceMeasure: Sendable, Equatable {
  /// One word: `coefficient`, `impurity`, `gain`.
  public let name: String
  /// What the number is, for an axis or a note.
  public let description: String

  public init(name: String, description: String) {
    self.name = name
    self.description = description
  }
}
