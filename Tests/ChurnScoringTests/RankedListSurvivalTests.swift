import ChurnCore
@testable import ChurnScoring
import ChurnTestSupport
import Foundation
import Testing

/// A survival model's columns on the ranked list, and parts of such a list merged byte for byte.
@Suite("Ranked list: survival columns")
struct RankedListSurvivalTests {
  /// Rows with random non-increasing curves of 3 periods (some staying above ½), with health.
  static func rows(_ n: Int, seed: UInt64) -> [RiskRow] {
    var generator = SeededGenerator(seed: seed)
    return (0..<n).map { k in
      var s = 1.0
      let curve = (0..<3).map { _ in
        s *= 1 - Double(generator.next() % 1000) / 1500
        return s
      }
      var row = RiskRow(id: "C\((k * 7919) % 1000)", probability: 1 - curve[0], band: "green", reasons: ["reason \(k)"], segment: "s")
      // Every fifth customer without a revenue value: blank lifetime value and value at risk.
      row.setSurvival(SurvivalCurve(survival: curve), revenuePerPeriod: k % 5 == 0 ? nil : Double(generator.next() % 100_000) / 7, discount: try! PeriodDiscount(0.97))
      row.health = CustomerHealth(score: 70, exactScore: 70, baseline: 80, exactBaseline: 80, dimensions: [.init(name: "service", points: -10, exact: -10)])
      return row
    }
  }

  @Test("Columns after health: S(1) … S(K), the expected periods (Σ S) and the median (blank above ½)")
  func columns() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var row = RiskRow(id: "a", probability: 0.1)
    row.survival = SurvivalCurve(survival: [0.9, 0.5, 0.25])
    var other = RiskRow(id: "b", probability: 0.05)
    other.survival = SurvivalCurve(survival: [0.95, 0.9, 0.85])
    var list = RankedList([row, other])
    list.survivalPeriods = 3
    try list.write(to: dir.file("list.csv"), idHeader: "customer_id")
    let lines = try String(contentsOfFile: dir.file("list.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
    #expect(lines[0].hasSuffix(",change,survival_1,survival_2,survival_3,expected_periods_remaining,median_periods_to_churn"))
    #expect(lines[1].hasSuffix(",0.900000,0.500000,0.250000,1.650000,2"))
    #expect(lines[2].hasSuffix(",0.950000,0.900000,0.850000,2.700000,"))
    // JSON: the curve as an array, the expected periods, and the median only where S reaches ½.
    try list.writeJSON(to: dir.file("list.json"))
    let entries = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("list.json")))) as? [[String: Any]])
    #expect(entries[0]["survival"] as? [Double] == [0.9, 0.5, 0.25])
    #expect(entries[0]["expected_periods_remaining"] as? Double == 1.65)
    #expect(entries[0]["median_periods_to_churn"] as? Int == 2)
    #expect(entries[1]["median_periods_to_churn"] == nil)
  }

  @Test("Parts with survival columns (and lifetime value, value at risk) merge into the list of all rows, byte for byte, by risk or by value",
        arguments: [(false, RankOrder.risk), (true, .risk), (true, .value)])
  func merge(lifetime: Bool, order: RankOrder) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var rows = Self.rows(300, seed: 11)
    if !lifetime { for k in rows.indices { (rows[k].lifetimeValue, rows[k].valueAtRisk) = (nil, nil) } }
    // Last week's list: one customer still here, one vanished (its line keeps every column).
    let previous: [String: (probability: Double, band: String?)] = [rows[0].id: (0.5, "red"), "gone": (0.25, nil)]
    var whole = RankedList(rows, order: order)
    (whole.survivalPeriods, whole.healthDimensions, whole.showsLifetimeValue) = (3, ["service"], lifetime)
    whole.compare(previous: previous)
    try whole.write(to: dir.file("whole.csv"), idHeader: "customer_id")
    var parts: [PartialList] = []
    for p in 0..<3 {
      var part = RankedList(rows.enumerated().filter { $0.offset % 3 == p }.map(\.element), order: order)
      (part.survivalPeriods, part.healthDimensions, part.showsLifetimeValue) = (3, ["service"], lifetime)
      try part.write(to: dir.file("part\(p).csv"), idHeader: "customer_id", partial: true)
      parts.append(try PartialList(path: dir.file("part\(p).csv")))
    }
    #expect(parts.allSatisfy { $0.survivalPeriods == 3 && $0.healthDimensions == ["service"] && $0.showsLifetimeValue == lifetime && $0.order == order })
    let merged = try RankedList.merge(parts, previous: previous)
    try merged.write(to: dir.file("merged.csv"), idHeader: "customer_id")
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("merged.csv"))) == Data(contentsOf: URL(fileURLWithPath: dir.file("whole.csv"))))
    let (wholeHeader, wholeRows, _) = try csvRecords(dir.file("whole.csv"))
    #expect(wholeRows.count == 301 && wholeRows.allSatisfy { $0.count == wholeHeader.count } && wholeRows.last?[1] == "gone")
    #expect(merged.rows.map(\.survival) == whole.rows.map(\.survival))
    #expect(merged.rows.map(\.lifetimeValue) == whole.rows.map(\.lifetimeValue) && merged.rows.map(\.valueAtRisk) == whole.rows.map(\.valueAtRisk))
    let header = try #require(String(contentsOfFile: dir.file("whole.csv"), encoding: .utf8).split(separator: "\n").first)
    #expect(header.hasSuffix(lifetime ? ",median_periods_to_churn,lifetime_value,value_at_risk" : ",median_periods_to_churn"))
    if lifetime {
      #expect(whole.rows.contains { $0.valueAtRisk == nil } && whole.rows.contains { $0.valueAtRisk != nil })
      if order == .value {
        // By value at risk, highest first; customers without one last.
        let values = whole.rows.map { $0.valueAtRisk ?? -1 }
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 >= $1 })
      }
    }
  }

  @Test("Lifetime value and value at risk of a hand-made curve, summed by hand; the value at stake becomes the value at risk")
  func lifetimeValue() throws {
    let curve = SurvivalCurve(survival: [0.9, 0.6, 0.3])
    // r = 100, δ = 0.9: δ^k = 0.9, 0.81, 0.729.
    // lifetime value = 0.9·100·0.9 + 0.6·100·0.81 + 0.3·100·0.729 = 81 + 48.6 + 21.87 = 151.47
    // value at risk  = 0.1·100·0.9 + 0.4·100·0.81 + 0.7·100·0.729 = 9 + 32.4 + 51.03 = 92.43
    #expect(abs(curve.lifetimeValue(revenuePerPeriod: 100, discount: 0.9) - 151.47) < 1e-12)
    #expect(abs(curve.valueAtRisk(revenuePerPeriod: 100, discount: 0.9) - 92.43) < 1e-12)
    // No discount: 100 × (0.9 + 0.6 + 0.3) = 180 and 100 × (0.1 + 0.4 + 0.7) = 120.
    #expect(abs(curve.lifetimeValue(revenuePerPeriod: 100) - 180) < 1e-12)
    #expect(abs(curve.valueAtRisk(revenuePerPeriod: 100) - 120) < 1e-12)

    var row = RiskRow(id: "a", probability: 0.1, revenueAtRisk: 10)
    #expect(row.valueAtStake == 10)
    row.setSurvival(curve, revenuePerPeriod: 100, discount: try PeriodDiscount(0.9))
    #expect(abs(row.lifetimeValue! - 151.47) < 1e-12 && abs(row.valueAtRisk! - 92.43) < 1e-12)
    #expect(row.valueAtStake == row.valueAtRisk)
    // No revenue value: no lifetime value, and the value at stake stays unknown.
    var blank = RiskRow(id: "b", probability: 0.2, revenueAtRisk: .nan)
    blank.setSurvival(curve, revenuePerPeriod: .nan)
    #expect(blank.lifetimeValue == nil && blank.valueAtRisk == nil && blank.valueAtStake == nil)

    // Written after the survival columns, 2 decimals, blank without revenue; in JSON and the terminal text.
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var list = RankedList([row, blank])
    (list.survivalPeriods, list.showsLifetimeValue) = (3, true)
    try list.write(to: dir.file("list.csv"), idHeader: "customer_id")
    let lines = try String(contentsOfFile: dir.file("list.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
    #expect(lines[0].hasSuffix(",expected_periods_remaining,median_periods_to_churn,lifetime_value,value_at_risk"))
    #expect(lines[1] == "1,b,0.200000,50.0,,,,,,,,0.900000,0.600000,0.300000,1.800000,3,,")
    #expect(lines[2] == "2,a,0.100000,0.0,,,,,10.00,,,0.900000,0.600000,0.300000,1.800000,3,151.47,92.43")
    try list.writeJSON(to: dir.file("list.json"))
    let entries = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("list.json")))) as? [[String: Any]])
    #expect(entries[0]["lifetime_value"] == nil && entries[0]["value_at_risk"] == nil)
    #expect(abs((entries[1]["lifetime_value"] as? Double ?? 0) - 151.47) < 1e-12 && abs((entries[1]["value_at_risk"] as? Double ?? 0) - 92.43) < 1e-12)
    #expect(list.text(top: 2, idHeader: "customer_id").hasSuffix("\n        lifetime value: 151.47; value at risk: 92.43"))
    // A list without the flag: no new columns.
    list.showsLifetimeValue = false
    try list.write(to: dir.file("plain.csv"), idHeader: "customer_id")
    #expect(try String(contentsOfFile: dir.file("plain.csv"), encoding: .utf8).split(separator: "\n")[0].hasSuffix(",median_periods_to_churn"))
  }

  @Test("--discount: a monthly rate in 0...10, δ = (1 + d)^−months per period; a factor in (0, 1]; each error pinned")
  func discount() throws {
    #expect(try PeriodDiscount(1).factor == 1 && PeriodDiscount(0.97).factor == 0.97 && PeriodDiscount.none.factor == 1)
    for bad in [0, -0.5, 1.5, .infinity] {
      #expect(throws: PeriodDiscountError.outOfRange(bad)) { try PeriodDiscount(bad) }
    }
    #expect(throws: PeriodDiscountError.self) { try PeriodDiscount(.nan) }
    #expect("\(PeriodDiscountError.outOfRange(1.5))" == "per-period discount factor 1.5: expected more than 0 and at most 1 (1 = no discount)")
    // The monthly rate: 1% a month over a 3-month period is 1.01⁻³; none is factor 1 for any period.
    let threeMonths = try DiscountRate(monthly: 0.01).perPeriod(months: 3).factor
    #expect(threeMonths == pow(1.01, -3) && abs(threeMonths - 1 / (1.01 * 1.01 * 1.01)) < 1e-15)
    let (zero, ten) = (try DiscountRate(monthly: 0), try DiscountRate(monthly: 10))
    #expect(DiscountRate.none.perPeriod(months: 2.5) == .none && zero == .none && ten.monthly == 10)
    for bad in [-0.01, 10.5, .infinity] {
      #expect(throws: PeriodDiscountError.badRate(bad)) { try DiscountRate(monthly: bad) }
    }
    #expect(throws: PeriodDiscountError.self) { try DiscountRate(monthly: .nan) }
    #expect("\(PeriodDiscountError.badRate(11))"
      == "--discount 11: expected a monthly discount rate from 0 to 10 (the same rate as churn lifetime's; 0 = none); fix: give a rate such as 0.01")
    #expect("\(PeriodDiscountError.needsSurvivalModel(model: "m.json"))" == "--discount: m.json is not a survival model, so the list has no lifetime value "
      + "to discount; fix: train one with churn train --survival --periods K, or leave out --discount")
  }

  @Test("A part whose survival increases is refused, naming the line and column")
  func increasingSurvival() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try "part_rank,customer_id,churn_probability,percentile,risk_band,reason_1,reason_2,reason_3,expected_revenue_at_risk,segment,change,survival_1,survival_2,expected_periods_remaining,median_periods_to_churn\n1,a,0.1,0,,,,,,,,0.9,0.95,1.85,\n"
      .write(toFile: dir.file("part.csv"), atomically: true, encoding: .utf8)
    #expect(throws: PartialListError.badValue(path: dir.file("part.csv"), line: 2, column: "survival_2", value: "0.95")) {
      try PartialList(path: dir.file("part.csv"))
    }
  }
}
