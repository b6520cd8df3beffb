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
}
