#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Pareto/NBD model of repeat purchasing (Schmittlein, Morrison & Colombo 1987, "Counting
/// your customers: who are they and what will they do next?", Management Science 33(1)): while
/// alive, a customer buys as a Poisson process of rate λ ~ Gamma(r, α); their lifetime is
/// exponential with rate μ ~ Gamma(s, β), so they can drop out at any time (not only after a
/// purchase, as in BG/NBD). Its parameters are those of lifetimes' `ParetoNBDFitter`; α and β are
/// in the time unit of the histories.
///
/// The log-likelihood of a customer with x repeat purchases, recency tₓ and age T (Fader & Hardie's
/// note 009, equations 18–20):
/// ```
/// ℓ = ln Γ(r+x) − ln Γ(r) + r ln α + s ln β
///     + ln( (α+T)^−(r+x) (β+T)^−s + s/(r+s+x) · A₀ )
/// A₀ = ₂F₁(r+s+x, u; r+s+x+1; |α−β|/(m+tₓ)) / (m+tₓ)^(r+s+x) − ₂F₁(r+s+x, u; r+s+x+1; |α−β|/(m+T)) / (m+T)^(r+s+x)
/// m = max(α, β);  u = s+1 when α ≥ β, r+x when α < β
/// ```
public struct ParetoNBD: Sendable, Equatable, Codable {
  public var r: Double
  public var alpha: Double
  public var s: Double
  public var beta: Double

  /// - Precondition: every parameter positive and finite.
  public init(r: Double, alpha: Double, s: Double, beta: Double) {
    precondition([r, alpha, s, beta].allSatisfy { $0 > 0 && $0.isFinite }, "ParetoNBD(r: \(r), alpha: \(alpha), s: \(s), beta: \(beta)): expected positive finite parameters")
    self.r = r
    self.alpha = alpha
    self.s = s
    self.beta = beta
  }

  /// The maximum-likelihood Pareto/NBD parameters of `histories`, without a penalty by default
  /// (lifetimes' `penalizer_coef` 0).
  ///
  /// Times are scaled so that the oldest customer's age is 1 (as lifetimes does); the mean
  /// negative log-likelihood is minimized by BFGS over the log-parameters from (1, 1, 1, 1), with
  /// a central-difference gradient (step 1e-5: ₂F₁'s derivatives in its parameters have no
  /// closed form), until the function is flat to rounding and every gradient component is below
  /// 1e-6. lifetimes fits by Nelder–Mead; both find the same maximum on CDNOW to 1e-4.
  ///
  /// With `penalty` c > 0, lifetimes' `penalizer_coef` as its `ParetoNBDFitter` applies it:
  /// c · (r² + α² + s² + β²), α and β in the scaled time, added to the *total* negative
  /// log-likelihood (lifetimes divides the weighted sum by the mean weight, 1 a customer), where
  /// BG/NBD and Gamma–Gamma add it to the mean: at the same c, a penalty n times weaker.
  ///
  /// - Throws: `LifetimeError.noCustomers`, `.noRepeatPurchases`, `.didNotConverge`.
  public static func fit(_ histories: [PurchaseHistory], penalty: Double = 0) throws(LifetimeError) -> LifetimeFit<ParetoNBD> {
    precondition(penalty >= 0 && penalty.isFinite, "ParetoNBD.fit(penalty: \(penalty)): expected a finite penalty ≥ 0")
    guard !histories.isEmpty else { throw .noCustomers }
    guard histories.contains(where: { $0.frequency > 0 }) else { throw .noRepeatPurchases(customers: histories.count) }
    let scale = 1 / histories.map(\.age).max()!
    // The likelihood depends on (x, tₓ, T) alone: each distinct history is evaluated once and
    // weighted by its count (in a fixed order, so the sum does not depend on hashing). Purchase
    // days make histories repeat; on a 200k-customer log most customers share theirs.
    let (distinct, counts) = Self.distinct(histories)
    let scaled = distinct.map { PurchaseHistory(frequency: $0.frequency, recency: $0.recency * scale, age: $0.age * scale) }
    let n = Double(histories.count)
    func objective(_ theta: [Double]) -> Double {
      guard theta.allSatisfy({ abs($0) < 300 }) else { return .infinity }
      let e = theta.map(exp)
      let model = ParetoNBD(r: e[0], alpha: e[1], s: e[2], beta: e[3])
      var total = 0.0
      for (h, count) in zip(scaled, counts) { total += count * model.logLikelihood(h) }
      return (-total + penalty * e.reduce(0) { $0 + $1 * $1 }) / n
    }
    var bfgs = LogParameterBFGS()
    bfgs.gradientTolerance = 1e-9
    let outcome = bfgs.minimize(from: [0, 0, 0, 0]) { theta in
      let value = objective(theta)
      let h = 1e-5
      let gradient = (0..<4).map { i -> Double in
        var up = theta, down = theta
        up[i] += h
        down[i] -= h
        return (objective(up) - objective(down)) / (2 * h)
      }
      return (value, gradient)
    }
    guard outcome.converged else {
      throw .didNotConverge(model: "Pareto/NBD", iterations: outcome.iterations, gradient: outcome.gradient.map(abs).max() ?? .nan,
                            penalty: penalty)
    }
    let e = outcome.point.map(exp)
    let model = ParetoNBD(r: e[0], alpha: e[1] / scale, s: e[2], beta: e[3] / scale)
    return LifetimeFit(model: model, logLikelihood: model.logLikelihood(histories), iterations: outcome.iterations, customers: histories.count,
                       penalty: penalty)
  }

  /// The distinct (x, tₓ, T) of `histories`, ordered by x, then tₓ, then T, and how many
  /// customers have each.
  ///
  /// - Complexity: O(n log n).
  static func distinct(_ histories: [PurchaseHistory]) -> (histories: [PurchaseHistory], counts: [Double]) {
    let sorted = histories.map { PurchaseHistory(frequency: $0.frequency, recency: $0.recency, age: $0.age) }.sorted {
      ($0.frequency, $0.recency, $0.age) < ($1.frequency, $1.recency, $1.age)
    }
    var distinct: [PurchaseHistory] = [], counts: [Double] = []
    for h in sorted {
      if let last = distinct.last, last == h { counts[counts.count - 1] += 1 } else {
        distinct.append(h)
        counts.append(1)
      }
    }
    return (distinct, counts)
  }

  /// The total log-likelihood of `histories` (see the type's formula).
  public func logLikelihood(_ histories: [PurchaseHistory]) -> Double {
    histories.reduce(0) { $0 + logLikelihood($1) }
  }

  /// One customer's log-likelihood; NaN when ₂F₁'s series does not converge.
  public func logLikelihood(_ h: PurchaseHistory) -> Double {
    let x = Double(h.frequency)
    let a1 = SpecialFunctions.logGamma(r + x) - SpecialFunctions.logGamma(r) + r * log(alpha) + s * log(beta)
    let silent = -(r + x) * log(alpha + h.age) - s * log(beta + h.age)
    let died = log(s) + logA0(h) - log(r + s + x)
    return a1 + Self.logAddExp(silent, died)
  }

  /// ₂F₁'s series is cut off at this many terms (NaN beyond): it converges like zⁿ, and z nears 1
  /// only where min(α, β) ≪ max(α, β), far from any optimum the fit would accept; the fit's line
  /// search steps back from such points instead of summing millions of terms per customer.
  static let seriesTerms = 100_000

  /// Above this |α − β| / max(α, β), A₀ comes from quadrature instead of ₂F₁'s series (see
  /// `logA0`): there the series needs at least ln ε / ln z ≈ 370 terms for the customer who
  /// bought last at time 0.
  static let seriesLimit = 0.9

  /// ln A₀ (see the type's formula); −∞ when tₓ = T; NaN when ₂F₁'s series does not converge
  /// within `seriesTerms` terms.
  ///
  /// Where ₂F₁'s argument can near 1 (|α − β| / max(α, β) > `seriesLimit`: one of α and β far
  /// larger, as when drop-out hardly varies between customers and s and β grow together), its
  /// series needs thousands of terms a customer (ln ε / ln z) and more as the fit moves on; A₀ is
  /// then the integral it stands for, by quadrature (`SpecialFunctions.logIntegralOfDecreasing`):
  /// ```
  /// A₀ = (r+s+x) ∫ from tₓ to T of (α+τ)^−(r+x) (β+τ)^−(s+1) dτ
  /// ```
  /// (a drop-out at τ, between the last purchase and the end of the data, with no purchase
  /// after tₓ). The choice depends on the parameters alone, so every customer's likelihood at
  /// a point comes from the same method.
  func logA0(_ h: PurchaseHistory) -> Double {
    abs(alpha - beta) / max(alpha, beta) > Self.seriesLimit ? logA0ByQuadrature(h) : logA0BySeries(h)
  }

  /// ln A₀ from its integral (see `logA0`).
  func logA0ByQuadrature(_ h: PurchaseHistory) -> Double {
    let x = Double(h.frequency)
    let (r, s) = (r, s)
    // The integrand over its value at tₓ, as ln(1 + (τ − tₓ)/(α + tₓ)) and likewise for β.
    let (a0, b0, tx) = (alpha + h.recency, beta + h.recency, h.recency)
    let logIntegral = SpecialFunctions.logIntegralOfDecreasing(from: h.recency, to: h.age) { tau in
      -(r + x) * log1p((tau - tx) / a0) - (s + 1) * log1p((tau - tx) / b0)
    }
    return log(r + s + x) - (r + x) * log(alpha + h.recency) - (s + 1) * log(beta + h.recency) + logIntegral
  }

  /// ln A₀ from ₂F₁'s series (see the type's formula).
  func logA0BySeries(_ h: PurchaseHistory) -> Double {
    let x = Double(h.frequency)
    let rsx = r + s + x
    let (low, high, u) = alpha < beta ? (alpha, beta, r + x) : (beta, alpha, s + 1)
    let early = SpecialFunctions.logHypergeometric2F1(rsx, u, rsx + 1, (high - low) / (high + h.recency), maximumTerms: Self.seriesTerms)
      - rsx * log(high + h.recency)
    let late = SpecialFunctions.logHypergeometric2F1(rsx, u, rsx + 1, (high - low) / (high + h.age), maximumTerms: Self.seriesTerms)
      - rsx * log(high + h.age)
    // A₀ = e^early − e^late ≥ 0 (the integral of a positive density over (tₓ, T]).
    return early + log(-expm1(late - early))
  }

  static func logAddExp(_ a: Double, _ b: Double) -> Double {
    if a == -.infinity { return b }
    if b == -.infinity { return a }
    let top = max(a, b)
    return top + log(exp(a - top) + exp(b - top))
  }

  /// P(alive | x, tₓ, T) (Fader & Hardie's note 009, equation 37):
  /// ```
  /// P(alive) = 1 / (1 + s/(r+s+x) · (α+T)^(r+x) (β+T)^s · A₀)
  /// ```
  public func probabilityAlive(_ h: PurchaseHistory) -> Double {
    let x = Double(h.frequency)
    let logA0 = logA0(h)
    if logA0 == -.infinity { return 1 }
    return 1 / (1 + exp(log(s) - log(r + s + x) + (r + x) * log(alpha + h.age) + s * log(beta + h.age) + logA0))
  }

  /// E[X(T, T+t) | x, tₓ, T] (note 009, equation 41):
  /// ```
  /// E = Γ(r+x) α^r β^s / (Γ(r) (α+T)^(r+x) (β+T)^s) · (r+x)(β+T)/((α+T)(s−1)) · (1 − ((β+T)/(β+T+t))^(s−1)) / L
  /// ```
  /// with L the customer's likelihood: P(alive) times the expected purchases of a live customer.
  public func expectedPurchases(within t: Double, _ h: PurchaseHistory) -> Double {
    precondition(t >= 0, "expectedPurchases(within: \(t)): expected t ≥ 0")
    if t == 0 { return 0 }
    let x = Double(h.frequency)
    let first = SpecialFunctions.logGamma(r + x) - SpecialFunctions.logGamma(r) + r * log(alpha) + s * log(beta)
      - (r + x) * log(alpha + h.age) - s * log(beta + h.age)
    let second = log(r + x) + log(beta + h.age) - log(alpha + h.age)
    // (1 − ρ^(s−1))/(s−1) → −ln ρ as s → 1.
    let logRatio = log((beta + h.age) / (beta + h.age + t))
    let growth = abs(s - 1) < 1e-12 ? -logRatio : -expm1((s - 1) * logRatio) / (s - 1)
    return exp(first + second + log(growth) - logLikelihood(h))
  }

  /// P(X(T, T+t) = 0 | x, tₓ, T): the likelihood of the history extended by t without purchases
  /// over the likelihood of the history.
  public func probabilityOfNoPurchase(within t: Double, _ h: PurchaseHistory) -> Double {
    precondition(t >= 0, "probabilityOfNoPurchase(within: \(t)): expected t ≥ 0")
    if t == 0 { return 1 }
    let longer = PurchaseHistory(frequency: h.frequency, recency: h.recency, age: h.age + t)
    return exp(logLikelihood(longer) - logLikelihood(h))
  }
}
