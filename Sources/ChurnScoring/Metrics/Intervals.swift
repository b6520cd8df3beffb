import ChurnCore
import Foundation

/// A point estimate with a 95% (or other) interval.
public struct Estimate: Sendable, Equatable, Codable {
  public var value: Double
  public var lower: Double
  public var upper: Double

  public init(value: Double, lower: Double, upper: Double) {
    self.value = value
    self.lower = lower
    self.upper = upper
  }
}

/// The Wilson score interval for a proportion of `successes` in `trials` (statsmodels'
/// `proportion_confint(method="wilson")`):
///
/// ```
/// (p̂ + z²/2n ± z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n)
/// ```
/// It stays inside [0, 1] and behaves at 0 and n successes, where the normal interval fails;
/// z = 1.959964 for 95%. With no trials the rate and bounds are NaN.
public func wilsonInterval(successes: Int, trials: Int, z: Double = 1.959963984540054) -> Estimate {
  guard trials > 0 else { return Estimate(value: .nan, lower: .nan, upper: .nan) }
  let n = Double(trials), p = Double(successes) / n
  let z2 = z * z
  let denominator = 1 + z2 / n
  let center = (p + z2 / (2 * n)) / denominator
  let half = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / denominator
  return Estimate(value: p, lower: center - half, upper: center + half)
}

/// A percentile-bootstrap interval for a metric of (scores, labels): rows resampled with
/// replacement `replicates` times from a generator seeded with `seed`, the metric computed on
/// each resample, the interval the (α/2, 1 − α/2) quantiles of those values (linear
/// interpolation). Resamples on which the metric is undefined (one class only) are skipped; at
/// least half must succeed. `value` is the metric on the full data. The same seed gives the
/// same interval.
public func bootstrapInterval(scores: [Double], labels: [Double], replicates: Int = 1000, seed: UInt64 = 1, level: Double = 0.95,
                              metric: ([Double], [Double]) throws -> Double) throws -> Estimate {
  guard replicates >= 1, level > 0, level < 1 else {
    throw MetricError.invalidParameter(metric: "bootstrap", detail: "needs replicates ≥ 1 and a level in (0, 1)")
  }
  let value = try metric(scores, labels)
  let n = scores.count
  var rng = SeededGenerator(seed: seed, stream: 0xB007)
  var values: [Double] = []
  values.reserveCapacity(replicates)
  var s = [Double](repeating: 0, count: n), y = [Double](repeating: 0, count: n)
  for _ in 0..<replicates {
    for i in 0..<n {
      let k = rng.integer(below: n)
      s[i] = scores[k]
      y[i] = labels[k]
    }
    if let v = try? metric(s, y), v.isFinite { values.append(v) }
  }
  guard values.count * 2 >= replicates else {
    throw MetricError.invalidParameter(metric: "bootstrap", detail: "the metric was undefined on \(replicates - values.count) of \(replicates) resamples (too few churners)")
  }
  values.sort()
  let alpha = 1 - level
  return Estimate(value: value, lower: linearQuantile(sorted: values, alpha / 2), upper: linearQuantile(sorted: values, 1 - alpha / 2))
}
