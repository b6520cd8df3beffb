import ChurnCore
import ChurnModels
import ChurnScoring
import Foundation

extension Scorer {
  /// The self-contained HTML report of `churn report`: the model's held-out curves, lift and
  /// calibration, the customers of `source` scored (score histogram with band cut points,
  /// drift, the top of the ranked list), the strongest weights, signals by category and the
  /// cohort plots of labelled rows.
  ///
  /// Labelled rows for the cohorts are the model's training cutoffs recomputed from the event
  /// log, or the rows of a table given with a label column; without either the cohort sections
  /// say what to give. A survival model's report adds the section "Time to churn"
  /// (`timeToChurn(_:scored:riskiest:)`).
  ///
  /// - Parameters:
  ///   - source: the customers to score.
  ///   - revenueColumn: monthly revenue, for revenue at risk.
  ///   - top: rows of the ranked list to show (and give reasons), 1 or more.
  ///   - health: every customer's health by dimension (the default categories of signal), in a
  ///     section of its own and a column of the ranked list; it explains every customer.
  ///   - rankBy: the ranked list's order (`RankOrder`; `.value` needs `revenueColumn`).
  ///   - contact: the economics of a contact: the summary says who is worth a call
  ///     (`ContactCut.summary`, as `churn score` prints it) and the ranked list shows each
  ///     customer's net value of a contact. Needs `revenueColumn` or `purchaseValue`.
  ///   - purchaseValue: for purchase data, each customer's BTYD lifetime value and value at risk
  ///     (`PurchaseValue`) in the ranked list, as the value at stake of `rankBy` and `contact`;
  ///     not with `revenueColumn`.
  /// - Returns: the report; `HTMLReport.html()` gives its text.
  /// - Throws: the errors of `score(_:options:)`; `ScorerError.damagedEventSettings` for a
  ///   training cutoff that cannot be read; `ContactEconomicsError.needsRevenue`; `PurchaseValueError`.
  public func report(_ source: CustomerSource, revenueColumn: String? = nil, top: Int = 25, health: Bool = true,
                     rankBy: RankOrder = .risk, contact: ContactEconomics? = nil, purchaseValue: PurchaseValue.Settings? = nil) throws -> HTMLReport {
    var options = ScoringOptions(revenueColumn: revenueColumn)
    (options.rankBy, options.contact, options.purchaseValue) = (rankBy, contact, purchaseValue)
    try options.checkValueInputs()
    if purchaseValue != nil { _ = try Self.purchaseEvents(source) }
    let rows = try self.rows(source, revenueColumn: revenueColumn)
    let purchase = try purchaseValue.map { try self.purchaseValue(source, asOf: rows.asOf, settings: $0) }
    var timings: [ScoringTiming] = []
    let (scored, ranked) = try rank(rows, reasons: top, explanation: .auto, announce: false, timings: &timings, health: health ? Attribution() : nil,
                                    order: rankBy, contact: contact, purchase: purchase)
    let p = scored.map(\.probability)
    let asOf = rows.described

    var report = HTMLReport(title: "Churn report: \(model.family.displayName) model, customers \(asOf)")
    report.facts = facts(scored: p, revenue: scored.compactMap(\.revenueAtRisk), asOf: asOf)
    if let purchase {
      let values = ranked.rows.compactMap { row in row.lifetimeValue.flatMap { ltv in row.valueAtRisk.map { (ltv, $0) } } }
      // Summed in list order, as a reader of the list would.
      report.facts.append(("lifetime value", purchase.summary.dropFirst("lifetime value: ".count) + "; over the \(values.count) customers scored "
        + "with a value: lifetime value \(SignedNumber.unsigned(values.reduce(0) { $0 + $1.0 }, decimals: 2)), "
        + "value at risk \(SignedNumber.unsigned(values.reduce(0) { $0 + $1.1 }, decimals: 2))"
        + (values.count < ranked.rows.count ? "; \(ranked.rows.count - values.count) without a purchase before the as-of date left blank" : "")))
    }
    if rankBy == .value {
      let value = purchase.map { "BTYD value at risk over \($0.analysis.settings.lifetimeMonths) months" }
        ?? (ranked.showsLifetimeValue ? "value at risk over \(ranked.survivalPeriods ?? 0) periods, undiscounted" : "expected revenue at risk")
      report.facts.append(("ranked by", "value at stake (\(value)), highest first; bands are probability bands"))
    }
    if let contact { report.facts.append(("worth a call", ranked.contactCut(Self.naming(contact, purchase: purchase)).summary)) }
    report.showsNetValue = ranked.showsNetValue
    report.showsLifetimeValue = ranked.showsLifetimeValue
    if let held = model.holdoutPredictions, Set(held.labels).count == 2 {
      report.heldOut = (held.probabilities, held.labels, held.source)
    }
    report.scores = p
    report.bands = model.riskBands.map { ($0.red, $0.yellow) }
    report.scoredOn = asOf
    report.drift = model.drift(rows.features, scores: p)
    report.ranked = Array(ranked.rows.prefix(top))
    report.idHeader = rows.idHeader
    report.health = scored.compactMap(\.health)
    if report.health.count == scored.count, model.riskBands != nil { report.healthBands = scored.map(\.band) }

    let weights = FeatureWeights(model)
    addWeights(weights, to: &report)
    let groups = Attribution().grouped(weights.groupWeights)
    report.attribution = groups.map { ($0.category, $0.share, $0.columns.map(\.column)) }
    report.attributionBasis = weights.groupBasis

    if model.survival != nil { report.timeToChurn = try timeToChurn(source, scored: scored) }

    let (labelled, cohortSource) = try labelledRows(source)
    report.cohortSource = cohortSource
    if let labelled, let labels = labelled.labels {
      let strongest = weights.groupWeights.sorted { ($0.weight, $1.column) > ($1.weight, $0.column) }.map(\.column)
      var numeric: [(String, [Cohort])] = [], categorical: [(String, [Cohort])] = []
      for name in strongest {
        guard let k = labelled.columnIndex(name) else { continue }
        switch labelled.columns[k] {
        case .numeric(let v) where numeric.count < 6:
          let cohorts = Cohorts.byQuantile(values: v, labels: labels)
          if cohorts.count >= 2 { numeric.append((name, cohorts)) }
        case .categorical(let v) where categorical.count < 4:
          categorical.append((name, Array(Cohorts.byLevel(levels: v, labels: labels).prefix(12))))
        default: break
        }
      }
      report.cohorts = numeric
      report.categories = categorical
    }
    return report
  }

  /// A survival model's time to churn for the report: the curves of the `riskiest` customers
  /// of `scored` (by churn probability, ties by id), and Kaplan–Meier survival by risk band
  /// against the model's mean predicted S(k) (`BandSurvival.compare`) on the customers at the
  /// model's held-out cutoff (at its training cutoffs when it has none), their features and
  /// observed times to churn recomputed from the event log and the customer table's churn dates,
  /// censored where the data end (`PersonPeriodRows`). Nil for a model that is not a survival
  /// model.
  ///
  /// - Throws: the errors of building features at those cutoffs; `ScorerError.damagedEventSettings`.
  public func timeToChurn(_ source: CustomerSource, scored: [RiskRow], riskiest: Int = 5) throws -> HTMLReport.TimeToChurn? {
    guard let survival = model.survival else { return nil }
    let top = scored.filter { $0.survival != nil }.sorted { ($0.probability, $1.id) > ($1.probability, $0.id) }.prefix(riskiest)
    var section = HTMLReport.TimeToChurn(periods: survival.periods, horizon: model.events?.horizon ?? "one horizon",
                                         customers: top.map { .init(id: $0.id, survival: $0.survival!.survival) }, bands: [], source: "")
    guard let bands = model.riskBands else {
      section.source = "The model has no risk bands to compare Kaplan–Meier survival by."
      return section
    }
    let name: String
    switch source {
    case .events(let data, _) where model.events != nil: name = data.events
    case .database(let database, _) where model.events != nil: name = database.eventsTable
    default:
      section.source = "Kaplan–Meier survival by band needs the event log and the customer table with churn dates (--events, --customers), "
        + "to follow the customers from the model's cutoffs; a prepared table has no churn dates."
      return section
    }
    let (settings, _) = try eventSettings()
    let held = try settings.holdoutCutoff.map { text in
      guard let instant = UTCTime.parseMilliseconds(text) else {
        throw ScorerError.damagedEventSettings(field: "events.holdoutCutoff", found: "\"\(text)\"", expected: "a date such as 2025-07-01")
      }
      return instant
    }
    let cutoffs = try held.map { [$0] } ?? settings.trainingCutoffInstants()
    let design = try settings.design(cutoffs: cutoffs)
    let (built, customers) = try build(source, cutoffs: cutoffs)
    let churn = built.table.ids.map { id in customers?.rowOf[id].flatMap { customers!.churn[$0] } }
    let expanded = try PersonPeriodRows(built.table, churnDates: churn, settings: survival, dataEnd: built.dataEnd) { design.horizon.added(to: $0, times: $1) }
    // The customers whose first period closed: each has an observed time, churned or censored.
    let followed = expanded.observedPeriods.indices.filter { expanded.observedPeriods[$0] >= 1 }
    let rows = held.map { UTCTime.formatDate(milliseconds: $0) }.map { "customers at the model's held-out cutoff \($0)" }
      ?? "customer-cutoffs of the model's \(cutoffs.count) training cutoffs (rows the model was fitted on)"
    let end = UTCTime.formatDate(milliseconds: built.dataEnd)
    guard !followed.isEmpty else {
      section.source = "No \(rows) could be followed for one period of \(section.horizon) before the end of the data (\(end)): no Kaplan–Meier survival to compare."
      return section
    }
    let curves = try model.survivalCurves(built.table.rows(followed))!
    let observed = ObservedTimes(periods: followed.map { expanded.observedPeriods[$0] }, churned: followed.map { expanded.churned[$0] })
    section.bands = BandSurvival.compare(survival: curves, observed: observed, bands: bands)
    let longest = observed.periods.max()!
    section.source = "Kaplan–Meier survival of the \(followed.count) \(rows), recomputed from \(name) and the churn dates, in the model's bands of "
      + "their churn probability 1 − S(1) then (solid), against the model's mean predicted S(k) for the same customers (dashed). Their times "
      + "are censored by the end of the data (\(end)): followed at most \(longest) of \(survival.periods) periods; — marks a period no one in the "
      + "band was followed into."
    return section
  }

  /// The weights section: a linear model's coefficients per +1 SD with 95% intervals, else
  /// permutation importance when measured, else the split importance (impurity, gain).
  func addWeights(_ weights: FeatureWeights, to report: inout HTMLReport) {
    if let linear = model.model as? any LinearChurnModel {
      report.weightsTitle = "Top weights: change in churn log-odds per +1 standard deviation"
      report.weightsAxis = "coefficient per +1 SD (95% interval); right of 0 raises churn risk"
      report.weights = weights.rows.prefix(15).compactMap { r in
        guard let c = r.coefficient else { return nil }
        return HTMLReport.Bar(label: c.name, value: c.estimate, lower: c.standardError.isNaN ? nil : c.lower95, upper: c.standardError.isNaN ? nil : c.upper95,
                              text: String(format: "OR %.2f", c.oddsRatio))
      }
      report.weightsNote = "Odds ratio (OR) per +1 standard deviation, 95% intervals from the inverse Hessian"
        + (linear.l2Penalty > 0 ? " of the penalized fit (λ₂ = \(String(format: "%g", linear.l2Penalty))), which understate the uncertainty of shrunken estimates." : ".")
    } else if let permutation = model.permutationImportance {
      report.weightsTitle = "Top features: permutation importance"
      report.weightsAxis = "drop in AUC when the column is shuffled (± 1 sd over \(permutation.repeats) shuffles)"
      report.weights = weights.rows.prefix(15).compactMap { r in
        r.permutation.map { HTMLReport.Bar(label: r.feature, value: $0.mean, lower: $0.mean - $0.standardDeviation, upper: $0.mean + $0.standardDeviation,
                                           text: SignedNumber.text($0.mean, decimals: 4)) }
      }
      report.weightsNote = "Shuffled on \(permutation.rows); unshuffled AUC \(String(format: "%.4f", permutation.baseline))."
    } else {
      report.weightsTitle = "Top features: \(weights.measure.name) importance"
      report.weightsAxis = weights.measure.description
      report.weights = weights.rows.prefix(15).map {
        HTMLReport.Bar(label: $0.feature, value: $0.splitImportance ?? 0, text: String(format: "%.1f%%", 100 * ($0.splitImportance ?? 0)))
      }
      report.weightsNote = "No permutation importance in this model file (trained with --importance none, or its held-out rows had one class): "
        + "\(weights.measure.name) importance instead."
    }
  }

  /// The summary facts: the model, its training and held-out performance, the customers scored.
  func facts(scored p: [Double], revenue: [Double], asOf: String) -> [(String, String)] {
    var facts: [(String, String)] = []
    facts.append(("model", "\(model.family.displayName), written by churn \(model.churnVersion)"))
    facts.append(("training rows", "\(model.training.rows), \(model.training.churned) churned (\(TextTable.percent(model.training.churnRate)))"))
    if let events = model.events {
      facts.append(("cutoffs and horizon", "\(events.trainingCutoffs.first ?? "") to \(events.trainingCutoffs.last ?? ""), \(events.trainingCutoffs.count) cutoffs; churn within \(events.horizon)"))
    }
    let v = model.validation.holdout
    if let auc = v.auc {
      var line = String(format: "AUC %.4f", auc)
      if let lo = v.aucLower, let hi = v.aucUpper { line += String(format: " (95%% CI %.3f–%.3f)", lo, hi) }
      if let lift = v.liftTopDecile { line += String(format: ", top-decile lift %.2f", lift) }
      if let ap = v.averagePrecision { line += String(format: ", average precision %.3f", ap) }
      if let brier = v.brier { line += String(format: ", Brier %.4f", brier) }
      if let ece = v.ece { line += String(format: ", calibration error %.4f", ece) }
      facts.append(("held-out performance", line + (model.holdoutPredictions.map { " on \($0.source)" } ?? "")))
    }
    if let c = model.calibration {
      facts.append(("calibration", (c.method.map { "\($0.rawValue) map fitted on \(c.source ?? "held-out predictions")" } ?? "none")
        + (c.priorShift != 0 ? "; prior correction \(SignedNumber.text(c.priorShift, decimals: 3)) log-odds for class weights" : "")))
    }
    facts.append(("customers scored", "\(p.count) \(asOf); mean churn probability \(TextTable.percent(p.reduce(0, +) / Double(max(p.count, 1))))"))
    if let bands = model.riskBands {
      let red = p.filter { $0 >= bands.red }.count
      facts.append(("red band", "\(red) customers at or above \(TextTable.percent(bands.red))"
        + (bands.observedChurnRate["red"].map { "; in the holdout, red customers churned at \(TextTable.percent($0))" } ?? "")))
    }
    let atRisk = revenue.filter { !$0.isNaN }
    if !atRisk.isEmpty { facts.append(("expected revenue at risk", String(format: "%.2f over the horizon", atRisk.reduce(0, +)))) }
    return facts
  }
}
