import ChurnCore
import ChurnScoring
import ChurnTestSupport
import Foundation
import Testing

/// The health score's arithmetic, with numbers worked out by hand.
@Suite("Health by dimension: the mapping and the rounding")
struct HealthTests {
  @Test("Largest remainders: hand-worked cases, each adding up to its total")
  func apportionByHand() {
    // Rounded -6 - 3 + 1 = -8, one above -9: -3.45 is the furthest below its integer.
    #expect(HealthDimensions.apportion([-6.4, -3.45, 1.3], total: -9) == [-6, -4, 1])
    // Rounded 2 + 2 = 4, one short of 5: 2.4 has the larger remainder.
    #expect(HealthDimensions.apportion([2.3, 2.4], total: 5) == [2, 3])
    // Equal remainders: the earlier value moves.
    #expect(HealthDimensions.apportion([-12.3, -12.3], total: -25) == [-13, -12])
    #expect(HealthDimensions.apportion([0.5, -0.5], total: 0) == [1, -1])
    // Two points short over two values: each takes one.
    #expect(HealthDimensions.apportion([0.4, 0.4, 0.2], total: 2) == [1, 1, 0])
    #expect(HealthDimensions.apportion([7.0], total: 7) == [7])
    #expect(HealthDimensions.apportion([], total: 0) == [])
  }

  @Test("Over 2,000 seeded cases the points add up to the total and stay within 1.5 of their values", arguments: 0..<4)
  func apportionAddsUp(stream: UInt64) {
    var rng = SeededGenerator(seed: 18, stream: stream)
    for _ in 0..<500 {
      let k = 1 + Int(rng.uniform() * 7)
      let probability = rng.uniform(), base = rng.uniform()
      // Contributions that add up to probability − base, as the model's do.
      var shares = (0..<k).map { _ in rng.uniform() - 0.3 }
      let total = shares.reduce(0, +)
      shares = shares.map { $0 / (abs(total) < 1e-9 ? 1 : total) * (probability - base) }
      let values = shares.map { -100 * $0 }
      let target = Int((100 * (1 - probability)).rounded()) - Int((100 * (1 - base)).rounded())
      let points = HealthDimensions.apportion(values, total: target)
      #expect(points.reduce(0, +) == target, "\(values) → \(points), total \(target)")
      #expect(zip(points, values).allSatisfy { abs(Double($0) - $1) <= 1.5 }, "\(values) → \(points)")
    }
  }

  @Test("A customer worked by hand: health 65 = baseline 90 − 13 service − 12 engagement")
  func handWorked() {
    let dimensions = HealthDimensions(columns: ["count_complaint_90d", "logins_30d"])
    #expect(dimensions.names == ["service", "engagement"] && dimensions.dimensionOfColumn == [0, 1])
    // p = 0.35, base 0.104: health 65, baseline round(89.6) = 90; each column adds 0.123 to the
    // probability, -12.3 health points; rounded -12 - 12 = -24, one above 65 - 90 = -25, and
    // the tie goes to the first dimension.
    let health = dimensions.health(probability: 0.35, base: 0.104, columnContributions: [0.123, 0.123])
    #expect(health.score == 65 && health.baseline == 90)
    #expect(health.dimensions.map(\.points) == [-13, -12])
    #expect(health.dimensions.map(\.name) == ["service", "engagement"])
    #expect(abs(health.exactScore - 65) < 1e-12 && abs(health.exactBaseline - 89.6) < 1e-12)
    #expect(health.dimensions.allSatisfy { abs($0.exact - -12.3) < 1e-12 })
    #expect(health.text == "65 = baseline 90, service -13, engagement -12")
    #expect(health.points("service") == -13 && health.points("finance") == nil)

    // A customer safer than the average: positive points, and 0 never printed as -0.
    let safe = dimensions.health(probability: 0.02, base: 0.104, columnContributions: [-0.05, -0.034])
    #expect(safe.score == 98 && safe.dimensions.map(\.points) == [5, 3] && safe.text == "98 = baseline 90, service +5, engagement +3")
    let average = dimensions.health(probability: 0.104, base: 0.104, columnContributions: [0, 0])
    #expect(average.text == "90 = baseline 90, service 0, engagement 0")
    #expect(average.dimensions.allSatisfy { $0.exact == 0 && $0.exact.sign == .plus })
  }

  @Test("Dimensions come from the weights' rules: in the rules' order, the fallback last, only those with a column")
  func dimensionsFromRules() throws {
    let columns = ["tenure_days", "region", "count_complaint_90d", "plan", "days_since_last_payment", "count_login_30d", "industry"]
    let dimensions = HealthDimensions(columns: columns)
    #expect(dimensions.names == ["service", "finance", "commercial", "engagement", "account"])
    #expect(dimensions.dimensionOfColumn.map { dimensions.names[$0] } == columns.map(Attribution().category(of:)))
    #expect(dimensions.dimensionOfColumn.map { dimensions.names[$0] }
      == ["engagement", "account", "service", "commercial", "finance", "engagement", "account"])

    // The user's rules (as --groups reads them): their categories, in their order.
    let rules = try Attribution.rules(csv: "pattern,category\nlogin,usage\nplan,pricing\ncomplaint,usage\n")
    let own = HealthDimensions(columns: columns, attribution: Attribution(rules: rules))
    #expect(own.names == ["usage", "pricing", "account"])
    #expect(own.dimensionOfColumn == [2, 2, 0, 1, 2, 0, 2])
  }

  @Test("The ranked list's health columns: after every other column, integers, blank for the vanished")
  func listColumns() throws {
    let dimensions = HealthDimensions(columns: ["count_complaint_90d", "logins_30d"])
    var a = RiskRow(id: "A", probability: 0.35, band: "red")
    a.health = dimensions.health(probability: 0.35, base: 0.104, columnContributions: [0.123, 0.123])
    var b = RiskRow(id: "B", probability: 0.02, band: "green")
    b.health = dimensions.health(probability: 0.02, base: 0.104, columnContributions: [-0.05, -0.034])
    var list = RankedList([a, b])
    list.healthDimensions = dimensions.names
    list.compare(previous: ["Z": (0.5, "red")])
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try list.write(to: dir.file("list.csv"), idHeader: "customer_id")
    #expect(try String(contentsOfFile: dir.file("list.csv"), encoding: .utf8) == """
      rank,customer_id,churn_probability,percentile,risk_band,reason_1,reason_2,reason_3,expected_revenue_at_risk,segment,change,health,health_baseline,health_service,health_engagement
      1,A,0.350000,50.0,red,,,,,,new,65,90,-13,-12
      2,B,0.020000,0.0,green,,,,,,new,98,90,5,3
      ,Z,,,,,,,,,"vanished (was 0.500000, red)",,,,

      """)
    list.showsWarnings = true
    try list.write(to: dir.file("rules.csv"), idHeader: "customer_id")
    #expect(try String(contentsOfFile: dir.file("rules.csv"), encoding: .utf8).split(separator: "\n")[0]
      == "rank,customer_id,churn_probability,percentile,risk_band,reason_1,reason_2,reason_3,expected_revenue_at_risk,segment,change,warnings,band_from,"
      + "health,health_baseline,health_service,health_engagement")

    try list.writeJSON(to: dir.file("list.json"))
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("list.json")))) as! [[String: Any]]
    #expect(json[0]["health"] as? Int == 65 && json[0]["health_baseline"] as? Int == 90)
    #expect(json[0]["health_by_dimension"] as? [String: Int] == ["service": -13, "engagement": -12])
    #expect(json[2]["health"] == nil && json[2]["health_by_dimension"] == nil)

    #expect(list.text(top: 1, idHeader: "customer_id").split(separator: "\n").map(String.init) == [
      "rank  customer_id     churn   band    revenue at risk  segment",
      "1     A                35.0%  red                      ",
      "        change: new",
      "        health: 65 = baseline 90, service -13, engagement -12",
    ])
  }
}
