import ChurnCore
import Dispatch
import Foundation

/// Turns a `FeatureTable` into the numeric matrix a trainer fits, with every choice learned
/// from the training rows and saved with the model, so scoring applies exactly the same steps.
///
/// Per numeric column, in order:
/// 1. fat-tail transform (optional, as in *Fighting Churn with Data*): when the training
///    values' skewness exceeds 4, `log1p(x)` if their minimum is ≥ 0 (a negative value at
///    scoring takes `−log1p(−x)`), else `asinh(x)`;
/// 2. missing values (NaN) replaced by the training median, plus an indicator column
///    `NAME_missing` (1 = was missing) when any training value was missing;
/// 3. standardization (optional) with the training mean and population standard deviation.
///
/// Per categorical column: one-hot columns `NAME=LEVEL`. A missing value is the level
/// `(missing)`. Levels seen fewer than `minimumLevelCount` times are pooled into `other`. The
/// most frequent level (ties: the first by name) is the reference and gets no column (with
/// `dropReferenceLevel`). At scoring, an unseen level counts as `other` when the column has one,
/// otherwise as the reference level (all zeros): never a crash. One-hot columns are
/// standardized like the others, so every coefficient is "per standard deviation".
///
/// Columns that are constant in training, or that repeat an earlier column (or its mirror
/// image 1 − x) exactly, are dropped, with a note.
///
/// With `keepsMissing` (gradient-boosted trees, which learn where missing values go at each
/// split) step 2 is left out: a missing value stays NaN in the output and no indicator column
/// is added. A column constant but for its missing values is then kept (its missingness is its
/// information), and two columns repeat each other only when they are missing in the same rows.
public struct Preprocessor: Sendable {
  public var standardize: Bool
  public var fatTailTransform: Bool
  public var minimumLevelCount: Int
  public var dropReferenceLevel: Bool
  /// Missing numeric values stay NaN (no median, no `NAME_missing` column).
  public var keepsMissing: Bool

  public init(standardize: Bool = true, fatTailTransform: Bool = true, minimumLevelCount: Int = 10, dropReferenceLevel: Bool = true,
              keepsMissing: Bool = false) {
    self.standardize = standardize
    self.fatTailTransform = fatTailTransform
    self.minimumLevelCount = minimumLevelCount
    self.dropReferenceLevel = dropReferenceLevel
    self.keepsMissing = keepsMissing
  }

  /// Learns the steps from `table` (every row counts).
  ///
  /// - Parameters:
  ///   - sorted: `table`'s numeric columns sorted (`SortedColumns`), for the medians without
  ///     sorting again; nil (or the columns of another table): each is selected here.
  ///   - deciles: `table`'s order statistics from one selection of each column
  ///     (`ColumnDeciles(selecting:)`), whose middle values give the median of every column
  ///     kept untransformed without selecting again; nil (or another table's, checked column
  ///     by column): selected here.
  ///   - threads: the columns' statistics spread over this many threads, each column measured
  ///     by one (the same steps, means and deviations with any count).
  /// - Throws: `PreprocessingError` when a value is infinite or nothing usable is left.
  public func fit(_ table: FeatureTable, sorted: SortedColumns? = nil, deciles: ColumnDeciles? = nil, threads: Int = 1) throws -> FittedPreprocessor {
    let presorted = sorted.flatMap { $0.describes(table, threads: threads) ? $0 : nil }
    let known = presorted == nil ? deciles : nil  // checked column by column below
    let n = table.rowCount
    let columns = table.columns, names = table.columnNames
    // Each input column's steps and notes (or its error), and the random projection below,
    // spread over the threads; put together in column order.
    var parts = [Result<ColumnSteps, PreprocessingError>?](repeating: nil, count: columns.count)
    var projection: [Double] = []
    let workers = max(1, min(threads, columns.count + 1))
    parts.withUnsafeMutableBufferPointer { p in
      withUnsafeMutablePointer(to: &projection) { r in
        nonisolated(unsafe) let parts = p, projection = r  // each worker writes its own items
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
          for item in stride(from: worker, to: columns.count + 1, by: workers) {
            guard item > 0 else {
              // Columns that repeat an earlier one (or its mirror image, after standardizing)
              // carry no information and make the unpenalized fit singular: Telco's "No
              // internet service" level of six add-on columns is exactly internetservice=No.
              // Found by a random projection, confirmed value by value.
              var rng = SeededGenerator(seed: 0x5EED)
              projection.pointee = (0..<n).map { _ in rng.normal() }
              continue
            }
            let c = item - 1
            do throws(PreprocessingError) {
              parts[c] = .success(try fitSteps(names[c], columns[c], table: table, ascending: presorted?.values[c], middle: known?.middle(ofColumn: c, in: table)))
            } catch {
              parts[c] = .failure(error)
            }
          }
        }
      }
    }
    var steps: [FittedPreprocessor.Step] = []
    var notes: [String] = []
    // Each raw design column's sums when its input column's steps found them.
    var moments: [(sum: Double, squares: Double)?] = []
    for part in parts {
      let columnSteps = try part!.get()
      for step in columnSteps.steps {
        switch step {
        case .numeric: moments.append(columnSteps.moments)
        case .missingIndicator: moments.append(nil)
        case .categorical(_, let levels, _, let hasOther): moments += Array(repeating: nil, count: levels.count + (hasOther ? 1 : 0))
        }
      }
      steps += columnSteps.steps
      notes += columnSteps.notes
    }
    // Raw (untransformed, unstandardized) design columns, to learn means and deviations.
    var fitted = FittedPreprocessor(inputNames: table.columnNames, inputKinds: table.columns.map { $0.isNumeric },
                                    steps: steps, means: [], deviations: [], outputNames: [], notes: notes)
    // One raw column at a time per thread (never the whole raw matrix, which doubled the peak
    // memory of training): each column's sums run over the rows in order, as they did over the
    // matrix, so the means, deviations and projections have the same bits.
    let sources = fitted.rawSources(table)
    var measured = [(mean: Double, deviation: Double, projected: Double)](repeating: (0, 0, 0), count: sources.count)
    let standardize = standardize, randomProjection = projection
    measured.withUnsafeMutableBufferPointer { m in
      nonisolated(unsafe) let measured = m  // each worker writes its own columns
      // Four columns at a time per thread: their sums run side by side (each still over the
      // rows in order), so one column's additions wait less on the one before.
      // Columns whose sums are known first, so that their groups skip those passes.
      let moments = moments
      let order = sources.indices.filter { moments[$0] != nil } + sources.indices.filter { moments[$0] == nil }
      let groups = (sources.count + 3) / 4
      let workers = max(1, min(threads, groups))
      DispatchQueue.concurrentPerform(iterations: workers) { worker in
        // An untransformed column is read in place (its missing values read as the median);
        // others are written into this thread's buffers first.
        var buffers = [[Double]](repeating: [], count: 4)
        for group in stride(from: worker, to: groups, by: workers) {
          let js = Array(order[(4 * group)..<min(4 * group + 4, sources.count)])
          var columns: [[Double]] = []
          var fills = SIMD4<Double>()
          for (g, j) in js.enumerated() {
            if case .value(let values, .none, let median)? = sources[j] {
              columns.append(values)
              fills[g] = median
              continue
            }
            if buffers[g].count != n { buffers[g] = [Double](repeating: 0, count: n) }
            FittedPreprocessor.fillRaw(sources[j], into: &buffers[g])
            columns.append(buffers[g])
          }
          while columns.count < 4 { columns.append(columns[0]) }
          let known = js.map { moments[$0] }
          let found = Self.measure(columns, missingAs: fills, moments: js.count == 4 && !known.contains { $0 == nil } ? known : nil, rows: n,
                                   projection: randomProjection, standardize: standardize)
          columns = []
          for (g, j) in js.enumerated() { measured[j] = found[g] }
        }
      }
    }
    var keep: [Int] = []
    var means: [Double] = []
    var deviations: [Double] = []
    var projected: [Double] = []
    let rawNames = fitted.rawNames
    for j in sources.indices {
      let (mean, deviation, sum) = measured[j]
      // (Measured with missing values read as the median: with `keepsMissing`, a column whose
      // values are all equal still tells missing rows from the others.)
      if deviation <= 1e-12 * max(1, abs(mean)) && !(keepsMissing && Self.missingMask(sources[j]) != nil) {
        fitted.notes.append("\(rawNames[j]) dropped: constant in training")
        continue
      }
      keep.append(j)
      means.append(standardize ? mean : 0)
      deviations.append(standardize ? deviation : 1)
      projected.append(sum)
    }
    var fingerprints: [Double: Int] = [:]
    var unique: [Int] = []
    var column = [Double](repeating: 0, count: n)
    var other = [Double](repeating: 0, count: n)
    for (k, j) in keep.enumerated() {
      let f = projected[k]
      let key = (abs(f) * 1e9).rounded() / 1e9
      if let earlier = fingerprints[key] {
        let e = keep[earlier]
        FittedPreprocessor.fillRaw(sources[j], into: &column)
        FittedPreprocessor.fillRaw(sources[e], into: &other)
        var same = true, mirrored = true
        if keepsMissing && Self.missingMask(sources[j]) != Self.missingMask(sources[e]) { same = false; mirrored = false }
        for i in 0..<n where same || mirrored {
          let a = (column[i] - means[k]) / deviations[k]
          let b = (other[i] - means[earlier]) / deviations[earlier]
          if abs(a - b) > 1e-9 { same = false }
          if abs(a + b) > 1e-9 { mirrored = false }
        }
        if same || mirrored {
          fitted.notes.append("\(rawNames[j]) dropped: \(same ? "identical to" : "the mirror image of") \(rawNames[e])")
          continue
        }
      }
      fingerprints[key] = k
      unique.append(k)
    }
    keep = unique.map { keep[$0] }
    means = unique.map { means[$0] }
    deviations = unique.map { deviations[$0] }
    guard !keep.isEmpty else { throw PreprocessingError.nothingLeft(columns: table.columnNames.count) }
    fitted.kept = keep
    fitted.keepsMissing = keepsMissing ? true : nil
    fitted.means = means
    fitted.deviations = deviations
    fitted.outputNames = keep.map { rawNames[$0] }
    return fitted
  }

  /// Which rows of a numeric raw design column are missing; nil when none is (or for any other column).
  static func missingMask(_ source: FittedPreprocessor.OutputSource?) -> [Bool]? {
    guard case .value(let values, _, _)? = source, values.contains(where: \.isNaN) else { return nil }
    return values.map(\.isNaN)
  }

  /// Four raw design columns' means and (population) standard deviations, as
  /// `meansAndDeviations` finds them (the same bits: each column's sums over the rows in
  /// order, in its own lane), and the sum of `projection` times each standardized value (with
  /// `standardize`, else the raw value), 0 for a constant column. A NaN of column g reads as
  /// `missingAs[g]` (an untransformed column's median: its raw design column without a copy).
  ///
  /// - Parameter moments: each column's sum and sum of squared differences from the mean in
  ///   row order, when known (`skewness(present:count:sum:)` found them): not summed again.
  static func measure(_ columns: [[Double]], missingAs fills: SIMD4<Double> = SIMD4(), moments: [(sum: Double, squares: Double)?]? = nil, rows n: Int,
                      projection: [Double], standardize: Bool) -> [(mean: Double, deviation: Double, projected: Double)] {
    precondition(columns.count == 4 && columns.allSatisfy { $0.count == n } && projection.count == n)
    guard n > 0 else { return Array(repeating: (0, 0, 0), count: 4) }
    return columns[0].withUnsafeBufferPointer { c0 in
      columns[1].withUnsafeBufferPointer { c1 in
        columns[2].withUnsafeBufferPointer { c2 in
          columns[3].withUnsafeBufferPointer { c3 in
            projection.withUnsafeBufferPointer { p in
              @inline(__always) func row(_ i: Int) -> SIMD4<Double> {
                let x = SIMD4(c0[i], c1[i], c2[i], c3[i])
                return x.replacing(with: fills, where: x .!= x)
              }
              var sums = SIMD4<Double>(), squares = SIMD4<Double>()
              if let moments {
                for g in 0..<4 { (sums[g], squares[g]) = moments[g]! }
              } else {
                for i in 0..<n { sums += row(i) }
              }
              let means = sums / Double(n)
              if moments == nil {
                for i in 0..<n {
                  let d = row(i) - means
                  squares += d * d
                }
              }
              var deviations = (squares / Double(n)).squareRoot()
              var found = [(mean: Double, deviation: Double, projected: Double)](repeating: (0, 0, 0), count: 4)
              var m = SIMD4<Double>(repeating: 0), d = SIMD4<Double>(repeating: 1)
              var means2 = means
              for g in 0..<4 {
                if !(means[g].isFinite && deviations[g].isFinite) {
                  // Overflow: the scaled computation.
                  let raw = columns[g].map { $0.isNaN ? fills[g] : $0 }
                  (means2[g], deviations[g]) = meanAndDeviation(column: 0, of: Matrix(rows: n, columns: 1, storage: raw))
                }
                if standardize && deviations[g] > 1e-12 * max(1, abs(means2[g])) { (m[g], d[g]) = (means2[g], deviations[g]) }
              }
              var projected = SIMD4<Double>()
              for i in 0..<n { projected += SIMD4(repeating: p[i]) * (row(i) - m) / d }
              for g in 0..<4 {
                let constant = !(deviations[g] > 1e-12 * max(1, abs(means2[g])))
                found[g] = (means2[g], deviations[g], constant ? 0 : projected[g])
              }
              return found
            }
          }
        }
      }
    }
  }

  /// One input column's steps and notes.
  struct ColumnSteps {
    var steps: [FittedPreprocessor.Step] = []
    var notes: [String] = []
    /// For a numeric column kept untransformed with nothing missing: the sum of its values and
    /// of their squared differences from the mean, in row order.
    var moments: (sum: Double, squares: Double)?
  }

  /// The steps of input column `name`.
  ///
  /// - Parameters:
  ///   - ascending: its non-missing values sorted, when known.
  ///   - middle: its middle values (`ColumnDeciles.middle(ofColumn:in:)`), when known.
  func fitSteps(_ name: String, _ column: FeatureTable.Column, table: FeatureTable, ascending: [Double]?,
                middle: (lower: Double, upper: Double)?) throws(PreprocessingError) -> ColumnSteps {
    var part = ColumnSteps()
    switch column {
    case .numeric(let values):
      // One pass: any infinite value, the non-missing count and sum.
      var count = 0, sum = 0.0, infinite = false
      values.withUnsafeBufferPointer { x in
        for v in x {
          count &+= v.isNaN ? 0 : 1
          sum += v.isNaN ? 0 : v
          infinite = infinite || v.isInfinite
        }
      }
      if infinite, let row = values.firstIndex(where: { $0.isInfinite }) {
        throw PreprocessingError.infiniteValue(column: name, row: row, id: table.ids[row])
      }
      guard count > 0 else {
        part.notes.append("\(name) dropped: no value in training")
        return part
      }
      var transform = FittedPreprocessor.Transform.none
      if fatTailTransform {
        let (skewness, squares) = Self.skewness(present: values, count: count, sum: sum)
        if skewness > 4 {
          transform = values.reduce(Double.infinity) { $1.isNaN ? $0 : min($0, $1) } >= 0 ? .log1p : .asinh
        } else if count == values.count {
          // The raw design column is the column itself: its sums are these.
          part.moments = (sum, squares)
        }
      }
      // The median of the transformed values: log1p and asinh are increasing, so the sorted
      // column mapped is the mapped column sorted (checked, else sorted again).
      let median: Double
      if let ascending, ascending.count == count, let mapped = Self.mapped(ascending, transform) {
        median = Self.median(sorted: mapped)
      } else if transform == .none, let middle {
        median = count % 2 == 1 ? middle.lower : Self.middle(middle.lower, middle.upper)
      } else {
        median = Self.median(selecting: values.compactMap { $0.isNaN ? nil : transform.apply($0) })
      }
      let missing = count < values.count
      part.steps.append(.numeric(name: name, transform: transform, median: median))
      if missing && !keepsMissing { part.steps.append(.missingIndicator(name: name)) }
    case .categorical(let values):
      var counts: [String: Int] = [:]
      for v in values { counts[v ?? FittedPreprocessor.missingLevel, default: 0] += 1 }
      let frequent = counts.filter { $0.value >= minimumLevelCount }
      let pooled = counts.filter { $0.value < minimumLevelCount }.keys.sorted()
      var levels = frequent.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
      if !pooled.isEmpty {
        part.notes.append("\(name): \(pooled.count) rare levels (< \(minimumLevelCount) rows) pooled into \"other\"")
      }
      var reference: String?
      if dropReferenceLevel, !levels.isEmpty {
        reference = levels.removeFirst()
      }
      part.steps.append(.categorical(name: name, levels: levels.sorted(), reference: reference, hasOther: !pooled.isEmpty))
    }
    return part
  }

  /// Ascending values mapped by `transform`, when the result is still ascending and holds no
  /// −0 (so that it equals, bit for bit, the mapped values sorted: equal values then have equal
  /// bits); nil otherwise.
  static func mapped(_ ascending: [Double], _ transform: FittedPreprocessor.Transform) -> [Double]? {
    if transform == .none { return ascending }
    let out = ascending.map(transform.apply)
    return FittedPreprocessor.isAscendingWithoutNegativeZero(out) ? out : nil
  }

  /// `meanAndDeviation` of every column of `m`, the same bits, in two passes over the rows
  /// (each column's sums still run over the rows in order) instead of two per column.
  static func meansAndDeviations(of m: Matrix) -> [(mean: Double, deviation: Double)] {
    let n = m.rows, w = m.columns
    guard n > 0 else { return Array(repeating: (0, 0), count: w) }
    var sums = [Double](repeating: 0, count: w)
    var squares = [Double](repeating: 0, count: w)
    var means = [Double](repeating: 0, count: w)
    m.storage.withUnsafeBufferPointer { storage in
      sums.withUnsafeMutableBufferPointer { sums in
        for i in 0..<n { for j in 0..<w { sums[j] += storage[i * w + j] } }
      }
      for j in 0..<w { means[j] = sums[j] / Double(n) }
      squares.withUnsafeMutableBufferPointer { squares in
        for i in 0..<n {
          for j in 0..<w {
            let d = storage[i * w + j] - means[j]
            squares[j] += d * d
          }
        }
      }
    }
    return (0..<w).map { j in
      let deviation = (squares[j] / Double(n)).squareRoot()
      // Overflow: the scaled computation, column by column.
      return means[j].isFinite && deviation.isFinite ? (means[j], deviation) : meanAndDeviation(column: j, of: m)
    }
  }

  /// Mean and population standard deviation of column `j` of `m` (0, 0 with no rows).
  ///
  /// Finite for any finite values: when a plain sum or sum of squares overflows (values near
  /// ±1e308), both are computed again on the values divided by their largest magnitude M and
  /// scaled back (mean = M · mean(x/M), sd = M · sd(x/M)).
  static func meanAndDeviation(column j: Int, of m: Matrix) -> (mean: Double, deviation: Double) {
    let n = m.rows, w = m.columns
    guard n > 0 else { return (0, 0) }
    var sum = 0.0
    for i in 0..<n { sum += m.storage[i * w + j] }
    var mean = sum / Double(n)
    var squares = 0.0
    for i in 0..<n {
      let d = m.storage[i * w + j] - mean
      squares += d * d
    }
    var deviation = (squares / Double(n)).squareRoot()
    if !mean.isFinite || !deviation.isFinite {
      var largest = 0.0
      for i in 0..<n { largest = max(largest, abs(m.storage[i * w + j])) }
      var scaledSum = 0.0
      for i in 0..<n { scaledSum += m.storage[i * w + j] / largest }
      let scaledMean = scaledSum / Double(n)
      var scaledSquares = 0.0
      for i in 0..<n {
        let d = m.storage[i * w + j] / largest - scaledMean
        scaledSquares += d * d
      }
      mean = scaledMean * largest
      deviation = (scaledSquares / Double(n)).squareRoot() * largest
    }
    return (mean, deviation)
  }

  /// Population skewness m₃ / m₂^(3/2); 0 for constant data. Scale-free, so computed on x / max|x|
  /// when the plain moments overflow.
  static func skewness(_ x: [Double]) -> Double {
    let plain = plainSkewness(x)
    if plain.isFinite { return plain }
    let largest = x.map(abs).max() ?? 0
    return largest > 0 ? plainSkewness(x.map { $0 / largest }) : 0
  }

  /// `skewness(values.filter { !$0.isNaN })`, the same bits, without the copy: `count`
  /// non-missing values summing to `sum` (in row order from +0: each missing one adding +0,
  /// as the sums are never −0).
  /// Also the sum of squared differences from the mean, in row order (`squares`: what
  /// `meansAndDeviations` sums for the column when nothing is missing).
  static func skewness(present values: [Double], count: Int, sum: Double) -> (skewness: Double, squares: Double) {
    let n = Double(count)
    let (plain, squares) = values.withUnsafeBufferPointer { x -> (Double, Double) in
      let mean = sum / n
      var m2 = 0.0, m3 = 0.0
      for v in x {
        let d = v.isNaN ? 0 : v - mean
        m2 += d * d
        m3 += d * d * d
      }
      let squares = m2
      m2 /= n
      m3 /= n
      return (m2 > 0 ? m3 / pow(m2, 1.5) : 0, squares)
    }
    return (plain.isFinite ? plain : skewness(values.filter { !$0.isNaN }), squares)
  }

  static func plainSkewness(_ x: [Double]) -> Double {
    let n = Double(x.count)
    let mean = x.reduce(0, +) / n
    var m2 = 0.0, m3 = 0.0
    for v in x {
      let d = v - mean
      m2 += d * d
      m3 += d * d * d
    }
    m2 /= n
    m3 /= n
    return m2 > 0 ? m3 / pow(m2, 1.5) : 0
  }

  static func median(_ x: [Double]) -> Double { median(sorted: x.sorted()) }

  /// `median(x)` by selection of the middle one or two values, without sorting (the same bits:
  /// sorted when `x` holds −0, whose place among equal zeros is the sort's).
  static func median(selecting x: [Double]) -> Double {
    guard !x.isEmpty, !OrderStatistics.hasNegativeZero(x) else { return median(x) }
    var values = x
    let n = values.count
    if n % 2 == 1 { return OrderStatistics.select(&values, ranks: [n / 2])[0] }
    let pair = OrderStatistics.select(&values, ranks: [n / 2 - 1, n / 2])
    return middle(pair[0], pair[1])
  }

  /// The median of ascending values: the middle one, or the mean of the middle two.
  static func median(sorted s: [Double]) -> Double {
    let n = s.count
    return n % 2 == 1 ? s[n / 2] : middle(s[n / 2 - 1], s[n / 2])
  }

  /// The mean of the two middle values, without overflow.
  static func middle(_ lower: Double, _ upper: Double) -> Double {
    let mean = (lower + upper) / 2
    return mean.isFinite ? mean : lower / 2 + upper / 2
  }
}

/// The preprocessing steps learned from training data; see `Preprocessor`.
public struct FittedPreprocessor: Sendable, Equatable, Codable {
  public static let missingLevel = "(missing)"
  public static let otherLevel = "other"

  public enum Transform: String, Sendable, Equatable, Codable {
    case none, log1p, asinh
    func apply(_ x: Double) -> Double {
      switch self {
      case .none: return x
      // log1p is chosen for columns non-negative in training; a later negative value (a
      // percent change of −1, a refund) takes the mirror image, −log1p(−x): finite and
      // increasing everywhere, the same bits for x ≥ 0.
      case .log1p: return x < 0 ? -Foundation.log1p(-x) : Foundation.log1p(x)
      case .asinh: return Foundation.asinh(x)
      }
    }
  }

  /// One step, producing one or more raw design columns.
  public enum Step: Sendable, Equatable, Codable {
    case numeric(name: String, transform: Transform, median: Double)
    case missingIndicator(name: String)
    case categorical(name: String, levels: [String], reference: String?, hasOther: Bool)
  }

  /// Input columns the model was trained on, with whether each is numeric.
  public var inputNames: [String]
  public var inputKinds: [Bool]
  public var steps: [Step]
  /// Raw design columns kept (constant ones dropped), their means and standard deviations.
  public var kept: [Int] = []
  public var means: [Double]
  public var deviations: [Double]
  /// Names of the output columns, in order.
  public var outputNames: [String]
  /// What was dropped or pooled, and why.
  public var notes: [String]
  /// true: missing numeric values stay NaN (`Preprocessor.keepsMissing`; the steps' medians are
  /// then not used); nil (left out of the model file) for median imputation.
  public var keepsMissing: Bool? = nil

  /// The value a missing value of a numeric step becomes before standardizing: its median, or
  /// NaN when missing values are kept.
  @inline(__always) func imputed(_ median: Double) -> Double { keepsMissing == true ? .nan : median }

  /// Names of the raw design columns, before constant ones are dropped.
  var rawNames: [String] {
    steps.flatMap { step -> [String] in
      switch step {
      case .numeric(let name, _, _): return [name]
      case .missingIndicator(let name): return [name + "_missing"]
      case .categorical(let name, let levels, _, let hasOther):
        return levels.map { "\(name)=\($0)" } + (hasOther ? ["\(name)=\(FittedPreprocessor.otherLevel)"] : [])
      }
    }
  }

  /// Where output column `index` comes from: its input column, and for a one-hot column the
  /// level (`other` for the pooled one); `indicator` for a `NAME_missing` column.
  public func source(ofOutput index: Int) -> (column: String, level: String?, indicator: Bool) {
    var raw = kept[index]
    for step in steps {
      switch step {
      case .numeric(let name, _, _):
        if raw == 0 { return (name, nil, false) }
        raw -= 1
      case .missingIndicator(let name):
        if raw == 0 { return (name, nil, true) }
        raw -= 1
      case .categorical(let name, let levels, _, let hasOther):
        let width = levels.count + (hasOther ? 1 : 0)
        if raw < width { return (name, raw < levels.count ? levels[raw] : FittedPreprocessor.otherLevel, false) }
        raw -= width
      }
    }
    preconditionFailure("output column \(index) has no source")
  }

  /// Each input column's index in `table`: the column of that name, else the first whose name
  /// differs from it only in case (as the CSV readers match headers).
  func inputIndices(_ table: FeatureTable) -> [String: Int] {
    let exact = Dictionary(zip(table.columnNames, table.columns.indices), uniquingKeysWith: { a, _ in a })
    let folded = Dictionary(zip(table.columnNames.map { $0.lowercased() }, table.columns.indices), uniquingKeysWith: { a, _ in a })
    var indices: [String: Int] = [:]
    for name in inputNames {
      if let i = exact[name] ?? folded[name.lowercased()] { indices[name] = i }
    }
    return indices
  }

  /// `table` with each column whose name differs from a training column's only in case renamed
  /// to the training name, so everything downstream (reasons, drift, reports) finds it under
  /// the model's name. A column named exactly as in training keeps its name and wins.
  public func namingColumnsAsInTraining(_ table: FeatureTable) -> FeatureTable {
    var renamed = table
    for (name, index) in inputIndices(table) where table.columnNames[index] != name && !table.columnNames.contains(name) {
      renamed.columnNames[index] = name
    }
    return renamed
  }

  /// Checks that `table` has the training columns (names matched as the CSV readers do,
  /// ignoring case) with the training kinds; names the difference. `source` (a file name)
  /// goes into the message.
  ///
  /// - Throws: `PreprocessingError.missingColumns`, `.kindChanged`.
  public func checkColumns(_ table: FeatureTable, source: String? = nil) throws {
    let indices = inputIndices(table)
    let missing = inputNames.filter { indices[$0] == nil }
    if !missing.isEmpty {
      throw PreprocessingError.missingColumns(source: source, expected: inputNames.count, missing: missing)
    }
    for (name, numeric) in zip(inputNames, inputKinds) where table.columns[indices[name]!].isNumeric != numeric {
      throw PreprocessingError.kindChanged(column: name, trainedNumeric: numeric)
    }
  }

  /// Categorical values of `table` that training never saw, per column, and how they are
  /// scored: as the reference level (every one-hot column 0), which gives them the reference
  /// level's points. Scoring keeps them (a new level must not stop the weekly job); this says
  /// how many customers it concerns. Columns with a pooled level `other` are left out: a value
  /// outside their levels is scored as `other`, as rare training levels are (the model file
  /// does not list those, so a new level cannot be told from a rare one). Columns missing from
  /// `table` are skipped (`checkColumns` names them).
  ///
  /// - Complexity: O(rows × categorical columns).
  public func unseenLevels(_ table: FeatureTable) -> [UnseenLevels] {
    let indices = inputIndices(table)
    var found: [UnseenLevels] = []
    for step in steps {
      guard case .categorical(let name, let levels, let reference, let hasOther) = step, !hasOther, let c = indices[name],
            case .categorical(let values) = table.columns[c] else { continue }
      var known = Set(levels)
      if let reference { known.insert(reference) }
      var counts: [String: Int] = [:]
      for v in values {
        let level = v ?? FittedPreprocessor.missingLevel
        if !known.contains(level) { counts[level, default: 0] += 1 }
      }
      guard !counts.isEmpty else { continue }
      let scoredAs: UnseenLevels.ScoredAs = reference.map { .reference($0) } ?? .noLevel
      found.append(UnseenLevels(column: name, levels: counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) },
                                scoredAs: scoredAs))
    }
    return found
  }

  /// The design matrix: exactly the training-time output columns, in the same order.
  ///
  /// - Throws: `PreprocessingError` when a training column is missing, changed kind, or holds
  ///   an infinite value.
  ///
  /// - Complexity: O(rows × output columns), one pass that writes each output row once (row
  ///   blocks on every core for large tables), with no intermediate matrix.
  public func transform(_ table: FeatureTable) throws -> Matrix {
    try checkColumns(table)
    let n = table.rowCount
    let raw = rawSources(table)
    let plan = outputPlan(raw, rows: n)
    guard n > 0, !plan.isEmpty, !Self.hasInfiniteDroppedValue(raw, kept: kept) else {
      return n > 0 ? try checkedTransform(table) : Matrix(rows: 0, columns: plan.count)
    }
    // Any infinite or extreme value sends the whole table to the step-by-step transform, which
    // finds the first one in the same order as always and names it. The storage is not zeroed
    // first: every element is written, or the matrix is dropped.
    var failed = false
    let storage = [Double](unsafeUninitializedCapacity: n * plan.count) { o, count in
      nonisolated(unsafe) let output = o
      let blocks = (n + Self.transformBlockRows - 1) / Self.transformBlockRows
      let workers = n < 4 * Self.transformBlockRows ? 1 : min(ProcessInfo.processInfo.activeProcessorCount, blocks)
      final class Flag: @unchecked Sendable { var failed = false; let lock = NSLock() }
      let flag = Flag()
      let work: @Sendable (Int) -> Void = { w in
        var bad = false
        for b in stride(from: w, to: blocks, by: workers) where !bad {
          let rows = b * Self.transformBlockRows..<min(n, (b + 1) * Self.transformBlockRows)
          bad = !Self.fill(output, rows: rows, plan: plan)
        }
        if bad { flag.lock.lock(); flag.failed = true; flag.lock.unlock() }
      }
      if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
      failed = flag.failed
      if failed { o.initialize(repeating: 0) }
      count = n * plan.count
    }
    return failed ? try checkedTransform(table) : Matrix(rows: n, columns: plan.count, storage: storage)
  }

  /// The design matrix of `transform`, the same values, but column-major and written one
  /// output column at a time from a table this call owns: each input column is released as
  /// soon as its last output column is written. When the caller has given the table up
  /// (`transform(consuming: consume table)`), the input columns and the matrix are never both
  /// whole in memory: at the peak, the matrix and one input column, not two matrices. (A
  /// caller that keeps a copy keeps the columns alive: then it only costs what `transform` does.)
  ///
  /// Before anything is released, one read of each numeric input column (its least and
  /// largest value) shows whether every value transforms within the limits; if not (an
  /// infinite or extreme value), the table goes to `transform` whole, which names the bad
  /// value as always.
  ///
  /// - Throws: `PreprocessingError`, as `transform`.
  /// - Complexity: O(rows × output columns); at most one input column in memory besides the
  ///   matrix once writing starts.
  public func transform(consuming table: consuming FeatureTable) throws -> Matrix {
    try checkColumns(table)
    let n = table.rowCount, d = kept.count
    guard n > 0, d > 0 else { return Matrix(rows: n, columns: d, storage: [], layout: .columnMajor) }
    let index = inputIndices(table)
    guard Self.withinLimits(self, table, index) else { return try transform(table).columnMajor }
    // The last step that reads each input column: released right after it.
    var lastStep: [Int: Int] = [:]
    for (s, step) in steps.enumerated() {
      switch step {
      case .numeric(let name, _, _), .missingIndicator(let name), .categorical(let name, _, _, _): lastStep[index[name]!] = s
      }
    }
    var table = table
    let workers = n < 4 * Self.transformBlockRows ? 1 : ProcessInfo.processInfo.activeProcessorCount
    let storage = [Double](unsafeUninitializedCapacity: n * d) { out, count in
      nonisolated(unsafe) let output = out
      var raw = 0, k = 0
      /// Output column k (when raw design column `raw` is kept) from `value(i)`, rows split over the workers.
      func write(_ value: @Sendable (Int) -> Double) {
        defer { raw += 1 }
        guard k < d, kept[k] == raw else { return }
        nonisolated(unsafe) let column = output.baseAddress! + k * n
        k += 1
        if workers == 1 {
          for i in 0..<n { column[i] = value(i) }
          return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
          for i in (w * n / workers)..<((w + 1) * n / workers) { column[i] = value(i) }
        }
      }
      for (s, step) in steps.enumerated() {
        switch step {
        case .numeric(let name, let transform, let median):
          guard case .numeric(let values) = table.columns[index[name]!] else { preconditionFailure("checked by checkColumns") }
          // (Output k's standardization, used only when `write` finds this raw column kept.)
          let (mean, deviation) = k < d ? (means[k], deviations[k]) : (0, 1)
          let median = imputed(median)
          write { i in
            let v = values[i]
            return ((v.isNaN ? median : transform.apply(v)) - mean) / deviation
          }
        case .missingIndicator(let name):
          guard case .numeric(let values) = table.columns[index[name]!] else { preconditionFailure("checked by checkColumns") }
          let (missing, present) = k < d ? ((1 - means[k]) / deviations[k], (0 - means[k]) / deviations[k]) : (0, 0)
          write { i in values[i].isNaN ? missing : present }
        case .categorical(let name, let levels, let reference, let hasOther):
          guard case .categorical(let values) = table.columns[index[name]!] else { preconditionFailure("checked by checkColumns") }
          let position = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, Int32($0)) })
          let other = hasOther ? Int32(levels.count) : -1
          let codes = values.map { value -> Int32 in
            let level = value ?? FittedPreprocessor.missingLevel
            if let k = position[level] { return k }
            return level != reference ? other : -1
          }
          for code in 0..<Int32(levels.count + (hasOther ? 1 : 0)) {
            let (on, off) = k < d ? ((1 - means[k]) / deviations[k], (0 - means[k]) / deviations[k]) : (0, 0)
            write { i in codes[i] == code ? on : off }
          }
        }
        for (c, last) in lastStep where last == s { table.columns[c] = .numeric([]) }
      }
      precondition(k == d, "transform(consuming:) wrote \(k) of \(d) output columns")
      count = n * d
    }
    return Matrix(rows: n, columns: d, storage: storage, layout: .columnMajor)
  }

  /// Whether every value of `table` transforms and standardizes within the limits by the
  /// one-pass formula (no infinite input, no standardized value beyond half its limit), from
  /// each numeric column's least and largest value: the transforms are increasing and the
  /// standardization affine with a positive scale, so the extremes bound every value, and half
  /// the limit leaves room for rounding. False sends the table the way of `transform`.
  static func withinLimits(_ p: FittedPreprocessor, _ table: FeatureTable, _ index: [String: Int]) -> Bool {
    // Each kept output column's bound, by raw design column.
    var outputOf: [Int: Int] = [:]
    for (k, r) in p.kept.enumerated() { outputOf[r] = k }
    @Sendable func fits(_ z: Double, _ k: Int) -> Bool { abs(z) <= p.limit(output: k) / 2 }
    var raw = 0
    var numeric: [(values: [Double], transform: Transform, median: Double, output: Int?)] = []
    for step in p.steps {
      switch step {
      case .numeric(let name, let transform, let median):
        guard case .numeric(let values) = table.columns[index[name]!] else { return false }
        numeric.append((values, transform, median, outputOf[raw]))
        raw += 1
      case .missingIndicator:
        if let k = outputOf[raw], !fits((1 - p.means[k]) / p.deviations[k], k) || !fits((0 - p.means[k]) / p.deviations[k], k) { return false }
        raw += 1
      case .categorical(_, let levels, _, let hasOther):
        for _ in 0..<(levels.count + (hasOther ? 1 : 0)) {
          if let k = outputOf[raw], !fits((1 - p.means[k]) / p.deviations[k], k) || !fits((0 - p.means[k]) / p.deviations[k], k) { return false }
          raw += 1
        }
      }
    }
    final class Verdict: @unchecked Sendable { var ok: [Bool]; init(_ n: Int) { ok = Array(repeating: true, count: n) } }
    let verdict = Verdict(numeric.count)
    let columns = numeric
    DispatchQueue.concurrentPerform(iterations: max(1, min(ProcessInfo.processInfo.activeProcessorCount, columns.count))) { w in
      let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, columns.count))
      for c in stride(from: w, to: columns.count, by: workers) {
        let (values, transform, median, output) = columns[c]
        let (least, largest, missing) = Self.extremes(values)
        // An infinite value is an input error (also in a column dropped as constant).
        var ok = least != -.infinity && largest != .infinity
        if ok, let k = output {
          let z = { (v: Double) in (transform.apply(v) - p.means[k]) / p.deviations[k] }
          if least <= largest { ok = fits(z(least), k) && fits(z(largest), k) }
          if missing && p.keepsMissing != true { ok = ok && fits((median - p.means[k]) / p.deviations[k], k) }
        }
        verdict.ok[c] = ok
      }
    }
    return !verdict.ok.contains(false)
  }

  /// The least and largest non-NaN value of `values` (∞ and −∞ when there is none) and whether
  /// one is NaN, eight lanes at a time.
  static func extremes(_ values: [Double]) -> (least: Double, largest: Double, missing: Bool) {
    values.withUnsafeBufferPointer { v in
      // NaN fails every comparison: it never replaces an extreme, and only `x .!= x` sees it.
      var lo = SIMD8<Double>(repeating: .infinity), hi = SIMD8<Double>(repeating: -.infinity)
      var nan = SIMDMask<SIMD8<Int64>>(repeating: false)
      var i = 0
      if let base = v.baseAddress {
        let raw = UnsafeRawPointer(base)
        while i + 8 <= v.count {
          let x = raw.loadUnaligned(fromByteOffset: i * 8, as: SIMD8<Double>.self)
          lo.replace(with: x, where: x .< lo)
          hi.replace(with: x, where: x .> hi)
          nan = nan .| (x .!= x)
          i += 8
        }
      }
      var least = lo.min(), largest = hi.max(), missing = any(nan)
      while i < v.count {
        let x = v[i]
        if x < least { least = x }
        if x > largest { largest = x }
        if x.isNaN { missing = true }
        i += 1
      }
      return (least, largest, missing)
    }
  }

  /// Rows per block of the one-pass transform: 50 output columns of a block stay in L2.
  static let transformBlockRows = 1024

  /// How to compute one output column from the input table.
  enum OutputSource {
    /// A numeric column: missing → median, else the transform.
    case value(values: [Double], transform: Transform, median: Double)
    /// `NAME_missing`: 1 where the value is missing.
    case indicator(values: [Double])
    /// A one-hot column: 1 where the row's level code is `code`.
    case level(codes: [Int32], code: Int32)
  }

  struct OutputColumn: @unchecked Sendable {
    var source: OutputSource
    var mean: Double
    var deviation: Double
    var limit: Double
  }

  /// Each output column's source, mean, deviation and limit, in output order.
  func outputPlan(_ raw: [OutputSource?], rows: Int) -> [OutputColumn] {
    kept.indices.map { k in
      let unstandardized = means[k] == 0 && deviations[k] == 1
      return OutputColumn(source: raw[kept[k]] ?? .level(codes: [Int32](repeating: -1, count: rows), code: 0),
                          mean: means[k], deviation: deviations[k],
                          limit: unstandardized ? Double.greatestFiniteMagnitude : Self.largestStandardizedValue)
    }
  }

  /// Where each raw design column (before constant ones are dropped) comes from; nil for a
  /// column whose input has the other kind (`checkColumns` names it).
  func rawSources(_ table: FeatureTable) -> [OutputSource?] {
    let index = inputIndices(table)
    var raw: [OutputSource?] = []
    for step in steps {
      switch step {
      case .numeric(let name, let transform, let median):
        guard case .numeric(let values) = table.columns[index[name]!] else { raw.append(nil); continue }
        raw.append(.value(values: values, transform: transform, median: imputed(median)))
      case .missingIndicator(let name):
        guard case .numeric(let values) = table.columns[index[name]!] else { raw.append(nil); continue }
        raw.append(.indicator(values: values))
      case .categorical(let name, let levels, let reference, let hasOther):
        let width = levels.count + (hasOther ? 1 : 0)
        guard case .categorical(let values) = table.columns[index[name]!] else {
          raw += [OutputSource?](repeating: nil, count: width)
          continue
        }
        // Each row's one-hot position (−1: every column 0), found once per row, not per column.
        let position = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, Int32($0)) })
        let other = hasOther ? Int32(levels.count) : -1
        let codes = values.map { value -> Int32 in
          let level = value ?? FittedPreprocessor.missingLevel
          if let k = position[level] { return k }
          return level != reference ? other : -1
        }
        raw += (0..<width).map { OutputSource.level(codes: codes, code: Int32($0)) }
      }
    }
    return raw
  }

  /// Raw design column `source` (untransformed, unstandardized: `rawMatrix`'s column) into `column`.
  static func fillRaw(_ source: OutputSource?, into column: inout [Double]) {
    column.withUnsafeMutableBufferPointer { out in
      switch source {
      case .value(let values, let transform, let median)?:
        for i in out.indices {
          let v = values[i]
          out[i] = v.isNaN ? median : transform.apply(v)
        }
      case .indicator(let values)?:
        for i in out.indices { out[i] = values[i].isNaN ? 1 : 0 }
      case .level(let codes, let code)?:
        for i in out.indices { out[i] = codes[i] == code ? 1 : 0 }
      case nil:
        for i in out.indices { out[i] = 0 }
      }
    }
  }

  /// Whether a numeric input column whose value column was dropped (constant in training) holds
  /// an infinite value: an input error all the same.
  static func hasInfiniteDroppedValue(_ raw: [OutputSource?], kept: [Int]) -> Bool {
    let keptRaw = Set(kept)
    return raw.indices.contains { j in
      guard !keptRaw.contains(j), case .value(let values, _, _)? = raw[j] else { return false }
      return values.contains(where: \.isInfinite)
    }
  }

  /// Writes `rows` of the output; false at the first infinite input or standardized value past
  /// its limit (the caller then runs the checked transform for the error).
  static func fill(_ output: UnsafeMutableBufferPointer<Double>, rows: Range<Int>, plan: [OutputColumn]) -> Bool {
    let d = plan.count
    for (k, column) in plan.enumerated() {
      let mean = column.mean, deviation = column.deviation, limit = column.limit
      switch column.source {
      case .value(let values, let transform, let median):
        for i in rows {
          let v = values[i]
          if v.isInfinite { return false }
          let z = ((v.isNaN ? median : transform.apply(v)) - mean) / deviation
          // (A kept missing value is NaN, within every limit.)
          guard !(abs(z) > limit) else { return false }
          output[i * d + k] = z
        }
      case .indicator(let values):
        let missing = (1 - mean) / deviation, present = (0 - mean) / deviation
        guard abs(missing) <= limit, abs(present) <= limit else { return false }
        for i in rows { output[i * d + k] = values[i].isNaN ? missing : present }
      case .level(let codes, let code):
        let on = (1 - mean) / deviation, off = (0 - mean) / deviation
        guard abs(on) <= limit, abs(off) <= limit else { return false }
        for i in rows { output[i * d + k] = codes[i] == code ? on : off }
      }
    }
    return true
  }

  /// The transform step by step through the raw matrix: the reference the one-pass transform
  /// must equal, and the path that finds and names the first bad value.
  func checkedTransform(_ table: FeatureTable) throws -> Matrix {
    let raw = try rawMatrix(table, checkColumns: true)
    let d = kept.count
    var out = Matrix(rows: raw.rows, columns: d)
    let width = raw.columns
    for i in 0..<raw.rows {
      for k in 0..<d {
        let value: Double = raw.storage[i * width + kept[k]]
        let z = standardized(value, output: k)
        guard !(abs(z) > limit(output: k)) else {
          throw PreprocessingError.extremeValue(column: outputNames[k], row: i, id: table.ids[i], value: inputValue(table, output: k, row: i),
                                                deviations: z, mean: means[k])
        }
        out.storage[i * d + k] = z
      }
    }
    return out
  }

  /// Design value `value` of output column k standardized: (value − mean) / deviation, or
  /// value / deviation − mean / deviation where the first is beyond `limit(output:)` (value −
  /// mean can overflow where the quotient does not). Beyond the limit still: an input error.
  @inline(__always) func standardized(_ value: Double, output k: Int) -> Double {
    let z = (value - means[k]) / deviations[k]
    return abs(z) <= limit(output: k) ? z : value / deviations[k] - means[k] / deviations[k]
  }

  /// Unstandardized columns (a forest's: mean 0, deviation 1) only compare with thresholds:
  /// any finite value will do; standardized ones stay within `largestStandardizedValue`.
  @inline(__always) func limit(output k: Int) -> Double {
    means[k] == 0 && deviations[k] == 1 ? Double.greatestFiniteMagnitude : Self.largestStandardizedValue
  }

  /// Whether `values` are ascending and none is −0 (then any ascending arrangement of the same
  /// values has the same bits).
  static func isAscendingWithoutNegativeZero(_ values: [Double]) -> Bool {
    let negativeZero = (-0.0).bitPattern
    var previous = -Double.infinity
    for v in values {
      guard previous <= v, v.bitPattern != negativeZero else { return false }
      previous = v
    }
    return true
  }

  /// The step that makes output column k, and which of its raw columns it is.
  func step(ofOutput k: Int) -> (step: Step, offset: Int) {
    var raw = kept[k]
    for step in steps {
      let width: Int
      switch step {
      case .numeric, .missingIndicator: width = 1
      case .categorical(_, let levels, _, let hasOther): width = levels.count + (hasOther ? 1 : 0)
      }
      if raw < width { return (step, raw) }
      raw -= width
    }
    preconditionFailure("output column \(k) has no step")
  }

  /// The prepared columns of `table` in ascending order, from its sorted columns (`sorted`)
  /// instead of sorting the prepared matrix: for the forest's bins (`FeatureBins`).
  func columnOrder(_ table: FeatureTable, sorted: SortedColumns) -> PreparedColumnOrder? {
    guard sorted.describes(table) else { return nil }
    return PreparedColumnOrder(preprocessor: self, sorted: sorted, indices: inputIndices(table))
  }

  /// The largest standardized value (standard deviations from the training mean) a
  /// standardized column takes: 10¹². Beyond it a value is an input error (a unit or
  /// decimal-point slip, an overflow), and keeping every value below it keeps the logistic
  /// model's arithmetic finite (|β| ≤ 10¹² in a model file, so each term stays below 10²⁴).
  /// Unstandardized columns (mean 0 and deviation 1: the forest's, which only compares values
  /// with thresholds) take any finite value.
  public static let largestStandardizedValue = 1e12

  /// The table's value behind output column `k` at `row`, for messages.
  func inputValue(_ table: FeatureTable, output k: Int, row: Int) -> Double {
    let source = source(ofOutput: k)
    guard source.level == nil, !source.indicator, let c = inputIndices(table)[source.column], case .numeric(let v) = table.columns[c] else { return .nan }
    return v[row]
  }

  func rawMatrix(_ table: FeatureTable, checkColumns check: Bool) throws -> Matrix {
    if check { try checkColumns(table) }
    let index = inputIndices(table)
    let width = rawNames.count
    let n = table.rowCount
    var m = Matrix(rows: n, columns: width)
    var column = 0
    for step in steps {
      switch step {
      case .numeric(let name, let transform, let median):
        guard case .numeric(let values) = table.columns[index[name]!] else { continue }
        for i in 0..<n {
          let v = values[i]
          if v.isInfinite { throw PreprocessingError.infiniteValue(column: name, row: i, id: table.ids[i]) }
          m.storage[i * width + column] = v.isNaN ? imputed(median) : transform.apply(v)
        }
        column += 1
      case .missingIndicator(let name):
        guard case .numeric(let values) = table.columns[index[name]!] else { continue }
        for i in 0..<n { m.storage[i * width + column] = values[i].isNaN ? 1 : 0 }
        column += 1
      case .categorical(let name, let levels, let reference, let hasOther):
        guard case .categorical(let values) = table.columns[index[name]!] else { continue }
        let position = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, $0) })
        for i in 0..<n {
          let level = values[i] ?? FittedPreprocessor.missingLevel
          if let k = position[level] {
            m.storage[i * width + column + k] = 1
          } else if level != reference && hasOther {
            m.storage[i * width + column + levels.count] = 1
          }
        }
        column += levels.count + (hasOther ? 1 : 0)
      }
    }
    return m
  }
}

/// The columns of a prepared table (`FittedPreprocessor.transform`) in ascending order, built
/// from the table's sorted columns: a numeric column's transform is increasing and its
/// standardization affine with a positive scale, so its sorted values mapped, with the median
/// (imputed for each missing value) inserted in place, are the prepared column sorted.
struct PreparedColumnOrder: Sendable {
  let preprocessor: FittedPreprocessor
  let sorted: SortedColumns
  /// Each input column's index in the table.
  let indices: [String: Int]

  /// Output column k's values ascending, equal bit for bit to the prepared column sorted; nil
  /// for a one-hot or indicator column (two values: counted, not sorted, by `FeatureBins`), or
  /// when floating point broke the order (then the caller sorts).
  ///
  /// - Complexity: O(rows).
  func column(_ k: Int) -> [Double]? {
    guard case (.numeric(let name, let transform, let median), _) = preprocessor.step(ofOutput: k), let c = indices[name],
          let ascending = sorted.values[c] else { return nil }
    let missing = sorted.rowCount - ascending.count
    // Kept missing values are NaN, in no order: the bins leave them out themselves.
    if missing > 0 && preprocessor.keepsMissing == true { return nil }
    let limit = preprocessor.limit(output: k)
    let imputed = preprocessor.standardized(median, output: k)
    guard abs(imputed) <= limit else { return nil }
    var out: [Double] = []
    out.reserveCapacity(sorted.rowCount)
    var inserted = missing == 0
    for v in ascending {
      let z = preprocessor.standardized(transform.apply(v), output: k)
      guard abs(z) <= limit else { return nil }
      if !inserted && imputed < z {
        out.append(contentsOf: repeatElement(imputed, count: missing))
        inserted = true
      }
      out.append(z)
    }
    if !inserted { out.append(contentsOf: repeatElement(imputed, count: missing)) }
    return FittedPreprocessor.isAscendingWithoutNegativeZero(out) ? out : nil
  }

  /// Each output column's forest bin cut points (`FeatureBins.cuts`) from `column(_:)`; nil
  /// where it gives no order (the bins then sort or count the prepared column).
  func binCuts(maxBins: Int = 255, threads: Int = 1) -> [[Double]?] {
    let d = preprocessor.outputNames.count
    final class Slots: @unchecked Sendable {
      var cuts: [[Double]?]
      let lock = NSLock()
      init(_ d: Int) { cuts = Array(repeating: nil, count: d) }
    }
    let slots = Slots(d)
    let workers = max(1, min(threads, d))
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      for k in stride(from: worker, to: d, by: workers) {
        guard let ascending = column(k) else { continue }
        let cuts = FeatureBins.cuts(ascending: ascending, maxBins: maxBins)
        slots.lock.lock()
        slots.cuts[k] = cuts
        slots.lock.unlock()
      }
    }
    return slots.cuts
  }
}

/// Data the preprocessing cannot use, with what to do.
public enum PreprocessingError: Error, Equatable, CustomStringConvertible {
  case infiniteValue(column: String, row: Int, id: String)
  case extremeValue(column: String, row: Int, id: String, value: Double, deviations: Double, mean: Double)
  case nonFiniteProbability(row: Int, id: String, value: Double)
  case nothingLeft(columns: Int)
  /// `source`: the file the table came from, when known.
  case missingColumns(source: String?, expected: Int, missing: [String])
  case kindChanged(column: String, trainedNumeric: Bool)

  public var description: String {
    switch self {
    case .infiniteValue(let column, let row, let id):
      return "\(column) is infinite for \(id) (row \(row + 1)); expected a finite number or blank"
    case .extremeValue(let column, let row, let id, let value, let deviations, let mean):
      let amount = deviations.isFinite ? String(format: "%.3g standard deviations", abs(deviations)) : "infinitely many standard deviations"
      return "\(column) is \(String(format: "%g", value)) for \(id) (row \(row + 1)), \(amount) from the training mean \(String(format: "%g", mean)); "
        + "expected at most 1e+12 standard deviations: check this value in the input (a unit or decimal-point slip?)"
    case .nonFiniteProbability(let row, let id, let value):
      return "the churn probability of \(id) (row \(row + 1)) is \(value), not a number in [0, 1]; please report this with the model file"
    case .nothingLeft(let columns):
      return "none of the \(columns) feature columns varies in the training rows; nothing to learn from"
    case .missingColumns(let source, let expected, let missing):
      let shown = missing.prefix(8).joined(separator: ", ") + (missing.count > 8 ? ", ... (\(missing.count) in all)" : "")
      return "\(source ?? "the input") lacks \(missing.count) of the model's \(expected) feature columns: \(shown); "
        + "expected every column the model was trained on (other columns are ignored, case does not matter); "
        + "fix: add \(missing.count == 1 ? "it under the name" : "them under the names") used in training"
    case .kindChanged(let column, let numeric):
      return "\(column) was \(numeric ? "numeric" : "categorical") in training and is \(numeric ? "categorical" : "numeric") here; "
        + "declare its kind (--numeric or --categorical) as in training"
    }
  }
}

/// Values of one categorical column that training never saw (`FittedPreprocessor.unseenLevels`).
public struct UnseenLevels: Sendable, Equatable, CustomStringConvertible {
  /// How such a value is scored.
  public enum ScoredAs: Sendable, Equatable {
    /// As the model's reference level (the one without a one-hot column).
    case reference(String)
    /// As no level at all (every one-hot column 0; a model fitted without a reference level).
    case noLevel
  }

  public var column: String
  /// Each unseen level and its number of rows, most frequent first.
  public var levels: [(level: String, rows: Int)]
  public var scoredAs: ScoredAs

  public init(column: String, levels: [(level: String, rows: Int)], scoredAs: ScoredAs) {
    self.column = column
    self.levels = levels
    self.scoredAs = scoredAs
  }

  /// Rows with an unseen level.
  public var rows: Int { levels.reduce(0) { $0 + $1.rows } }

  public static func == (a: UnseenLevels, b: UnseenLevels) -> Bool {
    a.column == b.column && a.scoredAs == b.scoredAs && a.levels.map(\.level) == b.levels.map(\.level) && a.levels.map(\.rows) == b.levels.map(\.rows)
  }

  /// "contract has 3 customers with levels unseen in training (Ten year: 3); they are scored as
  /// the model's reference level Month-to-month".
  public var description: String {
    let shown = levels.prefix(5).map { "\($0.level): \($0.rows)" }.joined(separator: ", ") + (levels.count > 5 ? ", ... (\(levels.count) levels)" : "")
    let how: String
    switch scoredAs {
    case .reference(let level): how = "they are scored as the model's reference level \(level)"
    case .noLevel: how = "they are scored as no level of \(column) (every one of its columns 0)"
    }
    return "\(column) has \(rows) \(rows == 1 ? "customer" : "customers") with \(levels.count == 1 ? "a level" : "levels") unseen in training (\(shown)); \(how)"
  }
}
