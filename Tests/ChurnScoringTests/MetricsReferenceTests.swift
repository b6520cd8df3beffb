import ChurnScoring
import Foundation
import Testing

/// Every metric against scikit-learn / statsmodels / pandas values stored by
/// scripts/make-fixtures-metrics (Fixtures/metrics.json), to 1e-12.
@Suite("Metrics agree with scikit-learn")
struct MetricsReferenceTests {
  struct Fixture: Decodable {
    struct Case: Decodable {
      struct Calibration: Decodable {
        var observed: [Double]
        var predicted: [Double]
        var counts: [Int]
        var ece: Double
      }
      struct Rates: Decodable {
        var precision: Double
        var recall: Double
        var f1: Double?
      }
      struct Gain: Decodable {
        var customers: Int
        var churners: Double
        var gain: Double
      }
      var name: String
      var scores: [Double]
      var labels: [Double]
      var log_loss: Double
      var brier: Double
      var roc_auc: Double?
      var average_precision: Double?
      var calibration: Calibration?
      var threshold: [String: Rates]?
      var lift: [String: Double]?
      var gains: [Gain]?
      var top: [String: Rates]?
    }
    struct Wilson: Decodable {
      var successes: Int
      var trials: Int
      var lower: Double
      var upper: Double
    }
    struct Cohorts: Decodable {
      struct Expected: Decodable {
        var upper: Double?
        var customers: Int
        var churned: Int
        var mean: Double?
        var missing: Bool?
      }
      var values: [Double?]
      var labels: [Double]
      var expected: [Expected]
    }
    var cases: [Case]
    var wilson: [Wilson]
    var cohorts: Cohorts
  }

  static let fixture: Fixture = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/metrics.json")
    return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
  }()

  func close(_ a: Double, _ b: Double, _ what: String, _ name: String) {
    #expect(abs(a - b) <= 1e-12 * max(1, abs(b)), "\(name) \(what): churn \(a), reference \(b)")
  }

  @Test("AUC, average precision, log loss and Brier score", arguments: fixture.cases.map(\.name))
  func scalarMetrics(name: String) throws {
    let c = Self.fixture.cases.first { $0.name == name }!
    close(try logLoss(probabilities: c.scores, labels: c.labels), c.log_loss, "log loss", name)
    close(try brierScore(probabilities: c.scores, labels: c.labels), c.brier, "Brier", name)
    guard let auc = c.roc_auc, let ap = c.average_precision else {
      #expect(throws: MetricError.singleClass(metric: "ROC AUC", count: c.labels.count, label: 0)) { try rocAUC(scores: c.scores, labels: c.labels) }
      #expect(throws: MetricError.singleClass(metric: "average precision", count: c.labels.count, label: 0)) {
        try averagePrecision(scores: c.scores, labels: c.labels)
      }
      #expect(throws: MetricError.self) { try lift(scores: c.scores, labels: c.labels, fraction: 0.1) }
      return
    }
    close(try rocAUC(scores: c.scores, labels: c.labels), auc, "ROC AUC", name)
    close(try averagePrecision(scores: c.scores, labels: c.labels), ap, "average precision", name)
  }

  @Test("Calibration table and expected calibration error", arguments: fixture.cases.filter { $0.calibration != nil }.map(\.name))
  func calibration(name: String) throws {
    let c = Self.fixture.cases.first { $0.name == name }!
    let reference = c.calibration!
    let table = try CalibrationTable(probabilities: c.scores, labels: c.labels, bins: 10)
    #expect(table.bins.map(\.count) == reference.counts)
    for (bin, (observed, predicted)) in zip(table.bins, zip(reference.observed, reference.predicted)) {
      close(bin.observed, observed, "observed rate", name)
      close(bin.predicted, predicted, "mean predicted", name)
    }
    close(table.expectedCalibrationError, reference.ece, "ECE", name)
  }

  @Test("Precision, recall, F1, lift and gains", arguments: fixture.cases.filter { $0.lift != nil }.map(\.name))
  func ranking(name: String) throws {
    let c = Self.fixture.cases.first { $0.name == name }!
    for (t, rates) in c.threshold! {
      let r = try classification(scores: c.scores, labels: c.labels, threshold: Double(t)!)
      close(r.precision, rates.precision, "precision at \(t)", name)
      close(r.recall, rates.recall, "recall at \(t)", name)
      close(r.f1, rates.f1!, "F1 at \(t)", name)
    }
    for (k, rates) in c.top! {
      let r = try classification(scores: c.scores, labels: c.labels, top: Int(k)!)
      close(r.precision, rates.precision, "precision at top \(k)", name)
      close(r.recall, rates.recall, "recall at top \(k)", name)
    }
    for (f, value) in c.lift! { close(try lift(scores: c.scores, labels: c.labels, fraction: Double(f)!), value, "lift at \(f)", name) }
    let gains = try gainsTable(scores: c.scores, labels: c.labels)
    #expect(gains.map(\.customers) == c.gains!.map(\.customers))
    for (g, reference) in zip(gains, c.gains!) {
      close(g.churners, reference.churners, "gains churners", name)
      close(g.gain, reference.gain, "gain", name)
    }
    #expect(gains.last!.gain == 1)
  }

  @Test("Wilson intervals equal statsmodels'")
  func wilson() {
    for w in Self.fixture.wilson {
      let e = wilsonInterval(successes: w.successes, trials: w.trials)
      close(e.lower, w.lower, "Wilson lower \(w.successes)/\(w.trials)", "")
      close(e.upper, w.upper, "Wilson upper \(w.successes)/\(w.trials)", "")
    }
  }

  @Test("Decile cohorts group as pandas' qcut(duplicates=\"drop\")")
  func cohorts() {
    let f = Self.fixture.cohorts
    let cohorts = Cohorts.byQuantile(values: f.values.map { $0 ?? .nan }, labels: f.labels)
    #expect(cohorts.count == f.expected.count)
    for (c, e) in zip(cohorts, f.expected) {
      #expect(c.customers == e.customers && c.churned == e.churned, "\(c.label)")
      if let upper = e.upper { close(c.upper!, upper, "upper edge", c.label) }
      if let mean = e.mean { close(c.meanValue!, mean, "mean", c.label) }
      if e.missing == true { #expect(c.label == "(missing)") }
    }
  }
}
