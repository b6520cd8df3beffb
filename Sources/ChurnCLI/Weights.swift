import ArgumentParser
import ChurnPipeline
import Foundation

struct Weights: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Which signals drive churn: a model's feature weights, and the same grouped into engagement, service, finance, commercial, account.",
    discussion: """
      Logistic model: per column (on the standardized scale, +1 standard deviation) the
      coefficient, the odds ratio with its 95% interval, the Wald p-value and the retention
      impact (change in churn probability, in points, from the average customer). Forest and
      boosting: per input column the permutation importance (drop in held-out AUC when the
      column is shuffled; mean ± sd over 5 shuffles) and the split importance: a forest's
      impurity (share of the Gini decrease), boosting's gain (share of the loss reduction),
      both biased toward columns with many split points. Sorted by strength. The grouped
      view sums |coefficient| (logistic) or permutation importance (trees) by
      category of signal; --groups FILE replaces the rules with pattern,category lines.
      """)

  @Option(help: "Model file written by churn train.")
  var model: String

  /// How the weights are written.
  enum Format: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json
  }

  @Option(help: "Output format: a table to read, or csv or json for other tools.")
  var format: Format = .table

  @Option(help: "Rows to show (default: 20 in a table, all in csv and json).")
  var top: Int?

  @Option(help: "CSV of pattern,category rules for the grouped view (first match wins).")
  var groups: String?

  func validate() throws {
    if let top, top < 1 { throw ValidationError("--top must be at least 1") }
  }

  func run() throws {
    let report = try WeightsReport(model: model, rules: groups, log: .standardError("weights"))
    switch format {
    case .table: print(report.table(top: top ?? 20))
    case .csv: print(report.csv(top: top), terminator: "")
    case .json: print(try report.json(top: top))
    }
  }
}
