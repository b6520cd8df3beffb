/// Minimizes a smooth function of a few positive parameters over their logarithms with BFGS
/// (Nocedal & Wright 2006, algorithm 6.1) and a backtracking Armijo line search: the method
/// lifetimes gets from scipy's `minimize` (BFGS on log-parameters), deterministic, with an
/// analytic gradient.
struct LogParameterBFGS {
  /// Converged when every component of the gradient is at most this in absolute value.
  var gradientTolerance = 1e-9
  /// A line search that can no longer decrease the function, or five iterations in a row that
  /// decrease it by less than 1e-15 of its value, end the fit as converged when the gradient is
  /// below this (the function is flat to rounding there: a long, shallow valley such as
  /// Gamma–Gamma's).
  var stalledTolerance = 1e-6
  var maximumIterations = 2_000

  struct Outcome {
    var point: [Double]
    var value: Double
    var gradient: [Double]
    var iterations: Int
    var converged: Bool
  }

  /// - Parameters:
  ///   - start: the starting point (log-parameters).
  ///   - objective: the function and its gradient at a point; a value that is not finite
  ///     rejects the point (the line search steps back).
  func minimize(from start: [Double], _ objective: ([Double]) -> (value: Double, gradient: [Double])) -> Outcome {
    let n = start.count
    var x = start
    var (f, g) = objective(x)
    var h = identity(n)
    var iterations = 0, stalled = 0
    func largest(_ v: [Double]) -> Double { v.map(abs).max() ?? 0 }
    while iterations < maximumIterations {
      if largest(g) <= gradientTolerance { return Outcome(point: x, value: f, gradient: g, iterations: iterations, converged: true) }
      iterations += 1
      var d = (0..<n).map { i in -(0..<n).reduce(0.0) { $0 + h[i][$1] * g[$1] } }
      var slope = zip(g, d).reduce(0.0) { $0 + $1.0 * $1.1 }
      if !(slope < 0) {
        // Not a descent direction (the inverse Hessian lost positive definiteness): restart.
        h = identity(n)
        d = g.map { -$0 }
        slope = -g.reduce(0.0) { $0 + $1 * $1 }
      }
      // Keep the first step in log-parameters moderate: exp of a step of 10 is a factor 22,000.
      var step = min(1.0, 5 / max(largest(d), 1e-300))
      var accepted: (x: [Double], f: Double, g: [Double])?
      while step > 1e-20 {
        let candidate = (0..<n).map { x[$0] + step * d[$0] }
        let (fc, gc) = objective(candidate)
        if fc.isFinite && gc.allSatisfy(\.isFinite) && fc <= f + 1e-4 * step * slope {
          accepted = (candidate, fc, gc)
          break
        }
        step *= 0.5
      }
      guard let next = accepted else {
        return Outcome(point: x, value: f, gradient: g, iterations: iterations, converged: largest(g) <= stalledTolerance)
      }
      let s = (0..<n).map { next.x[$0] - x[$0] }, y = (0..<n).map { next.g[$0] - g[$0] }
      let sy = zip(s, y).reduce(0.0) { $0 + $1.0 * $1.1 }
      if sy > 1e-12 * (s.reduce(0) { $0 + $1 * $1 }).squareRoot() * (y.reduce(0) { $0 + $1 * $1 }).squareRoot() {
        if iterations == 1 {
          // Scale the first inverse Hessian to the curvature seen (Nocedal & Wright eq. 6.20).
          let yy = y.reduce(0) { $0 + $1 * $1 }
          h = identity(n).map { $0.map { $0 * sy / yy } }
        }
        // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, ρ = 1 / (yᵀ s).
        let rho = 1 / sy
        let hy = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + h[i][$1] * y[$1] } }
        let yhy = zip(y, hy).reduce(0.0) { $0 + $1.0 * $1.1 }
        for i in 0..<n {
          for j in 0..<n {
            h[i][j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j]
          }
        }
      }
      stalled = f - next.f <= 1e-15 * abs(f) ? stalled + 1 : 0
      (x, f, g) = next
      if stalled >= 5 {
        return Outcome(point: x, value: f, gradient: g, iterations: iterations, converged: largest(g) <= stalledTolerance)
      }
    }
    return Outcome(point: x, value: f, gradient: g, iterations: iterations, converged: largest(g) <= gradientTolerance)
  }

  private func identity(_ n: Int) -> [[Double]] {
    (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
  }
}
