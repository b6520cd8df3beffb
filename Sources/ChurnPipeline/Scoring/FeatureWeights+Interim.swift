import ChurnCore
import ChurnModels

// INTERIM: the weights helper moves `FeatureWeights` (Sources/ChurnCLI/Weights.swift) into the
// library with this name and API; when its branch is merged, delete this file. The report
// uses only `init(_:)`, `rows` (feature, coefficient, permutation, impurity), `groupWeights`
// and `groupBasis`.

/// A model file's weights per feature: a linear model's coefficients per output column, else
/// impurity and permutation importance per input column; strongest first.
public struct FeatureWeights: Sendable {
  /// One feature's weight.
  public struct Row: Sendable {
    public var feature: String
    /// The input column it comes from (a one-hot level's or missing indicator's column).
    public var column: String
    /// A linear model's coefficient.
    public var coefficient: LogisticModel.Coefficient?
    /// Permutation importance per input column, when measured.
    public var permutation: PermutationImportance.Column?
    public var impurity: Double?
    public var strength: Double
  }

  public let file: ModelFile
  public var rows: [Row] = []

  public init(_ file: ModelFile) {
    self.file = file
    if let linear = file.model as? any LinearChurnModel {
      rows = linear.coefficientTable.enumerated().map { j, c in
        Row(feature: c.name, column: file.preprocessor.source(ofOutput: j).column, coefficient: c, strength: abs(c.estimate))
      }
    } else {
      var impurity: [String: Double] = [:]
      for (j, share) in file.model.importances.enumerated() { impurity[file.preprocessor.source(ofOutput: j).column, default: 0] += share }
      let permutation = Dictionary((file.permutationImportance?.columns ?? []).map { ($0.column, $0) }, uniquingKeysWith: { a, _ in a })
      rows = impurity.keys.map { column in
        Row(feature: column, column: column, permutation: permutation[column], impurity: impurity[column],
            strength: permutation[column]?.mean ?? impurity[column] ?? 0)
      }
    }
    rows.sort { ($0.strength, $1.feature) > ($1.strength, $0.feature) }
  }

  /// Whether the model has a coefficient per column (`LinearChurnModel`).
  public var isLinear: Bool { file.model is any LinearChurnModel }

  /// What the grouped view sums, per input column.
  public var groupWeights: [(column: String, weight: Double)] {
    if isLinear {
      var byInput: [String: Double] = [:]
      for row in rows { byInput[row.column, default: 0] += row.strength }
      return byInput.map { ($0.key, $0.value) }
    }
    return rows.map { ($0.feature, $0.permutation?.mean ?? $0.impurity ?? 0) }
  }

  /// What `groupWeights` sums, in words.
  public var groupBasis: String {
    if isLinear { return "sum of |coefficient| per +1 SD" }
    return file.permutationImportance != nil ? "sum of permutation importance (AUC drop)" : "sum of impurity importance"
  }
}
