import ChurnModels
import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

/// lifetimes' `penalizer_coef` in `churn lifetime` (`--penalizer`, `--spend-penalizer`) and its
/// fallback where a fit without one does not converge: penalized Pareto/NBD and Gamma–Gamma
/// against lifetimes 0.11.3 on CDNOW (Fixtures/lifetime-penalized.json), the BG/NBD fallback
/// against lifetimes' penalized BG/NBD on the demo's orders (Fixtures/bgnbd-penalized.json), both
/// from scripts/make-fixtures-btyd-penalty.
@Suite("Lifetime penalties (lifetimes' penalizer_coef) and the fallback")
struct LifetimePenaltyTests {
  static let root = LifetimeReferenceTests.root
  static let fixtures = LifetimeReferenceTests.fixtures

  static func json(_ name: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixtures + "/" + name))) as! [String: Any]
  }

  static func cdnowHistories() throws -> [PurchaseHistory] {
    let summary = try PurchaseSummary.read(EventLogReader(path: LifetimeReferenceTests.events), asOf: LifetimeReferenceTests.asOf,
                                           purchaseTypes: ["purchase"])
    return LifetimeAnalysis.histories(summary, unit: .day)
  }

  @Test("Pareto/NBD with penalizer_coef 1 equals lifetimes' ParetoNBDFitter: the penalty on the total log-likelihood, α and β in scaled time")
  func pareto() throws {
    let reference = try Self.json("lifetime-penalized.json")["pareto-cdnow-1997-10-01"] as! [String: Double]
    let histories = try Self.cdnowHistories()
    #expect(Double(histories.count) == reference["customers"])
    let fit = try ParetoNBD.fit(histories, penalty: 1)
    #expect(fit.penalty == 1)
    let m = fit.model
    let theirs = ParetoNBD(r: reference["r"]!, alpha: reference["alpha"]!, s: reference["s"]!, beta: reference["beta"]!)
    for (ours, lifetimes) in [(m.r, theirs.r), (m.alpha, theirs.alpha), (m.s, theirs.s), (m.beta, theirs.beta)] {
      #expect(relativeDifference(ours, lifetimes) < 1e-3, "\(m) against lifetimes' \(theirs)")
    }
    // lifetimes' objective: −Σ log-likelihood + c Σ θ², in the time scaled by the oldest age (the
    // histories' and α's and β's).
    let oldest = histories.map(\.age).max()!
    let scaled = histories.map { PurchaseHistory(frequency: $0.frequency, recency: $0.recency / oldest, age: $0.age / oldest) }
    func objective(_ p: ParetoNBD) -> Double {
      let q = ParetoNBD(r: p.r, alpha: p.alpha / oldest, s: p.s, beta: p.beta / oldest)
      return -q.logLikelihood(scaled) + (q.r * q.r + q.alpha * q.alpha + q.s * q.s + q.beta * q.beta)
    }
    // lifetimes' Nelder–Mead stops on a flat ridge: ours is at least as low, and the value it
    // reports is its objective's at its parameters.
    #expect(objective(m) <= objective(theirs) + 1e-9 * abs(objective(theirs)))
    #expect(relativeDifference(objective(theirs), reference["objective"]!) < 1e-9)
    // The penalty moves the fit: lifetimes' unpenalized s differs by more than the tolerance.
    let plain = try LifetimeReferenceTests.reference().reference.model("pareto_nbd")
    #expect(relativeDifference(plain["s"]!, m.s) > 1e-2)
  }

  @Test("Gamma-Gamma with penalizer_coef 0.001 equals lifetimes' GammaGammaFitter: the penalty on the mean, v in the values' unit")
  func gammaGamma() throws {
    let reference = try Self.json("lifetime-penalized.json")["gamma-gamma-cdnow-1997-10-01"] as! [String: Double]
    let histories = try Self.cdnowHistories()
    let fit = try GammaGamma.fit(histories, penalty: 0.001)
    #expect(Double(fit.customers) == reference["customers"] && fit.penalty == 0.001)
    let m = fit.model
    for (ours, lifetimes) in [(m.p, reference["p"]!), (m.q, reference["q"]!), (m.v, reference["v"]!)] {
      #expect(relativeDifference(ours, lifetimes) < 1e-4, "\(m) against lifetimes' \(reference)")
    }
    let used = histories.filter(GammaGamma.isFittable)
    func objective(_ p: GammaGamma) -> Double {
      -p.logLikelihood(used) / Double(used.count) + 0.001 * (p.p * p.p + p.q * p.q + p.v * p.v)
    }
    let theirs = GammaGamma(p: reference["p"]!, q: reference["q"]!, v: reference["v"]!)
    #expect(objective(m) <= objective(theirs) + 1e-12)
    #expect(relativeDifference(objective(theirs), reference["objective"]!) < 1e-9)
  }

  /// The demo's orders as of 2025-01-01, where BG/NBD without a penalty stalls.
  static func demoAnalysis(penalty: Double? = nil) throws -> LifetimeAnalysis {
    try LifetimeAnalysis(EventData(events: root + "/datasets/demo/events.csv"),
                         settings: .init(asOf: UTCTime.days(year: 2025, month: 1, day: 1) * UTCTime.millisecondsPerDay, purchaseTypes: ["order"],
                                         penalty: penalty))
  }

  @Test("where BG/NBD does not converge, churn lifetime fits it again with penalizer_coef 0.001 (lifetimes' fit) and says so")
  func fallback() throws {
    let reference = try Self.json("bgnbd-penalized.json")["demo-orders-2025-01-01"] as! [String: Double]
    let analysis = try Self.demoAnalysis()
    let fit = try #require(analysis.bgnbd)
    #expect(fit.penalty == LifetimeFit<BGNBD>.fallbackPenalty && fit.penalty == 0.001)
    let m = fit.model
    for (ours, lifetimes) in [(m.r, reference["r"]!), (m.alpha, reference["alpha"]!), (m.a, reference["a"]!), (m.b, reference["b"]!)] {
      #expect(relativeDifference(ours, lifetimes) < 1e-4, "\(m) against lifetimes' \(reference)")
    }
    #expect(analysis.lines[1].hasSuffix("; penalizer_coef 0.001: the fit without a penalty did not converge (a flat likelihood; --penalizer sets one)"),
            "\(analysis.lines[1])")
    // P(alive) is the penalized model's, customer by customer.
    for row in analysis.rows.prefix(50) { #expect(row.probabilityAlive == m.probabilityAlive(row.history)) }
    // The same fit when the penalty is given, and the line says it was given.
    let given = try Self.demoAnalysis(penalty: 0.001)
    #expect(given.bgnbd!.model == m)
    #expect(given.lines[1].hasSuffix("; penalizer_coef 0.001 (--penalizer)"))
  }

  @Test("a penalty given is used as given: 0 means none, and a fit that does not converge then fails with the fix")
  func givenPenalty() throws {
    #expect {
      try Self.demoAnalysis(penalty: 0)
    } throws: { error in
      guard case .didNotConverge(let model, _, _, let penalty)? = error as? LifetimeError else { return false }
      return model == "BG/NBD" && penalty == 0
        && "\(error)".hasSuffix("fix: a penalty (--penalizer 0.001, lifetimes' penalizer_coef) keeps the fit off the flat edges, at the cost of a small bias")
    }
    // CDNOW converges without a penalty: the default fit is unpenalized and its line says nothing of one.
    let cdnow = try LifetimeReferenceTests.analysis()
    #expect(cdnow.bgnbd!.penalty == 0 && cdnow.gammaGamma!.penalty == 0)
    #expect(!cdnow.lines.joined().contains("penalizer"))
    // A fit that does not converge even with a penalty names it and asks for a larger one.
    #expect(LifetimeError.didNotConverge(model: "Gamma-Gamma", iterations: 9, gradient: 0.5, penalty: 0.001).description
      == "the Gamma-Gamma fit did not converge with penalizer_coef 0.001: after 9 iterations the largest gradient component is 0.5, "
      + "expected at most 1e-6; the likelihood is flat there (too few repeat purchases, or customers who differ too little for the model "
      + "to tell its parameters apart); fix: a larger penalty (--spend-penalizer 0.01, lifetimes' penalizer_coef) keeps the fit off the "
      + "flat edges, at the cost of a small bias")
  }
}
