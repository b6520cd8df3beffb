import ArgumentParser
import ChurnPipeline
import Foundation

struct Score: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Score customers with a trained model: a ranked risk list with reasons.",
    discussion: """
      With --events and --as-of, recomputes the model's features for every eligible customer as
      of that date (events before it only); with --table, reads prepared feature rows. Writes
      rank, id, churn_probability, percentile, risk_band, reason_1..3 (the input columns that
      push this customer's risk up most, each with the customer's own value, such as
      "contract is Month-to-month (+9.1 pts)" or "tenure = 2 (+3.1 pts)": a column's value,
      missing indicator and one-hot levels count as one, as in churn explain),
      expected_revenue_at_risk (with --revenue-column) and segment (the RFM segment); prints the
      top of the list without --out.
      """)

  @OptionGroup var inputs: ScoringInputs

  @Option(help: "Customer-table (or --table) column with monthly revenue, for expected revenue at risk over the horizon.")
  var revenueColumn: String?

  @Option(help: "Give reasons for this many of the riskiest customers.")
  var reasons = 10_000

  @Option(help: "A forest's reasons: exact (TreeSHAP), path (Saabas path contributions: fast, additive, not Shapley values) or auto (exact while trees' nodes × customers ≤ 10⁹, under a minute of one core).")
  var explain = "auto"

  @Option(help: "Rows to print (or write) when given; all rows are written to --out by default.")
  var top: Int?

  @Option(help: "Last week's ranked list (this command's CSV): adds the change in points, band moves, new and vanished customers.")
  var previous: String?

  @Option(name: .customLong("format"), help: "Output format of --out: csv or json (default csv).")
  var formatFlag: String?

  @Option(help: "Where to write the ranked list (- for standard output).")
  var out: String?

  var format: String { formatFlag ?? "csv" }

  func validate() throws {
    if let top, top < 1 { throw ValidationError("--top \(top) must be at least 1") }
    guard reasons >= 0 else { throw ValidationError("--reasons \(reasons) must be at least 0") }
    guard RiskScorer.Explanation(rawValue: explain) != nil else { throw ValidationError("--explain \"\(explain)\" is not exact, path or auto") }
    guard format == "csv" || format == "json" else { throw ValidationError("--format \"\(format)\" is not csv or json") }
    if out == nil { try FlagRules.refuse(formatFlag != nil ? ["--format"] : [], "applies to --out; without --out the list is printed as a table") }
  }

  func run() throws {
    let clock = ContinuousClock()
    var mark = clock.now
    var steps: [String] = []
    func lap(_ step: String) {
      steps.append(String(format: "%@ %.1f s", step, (clock.now - mark).seconds))
      mark = clock.now
    }
    let outputs = try OutputTransaction(outputs: [("--out", out)], inputs: inputs.paths + [("--previous", previous)])
    let file = try ModelFile.read(path: inputs.model)
    lap("model")
    let loaded = try inputs.load(file, revenueColumn: revenueColumn, label: "score")
    let features = loaded.features
    // Last week's list is checked before the work, so a wrong file costs nothing.
    let last = try previous.map { try PreviousList(path: $0, idColumn: loaded.idHeader) }
    lap("input")
    let scorer = RiskScorer(model: file)
    let method = RiskScorer.Explanation(rawValue: explain)!
    if file.model.exactExplanationCost > 0 && reasons > 0 {
      let exact = scorer.usesExactShapley(rows: min(reasons, features.rowCount), method: method)
      StandardError.print("score: reasons for the \(min(reasons, features.rowCount)) riskiest customers from "
        + (exact ? "exact TreeSHAP values" : "path contributions (Saabas; --explain exact for TreeSHAP values, which cost about 0.05 µs per tree node per customer: \(file.model.exactExplanationCost) nodes here)"))
    }
    let rows = try scorer.score(features, revenue: loaded.revenue, horizonMonths: loaded.horizonMonths, reasonRows: reasons, method: method) { step, seconds in
      steps.append(String(format: "%@ %.1f s", step, seconds))
    }
    mark = clock.now
    var ranked = RankedList(rows)
    let idHeader = loaded.idHeader
    lap("reasons in words and ranking")
    reportDrift(file.drift(features, scores: rows.map(\.probability)))
    lap("drift check")
    if let last {
      ranked.compare(previous: last.entries)
      let moved = ranked.rows.filter { $0.change?.contains("→") == true }.count
      StandardError.print("score: against \(last.path): \(ranked.rows.filter { $0.change == "new" }.count) new, \(ranked.vanished.count) vanished, \(moved) changed band")
    }
    if let out {
      let staged = outputs.path(for: "--out")
      if format == "json" { try ranked.writeJSON(to: staged, top: top) } else { try ranked.write(to: staged, idHeader: idHeader, top: top) }
      try outputs.commit()
      lap("write")
      StandardError.print("score: \(features.rowCount) customers scored; ranked list written to \(out) (" + steps.joined(separator: ", ") + ")")
      if !outputs.writesToStandardOutput { print(out) }
    } else {
      print(ranked.text(top: top ?? 20, idHeader: idHeader))
    }
  }
}

/// Warns about input columns (and the score) whose distribution moved since training.
func reportDrift(_ drift: [(column: String, psi: Double)]) {
  let shifted = drift.filter { $0.psi > 0.2 }
  if shifted.isEmpty {
    if let largest = drift.first {
      StandardError.print(String(format: "score: drift check: no column shifted (largest population stability index %.3f, %@)", largest.psi, largest.column))
    }
  } else {
    let named = shifted.prefix(8).map { String(format: "%@ %.2f", $0.column, $0.psi) }.joined(separator: ", ")
    StandardError.print("score: WARNING: \(shifted.count) columns shifted since training (population stability index > 0.2): \(named)"
      + (shifted.count > 8 ? ", ..." : ""))
  }
}

extension RiskScorer {
  /// Scored rows as ranked-list rows with readable reasons.
  func score(_ table: FeatureTable, revenue: [Double]?, horizonMonths: Double, reasonRows: Int, method: Explanation = .auto,
             timing: ((String, Double) -> Void)? = nil) throws -> [RiskRow] {
    try scoreRows(table, revenue: revenue, horizonMonths: horizonMonths, reasonRows: reasonRows, method: method, timing: timing).map { s in
      RiskRow(id: s.id, probability: s.probability, band: s.band,
              reasons: s.reasons.map(ReasonText.reason),
              revenueAtRisk: s.revenueAtRisk, segment: s.segment)
    }
  }
}
