import ChurnCore
import ChurnModels
import ChurnScoring
import ChurnTestSupport
import Foundation
import Testing

@Suite("What the scored list says, against its inputs")
struct ScoredListTests {
  static let training = ModelFile.TrainingSummary(rows: 0, churned: 0, dataFingerprint: "", notes: [])

  /// A logistic model on x (numeric) and rfm_segment (categorical), and five customers to score.
  static func model() throws -> (ModelFile, FeatureTable) {
    var rng = SeededGenerator(seed: 8)
    let segments = ["high_value", "needs_retention", "potential", "needs_attention"]
    var x: [Double] = [], segment: [String?] = [], labels: [Double] = []
    for _ in 0..<400 {
      let v = rng.normal(), s = segments[rng.integer(below: 4)]
      x.append(v)
      segment.append(s)
      labels.append(rng.bernoulli(1 / (1 + exp(-(1.5 * v + (s == "needs_attention" ? 1 : 0))))) ? 1 : 0)
    }
    let training = FeatureTable(ids: x.indices.map { "t\($0)" }, columnNames: ["x", "rfm_segment"], columns: [.numeric(x), .categorical(segment)],
                                labels: labels)
    let file = ModelFile(churnVersion: "test", idColumn: "id", labelColumn: "y", trained: try ModelSettings().fit(training), training: Self.training)
    let customers = FeatureTable(ids: ["u1", "u2", "u3", "u4", "u5"], columnNames: ["x", "rfm_segment"],
                                 columns: [.numeric([2.0, -1.0, 0.5, 1.0, -2.5]),
                                           .categorical(["potential", "high_value", nil, "needs_attention", "needs_retention"])])
    return (file, customers)
  }

  @Test("Revenue at risk = p × monthly revenue × horizon months; band from the cut points; segment the customer's; percentile their rank")
  func handChecked() throws {
    var (file, customers) = try Self.model()
    let p = try file.probabilities(customers)
    // Cut points at the 2nd and 4th highest probabilities: the top two are red, the next two yellow, the last green.
    let descending = p.sorted(by: >)
    file.riskBands = RiskBands(red: descending[1], yellow: descending[3])
    let revenue = [100.0, 50, .nan, 20, 10]
    let scored = try RiskScorer(model: file).scoreRows(customers, revenue: revenue, horizonMonths: 3)
    for (i, s) in scored.enumerated() {
      #expect(s.id == customers.ids[i] && s.probability == p[i])
      if revenue[i].isNaN { #expect(s.revenueAtRisk!.isNaN) } else { #expect(s.revenueAtRisk == p[i] * revenue[i] * 3) }
      let rank = descending.firstIndex(of: p[i])!
      #expect(s.band == (rank < 2 ? "red" : rank < 4 ? "yellow" : "green"), "\(s.id): p \(p[i]), rank \(rank)")
    }
    #expect(scored.map(\.segment) == ["potential", "high_value", nil, "needs_attention", "needs_retention"])
    // Without a revenue column there is no revenue at risk; without bands, no band.
    file.riskBands = nil
    let bare = try RiskScorer(model: file).scoreRows(customers, revenue: nil, horizonMonths: 3)
    #expect(bare.allSatisfy { $0.revenueAtRisk == nil && $0.band == nil })

    let list = RankedList(scored.map { RiskRow(id: $0.id, probability: $0.probability, band: $0.band, revenueAtRisk: $0.revenueAtRisk) })
    #expect(list.rows.map(\.probability) == descending)
    #expect(list.percentiles == [80, 60, 40, 20, 0])
  }

  @Test("A probability that is not a number is a clear error, not a green customer without reasons")
  func nonFinite() throws {
    // Two columns with large coefficients (about 4 per standard deviation): ±1e308 makes the
    // log-odds inf − inf.
    var rng = SeededGenerator(seed: 3)
    let a = (0..<300).map { _ in rng.normal() }, b = (0..<300).map { _ in rng.normal() }
    let labels = zip(a, b).map { rng.bernoulli(1 / (1 + exp(-4 * ($0 + $1)))) ? 1.0 : 0.0 }
    let table = FeatureTable(ids: a.indices.map { "t\($0)" }, columnNames: ["a", "b"], columns: [.numeric(a), .numeric(b)], labels: labels)
    let two = ModelFile(churnVersion: "test", idColumn: "id", labelColumn: "y", trained: try ModelSettings().fit(table), training: Self.training)
    // Inputs past 1e12 standard deviations are refused by the preprocessor, and a model file with
    // coefficients past 1e12 on load, so a nan probability needs a model damaged in memory:
    // coefficients ±1e300 on inputs of 1e10 give inf − inf.
    var fields = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode((two.model as! LogisticModel))) as? [String: Any])
    fields["coefficients"] = [1e300, -1e300]
    var damaged = two
    damaged.model = try JSONDecoder().decode(LogisticModel.self, from: JSONSerialization.data(withJSONObject: fields))
    let bad = FeatureTable(ids: ["ok", "huge"], columnNames: ["a", "b"], columns: [.numeric([0.5, 1e10]), .numeric([0.1, 1e10])])
    #expect(performing: { try damaged.probabilities(bad) }, throws: {
      "\($0)" == "the churn probability of huge (row 2) is -nan, not a number in [0, 1]; please report this with the model file"
    })
    let message = "customer \"huge\": the model gives churn probability nan; expected a number from 0 to 1 (an input value too large to compute with); fix: check this customer's values for huge numbers"
    // (NaN is not equal to itself: the errors are compared by their text.)
    #expect(performing: { try RiskScorer(model: damaged).scoreRows(bad, revenue: nil, horizonMonths: 1) }, throws: { "\($0)" == message })
    #expect(performing: { try damaged.explainColumns(bad, row: 1) }, throws: { "\($0)" == message })
    #expect(try damaged.explainColumns(bad, row: 0).columns.count == 2)
  }
}
