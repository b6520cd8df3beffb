/// The q-quantile of ascending `sorted` values by linear interpolation between order
/// statistics (Hyndman & Fan's type 7; numpy's default `linear` method), computed with numpy's
/// exact arithmetic so that bin edges, and so bin membership, agree with numpy and
/// scikit-learn to the last bit: virtual index (n − 1)·q, then a + (b − a)·t for t < ½ and
/// b − (b − a)·(1 − t) otherwise.
func linearQuantile(sorted: [Double], _ q: Double) -> Double {
  precondition(!sorted.isEmpty, "a quantile of no values")
  let n = sorted.count
  let virtual = Double(n - 1) * q
  if virtual >= Double(n - 1) { return sorted[n - 1] }
  if virtual <= 0 { return sorted[0] }
  let previous = virtual.rounded(.down)
  let t = virtual - previous
  let a = sorted[Int(previous)], b = sorted[Int(previous) + 1]
  let difference = b - a
  return t >= 0.5 ? b - difference * (1 - t) : a + difference * t
}

/// numpy's `linspace(0, 1, parts + 1)[k]`: k × (1 / parts), the last exactly 1.
func evenFraction(_ k: Int, of parts: Int) -> Double {
  k == parts ? 1 : Double(k) * (1 / Double(parts))
}
