#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The special functions the BTYD likelihoods and predictions need: ln Γ, the digamma function
/// ψ = (ln Γ)′ and the Gauss hypergeometric function ₂F₁.
enum SpecialFunctions {
  /// ln Γ(x) for x > 0 (the C library's `lgamma`).
  static func logGamma(_ x: Double) -> Double { lgamma(x) }

  /// ψ(x) = d ln Γ(x) / dx for x > 0.
  ///
  /// The recurrence ψ(x) = ψ(x + 1) − 1/x brings x to 10 or more, where the asymptotic series
  /// ```
  /// ψ(x) ≈ ln x − 1/(2x) − 1/(12x²) + 1/(120x⁴) − 1/(252x⁶) + 1/(240x⁸) − 1/(132x¹⁰) + 691/(32760x¹²)
  /// ```
  /// is accurate to about 1e-15 (the next term is 1/(12x¹⁴)).
  static func digamma(_ x: Double) -> Double {
    precondition(x > 0, "digamma(\(x)): expected a positive argument")
    var x = x, shift = 0.0
    while x < 10 {
      shift -= 1 / x
      x += 1
    }
    let inverse = 1 / x, square = inverse * inverse
    let series = square * (1.0 / 12 - square * (1.0 / 120 - square * (1.0 / 252 - square * (1.0 / 240 - square * (1.0 / 132 - square * 691 / 32760)))))
    return shift + log(x) - 0.5 * inverse - series
  }

  /// ln ₂F₁(a, b; c; z) for 0 ≤ z < 1 and a, b, c > 0, by its power series (every term positive,
  /// so the sum loses no digits to cancellation), rescaled as it grows so that it cannot overflow:
  /// ```
  /// ₂F₁(a, b; c; z) = Σₙ (a)ₙ (b)ₙ / ((c)ₙ n!) zⁿ
  /// ```
  /// When c − a and c − b are positive and smaller (a large a or b makes the terms grow for
  /// about b·z/(1 − z) terms before they fall), Euler's transformation gives the same value
  /// from a series whose terms fall from the start, still all positive:
  /// ```
  /// ₂F₁(a, b; c; z) = (1 − z)^(c−a−b) ₂F₁(c − a, c − b; c; z)
  /// ```
  /// - Returns: the logarithm, or NaN when the series has not converged after `maximumTerms`
  ///   terms (z within about 1e-6 of 1).
  /// - Complexity: O(terms), about ln(ε) / ln(z) once the terms decrease.
  static func logHypergeometric2F1(_ a: Double, _ b: Double, _ c: Double, _ z: Double, maximumTerms: Int = 20_000_000) -> Double {
    precondition(a > 0 && b > 0 && c > 0 && z >= 0 && z < 1, "logHypergeometric2F1(\(a), \(b), \(c), \(z)): expected a, b, c > 0 and 0 ≤ z < 1")
    if c - a > 0 && c - b > 0 && (c - a) * (c - b) < a * b {
      return (c - a - b) * log1p(-z) + logSeries2F1(c - a, c - b, c, z, maximumTerms: maximumTerms)
    }
    return logSeries2F1(a, b, c, z, maximumTerms: maximumTerms)
  }

  /// ln ₂F₁ by the power series alone (see `logHypergeometric2F1`).
  static func logSeries2F1(_ a: Double, _ b: Double, _ c: Double, _ z: Double, maximumTerms: Int) -> Double {
    var sum = 1.0, term = 1.0, logScale = 0.0
    for n in 0..<maximumTerms {
      let k = Double(n)
      let ratio = (a + k) * (b + k) / ((c + k) * (k + 1)) * z
      term *= ratio
      sum += term
      if sum > 1e250 {
        sum *= 1e-250
        term *= 1e-250
        logScale += 250 * log(10.0)
      }
      // Stop once the terms shrink and the rest (about a geometric tail term·ρ/(1 − ρ) with ρ
      // the next ratio, which tends to z) cannot change the sum.
      let next = (a + k + 1) * (b + k + 1) / ((c + k + 1) * (k + 2)) * z
      if next < 1 && term * next <= sum * 1e-17 * (1 - next) { return logScale + log(sum) }
    }
    return .nan
  }

  /// ln ∫ₐᵇ e^(d(t)) dt for d(t) = g(t) − g(a) of a function g that does not increase on [a, b]
  /// (so the integrand is at most 1, its value at a), by adaptive Gauss–Kronrod quadrature (the
  /// 7-point Gauss and 15-point Kronrod rules of QUADPACK's qk15): the interval whose two rules
  /// differ most is halved until the differences sum to at most 1e-13 of the integral (or 400
  /// intervals). For a smooth g this takes a few dozen intervals whatever the integrand's range:
  /// a steep fall near a gets intervals of its own. `d` is asked for as a difference so that it
  /// can be computed without the rounding of two large values of g (with `log1p`), which would
  /// otherwise set the rules apart by more than the tolerance.
  ///
  /// - Returns: the logarithm of the integral, −∞ when b ≤ a.
  static func logIntegralOfDecreasing(from a: Double, to b: Double, _ d: (Double) -> Double) -> Double {
    guard b > a else { return -.infinity }
    func rules(_ lo: Double, _ hi: Double) -> (kronrod: Double, error: Double) {
      let center = 0.5 * (lo + hi), half = 0.5 * (hi - lo)
      let middle = exp(d(center))
      var kronrod = kronrodWeights[7] * middle, gauss = gaussWeights[3] * middle
      for k in 0..<7 {
        let offset = half * kronrodNodes[k]
        let pair = exp(d(center - offset)) + exp(d(center + offset))
        kronrod += kronrodWeights[k] * pair
        if k % 2 == 1 { gauss += gaussWeights[k / 2] * pair }
      }
      return (kronrod * half, abs(kronrod - gauss) * half)
    }
    var intervals = [(lo: a, hi: b, rules: rules(a, b))]
    while intervals.count < 400 {
      let total = intervals.reduce(0) { $0 + $1.rules.kronrod }, error = intervals.reduce(0) { $0 + $1.rules.error }
      guard error > 1e-13 * total,
            let worst = intervals.indices.max(by: { intervals[$0].rules.error < intervals[$1].rules.error }) else { break }
      let (lo, hi) = (intervals[worst].lo, intervals[worst].hi), mid = 0.5 * (lo + hi)
      intervals[worst] = (lo, mid, rules(lo, mid))
      intervals.append((mid, hi, rules(mid, hi)))
    }
    // Summed in the order of the intervals along [a, b], so the result does not depend on the
    // order they were split in.
    return log(intervals.sorted { $0.lo < $1.lo }.reduce(0) { $0 + $1.rules.kronrod })
  }

  /// QUADPACK's qk15: the Kronrod nodes (positive half, the center last) and weights, and the
  /// weights of the embedded 7-point Gauss rule (at Kronrod nodes 1, 3, 5 and the center).
  static let kronrodNodes = [0.991455371120812639206854697526329, 0.949107912342758524526189684047851, 0.864864423359769072789712788640926,
                             0.741531185599394439863864773280788, 0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
                             0.207784955007898467600689403773245]
  static let kronrodWeights = [0.022935322010529224963732008058970, 0.063092092629978553290700663189204, 0.104790010322250183839876322541518,
                               0.140653259715525918745189590510238, 0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
                               0.204432940075298892414161999234649, 0.209482141084727828012999174891714]
  static let gaussWeights = [0.129484966168869693270611432679082, 0.279705391489276667901467771423780, 0.381830050505118944950369775488975,
                             0.417959183673469387755102040816327]
}
