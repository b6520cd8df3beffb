import ChurnCore
import ChurnScoring
import Foundation

extension MonthlyAnalysis {
  /// The `id`s of the page's sections, in order.
  public static let sectionIDs = ["summary", "overall", "attributes", "profiles", "months", "notes"]

  /// Up to how many cutoffs the page's tables have a column per cutoff.
  public static let tableCutoffs = 13

  /// How many profile rows the page's chart shows (the table shows them all).
  public static let chartProfiles = 20

  /// The analysis as one self-contained HTML page: inline SVG charts and tables, no scripts, no
  /// fonts, images or styles from the network; well-formed XML as well as HTML.
  ///
  /// - Parameter title: the page's heading.
  public func html(title: String = "Monthly churn analysis") -> String {
    func e(_ s: String) -> String { SVGCharts.escape(s) }
    func section(_ id: String, _ heading: String, _ body: String) -> String { "<section id=\"\(id)\"><h2>\(e(heading))</h2>\(body)</section>\n" }
    func table(_ header: [String]?, _ rows: [[String]], text: Set<Int> = [0]) -> String {
      var s = "<table>" + (header.map { "<thead><tr>" + $0.map { "<th>\(e($0))</th>" }.joined() + "</tr></thead>" } ?? "") + "<tbody>"
      for row in rows {
        s += "<tr>" + row.enumerated().map { k, v in text.contains(k) ? "<td>\(e(v))</td>" : "<td class=\"n\">\(e(v))</td>" }.joined() + "</tr>"
      }
      return s + "</tbody></table>"
    }
    func note(_ text: String) -> String { "<p class=\"note\">\(e(text))</p>" }
    let day = Double(UTCTime.millisecondsPerDay)
    // Monthly cutoffs on the 1st are labelled by month; others by date.
    let monthly = overall.allSatisfy { UTCTime.civil(days: $0.cutoff / UTCTime.millisecondsPerDay).day == 1 }
    let ticks = overall.map { (x: Double($0.cutoff) / day, label: monthly ? String($0.date.prefix(7)) : $0.date) }
    func trendPoints(_ points: [RatePoint]) -> [SVGCharts.Point] {
      points.map { SVGCharts.Point(x: Double($0.cutoff) / day, value: $0.churnRate.value, lower: $0.churnRate.lower, upper: $0.churnRate.upper) }
    }
    let cutoffLabel = "cutoff (churn counted within the horizon after it)"

    var body = ""
    let span = overall.count > 1 ? "\(overall.first!.date) to \(overall.last!.date)" : overall.first?.date ?? ""
    var facts: [[String]] = [["labelled rows", "\(labelledRows) (customer, cutoff) rows at \(overall.count) cutoffs, \(span)"],
                             ["churned", "\(churned) (churn rate \(Self.percent(churnRate)))"],
                             ["attributes", trends.isEmpty ? "none" : trends.map(\.attribute).joined(separator: ", ")],
                             ["surveys", "\(settings.surveyType) (satisfaction: mean value per month)"],
                             ["NPS answers", "\(settings.npsType) (0–10: promoters 9–10, detractors 0–6; NPS = promoters% − detractors%)"]]
    if let features { facts.append(["event log", "\(features.events) events"]) }
    body += section("summary", "Summary", table(nil, facts, text: [0, 1])
      + "<p>A customer is a row at every cutoff where it is observed, so counts are customer-months and the intervals treat rows as "
      + "independent: read them as a guide to what is noise.</p>")

    body += section("overall", "Churn rate over the cutoffs",
                    "<div class=\"attribute\">"
                      + SVGCharts.trend(title: "Churn rate by cutoff, all rows (Wilson 95% band)", xLabel: cutoffLabel, yLabel: "churn rate",
                                        xTicks: ticks, series: [SVGCharts.Series(name: "all rows", points: trendPoints(overall))], yPercent: true)
                      + "</div><div class=\"attribute\">" + table(["cutoff", "rows", "churned", "churn rate (95% CI)"], overall.map { [$0.date, "\($0.rows)", "\($0.churned)", Self.rate($0.churnRate)] }) + "</div>")

    var attributes = ""
    for t in trends {
      let panels = t.levels.map { SVGCharts.Series(name: "\($0.level): \(Self.percent($0.churnRate.value)) of \($0.rows) rows", points: trendPoints($0.points)) }
      // A column per cutoff while they fit the page; past that, rates.csv has them.
      let columns = overall.count <= Self.tableCutoffs
      let header = ["level", "rows", "churned", "churn rate (95% CI)"] + (columns ? overall.map { monthly ? String($0.date.prefix(7)) : $0.date } : [])
      let rows = t.levels.map { l in
        [l.level, "\(l.rows)", "\(l.churned)", Self.rate(l.churnRate)] + (columns ? l.points.map { Self.percent($0.churnRate.value) } : [])
      }
      attributes += "<div class=\"attribute\">"
        + SVGCharts.panels(title: "Churn rate by \(t.attribute) at each cutoff (Wilson 95% bands; dashed: all rows)", xTicks: ticks, panels: panels,
                           reference: SVGCharts.Series(name: "all rows", points: trendPoints(overall), band: false), yPercent: true)
        + table(header, rows) + (columns ? "" : note("The rate of each level at each of the \(overall.count) cutoffs is in rates.csv (or the JSON).")) + "</div>"
    }
    body += section("attributes", "Churn rate by attribute over the cutoffs",
                    trends.isEmpty ? note("No categorical customer attribute to group by (give a customer table with --customers, or name columns with --attributes).")
                      : "<p>One panel per level: its churn rate at each cutoff with the Wilson 95% interval shaded, the rate of all rows dashed; "
                        + "the panel's title gives the level's rate over all cutoffs. The scale stops at 1.6 times the highest rate, so a small level's "
                        + "wide band is cut at the top. The table gives the rates.</p>" + attributes)

    if profiles.isEmpty {
      body += section("profiles", "Churned against retained", note("No attribute to compare churned and retained rows by."))
    } else {
      let shown = profiles.prefix(Self.chartProfiles).filter { $0.difference.value.isFinite }
      let bars = shown.map { p in
        HTMLReport.Bar(label: "\(p.attribute) = \(p.level)", value: p.difference.value, lower: p.difference.lower, upper: p.difference.upper,
                       text: String(format: "%+.1f pts", 100 * p.difference.value))
      }
      let rows = profiles.map { p in
        [p.attribute, p.level, "\(p.churned)", Self.percent(p.churnedShare.value), "\(p.retained)", Self.percent(p.retainedShare.value),
         Self.points(p.difference), Self.rate(p.churnRate)]
      }
      body += section("profiles", "Churned against retained",
                      "<p>Of the \(churned) churned rows and the \(labelledRows - churned) retained rows, the share with each level; the difference "
                        + "(churned share − retained share, in percentage points) with Newcombe's hybrid score 95% interval (method 10, from the two "
                        + "Wilson intervals), largest first. A level over-represented among churners has a positive difference.</p>"
                        + SVGCharts.horizontalBars(title: "Share among churned − share among retained (\(shown.count) largest)",
                                                   xLabel: "difference in share (Newcombe 95% interval)", rows: bars, xPercent: true)
                        + table(["attribute", "level", "churned rows", "share of churned", "retained rows", "share of retained",
                                 "difference, points (95% CI)", "churn rate of the level (95% CI)"], rows, text: [0, 1]))
    }

    if months.isEmpty {
      body += section("months", "Satisfaction and NPS against churn",
                      note("No \(settings.surveyType) or \(settings.npsType) events in the log (name the event types with --survey-type and --nps-type)."))
    } else {
      func month(_ text: String) -> Double {
        let parts = text.split(separator: "-").compactMap { Double($0) }
        return parts[0] * 12 + parts[1] - 1
      }
      let monthTicks = months.map { (x: month($0.month), label: $0.month) }
      func padded(_ values: [Double], floor: Double?) -> ClosedRange<Double> {
        let finite = values.filter(\.isFinite)
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if let floor { lo = min(lo, floor) }
        let pad = max((hi - lo) * 0.15, 1)
        return (lo - pad)...(hi + pad * 1.5)
      }
      var charts = ""
      if months.contains(where: { $0.surveys > 0 }) {
        let points = months.map { SVGCharts.Point(x: month($0.month), value: $0.satisfaction) }
        charts += "<div class=\"attribute\">" + SVGCharts.trend(title: "Satisfaction by month (mean \(settings.surveyType) value)", xLabel: "month of the surveys",
                                                                 yLabel: "mean value", xTicks: monthTicks,
                                                                 series: [SVGCharts.Series(name: "satisfaction", points: points, band: false)],
                                                                 yRange: padded(points.map(\.value), floor: nil)) + "</div>"
      }
      if months.contains(where: { $0.npsAnswers > 0 }) {
        let points = months.map { SVGCharts.Point(x: month($0.month), value: $0.nps) }
        charts += "<div class=\"attribute\">" + SVGCharts.trend(title: "NPS by month (promoters% − detractors%)", xLabel: "month of the answers",
                                                                 yLabel: "NPS (points)", xTicks: monthTicks,
                                                                 series: [SVGCharts.Series(name: "NPS", points: points, band: false)],
                                                                 yRange: padded(points.map(\.value), floor: 0)) + "</div>"
      }
      let churn = SVGCharts.Series(name: "churn rate of the month's cutoffs",
                                   points: months.map { SVGCharts.Point(x: month($0.month), value: $0.churnRate.value, lower: $0.churnRate.lower,
                                                                        upper: $0.churnRate.upper) })
      charts += "<div class=\"attribute\">" + SVGCharts.trend(title: "Churn rate by month of the cutoff (Wilson 95% band)", xLabel: "month of the cutoff",
                                                               yLabel: "churn rate", xTicks: monthTicks, series: [churn], yPercent: true) + "</div>"
      let rows = months.map { m in
        [m.month, "\(m.surveys)", m.satisfaction.isNaN ? "-" : String(format: "%.2f", m.satisfaction), "\(m.npsAnswers)", "\(m.promoters)",
         "\(m.passives)", "\(m.detractors)", m.nps.isNaN ? "-" : String(format: "%.1f", m.nps), "\(m.npsLeftOut)", "\(m.rows)", Self.rate(m.churnRate)]
      }
      body += section("months", "Satisfaction and NPS against churn",
                      "<p>By calendar month (UTC) of the answers: the mean \(e(settings.surveyType)) value, and NPS from \(e(settings.npsType)) answers "
                        + "on 0–10 (promoters 9–10, passives 7–8, detractors 0–6, a fractional answer by the same cuts; answers outside 0–10 or blank are left out and counted); beside them "
                        + "the churn rate of the rows whose cutoff falls in the month.</p>"
                        + charts
                        + (correlationText.map { "<p>\(e($0)) Few months make wide intervals; a correlation is not a cause.</p>" } ?? "")
                        + table(["month", "surveys", "satisfaction", "NPS answers", "promoters", "passives", "detractors", "NPS", "NPS left out",
                                 "rows", "churn rate (95% CI)"], rows))
    }
    body += section("notes", "Notes", notes.isEmpty ? note("Nothing was left out.") : "<ul>" + notes.map { "<li>\(e($0))</li>" }.joined() + "</ul>")

    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8"/>
      <title>\(e(title))</title>
      <style>
      body { font-family: sans-serif; margin: 24px auto; max-width: 1180px; color: #222; }
      h1 { font-size: 24px; } h2 { font-size: 19px; border-bottom: 1px solid #ccc; padding-bottom: 4px; margin-top: 28px; }
      table { border-collapse: collapse; font-size: 12px; margin: 6px 0; } th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; }
      td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; } th { background: #f2f2f2; }
      .note { color: #777; font-style: italic; } p { font-size: 13px; } li { font-size: 13px; }
      .attribute { display: inline-block; vertical-align: top; margin: 0 14px 14px 0; max-width: 100%; overflow-x: auto; }
      \(SVGCharts.style)
      </style>
      </head>
      <body>
      <h1>\(e(title))</h1>
      \(body)</body>
      </html>

      """
  }
}
