import ChurnCore
import ChurnScoring
import ChurnTestSupport
import Foundation
import Testing

/// Value ranking and the economics of a contact on a list small enough to check by hand.
@Suite("Who is worth a call: value ranking, net value of a contact, the cut")
struct ContactValueTests {
  /// Values at stake 246 (three customers, two tied on probability too), 100, 12.5, 0, and two unknown.
  static let rows = [
    RiskRow(id: "D", probability: 0.20, band: "green", revenueAtRisk: 12.5),
    RiskRow(id: "C", probability: 0.55, band: "yellow", revenueAtRisk: nil),
    RiskRow(id: "H", probability: 0.30, band: "yellow", revenueAtRisk: 246),
    RiskRow(id: "A", probability: 0.82, band: "red", reasons: ["tenure = 2 (+3.1 pts)"], revenueAtRisk: 246),
    RiskRow(id: "E", probability: 0.05, band: "green", revenueAtRisk: .nan),
    RiskRow(id: "G", probability: 0.90, band: "red", revenueAtRisk: 100),
    RiskRow(id: "B", probability: 0.55, band: "yellow", revenueAtRisk: 0),
    RiskRow(id: "F", probability: 0.30, band: "yellow", revenueAtRisk: 246),
  ]

  @Test("Ranked by value: value at stake, then probability, then id; unknown values last; percentiles of the ranks below with another key")
  func valueOrder() {
    let list = RankedList(Self.rows, order: .value)
    #expect(list.rows.map(\.id) == ["A", "F", "H", "G", "D", "B", "C", "E"])
    // F and H share value and probability: both have the 5 customers below them.
    #expect(list.percentiles == [87.5, 62.5, 62.5, 50, 37.5, 25, 12.5, 0])
    let risk = RankedList(Self.rows)
    #expect(risk.order == .risk && risk.rows.map(\.id) == ["G", "A", "B", "C", "F", "H", "D", "E"])
    #expect(RankedList.order(of: Self.rows, by: .value).map { Self.rows[$0].id } == list.rows.map(\.id))
  }

  @Test("Net value = S × value at stake − C per row; the cut calls while it is positive; totals and the summary line")
  func cut() throws {
    let economics = try ContactEconomics(cost: 20, saveRate: 0.25)
    #expect(economics.breakEven == 80 && economics.formula == "25% × value at stake − 20.00")
    var list = RankedList(Self.rows)
    list.price(economics)
    #expect(list.showsNetValue)
    let net = Dictionary(uniqueKeysWithValues: list.rows.map { ($0.id, $0.netValueOfContact) })
    #expect(net == ["A": 41.5, "F": 41.5, "H": 41.5, "G": 5, "D": -16.875, "B": -20, "C": nil, "E": nil])
    let cut = list.contactCut(economics)
    #expect(cut.calls.map(\.id) == ["A", "F", "H", "G"])
    #expect(cut.customers == 8 && cut.unknownValue == 2)
    #expect(cut.valueSaved == 209.5 && cut.cost == 80 && cut.netValue == 129.5)
    #expect(cut.summary == "4 of 8 customers worth a call (25% × value at stake − 20.00 > 0): expected net value 129.50, cost 80.00, "
      + "value saved 209.50; 2 without a revenue value not counted")
    // At the break-even exactly a contact does not pay; with no cost every known positive value does.
    #expect(ContactCut([RiskRow(id: "x", probability: 0.5, revenueAtRisk: 80)], economics: economics).calls.isEmpty)
    let free = try ContactEconomics(cost: 0, saveRate: 1)
    #expect(ContactCut(Self.rows, economics: free).calls.map(\.id) == ["A", "F", "H", "G", "D"])
  }

  @Test("The list's CSV, JSON and text carry expected_net_value_of_contact after change")
  func written() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var list = RankedList(Self.rows, order: .value)
    list.price(try ContactEconomics(cost: 20, saveRate: 0.25))
    try list.write(to: dir.file("list.csv"), idHeader: "id", top: 6)
    #expect(try String(contentsOfFile: dir.file("list.csv"), encoding: .utf8) == """
      rank,id,churn_probability,percentile,risk_band,reason_1,reason_2,reason_3,expected_revenue_at_risk,segment,change,expected_net_value_of_contact
      1,A,0.820000,87.5,red,tenure = 2 (+3.1 pts),,,246.00,,,41.50
      2,F,0.300000,62.5,yellow,,,,246.00,,,41.50
      3,H,0.300000,62.5,yellow,,,,246.00,,,41.50
      4,G,0.900000,50.0,red,,,,100.00,,,5.00
      5,D,0.200000,37.5,green,,,,12.50,,,-16.88
      6,B,0.550000,25.0,yellow,,,,0.00,,,-20.00

      """)
    try list.writeJSON(to: dir.file("list.json"))
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("list.json")))) as! [[String: Any]]
    #expect(json.map { $0["expected_net_value_of_contact"] as? Double } == [41.5, 41.5, 41.5, 5, -16.875, -20, nil, nil])
    #expect(list.text(top: 5, idHeader: "id").split(separator: "\n").map(String.init) == [
      "rank  id              churn   band    revenue at risk  net value of a call  segment",
      "1     A                82.0%  red              246.00               +41.50  ",
      "        - tenure = 2 (+3.1 pts)",
      "2     F                30.0%  yellow           246.00               +41.50  ",
      "3     H                30.0%  yellow           246.00               +41.50  ",
      "4     G                90.0%  red              100.00                +5.00  ",
      "5     D                20.0%  green             12.50               -16.88  ",
    ])
  }

  @Test("Parts of a list ranked by value, written and read back, merge into the whole list: order, percentiles, net values")
  func partsMerge() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let economics = try ContactEconomics(cost: 20, saveRate: 0.25)
    var whole = RankedList(Self.rows, order: .value)
    whole.price(economics)
    var parts: [PartialList] = []
    for (k, ids) in [["A", "C", "H", "D"], ["B", "E", "F", "G"]].enumerated() {
      var part = RankedList(Self.rows.filter { ids.contains($0.id) }, order: .value)
      part.price(economics)
      try part.write(to: dir.file("p\(k).csv"), idHeader: "id", partial: true)
      parts.append(try PartialList(path: dir.file("p\(k).csv")))
    }
    #expect(parts.allSatisfy { $0.order == .value && $0.showsNetValue && $0.header[0] == "part_rank_by_value" })
    let merged = try RankedList.merge(parts)
    #expect(merged.order == .value && merged.showsNetValue)
    // E's unknown revenue is NaN in the whole list and blank (nil) in its part: the same to the list.
    #expect(merged.rows.map(\.id) == whole.rows.map(\.id) && merged.percentiles == whole.percentiles)
    #expect(merged.rows.map(\.netValueOfContact) == whole.rows.map(\.netValueOfContact))
    #expect(merged.rows.map(\.valueAtStake) == whole.rows.map(\.valueAtStake))
    // A part ranked by risk does not merge with parts ranked by value.
    var risk = RankedList(Self.rows.filter { $0.id == "A" })
    risk.price(economics)
    try risk.write(to: dir.file("r.csv"), idHeader: "id", partial: true)
    #expect(performing: { try RankedList.merge([parts[0], try PartialList(path: dir.file("r.csv"))]) }, throws: {
      "\($0)" == "\(dir.file("r.csv")): column 1 is \"part_rank\" where \(dir.file("p0.csv")) has \"part_rank_by_value\"; "
        + "expected parts of one list, scored with the same model and options; fix: score every part the same way"
    })
  }

  @Test("Contact economics out of range are errors naming the flag and the value")
  func errors() {
    func message(_ cost: Double, _ rate: Double) -> String? {
      do { _ = try ContactEconomics(cost: cost, saveRate: rate); return nil } catch { return "\(error)" }
    }
    let cost = ": expected the cost of one retention contact, a number of 0 or more; fix: give a cost such as 25"
    let rate = ": expected the share of contacted churners a contact keeps, more than 0 and at most 1; fix: give a share such as 0.3"
    #expect(message(-1, 0.3) == "--contact-cost -1" + cost)
    #expect(message(.nan, 0.3) == "--contact-cost nan" + cost)
    #expect(message(.infinity, 0.3) == "--contact-cost inf" + cost)
    #expect(message(5, 0) == "--save-rate 0" + rate)
    #expect(message(5, 1.5) == "--save-rate 1.5" + rate)
    #expect(message(5, .nan) == "--save-rate nan" + rate)
    #expect(message(0, 1) == nil && message(-0.0, 0.01) == nil)
    #expect("\(ContactEconomicsError.needsRevenue(flag: "--rank-by value"))" == "--rank-by value needs a value at stake per customer; "
      + "expected --revenue-column COLUMN (monthly revenue, for subscriptions) or --lifetime-value btyd (value at risk from the event log's purchases, "
      + "for purchase data); fix: give one of them, or drop --rank-by value")
  }
}
