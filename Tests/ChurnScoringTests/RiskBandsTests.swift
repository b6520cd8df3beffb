import ChurnCore
import ChurnTestSupport
import Foundation
import Testing

/// Band cut points: red the riskiest 10% of training scores, yellow the next 20%, as near as tied
/// scores allow; customers with the same score always share a band.
@Suite("Risk bands")
struct RiskBandsTests {
  /// How many of `scores` fall in each band.
  static func counts(_ bands: RiskBands, _ scores: [Double]) -> [String: Int] {
    var counts: [String: Int] = ["red": 0, "yellow": 0, "green": 0]
    for s in scores { counts[bands.band(s), default: 0] += 1 }
    return counts
  }

  @Test("Distinct scores: red is the top 10% (rounded up), yellow the next 20%, cut points at customers' scores")
  func distinct() {
    var rng = SeededGenerator(seed: 14)
    let hundred = (1...100).map { Double($0) / 100 }.shuffled(using: &rng)
    let bands = RiskBands.learn(scores: hundred)
    #expect(bands.red == 0.91 && bands.yellow == 0.71)
    #expect(Self.counts(bands, hundred) == ["red": 10, "yellow": 20, "green": 70])
    // 143 customers: 14.3 rounds up to 15 red; 42.9 up to 43 red or yellow.
    let many = (0..<143).map { Double($0) / 143 }
    #expect(Self.counts(RiskBands.learn(scores: many), many) == ["red": 15, "yellow": 28, "green": 100])
    #expect(RiskBands.learn(scores: many).unevenNote(scores: many) == nil)
  }

  @Test("A tie across the red cut no longer puts every tied customer in red: the tied group goes where it overfills its band least")
  func tieAtTheRedCut() {
    // 5 distinct high scores, 10 customers tied at 0.5, 85 lower: the old rule made red 15%.
    let scores = [0.6, 0.7, 0.8, 0.9, 1.0] + Array(repeating: 0.5, count: 10) + (1...85).map { Double($0) / 1000 }
    let bands = RiskBands.learn(scores: scores)
    #expect(bands.red == 0.6)
    // Red 5 (5 short of 10, where 15 is 5 over: the tie goes to the smaller band); yellow 10 + 15 = 25 of 30 asked.
    #expect(Self.counts(bands, scores) == ["red": 5, "yellow": 25, "green": 70])
    #expect(bands.yellow == 0.071)
    #expect(RiskBands.learn(scores: scores).unevenNote(scores: scores)
      == "tied scores make the bands uneven: red holds 5.0% of the training scores (10% asked), yellow 25.0% (20% asked); customers with the same score share a band")
  }

  @Test("60% of customers tied at the top score: red does not become 60% (it stays empty, as the nearer share to 10%)")
  func heavyTieAtTheTop() {
    let scores = Array(repeating: 0.9, count: 60) + (1...40).map { Double($0) / 100 }
    let bands = RiskBands.learn(scores: scores)
    #expect(Self.counts(bands, scores) == ["red": 0, "yellow": 0, "green": 100])
    #expect(bands.band(0.9) == "green" && bands.band(0.95) == "red" && bands.red == 0.9.nextUp && bands.yellow == bands.red)
    #expect(bands.unevenNote(scores: scores)
      == "tied scores make the bands uneven: red holds 0.0% of the training scores (10% asked), yellow 0.0% (20% asked); customers with the same score share a band")
    // 15% tied at the top: nearer to 10% than an empty red is.
    let fifteen = Array(repeating: 0.9, count: 15) + (1...85).map { Double($0) / 100 }
    #expect(Self.counts(RiskBands.learn(scores: fifteen), fifteen) == ["red": 15, "yellow": 15, "green": 70])
  }

  @Test("A model with few distinct scores (a shallow forest): every band is a union of whole score levels, each as near its share as the levels allow")
  func fewLevels() {
    // Levels 0.8 ×7, 0.6 ×12, 0.3 ×31, 0.1 ×50.
    let scores = Array(repeating: 0.8, count: 7) + Array(repeating: 0.6, count: 12) + Array(repeating: 0.3, count: 31) + Array(repeating: 0.1, count: 50)
    let bands = RiskBands.learn(scores: scores)
    // Red: 7 (3 short) beats 19 (9 over); red + yellow: 19 (11 short) beats 50 (20 over).
    #expect(bands.red == 0.8 && bands.yellow == 0.6)
    #expect(Self.counts(bands, scores) == ["red": 7, "yellow": 12, "green": 81])
    // Every score the same: no band can hold 10%, all green.
    let flat = Array(repeating: 0.25, count: 50)
    #expect(Self.counts(RiskBands.learn(scores: flat), flat) == ["red": 0, "yellow": 0, "green": 50])
  }

  @Test("Over many seeded samples with ties, the bands on the training scores are within one score level of their shares and never split a tie")
  func property() {
    for seed in 0..<200 {
      var rng = SeededGenerator(seed: UInt64(seed))
      let n = 20 + Int(rng.next() % 300), levels = 2 + Int(rng.next() % 40)
      let scores = (0..<n).map { _ in Double(rng.next() % UInt64(levels)) / Double(levels) }
      let bands = RiskBands.learn(scores: scores)
      let c = Self.counts(bands, scores)
      // The red count is the achievable count (customers at or above some score, or 0) nearest ⌈10% n⌉.
      let achievable = [0] + Set(scores).map { v in scores.filter { $0 >= v }.count }
      let target = n - Int((0.9 * Double(n)).rounded(.down))
      let best = achievable.map { abs($0 - target) }.min()!
      #expect(abs(c["red"]! - target) == best, "seed \(seed): red \(c["red"]!) of \(n), target \(target)")
      for s in Set(scores) { #expect(Set(scores.filter { $0 == s }.map(bands.band)).count == 1) }
      #expect(bands.red >= bands.yellow)
    }
  }

  /// The sort-based version `learn` replaced, for comparison.
  static func learnedBySort(_ scores: [Double]) -> RiskBands {
    let descending = scores.sorted(by: >)
    let n = descending.count
    var levels: [(cut: Double, count: Int)] = []
    for (i, v) in descending.enumerated() where i + 1 == n || descending[i + 1] != v { levels.append((v, i + 1)) }
    let redTarget = n - Int((0.9 * Double(n)).rounded(.down)), bothTarget = max(redTarget, n - Int((0.7 * Double(n)).rounded(.down)))
    func nearest(_ options: [(cut: Double, count: Int)], _ target: Int) -> (cut: Double, count: Int) {
      options.min { (abs($0.count - target), $0.count) < (abs($1.count - target), $1.count) }!
    }
    let red = nearest([(descending[0].nextUp, 0)] + levels, redTarget)
    let yellow = nearest([red] + levels.filter { $0.count > red.count }, bothTarget)
    return RiskBands(red: red.cut, yellow: yellow.cut)
  }

  @Test("Learned from a shared ScoreOrder: the cut points of the sort it replaced, and the same measured rates")
  func sharedOrder() {
    for seed in 0..<100 {
      var rng = SeededGenerator(seed: UInt64(seed))
      let n = 1 + Int(rng.next() % 2_000), levels = 1 + Int(rng.next() % UInt64([3, 40, 100_000][seed % 3]))
      let scores = (0..<n).map { _ in Double(rng.next() % UInt64(levels)) / Double(levels) }
      let labels = (0..<n).map { _ in [0, 1, .nan][Int(rng.next() % 3)] }
      let bands = RiskBands.learn(ScoreOrder(scores))
      #expect(bands == Self.learnedBySort(scores), "seed \(seed)")
      #expect(RiskBands.learn(scores: scores) == bands, "seed \(seed)")
      var rows: [String: Int] = [:], churned: [String: Int] = [:]
      for (p, y) in zip(scores, labels) where !y.isNaN {
        rows[bands.band(p), default: 0] += 1
        if y == 1 { churned[bands.band(p), default: 0] += 1 }
      }
      let measured = bands.measured(scores: scores, labels: labels)
      #expect(measured.observedRows == rows, "seed \(seed)")
      #expect(measured.observedChurnRate == rows.mapValues { _ in 0 }.merging(rows.map { ($0, Double(churned[$0, default: 0]) / Double($1)) }) { $1 })
    }
  }
}
