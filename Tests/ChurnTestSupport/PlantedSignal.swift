import ChurnCore
import Foundation

/// Generated data where churn depends on known columns with known signs.
///
/// ```
/// P(yᵢ = 1) = σ(intercept + Σⱼ weights[j] · X[i][j])
/// ```
/// with X standard normal; columns whose weight is 0 are pure noise.
public struct PlantedSignal: Sendable {
  public let features: Matrix
  public let labels: [Double]
  public let weights: [Double]
  public let intercept: Double

  public init(rows: Int, weights: [Double], intercept: Double = -1, seed: UInt64) {
    self.weights = weights
    self.intercept = intercept
    features = randomMatrix(rows: rows, columns: weights.count, seed: seed)
    var rng = SeededGenerator(seed: seed, stream: 3)
    var labels = [Double](repeating: 0, count: rows)
    for i in 0..<rows {
      var eta = intercept
      for j in 0..<weights.count { eta += weights[j] * features[i, j] }
      labels[i] = rng.uniform() < 1 / (1 + exp(-eta)) ? 1 : 0
    }
    self.labels = labels
  }
}
