import ChurnCore
import Foundation

/// L2-penalized logistic regression fitted by Newton's method (iteratively reweighted least
/// squares), with the Hessian from BLAS `dsyrk` and a Cholesky solve.
///
/// Objective, minimized over the intercept b and the coefficients β:
/// ```
/// L(b, β) = Σᵢ sᵢ · logloss(yᵢ, σ(b + xᵢ·β)) + (λ₂ / 2) · ‖β‖²
/// logloss(y, p) = −y·log p − (1 − y)·log(1 − p)
/// ```
/// where sᵢ are sample weights (1 by default) and the intercept is not penalized. With λ₂ > 0
/// this is scikit-learn's `LogisticRegression(C = 1/λ₂)`; λ₂ = 0 is the maximum-likelihood fit.
public struct LogisticRegression: Sendable {
  /// λ₂, the L2 penalty (scikit-learn's `1/C`); must be ≥ 0.
  public var l2Penalty: Double
  /// Newton iterations at most.
  public var maxIterations: Int
  /// Converged when the largest absolute gradient entry is below this.
  public var gradientTolerance: Double

  public init(l2Penalty: Double = 0, maxIterations: Int = 100, gradientTolerance: Double = 1e-9) {
    self.l2Penalty = l2Penalty
    self.maxIterations = maxIterations
    self.gradientTolerance = gradientTolerance
  }

  /// Fits the model.
  ///
  /// - Parameters:
  ///   - features: n × d, one row per observation.
  ///   - labels: n values, each 0 or 1.
  ///   - sampleWeights: n non-negative weights, or `nil` for all 1.
  /// - Throws: `LogisticRegressionError` for invalid inputs or a singular Hessian.
  /// - Complexity: O(iterations × (n·d² + d³)).
  public func fit(features: Matrix, labels: [Double], sampleWeights: [Double]? = nil) throws -> LogisticModel {
    let n = features.rows
    let d = features.columns
    guard l2Penalty >= 0, l2Penalty.isFinite else { throw LogisticRegressionError.invalidPenalty(l2Penalty) }
    guard labels.count == n else { throw LogisticRegressionError.labelCount(rows: n, labels: labels.count) }
    if let w = sampleWeights, w.count != n { throw LogisticRegressionError.weightCount(rows: n, weights: w.count) }
    for (i, y) in labels.enumerated() where y != 0 && y != 1 { throw LogisticRegressionError.invalidLabel(row: i, value: y) }
    for (k, v) in features.storage.enumerated() where !v.isFinite {
      throw LogisticRegressionError.nonFinite(row: k / max(d, 1), column: k % max(d, 1), value: v)
    }
    let positives = labels.reduce(0, +)
    guard positives > 0, positives < Double(n) else {
      throw LogisticRegressionError.singleClass(rows: n, label: positives > 0 ? 1 : 0)
    }
    let weights = sampleWeights ?? Array(repeating: 1, count: n)

    // Design with a leading column of ones for the intercept.
    var design = Matrix(rows: n, columns: d + 1)

    for i in 0..<n {
      design[i, 0] = 1
      for j in 0..<d { design[i, j + 1] = features.storage[i * d + j] }
    }

    var theta = [Double](repeating: 0, count: d + 1)
    var objective = self.objective(design: design, labels: labels, weights: weights, theta: theta)
    var iterations = 0
    var gradientNorm = Double.infinity
    while iterations < maxIterations {
      let eta = design.multiply(theta)
      var residual = [Double](repeating: 0, count: n)
      var curvature = [Double](repeating: 0, count: n)
      for i in 0..<n {
        let p = sigmoid(eta[i])
        residual[i] = weights[i] * (p - labels[i])
        curvature[i] = weights[i] * p * (1 - p)
      }
      var gradient = design.transposeMultiply(residual)
      for j in 0..<d { gradient[j + 1] += l2Penalty * theta[j + 1] }
      gradientNorm = gradient.map(abs).max() ?? 0
      if gradientNorm < gradientTolerance { break }
      var hessian = design.weightedGram(weights: curvature)
      for j in 1..<(d + 1) { hessian[j, j] += l2Penalty }
      let step: [Double]
      do { step = try hessian.solvePositiveDefinite(gradient) } catch let error as LinearAlgebraError {
        throw LogisticRegressionError.singularHessian(error.description)
      }
      // Backtracking line search keeps every step a descent step.
      var scale = 1.0
      var candidate = theta
      var candidateObjective = Double.infinity
      for _ in 0..<40 {
        for j in 0...d { candidate[j] = theta[j] - scale * step[j] }
        candidateObjective = self.objective(design: design, labels: labels, weights: weights, theta: candidate)
        if candidateObjective <= objective + 1e-12 * abs(objective) { break }
        scale /= 2
      }
      iterations += 1
      let improvement = objective - candidateObjective
      theta = candidate
      objective = candidateObjective
      if improvement <= 0 { break }
    }
    return LogisticModel(intercept: theta[0], coefficients: Array(theta[1...]), iterations: iterations,
                         objective: objective, gradientNorm: gradientNorm,
                         converged: gradientNorm < gradientTolerance)
  }

  func objective(design: Matrix, labels: [Double], weights: [Double], theta: [Double]) -> Double {
    let eta = design.multiply(theta)
    var total = 0.0
    for i in 0..<eta.count {
      // logloss = log(1 + e^η) − y·η, computed without overflow.
      let e = eta[i]
      let softplus = e > 0 ? e + log1p(exp(-e)) : log1p(exp(e))
      total += weights[i] * (softplus - labels[i] * e)
    }
    var penalty = 0.0
    for j in 1..<theta.count { penalty += theta[j] * theta[j] }
    return total + 0.5 * l2Penalty * penalty
  }
}

@inline(__always)
func sigmoid(_ x: Double) -> Double {
  x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
}

/// A fitted logistic regression.
public struct LogisticModel: Sendable, Equatable {
  public let intercept: Double
  public let coefficients: [Double]
  public let iterations: Int
  /// The objective at the returned coefficients.
  public let objective: Double
  /// Largest absolute gradient entry at the returned coefficients (before the last step).
  public let gradientNorm: Double
  public let converged: Bool

  /// Churn probabilities σ(b + xᵢ·β), one per row.
  public func probabilities(_ features: Matrix) -> [Double] {
    precondition(features.columns == coefficients.count,
                 "The model has \(coefficients.count) coefficients; the input has \(features.columns) columns")
    return features.multiply(coefficients).map { sigmoid(intercept + $0) }
  }
}

/// Inputs logistic regression cannot be fitted on.
public enum LogisticRegressionError: Error, Equatable, CustomStringConvertible {
  case invalidPenalty(Double)
  case labelCount(rows: Int, labels: Int)
  case weightCount(rows: Int, weights: Int)
  case invalidLabel(row: Int, value: Double)
  case nonFinite(row: Int, column: Int, value: Double)
  case singleClass(rows: Int, label: Int)
  case singularHessian(String)

  public var description: String {
    switch self {
    case .invalidPenalty(let value): return "L2 penalty is \(value); expected a finite number ≥ 0"
    case .labelCount(let rows, let labels): return "\(rows) rows but \(labels) labels; expected one label per row"
    case .weightCount(let rows, let weights): return "\(rows) rows but \(weights) sample weights; expected one weight per row"
    case .invalidLabel(let row, let value): return "label of row \(row) is \(value); expected 0 or 1"
    case .nonFinite(let row, let column, let value):
      return "feature value at row \(row), column \(column) is \(value); expected a finite number (impute missing values first)"
    case .singleClass(let rows, let label):
      return "all \(rows) labels are \(label); a churn model needs both churned and retained customers"
    case .singularHessian(let detail): return "the Hessian is singular: \(detail)"
    }
  }
}
