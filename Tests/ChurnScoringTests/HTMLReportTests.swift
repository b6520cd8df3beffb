import ChurnScoring
import Foundation
import Testing

/// Numbers in the report, pinned against the inputs they describe.
@Suite("The HTML report's numbers")
struct HTMLReportTests {
  static func report() -> HTMLReport {
    var r = HTMLReport(title: "test")
    r.facts = [("customers scored", "5")]
    // Positives at 0.9, 0.8, 0.6, 0.2; negatives at 0.7, 0.4, 0.3, 0.1: positive-over-negative
    // pairs 4 + 4 + 3 + 1 = 12 of 16, AUC 0.75.
    r.heldOut = ([0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1], [1, 1, 0, 1, 0, 0, 1, 0], "test rows")
    r.scores = [0.9, 0.8, 0.5, 0.3, 0.1]
    r.bands = (red: 0.8, yellow: 0.4)
    r.drift = [("contract", 0.274653), ("tenure", 0.15), ("x", 0.01)]
    r.ranked = [RiskRow(id: "A", probability: 0.82, band: "red", reasons: ["contract is Month-to-month (+9.1 pts)", "tenure = 2 (+3.1 pts)"],
                        revenueAtRisk: 246, segment: "high_value"),
                RiskRow(id: "B<1>", probability: 0.5, band: "yellow"),
                RiskRow(id: "C", probability: 0.3, band: "green", revenueAtRisk: .nan, segment: "potential")]
    r.attribution = Attribution().grouped([("count_complaint_30d", 0.6), ("contract", 0.4)]).map { ($0.category, $0.share, $0.columns.map(\.column)) }
    return r
  }

  @Test("Band counts and shares, drift rows, the ranked list, attribution shares and the AUC are the inputs'")
  func numbers() throws {
    let html = try Self.report().html()
    func row(_ cells: [String], text: Set<Int> = [0]) -> String {
      "<tr>" + cells.enumerated().map { text.contains($0) ? "<td>\($1)</td>" : "<td class=\"n\">\($1)</td>" }.joined() + "</tr>"
    }
    // 0.9 and 0.8 are red (≥ 0.8), 0.5 yellow (≥ 0.4), 0.3 and 0.1 green.
    #expect(html.contains(row(["red", "2", "40.0%", "≥ 80.00%"])))
    #expect(html.contains(row(["yellow", "1", "20.0%", "≥ 40.00%"])))
    #expect(html.contains(row(["green", "2", "40.0%", "below"])))
    #expect(html.contains("<p>5 customers scored .</p>"))
    #expect(html.contains("1 column(s) above 0.2."))
    #expect(html.contains(row(["contract", "0.275", "shifted"], text: [0, 2])))
    #expect(html.contains(row(["tenure", "0.150", "watch"], text: [0, 2])))
    #expect(html.contains(row(["x", "0.010", "stable"], text: [0, 2])))
    #expect(html.contains(row(["1", "A", "82.0%", "red", "contract is Month-to-month (+9.1 pts); tenure = 2 (+3.1 pts)", "246.00", "high_value"],
                              text: [1, 3, 4, 6])))
    #expect(html.contains(row(["2", "B&lt;1&gt;", "50.0%", "yellow", "", "", ""], text: [1, 3, 4, 6])))
    // Unknown revenue (NaN) is an empty cell, as in the CSV.
    #expect(html.contains(row(["3", "C", "30.0%", "green", "", "", "potential"], text: [1, 3, 4, 6])))
    #expect(html.contains(row(["service", "0.60", "count_complaint_30d"], text: [0, 2])))
    #expect(html.contains(row(["commercial", "0.40", "contract"], text: [0, 2])))
    #expect(html.contains("<p>AUC 0.7500: the chance that a churner is ranked above a customer who stayed.</p>"))
  }

  @Test("A score that is not a number is an error naming it, not a crash")
  func nonFinite() throws {
    var r = Self.report()
    r.scores[2] = .nan
    #expect(performing: { try r.html() }, throws: {
      "\($0)" == "score 3 of the report is nan; expected a number from 0 to 1; fix: check the scored customers' input values for huge numbers"
    })
    r = Self.report()
    r.ranked[1].probability = -.infinity
    #expect(performing: { try r.html() }, throws: {
      "\($0)" == "customer \"B<1>\": churn probability -inf cannot be written; expected a number from 0 to 1; fix: check this customer's input values for huge numbers"
    })
  }
}
