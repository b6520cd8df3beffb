/// A failure of a linear-algebra routine that the data, not the program, caused.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
  /// The Cholesky factorization met a non-positive pivot at (1-based) `leadingMinor`:
  /// the matrix is singular or indefinite, typically because columns are collinear.
  case notPositiveDefinite(order: Int, leadingMinor: Int)

  public var description: String {
    switch self {
    case .notPositiveDefinite(let order, let minor):
      return "the \(order) × \(order) matrix is not positive definite (its leading minor of order \(minor) is not positive); "
        + "the columns are collinear or constant: drop the redundant columns or add an L2 penalty"
    }
  }
}
