import ChurnCore
import ChurnScoring
import ChurnTestSupport
import Foundation
import Testing

/// A list small enough to check by hand: five customers, last week's list with a band move
/// each way, a new customer and one who left.
@Suite("The ranked list, checked by hand")
struct RankedListTests {
  static let rows = [
    RiskRow(id: "D", probability: 0.20, band: "green", reasons: ["tenure = 2 (+3.1 pts)"], revenueAtRisk: 12.5, segment: "potential"),
    RiskRow(id: "C", probability: 0.55, band: "yellow", reasons: [], revenueAtRisk: nil, segment: nil),
    RiskRow(id: "A", probability: 0.82, band: "red", reasons: ["contract is Month-to-month (+9.1 pts)", "plan is \"pro, annual\" (+1.0 pts)"],
            revenueAtRisk: 246, segment: "high_value"),
    RiskRow(id: "E", probability: 0.05, band: "green", reasons: [], revenueAtRisk: .nan, segment: "needs_attention"),
    RiskRow(id: "B", probability: 0.55, band: "yellow", reasons: ["x = 1 (+0.5 pts)"], revenueAtRisk: 0, segment: "potential"),
  ]
  static let previous: [String: (probability: Double, band: String?)] = [
    "A": (0.40, "yellow"), "B": (0.55, "yellow"), "D": (0.35, "yellow"), "E": (0.05, "green"), "Z": (0.7, "red"),
  ]

  @Test("The terminal table: a row's fired rules on a warnings line, \"(band from the rules)\" only where a rule raised the band, and its owner")
  func warningsLine() {
    var raised = RiskRow(id: "A", probability: 0.01, band: "red", reasons: ["complaints in last 90 days = 3 (+0.4 pts)"])
    (raised.warnings, raised.bandSource, raised.owner) = (["two or more complaints", "no login for 3 weeks"], "rules", "Maria Keller")
    var both = RiskRow(id: "B", probability: 0.60, band: "red")
    (both.warnings, both.bandSource) = (["two or more complaints"], "both")
    var quiet = RiskRow(id: "C", probability: 0.30, band: "yellow")
    (quiet.warnings, quiet.bandSource) = ([], "model")
    var list = RankedList([raised, both, quiet])
    list.showsWarnings = true
    list.showsOwners = true
    #expect(list.text(top: 3, idHeader: "customer_id").split(separator: "\n").map(String.init) == [
      "rank  customer_id     churn   band    revenue at risk  segment",
      "1     B                60.0%  red                      ",
      "        owner: (none)",
      "        warnings: two or more complaints",
      "2     C                30.0%  yellow                   ",
      "        owner: (none)",
      "3     A                 1.0%  red                      ",
      "        owner: Maria Keller",
      "        warnings: two or more complaints; no login for 3 weeks (band from the rules)",
      "        - complaints in last 90 days = 3 (+0.4 pts)",
    ])
  }

  @Test("Order and percentiles of 3,000 rows with many ties equal a plain sort and a binary search for the lower ones")
  func manyTies() {
    var rng = SeededGenerator(seed: 4, stream: 0)
    let rows = (0..<3_000).map { i in RiskRow(id: "c\((i * 7919) % 3_000)", probability: (rng.uniform() * 50).rounded() / 50) }
    let list = RankedList(rows)
    let expected = rows.sorted { $0.probability != $1.probability ? $0.probability > $1.probability : $0.id < $1.id }
    #expect(list.rows.map(\.id) == expected.map(\.id))
    let ascending = expected.map(\.probability).reversed().map { $0 }
    let lower = expected.map { row in Double(ascending.count(where: { $0 < row.probability })) }
    #expect(list.percentiles == lower.map { 100 * $0 / 3_000 })
  }

  @Test("Order (ties by id), percentiles (share of customers with a lower probability), movers with band moves, the vanished")
  func handChecked() throws {
    var list = RankedList(Self.rows)
    #expect(list.rows.map(\.id) == ["A", "B", "C", "D", "E"])
    // Below A: 4 of 5 customers; below B and C (tied): D and E; below D: E; below E: none.
    #expect(list.percentiles == [80, 40, 40, 20, 0])
    list.compare(previous: Self.previous)
    #expect(list.rows.map(\.change) == ["+42.0 pts (yellow→red)", "0.0 pts", "new", "-15.0 pts (yellow→green)", "0.0 pts"])
    #expect(list.vanished.map(\.id) == ["Z"] && list.vanished[0].probability == 0.7 && list.vanished[0].band == "red")

    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try list.write(to: dir.file("list.csv"), idHeader: "customer_id")
    #expect(try String(contentsOfFile: dir.file("list.csv"), encoding: .utf8) == """
      rank,customer_id,churn_probability,percentile,risk_band,reason_1,reason_2,reason_3,expected_revenue_at_risk,segment,change
      1,A,0.820000,80.0,red,contract is Month-to-month (+9.1 pts),"plan is ""pro, annual"" (+1.0 pts)",,246.00,high_value,+42.0 pts (yellow→red)
      2,B,0.550000,40.0,yellow,x = 1 (+0.5 pts),,,0.00,potential,0.0 pts
      3,C,0.550000,40.0,yellow,,,,,,new
      4,D,0.200000,20.0,green,tenure = 2 (+3.1 pts),,,12.50,potential,-15.0 pts (yellow→green)
      5,E,0.050000,0.0,green,,,,,needs_attention,0.0 pts
      ,Z,,,,,,,,,"vanished (was 0.700000, red)"

      """)
    try list.write(to: dir.file("top.csv"), idHeader: "id", top: 2)
    #expect(try String(contentsOfFile: dir.file("top.csv"), encoding: .utf8).split(separator: "\n").count == 1 + 2 + 1)

    try list.writeJSON(to: dir.file("list.json"), top: 3)
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("list.json")))) as! [[String: Any]]
    #expect(json.count == 4)
    #expect(json[0]["id"] as? String == "A" && json[0]["rank"] as? Int == 1 && json[0]["churn_probability"] as? Double == 0.82)
    #expect(json[0]["percentile"] as? Double == 80 && json[0]["expected_revenue_at_risk"] as? Double == 246)
    #expect(json[0]["change"] as? String == "+42.0 pts (yellow→red)")
    #expect(json[2]["change"] as? String == "new" && json[2]["reasons"] as? [String] == [])
    #expect(json[3]["id"] as? String == "Z" && json[3]["rank"] == nil && json[3]["change"] as? String == "vanished (was 0.700000, red)")

    let text = list.text(top: 2, idHeader: "customer_id").split(separator: "\n").map(String.init)
    #expect(text == [
      "rank  customer_id     churn   band    revenue at risk  segment",
      "1     A                82.0%  red              246.00  high_value",
      "        change: +42.0 pts (yellow→red)",
      "        - contract is Month-to-month (+9.1 pts)",
      "        - plan is \"pro, annual\" (+1.0 pts)",
      "2     B                55.0%  yellow             0.00  potential",
      "        change: 0.0 pts",
      "        - x = 1 (+0.5 pts)",
    ])
  }

  @Test("Against an empty previous list every customer is new; a customer without a band has no band move")
  func allNew() {
    var list = RankedList([RiskRow(id: "a", probability: 0.3), RiskRow(id: "b", probability: 0.6, band: "red")])
    list.compare(previous: [:])
    #expect(list.rows.map(\.change) == ["new", "new"] && list.vanished.isEmpty)
    list.compare(previous: ["a": (0.1, "green"), "b": (0.6, nil)])
    #expect(list.rows.map(\.change) == ["0.0 pts", "+20.0 pts"])
  }

  @Test("A change that rounds to 0.0 points reads \"0.0 pts\", never +0.0 or -0.0; the sign shows from 0.1 points on")
  func unchanged() {
    let now = [RiskRow(id: "a", probability: 0.5004, band: "red"), RiskRow(id: "b", probability: 0.4996, band: "yellow"),
               RiskRow(id: "c", probability: 0.3006), RiskRow(id: "d", probability: 0.2994), RiskRow(id: "e", probability: 0.1, band: "red"),
               RiskRow(id: "f", probability: 0.05)]
    var list = RankedList(now)
    list.compare(previous: ["a": (0.5, "red"), "b": (0.5, "yellow"), "c": (0.3, nil), "d": (0.3, nil), "e": (0.1, "yellow"), "f": (0.0500000001, nil)])
    #expect(list.rows.map(\.change) == ["0.0 pts", "0.0 pts", "+0.1 pts", "-0.1 pts", "0.0 pts (yellow→red)", "0.0 pts"])
  }
}

extension RankedListTests {
  @Test("A probability that is not a number is an error naming the customer; nothing is written")
  func nonFinite() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let list = RankedList([RiskRow(id: "a", probability: 0.3), RiskRow(id: "b", probability: .nan)])
    let message = "customer \"b\": churn probability nan cannot be written; expected a number from 0 to 1; fix: check this customer's input values for huge numbers"
    #expect(performing: { try list.write(to: dir.file("l.csv"), idHeader: "id") }, throws: { "\($0)" == message })
    #expect(performing: { try list.writeJSON(to: dir.file("l.json")) }, throws: { "\($0)" == message })
    #expect(dir.contents().isEmpty)
  }
}
