import Foundation

/// One self-contained HTML page about a churn model and the customers it scored: inline SVG
/// charts and tables, no scripts, no fonts, images or styles from the network. The page is
/// well-formed XML as well as HTML, so a plain XML parser can check it.
///
/// Sections (their `id`s): `summary`, `roc`, `precision-recall`, `lift`, `gains`,
/// `calibration`, `scores`, `weights`, `attribution`, `cohorts`, `categories`, `drift`,
/// `health`, `ranked-list`; a survival model's report adds `time-to-churn` before the ranked
/// list (`timeToChurn`). A section without data says what input would fill it.
public struct HTMLReport: Sendable {
  public struct Bar: Sendable {
    public var label: String
    public var value: Double
    public var lower: Double?
    public var upper: Double?
    public var text: String

    public init(label: String, value: Double, lower: Double? = nil, upper: Double? = nil, text: String) {
      self.label = label
      self.value = value
      self.lower = lower
      self.upper = upper
      self.text = text
    }
  }

  public static let sectionIDs = ["summary", "roc", "precision-recall", "lift", "gains", "calibration", "scores", "weights", "attribution",
                                  "cohorts", "categories", "drift", "health", "ranked-list"]

  public var title: String
  /// Key facts as (name, value) rows.
  public var facts: [(String, String)] = []
  /// Held-out outcomes for the curves, lift, gains and calibration; with where they came from.
  public var heldOut: (probabilities: [Double], labels: [Double], source: String)?
  public var weightsTitle = "Top weights"
  public var weightsAxis = ""
  public var weightsReference = 0.0
  public var weights: [Bar] = []
  public var weightsNote = ""
  public var attribution: [(category: String, share: Double, members: [String])] = []
  public var attributionBasis = ""
  /// Churn rate by decile of the strongest numeric features, and by level of categorical ones.
  public var cohorts: [(feature: String, cohorts: [Cohort])] = []
  public var categories: [(feature: String, cohorts: [Cohort])] = []
  /// Where the labelled rows of the cohort sections came from, or why there are none.
  public var cohortSource = ""
  /// The scored customers' probabilities and the band cut points.
  public var scores: [Double] = []
  public var bands: (red: Double, yellow: Double)?
  public var scoredOn = ""
  public var drift: [(column: String, psi: Double)] = []
  public var ranked: [RiskRow] = []
  /// Whether the ranked list shows each row's `netValueOfContact`.
  public var showsNetValue = false
  /// Whether the ranked list shows a survival model's lifetime value and value at risk
  /// (`RankedList.showsLifetimeValue`), after the revenue at risk.
  public var showsLifetimeValue = false
  public var idHeader = "customer_id"
  /// Every scored customer's health by dimension (`CustomerHealth`, dimensions in one order),
  /// for the health section and the ranked list's health column; empty leaves both out.
  public var health: [CustomerHealth] = []
  /// The `health` rows' band (red, yellow, green) when the model has bands, in the same order.
  public var healthBands: [String?] = []
  /// A survival model's time to churn (the section `time-to-churn`); nil leaves the section out.
  public var timeToChurn: TimeToChurn?

  public init(title: String) { self.title = title }

  func e(_ s: String) -> String { SVGPlot.escape(s) }
  func pct(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f%%", 100 * x) }

  func section(_ id: String, _ heading: String, _ body: String) -> String {
    "<section id=\"\(id)\"><h2>\(e(heading))</h2>\(body)</section>\n"
  }

  /// A table; columns in `text` are left-aligned, the others (numbers) right-aligned.
  func table(_ header: [String]?, _ rows: [[String]], text: Set<Int> = [0]) -> String {
    var s = "<table>" + (header.map { "<thead><tr>" + $0.map { "<th>\(e($0))</th>" }.joined() + "</tr></thead>" } ?? "") + "<tbody>"
    for row in rows {
      s += "<tr>" + row.enumerated().map { k, v in text.contains(k) ? "<td>\(e(v))</td>" : "<td class=\"n\">\(e(v))</td>" }.joined() + "</tr>"
    }
    return s + "</tbody></table>"
  }

  func missing(_ what: String) -> String { "<p class=\"note\">\(e(what))</p>" }

  /// The page.
  ///
  /// - Throws: `ScoringOutputError` when a score or a ranked row's probability is not a finite
  ///   number; `MetricError` when the held-out predictions are not valid.
  public func html() throws -> String {
    if let k = scores.firstIndex(where: { !$0.isFinite }) { throw ScoringOutputError.nonFiniteScore(index: k, value: scores[k]) }
    if let bad = ranked.first(where: { !$0.probability.isFinite }) {
      throw ScoringOutputError.nonFiniteProbability(id: bad.id, value: bad.probability)
    }
    var body = ""
    body += section("summary", "Summary", table(nil, facts.map { [$0.0, $0.1] }, text: [0, 1]))
    if let held = heldOut {
      let p = held.probabilities, y = held.labels
      let roc = try rocCurve(scores: p, labels: y)
      let auc = try rocAUC(scores: p, labels: y)
      let axes = SVGPlot.Axes(xRange: 0...1, yRange: 0...1, xLabel: "false-positive rate (share of retained customers flagged)",
                              yLabel: "true-positive rate (share of churners caught)", xPercent: true, yPercent: true)
      body += section("roc", "ROC curve", SVGPlot.lines(axes, title: "ROC on \(held.source): AUC \(String(format: "%.3f", auc))",
                                                         series: [.init(name: "model", points: roc.map { ($0.fpr, $0.tpr) }),
                                                                  .init(name: "random (AUC 0.5)", points: [(0, 0), (1, 1)], dashed: true)])
        + "<p>AUC \(String(format: "%.4f", auc)): the chance that a churner is ranked above a customer who stayed.</p>")
      let pr = try precisionRecallCurve(scores: p, labels: y)
      let ap = try averagePrecision(scores: p, labels: y)
      let rate = y.reduce(0, +) / Double(y.count)
      let prAxes = SVGPlot.Axes(xRange: 0...1, yRange: 0...1, xLabel: "recall (share of churners caught)", yLabel: "precision (share of flagged who churn)",
                                xPercent: true, yPercent: true)
      body += section("precision-recall", "Precision and recall",
                      SVGPlot.lines(prAxes, title: "Precision–recall: average precision \(String(format: "%.3f", ap))",
                                    series: [.init(name: "model", points: [(0, pr.first?.precision ?? 1)] + pr.map { ($0.recall, $0.precision) }),
                                             .init(name: "churn rate \(pct(rate))", points: [(0, rate), (1, rate)], dashed: true)])
                        + "<p>Average precision \(String(format: "%.4f", ap)) against a baseline of \(pct(rate)) (flagging at random).</p>")
      let gains = try gainsTable(scores: p, labels: y)
      var previous = 0.0, previousCount = 0
      var decileLift: [(Double, Double)] = []
      for (k, g) in gains.enumerated() {
        let churners = g.churners - previous, customers = g.customers - previousCount
        decileLift.append((Double(k + 1), customers > 0 ? (churners / Double(customers)) / rate : 0))
        previous = g.churners
        previousCount = g.customers
      }
      let maxLift = max(1.5, (decileLift.map(\.1).max() ?? 1) * 1.15)
      var liftAxes = SVGPlot.Axes(xRange: 0.4...10.6, yRange: 0...maxLift, xLabel: "decile of predicted risk (1 = riskiest 10%)", yLabel: "lift (churn rate ÷ overall rate)")
      liftAxes.xTicks = (1...10).map(Double.init)
      body += section("lift", "Lift by decile",
                      SVGPlot.bars(liftAxes, title: "Lift by decile (top decile \(String(format: "%.2f", gains[0].lift))×)",
                                   bars: decileLift.map { (x: $0.0, width: 0.8, height: $0.1, label: String(format: "%.1f", $0.1)) })
                        + table(["decile", "customers", "churners", "churn rate", "lift"],
                                gains.indices.map { k in
                                  let customers = gains[k].customers - (k > 0 ? gains[k - 1].customers : 0)
                                  let churners = gains[k].churners - (k > 0 ? gains[k - 1].churners : 0)
                                  return ["\(k + 1)", "\(customers)", String(format: "%.0f", churners), pct(churners / Double(max(customers, 1))),
                                          String(format: "%.2f", decileLift[k].1)]
                                }))
      let gainsAxes = SVGPlot.Axes(xRange: 0...1, yRange: 0...1, xLabel: "share of customers contacted, riskiest first", yLabel: "share of all churners caught",
                                   xPercent: true, yPercent: true)
      body += section("gains", "Cumulative gains",
                      SVGPlot.lines(gainsAxes, title: "Cumulative gains: the riskiest 20% hold \(pct(gains[1].gain, 0)) of churners",
                                    series: [.init(name: "model", points: [(0, 0)] + gains.map { ($0.fraction, $0.gain) }, dots: true),
                                             .init(name: "random", points: [(0, 0), (1, 1)], dashed: true)])
                        + table(["top", "customers", "churners caught", "share of churners", "cumulative lift"],
                                gains.map { [pct($0.fraction, 0), "\($0.customers)", String(format: "%.0f", $0.churners), pct($0.gain), String(format: "%.2f", $0.lift)] }))
      let calibration = try CalibrationTable(probabilities: p, labels: y)
      let top = max(0.05, (calibration.bins.flatMap { [$0.predicted, $0.observed] }.max() ?? 1) * 1.1)
      let calAxes = SVGPlot.Axes(xRange: 0...min(1, top), yRange: 0...min(1, top), xLabel: "mean predicted churn probability (per bin)",
                                 yLabel: "observed churn rate", xPercent: true, yPercent: true)
      body += section("calibration", "Calibration",
                      SVGPlot.lines(calAxes, title: "Calibration: expected calibration error \(String(format: "%.4f", calibration.expectedCalibrationError))",
                                    series: [.init(name: "10 quantile bins", points: calibration.bins.map { ($0.predicted, $0.observed) }, dots: true)],
                                    diagonal: true)
                        + "<p>Points on the diagonal mean the probabilities can be taken at their word (for revenue at risk and capacity planning).</p>"
                        + table(["bin", "customers", "predicted", "observed"],
                                calibration.bins.enumerated().map { ["\($0 + 1)", "\($1.count)", pct($1.predicted, 2), pct($1.observed, 2)] }))
    } else {
      for (id, heading) in [("roc", "ROC curve"), ("precision-recall", "Precision and recall"), ("lift", "Lift by decile"), ("gains", "Cumulative gains"),
                            ("calibration", "Calibration")] {
        body += section(id, heading, missing("The model file holds no held-out predictions (train it with churn train to record them)."))
      }
    }
    body += scoresSection()
    body += weightsSections()
    body += cohortSections()
    if drift.isEmpty {
      body += section("drift", "Drift since training", missing("No drift references in the model file."))
    } else {
      let shifted = drift.filter { $0.psi > 0.2 }.count
      body += section("drift", "Drift since training",
                      "<p>Population stability index of each input column and of the score against the training data; above 0.2 is a real shift, 0.1–0.2 worth watching. \(shifted) column(s) above 0.2.</p>"
                        + table(["column", "PSI", "status"], drift.prefix(15).map { [$0.column, String(format: "%.3f", $0.psi), $0.psi > 0.2 ? "shifted" : ($0.psi > 0.1 ? "watch" : "stable")] },
                              text: [0, 2]))
    }
    body += healthSection()
    if let timeToChurn { body += timeToChurnSection(timeToChurn) }
    let showsHealth = !health.isEmpty
    let listRows = ranked.enumerated().map { k, r -> [String] in
      let revenue: String = r.revenueAtRisk.map { $0.isNaN ? "" : SignedNumber.unsigned($0, decimals: 2) } ?? ""
      var row: [String] = ["\(k + 1)", r.id, pct(r.probability), r.band ?? "", r.reasons.joined(separator: "; "), revenue]
      if showsLifetimeValue { row += [r.lifetimeValue, r.valueAtRisk].map { $0.map { SignedNumber.unsigned($0, decimals: 2) } ?? "" } }
      if showsNetValue { row.append(r.netValueOfContact.map { SignedNumber.text($0, decimals: 2) } ?? "") }
      row.append(r.segment ?? "")
      if showsHealth { row.append(r.health?.text ?? "") }
      return row
    }
    body += section("ranked-list", "Who is about to leave: the top of the ranked list",
                    ranked.isEmpty ? missing("No customers were scored.")
                      : table(["rank", idHeader, "churn", "band", "reasons", "revenue at risk"] + (showsLifetimeValue ? ["lifetime value", "value at risk"] : [])
                                + (showsNetValue ? ["net value of a call"] : []) + ["segment"] + (showsHealth ? ["health"] : []), listRows,
                              text: Set([1, 3, 4] + [6, 7].map { $0 + (showsNetValue ? 1 : 0) + (showsLifetimeValue ? 2 : 0) })))
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8"/>
      <title>\(e(title))</title>
      <style>
      body { font-family: sans-serif; margin: 24px auto; max-width: 1180px; color: #222; }
      h1 { font-size: 24px; } h2 { font-size: 19px; border-bottom: 1px solid #ccc; padding-bottom: 4px; margin-top: 28px; }
      section { display: inline-block; vertical-align: top; width: 575px; margin-right: 10px; }
      section#summary, section#ranked-list, section#cohorts, section#categories, section#drift, section#time-to-churn { display: block; width: auto; }
      table { border-collapse: collapse; font-size: 12px; margin: 6px 0; } th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; }
      td.n { text-align: right; font-variant-numeric: tabular-nums; } th { background: #f2f2f2; }
      .note { color: #777; font-style: italic; } p { font-size: 13px; }
      svg.plot { font-size: 11px; } svg text { fill: #333; } svg .t { font-size: 13px; font-weight: bold; } svg .l { font-size: 12px; }
      svg .k { font-size: 11px; } svg .g { stroke: #e4e4e4; } svg .box { fill: none; stroke: #888; }
      svg .ref { stroke: #999; stroke-dasharray: 4 4; } svg .mark { stroke: #c00; stroke-width: 1.5; } svg .err { stroke: #222; stroke-width: 1.2; }
      .cohort { display: inline-block; vertical-align: top; }
      </style>
      </head>
      <body>
      <h1>\(e(title))</h1>
      \(body)</body>
      </html>

      """
  }

  func scoresSection() -> String {
    guard !scores.isEmpty else { return section("scores", "Scores and risk bands", missing("No customers were scored.")) }
    let top = min(1, (scores.max() ?? 1) * 1.02)
    let binCount = 40
    let width = max(top, 1e-6) / Double(binCount)
    var counts = [Int](repeating: 0, count: binCount)
    for s in scores { counts[min(binCount - 1, Int(s / width))] += 1 }
    let axes = SVGPlot.Axes(xRange: 0...max(top, 1e-6), yRange: 0...Double((counts.max() ?? 1)) * 1.1, xLabel: "churn probability",
                            yLabel: "customers", xPercent: true)
    var markers: [(x: Double, label: String)] = []
    var text = "<p>\(scores.count) customers scored \(e(scoredOn)).</p>"
    if let bands {
      markers = [(bands.yellow, "yellow ≥ \(pct(bands.yellow))"), (bands.red, "red ≥ \(pct(bands.red))")]
      let red = scores.filter { $0 >= bands.red }.count, yellow = scores.filter { $0 >= bands.yellow && $0 < bands.red }.count
      text += table(["band", "customers", "share", "cut point"],
                    [["red", "\(red)", pct(Double(red) / Double(scores.count)), "≥ \(pct(bands.red, 2))"],
                     ["yellow", "\(yellow)", pct(Double(yellow) / Double(scores.count)), "≥ \(pct(bands.yellow, 2))"],
                     ["green", "\(scores.count - red - yellow)", pct(Double(scores.count - red - yellow) / Double(scores.count)), "below"]], text: [0])
    }
    let bars = counts.enumerated().map { (x: (Double($0) + 0.5) * width, width: width, height: Double($1), label: String?.none) }
    return section("scores", "Scores and risk bands", SVGPlot.bars(axes, title: "Distribution of churn probabilities", bars: bars, markers: markers) + text)
  }

  /// Mean health points per dimension over all scored customers and per band: where the
  /// customer base as a whole loses its health, and where the red band does.
  func healthSection() -> String {
    guard let first = health.first else {
      return section("health", "Health by dimension", missing("Health was not computed for this report."))
    }
    let names = first.dimensions.map(\.name)
    func mean(_ rows: [CustomerHealth], signed: Bool = true, _ value: (CustomerHealth) -> Double) -> String {
      let m = rows.reduce(0) { $0 + value($1) } / Double(rows.count)
      return signed ? SignedNumber.text(m, decimals: 1) : SignedNumber.unsigned(m, decimals: 1)
    }
    var groups: [(String, [CustomerHealth])] = [("all \(health.count) customers", health)]
    if !healthBands.isEmpty {
      for band in ["red", "yellow", "green"] {
        let rows = zip(health, healthBands).filter { $0.1 == band }.map(\.0)
        if !rows.isEmpty { groups.append(("\(band) band (\(rows.count))", rows)) }
      }
    }
    let header = ["", "health", "baseline"] + names
    let rows = groups.map { label, rows in
      [label, mean(rows, signed: false) { Double($0.score) }, mean(rows, signed: false) { Double($0.baseline) }]
        + names.indices.map { d in mean(rows) { Double($0.dimensions[d].points) } }
    }
    return section("health", "Health by dimension",
                   "<p>Health = round(100 × (1 − churn probability)), 0 to 100, 100 safest. It is the model's average customer's health (the baseline) "
                     + "plus one term per category of signal, the points that category's columns cost (negative) or add, from the same additive "
                     + "contributions as the reasons. Means of the rounded points over the customers scored:</p>"
                     + table(header, rows, text: [0]))
  }

  func weightsSections() -> String {
    var s = ""
    if weights.isEmpty {
      s += section("weights", weightsTitle, missing("The model has no weights to show."))
    } else {
      s += section("weights", weightsTitle, SVGPlot.horizontal(title: weightsTitle, xLabel: weightsAxis,
                                                               rows: weights.map { ($0.label, $0.value, $0.lower, $0.upper, $0.text) },
                                                               reference: weightsReference) + "<p>\(e(weightsNote))</p>")
    }
    if attribution.isEmpty {
      s += section("attribution", "Signals by category", missing("No weights to group."))
    } else {
      s += section("attribution", "Signals by category",
                   SVGPlot.horizontal(title: "Share of the model's weight by category", xLabel: "share (\(attributionBasis))",
                                      rows: attribution.map { ($0.category, $0.share, nil, nil, pct($0.share, 0)) }, xPercent: true)
                     + table(["category", "share", "strongest members"], attribution.map { [$0.category, String(format: "%.2f", $0.share), $0.members.prefix(4).joined(separator: ", ")] },
                             text: [0, 2]))
    }
    return s
  }

  func cohortSections() -> String {
    func plots(_ list: [(feature: String, cohorts: [Cohort])]) -> String {
      list.map { item in
        let rows = item.cohorts.map { c in
          (c.label, c.churnRate.value, Optional(c.churnRate.lower), Optional(c.churnRate.upper), "\(pct(c.churnRate.value)) of \(c.customers)")
        }
        return "<div class=\"cohort\">" + SVGPlot.horizontal(title: "Churn rate by \(item.feature)", xLabel: "churn rate (Wilson 95% interval)", rows: rows, xPercent: true)
          + "</div>"
      }.joined()
    }
    var s = ""
    s += section("cohorts", "Churn rate by decile of the strongest features",
                 cohorts.isEmpty ? missing(cohortSource) : "<p>\(e(cohortSource))</p>" + plots(cohorts))
    s += section("categories", "Churn rate by category",
                 categories.isEmpty ? missing(cohortSource.isEmpty ? "No categorical columns." : "No categorical columns in the model's inputs. " + cohortSource)
                   : "<p>\(e(cohortSource))</p>" + plots(categories))
    return s
  }
}
