import ChurnScoring
import Foundation
import Testing

/// The survival metrics against lifelines and scikit-survival values stored by
/// scripts/make-fixtures-survival (Fixtures/survival.json), to 1e-9, and on small cases
/// worked by hand.
@Suite("Survival metrics")
struct SurvivalMetricsTests {
  struct Fixture: Decodable {
    struct Case: Decodable {
      struct Decile: Decodable {
        var decile: Int
        var customers: Int
        var predicted: [Double]
        var kaplan_meier: [Double]
      }
      var name: String
      var periods: Int
      var curves: [[Double]]
      var times: [Int]
      var churned: [Bool]
      var predicted: [Double]
      var concordance: Double
      var brier: [Double]
      var integrated_brier: Double
      var deciles: [Decile]
    }
    var cases: [Case]
  }

  static func fixture() throws -> Fixture {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/survival.json")
    return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
  }

  @Test("Concordance, Brier scores, integrated Brier score and Kaplan–Meier per decile equal lifelines and scikit-survival")
  func reference() throws {
    let cases = try Self.fixture().cases
    #expect(cases.count == 3)
    for c in cases {
      let observed = ObservedTimes(periods: c.times, churned: c.churned)
      let concordance = ConcordanceIndex.harrell(predicted: c.predicted, observed: observed)
      #expect(abs(concordance.value - c.concordance) < 1e-9, "\(c.name): C \(concordance.value) against lifelines \(c.concordance)")
      let e = SurvivalEvaluation(survival: c.curves, observed: observed)
      #expect(abs(e.concordance - c.concordance) < 1e-9, "\(c.name): the evaluation's C \(e.concordance)")
      #expect(e.brierScores.count == c.periods)
      for (k, (ours, theirs)) in zip(e.brierScores, c.brier).enumerated() {
        #expect(abs(ours - theirs) < 1e-9, "\(c.name): BS(\(k + 1)) \(ours) against scikit-survival \(theirs)")
      }
      #expect(abs(e.integratedBrierScore - c.integrated_brier) < 1e-9, "\(c.name): IBS \(e.integratedBrierScore) against \(c.integrated_brier)")
      #expect(e.deciles.map(\.customers) == c.deciles.map(\.customers), "\(c.name)")
      for (ours, theirs) in zip(e.deciles, c.deciles) {
        for k in 0..<c.periods {
          #expect(abs(ours.predicted[k] - theirs.predicted[k]) < 1e-9, "\(c.name) decile \(theirs.decile) S(\(k + 1)) predicted")
          // Periods no one in the decile reached are left blank; lifelines repeats its last value there.
          #expect(ours.kaplanMeier[0] != nil, "\(c.name) decile \(theirs.decile): every customer is at risk in period 1")
          if let km = ours.kaplanMeier[k] {
            #expect(abs(km - theirs.kaplan_meier[k]) < 1e-9, "\(c.name) decile \(theirs.decile): KM S(\(k + 1)) \(km) against lifelines \(theirs.kaplan_meier[k])")
          }
        }
      }
    }
  }

  @Test("Concordance by hand: comparable pairs, ties in prediction count ½, same-period churns are not compared")
  func concordanceByHand() {
    // a churned in 1, b churned in 2, c censored after 2, d churned in 2.
    // Comparable: (a,b) (a,c) (a,d), (b,c) and (d,c) (churn before censoring at 2); not (b,d).
    let observed = ObservedTimes(periods: [1, 2, 2, 2], churned: [true, true, false, true])
    // Predicted times: a 1 < b 3 ✓, a < c 2 ✓, a < d 2 ✓, b 3 > c 2 ✗, d 2 = c 2 tie.
    let r = ConcordanceIndex.harrell(predicted: [1, 3, 2, 2], observed: observed)
    #expect(r.comparablePairs == 5)
    #expect(r.concordantPairs == 3)
    #expect(r.tiedPairs == 1)
    #expect(r.value == 3.5 / 5)
    #expect(ConcordanceIndex.harrell(predicted: [1, 2], observed: ObservedTimes(periods: [1, 2], churned: [false, false])).value.isNaN)
  }

  @Test("Kaplan–Meier by hand: a customer censored after period m is at risk in period m")
  func kaplanMeierByHand() {
    // 4 customers: churn in 1; censored after 1; churn in 2; censored after 3.
    let observed = ObservedTimes(periods: [1, 1, 2, 3], churned: [true, false, true, false])
    // S(1) = 1 − 1/4; period 2: at risk 2 (times ≥ 2), one churn: S(2) = 0.75 × 0.5; period 3 none.
    #expect(KaplanMeier.survival(observed, periods: 3) == [0.75, 0.375, 0.375])
    #expect(KaplanMeier.atRisk(observed, periods: 4) == [4, 2, 1, 0])
  }

  @Test("The survival curve's expected periods and median")
  func curve() {
    let c = SurvivalCurve(survival: [0.9, 0.6, 0.5, 0.2])
    #expect(c.expectedPeriodsRemaining == 0.9 + 0.6 + 0.5 + 0.2)
    #expect(c.medianPeriodsToChurn == 3)
    #expect(SurvivalCurve(survival: [0.9, 0.8]).medianPeriodsToChurn == nil)
    #expect(SurvivalCurve(survival: [0.5, 0.4]).medianPeriodsToChurn == 1)
  }

  @Test("A perfect curve scores Brier 0 at every period; a constant ½ scores ¼ without censoring")
  func brierByHand() {
    let observed = ObservedTimes(periods: [1, 2, 3, 3], churned: [true, true, true, false])
    // Perfect: S(k) = 1 while the customer stays, 0 from the period of churn on.
    let perfect: [[Double]] = [[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]]
    #expect(SurvivalBrier.scores(survival: perfect, observed: observed) == [0, 0, 0])
    let half = [[Double]](repeating: [0.5, 0.5, 0.5], count: 4)
    #expect(SurvivalBrier.scores(survival: half, observed: observed) == [0.25, 0.25, 0.25])
    #expect(SurvivalBrier.integrated([0.1, 0.3, 0.2]) == (0.2 + 0.25) / 2)
  }
}
