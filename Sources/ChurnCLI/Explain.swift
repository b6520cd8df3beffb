import ArgumentParser
import ChurnPipeline
import Foundation

struct Explain: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "One customer's full breakdown: base rate, every feature's value and contribution, the prediction.",
    discussion: """
      Contributions are in probability points and additive: the base (the churn probability of
      the average customer for the logistic model, the trees' mean for a forest) plus every
      contribution equals the customer's churn probability, calibration included. Logistic
      contributions are the log-odds terms rescaled to probability; a forest's are exact
      TreeSHAP values. A column's missing indicator and a categorical's levels count with the
      column, shown with the customer's own value: the same grouping as churn score's reasons.
      Then the health score, round(100 × (1 − probability)), and its dimensions: each column's
      contribution summed by category of signal (service, finance, commercial, engagement,
      account, or --groups'), −100 × the sum, rounded so that baseline + dimensions = health.
      """)

  /// How the breakdown is printed.
  enum Format: String, CaseIterable, ExpressibleByArgument {
    case table, json
  }

  @OptionGroup var inputs: ScoringInputs

  @Option(help: "The customer id (exactly as in the data).")
  var customer: String

  @Option(help: "Output format.")
  var format: Format = .table

  @Option(help: "CSV of pattern,category rules placing columns in health dimensions (first match wins), as churn weights --groups.")
  var groups: String?

  func run() throws {
    let scorer = try Scorer(contentsOf: inputs.model, log: .standardError("explain"))
    let groups = try groups.map { try Attribution.read(path: $0, columns: scorer.model.preprocessor.inputNames, log: scorer.log) } ?? Attribution()
    let explanation = try scorer.explain(customer: customer, in: inputs.source(for: scorer.model), groups: groups)
    print(format == .json ? try TextTable.json(explanation) : explanation.text)
  }
}

extension CustomerExplanation {
  /// The breakdown as a terminal table: one line per column with a bar, and the sum.
  var text: String {
    var lines = ["\(idHeader) \(customer): churn probability \(String(format: "%.1f%%", 100 * probability))" + (band.map { " (\($0))" } ?? "")
                   + " = base \(String(format: "%.1f%%", 100 * base)) + the contributions below (\(model) model)",
                 "feature                              value        contribution"]
    let strongest = terms.map { abs($0.contribution) }.max() ?? 0
    for t in terms {
      let name = t.feature.count > 36 ? String(t.feature.prefix(35)) + "…" : t.feature
      let bar = strongest > 0 ? String(repeating: t.contribution >= 0 ? "+" : "-", count: Int((12 * abs(t.contribution) / strongest).rounded())) : ""
      lines.append(TextTable.pad(name, 37) + TextTable.pad(t.value.count > 12 ? String(t.value.prefix(11)) + "…" : t.value, 12)
        + SignedNumber.text(100 * t.contribution, decimals: 2, width: 9) + " pts  " + bar)
    }
    let total = base + terms.reduce(0) { $0 + $1.contribution }
    lines.append(String(format: "base %.2f%% + contributions %@ pts = %.2f%%", 100 * base, SignedNumber.text(100 * (total - base), decimals: 2), 100 * total))
    lines += ["", "health \(health.score) of 100 = baseline \(health.baseline) (the health of the model's average customer) + the dimensions below",
              "dimension       health pts   exact    strongest features"]
    for d in health.dimensions {
      let members = terms.filter { $0.dimension == d.name }.prefix(3).map(\.feature).joined(separator: ", ")
      lines.append(TextTable.pad(TextTable.cut(d.name, 15), 16) + SignedNumber.text(Double(d.points), decimals: 0, width: 10)
        + SignedNumber.text(d.exact, decimals: 2, width: 9) + "    " + TextTable.cut(members, 60))
    }
    return lines.joined(separator: "\n")
  }
}
