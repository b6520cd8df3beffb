import Dispatch
import Foundation

/// Each numeric column's non-missing values in ascending order, sorted once and shared by
/// what needs order statistics of the training columns: the preprocessor's medians, the drift
/// references' deciles and the forest's bin cuts (each sorted its own copy before).
///
/// Columns are sorted in parallel, each by one thread, so the result does not depend on the
/// thread count.
public struct SortedColumns: Sendable {
  /// Per column of the table: its non-missing values ascending, exactly
  /// `values.filter { !$0.isNaN }.sorted()`; nil for a categorical column.
  public let values: [[Double]?]
  /// The table's row count and column names, to check a table is the one sorted.
  public let rowCount: Int
  public let columnNames: [String]
  /// A hash of each numeric column's values in row order (0 for a categorical one).
  let fingerprints: [UInt64]

  /// Sorts every numeric column of `table`.
  ///
  /// - Complexity: O(rows × log rows) per numeric column, over `threads` threads.
  public init(_ table: FeatureTable, threads: Int = 1) {
    rowCount = table.rowCount
    columnNames = table.columnNames
    let columns = table.columns
    final class Slots: @unchecked Sendable {
      var values: [[Double]?]
      var fingerprints: [UInt64]
      let lock = NSLock()
      init(_ n: Int) {
        values = Array(repeating: nil, count: n)
        fingerprints = Array(repeating: 0, count: n)
      }
    }
    let slots = Slots(columns.count)
    let workers = max(1, min(threads, columns.count))
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      for c in stride(from: worker, to: columns.count, by: workers) {
        guard case .numeric(let v) = columns[c] else { continue }
        let sorted = v.filter { !$0.isNaN }.sorted()
        let print = Self.fingerprint(v)
        slots.lock.lock()
        slots.values[c] = sorted
        slots.fingerprints[c] = print
        slots.lock.unlock()
      }
    }
    values = slots.values
    fingerprints = slots.fingerprints
  }

  /// Whether these are the columns of `table`: the same row count, column names and numeric
  /// values (checked by a hash of each column, in one pass).
  public func describes(_ table: FeatureTable, threads: Int = 1) -> Bool {
    Self.describes(table, rowCount: rowCount, columnNames: columnNames, fingerprints: fingerprints, numeric: values.map { $0 != nil },
                   threads: threads)
  }

  /// What a model keeps of them after its fit: the drift references' decile edges and bin
  /// counts and the medians' middle values of each numeric column, not every value.
  public var deciles: ColumnDeciles {
    let summaries = values.map { $0.map { ColumnDeciles.summary(ascending: $0, missing: rowCount - $0.count) } }
    return ColumnDeciles(edges: summaries.map { $0?.edges }, binCounts: summaries.map { $0?.binCounts }, middles: summaries.map { $0?.middle },
                         rowCount: rowCount, columnNames: columnNames, fingerprints: fingerprints)
  }

  static func describes(_ table: FeatureTable, rowCount: Int, columnNames: [String], fingerprints: [UInt64], numeric: [Bool],
                        threads: Int = 1) -> Bool {
    guard rowCount == table.rowCount && columnNames == table.columnNames else { return false }
    let columns = table.columns
    for (c, column) in columns.enumerated() where column.isNumeric != numeric[c] { return false }
    // The hashes, column by column over the threads.
    var same = [Bool](repeating: true, count: columns.count)
    let workers = max(1, min(threads, columns.count))
    same.withUnsafeMutableBufferPointer { s in
      nonisolated(unsafe) let same = s  // each worker writes its own columns
      DispatchQueue.concurrentPerform(iterations: workers) { worker in
        for c in stride(from: worker, to: columns.count, by: workers) {
          if case .numeric(let v) = columns[c] { same[c] = fingerprints[c] == fingerprint(v) }
        }
      }
    }
    return !same.contains(false)
  }

  /// FNV-1a-style hash of the values' bits in order: four interleaved lanes (values 4i,
  /// 4i + 1, ... each in its own), so the multiplications overlap, then the lanes and the count
  /// hashed together.
  static func fingerprint(_ values: [Double]) -> UInt64 {
    let prime: UInt64 = 0x0000_0100_0000_01b3
    let basis: UInt64 = 0xcbf2_9ce4_8422_2325
    // Four scalar lanes (a vector of 64-bit products has no single instruction here).
    var (h0, h1, h2, h3) = (basis, basis &+ 1, basis &+ 2, basis &+ 3)
    let n = values.count
    values.withUnsafeBufferPointer { v in
      var i = 0
      while i + 4 <= n {
        h0 = (h0 ^ v[i].bitPattern) &* prime
        h1 = (h1 ^ v[i + 1].bitPattern) &* prime
        h2 = (h2 ^ v[i + 2].bitPattern) &* prime
        h3 = (h3 ^ v[i + 3].bitPattern) &* prime
        i += 4
      }
      if i < n { h0 = (h0 ^ v[i].bitPattern) &* prime }
      if i + 1 < n { h1 = (h1 ^ v[i + 1].bitPattern) &* prime }
      if i + 2 < n { h2 = (h2 ^ v[i + 2].bitPattern) &* prime }
    }
    var out = basis
    for word in [h0, h1, h2, h3, UInt64(n)] { out = (out ^ word) &* prime }
    return out
  }

}

/// What the training table's order gives a model, per numeric column: the drift references'
/// decile edges (`DriftReference.deciles`) with the count of values in each of their bins, and
/// the middle values the preprocessor's median is made of. From one selection of each column
/// (`init(selecting:threads:)`) or from its sorted values (`SortedColumns.deciles`), kept after
/// the fit without keeping every value sorted.
public struct ColumnDeciles: Sendable {
  /// Per column of the table: a numeric column's edges, nil for a categorical one.
  public let edges: [[Double]?]
  /// Per column: the number of rows in each bin of the edges (as `DriftReference`'s shares
  /// count them: the bins, then the missing values), nil for a categorical column.
  public let binCounts: [[Int]?]
  /// Per column: the values at ranks (m − 1) / 2 and m / 2 of the m non-missing values sorted
  /// (equal for odd m), with the bits a sort gives; nil for a categorical column or one with
  /// no value.
  public let middles: [(lower: Double, upper: Double)?]
  let rowCount: Int
  let columnNames: [String]
  let fingerprints: [UInt64]

  /// The deciles, bin counts and middle values of every numeric column of `table` found by one
  /// radix selection of each column (`OrderStatistics.ranked`), without sorting: the same as
  /// `SortedColumns(table).deciles` in O(rows) per column instead of O(rows · log rows). A
  /// column holding −0 is sorted, so that which of −0 and +0 becomes an edge is the sort's
  /// choice, as before. Columns spread over `threads`, each by one thread.
  public init(selecting table: FeatureTable, threads: Int = 1) {
    let columns = table.columns
    var summaries = [Summary?](repeating: nil, count: columns.count)
    var fingerprints = [UInt64](repeating: 0, count: columns.count)
    let workers = max(1, min(threads, columns.count))
    summaries.withUnsafeMutableBufferPointer { s in
      fingerprints.withUnsafeMutableBufferPointer { f in
        nonisolated(unsafe) let summaries = s, fingerprints = f  // each worker writes its own columns
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
          for c in stride(from: worker, to: columns.count, by: workers) {
            guard case .numeric(let v) = columns[c] else { continue }
            fingerprints[c] = SortedColumns.fingerprint(v)
            summaries[c] = Self.summary(selecting: v)
          }
        }
      }
    }
    self.init(edges: summaries.map { $0?.edges }, binCounts: summaries.map { $0?.binCounts }, middles: summaries.map { $0?.middle },
              rowCount: table.rowCount, columnNames: table.columnNames, fingerprints: fingerprints)
  }

  init(edges: [[Double]?], binCounts: [[Int]?], middles: [(lower: Double, upper: Double)?], rowCount: Int, columnNames: [String],
       fingerprints: [UInt64]) {
    self.edges = edges
    self.binCounts = binCounts
    self.middles = middles
    self.rowCount = rowCount
    self.columnNames = columnNames
    self.fingerprints = fingerprints
  }

  /// Whether these are the deciles of `table` (as `SortedColumns.describes`), its columns
  /// checked over `threads`.
  public func describes(_ table: FeatureTable, threads: Int = 1) -> Bool {
    SortedColumns.describes(table, rowCount: rowCount, columnNames: columnNames, fingerprints: fingerprints, numeric: edges.map { $0 != nil },
                            threads: threads)
  }

  /// Column `c`'s middle values (`middles`) when `values` are that column's (the same hash)
  /// and `table` has the row count and column names these were found for; nil otherwise.
  /// Checks one column, so a caller spreading columns over threads checks each where it reads
  /// it (one pass over the column while it is in cache, not a pass over the whole table first).
  public func middle(ofColumn c: Int, in table: FeatureTable) -> (lower: Double, upper: Double)? {
    guard rowCount == table.rowCount, columnNames == table.columnNames, middles.indices.contains(c), let middle = middles[c],
          case .numeric(let values) = table.columns[c], fingerprints[c] == SortedColumns.fingerprint(values) else { return nil }
    return middle
  }

  /// One numeric column's part.
  struct Summary {
    var edges: [Double]
    var binCounts: [Int]
    var middle: (lower: Double, upper: Double)?
  }

  /// A column's summary from its non-missing values ascending and its missing count.
  static func summary(ascending present: [Double], missing: Int) -> Summary {
    let edges = DriftReference.deciles(ascending: present)
    let m = present.count
    return Summary(edges: edges, binCounts: DriftReference.binCounts(ascending: present, edges: edges, missing: missing),
                   middle: m == 0 ? nil : (present[(m - 1) / 2], present[m / 2]))
  }

  /// A column's summary by one selection of the decile and middle ranks (sorted when it holds
  /// −0 or no value).
  static func summary(selecting values: [Double]) -> Summary {
    let ranking = values.withUnsafeBufferPointer { v in
      OrderStatistics.ranked(v) { m in m == 0 ? [] : DriftReference.decileRanks(count: m) + [(m - 1) / 2, m / 2] }
    }
    let m = ranking.present
    if m == 0 || ranking.hasNegativeZero {
      return summary(ascending: values.filter { !$0.isNaN }.sorted(), missing: values.count - m)
    }
    var edges: [Double] = [], atOrBelow: [Int] = []
    for rank in ranking.ranks.prefix(9) where edges.last != rank.value {
      edges.append(rank.value)
      atOrBelow.append(rank.atOrBelow)
    }
    return Summary(edges: edges, binCounts: DriftReference.binCounts(atOrBelow: atOrBelow, present: m, missing: values.count - m),
                   middle: (ranking.ranks[9].value, ranking.ranks[10].value))
  }
}
