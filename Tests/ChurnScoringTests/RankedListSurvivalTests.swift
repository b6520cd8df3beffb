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
      row.survival = SurvivalCurve(survival: curve)
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

  @Test("Parts with survival columns merge into the list of all rows, byte for byte")
  func merge() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let rows = Self.rows(300, seed: 11)
    var whole = RankedList(rows)
    (whole.survivalPeriods, whole.healthDimensions) = (3, ["service"])
    try whole.write(to: dir.file("whole.csv"), idHeader: "customer_id")
    var parts: [PartialList] = []
    for p in 0..<3 {
      var part = RankedList(rows.enumerated().filter { $0.offset % 3 == p }.map(\.element))
      (part.survivalPeriods, part.healthDimensions) = (3, ["service"])
      try part.write(to: dir.file("part\(p).csv"), idHeader: "customer_id", partial: true)
      parts.append(try PartialList(path: dir.file("part\(p).csv")))
    }
    #expect(parts.allSatisfy { $0.survivalPeriods == 3 && $0.healthDimensions == ["service"] })
    let merged = try RankedList.merge(parts)
    try merged.write(to: dir.file("merged.csv"), idHeader: "customer_id")
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("merged.csv"))) == Data(contentsOf: URL(fileURLWithPath: dir.file("whole.csv"))))
    #expect(merged.rows.map(\.survival) == whole.rows.map(\.survival))
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
