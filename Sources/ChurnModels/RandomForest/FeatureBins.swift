import ChurnCore
import Dispatch
import Foundation

/// Features binned once into at most 255 quantile bins (UInt8 codes), so that finding a split
/// is counting rows per bin (ranger's and LightGBM's design).
///
/// Column j's thresholds are distinct values t₁ < t₂ < … of the training column at evenly
/// spaced quantiles; a value's code is the number of thresholds below it, so code ≤ k means
/// value ≤ t_{k+1}, and a split "code ≤ k" is the split "value ≤ thresholds[k]" on raw values.
///
/// With `missingBin` (boosting, whose preprocessor keeps missing values: `Preprocessor.keepsMissing`)
/// missing values (NaN) take no part in the thresholds and get a bin of their own after the
/// values' bins: code `binCount(j)` (at most 255, since there are at most 254 thresholds),
/// LightGBM's `MissingType::NaN` bin. Without it (the forest, whose preprocessor imputes them)
/// a NaN is coded 0, as it always was.
struct FeatureBins: Sendable {
  let rows: Int
  let columns: Int
  /// Column-major codes: codes[j * rows + i].
  let codes: [UInt8]
  /// Per column, ascending split points; bin k holds values in (thresholds[k−1], thresholds[k]].
  let thresholds: [[Double]]
  /// Per column, whether some training value is missing (then code `binCount(j)` is its bin).
  let hasMissing: [Bool]

  /// - Parameters:
  ///   - knownCuts: column j's cut points when already found from its values in order
  ///     (`PreparedColumnOrder.binCuts`: the same as from the column sorted), else nil: then
  ///     found by `cuts(of:)` (a column of two values counted, any other by selection).
  ///   - sampleRows: with more rows than this, a column without known cuts takes its cut points
  ///     from the values of `sampleRows` rows drawn once for every column (`sampledRows`), not
  ///     from all of them (LightGBM's `bin_construct_sample_cnt`, 200,000): sorting every
  ///     value of every column cost a boosted fit of 1M × 50 about 5 CPU seconds. Nil: every
  ///     row (the forest).
  ///   - threads: columns are binned in parallel, each by one thread (the same bins with any count).
  ///   - missingBin: NaN gets its own bin (see above), else code 0.
  init(_ x: Matrix, maxBins: Int = 255, knownCuts: [[Double]?]? = nil, sampleRows: Int? = nil, threads: Int = 1, missingBin: Bool = false) {
    precondition(x.layout == .rowMajor, "FeatureBins reads a row-major matrix")
    rows = x.rows
    columns = x.columns
    let n = x.rows, d = x.columns
    var codes = [UInt8](repeating: 0, count: n * d)
    final class Slots: @unchecked Sendable {
      var thresholds: [[Double]]
      var hasMissing: [Bool]
      let lock = NSLock()
      init(_ d: Int) { thresholds = Array(repeating: [], count: d); hasMissing = Array(repeating: false, count: d) }
    }
    let slots = Slots(d)
    let workers = max(1, min(threads, d))
    let sample = sampleRows.flatMap { $0 < n ? Self.sampledRows(n, count: $0) : nil }
    codes.withUnsafeMutableBufferPointer { out in
      nonisolated(unsafe) let out = out
      DispatchQueue.concurrentPerform(iterations: workers) { worker in
        var column = [Double](repeating: 0, count: n)
        for j in stride(from: worker, to: d, by: workers) {
          var missing = false
          for i in 0..<n {
            let v = x.storage[i * d + j]
            column[i] = v
            missing = missing || (missingBin && v.isNaN)
          }
          var values = sample.map { $0.map { column[Int($0)] } } ?? column
          if missing { values.removeAll { $0.isNaN } }
          let cuts = (knownCuts?[j]).flatMap { $0 } ?? Self.cuts(of: values, maxBins: maxBins)
          // A value's code: how many cut points lie strictly below it, found in 8 fixed steps
          // without branches over the cuts padded with +∞ to 256 entries (a branching binary
          // search mispredicts about half its steps: 60 ns a value on 1M × 50, most of the
          // binning). NaN is below no cut; it gets the missing bin, after the values' bins.
          // Each worker writes its own columns' codes.
          precondition(cuts.count <= (missing ? 254 : 255), "column \(j) has \(cuts.count) cut points; at most 255 bins (and a missing one) fit a byte")
          let missingCode = UInt8(truncatingIfNeeded: cuts.count + 1)
          let padded = cuts + [Double](repeating: .infinity, count: 256 - cuts.count)
          padded.withUnsafeBufferPointer { list in
            column.withUnsafeBufferPointer { values in
              for i in 0..<n {
                let v = values[i]
                var below = 0, half = 128
                while half > 0 {
                  below &+= list[below &+ half &- 1] < v ? half : 0
                  half >>= 1
                }
                out[j * n + i] = missing && v.isNaN ? missingCode : UInt8(truncatingIfNeeded: below)
              }
            }
          }
          slots.lock.lock()
          slots.hasMissing[j] = missing
          slots.thresholds[j] = cuts
          slots.lock.unlock()
        }
      }
    }
    self.codes = codes
    self.thresholds = slots.thresholds
    self.hasMissing = slots.hasMissing
  }

  /// The cut points of a column from its values in ascending order: the distinct values at
  /// the quantiles b / maxBins, b = 1 ..< maxBins, below the largest value.
  static func cuts(ascending sorted: [Double], maxBins: Int = 255) -> [Double] {
    var cuts: [Double] = []
    if !sorted.isEmpty {
      for b in 1..<maxBins {
        let v = sorted[min(sorted.count - 1, b * sorted.count / maxBins)]
        if v != sorted.last! && cuts.last.map({ v > $0 }) ?? true { cuts.append(v) }
      }
    }
    return cuts
  }

  /// The cut points of a column from its values in any order (no NaN): `cuts(ascending:)` of
  /// the values sorted, but only the values at the ranks it reads are found, by a radix
  /// selection (`OrderStatistics.ranked`, O(n)): sorting each column took about 10% of a boosted
  /// fit of 100k × 50 (100 rounds). A column of two values is counted (`twoValued`); one with
  /// a −0 is sorted, so that the zero kept as a cut point has the bits the sort gives it, and
  /// so is one with a NaN (a column of the forest's bins, without `missingBin`, as before).
  static func cuts(of values: [Double], maxBins: Int = 255) -> [Double] {
    if let sorted = twoValued(values) { return cuts(ascending: sorted, maxBins: maxBins) }
    if values.contains(where: { $0.isNaN || ($0 == 0 && $0.sign == .minus) }) { return cuts(ascending: values.sorted(), maxBins: maxBins) }
    let count = values.count
    // The ranks `cuts(ascending:)` reads: b · count / maxBins for b = 1 ..< maxBins, then the last.
    let ranks = (1..<max(1, maxBins)).map { min(count - 1, $0 * count / maxBins) } + [count - 1]
    let at = values.withUnsafeBufferPointer { OrderStatistics.ranked($0) { _ in ranks } }.ranks.map(\.value)
    let largest = at[at.count - 1]
    var cuts: [Double] = []
    for v in at.dropLast() where v != largest && cuts.last.map({ v > $0 }) ?? true { cuts.append(v) }
    return cuts
  }

  /// `values` sorted, when they hold at most two distinct numbers (a one-hot column, a missing
  /// indicator): the smaller repeated, then the larger, counted in one pass. Nil for more
  /// values, a NaN, or both −0 and +0 (equal but of different bits: left to the sort).
  static func twoValued(_ values: [Double]) -> [Double]? {
    guard let a = values.first, !a.isNaN else { return values.isEmpty ? [] : nil }
    var b: Double?
    var countA = 0, countB = 0
    for v in values {
      if v.bitPattern == a.bitPattern {
        countA += 1
      } else if let known = b {
        guard v.bitPattern == known.bitPattern else { return nil }
        countB += 1
      } else {
        guard !v.isNaN else { return nil }
        b = v
        countB = 1
      }
    }
    guard let b else { return values }
    guard a != b else { return nil }
    let (low, lowCount, high, highCount) = a < b ? (a, countA, b, countB) : (b, countB, a, countA)
    return [Double](repeating: low, count: lowCount) + [Double](repeating: high, count: highCount)
  }

  /// `count` of the row indices 0..<rows, each set of `count` equally likely, ascending
  /// (selection sampling, Knuth's algorithm S), drawn from a fixed seed: the rows a column's
  /// cut points come from do not depend on the fit's seed, only on the row count.
  static func sampledRows(_ rows: Int, count: Int) -> [Int32] {
    var rng = SeededGenerator(seed: 0x6269_6e73, stream: 0)
    var chosen: [Int32] = []
    chosen.reserveCapacity(count)
    for i in 0..<rows where chosen.count < count {
      // Row i is chosen with probability (still needed) / (rows left).
      if rng.integer(below: rows - i) < count - chosen.count { chosen.append(Int32(i)) }
    }
    return chosen
  }

  /// Number of bins of column j's values (its missing bin, when it has one, is not counted).
  func binCount(_ j: Int) -> Int { thresholds[j].count + 1 }

  /// Bins of column j in a histogram: its values' bins, and its missing bin when it has one.
  func histogramBinCount(_ j: Int) -> Int { thresholds[j].count + (hasMissing[j] ? 2 : 1) }
}
