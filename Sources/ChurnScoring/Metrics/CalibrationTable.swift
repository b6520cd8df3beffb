/// Whether predicted probabilities mean what they say: customers binned by predicted
/// probability, each bin's mean prediction beside its observed churn rate.
///
/// Bins are quantile bins as in scikit-learn's `calibration_curve(strategy="quantile")`: edges
/// at the 0, 1/b, ..., 1 quantiles of the predictions (numpy's linear interpolation), a row in
/// bin k when edge(k) < p ≤ edge(k + 1) for the inner edges (the first bin takes everything up
/// to its upper edge). Tied predictions can leave bins empty; those are dropped, as
/// scikit-learn drops them.
///
/// The expected calibration error weighs each bin's gap by its share of rows,
///
/// ```
/// ECE = Σ_b (n_b / n) · |observed_b − predicted_b|
/// ```
/// and the maximum calibration error is the largest gap.
public struct CalibrationTable: Sendable, Equatable, Codable {
  public struct Bin: Sendable, Equatable, Codable {
    /// Rows in the bin.
    public var count: Int
    /// Mean predicted probability.
    public var predicted: Double
    /// Observed churn rate.
    public var observed: Double
    /// Smallest and largest prediction in the bin.
    public var lowest: Double
    public var highest: Double
  }

  public var bins: [Bin]
  public var expectedCalibrationError: Double
  public var maximumCalibrationError: Double

  /// - Throws: `MetricError` for mismatched lengths, labels other than 0/1, or values outside [0, 1].
  public init(probabilities p: [Double], labels: [Double], bins binCount: Int = 10) throws {
    guard binCount >= 1 else { throw MetricError.invalidParameter(metric: "calibration table", detail: "needs at least 1 bin") }
    _ = try checkedPositives("calibration table", scores: p, labels: labels, probabilities: true, bothClasses: false)
    let sorted = p.sorted()
    // Inner edges; a row goes to the number of inner edges strictly below it (numpy searchsorted, side left).
    let inner = (1..<binCount).map { k in linearQuantile(sorted: sorted, (evenFraction(k, of: binCount) * 100) / 100) }
    var count = [Int](repeating: 0, count: binCount)
    var sums = [Double](repeating: 0, count: binCount), churned = [Double](repeating: 0, count: binCount)
    var lowest = [Double](repeating: .infinity, count: binCount), highest = [Double](repeating: -.infinity, count: binCount)
    for (pi, y) in zip(p, labels) {
      var lo = 0, hi = inner.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if inner[mid] < pi { lo = mid + 1 } else { hi = mid }
      }
      count[lo] += 1
      sums[lo] += pi
      churned[lo] += y
      lowest[lo] = min(lowest[lo], pi)
      highest[lo] = max(highest[lo], pi)
    }
    bins = (0..<binCount).filter { count[$0] > 0 }.map { k in
      Bin(count: count[k], predicted: sums[k] / Double(count[k]), observed: churned[k] / Double(count[k]), lowest: lowest[k], highest: highest[k])
    }
    expectedCalibrationError = bins.reduce(0) { $0 + Double($1.count) / Double(p.count) * abs($1.observed - $1.predicted) }
    maximumCalibrationError = bins.map { abs($0.observed - $0.predicted) }.max() ?? 0
  }
}
