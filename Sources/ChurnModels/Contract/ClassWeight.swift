/// How the two classes are weighted in a fit, for every model family.
public enum ClassWeight: String, Sendable, Codable, CaseIterable {
  /// Every row weighs 1.
  case none
  /// Each class carries half the total weight: n / (2 · n_class) per row, as scikit-learn's
  /// `class_weight="balanced"`. Probabilities are then corrected back to the real churn rate
  /// (King & Zeng's prior correction; see `ModelSettings.fit`).
  case balanced

  /// The prior correction (log-odds) that takes probabilities fitted under these weights back
  /// to the churn rate of `labels`: King & Zeng's logit τ − logit ½ when balanced, else 0.
  /// The same for a final fit and for a search's candidates.
  func priorShift(labels: [Double]) -> Double {
    self == .balanced ? Calibration.priorShift(labels: labels, weightedChurnShare: 0.5) : 0
  }

  /// `weights` times the class weights.
  func applied(to weights: [Double], labels: [Double], positives: Double) -> [Double] {
    guard self == .balanced else { return weights }
    let n = Double(labels.count)
    let w1 = n / (2 * positives), w0 = n / (2 * (n - positives))
    return zip(weights, labels).map { $0 * ($1 == 1 ? w1 : w0) }
  }
}
