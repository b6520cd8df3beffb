import ChurnScoring
import Foundation
import Testing

@Suite("Metrics: definitions and edge cases")
struct MetricsTests {
  @Test("Hand-checked lift, gains and ties at the boundary")
  func liftByHand() throws {
    // 10 customers, 2 churners; the top 10% (1 customer) is a churner: lift 1 / 0.2 = 5.
    let scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    let labels: [Double] = [1, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    #expect(try lift(scores: scores, labels: labels, fraction: 0.1) == 5)
    #expect(try lift(scores: scores, labels: labels, fraction: 1) == 1)
    // All tied: any top share holds the overall rate, whatever the row order.
    #expect(abs(try lift(scores: Array(repeating: 0.3, count: 10), labels: labels, fraction: 0.3) - 1) < 1e-12)
    let gains = try gainsTable(scores: scores, labels: labels)
    #expect(gains.map(\.gain) == [0.5, 0.5, 0.5, 1, 1, 1, 1, 1, 1, 1])
  }

  @Test("A perfect ranking has average precision 1; log loss clips certainty")
  func extremes() throws {
    #expect(try averagePrecision(scores: [0.9, 0.8, 0.1], labels: [1, 1, 0]) == 1)
    let loss = try logLoss(probabilities: [0], labels: [1])
    #expect(loss > 36 && loss < 36.1)
    #expect(try brierScore(probabilities: [1, 0], labels: [1, 0]) == 0)
  }

  @Test("Clear errors for inputs a metric cannot use")
  func errors() {
    #expect(throws: MetricError.notAProbability(metric: "log loss", index: 1, value: 1.5)) {
      try logLoss(probabilities: [0.2, 1.5], labels: [0, 1])
    }
    #expect(throws: MetricError.invalidLabel(metric: "Brier score", index: 0, value: 2)) {
      try brierScore(probabilities: [0.2], labels: [2])
    }
    #expect(throws: MetricError.empty(metric: "log loss")) { try logLoss(probabilities: [], labels: []) }
    #expect(throws: MetricError.self) { try lift(scores: [0.1, 0.2], labels: [0, 1], fraction: 0) }
    #expect(throws: MetricError.lengthMismatch(metric: "average precision", scores: 2, labels: 1)) {
      try averagePrecision(scores: [0.1, 0.2], labels: [1])
    }
  }

  @Test("Bootstrap intervals are seeded and contain the estimate")
  func bootstrap() throws {
    let n = 400
    var scores: [Double] = [], labels: [Double] = []
    for i in 0..<n {
      let s = Double((i * 7919) % 1000) / 1000
      scores.append(s)
      labels.append((i * 104_729) % 1000 < Int(s * 600) ? 1 : 0)
    }
    let a = try bootstrapInterval(scores: scores, labels: labels, replicates: 200, seed: 7) { try rocAUC(scores: $0, labels: $1) }
    let b = try bootstrapInterval(scores: scores, labels: labels, replicates: 200, seed: 7) { try rocAUC(scores: $0, labels: $1) }
    let c = try bootstrapInterval(scores: scores, labels: labels, replicates: 200, seed: 8) { try rocAUC(scores: $0, labels: $1) }
    #expect(a == b)
    #expect(a != c)
    #expect(a.lower < a.value && a.value < a.upper)
    #expect(a.upper - a.lower < 0.2)
  }

  @Test("Cohorts by level and rate conversion")
  func cohorts() {
    let cohorts = Cohorts.byLevel(levels: ["a", "b", "a", nil, "a"], labels: [1, 0, 0, 1, .nan])
    #expect(cohorts.map(\.label) == ["a", "(blank)", "b"])
    #expect(cohorts[0].customers == 2 && cohorts[0].churned == 1)
    #expect(abs(Cohorts.convert(rate: 0.05, days: 30, periodDays: 30) - 0.05) < 1e-15)
    #expect(abs(Cohorts.convert(rate: 0.05, days: 30, periodDays: 365) - (1 - Foundation.pow(0.95, 365.0 / 30))) < 1e-15)
  }
}

@Suite("Curves")
struct CurveTests {
  @Test("The ROC curve's area is the AUC and the PR curve's step sum is the average precision", arguments: MetricsReferenceTests.fixture.cases.filter { $0.roc_auc != nil }.map(\.name))
  func areas(name: String) throws {
    let c = MetricsReferenceTests.fixture.cases.first { $0.name == name }!
    let roc = try rocCurve(scores: c.scores, labels: c.labels)
    var area = 0.0
    for (a, b) in zip(roc, roc.dropFirst()) { area += (b.fpr - a.fpr) * (a.tpr + b.tpr) / 2 }
    #expect(abs(area - c.roc_auc!) < 1e-12)
    #expect(roc.first! == (0, 0) && roc.last! == (1, 1))
    let pr = try precisionRecallCurve(scores: c.scores, labels: c.labels)
    var ap = 0.0, previous = 0.0
    for point in pr {
      ap += (point.recall - previous) * point.precision
      previous = point.recall
    }
    #expect(abs(ap - c.average_precision!) < 1e-12)
  }
}
