import ChurnCore
import ChurnScoring
import Foundation

/// The brief's files: one self-contained HTML page and one CSV per owner, and an index page.
///
/// Pages are well-formed XML as well as HTML (as `HTMLReport`'s): inline styles and inline SVG
/// trends, no scripts, no fonts, images or styles from the network, links only between the
/// brief's own pages.
extension WeeklyBrief {
  /// The header of every owner's CSV. `section` is `new_warning`, `mover`, `key_account` or,
  /// with contact economics, `call`; `trend` the probabilities at `trendCutoffs` joined by `;`
  /// (blank where not eligible); with contact economics `value_at_stake` and
  /// `expected_net_value_of_contact` follow; with lifetime values (a survival model scored with
  /// a revenue column) `lifetime_value` and `value_at_risk` last.
  public func csvHeader() -> String {
    "section,\(CSVField.escape(idHeader)),owner,churn_probability,risk_band,band_from,warnings,previous_probability,previous_band,change,"
      + "monthly_revenue,reason_1,reason_2,reason_3,trend" + (contactCut == nil ? "" : ",value_at_stake,expected_net_value_of_contact")
      + (lifetimeValue == nil ? "" : ",lifetime_value,value_at_risk")
  }

  /// One owner's CSV: the new warnings, the movers, the key accounts, then (with contact
  /// economics) the customers worth a call, highest net value first.
  public func csv(for brief: OwnerBrief) -> String {
    var lines = [csvHeader()]
    func number(_ x: Double?, _ digits: Int) -> String { x.map { String(format: "%.\(digits)f", $0) } ?? "" }
    for (section, accounts) in [("new_warning", brief.newWarnings), ("mover", brief.movers), ("key_account", brief.keyAccounts), ("call", brief.calls)] {
      for a in accounts {
        let change: String = a.risePoints.map(RankedList.change(points:)) ?? (previous == nil ? "" : "new")
        var fields: [String] = [section, a.id, a.owner ?? "", number(a.probability, 6), a.band ?? "", a.bandSource ?? ""]
        fields += [a.warnings.joined(separator: ";"), number(a.previousProbability, 6), a.previousBand ?? "", change, number(a.monthlyRevenue, 2)]
        for k in 0..<3 { fields.append(k < a.reasons.count ? a.reasons[k] : "") }
        fields.append(a.trend.map { number($0, 6) }.joined(separator: ";"))
        if contactCut != nil { fields += [number(a.valueAtStake, 2), number(a.netValueOfContact, 2)] }
        if lifetimeValue != nil { fields += [number(a.lifetimeValue, 2), number(a.valueAtRisk, 2)] }
        lines.append(fields.map(CSVField.escape).joined(separator: ","))
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// One owner's page.
  public func html(for brief: OwnerBrief) -> String {
    let e = Self.escape
    var body = "<h1>Weekly brief: \(e(brief.title))</h1>\n"
    let against = previous.map { "changes against \(e($0))" } ?? "no previous list given: every warning is listed as new"
    body += "<p class=\"sub\">\(e(ownerColumn)): \(e(brief.title)) · as of \(e(asOf)) · \(against)</p>\n"
    body += "<p class=\"counts\"><b>\(brief.customers)</b> customers: <span class=\"band red\">\(brief.red) red</span> "
      + "<span class=\"band yellow\">\(brief.yellow) yellow</span> <span class=\"band green\">\(brief.customers - brief.red - brief.yellow) green</span>"
      + " · <b>\(brief.newWarnings.count)</b> new warnings · <b>\(brief.movers.count)</b> movers</p>\n"
    if let values = lifetimeValue, let ltv = brief.lifetimeValue, let risk = brief.valueAtRisk {
      body += "<p class=\"value\">\(e(valueLine(values, lifetimeValue: ltv, valueAtRisk: risk, customers: brief.valuedCustomers)))</p>\n"
    }

    let warnedTitle = previous == nil ? "Warnings" : "New warnings since last week"
    body += section("new-warnings", "\(warnedTitle) (\(brief.newWarnings.count))",
                    brief.newWarnings.isEmpty ? note(previous == nil ? "No customer is red or yellow." : "No customer turned red or yellow since last week.")
                      : table(["band", idHeader, "churn", "last week"] + valueHeader + ["warning rules", "why"], brief.newWarnings.map { a in
                          [bandCell(a), idCell(a.id), cell(pct(a.probability), number: true),
                           cell(a.previousProbability.map { pct($0) + (a.previousBand.map { " " + $0 } ?? "") } ?? "not listed", number: true)]
                            + valueCells(a) + [cell(a.warnings.joined(separator: "; ")), reasonsCell(a)]
                        }))
    body += section("movers", "Movers: risk up most since last week",
                    previous == nil ? note("Give last week's list (--previous) to see whose risk rose.")
                      : brief.movers.isEmpty ? note("No customer's risk rose since last week.")
                      : table([idHeader, "churn", "change"] + valueHeader + ["band", "why"], brief.movers.map { a in
                          [idCell(a.id), cell(pct(a.probability), number: true), cell(RankedList.change(points: a.risePoints!), number: true)]
                            + valueCells(a) + [bandCell(a), reasonsCell(a)]
                        }))
    let trendHeader = "trend (\(trendCutoffs.first ?? asOf) to \(asOf))"
    body += section("key-accounts", "Key accounts: highest monthly revenue",
                    revenueColumn == nil ? note("Give the revenue column (--revenue-column) to see key accounts.")
                      : brief.keyAccounts.isEmpty ? note("No customer of this owner has a revenue value.")
                      : table([idHeader, "monthly revenue"] + valueHeader + ["churn", trendHeader, "band", "why"], brief.keyAccounts.map { a in
                          [idCell(a.id), cell(a.monthlyRevenue.map { SignedNumber.unsigned($0, decimals: 2) } ?? "", number: true)] + valueCells(a)
                            + [cell(pct(a.probability), number: true), "<td class=\"trend\">\(sparkline(a.trend))</td>", bandCell(a), reasonsCell(a)]
                        }))
    // With lifetime values the value at stake is the value at risk, already a column: shown once.
    let stakeShown = lifetimeValue == nil
    if let cut = brief.contactCut {
      body += section("calls", "Worth a call (\(brief.calls.count))",
                      "<p class=\"totals\">\(Self.escape(cut.summary))</p>"
                        + (brief.calls.isEmpty ? note("No customer of this owner has a value at stake above the break-even \(SignedNumber.unsigned(cut.economics.breakEven, decimals: 2)).")
                           : table([idHeader] + (stakeShown ? ["value at stake"] : []) + ["net value of a call"] + valueHeader + ["churn", "band", "why"],
                                   brief.calls.map { a in
                               [idCell(a.id)] + (stakeShown ? [cell(a.valueAtStake.map { SignedNumber.unsigned($0, decimals: 2) } ?? "", number: true)] : [])
                                 + [cell(a.netValueOfContact.map { SignedNumber.text($0, decimals: 2) } ?? "", number: true)] + valueCells(a)
                                 + [cell(pct(a.probability), number: true), bandCell(a), reasonsCell(a)]
                             })))
    }
    body += "<p class=\"note\">Red and yellow are the model's risk bands"
      + (usesRules ? ", raised by the warning rules where a rule is worse (the band's source is in the CSV)" : "")
      + ". Churn is the model's probability of leaving within its horizon. Reasons are the inputs that raise this customer's risk most, with the customer's own values."
      + (lifetimeValue.map { " Lifetime value is the revenue the model expects the customer to bring over the next \($0.periods) periods of \($0.horizon), "
        + "value at risk the revenue it expects to be lost to churn over them (as churn score's lifetime_value and value_at_risk)." } ?? "") + "</p>\n"
    return page(title: "Weekly brief: \(brief.title), \(asOf)", body: body)
  }

  /// The index page: every owner with counts, linking to their pages.
  public func indexHTML() -> String {
    let e = Self.escape
    var body = "<h1>Weekly brief, as of \(e(asOf))</h1>\n"
    body += "<p class=\"sub\">One page per \(e(ownerColumn))"
      + (previous.map { "; changes against \(e($0))" } ?? "") + ".</p>\n"
    let rows = owners.map { o in
      ["<td><a href=\"\(e(o.fileStem)).html\">\(e(o.title))</a></td>", cell("\(o.customers)", number: true), cell("\(o.red)", number: true),
       cell("\(o.yellow)", number: true), cell("\(o.newWarnings.count)", number: true), cell("\(o.movers.count)", number: true)]
        + (o.contactCut.map { cut in
          [cell("\(cut.calls.count)", number: true), cell(SignedNumber.unsigned(cut.netValue, decimals: 2), number: true),
           cell(SignedNumber.unsigned(cut.cost, decimals: 2), number: true)]
        } ?? [])
        + (lifetimeValue == nil ? [] : [o.lifetimeValue, o.valueAtRisk].map { cell($0.map { SignedNumber.unsigned($0, decimals: 2) } ?? "", number: true) })
        + ["<td><a href=\"\(e(o.fileStem)).csv\">\(e(o.fileStem)).csv</a></td>"]
    }
    if let cut = contactCut { body += "<p class=\"totals\">All owners: \(e(cut.summary))</p>\n" }
    if let values = lifetimeValue {
      let valued = owners.filter { $0.lifetimeValue != nil }
      let line = valueLine(values, lifetimeValue: valued.reduce(0) { $0 + $1.lifetimeValue! }, valueAtRisk: valued.reduce(0) { $0 + $1.valueAtRisk! },
                           customers: owners.reduce(0) { $0 + $1.valuedCustomers })
      body += "<p class=\"value\">All owners: \(e(line))</p>\n"
    }
    body += table([ownerColumn, "customers", "red", "yellow", "new warnings", "movers"]
                  + (contactCut == nil ? [] : ["calls", "expected net value", "cost"])
                  + (lifetimeValue == nil ? [] : ["lifetime value", "value at risk"]) + ["CSV"], rows)
    if let monthly {
      body += "<h2>The monthly analysis</h2>\n<p><a href=\"\(Self.monthlyPage)\">Churn rate by segment, churned against retained, satisfaction "
        + "and NPS by month</a>, over \(monthly.overall.count) month starts (\(e(monthly.overall.first?.date ?? "")) to \(e(monthly.overall.last?.date ?? ""))): "
        + "\(monthly.labelledRows) labelled rows, \(monthly.churned) churned (\(pct(monthly.churnRate))).</p>\n"
    }
    return page(title: "Weekly brief, \(asOf)", body: body)
  }

  // MARK: - Pieces

  static func escape(_ s: String) -> String {
    var out = ""
    for c in s.unicodeScalars {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      // Control characters are not allowed in XML 1.0 text.
      case _ where c.value < 0x20 && c != "\n" && c != "\t": out += " "
      default: out.unicodeScalars.append(c)
      }
    }
    return out
  }

  func pct(_ p: Double) -> String { String(format: "%.1f%%", 100 * p) }

  /// The lifetime value columns' headers, none without lifetime values.
  var valueHeader: [String] { lifetimeValue == nil ? [] : ["lifetime value", "value at risk"] }

  /// A customer's lifetime value and value at risk cells (blank without a revenue value), none
  /// without lifetime values.
  func valueCells(_ a: Account) -> [String] {
    lifetimeValue == nil ? [] : [a.lifetimeValue, a.valueAtRisk].map { cell($0.map { SignedNumber.unsigned($0, decimals: 2) } ?? "", number: true) }
  }

  /// "lifetime value 1234.56 and value at risk 234.56 over the next 6 periods of 30d (…)": a
  /// total of `customers` customers' values.
  func valueLine(_ values: LifetimeValues, lifetimeValue: Double, valueAtRisk: Double, customers: Int) -> String {
    "lifetime value \(SignedNumber.unsigned(lifetimeValue, decimals: 2)) and value at risk \(SignedNumber.unsigned(valueAtRisk, decimals: 2)) "
      + "over the next \(values.periods) periods of \(values.horizon) for \(customers) customers with a revenue value"
      + (values.monthlyDiscount > 0 ? ", discounted \(String(format: "%g", 100 * values.monthlyDiscount))% a month" : ", undiscounted")
  }
  func note(_ text: String) -> String { "<p class=\"note\">\(Self.escape(text))</p>" }
  func cell(_ text: String, number: Bool = false) -> String { number ? "<td class=\"n\">\(Self.escape(text))</td>" : "<td>\(Self.escape(text))</td>" }
  func idCell(_ id: String) -> String { "<td class=\"id\">\(Self.escape(id))</td>" }

  func bandCell(_ a: Account) -> String {
    let band = a.band ?? ""
    let from = a.bandSource == "rules" ? " (rules)" : ""
    return "<td><span class=\"band \(Self.escape(band))\">\(Self.escape(band + from))</span></td>"
  }

  func reasonsCell(_ a: Account) -> String {
    guard !a.reasons.isEmpty else { return "<td></td>" }
    return "<td><ul>" + a.reasons.map { "<li>\(Self.escape($0))</li>" }.joined() + "</ul></td>"
  }

  func section(_ id: String, _ heading: String, _ content: String) -> String {
    "<section id=\"\(id)\"><h2>\(Self.escape(heading))</h2>\(content)</section>\n"
  }

  func table(_ header: [String], _ rows: [[String]]) -> String {
    "<table><thead><tr>" + header.map { "<th>\(Self.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
      + rows.map { "<tr>" + $0.joined() + "</tr>" }.joined() + "</tbody></table>"
  }

  /// A small line of the probabilities over the trend cutoffs, the last point marked, with the
  /// first and last values in words beside it.
  func sparkline(_ trend: [Double?]) -> String {
    let width = 120.0, height = 28.0, pad = 3.0
    let known = trend.compactMap { $0 }
    guard !known.isEmpty else { return "" }
    let top = max(0.05, known.max()! * 1.1)
    func x(_ k: Int) -> Double { trend.count == 1 ? width / 2 : pad + (width - 2 * pad) * Double(k) / Double(trend.count - 1) }
    func y(_ p: Double) -> Double { height - pad - (height - 2 * pad) * p / top }
    var path = "", pen = false
    for (k, p) in trend.enumerated() {
      guard let p else { pen = false; continue }
      path += String(format: "%@%.1f %.1f ", pen ? "L" : "M", x(k), y(p))
      pen = true
    }
    let last = trend.count - 1
    var svg = "<svg width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
    svg += "<line x1=\"\(pad)\" y1=\"\(height - pad)\" x2=\"\(width - pad)\" y2=\"\(height - pad)\" class=\"axis\"/>"
    svg += "<path d=\"\(path.trimmingCharacters(in: .whitespaces))\" class=\"spark\"/>"
    if let p = trend[last] { svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" class=\"dot\"/>", x(last), y(p)) }
    svg += "</svg>"
    let first = trend.firstIndex { $0 != nil }!
    let words = first == last ? pct(trend[last] ?? 0) : "\(pct(trend[first]!)) → \(trend[last].map(pct) ?? "–")"
    return svg + " <span class=\"tv\">\(Self.escape(words))</span>"
  }

  func page(title: String, body: String) -> String {
    """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8"/>
    <title>\(Self.escape(title))</title>
    <style>
    body { font-family: sans-serif; margin: 24px auto; max-width: 1100px; color: #222; }
    h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 18px; border-bottom: 1px solid #ccc; padding-bottom: 4px; margin-top: 26px; }
    .sub { color: #555; margin-top: 0; } p { font-size: 13px; } .note { color: #777; font-style: italic; }
    table { border-collapse: collapse; font-size: 12px; margin: 6px 0; width: 100%; }
    th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; } th { background: #f2f2f2; }
    td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; } td.id { font-family: monospace; white-space: nowrap; }
    td ul { margin: 0; padding-left: 16px; } td.trend { white-space: nowrap; }
    .band { display: inline-block; padding: 1px 7px; border-radius: 9px; font-size: 12px; white-space: nowrap; }
    .band.red { background: #f7d4d0; color: #8c1d12; } .band.yellow { background: #fbefc4; color: #6b5200; } .band.green { background: #d9f0dc; color: #1d5e2a; }
    svg { vertical-align: middle; } svg .spark { fill: none; stroke: #1f5aa6; stroke-width: 1.6; } svg .axis { stroke: #ddd; } svg .dot { fill: #d0582a; }
    .tv { font-size: 11px; color: #444; }
    </style>
    </head>
    <body>
    \(body)</body>
    </html>

    """
  }
}
