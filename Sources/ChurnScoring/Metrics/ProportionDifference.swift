import Foundation

/// The difference of two independent proportions, p₁ − p₂ = `successes1`/`trials1` −
/// `successes2`/`trials2`, with Newcombe's hybrid score interval (Newcombe 1998, "Interval
/// estimation for the difference between independent proportions", method 10; statsmodels'
/// `confint_proportions_2indep(method="newcomb")`), built from the two Wilson intervals
/// (l₁, u₁) and (l₂, u₂):
///
/// ```
/// lower = (p₁ − p₂) − √((p₁ − l₁)² + (u₂ − p₂)²)
/// upper = (p₁ − p₂) + √((u₁ − p₁)² + (p₂ − l₂)²)
/// ```
/// It stays inside [−1, 1] and behaves at 0 and n successes, where the normal (Wald) interval
/// fails. With no trials on either side the difference and bounds are NaN.
public func newcombeDifference(successes1: Int, trials1: Int, successes2: Int, trials2: Int, z: Double = 1.959963984540054) -> Estimate {
  let first = wilsonInterval(successes: successes1, trials: trials1, z: z)
  let second = wilsonInterval(successes: successes2, trials: trials2, z: z)
  let d = first.value - second.value
  guard d.isFinite else { return Estimate(value: .nan, lower: .nan, upper: .nan) }
  let below = ((first.value - first.lower) * (first.value - first.lower) + (second.upper - second.value) * (second.upper - second.value)).squareRoot()
  let above = ((first.upper - first.value) * (first.upper - first.value) + (second.value - second.lower) * (second.value - second.lower)).squareRoot()
  return Estimate(value: d, lower: d - below, upper: d + above)
}
