// The one file of the project that calls OpenBLAS: raw pointers and BLAS/LAPACK calling
// conventions stay here.
internal import COpenBLAS

extension Matrix {
  /// The product `X · v`, one entry per row (BLAS `dgemv`, no transpose).
  ///
  /// - Parameter vector: `columns` values.
  /// - Returns: `rows` values.
  /// - Complexity: O(rows × columns).
  public func multiply(_ vector: [Double]) -> [Double] {
    precondition(vector.count == columns, "multiply: vector has \(vector.count) entries; the matrix has \(columns) columns")
    var result = [Double](repeating: 0, count: rows)
    guard rows > 0, columns > 0 else { return result }
    storage.withUnsafeBufferPointer { a in
      vector.withUnsafeBufferPointer { x in
        result.withUnsafeMutableBufferPointer { y in
          cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(columns), 1.0,
                      a.baseAddress, Int32(columns), x.baseAddress, 1, 0.0, y.baseAddress, 1)
        }
      }
    }
    return result
  }

  /// The product `Xᵀ · v`, one entry per column (BLAS `dgemv`, transposed).
  ///
  /// - Parameter vector: `rows` values.
  /// - Returns: `columns` values.
  /// - Complexity: O(rows × columns).
  public func transposeMultiply(_ vector: [Double]) -> [Double] {
    precondition(vector.count == rows, "transposeMultiply: vector has \(vector.count) entries; the matrix has \(rows) rows")
    var result = [Double](repeating: 0, count: columns)
    guard rows > 0, columns > 0 else { return result }
    storage.withUnsafeBufferPointer { a in
      vector.withUnsafeBufferPointer { x in
        result.withUnsafeMutableBufferPointer { y in
          cblas_dgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(columns), 1.0,
                      a.baseAddress, Int32(columns), x.baseAddress, 1, 0.0, y.baseAddress, 1)
        }
      }
    }
    return result
  }

  /// The weighted Gram matrix `Xᵀ · diag(w) · X`, the Hessian of a weighted least-squares or
  /// IRLS step.
  ///
  /// ```
  /// G[j][k] = Σᵢ wᵢ · X[i][j] · X[i][k]
  /// ```
  /// Computed as `Zᵀ·Z` with BLAS `dsyrk` on the rows scaled by `√wᵢ`, so the weights must be
  /// non-negative. Passing `nil` gives the plain `Xᵀ·X`. The result is symmetric and fully filled.
  ///
  /// - Complexity: O(rows × columns²) flops, O(rows × columns) extra memory when weighted.
  public func weightedGram(weights: [Double]? = nil) -> Matrix {
    var gram = Matrix(rows: columns, columns: columns)
    guard rows > 0, columns > 0 else { return gram }
    let n = Int32(columns)
    func syrk(_ a: UnsafeBufferPointer<Double>) {
      gram.storage.withUnsafeMutableBufferPointer { c in
        // Row-major upper triangle of C = Aᵀ·A with A (rows × columns).
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, Int32(rows), 1.0,
                    a.baseAddress, n, 0.0, c.baseAddress, n)
      }
    }
    if let weights {
      precondition(weights.count == rows, "weightedGram: \(weights.count) weights for \(rows) rows")
      var scaled = storage
      scaled.withUnsafeMutableBufferPointer { z in
        for i in 0..<rows {
          let w = weights[i]
          precondition(w >= 0 && w.isFinite, "weightedGram: weight \(i) is \(w); weights must be finite and non-negative")
          cblas_dscal(n, w.squareRoot(), z.baseAddress! + i * columns, 1)
        }
      }
      scaled.withUnsafeBufferPointer(syrk)
    } else {
      storage.withUnsafeBufferPointer(syrk)
    }
    gram.symmetrizeFromUpper()
    return gram
  }

  /// Copies the upper triangle onto the lower one.
  mutating func symmetrizeFromUpper() {
    precondition(rows == columns, "symmetrize needs a square matrix, got \(rows) × \(columns)")
    for i in 0..<rows {
      for j in 0..<i { storage[i * columns + j] = storage[j * columns + i] }
    }
  }

  /// Solves `A · x = b` for a symmetric positive-definite `A` (this matrix) by Cholesky
  /// factorization (LAPACK `dpotrf` + `dpotrs`, the two halves of `dposv`).
  ///
  /// Only the upper triangle of `A` is read. Besides LAPACK's own test (a pivot ≤ 0), a pivot
  /// that lost all but 1e-12 of its diagonal entry to cancellation counts as singular:
  /// collinear columns rarely give an exact zero in floating point, and solving with such a
  /// factor returns meaningless, huge coefficients.
  ///
  /// - Parameter rightHandSide: `rows` values.
  /// - Returns: `x`, `rows` values.
  /// - Throws: `LinearAlgebraError.notPositiveDefinite` naming the first failing leading minor.
  /// - Complexity: O(n³ / 3) flops for an n × n matrix.
  public func solvePositiveDefinite(_ rightHandSide: [Double]) throws -> [Double] {
    precondition(rows == columns, "solvePositiveDefinite needs a square matrix, got \(rows) × \(columns)")
    precondition(rightHandSide.count == rows,
                 "solvePositiveDefinite: right-hand side has \(rightHandSide.count) entries; the matrix is \(rows) × \(rows)")
    guard rows > 0 else { return [] }
    var factor = try choleskyFactor()
    var b = rightHandSide
    var n = Int32(rows)
    var nrhs: Int32 = 1
    var lda = n
    var ldb = n
    var info: Int32 = 0
    var uplo = CChar(UInt8(ascii: "L"))
    dpotrs_(&uplo, &n, &nrhs, &factor, &lda, &b, &ldb, &info)
    precondition(info == 0, "dpotrs_ rejected argument \(-info)")
    return b
  }

  /// The Cholesky factor in LAPACK's column-major lower layout (= row-major upper), checked
  /// for pivots that are not positive or that cancelled to below 1e-12 of their diagonal.
  private func choleskyFactor() throws -> [Double] {
    var a = storage
    var n = Int32(rows)
    var lda = n
    var info: Int32 = 0
    // Row-major upper == column-major lower for a symmetric matrix.
    var uplo = CChar(UInt8(ascii: "L"))
    dpotrf_(&uplo, &n, &a, &lda, &info)
    if info > 0 { throw LinearAlgebraError.notPositiveDefinite(order: rows, leadingMinor: Int(info)) }
    precondition(info == 0, "dpotrf_ rejected argument \(-info)")
    for j in 0..<rows {
      let pivot = a[j * rows + j]
      if pivot * pivot <= 1e-12 * storage[j * rows + j] {
        throw LinearAlgebraError.notPositiveDefinite(order: rows, leadingMinor: j + 1)
      }
    }
    return a
  }

  /// The inverse of a symmetric positive-definite matrix (this one), from its Cholesky factor
  /// (LAPACK `dpotrf` + `dpotri`); used for standard errors from an inverse Hessian.
  ///
  /// - Throws: `LinearAlgebraError.notPositiveDefinite` as `solvePositiveDefinite` does.
  /// - Complexity: O(n³) flops.
  public func inversePositiveDefinite() throws -> Matrix {
    precondition(rows == columns, "inversePositiveDefinite needs a square matrix, got \(rows) × \(columns)")
    guard rows > 0 else { return self }
    var a = try choleskyFactor()
    var n = Int32(rows)
    var lda = n
    var info: Int32 = 0
    var uplo = CChar(UInt8(ascii: "L"))
    dpotri_(&uplo, &n, &a, &lda, &info)
    if info > 0 { throw LinearAlgebraError.notPositiveDefinite(order: rows, leadingMinor: Int(info)) }
    var inverse = Matrix(rows: rows, columns: columns, storage: a)
    inverse.symmetrizeFromUpper()
    return inverse
  }
}

/// The number of threads OpenBLAS uses, process-wide.
///
/// Set it to 1 while Swift code runs its own threads (trees, folds, chunks): two Swift threads
/// times two BLAS threads fight over two cores.
public enum BLASThreads {
  public static var count: Int { Int(openblas_get_num_threads()) }
  public static func set(_ count: Int) {
    precondition(count >= 1, "BLAS thread count must be at least 1, got \(count)")
    openblas_set_num_threads(Int32(count))
  }
}
