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
}
