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
      """)

  @OptionGroup var inputs: ScoringInputs

  @Option(help: "The customer id (exactly as in the data).")
  var customer: String

  @Option(help: "Output format: table or json.")
  var format = "table"

  func validate() throws {
    guard format == "table" || format == "json" else { throw ValidationError("--format \"\(format)\" is not table or json") }
  }

  func run() throws {
    let file = try ModelFile.read(path: inputs.model)
    let loaded = try inputs.load(file, revenueColumn: nil, label: "explain")
    guard let row = loaded.features.ids.firstIndex(of: customer) else {
      throw CommandError(Self.notFound(customer, ids: loaded.features.ids, source: inputs.table.map { "in \($0)" }
        ?? "as of \(UTCTime.formatDate(milliseconds: loaded.asOf!)) (not in the log, not yet started, already churned, or inactive over the active window)"))
    }
    let explanation = try CustomerExplanation(file, table: loaded.features, row: row)
    if format == "json" {
      print(try JSONOutput.text(explanation))
    } else {
      print(explanation.text(idHeader: loaded.idHeader))
    }
  }

  /// The message for an id that is not among `ids`; ids match exactly, so it suggests an id
  /// that differs only in case or leading zeros.
  static func notFound(_ customer: String, ids: [String], source: String) -> String {
    func loose(_ id: String) -> String {
      let lower = id.lowercased()
      let trimmed = lower.drop { $0 == "0" }
      return trimmed.isEmpty ? "0" : String(trimmed)
    }
    let key = loose(customer)
    let near = ids.first { $0.lowercased() == customer.lowercased() } ?? ids.first { loose($0) == key }
    return "customer \"\(customer)\" is not among the \(ids.count) eligible customers \(source); "
      + "expected an id exactly as in the data (case and leading zeros count); fix: "
      + (near.map { "did you mean \"\($0)\"?" } ?? "copy the id from the data or from churn score's list")
  }
}

/// One customer's additive explanation, per input column.
struct CustomerExplanation: Encodable {
  struct Term: Encodable {
    var feature: String
    /// The customer's value as text (a number, a level, or "missing").
    var value: String
    /// In probability units (0.05 = 5 points).
    var contribution: Double
  }

  var customer: String
  var model: String
  var base: Double
  var probability: Double
  var band: String?
  var terms: [Term]

  /// The library's per-column explanation (`ModelFile.explainColumns`, the grouping the ranked
  /// list's reasons use), strongest first.
  init(_ file: ModelFile, table: FeatureTable, row: Int) throws {
    let explained = try file.explainColumns(table, row: row)
    terms = explained.columns.map { c in
      let value: String
      switch c.value {
      case .number(let v): value = ReasonText.number(v)
      case .level(let level): value = level
      case .missing: value = "missing"
      }
      // + 0 turns a -0.0 (a zero coefficient times a negative value) into 0, which JSON writes as 0, not -0.
      return Term(feature: c.column, value: value, contribution: c.contribution + 0)
    }
    terms.sort { (abs($0.contribution), $1.feature) > (abs($1.contribution), $0.feature) }
    customer = table.ids[row]
    model = file.family.rawValue
    base = explained.base
    probability = explained.probability
    band = file.riskBands?.band(probability)
  }

  func text(idHeader: String) -> String {
    var lines = ["\(idHeader) \(customer): churn probability \(String(format: "%.1f%%", 100 * probability))" + (band.map { " (\($0))" } ?? "")
                   + " = base \(String(format: "%.1f%%", 100 * base)) + the contributions below (\(model) model)",
                 "feature                              value        contribution"]
    let strongest = terms.map { abs($0.contribution) }.max() ?? 0
    for t in terms {
      let name = t.feature.count > 36 ? String(t.feature.prefix(35)) + "…" : t.feature
      let bar = strongest > 0 ? String(repeating: t.contribution >= 0 ? "+" : "-", count: Int((12 * abs(t.contribution) / strongest).rounded())) : ""
      lines.append(DescribeReport.pad(name, 37) + DescribeReport.pad(t.value.count > 12 ? String(t.value.prefix(11)) + "…" : t.value, 12)
        + SignedNumber.text(100 * t.contribution, decimals: 2, width: 9) + " pts  " + bar)
    }
    let total = base + terms.reduce(0) { $0 + $1.contribution }
    lines.append(String(format: "base %.2f%% + contributions %@ pts = %.2f%%", 100 * base, SignedNumber.text(100 * (total - base), decimals: 2), 100 * total))
    return lines.joined(separator: "\n")
  }
}
