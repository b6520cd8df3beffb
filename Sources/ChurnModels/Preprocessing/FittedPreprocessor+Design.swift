import ChurnCore
import Foundation

extension FittedPreprocessor {
  /// The design matrix of `transform(_:)`, equal to it bit for bit and with the same errors,
  /// built straight from the table's columns: no intermediate matrix of every raw design
  /// column (which doubled the peak memory of training), and each value written once.
  ///
  /// Rows are filled a block at a time (a block of the output fits in cache while every
  /// column writes into it). Errors come in `transform`'s order: a missing or changed column,
  /// then an infinite value (by step, then row), then the first extreme value by row, then
  /// output column.
  ///
  /// - Throws: `PreprocessingError`, as `transform(_:)`.
  /// - Complexity: O(rows × output columns); memory: the matrix.
  public func designMatrix(_ table: FeatureTable) throws -> Matrix {
    try checkColumns(table)
    let index = inputIndices(table)
    let n = table.rowCount, d = kept.count
    // Output column of each raw design column (-1: dropped).
    var output = [Int](repeating: -1, count: rawNames.count)
    for (k, raw) in kept.enumerated() { output[raw] = k }
    // Infinite values first, in the order `rawMatrix` meets them.
    for step in steps {
      guard case .numeric(let name, _, _) = step, case .numeric(let values) = table.columns[index[name]!] else { continue }
      if let i = values.firstIndex(where: \.isInfinite) { throw PreprocessingError.infiniteValue(column: name, row: i, id: table.ids[i]) }
    }
    enum Source {
      case numeric([Double], FittedPreprocessor.Transform, median: Double, output: Int)
      case indicator([Double], output: Int)
      /// Output column per level (-1: dropped), then the pooled level's (`other`), if any.
      case categorical([String?], position: [String: Int], outputs: [Int], other: Int?, reference: String?)
    }
    var sources: [Source] = []
    var raw = 0
    for step in steps {
      switch step {
      case .numeric(let name, let transform, let median):
        if case .numeric(let values) = table.columns[index[name]!], output[raw] >= 0 {
          sources.append(.numeric(values, transform, median: median, output: output[raw]))
        }
        raw += 1
      case .missingIndicator(let name):
        if case .numeric(let values) = table.columns[index[name]!], output[raw] >= 0 { sources.append(.indicator(values, output: output[raw])) }
        raw += 1
      case .categorical(let name, let levels, let reference, let hasOther):
        let width = levels.count + (hasOther ? 1 : 0)
        let outputs = (raw..<(raw + width)).map { output[$0] }
        if case .categorical(let values) = table.columns[index[name]!], outputs.contains(where: { $0 >= 0 }) {
          sources.append(.categorical(values, position: Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, $0) }),
                                      outputs: Array(outputs.prefix(levels.count)), other: hasOther ? outputs[levels.count] : nil,
                                      reference: reference))
        }
        raw += width
      }
    }
    let means = self.means, deviations = self.deviations
    let limits = kept.indices.map { means[$0] == 0 && deviations[$0] == 1 ? Double.greatestFiniteMagnitude : Self.largestStandardizedValue }
    // The first extreme value: (row, output column, standardized value).
    var extreme: (row: Int, k: Int, z: Double)?
    let blockRows = max(1, (1 << 17) / max(d, 1))
    let storage = [Double](unsafeUninitializedCapacity: n * d) { buffer, count in
      guard let out = buffer.baseAddress else { count = 0; return }
      // As `transform`: (value − mean) / deviation, or value / deviation − mean / deviation where the difference overflows.
      @inline(__always) func put(_ value: Double, row i: Int, _ k: Int) {
        var z = (value - means[k]) / deviations[k]
        if !(abs(z) <= limits[k]) {
          z = value / deviations[k] - means[k] / deviations[k]
          if !(abs(z) <= limits[k]), extreme == nil || (i, k) < (extreme!.row, extreme!.k) { extreme = (i, k, z) }
        }
        out[i * d + k] = z
      }
      var lower = 0
      while lower < n && extreme == nil {
        let upper = min(n, lower + blockRows)
        for source in sources {
          switch source {
          case .numeric(let values, let transform, let median, let k):
            for i in lower..<upper {
              let v = values[i]
              put(v.isNaN ? median : transform.apply(v), row: i, k)
            }
          case .indicator(let values, let k):
            for i in lower..<upper { put(values[i].isNaN ? 1 : 0, row: i, k) }
          case .categorical(let values, let position, let outputs, let other, let reference):
            for i in lower..<upper {
              let level = values[i] ?? FittedPreprocessor.missingLevel
              var hit = -1
              if let p = position[level] {
                hit = outputs[p]
                if hit < 0 { hit = -2 }  // a dropped level's column: every kept one is 0
              } else if level != reference, let other {
                hit = other
              }
              for k in outputs where k >= 0 { put(k == hit ? 1 : 0, row: i, k) }
              if let other, other >= 0 { put(other == hit ? 1 : 0, row: i, other) }
            }
          }
        }
        lower = upper
      }
      // Filled only when no row has an extreme value; otherwise the matrix is thrown away.
      if extreme != nil { out.initialize(repeating: 0, count: n * d) }
      count = n * d
    }
    if let extreme {
      throw PreprocessingError.extremeValue(column: outputNames[extreme.k], row: extreme.row, id: table.ids[extreme.row],
                                            value: inputValue(table, output: extreme.k, row: extreme.row), deviations: extreme.z,
                                            mean: means[extreme.k])
    }
    return Matrix(rows: n, columns: d, storage: storage)
  }
}
