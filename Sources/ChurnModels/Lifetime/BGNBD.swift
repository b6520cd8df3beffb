#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, "Counting your customers
/// the easy way: an alternative to the Pareto/NBD model", Marketing Science 24(2)): while
/// alive, a customer buys as a Poisson process of rate λ ~ Gamma(r, α); after each purchase
/// they drop out with probability p ~ Beta(a, b). Its parameters are those of lifetimes'
/// `BetaGeoFitter`; α is in the time unit of the histories (days or weeks).
///
/// The log-likelihood of a customer with x repeat purchases, recency tₓ and age T (Fader, Hardie
/// & Lee's note 004, without the hypergeometric function):
/// ```
/// ℓ = ln Γ(r+x) − ln Γ(r) + r ln α + ln Γ(a+b) + ln Γ(b+x) − ln Γ(b) − ln Γ(a+b+x)
///     + ln( (α+T)^−(r+x) + [x > 0] a/(b+x−1) (α+tₓ)^−(r+x) )
/// ```
public struct BGNBD: Sendable, Equatable, Codable {
  public var r: Double
  public var alpha: Double
  public var a: Double
  public var b: Double

  /// - Precondition: every parameter positive and finite.
  public init(r: Double, alpha: Double, a: Double, b: Double) {
    precondition([r, alpha, a, b].allSatisfy { $0 > 0 && $0.isFinite }, "BGNBD(r: \(r), alpha: \(alpha), a: \(a), b: \(b)): expected positive finite parameters")
    self.r = r
    self.alpha = alpha
    self.a = a
    self.b = b
  }

  /// The maximum-likelihood BG/NBD parameters of `histories`, without a penalty by default
  /// (lifetimes' `penalizer_coef` 0).
  ///
  /// Times are scaled so that the oldest customer's age is 1 while fitting (as lifetimes does;
  /// only α moves with the scale), then the mean negative log-likelihood is minimized over the
  /// log-parameters by BFGS with the analytic gradient from (r, α, a, b) = e^0.1, lifetimes'
  /// start, until every gradient component is below 1e-9.
  ///
  /// With `penalty` c > 0, lifetimes' `penalizer_coef`: c · (r² + α² + a² + b²) is added to the
  /// mean negative log-likelihood, α in the scaled time (the oldest age 1), as lifetimes adds it.
  /// It keeps the optimum away from the edges where the likelihood flattens out (a and b growing
  /// together when drop-out hardly varies between customers), at the cost of a small bias.
  ///
  /// - Throws: `LifetimeError.noCustomers`, `.noRepeatPurchases` when no customer repeats,
  ///   `.didNotConverge` when BFGS stops short of a stationary point.
  /// - Complexity: O(customers) per iteration; a few dozen iterations.
  public static func fit(_ histories: [PurchaseHistory], penalty: Double = 0) throws(LifetimeError) -> LifetimeFit<BGNBD> {
    precondition(penalty >= 0 && penalty.isFinite, "BGNBD.fit(penalty: \(penalty)): expected a finite penalty ≥ 0")
    guard !histories.isEmpty else { throw .noCustomers }
    guard histories.contains(where: { $0.frequency > 0 }) else { throw .noRepeatPurchases(customers: histories.count) }
    let oldest = histories.map(\.age).max()!
    let scale = 1 / oldest
    let scaled = histories.map { PurchaseHistory(frequency: $0.frequency, recency: $0.recency * scale, age: $0.age * scale) }
    let outcome = LogParameterBFGS().minimize(from: [0.1, 0.1, 0.1, 0.1]) { theta in
      let model = BGNBD(unchecked: theta.map(exp))
      let (value, gradient) = model.logLikelihoodAndGradient(scaled)
      // The mean negative log-likelihood and its gradient over log-parameters (∂/∂ln θ = θ ∂/∂θ).
      let n = Double(scaled.count)
      let p = model.values
      // The penalty c Σ θ², and its derivative in ln θ: 2 c θ².
      return (-value / n + penalty * p.reduce(0) { $0 + $1 * $1 }, (0..<4).map { -gradient[$0] * p[$0] / n + 2 * penalty * p[$0] * p[$0] })
    }
    guard outcome.converged else {
      throw .didNotConverge(model: "BG/NBD", iterations: outcome.iterations, gradient: outcome.gradient.map(abs).max() ?? .nan,
                            penalty: penalty)
    }
    let p = outcome.point.map(exp)
    let model = BGNBD(r: p[0], alpha: p[1] / scale, a: p[2], b: p[3])
    return LifetimeFit(model: model, logLikelihood: model.logLikelihood(histories), iterations: outcome.iterations, customers: histories.count,
                       penalty: penalty)
  }

  private init(unchecked p: [Double]) {
    r = p[0]
    alpha = p[1]
    a = p[2]
    b = p[3]
  }

  private var values: [Double] { [r, alpha, a, b] }

  /// The total log-likelihood of `histories` (see the type's formula).
  public func logLikelihood(_ histories: [PurchaseHistory]) -> Double {
    logLikelihoodAndGradient(histories, gradient: false).value
  }

  /// The total log-likelihood and its gradient with respect to (r, α, a, b).
  func logLikelihoodAndGradient(_ histories: [PurchaseHistory], gradient wanted: Bool = true) -> (value: Double, gradient: [Double]) {
    let lnAlpha = log(alpha)
    let constant = -SpecialFunctions.logGamma(r) + r * lnAlpha + SpecialFunctions.logGamma(a + b) - SpecialFunctions.logGamma(b)
    let psiR = wanted ? SpecialFunctions.digamma(r) : 0, psiAB = wanted ? SpecialFunctions.digamma(a + b) : 0
    let psiB = wanted ? SpecialFunctions.digamma(b) : 0
    var total = 0.0
    var g = [0.0, 0.0, 0.0, 0.0]
    for h in histories {
      let x = Double(h.frequency)
      let rx = r + x
      let a1a2 = constant + SpecialFunctions.logGamma(rx) + SpecialFunctions.logGamma(b + x) - SpecialFunctions.logGamma(a + b + x)
      let a3 = -rx * log(alpha + h.age)
      var mix = a3, w4 = 0.0
      var a4 = -Double.infinity
      if h.frequency > 0 {
        a4 = log(a) - log(b + x - 1) - rx * log(alpha + h.recency)
        let top = max(a3, a4)
        let e3 = exp(a3 - top), e4 = exp(a4 - top)
        mix = top + log(e3 + e4)
        w4 = e4 / (e3 + e4)
      }
      total += a1a2 + mix
      guard wanted else { continue }
      let w3 = 1 - w4
      let psiRX = SpecialFunctions.digamma(rx), psiABX = SpecialFunctions.digamma(a + b + x)
      g[0] += psiRX - psiR + lnAlpha - w3 * log(alpha + h.age) - w4 * log(alpha + h.recency)
      g[1] += r / alpha - w3 * rx / (alpha + h.age) - w4 * rx / (alpha + h.recency)
      g[2] += psiAB - psiABX + w4 / a
      g[3] += psiAB + SpecialFunctions.digamma(b + x) - psiB - psiABX - (h.frequency > 0 ? w4 / (b + x - 1) : 0)
    }
    return (total, g)
  }

  /// P(alive | x, tₓ, T): the probability that the customer has not dropped out (Fader, Hardie
  /// & Lee's note 021); 1 without repeat purchases, since BG/NBD customers drop out only just
  /// after a purchase.
  /// ```
  /// P(alive) = 1 / (1 + [x > 0] a/(b+x−1) ((α+T)/(α+tₓ))^(r+x))
  /// ```
  public func probabilityAlive(_ h: PurchaseHistory) -> Double {
    guard h.frequency > 0 else { return 1 }
    let x = Double(h.frequency)
    let logOdds = (r + x) * log((alpha + h.age) / (alpha + h.recency)) + log(a / (b + x - 1))
    return 1 / (1 + exp(logOdds))
  }

  /// P(X(T, T+t) = 0 | x, tₓ, T): the probability of no purchase in the next `t` time units.
  /// A customer makes none either because they have dropped out, or because, alive, their
  /// Poisson process has no event in t; given alive, λ's posterior is Gamma(r + x, α + T) (the
  /// drop-out coin is tossed only after purchases, independent of λ), so
  /// ```
  /// P(none in t) = 1 − P(alive) · (1 − ((α+T)/(α+T+t))^(r+x))
  /// ```
  /// Unlike P(alive), which is 1 for every customer without repeat purchases, it falls with the
  /// time since the last purchase for them too: the ranking of who will not buy again.
  public func probabilityOfNoPurchase(within t: Double, _ h: PurchaseHistory) -> Double {
    precondition(t >= 0, "probabilityOfNoPurchase(within: \(t)): expected t ≥ 0")
    let silentIfAlive = exp((r + Double(h.frequency)) * log((alpha + h.age) / (alpha + h.age + t)))
    return 1 - probabilityAlive(h) * (1 - silentIfAlive)
  }

  /// E[X(T, T+t) | x, tₓ, T]: the expected number of purchases in the next `t` time units
  /// (Fader, Hardie & Lee 2005, equation 10):
  /// ```
  /// E = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
  ///     / (1 + [x > 0] a/(b+x−1) ((α+T)/(α+tₓ))^(r+x))
  /// ```
  /// - Returns: the expectation, or NaN if ₂F₁'s series does not converge (t vastly longer
  ///   than α + T) or a + b + x − 1 ≤ 0 (a + b < 1 and x = 0).
  public func expectedPurchases(within t: Double, _ h: PurchaseHistory) -> Double {
    precondition(t >= 0, "expectedPurchases(within: \(t)): expected t ≥ 0")
    if t == 0 { return 0 }
    let x = Double(h.frequency)
    let c = a + b + x - 1
    guard c > 0 else { return .nan }
    let z = t / (alpha + h.age + t)
    let logH = SpecialFunctions.logHypergeometric2F1(r + x, b + x, c, z)
    let bracket = -expm1(logH + (r + x) * log((alpha + h.age) / (alpha + h.age + t)))
    let denominator = 1 + (h.frequency > 0 ? a / (b + x - 1) * pow((alpha + h.age) / (alpha + h.recency), r + x) : 0)
    return c / (a - 1) * bracket / denominator
  }
}
