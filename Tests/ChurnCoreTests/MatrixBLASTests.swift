import ChurnCore
import ChurnTestSupport
import Testing

/// Plain loops: the obviously correct references for the BLAS-backed operations.
enum Reference {
  static func multiply(_ m: Matrix, _ v: [Double]) -> [Double] {
    (0..<m.rows).map { i in (0..<m.columns).reduce(0.0) { $0 + m[i, $1] * v[$1] } }
  }
  static func transposeMultiply(_ m: Matrix, _ v: [Double]) -> [Double] {
    (0..<m.columns).map { j in (0..<m.rows).reduce(0.0) { $0 + m[$1, j] * v[$1] } }
  }
  static func weightedGram(_ m: Matrix, _ w: [Double]?) -> [Double] {
    var g = [Double](repeating: 0, count: m.columns * m.columns)
    for j in 0..<m.columns {
      for k in 0..<m.columns {
        for i in 0..<m.rows { g[j * m.columns + k] += (w?[i] ?? 1) * m[i, j] * m[i, k] }
      }
    }
    return g
  }
}

@Suite("Matrix linear algebra against plain loops")
struct MatrixBLASTests {
  static let shapes: [(Int, Int)] = [(0, 3), (0, 1), (1, 1), (5, 1), (1, 7), (17, 4), (64, 33), (300, 12)]

  @Test("X·v and Xᵀ·v equal plain loops", arguments: 0..<shapes.count)
  func products(shape: Int) {
    let (rows, columns) = Self.shapes[shape]
    let x = randomMatrix(rows: rows, columns: columns, seed: UInt64(shape))
    let v = randomVector(count: columns, seed: 100 + UInt64(shape))
    let u = randomVector(count: rows, seed: 200 + UInt64(shape))
    #expect(x.multiply(v).count == rows)
    #expect(maxRelativeDifference(x.multiply(v), Reference.multiply(x, v)) < 1e-12)
    #expect(x.transposeMultiply(u).count == columns)
    #expect(maxRelativeDifference(x.transposeMultiply(u), Reference.transposeMultiply(x, u)) < 1e-12)
  }

  @Test("Xᵀ·diag(w)·X equals a plain loop, weighted and not", arguments: 0..<shapes.count)
  func weightedGram(shape: Int) {
    let (rows, columns) = Self.shapes[shape]
    let x = randomMatrix(rows: rows, columns: columns, seed: 300 + UInt64(shape))
    let w = randomVector(count: rows, seed: 400 + UInt64(shape)).map { $0 * $0 }
    let weighted = x.weightedGram(weights: w)
    #expect(weighted.rows == columns && weighted.columns == columns)
    #expect(maxRelativeDifference(weighted.storage, Reference.weightedGram(x, w)) < 1e-12)
    #expect(maxRelativeDifference(x.weightedGram().storage, Reference.weightedGram(x, nil)) < 1e-12)
    // Symmetric, both triangles filled.
    for j in 0..<columns { for k in 0..<columns { #expect(weighted[j, k] == weighted[k, j]) } }
  }

  @Test("A positive-definite solve returns x with A·x = b", arguments: [1, 2, 5, 30])
  func solve(order: Int) throws {
    let z = randomMatrix(rows: order + 10, columns: order, seed: UInt64(order))
    var a = z.weightedGram()
    for i in 0..<order { a[i, i] += 0.5 }
    let b = randomVector(count: order, seed: 7 + UInt64(order))
    let x = try a.solvePositiveDefinite(b)
    #expect(maxRelativeDifference(Reference.multiply(a, x), b) < 1e-12)
    let inverse = try a.inversePositiveDefinite()
    let identity = (0..<order).flatMap { i in (0..<order).map { j in (0..<order).reduce(0.0) { $0 + a[i, $1] * inverse[$1, j] } } }
    #expect(maxRelativeDifference(identity, Matrix.identity(order).storage) < 1e-10)
  }

  @Test("An empty system solves to an empty vector")
  func emptySolve() throws {
    #expect(try Matrix(rows: 0, columns: 0).solvePositiveDefinite([]) == [])
  }

  @Test("A singular matrix throws with the leading minor named")
  func singular() {
    // Columns 0 and 1 are identical, so XᵀX is singular at its second leading minor.
    let x = Matrix([[1, 1, 0], [2, 2, 1], [3, 3, 5], [4, 4, 2]])
    let a = x.weightedGram()
    #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 3, leadingMinor: 2)) {
      try a.solvePositiveDefinite([1, 2, 3])
    }
    #expect(throws: LinearAlgebraError.self) { try a.inversePositiveDefinite() }
    #expect(
      LinearAlgebraError.notPositiveDefinite(order: 3, leadingMinor: 2).description
        == "the 3 × 3 matrix is not positive definite (its leading minor of order 2 is not positive); "
        + "the columns are collinear or constant: drop the redundant columns or add an L2 penalty")
  }

  @Test("An exactly singular matrix is rejected")
  func exactlySingular() {
    let a = Matrix([[1, 1, 1, 1], [2, 2, 2, 2]]).transposed.weightedGram()
    #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 2, leadingMinor: 2)) {
      try a.solvePositiveDefinite([1, 1])
    }
  }

  @Test("An indefinite matrix is rejected")
  func indefinite() {
    let a = Matrix([[1, 0], [0, -1]])
    #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 2, leadingMinor: 2)) {
      try a.solvePositiveDefinite([1, 1])
    }
  }

  @Test("BLAS thread count can be set and read")
  func threads() {
    let before = BLASThreads.count
    BLASThreads.set(1)
    #expect(BLASThreads.count == 1)
    BLASThreads.set(before)
  }

  @Test("Transpose, rows and columns")
  func layout() {
    let m = Matrix([[1, 2, 3], [4, 5, 6]])
    #expect(m.transposed == Matrix([[1, 4], [2, 5], [3, 6]]))
    #expect(m.row(1) == [4, 5, 6])
    #expect(m.column(2) == [3, 6])
    #expect(Matrix(rows: 0, columns: 4).transposed.rows == 4)
  }

  @Test("A column-major matrix: the same elements, rows and columns as its row-major twin")
  func columnMajorElements() {
    let m = Matrix([[1, 2, 3], [4, 5, 6]])
    let c = m.columnMajor
    #expect(c.layout == .columnMajor)
    #expect(c.storage == [1, 4, 2, 5, 3, 6])
    #expect(c[1, 2] == 6 && c[0, 1] == 2)
    #expect(c.row(1) == [4, 5, 6])
    #expect(c.column(2) == [3, 6])
    #expect(c.transposed == m.transposed)
    #expect(c.rowMajor == m)
    #expect(Matrix(rows: 2, columns: 3, storage: [1, 4, 2, 5, 3, 6], layout: .columnMajor) == c)
  }

  @Test("Column-major X·v, Xᵀ·v, Gram matrices and the fused gradient equal the row-major ones",
        arguments: 0..<(shapes.count + 1))
  func columnMajorProducts(shape: Int) {
    // The last shape spans several fused-gradient chunks and blocks.
    let (rows, columns) = shape < Self.shapes.count ? Self.shapes[shape] : (9_000, 7)
    let x = randomMatrix(rows: rows, columns: columns, seed: 500 + UInt64(shape))
    let c = x.columnMajor
    let v = randomVector(count: columns, seed: 600 + UInt64(shape))
    let u = randomVector(count: rows, seed: 700 + UInt64(shape))
    let w = u.map { $0 * $0 }
    #expect(maxRelativeDifference(c.multiply(v), x.multiply(v)) < 1e-12)
    #expect(maxRelativeDifference(c.transposeMultiply(u), x.transposeMultiply(u)) < 1e-12)
    #expect(maxRelativeDifference(c.weightedGram(weights: w).storage, x.weightedGram(weights: w).storage) < 1e-12)
    #expect(maxRelativeDifference(c.weightedGram().storage, x.weightedGram().storage) < 1e-12)
    let gram = c.weightedGram()
    for j in 0..<columns { for k in 0..<columns { #expect(gram[j, k] == gram[k, j]) } }
    // Residuals r = z − u, loss Σ z: a gradient Xᵀ(Xv − u).
    let target = u
    let residuals: @Sendable (Range<Int>, UnsafeMutableBufferPointer<Double>) -> Double = { range, z in
      var total = 0.0
      for i in z.indices {
        total += z[i]
        z[i] -= target[range.lowerBound + i]
      }
      return total
    }
    let a = x.fusedGradient(v, threads: 2, residuals: residuals), b = c.fusedGradient(v, threads: 2, residuals: residuals)
    #expect(maxRelativeDifference(a.gradient, b.gradient) < 1e-12)
    #expect(relativeDifference(a.total, b.total) < 1e-12 && relativeDifference(a.residualSum, b.residualSum) < 1e-12)
  }
}
