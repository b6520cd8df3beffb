import ChurnCore
import ChurnScoring
import Testing

@Suite("ROC AUC")
struct ROCAUCTests {
  /// Pairwise definition: P(score of a churner > score of a non-churner) + ½ P(tie).
  func pairwise(_ s: [Double], _ y: [Double]) -> Double {
    var wins = 0.0, pairs = 0.0
    for i in s.indices where y[i] == 1 {
      for j in s.indices where y[j] == 0 {
        pairs += 1
        wins += s[i] > s[j] ? 1 : (s[i] == s[j] ? 0.5 : 0)
      }
    }
    return wins / pairs
  }

  @Test("Hand-checked values, ties included")
  func known() throws {
    #expect(try rocAUC(scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1]) == 0.75)
    #expect(try rocAUC(scores: [0.5, 0.5, 0.5, 0.5], labels: [0, 1, 0, 1]) == 0.5)
    #expect(try rocAUC(scores: [1, 2, 3], labels: [0, 0, 1]) == 1)
    #expect(try rocAUC(scores: [3, 2, 1], labels: [0, 0, 1]) == 0)
  }

  @Test("Equals the pairwise definition on scores with many ties", arguments: 0..<5)
  func pairwiseAgreement(seed: Int) throws {
    var state = UInt64(seed + 1)
    func next() -> Double {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Double(state >> 60)
    }
    let scores = (0..<300).map { _ in next() }
    let labels = scores.map { s in (s + next()) > 15 ? 1.0 : 0.0 }
    #expect(abs(try rocAUC(scores: scores, labels: labels) - pairwise(scores, labels)) < 1e-12)
  }

  @Test("Errors name the problem")
  func errors() {
    #expect(throws: MetricError.singleClass(metric: "ROC AUC", count: 2, label: 1)) {
      try rocAUC(scores: [0.1, 0.2], labels: [1, 1])
    }
    #expect(MetricError.singleClass(metric: "ROC AUC", count: 2, label: 1).description
      == "ROC AUC is undefined: all 2 labels are 1; it needs both churned and retained customers")
    #expect(throws: MetricError.lengthMismatch(metric: "ROC AUC", scores: 1, labels: 2)) {
      try rocAUC(scores: [0.1], labels: [1, 0])
    }
    #expect(throws: MetricError.invalidLabel(metric: "ROC AUC", index: 1, value: 0.5)) {
      try rocAUC(scores: [0.1, 0.2], labels: [1, 0.5])
    }
    #expect(throws: MetricError.self) { try rocAUC(scores: [.nan, 0.2], labels: [1, 0]) }
  }

  /// The merge-sort version this replaced, for bit-for-bit comparison.
  func bySort(_ scores: [Double], _ labels: [Double]) -> Double {
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var rankSum = 0.0, start = 0
    while start < order.count {
      var end = start + 1
      while end < order.count && scores[order[end]] == scores[order[start]] { end += 1 }
      let midRank = Double(start + 1 + end) / 2
      for k in start..<end where labels[order[k]] == 1 { rankSum += midRank }
      start = end
    }
    let n1 = labels.reduce(0, +), n0 = Double(labels.count) - n1
    return (rankSum - n1 * (n1 + 1) / 2) / (n1 * n0)
  }

  @Test("On a shared ScoreOrder: bit for bit the value of the sort it replaced, ties and −0 included", arguments: 0..<6)
  func sharedOrder(seed: Int) throws {
    var rng = SeededGenerator(seed: UInt64(seed))
    let levels = [3, 50, 5_000, 1 << 40, 7, 1 << 20][seed]
    let scores = (0..<20_000).map { _ in Double(rng.next() % UInt64(levels)) / Double(levels) - (seed == 4 ? 0.5 : 0) }
      .map { $0 == 0 && seed == 4 ? -0.0 : $0 }
    let labels = scores.map { s in Double.random(in: 0...1, using: &rng) < (s + 1) / 3 ? 1.0 : 0.0 }
    let expected = bySort(scores, labels)
    #expect(try rocAUC(ScoreOrder(scores), labels: labels) == expected, "seed \(seed)")
    #expect(try rocAUC(scores: scores, labels: labels) == expected, "seed \(seed)")
  }

  @Test("On a shared ScoreOrder: the same errors")
  func sharedOrderErrors() {
    #expect(throws: MetricError.singleClass(metric: "ROC AUC", count: 2, label: 1)) { try rocAUC(ScoreOrder([0.1, 0.2]), labels: [1, 1]) }
    #expect(throws: MetricError.lengthMismatch(metric: "ROC AUC", scores: 1, labels: 2)) { try rocAUC(ScoreOrder([0.1]), labels: [1, 0]) }
    #expect(throws: MetricError.nonFiniteScore(metric: "ROC AUC", index: 0, value: .infinity)) {
      try rocAUC(ScoreOrder([.infinity, 0.2]), labels: [1, 0])
    }
  }
}
