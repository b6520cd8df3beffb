import ChurnCore

/// How well one warning rule (or a group of rules) found the customers who then left, over
/// labelled rows:
///
/// ```
/// flagged    rows where the rule fired
/// churned    flagged rows labelled 1
/// precision  churned / flagged              (Wilson 95% interval)
/// recall     churned / all churned rows
/// lift       precision / churn rate of all rows
/// ```
///
/// With a model, `modelPrecision` is the model's precision when it flags as many rows as the
/// rule did: the `flagged` rows of highest probability (see `RuleMeasure.topPrecision`).
/// Undefined ratios (nothing flagged, no churner) are NaN.
public struct RuleMeasure: Sendable, Equatable, Codable {
  /// The rule's name, or "(any red rule)" / "(any rule)" for the groups.
  public var rule: String
  /// "red" or "yellow"; for the groups "red" and "any".
  public var severity: String
  /// The condition as written; for a group, the rules it joins with "or".
  public var condition: String
  public var flagged: Int
  public var churned: Int
  /// flagged / rows.
  public var shareFlagged: Double
  public var precision: Estimate
  public var recall: Double
  public var lift: Double
  /// The model's precision at the same count flagged, and its lift (nil without a model).
  public var modelPrecision: Double?
  public var modelLift: Double?

  /// The measure of `fired` (one flag per row) against `labels` (1 or 0 per row, every one known).
  ///
  /// - Parameter top: the model's ranking of the same rows, for `modelPrecision`.
  public init(rule: String, severity: String, condition: String, fired: [Bool], labels: [Double], top: TopPrecision? = nil) {
    precondition(fired.count == labels.count, "\(fired.count) flags for \(labels.count) labels")
    self.rule = rule
    self.severity = severity
    self.condition = condition
    var flagged = 0, churned = 0, churners = 0
    for (f, y) in zip(fired, labels) {
      if y == 1 { churners += 1 }
      if f {
        flagged += 1
        if y == 1 { churned += 1 }
      }
    }
    self.flagged = flagged
    self.churned = churned
    let rows = labels.count
    shareFlagged = rows > 0 ? Double(flagged) / Double(rows) : .nan
    precision = wilsonInterval(successes: churned, trials: flagged)
    recall = churners > 0 ? Double(churned) / Double(churners) : .nan
    let rate = rows > 0 ? Double(churners) / Double(rows) : .nan
    lift = rate > 0 ? precision.value / rate : .nan
    if let top {
      let p = flagged > 0 ? top.precision(at: flagged) : .nan
      modelPrecision = p
      modelLift = rate > 0 ? p / rate : .nan
    }
  }

  /// The model's precision among its `k` riskiest rows, for every `k`.
  ///
  /// Rows tied at the k-th probability share the places left: when `k` cuts through a group of
  /// t tied rows of which c churned, taking m of them counts m · c / t churners (the expected
  /// count when the tie is broken at random), so the result does not depend on row order.
  ///
  /// ```
  /// precision(k) = (churned above the tie + m · c / t) / k
  /// ```
  public struct TopPrecision: Sendable {
    /// Probabilities sorted descending, and the labels in that order, summed.
    let sorted: [Double]
    let churnedBefore: [Int]

    /// - Precondition: as many probabilities as labels; every probability is a number.
    /// - Complexity: O(n log n).
    public init(probabilities: [Double], labels: [Double]) {
      precondition(probabilities.count == labels.count, "\(probabilities.count) probabilities for \(labels.count) labels")
      precondition(!probabilities.contains { $0.isNaN }, "a probability is NaN")
      let order = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }
      sorted = order.map { probabilities[$0] }
      var sums = [0]
      sums.reserveCapacity(order.count + 1)
      for i in order { sums.append(sums.last! + (labels[i] == 1 ? 1 : 0)) }
      churnedBefore = sums
    }

    /// Precision among the `k` riskiest rows (1 ≤ k ≤ rows), ties shared as described above.
    public func precision(at k: Int) -> Double {
      precondition(k >= 1 && k <= sorted.count, "k \(k) outside 1...\(sorted.count)")
      let cut = sorted[k - 1]
      var lo = k - 1, hi = k
      while lo > 0, sorted[lo - 1] == cut { lo -= 1 }
      while hi < sorted.count, sorted[hi] == cut { hi += 1 }
      let tied = Double(churnedBefore[hi] - churnedBefore[lo])
      return (Double(churnedBefore[lo]) + Double(k - lo) * tied / Double(hi - lo)) / Double(k)
    }
  }

  /// One measure per rule in file order, then "(any red rule)" (a row flagged when any red rule
  /// fires; left out without red rules) and "(any rule)".
  ///
  /// - Parameters:
  ///   - fired: per rule, one flag per row (`WarningRules.fired(in:)`).
  ///   - labels: 1 or 0 per row.
  ///   - probabilities: a model's probability per row, for `modelPrecision`.
  public static func all(_ rules: WarningRules, fired: [[Bool]], labels: [Double], probabilities: [Double]? = nil) -> [RuleMeasure] {
    precondition(fired.count == rules.rules.count, "\(fired.count) flag lists for \(rules.rules.count) rules")
    let top = probabilities.map { TopPrecision(probabilities: $0, labels: labels) }
    var out = zip(rules.rules, fired).map { rule, f in
      RuleMeasure(rule: rule.name, severity: rule.severity.rawValue, condition: rule.text, fired: f, labels: labels, top: top)
    }
    func any(_ indices: [Int]) -> [Bool] {
      (0..<labels.count).map { i in indices.contains { fired[$0][i] } }
    }
    func joined(_ indices: [Int]) -> String { indices.map { rules.rules[$0].name }.joined(separator: " or ") }
    let red = rules.rules.indices.filter { rules.rules[$0].severity == .red }
    if !red.isEmpty {
      out.append(RuleMeasure(rule: "(any red rule)", severity: "red", condition: joined(red), fired: any(red), labels: labels, top: top))
    }
    let every = Array(rules.rules.indices)
    out.append(RuleMeasure(rule: "(any rule)", severity: "any", condition: joined(every), fired: any(every), labels: labels, top: top))
    return out
  }
}
