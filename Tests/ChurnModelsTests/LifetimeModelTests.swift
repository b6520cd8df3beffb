import ChurnCore
@testable import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// The BTYD models' special functions, optimizer and errors, against closed forms.
@Suite("Lifetime models")
struct LifetimeModelTests {
  @Test("digamma equals known values and the recurrence")
  func digamma() {
    let eulerGamma = 0.57721566490153286
    #expect(abs(SpecialFunctions.digamma(1) + eulerGamma) < 1e-14)
    #expect(abs(SpecialFunctions.digamma(0.5) - (-eulerGamma - 2 * log(2.0))) < 1e-14)
    for x in [0.01, 0.3, 2.5, 7.0, 120.0] {
      #expect(abs(SpecialFunctions.digamma(x + 1) - SpecialFunctions.digamma(x) - 1 / x) < 1e-12 * max(1, 1 / x))
      // The derivative of ln Γ, by a central difference.
      let h = 1e-5 * x
      let numeric = (lgamma(x + h) - lgamma(x - h)) / (2 * h)
      #expect(abs(SpecialFunctions.digamma(x) - numeric) < 1e-6 * max(1, abs(numeric)))
    }
  }

  @Test("the hypergeometric series equals its closed forms, up to z near 1")
  func hypergeometric() {
    for z in [0.0, 0.1, 0.5, 0.9, 0.999] {
      // ₂F₁(1, 1; 2; z) = −ln(1 − z)/z and ₂F₁(a, b; b; z) = (1 − z)^−a.
      let log1 = z == 0 ? 0 : log(-log1p(-z) / z)
      #expect(abs(SpecialFunctions.logHypergeometric2F1(1, 1, 2, z) - log1) < 1e-12)
      #expect(abs(SpecialFunctions.logHypergeometric2F1(3.7, 2.2, 2.2, z) - (-3.7 * log1p(-z))) < 1e-12)
      // Large parameters: the sum is rescaled instead of overflowing. ₂F₁(a, b; b; z) again.
      #expect(abs(SpecialFunctions.logHypergeometric2F1(900, 50, 50, z) - (-900 * log1p(-z))) < 1e-9 * max(1, 900 * -log1p(-z)))
    }
  }

  @Test("Euler's transformation gives the series' value with far fewer terms")
  func euler() {
    for (a, b, c, z) in [(50.6, 40.0, 51.6, 0.9), (3.2, 2.5, 4.2, 0.5), (120.0, 110.0, 121.0, 0.99), (0.8, 0.3, 1.8, 0.2)] {
      let direct = SpecialFunctions.logSeries2F1(a, b, c, z, maximumTerms: 20_000_000)
      #expect(abs(SpecialFunctions.logHypergeometric2F1(a, b, c, z) - direct) < 1e-12 * max(1, abs(direct)), "\(a), \(b), \(c), \(z)")
    }
    // Within 1,000 terms only through the transformation.
    #expect(SpecialFunctions.logSeries2F1(120, 110, 121, 0.99, maximumTerms: 1_000).isNaN)
    #expect(SpecialFunctions.logHypergeometric2F1(120, 110, 121, 0.99, maximumTerms: 1_000).isFinite)
  }

  @Test("Gauss–Kronrod quadrature: closed-form integrals to 1e-14, however steep")
  func quadrature() {
    // ∫ₐᵇ e^(−k(t−a)) dt = (1 − e^(−k(b−a)))/k; ∫₀¹ (1+t)^−m dt = (1 − 2^(1−m))/(m − 1).
    for (k, a, b) in [(1.0, 0.0, 1.0), (50.0, 0.0, 1.0), (3000.0, 2.0, 7.0), (1e-3, 0.0, 5.0)] {
      let exact = log(-expm1(-k * (b - a)) / k)
      let ours = SpecialFunctions.logIntegralOfDecreasing(from: a, to: b) { -k * ($0 - a) }
      #expect(abs(ours - exact) < 1e-14 * max(1, abs(exact)), "k \(k): \(ours) against \(exact)")
    }
    for m in [2.0, 40.0, 400.0] {
      let exact = log(-expm1((1 - m) * log(2.0)) / (m - 1))
      let ours = SpecialFunctions.logIntegralOfDecreasing(from: 0, to: 1) { -m * log1p($0) }
      #expect(abs(ours - exact) < 1e-14 * max(1, abs(exact)), "m \(m)")
    }
    #expect(SpecialFunctions.logIntegralOfDecreasing(from: 3, to: 3) { -$0 } == -.infinity)
  }

  @Test("Pareto/NBD's A₀ by quadrature equals ₂F₁'s series to 1e-12, up to z = 0.999, where the fit uses it")
  func paretoQuadrature() {
    let histories = [PurchaseHistory(frequency: 0, recency: 0, age: 0.9), PurchaseHistory(frequency: 1, recency: 0.1, age: 0.6),
                     PurchaseHistory(frequency: 12, recency: 0.7, age: 1), PurchaseHistory(frequency: 44, recency: 0.98, age: 1),
                     PurchaseHistory(frequency: 5, recency: 0.02, age: 0.8)]
    // α < β and α > β, near and far apart (the demo's orders fit at about r 22, α 1.1, s 56, β 116 in scaled time).
    for m in [ParetoNBD(r: 0.55, alpha: 0.2, s: 0.6, beta: 0.25), ParetoNBD(r: 22, alpha: 1.1, s: 56, beta: 116),
              ParetoNBD(r: 3, alpha: 40, s: 0.5, beta: 0.05), ParetoNBD(r: 0.8, alpha: 0.01, s: 2, beta: 9)] {
      for h in histories {
        let series = m.logA0BySeries(h), quadrature = m.logA0ByQuadrature(h)
        #expect(abs(series - quadrature) < 1e-12 * max(1, abs(series)), "\(m) \(h): \(series) against \(quadrature)")
      }
    }
    // Where drop-out hardly varies (s and β grown together), the series gives up; quadrature does not.
    let flat = ParetoNBD(r: 22, alpha: 1.1, s: 5e6, beta: 1e7)
    let h = PurchaseHistory(frequency: 12, recency: 0.3, age: 1)
    #expect(flat.logA0BySeries(h).isNaN && flat.logA0ByQuadrature(h).isFinite && flat.logLikelihood(h).isFinite)
  }

  @Test("the analytic gradients equal central differences")
  func gradients() {
    let histories = [PurchaseHistory(frequency: 0, recency: 0, age: 30), PurchaseHistory(frequency: 1, recency: 4, age: 20, meanSpend: 12),
                     PurchaseHistory(frequency: 6, recency: 25, age: 31, meanSpend: 40.5), PurchaseHistory(frequency: 2, recency: 2, age: 9, meanSpend: 3)]
    let bg = [0.4, 3.0, 0.8, 2.5]
    let (_, g) = BGNBD(r: bg[0], alpha: bg[1], a: bg[2], b: bg[3]).logLikelihoodAndGradient(histories)
    for i in 0..<4 {
      var up = bg, down = bg
      up[i] += 1e-6
      down[i] -= 1e-6
      let numeric = (BGNBD(r: up[0], alpha: up[1], a: up[2], b: up[3]).logLikelihood(histories)
        - BGNBD(r: down[0], alpha: down[1], a: down[2], b: down[3]).logLikelihood(histories)) / 2e-6
      #expect(abs(g[i] - numeric) < 1e-6 * max(1, abs(numeric)), "BG/NBD parameter \(i): \(g[i]) against \(numeric)")
    }
    let gg = [2.0, 3.5, 10.0]
    let spenders = histories.filter(GammaGamma.isFittable)
    let (_, h) = GammaGamma(p: gg[0], q: gg[1], v: gg[2]).logLikelihoodAndGradient(spenders)
    for i in 0..<3 {
      var up = gg, down = gg
      up[i] += 1e-6
      down[i] -= 1e-6
      let numeric = (GammaGamma(p: up[0], q: up[1], v: up[2]).logLikelihood(spenders) - GammaGamma(p: down[0], q: down[1], v: down[2]).logLikelihood(spenders)) / 2e-6
      #expect(abs(h[i] - numeric) < 1e-6 * max(1, abs(numeric)), "Gamma-Gamma parameter \(i): \(h[i]) against \(numeric)")
    }
  }

  @Test("expected purchases: 0 at t = 0, increasing in t, and P(alive) is 1 without repeat purchases")
  func predictions() {
    let model = BGNBD(r: 0.24, alpha: 30.9, a: 0.79, b: 2.43)
    let h = PurchaseHistory(frequency: 3, recency: 100, age: 200)
    #expect(model.expectedPurchases(within: 0, h) == 0)
    let curve = [1.0, 30, 90, 365, 3650].map { model.expectedPurchases(within: $0, h) }
    #expect(zip(curve, curve.dropFirst()).allSatisfy { $0 < $1 })
    #expect(model.probabilityAlive(PurchaseHistory(frequency: 0, recency: 0, age: 300)) == 1)
    // A recent buyer is likelier alive than one who stopped long ago.
    #expect(model.probabilityAlive(PurchaseHistory(frequency: 3, recency: 190, age: 200)) > model.probabilityAlive(h))
  }

  @Test("P(no purchase in t) is the likelihood of the history extended by t without purchases over the history's")
  func noPurchase() {
    let model = BGNBD(r: 0.24, alpha: 30.9, a: 0.79, b: 2.43)
    for h in [PurchaseHistory(frequency: 0, recency: 0, age: 50), PurchaseHistory(frequency: 1, recency: 10, age: 200),
              PurchaseHistory(frequency: 7, recency: 180, age: 200)] {
      for t in [1.0, 90, 1000] {
        let longer = PurchaseHistory(frequency: h.frequency, recency: h.recency, age: h.age + t)
        let ratio = exp(model.logLikelihood([longer]) - model.logLikelihood([h]))
        #expect(abs(model.probabilityOfNoPurchase(within: t, h) - ratio) < 1e-12, "\(h), t \(t)")
        // Pareto/NBD: the expected purchases grow with t, and P(none) falls.
        let pareto = ParetoNBD(r: 0.55, alpha: 74, s: 0.61, beta: 82)
        #expect(pareto.probabilityOfNoPurchase(within: t, h) > pareto.probabilityOfNoPurchase(within: t * 2, h))
        #expect(pareto.expectedPurchases(within: t, h) < pareto.expectedPurchases(within: t * 2, h))
      }
      #expect(model.probabilityOfNoPurchase(within: 0, h) == 1)
      #expect(abs(model.probabilityOfNoPurchase(within: 1e300, h) - (1 - model.probabilityAlive(h))) < 1e-6)
    }
  }

  @Test("Pareto/NBD's fit sums each distinct history once, weighted by its count: the same likelihood as every customer's")
  func distinctHistories() {
    var rng = SeededGenerator(seed: 29)
    // Days on a short grid, so histories repeat; spend differs and must not split a history.
    let histories = (0..<500).map { _ -> PurchaseHistory in
      let age = Double(20 + Int(rng.uniform() * 4)), x = Int(rng.uniform() * 3)
      return PurchaseHistory(frequency: x, recency: x == 0 ? 0 : Double(1 + Int(rng.uniform() * 19)), age: age, meanSpend: x == 0 ? nil : rng.uniform())
    }
    let (distinct, counts) = ParetoNBD.distinct(histories)
    #expect(counts.reduce(0, +) == 500 && distinct.count < 150 && distinct.count > 20, "\(distinct.count) distinct")
    #expect(zip(distinct, distinct.dropFirst()).allSatisfy { ($0.frequency, $0.recency, $0.age) < ($1.frequency, $1.recency, $1.age) })
    for (h, count) in zip(distinct, counts) {
      #expect(Double(histories.filter { ($0.frequency, $0.recency, $0.age) == (h.frequency, h.recency, h.age) }.count) == count)
    }
    let model = ParetoNBD(r: 0.6, alpha: 12, s: 0.4, beta: 9)
    let weighted = zip(distinct, counts).reduce(0) { $0 + $1.1 * model.logLikelihood($1.0) }
    let all = model.logLikelihood(histories)
    #expect(abs(weighted - all) <= 1e-10 * abs(all), "\(weighted) against \(all)")
  }

  @Test("fit errors say what was found")
  func errors() {
    #expect(throws: LifetimeError.noCustomers) { try BGNBD.fit([]) }
    let once = [PurchaseHistory(frequency: 0, recency: 0, age: 10), PurchaseHistory(frequency: 0, recency: 0, age: 3)]
    #expect(throws: LifetimeError.noRepeatPurchases(customers: 2)) { try BGNBD.fit(once) }
    #expect(throws: LifetimeError.tooFewSpenders(found: 1)) {
      try GammaGamma.fit(once + [PurchaseHistory(frequency: 2, recency: 5, age: 9, meanSpend: 10), PurchaseHistory(frequency: 1, recency: 1, age: 9, meanSpend: 0)])
    }
    #expect(LifetimeError.noCustomers.description == "no customers to fit; expected customers with at least one purchase")
    #expect(LifetimeError.noRepeatPurchases(customers: 2).description
      == "none of the 2 customers made a repeat purchase (a purchase on a later day than their first); BG/NBD needs repeat purchases to learn how often customers buy: use a later --as-of or more of the log's event types as purchases")
    #expect(LifetimeError.tooFewSpenders(found: 1).description
      == "Gamma-Gamma needs at least 2 customers with repeat purchases of positive mean value; found 1: check the value column (--value-column) or use a later --as-of")
    #expect(LifetimeError.didNotConverge(model: "BG/NBD", iterations: 2000, gradient: 0.5).description
      == "the BG/NBD fit did not converge: after 2000 iterations the largest gradient component is 0.5, expected at most 1e-6; "
      + "the likelihood is flat there (too few repeat purchases, or customers who differ too little for the model to tell its parameters apart); "
      + "fix: a penalty (--penalizer 0.001, lifetimes' penalizer_coef) keeps the fit off the flat edges, at the cost of a small bias")
    #expect(LifetimeError.infiniteMeanSpend(q: 0.5).description
      == "Gamma-Gamma fitted q = 0.5 ≤ 1, for which the expected spend per purchase is infinite; the spend values are too heavy-tailed for the model (look for outliers in the value column)")
  }

  @Test("BFGS reports a fit it could not finish as not converged")
  func notConverged() {
    var bfgs = LogParameterBFGS()
    bfgs.maximumIterations = 2
    // Rosenbrock's valley: two iterations are not enough.
    let outcome = bfgs.minimize(from: [-1.2, 1]) { x in
      let a = 1 - x[0], b = x[1] - x[0] * x[0]
      return (a * a + 100 * b * b, [-2 * a - 400 * x[0] * b, 200 * b])
    }
    #expect(!outcome.converged && outcome.iterations == 2)
    let full = LogParameterBFGS().minimize(from: [-1.2, 1]) { x in
      let a = 1 - x[0], b = x[1] - x[0] * x[0]
      return (a * a + 100 * b * b, [-2 * a - 400 * x[0] * b, 200 * b])
    }
    #expect(full.converged && abs(full.point[0] - 1) < 1e-8 && abs(full.point[1] - 1) < 1e-8)
  }
}
