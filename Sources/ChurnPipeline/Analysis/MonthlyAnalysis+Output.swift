import ChurnCore
import ChurnScoring
import Foundation

extension MonthlyAnalysis {
  /// A number as the CSV files write it: Swift's shortest round-trip form, NaN (undefined) as an empty field.
  static func field(_ x: Double) -> String { x.isNaN ? "" : "\(x)" }

  static func csvLine(_ fields: [String]) -> String { fields.map(CSVField.escape).joined(separator: ",") + "\n" }

  /// The columns of `ratesCSV`.
  public static let ratesHeader = ["attribute", "level", "cutoff", "rows", "churned", "churn_rate", "rate_lower_95", "rate_upper_95"]

  /// The churn rate at every cutoff: all rows first (attribute and level `(all)`), then each
  /// attribute's levels; one line per (level, cutoff), a cutoff without rows of the level with
  /// 0 rows and empty rates.
  public var ratesCSV: String {
    var csv = Self.csvLine(Self.ratesHeader)
    func add(_ attribute: String, _ level: String, _ points: [RatePoint]) {
      for p in points {
        csv += Self.csvLine([attribute, level, p.date, "\(p.rows)", "\(p.churned)", Self.field(p.churnRate.value), Self.field(p.churnRate.lower),
                             Self.field(p.churnRate.upper)])
      }
    }
    add("(all)", "(all)", overall)
    for t in trends { for l in t.levels { add(t.attribute, l.level, l.points) } }
    return csv
  }

  /// The columns of `profilesCSV`.
  public static let profilesHeader = ["attribute", "level", "churned", "churned_share", "churned_share_lower_95", "churned_share_upper_95",
                                      "retained", "retained_share", "retained_share_lower_95", "retained_share_upper_95", "difference",
                                      "difference_lower_95", "difference_upper_95", "rows", "churn_rate", "rate_lower_95", "rate_upper_95"]

  /// Churned against retained, one line per level, in `profiles`' order (largest |difference| first).
  public var profilesCSV: String {
    var csv = Self.csvLine(Self.profilesHeader)
    for p in profiles {
      let numbers = [p.churnedShare, p.retainedShare, p.difference, p.churnRate].map { [Self.field($0.value), Self.field($0.lower), Self.field($0.upper)] }
      csv += Self.csvLine([p.attribute, p.level, "\(p.churned)"] + numbers[0] + ["\(p.retained)"] + numbers[1] + numbers[2] + ["\(p.rows)"] + numbers[3])
    }
    return csv
  }

  /// The columns of `monthsCSV`.
  public static let monthsHeader = ["month", "surveys", "satisfaction", "nps_answers", "promoters", "passives", "detractors", "nps", "nps_left_out",
                                    "cutoffs", "rows", "churned", "churn_rate", "rate_lower_95", "rate_upper_95"]

  /// Satisfaction, NPS and churn rate by month, one line per month.
  public var monthsCSV: String {
    var csv = Self.csvLine(Self.monthsHeader)
    for m in months {
      csv += Self.csvLine([m.month, "\(m.surveys)", Self.field(m.satisfaction), "\(m.npsAnswers)", "\(m.promoters)", "\(m.passives)", "\(m.detractors)",
                           Self.field(m.nps), "\(m.npsLeftOut)", "\(m.cutoffs)", "\(m.rows)", "\(m.churned)", Self.field(m.churnRate.value),
                           Self.field(m.churnRate.lower), Self.field(m.churnRate.upper)])
    }
    return csv
  }

  /// Everything as JSON (NaN as "nan").
  public func json() throws -> String {
    struct Document: Encodable {
      var labelledRows: Int
      var churned: Int
      var churnRate: Double
      var surveyType: String
      var npsType: String
      var overall: [RatePoint]
      var trends: [AttributeTrend]
      var profiles: [ProfileDifference]
      var months: [MonthRow]
      var satisfactionCorrelation: MonthCorrelation?
      var npsCorrelation: MonthCorrelation?
      var notes: [String]
    }
    return try TextTable.json(Document(labelledRows: labelledRows, churned: churned, churnRate: churnRate, surveyType: settings.surveyType,
                                       npsType: settings.npsType, overall: overall, trends: trends, profiles: profiles, months: months,
                                       satisfactionCorrelation: satisfactionCorrelation, npsCorrelation: npsCorrelation, notes: notes)) + "\n"
  }

  static func percent(_ x: Double) -> String { x.isNaN ? "-" : String(format: "%.1f%%", 100 * x) }
  static func rate(_ e: Estimate) -> String {
    e.value.isNaN ? "-" : String(format: "%.1f%% (%.1f–%.1f%%)", 100 * e.value, 100 * e.lower, 100 * e.upper)
  }
  static func points(_ e: Estimate) -> String {
    e.value.isNaN ? "-" : String(format: "%+.1f (%+.1f to %+.1f)", 100 * e.value, 100 * e.lower, 100 * e.upper)
  }

  /// "Across the months with both, ..." for the correlations that exist, or nil.
  var correlationText: String? {
    func one(_ name: String, _ c: MonthCorrelation?) -> String? {
      guard let c else { return nil }
      guard c.r.value.isFinite else { return "\(name) undefined (\(c.months) month\(c.months == 1 ? "" : "s") with both)" }
      let interval = c.r.lower.isFinite ? String(format: " (95%% CI %.2f to %.2f)", c.r.lower, c.r.upper) : ""
      return "\(name) r = " + String(format: "%.2f", c.r.value) + interval + " over \(c.months) months"
    }
    let parts = [one("satisfaction", satisfactionCorrelation), one("NPS", npsCorrelation)].compactMap { $0 }
    guard !parts.isEmpty else { return nil }
    return "Correlation with the churn rate of the month (Pearson, Fisher-z interval): " + parts.joined(separator: "; ") + "."
  }

  /// How many profile lines `text` shows.
  public static let textProfiles = 12

  /// The analysis as text: the churn rate by cutoff, by level of each attribute, the largest
  /// churned-against-retained differences, satisfaction and NPS by month, and the notes.
  public var text: String {
    var lines: [String] = []
    let span = overall.count > 1 ? "\(overall.first!.date) to \(overall.last!.date)" : overall.first?.date ?? ""
    lines.append("\(labelledRows) labelled rows at \(overall.count) cutoff\(overall.count == 1 ? "" : "s") (\(span)), \(churned) churned "
      + "(churn rate \(TextTable.percent(churnRate))).")
    lines.append("\nChurn rate by cutoff (Wilson 95% interval):")
    lines.append(TextTable.pad("cutoff", 12) + TextTable.pad("rows", 8, right: true) + TextTable.pad("churned", 9, right: true) + "  churn rate (95% CI)")
    for p in overall {
      lines.append(TextTable.pad(p.date, 12) + TextTable.pad("\(p.rows)", 8, right: true) + TextTable.pad("\(p.churned)", 9, right: true) + "  " + Self.rate(p.churnRate))
    }
    for t in trends {
      lines.append("\nChurn rate by \(t.attribute), all cutoffs:")
      let width = min(28, max(10, t.levels.map(\.level.count).max() ?? 10))
      lines.append(TextTable.pad("level", width + 1) + TextTable.pad("rows", 8, right: true) + TextTable.pad("churned", 9, right: true) + "  churn rate (95% CI)")
      for l in t.levels {
        lines.append(TextTable.pad(TextTable.cut(l.level, width), width + 1) + TextTable.pad("\(l.rows)", 8, right: true)
          + TextTable.pad("\(l.churned)", 9, right: true) + "  " + Self.rate(l.churnRate))
      }
    }
    if !profiles.isEmpty {
      lines.append("\nChurned against retained: each level's share of the \(churned) churned rows and of the \(labelledRows - churned) retained rows, "
        + "the difference in points with Newcombe's 95% interval; "
        + (profiles.count <= Self.textProfiles ? "all \(profiles.count), largest first:" : "the \(Self.textProfiles) largest of \(profiles.count):"))
      let width = min(32, max(14, profiles.prefix(Self.textProfiles).map { $0.attribute.count + $0.level.count + 3 }.max() ?? 14))
      lines.append(TextTable.pad("attribute = level", width + 1) + TextTable.pad("churned", 9, right: true) + TextTable.pad("retained", 10, right: true)
        + "  " + TextTable.pad("difference (95% CI)", 28) + "churn rate")
      for p in profiles.prefix(Self.textProfiles) {
        lines.append(TextTable.pad(TextTable.cut("\(p.attribute) = \(p.level)", width), width + 1) + TextTable.pad(Self.percent(p.churnedShare.value), 9, right: true)
          + TextTable.pad(Self.percent(p.retainedShare.value), 10, right: true) + "  " + TextTable.pad(Self.points(p.difference), 28) + Self.percent(p.churnRate.value))
      }
    }
    if !months.isEmpty {
      lines.append("\nSatisfaction (\(settings.surveyType) mean) and NPS (\(settings.npsType): promoters% − detractors%) by month, "
        + "beside the churn rate of the cutoffs in the month:")
      lines.append(TextTable.pad("month", 8) + TextTable.pad("surveys", 9, right: true) + TextTable.pad("satisfaction", 14, right: true)
        + TextTable.pad("answers", 9, right: true) + TextTable.pad("NPS", 8, right: true) + TextTable.pad("rows", 8, right: true)
        + TextTable.pad("churn rate", 12, right: true))
      for m in months {
        lines.append(TextTable.pad(m.month, 8) + TextTable.pad("\(m.surveys)", 9, right: true)
          + TextTable.pad(m.satisfaction.isNaN ? "-" : String(format: "%.2f", m.satisfaction), 14, right: true)
          + TextTable.pad("\(m.npsAnswers)", 9, right: true) + TextTable.pad(m.nps.isNaN ? "-" : String(format: "%.1f", m.nps), 8, right: true)
          + TextTable.pad("\(m.rows)", 8, right: true) + TextTable.pad(Self.percent(m.churnRate.value), 12, right: true))
      }
    }
    if let line = correlationText { lines.append(line) }
    for note in notes { lines.append("note: " + note) }
    return lines.joined(separator: "\n")
  }
}
