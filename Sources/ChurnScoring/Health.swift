/// A customer's health: a score from 0 to 100 (100 = safest) and what each dimension of signal
/// (service, engagement, finance, commercial, account, or the user's own categories) adds to it
/// or costs.
///
/// The score is the calibrated churn probability p turned around, and the breakdown is the
/// model's additive explanation (base + Σ contributions = p, `ModelFile.explain`) summed per
/// dimension and turned into health points:
///
/// ```
/// health       = 100 × (1 − p)
/// baseline     = 100 × (1 − base)                 the same for every customer of a model
/// dimension g  = −100 × Σ_{input columns c in g} contribution(c)
/// baseline + Σ_g dimension g = health             (exactly, before rounding)
/// ```
///
/// base is the model's base rate, calibration included: the churn probability of the average
/// customer (σ(intercept) on standardized columns) for the logistic model, the trees' expected
/// value for a forest, σ(base score + the trees' expected log-odds) for boosting. A negative
/// dimension costs health (that category of signal raises this customer's risk above the
/// base); a positive one adds health.
///
/// Rounded, as the ranked list and `churn explain` print them: `score` = round(health) and
/// `baseline` = round(baseline), half away from zero; each dimension's `points` are its exact
/// value rounded to the nearest integer, then moved one point at a time (largest remainders,
/// `HealthDimensions.apportion`) until `baseline + Σ points = score`. So the printed integers
/// always add up, and a dimension's points are within 1.5 of its exact value.
public struct CustomerHealth: Sendable, Equatable, Encodable {
  /// One dimension's share of the health score.
  public struct Dimension: Sendable, Equatable, Encodable {
    /// The dimension ("service", "engagement", ...): a category of `Attribution`.
    public var name: String
    /// Health points, rounded so that the dimensions add up (`CustomerHealth`).
    public var points: Int
    /// Health points before rounding: −100 × the dimension's summed contributions.
    public var exact: Double
  }

  /// round(100 × (1 − p)), 0 to 100.
  public var score: Int
  /// 100 × (1 − p).
  public var exactScore: Double
  /// round(100 × (1 − base)): the health of the model's average customer.
  public var baseline: Int
  /// 100 × (1 − base).
  public var exactBaseline: Double
  /// In `HealthDimensions.names` order; `baseline + Σ points = score`.
  public var dimensions: [Dimension]

  /// "62 = baseline 88, service -14, engagement -9, finance +2, account 0": the score and the
  /// rounded terms that add up to it, as the ranked list prints them.
  public var text: String {
    "\(score) = baseline \(baseline)" + dimensions.map { ", \($0.name) " + (($0.points > 0 ? "+" : "") + "\($0.points)") }.joined()
  }

  /// The dimension named `name`, if the model has it.
  public func points(_ name: String) -> Int? { dimensions.first { $0.name == name }?.points }
}

/// The health dimensions of one model: each of its input columns in the category of signal
/// `Attribution` gives it, the one mapping `churn weights` groups by.
///
/// A categorical column's one-hot levels and a column's missing indicator belong to the
/// column, so they land in the column's dimension. Dimensions are listed in the order the
/// rules first name them (service, finance, commercial, engagement with the default rules),
/// the fallback (`account`) last, and only those that hold at least one of the model's columns.
public struct HealthDimensions: Sendable, Equatable {
  /// The dimensions, in order.
  public let names: [String]
  /// The model's input columns, in its order.
  public let columns: [String]
  /// Per input column, its dimension: an index into `names`.
  public let dimensionOfColumn: [Int]

  /// The dimensions of a model with input columns `columns`, grouped by `attribution`.
  public init(columns: [String], attribution: Attribution = Attribution()) {
    let categories = columns.map(attribution.category(of:))
    func order(_ category: String) -> Int { attribution.rules.firstIndex { $0.category == category } ?? attribution.rules.count }
    var names: [String] = []
    for category in categories where !names.contains(category) { names.append(category) }
    // Stable: two categories never share a first rule, and the fallback (no rule) is alone last.
    names.sort { order($0) < order($1) }
    self.names = names
    self.columns = columns
    dimensionOfColumn = categories.map { names.firstIndex(of: $0)! }
  }

  /// The health of a customer with calibrated probability `probability`, from the model's
  /// `base` and the customer's contributions summed per dimension (in `names` order).
  ///
  /// - Precondition: one contribution per dimension.
  public func health(probability: Double, base: Double, dimensionContributions: [Double]) -> CustomerHealth {
    precondition(dimensionContributions.count == names.count, "\(dimensionContributions.count) contributions for dimensions \(names)")
    let exactScore = 100 * (1 - probability)
    let exactBaseline = 100 * (1 - base)
    // + 0 so that a dimension with no contribution is 0, never -0.
    let exact = dimensionContributions.map { -100 * $0 + 0 }
    let score = Int(exactScore.rounded())
    let baseline = Int(exactBaseline.rounded())
    let points = Self.apportion(exact, total: score - baseline)
    return CustomerHealth(score: score, exactScore: exactScore, baseline: baseline, exactBaseline: exactBaseline,
                          dimensions: names.indices.map { .init(name: names[$0], points: points[$0], exact: exact[$0]) })
  }

  /// The health of a customer from their contributions per input column (in `columns` order,
  /// as `ModelFile.explainColumns` gives them), summed per dimension in that order.
  public func health(probability: Double, base: Double, columnContributions: [Double]) -> CustomerHealth {
    precondition(columnContributions.count == columns.count, "\(columnContributions.count) contributions for columns \(columns)")
    var sums = [Double](repeating: 0, count: names.count)
    for (k, value) in columnContributions.enumerated() { sums[dimensionOfColumn[k]] += value }
    return health(probability: probability, base: base, dimensionContributions: sums)
  }

  /// Integers that add up to `total`, each near its value: every value rounded to the nearest
  /// integer (half away from zero), then, while the sum is short, one point added to the value
  /// with the largest remainder (value − integer), or, while it is over, one taken from the
  /// value with the smallest; ties go to the earlier value. The largest-remainder method
  /// (Hamilton's apportionment) with signed values.
  ///
  /// ```
  /// apportion([-6.4, -3.45, 1.3], total: -9) == [-6, -4, 1]   // rounded -6 - 3 + 1 = -8: one over; -3.45 is furthest below its integer
  /// ```
  ///
  /// - Returns: `[]` for no values (then `total` must be 0).
  /// - Complexity: O(n × |total − Σ rounded|).
  public static func apportion(_ values: [Double], total: Int) -> [Int] {
    precondition(!values.isEmpty || total == 0, "no values to make up \(total)")
    precondition(values.allSatisfy(\.isFinite), "values \(values) are not all finite")
    var points = values.map { Int($0.rounded()) }
    var residual = total - points.reduce(0, +)
    while residual != 0 {
      let remainders = values.indices.map { values[$0] - Double(points[$0]) }
      if residual > 0 {
        let k = remainders.indices.max { remainders[$0] < remainders[$1] || (remainders[$0] == remainders[$1] && $0 > $1) }!
        points[k] += 1
        residual -= 1
      } else {
        let k = remainders.indices.min { remainders[$0] < remainders[$1] || (remainders[$0] == remainders[$1] && $0 < $1) }!
        points[k] -= 1
        residual += 1
      }
    }
    return points
  }
}
