// The one file of the project that calls OpenBLAS: raw pointers and BLAS/LAPACK calling
// conventions stay here.
internal import COpenBLAS
import Dispatch

extension Matrix {
  /// BLAS's name for `layout`.
  var blasOrder: CBLAS_ORDER { layout == .rowMajor ? CblasRowMajor : CblasColMajor }
  /// BLAS's leading dimension of `storage`: the distance between rows (row-major) or columns.
  var leadingDimension: Int32 { Int32(max(1, layout == .rowMajor ? columns : rows)) }

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
          cblas_dgemv(blasOrder, CblasNoTrans, Int32(rows), Int32(columns), 1.0,
                      a.baseAddress, leadingDimension, x.baseAddress, 1, 0.0, y.baseAddress, 1)
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
          cblas_dgemv(blasOrder, CblasTrans, Int32(rows), Int32(columns), 1.0,
                      a.baseAddress, leadingDimension, x.baseAddress, 1, 0.0, y.baseAddress, 1)
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
  /// non-negative. Passing `nil` gives the plain `Xᵀ·X`. The result (row-major, whatever this
  /// matrix's layout) is symmetric and fully filled. Weighted, the scaled rows are packed
  /// block by block in row-major order for `dsyrk` from either layout.
  ///
  /// - Complexity: O(rows × columns²) flops, O(rows × columns) extra memory when weighted.
  public func weightedGram(weights: [Double]? = nil) -> Matrix {
    var gram = Matrix(rows: columns, columns: columns)
    guard rows > 0, columns > 0 else { return gram }
    let n = Int32(columns)
    func syrk(_ a: UnsafeBufferPointer<Double>) {
      gram.storage.withUnsafeMutableBufferPointer { c in
        // Upper triangle of C = Aᵀ·A with A (rows × columns) in its own layout; C is
        // symmetric, so its row-major upper triangle is its column-major upper one transposed:
        // ask for the triangle that lands in row-major upper.
        cblas_dsyrk(blasOrder, layout == .rowMajor ? CblasUpper : CblasLower, CblasTrans, n, Int32(rows), 1.0,
                    a.baseAddress, leadingDimension, 0.0, c.baseAddress, n)
      }
    }
    if let weights {
      precondition(weights.count == rows, "weightedGram: \(weights.count) weights for \(rows) rows")
      // Scale and accumulate blocks of rows, so the extra memory is one block, not a copy of X.
      let blockRows = max(1, min(rows, 1 << 18 / max(columns, 1)))
      var scaled = [Double](repeating: 0, count: blockRows * columns)
      storage.withUnsafeBufferPointer { x in
        scaled.withUnsafeMutableBufferPointer { z in
          gram.storage.withUnsafeMutableBufferPointer { c in
            var first = 0
            while first < rows {
              let count = min(blockRows, rows - first)
              for i in 0..<count {
                let w = weights[first + i]
                precondition(w >= 0 && w.isFinite, "weightedGram: weight \(first + i) is \(w); weights must be finite and non-negative")
                let root = w.squareRoot()
                let target = z.baseAddress! + i * columns
                if layout == .rowMajor {
                  let source = x.baseAddress! + (first + i) * columns
                  for j in 0..<columns { target[j] = root * source[j] }
                } else {
                  let source = x.baseAddress! + first + i
                  for j in 0..<columns { target[j] = root * source[j * rows] }
                }
              }
              cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, Int32(count), 1.0,
                          z.baseAddress, n, first == 0 ? 0.0 : 1.0, c.baseAddress, n)
              first += count
            }
          }
        }
      }
    } else {
      storage.withUnsafeBufferPointer(syrk)
    }
    gram.symmetrizeFromUpper()
    return gram
  }

  /// Copies the upper triangle onto the lower one.
  mutating func symmetrizeFromUpper() {
    precondition(layout == .rowMajor, "symmetrize needs a row-major matrix")
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
    precondition(layout == .rowMajor, "solvePositiveDefinite needs a row-major matrix")
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
    precondition(layout == .rowMajor, "inversePositiveDefinite needs a row-major matrix")
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

extension Matrix {
  /// Rows per chunk of `fusedGradient`: the rows are cut into chunks of this size from row 0,
  /// whatever the thread count, each chunk summed on its own and the chunks' sums added in
  /// chunk order, so the result is the same, bit for bit, with any number of threads.
  public static let fusedGradientChunkRows = 4096

  /// How many threads `fusedGradient` runs on for `rows` rows and up to `threads` threads:
  /// one per chunk at most (a chunk is never split).
  public static func fusedGradientWorkers(rows: Int, threads: Int) -> Int {
    max(1, min(threads, (rows + fusedGradientChunkRows - 1) / fusedGradientChunkRows))
  }

  /// One pass over the rows that computes, block by block while the rows are in cache,
  ///
  /// ```
  /// z = X_b · v            (BLAS dgemv on a block of rows)
  /// r = residuals(rows, z) (the caller turns z into residuals in place and returns a partial sum)
  /// g += X_bᵀ · r          (BLAS dgemv, transposed)
  /// ```
  /// so X is read from memory once per call instead of twice: the gradient of a generalized
  /// linear model's loss in one read. The rows are cut into fixed chunks of
  /// `fusedGradientChunkRows` (blocks never cross a chunk boundary), each with its own
  /// accumulators; `threads` threads take contiguous runs of chunks, and the chunks' sums are
  /// added in chunk order. The cut and the order do not depend on the thread count, so neither
  /// does the result, to the last bit (the project rule: the same data gives the same model on
  /// any number of threads). BLAS runs single-threaded inside.
  ///
  /// - Returns: `Σ g` over all rows (`columns` values), the sum of the partial sums, and `Σ r`.
  /// - Complexity: 4 · rows · columns flops, one read of X; `columns` values of memory per chunk.
  public func fusedGradient(_ v: [Double], threads: Int = 1,
                            residuals: @Sendable (Range<Int>, UnsafeMutableBufferPointer<Double>) -> Double)
    -> (gradient: [Double], total: Double, residualSum: Double) {
    precondition(v.count == columns, "fusedGradient: \(v.count) coefficients for \(columns) columns")
    let chunkRows = Self.fusedGradientChunkRows
    let chunks = max(1, (rows + chunkRows - 1) / chunkRows)
    let workers = Self.fusedGradientWorkers(rows: rows, threads: threads)
    final class Partial: @unchecked Sendable {
      var gradient: [Double]
      var total = 0.0
      var residualSum = 0.0
      init(_ d: Int) { gradient = Array(repeating: 0, count: d) }
    }
    let partials = (0..<chunks).map { _ in Partial(columns) }
    // Blocks of about 128 KB: the second product (Xᵀ·r) then reads the block from L2, not memory.
    let blockRows = max(16, min(4096, (1 << 14) / max(columns, 1)))
    let d = columns, n = rows
    let order = blasOrder, lda = leadingDimension, rowMajor = layout == .rowMajor
    let previousThreads = openblas_get_num_threads()
    if previousThreads != 1 { openblas_set_num_threads(1) }
    storage.withUnsafeBufferPointer { xs in
      nonisolated(unsafe) let x = xs
      DispatchQueue.concurrentPerform(iterations: workers) { worker in
        var z = [Double](repeating: 0, count: blockRows)
        for chunk in (worker * chunks / workers)..<((worker + 1) * chunks / workers) {
          let lower = chunk * chunkRows, upper = min(n, lower + chunkRows)
          let partial = partials[chunk]
          v.withUnsafeBufferPointer { vp in
            partial.gradient.withUnsafeMutableBufferPointer { g in
              z.withUnsafeMutableBufferPointer { zp in
                var first = lower
                while first < upper {
                  let count = min(blockRows, upper - first)
                  // Rows first..<first+count: contiguous row-major, or a slice of every column.
                  let block = x.baseAddress! + (rowMajor ? first * d : first)
                  if d > 0 {
                    cblas_dgemv(order, CblasNoTrans, Int32(count), Int32(d), 1.0, block, lda,
                                vp.baseAddress, 1, 0.0, zp.baseAddress, 1)
                  } else {
                    for i in 0..<count { zp[i] = 0 }
                  }
                  let slice = UnsafeMutableBufferPointer(rebasing: zp[0..<count])
                  partial.total += residuals(first..<(first + count), slice)
                  var sum = 0.0
                  for i in 0..<count { sum += zp[i] }
                  partial.residualSum += sum
                  if d > 0 {
                    cblas_dgemv(order, CblasTrans, Int32(count), Int32(d), 1.0, block, lda,
                                zp.baseAddress, 1, 1.0, g.baseAddress, 1)
                  }
                  first += count
                }
              }
            }
          }
        }
      }
    }
    if previousThreads != 1 { openblas_set_num_threads(previousThreads) }
    var gradient = partials[0].gradient
    var total = partials[0].total
    var residualSum = partials[0].residualSum
    for p in partials.dropFirst() {
      for j in 0..<d { gradient[j] += p.gradient[j] }
      total += p.total
      residualSum += p.residualSum
    }
    return (gradient, total, residualSum)
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
