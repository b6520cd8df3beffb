/// The users' red / yellow / green grading of churn risk, as probability cut points.
///
/// Learned at training time from the distribution of the model's scores: red is the riskiest
/// `redShare` of customers (default 10%), yellow the next `yellowShare` (default 20%), green the
/// rest. The churn rate observed in each band (on held-out rows when there are any) is stored
/// beside the cut points, so a user can see that the bands really separate risk.
public struct RiskBands: Sendable, Equatable, Codable {
  /// Probabilities at or above this are red.
  public var red: Double
  /// Probabilities at or above this (and below `red`) are yellow.
  public var yellow: Double
  /// Observed churn rate per band ("red", "yellow", "green"), when measured.
  public var observedChurnRate: [String: Double]
  /// Rows per band in that measurement.
  public var observedRows: [String: Int]

  public init(red: Double, yellow: Double, observedChurnRate: [String: Double] = [:], observedRows: [String: Int] = [:]) {
    precondition(red >= yellow, "red cut point \(red) below yellow \(yellow)")
    self.red = red
    self.yellow = yellow
    self.observedChurnRate = observedChurnRate
    self.observedRows = observedRows
  }

  /// Cut points at the (1 − redShare) and (1 − redShare − yellowShare) quantiles of `scores`.
  public static func learn(scores: [Double], redShare: Double = 0.10, yellowShare: Double = 0.20) -> RiskBands {
    precondition(!scores.isEmpty, "risk bands need at least one score")
    precondition((0...1).contains(redShare) && (0...1).contains(yellowShare) && redShare + yellowShare <= 1,
                 "band shares \(redShare) and \(yellowShare) must lie in [0, 1] and add up to at most 1")
    let sorted = scores.sorted()
    func quantile(_ q: Double) -> Double { sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.down))))] }
    let red = quantile(1 - redShare)
    return RiskBands(red: red, yellow: min(red, quantile(1 - redShare - yellowShare)))
  }

  public func band(_ probability: Double) -> String {
    probability >= red ? "red" : (probability >= yellow ? "yellow" : "green")
  }

  /// The same cut points with the churn rate observed in each band on `labels` (1/0; NaN skipped).
  public func measured(scores: [Double], labels: [Double]) -> RiskBands {
    var rows: [String: Int] = [:], churned: [String: Int] = [:]
    for (p, y) in zip(scores, labels) where !y.isNaN {
      let b = band(p)
      rows[b, default: 0] += 1
      if y == 1 { churned[b, default: 0] += 1 }
    }
    var rates: [String: Double] = [:]
    for (b, n) in rows where n > 0 { rates[b] = Double(churned[b, default: 0]) / Double(n) }
    return RiskBands(red: red, yellow: yellow, observedChurnRate: rates, observedRows: rows)
  }
}
