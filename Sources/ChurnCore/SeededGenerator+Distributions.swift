import Foundation

extension SeededGenerator {
  /// A uniform value in [0, 1) with 53 random bits.
  @inline(__always)
  public mutating func uniform() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// A uniform integer in `0..<upperBound` (Lemire's nearly divisionless method via the
  /// standard library).
  @inline(__always)
  public mutating func integer(below upperBound: Int) -> Int {
    precondition(upperBound > 0, "integer(below:) needs a positive bound, got \(upperBound)")
    return Int(next(upperBound: UInt64(upperBound)))
  }

  /// `true` with probability `p`.
  @inline(__always)
  public mutating func bernoulli(_ p: Double) -> Bool { uniform() < p }

  /// A standard normal draw (Box–Muller; one of the pair is discarded so that the draw
  /// sequence depends on nothing but the number of calls).
  public mutating func normal(mean: Double = 0, standardDeviation: Double = 1) -> Double {
    var u1 = uniform()
    if u1 < 1e-300 { u1 = 1e-300 }
    let u2 = uniform()
    return mean + standardDeviation * (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
  }

  /// A log-normal draw: `exp(normal(mu, sigma))`.
  public mutating func logNormal(mu: Double, sigma: Double) -> Double {
    Foundation.exp(normal(mean: mu, standardDeviation: sigma))
  }

  /// An exponential draw with the given mean.
  public mutating func exponential(mean: Double) -> Double {
    -mean * Foundation.log(1 - uniform())
  }

  /// A Poisson draw with mean `lambda`.
  ///
  /// Knuth's product method below 30, the PTRS transformed-rejection method (Hörmann 1993)
  /// above, so the cost is O(1) in expectation for any mean.
  public mutating func poisson(_ lambda: Double) -> Int {
    precondition(lambda >= 0 && lambda.isFinite, "poisson: mean must be finite and non-negative, got \(lambda)")
    if lambda == 0 { return 0 }
    if lambda < 30 {
      let limit = Foundation.exp(-lambda)
      var product = uniform()
      var count = 0
      while product > limit {
        count += 1
        product *= uniform()
      }
      return count
    }
    let slam = lambda.squareRoot()
    let loglam = Foundation.log(lambda)
    let b = 0.931 + 2.53 * slam
    let a = -0.059 + 0.02483 * b
    let invalpha = 1.1239 + 1.1328 / (b - 3.4)
    let vr = 0.9277 - 3.6224 / (b - 2)
    while true {
      let u = uniform() - 0.5
      let v = uniform()
      let us = 0.5 - Swift.abs(u)
      let k = Foundation.floor((2 * a / us + b) * u + lambda + 0.43)
      if us >= 0.07 && v <= vr { return Int(k) }
      if k < 0 || (us < 0.013 && v > us) { continue }
      let lhs = Foundation.log(v) + Foundation.log(invalpha) - Foundation.log(a / (us * us) + b)
      let rhs = -lambda + k * loglam - Foundation.lgamma(k + 1)
      if lhs <= rhs { return Int(k) }
    }
  }

  /// A gamma draw with the given shape and scale (Marsaglia & Tsang 2000); mean = shape × scale.
  public mutating func gamma(shape: Double, scale: Double) -> Double {
    precondition(shape > 0 && scale > 0, "gamma: shape and scale must be positive, got \(shape), \(scale)")
    if shape < 1 {
      // Boost: Gamma(a) = Gamma(a + 1) · U^(1/a).
      let u = uniform()
      return gamma(shape: shape + 1, scale: scale) * Foundation.pow(u, 1 / shape)
    }
    let d = shape - 1.0 / 3.0
    let c = 1 / (9 * d).squareRoot()
    while true {
      var x: Double
      var v: Double
      repeat {
        x = normal()
        v = 1 + c * x
      } while v <= 0
      v = v * v * v
      let u = uniform()
      if u < 1 - 0.0331 * x * x * x * x { return d * v * scale }
      if Foundation.log(u) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) { return d * v * scale }
    }
  }

  /// An index drawn with probability proportional to `weights`.
  public mutating func categorical(_ weights: [Double]) -> Int {
    let total = weights.reduce(0, +)
    precondition(total > 0, "categorical: weights must have a positive sum, got \(weights)")
    var target = uniform() * total
    for (index, w) in weights.enumerated() {
      target -= w
      if target < 0 { return index }
    }
    return weights.count - 1
  }
}
