import ArgumentParser
import ChurnPipeline
import Foundation

struct Weights: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Which signals drive churn: a model's feature weights, and the same grouped into engagement, service, finance, commercial, account.",
    discussion: """
      Logistic model: per column (on the standardized scale, +1 standard deviation) the
      coefficient, the odds ratio with its 95% interval, the Wald p-value and the retention
      impact (change in churn probability, in points, from the average customer). Forest:
      per input column the permutation importance (drop in held-out AUC when the column is
      shuffled; mean ± sd over 5 shuffles) and the impurity importance (share of the Gini
      decrease, biased toward columns with many split points). Sorted by strength. The
      grouped view sums |coefficient| (logistic) or permutation importance (forest) by
      category of signal; --groups FILE replaces the rules with pattern,category lines.
      """)

  @Option(help: "Model file written by churn train.")
  var model: String

  @Option(help: "Output format: table, csv or json.")
  var format = "table"

  @Option(help: "Rows to show (default: 20 in a table, all in csv and json).")
  var top: Int?

  @Option(help: "CSV of pattern,category rules for the grouped view (first match wins).")
  var groups: String?

  func validate() throws {
    guard ["table", "csv", "json"].contains(format) else { throw ValidationError("--format \"\(format)\" is not table, csv or json") }
    if let top, top < 1 { throw ValidationError("--top must be at least 1") }
  }

  func run() throws {
    let file = try ModelFile.read(path: model)
    var attribution = Attribution()
    let weights = FeatureWeights(file)
    if let groups {
      let rules = try Attribution.rules(path: groups)
      attribution = Attribution(rules: rules.map(\.rule))
      for (k, shadowed) in attribution.unusedRules(columns: weights.groupWeights.map(\.column)) {
        let pattern = rules[k].rule.pattern
        StandardError.print("weights: note: \(groups) line \(rules[k].line): " + (shadowed
          ? "every column that contains \"\(pattern)\" is placed by an earlier rule" : "no column name contains \"\(pattern)\""))
      }
    }
    let grouped = attribution.grouped(weights.groupWeights)
    switch format {
    case "csv": print(weights.csv(top: top, attribution: attribution), terminator: "")
    case "json": print(try weights.json(top: top, grouped: grouped))
    default:
      print(weights.table(top: top ?? 20))
      print("\n" + FeatureWeights.groupTable(grouped, basis: weights.groupBasis))
    }
  }
}

/// A model file's weights per feature, as `churn weights` and `churn train` print them.
struct FeatureWeights {
  struct Row {
    var feature: String
    /// The input column it comes from (a one-hot level's or missing indicator's column).
    var column: String
    /// Logistic.
    var coefficient: LogisticModel.Coefficient?
    /// Forest: per input column.
    var permutation: PermutationImportance.Column?
    var impurity: Double?
    var strength: Double
  }

  let file: ModelFile
  var rows: [Row] = []

  init(_ file: ModelFile) {
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
            strength: permutation[column]?.mean ?? impurity[column]!)
      }
    }
    rows.sort { ($0.strength, $1.feature) > ($1.strength, $0.feature) }
  }

  /// Whether the model has a coefficient per column (`LinearChurnModel`).
  var isLinear: Bool { file.model is any LinearChurnModel }

  /// What the grouped view sums, per input column.
  var groupWeights: [(column: String, weight: Double)] {
    if isLinear {
      var byInput: [String: Double] = [:]
      for row in rows { byInput[row.column, default: 0] += row.strength }
      return byInput.map { ($0.key, $0.value) }
    }
    return rows.map { ($0.feature, $0.permutation?.mean ?? $0.impurity ?? 0) }
  }

  var groupBasis: String {
    if isLinear { return "sum of |coefficient| per +1 SD" }
    return file.permutationImportance != nil ? "sum of permutation importance (AUC drop)" : "sum of impurity importance"
  }

  func table(top: Int) -> String {
    if isLinear {
      var lines = ["feature (per +1 SD)               coef   odds ratio (95% CI)      p    churn pts"]
      for row in rows.prefix(top) {
        let c = row.coefficient!
        let name = c.name.count > 30 ? String(c.name.prefix(29)) + "…" : c.name
        let interval = c.standardError.isNaN ? "" : String(format: "(%.2f–%.2f)", exp(c.lower95), exp(c.upper95))
        let p = c.pValue.isNaN ? "   -" : (c.pValue < 0.001 ? "<.001" : String(format: "%.3f", c.pValue))
        lines.append(DescribeReport.pad(name, 31) + SignedNumber.text(c.estimate, decimals: 3, width: 7) + String(format: "%8.2f ", c.oddsRatio)
          + DescribeReport.pad(interval, 13) + DescribeReport.pad(p, 6, right: true) + SignedNumber.text(100 * c.retentionImpact, decimals: 1, width: 9))
      }
      return lines.joined(separator: "\n")
    }
    var lines = ["feature                      permutation: AUC drop ± sd   impurity"]
    let strongest = rows.map { $0.permutation?.mean ?? 0 }.max() ?? 0
    for row in rows.prefix(top) {
      let name = row.feature.count > 28 ? String(row.feature.prefix(27)) + "…" : row.feature
      var perm = "           -          "
      if let p = row.permutation {
        let bar = strongest > 0 ? String(repeating: "█", count: max(0, Int((8 * p.mean / strongest).rounded()))) : ""
        perm = SignedNumber.text(p.mean, decimals: 4, width: 7) + String(format: " ± %.4f ", p.standardDeviation) + DescribeReport.pad(bar, 8)
      }
      lines.append(DescribeReport.pad(name, 29) + perm + String(format: "%7.1f%%", 100 * (row.impurity ?? 0)))
    }
    if let p = file.permutationImportance { lines.append("(shuffled on \(p.rows); unshuffled AUC \(String(format: "%.4f", p.baseline)))") }
    return lines.joined(separator: "\n")
  }

  static func groupTable(_ groups: [Attribution.Group], basis: String) -> String {
    var lines = ["signals grouped by category (\(basis)):", "category       share   strongest members"]
    for g in groups {
      let members = g.columns.prefix(3).map(\.column).joined(separator: ", ")
      lines.append(DescribeReport.pad(g.category, 13) + String(format: "%6.2f   ", g.share) + (members.count > 56 ? String(members.prefix(55)) + "…" : members))
    }
    return lines.joined(separator: "\n")
  }

  func csv(top: Int?, attribution: Attribution) -> String {
    let limit = top ?? rows.count
    if isLinear {
      var out = "feature,category,coefficient,standard_error,odds_ratio,odds_ratio_lower_95,odds_ratio_upper_95,p_value,retention_impact\n"
      for row in rows.prefix(limit) {
        let c = row.coefficient!
        out += [CSVField.escape(c.name), attribution.category(of: row.column), cell(c.estimate), cell(c.standardError),
                cell(c.oddsRatio), cell(exp(c.lower95)), cell(exp(c.upper95)), cell(c.pValue), cell(c.retentionImpact)].joined(separator: ",") + "\n"
      }
      return out
    }
    var out = "feature,category,permutation_importance,permutation_sd,impurity_importance\n"
    for row in rows.prefix(limit) {
      out += [CSVField.escape(row.feature), attribution.category(of: row.feature), row.permutation.map { cell($0.mean) } ?? "",
              row.permutation.map { cell($0.standardDeviation) } ?? "", cell(row.impurity ?? .nan)].joined(separator: ",") + "\n"
    }
    return out
  }

  /// A CSV cell: the number, or blank when it is unknown (no standard error without a
  /// covariance), as churn's other CSVs leave missing values: never "nan" or "inf".
  private func cell(_ x: Double) -> String { x.isFinite ? "\(x)" : "" }

  func json(top: Int?, grouped: [Attribution.Group]) throws -> String {
    struct Entry: Encodable {
      var feature: String
      var coefficient: Double?
      var standardError: Double?
      var oddsRatio: Double?
      var oddsRatioLower95: Double?
      var oddsRatioUpper95: Double?
      var pValue: Double?
      var retentionImpact: Double?
      var permutationImportance: Double?
      var permutationSD: Double?
      var impurityImportance: Double?
    }
    struct GroupEntry: Encodable {
      var category: String
      var share: Double
      var columns: [String]
    }
    struct Output: Encodable {
      var model: String
      var features: [Entry]
      var groupedBy: String
      var groups: [GroupEntry]
    }
    let entries = rows.prefix(top ?? rows.count).map { row -> Entry in
      let c = row.coefficient
      return Entry(feature: row.feature, coefficient: c?.estimate, standardError: c?.standardError, oddsRatio: c?.oddsRatio,
                   oddsRatioLower95: c.map { exp($0.lower95) }, oddsRatioUpper95: c.map { exp($0.upper95) }, pValue: c?.pValue,
                   retentionImpact: c?.retentionImpact, permutationImportance: row.permutation?.mean, permutationSD: row.permutation?.standardDeviation,
                   impurityImportance: row.impurity)
    }
    let output = Output(model: file.family.rawValue, features: entries, groupedBy: groupBasis,
                        groups: grouped.map { GroupEntry(category: $0.category, share: $0.share, columns: $0.columns.map(\.column)) })
    return try JSONOutput.text(output)
  }
}
