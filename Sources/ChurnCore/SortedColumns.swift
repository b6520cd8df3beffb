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
  public func describes(_ table: FeatureTable) -> Bool {
    Self.describes(table, rowCount: rowCount, columnNames: columnNames, fingerprints: fingerprints, numeric: values.map { $0 != nil })
  }

  /// What a model keeps of them after its fit: the drift references' decile edges of each
  /// numeric column, not every value.
  public var deciles: ColumnDeciles {
    ColumnDeciles(edges: values.map { $0.map(DriftReference.deciles(ascending:)) }, rowCount: rowCount, columnNames: columnNames,
                  fingerprints: fingerprints)
  }

  static func describes(_ table: FeatureTable, rowCount: Int, columnNames: [String], fingerprints: [UInt64], numeric: [Bool]) -> Bool {
    guard rowCount == table.rowCount && columnNames == table.columnNames else { return false }
    for (c, column) in table.columns.enumerated() {
      switch column {
      case .numeric(let v): if !numeric[c] || fingerprints[c] != fingerprint(v) { return false }
      case .categorical: if numeric[c] { return false }
      }
    }
    return true
  }

  /// FNV-1a-style hash of the values' bits in order.
  static func fingerprint(_ values: [Double]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for v in values { h = (h ^ v.bitPattern) &* 0x0000_0100_0000_01b3 }
    return h
  }
}

/// Each numeric column's decile edges (`DriftReference.deciles`), from its sorted values
/// (`SortedColumns.deciles`): what the drift references of a model file need of the training
/// table's order, kept after the fit without keeping every value sorted.
public struct ColumnDeciles: Sendable {
  /// Per column of the table: a numeric column's edges, nil for a categorical one.
  public let edges: [[Double]?]
  let rowCount: Int
  let columnNames: [String]
  let fingerprints: [UInt64]

  /// The deciles of every numeric column of `table` found by selection, without sorting
  /// (`OrderStatistics.select`): the same edges as `SortedColumns(table).deciles` in O(rows)
  /// per column instead of O(rows · log rows). A column holding −0 is sorted, so that which of
  /// −0 and +0 becomes an edge is the sort's choice, as before. Columns spread over `threads`.
  public init(selecting table: FeatureTable, threads: Int = 1) {
    let columns = table.columns
    var edges = [[Double]?](repeating: nil, count: columns.count)
    var fingerprints = [UInt64](repeating: 0, count: columns.count)
    let workers = max(1, min(threads, columns.count))
    edges.withUnsafeMutableBufferPointer { e in
      fingerprints.withUnsafeMutableBufferPointer { f in
        nonisolated(unsafe) let edges = e, fingerprints = f  // each worker writes its own columns
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
          for c in stride(from: worker, to: columns.count, by: workers) {
            guard case .numeric(let v) = columns[c] else { continue }
            var present = v.filter { !$0.isNaN }
            fingerprints[c] = SortedColumns.fingerprint(v)
            if present.isEmpty || OrderStatistics.hasNegativeZero(present) {
              edges[c] = DriftReference.deciles(ascending: present.sorted())
              continue
            }
            let ranks = DriftReference.decileRanks(count: present.count)
            edges[c] = DriftReference.distinctEdges(OrderStatistics.select(&present, ranks: ranks))
          }
        }
      }
    }
    self.init(edges: edges, rowCount: table.rowCount, columnNames: table.columnNames, fingerprints: fingerprints)
  }

  init(edges: [[Double]?], rowCount: Int, columnNames: [String], fingerprints: [UInt64]) {
    self.edges = edges
    self.rowCount = rowCount
    self.columnNames = columnNames
    self.fingerprints = fingerprints
  }

  /// Whether these are the deciles of `table` (as `SortedColumns.describes`).
  public func describes(_ table: FeatureTable) -> Bool {
    SortedColumns.describes(table, rowCount: rowCount, columnNames: columnNames, fingerprints: fingerprints, numeric: edges.map { $0 != nil })
  }
}
