import ChurnCore

/// Features binned once into at most 255 quantile bins (UInt8 codes), so that finding a split
/// is counting rows per bin (ranger's and LightGBM's design).
///
/// Column j's thresholds are distinct values t₁ < t₂ < … of the training column at evenly
/// spaced quantiles; a value's code is the number of thresholds below it, so code ≤ k means
/// value ≤ t_{k+1}, and a split "code ≤ k" is the split "value ≤ thresholds[k]" on raw values.
struct FeatureBins: Sendable {
  let rows: Int
  let columns: Int
  /// Column-major codes: codes[j * rows + i].
  let codes: [UInt8]
  /// Per column, ascending split points; bin k holds values in (thresholds[k−1], thresholds[k]].
  let thresholds: [[Double]]

  init(_ x: Matrix, maxBins: Int = 255) {
    rows = x.rows
    columns = x.columns
    var codes = [UInt8](repeating: 0, count: x.rows * x.columns)
    var thresholds: [[Double]] = []
    var column = [Double](repeating: 0, count: x.rows)
    for j in 0..<x.columns {
      for i in 0..<x.rows { column[i] = x.storage[i * x.columns + j] }
      let sorted = column.sorted()
      var cuts: [Double] = []
      if !sorted.isEmpty {
        for b in 1..<maxBins {
          let v = sorted[min(sorted.count - 1, b * sorted.count / maxBins)]
          if v != sorted.last! && cuts.last.map({ v > $0 }) ?? true { cuts.append(v) }
        }
      }
      // A value's code: how many cut points lie strictly below it.
      for i in 0..<x.rows {
        var lo = 0, hi = cuts.count
        let v = column[i]
        while lo < hi {
          let mid = (lo + hi) / 2
          if cuts[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        codes[j * x.rows + i] = UInt8(lo)
      }
      thresholds.append(cuts)
    }
    self.codes = codes
    self.thresholds = thresholds
  }

  /// Number of bins of column j.
  func binCount(_ j: Int) -> Int { thresholds[j].count + 1 }
}
