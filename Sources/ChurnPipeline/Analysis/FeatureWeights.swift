import Foundation

/// A model file's weights per feature: what `churn weights` lists and `churn train` prints.
///
/// A model with a coefficient per column (`LinearChurnModel`) gives one row per model column (a
/// one-hot level, a missing indicator) with its coefficient on the standardized scale (+1
/// standard deviation), odds ratio, 95% interval, Wald p-value and retention impact. Any other
/// model gives one row per input column with its split importance (`ChurnModel.importances`
/// summed over the column's model columns: a forest's impurity decrease, boosting's gain; named by
/// `ChurnModel.importanceMeasure`) and, when the file has it, the permutation importance
/// measured at training (drop in held-out AUC when the column is shuffled; Breiman 2001).
/// Rows are sorted by strength (|coefficient|, or permutation importance, else split importance), ties by name.
public struct FeatureWeights: Sendable {
  /// One feature's weight.
  public struct Row: Sendable {
    /// The model column (linear) or the input column.
    public var feature: String
    /// The input column it comes from (a one-hot level's or missing indicator's column).
    public var column: String
    /// A linear model's coefficient with its interval and p-value.
    public var coefficient: LogisticModel.Coefficient?
    /// The permutation importance of the input column (models without coefficients, when measured).
    public var permutation: PermutationImportance.Column?
    /// The split importance of the input column (models without coefficients: impurity decrease
    /// or gain, see `FeatureWeights.measure`): its share of the total.
    public var splitImportance: Double?
    /// What the rows are sorted by: |coefficient|, or the permutation importance, else the split importance.
    public var strength: Double
  }

  /// The model file the weights come from.
  public let file: ModelFile
  /// The rows, strongest first.
  public private(set) var rows: [Row] = []

  /// The weights of the model in `file`.
  public init(_ file: ModelFile) {
    self.file = file
    if let linear = file.model as? any LinearChurnModel {
      rows = linear.coefficientTable.enumerated().map { j, c in
        Row(feature: c.name, column: file.preprocessor.source(ofOutput: j).column, coefficient: c, strength: abs(c.estimate))
      }
    } else {
      var split: [String: Double] = [:]
      for (j, share) in file.model.importances.enumerated() { split[file.preprocessor.source(ofOutput: j).column, default: 0] += share }
      let permutation = Dictionary((file.permutationImportance?.columns ?? []).map { ($0.column, $0) }, uniquingKeysWith: { a, _ in a })
      rows = split.map { column, share in
        Row(feature: column, column: column, permutation: permutation[column], splitImportance: share, strength: permutation[column]?.mean ?? share)
      }
    }
    rows.sort { ($0.strength, $1.feature) > ($1.strength, $0.feature) }
  }

  /// Whether the model has a coefficient per column (`LinearChurnModel`).
  public var isLinear: Bool { file.model is any LinearChurnModel }

  /// What the model's own importance measures (the split importance's name: impurity, gain).
  public var measure: ImportanceMeasure { file.model.importanceMeasure }

  /// What the grouped view sums, per input column: |coefficient| summed over the column's model
  /// columns (linear), else the permutation importance, else the split importance.
  public var groupWeights: [(column: String, weight: Double)] {
    if isLinear {
      var byInput: [String: Double] = [:]
      for row in rows { byInput[row.column, default: 0] += row.strength }
      // In column order: a dictionary's order changes from process to process, and the groups'
      // shares are sums in this order (the same model must print the same bits).
      return byInput.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
    return rows.map { ($0.feature, $0.permutation?.mean ?? $0.splitImportance ?? 0) }
  }

  /// What `groupWeights` measures, in words ("sum of |coefficient| per +1 SD").
  public var groupBasis: String {
    if isLinear { return "sum of |coefficient| per +1 SD" }
    return file.permutationImportance != nil ? "sum of permutation importance (AUC drop)" : "sum of \(measure.name) importance"
  }

  /// The first `top` rows as a text table, as `churn train` and `churn weights` print them.
  public func table(top: Int) -> String {
    if isLinear {
      var lines = ["feature (per +1 SD)               coef   odds ratio (95% CI)      p    churn pts"]
      for row in rows.prefix(top) {
        guard let c = row.coefficient else { continue }
        let interval = c.standardError.isNaN ? "" : String(format: "(%.2f–%.2f)", exp(c.lower95), exp(c.upper95))
        let p = c.pValue.isNaN ? "   -" : (c.pValue < 0.001 ? "<.001" : String(format: "%.3f", c.pValue))
        lines.append(TextTable.pad(TextTable.cut(c.name, 30), 31) + SignedNumber.text(c.estimate, decimals: 3, width: 7)
          + String(format: "%8.2f ", c.oddsRatio) + TextTable.pad(interval, 13) + TextTable.pad(p, 6, right: true)
          + SignedNumber.text(100 * c.retentionImpact, decimals: 1, width: 9))
      }
      return lines.joined(separator: "\n")
    }
    var lines = ["feature                      permutation: AUC drop ± sd " + TextTable.pad(measure.name, 10, right: true)]
    let strongest = rows.map { $0.permutation?.mean ?? 0 }.max() ?? 0
    for row in rows.prefix(top) {
      var perm = "           -          "
      if let p = row.permutation {
        let bar = strongest > 0 ? String(repeating: "█", count: max(0, Int((8 * p.mean / strongest).rounded()))) : ""
        perm = SignedNumber.text(p.mean, decimals: 4, width: 7) + String(format: " ± %.4f ", p.standardDeviation) + TextTable.pad(bar, 8)
      }
      lines.append(TextTable.pad(TextTable.cut(row.feature, 28), 29) + perm + String(format: "%7.1f%%", 100 * (row.splitImportance ?? 0)))
    }
    if let p = file.permutationImportance {
      lines.append("(shuffled on \(p.rows); unshuffled AUC \(String(format: "%.4f", p.baseline)))")
    } else {
      lines.append(Self.noPermutationImportance(measure))
    }
    return lines.joined(separator: "\n")
  }

  /// What the table says of a model file without permutation importance.
  public static func noPermutationImportance(_ measure: ImportanceMeasure) -> String {
    "(no permutation importance in this model file: it was trained with --importance none, or its held-out rows had one class; sorted by \(measure.name) importance)"
  }

  /// The grouped view as a text table: each category's share of `basis` and its strongest members.
  public static func groupTable(_ groups: [Attribution.Group], basis: String) -> String {
    var lines = ["signals grouped by category (\(basis)):", "category       share   strongest members"]
    for g in groups {
      let members = g.columns.prefix(3).map(\.column).joined(separator: ", ")
      lines.append(TextTable.pad(g.category, 13) + String(format: "%6.2f   ", g.share) + TextTable.cut(members, 56))
    }
    return lines.joined(separator: "\n")
  }

  /// The first `top` rows (all when nil) as CSV, each with its category under `attribution`.
  ///
  /// Linear: `feature,category,coefficient,standard_error,odds_ratio,odds_ratio_lower_95,
  /// odds_ratio_upper_95,p_value,retention_impact`; otherwise `feature,category,
  /// permutation_importance,permutation_sd,<measure>_importance` (`impurity_importance` for a
  /// forest, `gain_importance` for boosting). An unknown number is a blank cell.
  public func csv(top: Int? = nil, attribution: Attribution = Attribution()) -> String {
    let limit = top ?? rows.count
    if isLinear {
      var out = "feature,category,coefficient,standard_error,odds_ratio,odds_ratio_lower_95,odds_ratio_upper_95,p_value,retention_impact\n"
      for row in rows.prefix(limit) {
        guard let c = row.coefficient else { continue }
        out += [CSVField.escape(c.name), attribution.category(of: row.column), cell(c.estimate), cell(c.standardError),
                cell(c.oddsRatio), cell(exp(c.lower95)), cell(exp(c.upper95)), cell(c.pValue), cell(c.retentionImpact)].joined(separator: ",") + "\n"
      }
      return out
    }
    var out = "feature,category,permutation_importance,permutation_sd,\(measure.name)_importance\n"
    for row in rows.prefix(limit) {
      out += [CSVField.escape(row.feature), attribution.category(of: row.feature), row.permutation.map { cell($0.mean) } ?? "",
              row.permutation.map { cell($0.standardDeviation) } ?? "", cell(row.splitImportance ?? .nan)].joined(separator: ",") + "\n"
    }
    return out
  }

  /// A CSV cell: the number, or blank when it is unknown (no standard error without a
  /// covariance), as churn's other CSVs leave missing values: never "nan" or "inf".
  private func cell(_ x: Double) -> String { x.isFinite ? "\(x)" : "" }

  /// The weights and the grouped view as `churn weights --format json` writes them.
  public struct Document: Encodable, Sendable {
    /// One feature; fields a model family does not have are left out.
    public struct Entry: Encodable, Sendable {
      public var feature: String
      public var coefficient: Double?
      public var standardError: Double?
      public var oddsRatio: Double?
      public var oddsRatioLower95: Double?
      public var oddsRatioUpper95: Double?
      public var pValue: Double?
      public var retentionImpact: Double?
      public var permutationImportance: Double?
      public var permutationSD: Double?
      /// A forest's split importance.
      public var impurityImportance: Double?
      /// A boosted model's split importance.
      public var gainImportance: Double?
    }
    /// One category of the grouped view.
    public struct GroupEntry: Encodable, Sendable {
      public var category: String
      public var share: Double
      public var columns: [String]
    }
    /// The model family's name.
    public var model: String
    public var features: [Entry]
    public var groupedBy: String
    public var groups: [GroupEntry]
  }

  /// The first `top` rows (all when nil) and the grouped view `grouped`, as a typed document.
  public func document(top: Int? = nil, grouped: [Attribution.Group]) -> Document {
    let entries = rows.prefix(top ?? rows.count).map { row -> Document.Entry in
      let c = row.coefficient
      return Document.Entry(feature: row.feature, coefficient: c?.estimate, standardError: c?.standardError, oddsRatio: c?.oddsRatio,
                            oddsRatioLower95: c.map { exp($0.lower95) }, oddsRatioUpper95: c.map { exp($0.upper95) }, pValue: c?.pValue,
                            retentionImpact: c?.retentionImpact, permutationImportance: row.permutation?.mean,
                            permutationSD: row.permutation?.standardDeviation,
                            impurityImportance: measure.name == "impurity" ? row.splitImportance : nil,
                            gainImportance: measure.name == "gain" ? row.splitImportance : nil)
    }
    return Document(model: file.family.rawValue, features: entries, groupedBy: groupBasis,
                    groups: grouped.map { Document.GroupEntry(category: $0.category, share: $0.share, columns: $0.columns.map(\.column)) })
  }

  /// `document(top:grouped:)` as pretty-printed JSON with sorted keys (NaN as "nan").
  ///
  /// - Throws: `EncodingError` (not expected: every value is a number or a string).
  public func json(top: Int? = nil, grouped: [Attribution.Group]) throws -> String {
    try TextTable.json(document(top: top, grouped: grouped))
  }
}
