#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Gamma–Gamma model of spend per purchase (Fader, Hardie & Lee 2005b, "RFM and CLV: using
/// iso-value curves for customer base analysis", JMR 42(4); Fader & Hardie's note 025): a
/// customer's purchase values are Gamma(p, ν) with ν ~ Gamma(q, v) across customers, independent
/// of how often they buy. Its parameters are those of lifetimes' `GammaGammaFitter`.
///
/// The log-likelihood of a customer with x repeat purchases of mean value m̄:
/// ```
/// ℓ = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + (px−1) ln m̄ + px ln x − (px+q) ln(x m̄ + v)
/// ```
public struct GammaGamma: Sendable, Equatable, Codable {
  public var p: Double
  public var q: Double
  public var v: Double

  /// - Precondition: every parameter positive and finite.
  public init(p: Double, q: Double, v: Double) {
    precondition([p, q, v].allSatisfy { $0 > 0 && $0.isFinite }, "GammaGamma(p: \(p), q: \(q), v: \(v)): expected positive finite parameters")
    self.p = p
    self.q = q
    self.v = v
  }

  /// The customers the model is fitted on: repeat purchases with a positive mean value.
  public static func isFittable(_ h: PurchaseHistory) -> Bool {
    h.frequency > 0 && (h.meanSpend ?? 0) > 0
  }

  /// The maximum-likelihood Gamma–Gamma parameters of the customers of `histories` with repeat
  /// purchases of positive mean value (the others, and customers without a value, are left out),
  /// without a penalty by default (lifetimes' `penalizer_coef` 0).
  ///
  /// Values are scaled by their mean while fitting (only v moves with the scale); BFGS on the
  /// log-parameters from (p, q, v) = e^0.1, until every gradient component is below 1e-9.
  ///
  /// With `penalty` c > 0, lifetimes' `penalizer_coef`: c · (p² + q² + v²), v in the values'
  /// own unit (lifetimes does not scale them), added to the mean negative log-likelihood.
  ///
  /// - Throws: `LifetimeError.tooFewSpenders` with fewer than 2 such customers,
  ///   `.didNotConverge` when BFGS stops short, `.infiniteMeanSpend` when q ≤ 1.
  public static func fit(_ histories: [PurchaseHistory], penalty: Double = 0) throws(LifetimeError) -> LifetimeFit<GammaGamma> {
    precondition(penalty >= 0 && penalty.isFinite, "GammaGamma.fit(penalty: \(penalty)): expected a finite penalty ≥ 0")
    let used = histories.filter(isFittable)
    guard used.count >= 2 else { throw .tooFewSpenders(found: used.count) }
    let scale = Double(used.count) / used.reduce(0) { $0 + $1.meanSpend! }
    let scaled = used.map { PurchaseHistory(frequency: $0.frequency, recency: $0.recency, age: $0.age, meanSpend: $0.meanSpend! * scale) }
    let outcome = LogParameterBFGS().minimize(from: [0.1, 0.1, 0.1]) { theta in
      let model = GammaGamma(unchecked: theta.map(exp))
      let (value, gradient) = model.logLikelihoodAndGradient(scaled)
      let n = Double(scaled.count)
      // The penalty on (p, q, v) with v in the values' unit, and its derivative in ln θ: 2 c θ².
      let p = [model.p, model.q, model.v / scale]
      return (-value / n + penalty * p.reduce(0) { $0 + $1 * $1 },
              [-gradient[0] * model.p / n + 2 * penalty * p[0] * p[0], -gradient[1] * model.q / n + 2 * penalty * p[1] * p[1],
               -gradient[2] * model.v / n + 2 * penalty * p[2] * p[2]])
    }
    guard outcome.converged else {
      throw .didNotConverge(model: "Gamma-Gamma", iterations: outcome.iterations, gradient: outcome.gradient.map(abs).max() ?? .nan,
                            penalty: penalty)
    }
    let e = outcome.point.map(exp)
    let model = GammaGamma(p: e[0], q: e[1], v: e[2] / scale)
    guard model.q > 1 else { throw .infiniteMeanSpend(q: model.q) }
    return LifetimeFit(model: model, logLikelihood: model.logLikelihood(used), iterations: outcome.iterations, customers: used.count,
                       penalty: penalty)
  }

  private init(unchecked e: [Double]) {
    p = e[0]
    q = e[1]
    v = e[2]
  }

  /// The total log-likelihood of the fittable customers of `histories` (see the type's formula).
  public func logLikelihood(_ histories: [PurchaseHistory]) -> Double {
    logLikelihoodAndGradient(histories.filter(Self.isFittable), gradient: false).value
  }

  func logLikelihoodAndGradient(_ histories: [PurchaseHistory], gradient wanted: Bool = true) -> (value: Double, gradient: [Double]) {
    let constant = -SpecialFunctions.logGamma(q) + q * log(v)
    let psiQ = wanted ? SpecialFunctions.digamma(q) : 0
    var total = 0.0
    var g = [0.0, 0.0, 0.0]
    for h in histories {
      let x = Double(h.frequency), m = h.meanSpend!
      let px = p * x
      total += constant + SpecialFunctions.logGamma(px + q) - SpecialFunctions.logGamma(px) + (px - 1) * log(m) + px * log(x)
        - (px + q) * log(x * m + v)
      guard wanted else { continue }
      let psiPXQ = SpecialFunctions.digamma(px + q)
      g[0] += x * (psiPXQ - SpecialFunctions.digamma(px) + log(m) + log(x) - log(x * m + v))
      g[1] += psiPXQ - psiQ + log(v) - log(x * m + v)
      g[2] += q / v - (px + q) / (x * m + v)
    }
    return (total, g)
  }

  /// E[M | p, q, v, m̄, x]: the expected value of the customer's purchases, a weighted average
  /// of the population mean pv/(q−1) and the customer's own mean m̄ (the population mean without
  /// repeat purchases):
  /// ```
  /// E[M] = (1 − w) · pv/(q−1) + w · m̄,   w = px / (px + q − 1)
  /// ```
  public func expectedSpend(_ h: PurchaseHistory) -> Double {
    let population = p * v / (q - 1)
    guard h.frequency > 0, let m = h.meanSpend else { return population }
    let px = p * Double(h.frequency)
    let weight = px / (px + q - 1)
    return (1 - weight) * population + weight * m
  }
}
