/// A dense, row-major matrix of `Double`; rows are observations, columns are features.
///
/// Element (i, j) lives at `storage[i * columns + j]`. The linear algebra that the trainers
/// need (products with a vector, weighted Gram matrices, positive-definite solves) is in
/// `Matrix+BLAS.swift`, the one file of the project that calls OpenBLAS.
public struct Matrix: Sendable, Equatable {
  public let rows: Int
  public let columns: Int
  /// Row-major elements; `storage.count == rows * columns`.
  public var storage: [Double]

  /// A `rows × columns` matrix with every element equal to `value`.
  public init(rows: Int, columns: Int, repeating value: Double = 0) {
    precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative, got \(rows) × \(columns)")
    self.rows = rows
    self.columns = columns
    self.storage = Array(repeating: value, count: rows * columns)
  }

  /// A matrix over existing row-major elements.
  public init(rows: Int, columns: Int, storage: [Double]) {
    precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative, got \(rows) × \(columns)")
    precondition(
      storage.count == rows * columns,
      "Matrix storage has \(storage.count) elements; \(rows) × \(columns) needs \(rows * columns)")
    self.rows = rows
    self.columns = columns
    self.storage = storage
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
      return storage[row * columns + column]
    }
    set {
      precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                   "Index (\(row), \(column)) out of range for a \(rows) × \(columns) matrix")
      storage[row * columns + column] = newValue
    }
  }

  /// A copy of row `i`.
  public func row(_ i: Int) -> [Double] {
    precondition(i >= 0 && i < rows, "Row \(i) out of range for \(rows) rows")
    return Array(storage[(i * columns)..<((i + 1) * columns)])
  }

  /// A copy of column `j`.
  public func column(_ j: Int) -> [Double] {
    precondition(j >= 0 && j < columns, "Column \(j) out of range for \(columns) columns")
    return (0..<rows).map { storage[$0 * columns + j] }
  }

  /// The transpose, as a new row-major matrix.
  public var transposed: Matrix {
    var t = Matrix(rows: columns, columns: rows)
    for i in 0..<rows {
      for j in 0..<columns { t.storage[j * rows + i] = storage[i * columns + j] }
    }
    return t
  }
}
