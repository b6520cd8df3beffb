import ChurnCore
import Foundation

/// A fitted logistic regression: intercept and coefficients on the standardized features,
/// how the fit went, and the inverse Hessian at the optimum for inference.
public struct LogisticModel: Sendable, Equatable, Codable {
  public let featureNames: [String]
  public let intercept: Double
  public let coefficients: [Double]
  public let solver: LogisticRegression.Solver
  public let iterations: Int
  /// Objective evaluations (passes over the data) used by the solver.
  public let evaluations: Int
  /// The objective at the returned coefficients.
  public let objective: Double
  /// Largest absolute (pseudo-)gradient entry at the returned coefficients.
  public let gradientNorm: Double
  public let converged: Bool
  /// Row-major (d + 1)², intercept first; `nil` when not computed or the Hessian was singular.
  public let covariance: [Double]?
  public let l2Penalty: Double
  public let l1Penalty: Double
  public let classWeight: ClassWeight
  /// Passes over the warm start's subsample (about 100,000 rows), `nil` without a warm start.
  public var subsampleEvaluations: Int?

  /// Churn probabilities σ(b + xᵢ·β), one per row.
  ///
  /// Each row's xᵢ·β is summed in one fixed order (four running sums over columns j mod 4,
  /// added as (s₀ + s₁) + (s₂ + s₃)), not by BLAS `dgemv`, whose kernels sum a block of rows in
  /// another order than a single row: so a row's probability is the same to the last bit
  /// whether it is scored alone or with others (the model conformance suite checks it).
  /// The loop is memory-bound like `dgemv`.
  public func probabilities(_ features: Matrix) -> [Double] {
    precondition(features.columns == coefficients.count,
                 "The model has \(coefficients.count) coefficients; the input has \(features.columns) columns")
    let d = coefficients.count
    if features.layout == .columnMajor { return columnMajorProbabilities(features) }
    var out = [Double](repeating: 0, count: features.rows)
    features.storage.withUnsafeBufferPointer { x in
      coefficients.withUnsafeBufferPointer { beta in
        for i in 0..<features.rows {
          let row = i * d
          var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
          var j = 0
          while j + 4 <= d {
            s0 += x[row + j] * beta[j]
            s1 += x[row + j + 1] * beta[j + 1]
            s2 += x[row + j + 2] * beta[j + 2]
            s3 += x[row + j + 3] * beta[j + 3]
            j += 4
          }
          if j < d { s0 += x[row + j] * beta[j] }
          if j + 1 < d { s1 += x[row + j + 1] * beta[j + 1] }
          if j + 2 < d { s2 += x[row + j + 2] * beta[j + 2] }
          out[i] = sigmoid(intercept + ((s0 + s1) + (s2 + s3)))
        }
      }
    }
    return out
  }

  /// `probabilities` of a column-major matrix: each row summed in the same order (the same
  /// four running sums, added the same way), so the same bits as from the row-major twin, a
  /// block of rows at a time so that the partial sums stay in cache.
  func columnMajorProbabilities(_ features: Matrix) -> [Double] {
    let d = coefficients.count, n = features.rows
    var out = [Double](repeating: 0, count: n)
    let blockRows = 512
    var sums = [Double](repeating: 0, count: 4 * blockRows)
    features.storage.withUnsafeBufferPointer { x in
      coefficients.withUnsafeBufferPointer { beta in
        sums.withUnsafeMutableBufferPointer { s in
          var first = 0
          while first < n {
            let count = min(blockRows, n - first)
            for k in 0..<(4 * blockRows) { s[k] = 0 }
            // Column j goes to running sum j mod 4, columns in ascending order: the row loop's order.
            for j in 0..<d {
              let column = x.baseAddress! + j * n + first
              let b = beta[j]
              let sum = s.baseAddress! + (j % 4) * blockRows
              for i in 0..<count { sum[i] += column[i] * b }
            }
            for i in 0..<count {
              out[first + i] = sigmoid(intercept + ((s[i] + s[blockRows + i]) + (s[2 * blockRows + i] + s[3 * blockRows + i])))
            }
            first += count
          }
        }
      }
    }
    return out
  }

  /// Each feature's contribution to row `row`'s log-odds: βⱼ · xᵢⱼ (the log-odds is the
  /// intercept plus their sum; on standardized features the intercept is the average customer).
  public func logOddsContributions(_ features: Matrix, row: Int) -> [Double] {
    (0..<coefficients.count).map { coefficients[$0] * features[row, $0] }
  }

  /// Each feature's contribution in probability units, additive: the log-odds contributions
  /// scaled by (p − p₀) / (η − b), so that `σ(b) + Σ contributions = p` exactly, where
  /// η = b + Σⱼ βⱼxⱼ, p = σ(η) and p₀ = σ(b), the churn probability of the average customer.
  public func probabilityContributions(_ features: Matrix, row: Int) -> (base: Double, contributions: [Double]) {
    let c = logOddsContributions(features, row: row)
    let total = c.reduce(0, +)
    let base = sigmoid(intercept)
    let p = sigmoid(intercept + total)
    // As η → b the ratio tends to σ'(b) = p₀(1 − p₀).
    let scale = abs(total) < 1e-12 ? base * (1 - base) : (p - base) / total
    return (base, c.map { $0 * scale })
  }

  /// Standard error of the intercept (index 0) and of each coefficient (1...d), NaN without a covariance.
  public var standardErrors: [Double] {
    let k = coefficients.count + 1
    guard let covariance else { return Array(repeating: .nan, count: k) }
    return (0..<k).map { covariance[$0 * k + $0].squareRoot() }
  }

  /// Inference for one coefficient (standardized scale: the effect of +1 standard deviation).
  public struct Coefficient: Sendable, Equatable {
    public var name: String
    public var estimate: Double
    public var standardError: Double
    public var z: Double
    /// Two-sided, from the normal distribution (Wald test).
    public var pValue: Double
    public var lower95: Double
    public var upper95: Double
    /// exp(estimate): how churn odds multiply for +1 SD.
    public var oddsRatio: Double
    /// σ(b + β) − σ(b): the change in churn probability for +1 SD from the baseline customer
    /// (all features at their mean), as *Fighting Churn with Data* reports it.
    public var retentionImpact: Double
  }

  /// One row per coefficient, in feature order.
  ///
  /// For penalized fits the standard errors come from the penalized Hessian: they describe the
  /// curvature of the penalized objective and understate the uncertainty a shrunken estimate
  /// carries; read the p-values of an unpenalized fit.
  public var coefficientTable: [Coefficient] {
    let se = standardErrors
    return featureNames.indices.map { j in
      let beta = coefficients[j]
      let error = se[j + 1]
      let z = beta / error
      return Coefficient(name: featureNames[j], estimate: beta, standardError: error, z: z,
                         pValue: error.isNaN ? .nan : erfc(abs(z) / 2.0.squareRoot()),
                         lower95: beta - 1.959963984540054 * error, upper95: beta + 1.959963984540054 * error,
                         oddsRatio: exp(beta), retentionImpact: sigmoid(intercept + beta) - sigmoid(intercept))
    }
  }
}

/// Inputs logistic regression cannot be fitted on, with a way out.
public enum LogisticRegressionError: Error, Equatable, CustomStringConvertible {
  case labelCount(rows: Int, labels: Int)
  case weightCount(rows: Int, weights: Int)
  case invalidWeight(row: Int, value: Double)
  case invalidLabel(row: Int, value: Double)
  case nonFinite(row: Int, column: String, value: Double)
  case singleClass(rows: Int, label: Int)
  case collinear(column: String)
  case separable(columns: [String])
  case solverNeedsNoL1(solver: String)

  public var description: String {
    switch self {
    case .labelCount(let rows, let labels): return "\(rows) rows but \(labels) labels; expected one label per row"
    case .weightCount(let rows, let weights): return "\(rows) rows but \(weights) sample weights; expected one weight per row"
    case .invalidWeight(let row, let value): return "sample weight of row \(row + 1) is \(value); expected a finite number ≥ 0"
    case .invalidLabel(let row, let value): return "label of row \(row + 1) is \(value); expected 0 or 1"
    case .nonFinite(let row, let column, let value):
      return "\(column) of row \(row + 1) is \(value); expected a finite number (impute missing values first)"
    case .singleClass(let rows, let label):
      return "all \(rows) labels are \(label); a churn model needs both churned and retained customers"
    case .collinear(let column):
      return "\(column) is (nearly) a linear combination of the columns before it, so the coefficients are not identified; "
        + "drop it or add an L2 penalty (--l2 1)"
    case .separable(let columns):
      return "the classes are perfectly separable, so the unpenalized coefficients diverge (largest: \(columns.joined(separator: ", "))); "
        + "add an L2 penalty (--l2 1) or drop the column that gives the label away"
    case .solverNeedsNoL1(let solver): return "the \(solver) solver cannot fit an L1 penalty; use the owlqn solver (or auto)"
    }
  }
}
