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

@Suite("Reasons in words")
struct ReasonTextTests {
  @Test("Feature names become phrases with values and points", arguments: [
    ("count_complaint_30d", 4.0, 11.04, "complaints in last 30 days = 4 (+11.0 pts)"),
    ("count_upsell_declined_90d", 3.0, 2.0, "upsell declined in last 90 days = 3 (+2.0 pts)"),
    ("mean_resolution_90d", 8.66, 6.1, "average resolution value in last 90 days = 8.66 (+6.1 pts)"),
    ("mean_payment_30d", Double.nan, 3.8, "no payment in last 30 days (+3.8 pts)"),
    ("days_since_last_login", Double.nan, 1.0, "no login ever (+1.0 pts)"),
    ("days_since_last_login", 37.6, 3.4, "days since last login = 37.6 (+3.4 pts)"),
    ("pct_change_count_login_30d", -0.6, 2.5, "change in logins vs the 30 days before = -60% (+2.5 pts)"),
    ("plan=basic", 1.0, 0.7, "plan is basic (+0.7 pts)"),
    ("totalcharges_missing", 1.0, 0.2, "totalcharges is missing (+0.2 pts)"),
    ("tenure_days", 120.0, 1.5, "days as a customer = 120 (+1.5 pts)"),
    ("monthly_revenue", 1234.5, 0.4, "monthly revenue = 1234.5 (+0.4 pts)"),
  ])
  func reasons(feature: String, value: Double, points: Double, expected: String) {
    #expect(ReasonText.reason(feature: feature, value: value, points: points) == expected)
  }
}
