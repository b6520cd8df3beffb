import ArgumentParser
import ChurnPipeline
import Foundation

struct Report: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write one self-contained HTML report: curves, lift, calibration, bands, weights, cohorts, drift and the ranked list.",
    discussion: """
      Inline SVG and tables only (no scripts, nothing fetched from the network), so the file
      can be mailed or opened offline. ROC and precision-recall curves, lift and cumulative
      gains by decile and the calibration plot use the held-out predictions stored in the
      model at training; the score histogram with band cut points, the drift table and the
      ranked list use the customers scored here; the cohort plots (churn rate by decile of the
      six strongest features, and by category with Wilson intervals) use the labelled rows of
      the model's training cutoffs, recomputed from --events (or --table with --label).
      """)

  @OptionGroup var inputs: ScoringInputs

  @Option(help: "Customer-table (or --table) column with monthly revenue, for revenue at risk.")
  var revenueColumn: String?

  @Option(help: "With --table: the label column, for the cohort sections.")
  var label: String?

  @Option(help: "Rows of the ranked list to show (1 or more).")
  var top = 25

  @Option(help: "Where to write the HTML file (- for standard output).")
  var out: String

  func validate() throws {
    if top < 1 { throw ValidationError("--top \(top) is too small; expected the number of customers to list, 1 or more") }
    if inputs.table == nil { try FlagRules.refuse(label != nil ? ["--label"] : [], "applies only with --table (an event log's labels come from the model's horizon); drop it") }
  }

  func run() throws {
    let outputs = try OutputTransaction(outputs: [("--out", out)], inputs: inputs.paths)
    let file = try ModelFile.read(path: inputs.model)
    let loaded = try inputs.load(file, revenueColumn: revenueColumn, label: "report")
    let features = loaded.features
    let scored = try RiskScorer(model: file).score(features, revenue: loaded.revenue, horizonMonths: loaded.horizonMonths, reasonRows: top)
    let ranked = RankedList(scored)
    let p = scored.map(\.probability)
    let asOf = loaded.asOf.map { "as of \(UTCTime.formatDate(milliseconds: $0))" } ?? "from \(inputs.table ?? "")"

    var report = HTMLReport(title: "Churn report: \(file.family.displayName) model, customers \(asOf)")
    report.facts = facts(file, scored: p, revenue: scored.compactMap(\.revenueAtRisk), asOf: asOf)
    if let held = file.holdoutPredictions, Set(held.labels).count == 2 {
      report.heldOut = (held.probabilities, held.labels, held.source)
    }
    report.scores = p
    report.bands = file.riskBands.map { ($0.red, $0.yellow) }
    report.scoredOn = asOf
    report.drift = file.drift(features, scores: p)
    report.ranked = Array(ranked.rows.prefix(top))
    report.idHeader = loaded.idHeader

    let weights = FeatureWeights(file)
    if let linear = file.model as? any LinearChurnModel {
      report.weightsTitle = "Top weights: change in churn log-odds per +1 standard deviation"
      report.weightsAxis = "coefficient per +1 SD (95% interval); right of 0 raises churn risk"
      report.weights = weights.rows.prefix(15).map { r in
        let c = r.coefficient!
        return HTMLReport.Bar(label: c.name, value: c.estimate, lower: c.standardError.isNaN ? nil : c.lower95, upper: c.standardError.isNaN ? nil : c.upper95,
                              text: String(format: "OR %.2f", c.oddsRatio))
      }
      report.weightsNote = "Odds ratio (OR) per +1 standard deviation, 95% intervals from the inverse Hessian"
        + (linear.l2Penalty > 0 ? " of the penalized fit (λ₂ = \(String(format: "%g", linear.l2Penalty))), which understate the uncertainty of shrunken estimates." : ".")
    } else if let permutation = file.permutationImportance {
      report.weightsTitle = "Top features: permutation importance"
      report.weightsAxis = "drop in AUC when the column is shuffled (± 1 sd over \(permutation.repeats) shuffles)"
      report.weights = weights.rows.prefix(15).compactMap { r in
        r.permutation.map { HTMLReport.Bar(label: r.feature, value: $0.mean, lower: $0.mean - $0.standardDeviation, upper: $0.mean + $0.standardDeviation,
                                           text: SignedNumber.text($0.mean, decimals: 4)) }
      }
      report.weightsNote = "Shuffled on \(permutation.rows); unshuffled AUC \(String(format: "%.4f", permutation.baseline))."
    } else {
      report.weightsTitle = "Top features: impurity importance"
      report.weightsAxis = "share of the Gini decrease (biased toward columns with many split points)"
      report.weights = weights.rows.prefix(15).map { HTMLReport.Bar(label: $0.feature, value: $0.impurity ?? 0, text: String(format: "%.1f%%", 100 * ($0.impurity ?? 0))) }
    }
    let groups = Attribution().grouped(weights.groupWeights)
    report.attribution = groups.map { ($0.category, $0.share, $0.columns.map(\.column)) }
    report.attributionBasis = weights.groupBasis

    let (labelled, source) = try labelledRows(file)
    report.cohortSource = source
    if let labelled {
      let strongest = weights.groupWeights.sorted { ($0.weight, $1.column) > ($1.weight, $0.column) }.map(\.column)
      var numeric: [(String, [Cohort])] = [], categorical: [(String, [Cohort])] = []
      for name in strongest {
        guard let k = labelled.columnIndex(name) else { continue }
        switch labelled.columns[k] {
        case .numeric(let v) where numeric.count < 6:
          let cohorts = Cohorts.byQuantile(values: v, labels: labelled.labels!)
          if cohorts.count >= 2 { numeric.append((name, cohorts)) }
        case .categorical(let v) where categorical.count < 4:
          categorical.append((name, Array(Cohorts.byLevel(levels: v, labels: labelled.labels!).prefix(12))))
        default: break
        }
      }
      report.cohorts = numeric
      report.categories = categorical
    }
    try OutputFile.write(try report.html(), to: outputs.path(for: "--out"))
    try outputs.commit()
    StandardError.print("report: \(features.rowCount) customers \(asOf); written to \(out)")
    if !outputs.writesToStandardOutput { print(out) }
  }

  func facts(_ file: ModelFile, scored p: [Double], revenue: [Double], asOf: String) -> [(String, String)] {
    var facts: [(String, String)] = []
    facts.append(("model", "\(file.family.displayName), written by churn \(file.churnVersion)"))
    facts.append(("training rows", "\(file.training.rows), \(file.training.churned) churned (\(Percent.format(file.training.churnRate)))"))
    if let events = file.events {
      facts.append(("cutoffs and horizon", "\(events.trainingCutoffs.first ?? "") to \(events.trainingCutoffs.last ?? ""), \(events.trainingCutoffs.count) cutoffs; churn within \(events.horizon)"))
    }
    let v = file.validation.holdout
    if let auc = v.auc {
      var line = String(format: "AUC %.4f", auc)
      if let lo = v.aucLower, let hi = v.aucUpper { line += String(format: " (95%% CI %.3f–%.3f)", lo, hi) }
      if let lift = v.liftTopDecile { line += String(format: ", top-decile lift %.2f", lift) }
      if let ap = v.averagePrecision { line += String(format: ", average precision %.3f", ap) }
      if let brier = v.brier { line += String(format: ", Brier %.4f", brier) }
      if let ece = v.ece { line += String(format: ", calibration error %.4f", ece) }
      facts.append(("held-out performance", line + (file.holdoutPredictions.map { " on \($0.source)" } ?? "")))
    }
    if let c = file.calibration {
      facts.append(("calibration", (c.method.map { "\($0.rawValue) map fitted on \(c.source ?? "held-out predictions")" } ?? "none")
        + (c.priorShift != 0 ? "; prior correction \(SignedNumber.text(c.priorShift, decimals: 3)) log-odds for class weights" : "")))
    }
    facts.append(("customers scored", "\(p.count) \(asOf); mean churn probability \(Percent.format(p.reduce(0, +) / Double(max(p.count, 1))))"))
    if let bands = file.riskBands {
      let red = p.filter { $0 >= bands.red }.count
      facts.append(("red band", "\(red) customers at or above \(Percent.format(bands.red))"
        + (bands.observedChurnRate["red"].map { "; in the holdout, red customers churned at \(Percent.format($0))" } ?? "")))
    }
    let atRisk = revenue.filter { !$0.isNaN }
    if !atRisk.isEmpty { facts.append(("expected revenue at risk", String(format: "%.2f over the horizon", atRisk.reduce(0, +)))) }
    return facts
  }

  /// Labelled rows for the cohort sections: the model's training cutoffs recomputed from the
  /// events, or the table's label column.
  func labelledRows(_ file: ModelFile) throws -> (FeatureTable?, String) {
    if let events = inputs.events, let settings = file.events {
      let cutoffs = settings.trainingCutoffs.compactMap { UTCTime.parseMilliseconds($0) }
      let all = try inputs.build(file, cutoffs: cutoffs, label: "report").0.table
      let rows = all.labels!.indices.filter { !all.labels![$0].isNaN }
      return (all.rows(rows), "Labelled rows of the model's \(cutoffs.count) training cutoffs (\(rows.count) customer-months), recomputed from \(events).")
    }
    if let table = inputs.table, let label {
      let all = try TypedCSV(path: table, idColumn: inputs.id ?? file.idColumn).featureTable(label: label)
      let rows = all.labels!.indices.filter { !all.labels![$0].isNaN }
      return (all.rows(rows), "Labelled rows of \(table) (\(rows.count) customers).")
    }
    return (nil, "Cohort plots need labelled rows: give --events with the model's event log, or --table with --label.")
  }
}
