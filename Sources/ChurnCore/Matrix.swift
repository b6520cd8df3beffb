/// A dense matrix of `Double`; rows are observations, columns are features.
///
/// Row-major by default: element (i, j) lives at `storage[i * columns + j]`. A column-major
/// matrix (`layout == .columnMajor`, element (i, j) at `storage[j * rows + i]`) is what
/// `FittedPreprocessor.transform(consuming:)` writes, one column at a time, so that each input
/// column can be freed as soon as its output columns are written; the products, the Gram
/// matrix and the fused gradient read either layout. The linear algebra that the trainers
/// need (products with a vector, weighted Gram matrices, positive-definite solves) is in
/// `Matrix+BLAS.swift`, the one file of the project that calls OpenBLAS.
///
/// Two matrices are equal when their shapes, layouts and elements are (`rowMajor` and
/// `columnMajor` convert).
public struct Matrix: Sendable, Equatable {
  /// How the elements are laid out in `storage`.
  public enum Layout: Sendable, Equatable {
    /// Element (i, j) at `i * columns + j`: a row is contiguous.
    case rowMajor
    /// Element (i, j) at `j * rows + i`: a column is contiguous.
    case columnMajor
  }

  public let rows: Int
  public let columns: Int
  /// The elements in `layout` order; `storage.count == rows * columns`.
  public var storage: [Double]
  /// Row-major unless made column-major (`init(rows:columns:storage:layout:)`).
  public let layout: Layout

  /// A `rows × columns` matrix with every element equal to `value`.
  public init(rows: Int, columns: Int, repeating value: Double = 0) {
    precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative, got \(rows) × \(columns)")
    self.rows = rows
    self.columns = columns
    self.storage = Array(repeating: value, count: rows * columns)
    self.layout = .rowMajor
  }

  /// A matrix over existing elements, row-major unless `layout` says otherwise.
  public init(rows: Int, columns: Int, storage: [Double], layout: Layout = .rowMajor) {
    precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative, got \(rows) × \(columns)")
    precondition(
      storage.count == rows * columns,
      "Matrix storage has \(storage.count) elements; \(rows) × \(columns) needs \(rows * columns)")
    self.rows = rows
    self.columns = columns
    self.storage = storage
    self.layout = layout
  }

  /// Where element (row, column) lives in `storage` (not range-checked).
  @inline(__always) public func offset(row: Int, column: Int) -> Int {
    layout == .rowMajor ? row * columns + column : column * rows + row
  }

  /// A matrix from an array of equally long rows.
  public init(_ rowArrays: [[Double]], columns: Int? = nil) {
    let width = columns ?? rowArrays.first?.count ?? 0
    var flat: [Double] = []
    flat.reserveCapacity(rowArrays.count * width)
    for (index, row) in rowArrays.enumerated() {
      precondition(row.count == width, "Row \(index) has \(row.count) elements; expected \(width)")
      flat.append(contentsOf: row)
    }
    self.init(rows: rowArrays.count, columns: width, storage: flat)
  }

  /// The `n × n` identity matrix.
  public static func identity(_ n: Int) -> Matrix {
    var m = Matrix(rows: n, columns: n)
    for i in 0..<n { m.storage[i * n + i] = 1 }
    return m
  }

  public subscript(row: Int, column: Int) -> Double {
    get {
      precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                   "Index (\(row), \(column)) out of range for a \(rows) × \(columns) matrix")
      return storage[offset(row: row, column: column)]
    }
    set {
      precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                   "Index (\(row), \(column)) out of range for a \(rows) × \(columns) matrix")
      storage[offset(row: row, column: column)] = newValue
    }
  }

  /// A copy of row `i`.
  public func row(_ i: Int) -> [Double] {
    precondition(i >= 0 && i < rows, "Row \(i) out of range for \(rows) rows")
    if layout == .columnMajor { return (0..<columns).map { storage[$0 * rows + i] } }
    return Array(storage[(i * columns)..<((i + 1) * columns)])
  }

  /// A copy of column `j`.
  public func column(_ j: Int) -> [Double] {
    precondition(j >= 0 && j < columns, "Column \(j) out of range for \(columns) columns")
    if layout == .columnMajor { return Array(storage[(j * rows)..<((j + 1) * rows)]) }
    return (0..<rows).map { storage[$0 * columns + j] }
  }

  /// The first element that is NaN or infinite, as (row, column), in row order (row by row,
  /// each row left to right) whatever the layout; nil when every element is finite.
  public func firstNonFinite() -> (row: Int, column: Int)? {
    guard let k = storage.firstIndex(where: { !$0.isFinite }) else { return nil }
    if layout == .rowMajor { return (k / columns, k % columns) }
    // Column-major: the first in row order is the smallest row among each column's first.
    var best = (row: k % rows, column: k / rows)
    for j in (best.column + 1)..<columns {
      let base = j * rows
      if let i = storage[base..<(base + best.row)].firstIndex(where: { !$0.isFinite }) { best = (i - base, j) }
    }
    return best
  }

  /// The transpose, as a new row-major matrix.
  public var transposed: Matrix {
    if layout == .columnMajor { return Matrix(rows: columns, columns: rows, storage: storage) }
    var t = Matrix(rows: columns, columns: rows)
    for i in 0..<rows {
      for j in 0..<columns { t.storage[j * rows + i] = storage[i * columns + j] }
    }
    return t
  }

  /// The same matrix in row-major layout (itself when it is row-major already).
  public var rowMajor: Matrix {
    layout == .rowMajor ? self : transposed.transposed
  }

  /// The same matrix in column-major layout (itself when it is column-major already).
  public var columnMajor: Matrix {
    layout == .columnMajor ? self : Matrix(rows: rows, columns: columns, storage: transposed.storage, layout: .columnMajor)
  }
}
