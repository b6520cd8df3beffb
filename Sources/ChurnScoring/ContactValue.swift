import Foundation

/// The order of the ranked list.
///
/// - `risk`: churn probability, highest first, ties by id (the default).
/// - `value`: value at stake (`RiskRow.valueAtStake`: expected revenue at risk, or a survival
///   model's value at risk over its K periods), highest
///   first, ties by probability (highest first), then by id; customers whose value is unknown
///   (no revenue value) come after every customer with one, by probability, then id.
///
/// Under either order a customer's percentile is the percent of scored customers ranked below
/// it with a different sort key: a lower probability (`risk`), or a lower value at stake, or
/// the same value and a lower probability (`value`; an unknown value counts as the lowest).
/// Risk bands stay probability bands under both.
public enum RankOrder: String, Sendable, CaseIterable {
  case risk
  case value

  /// The indices of `probabilities` in list order (see the type).
  ///
  /// - Parameters:
  ///   - ids: each row's customer id, the last tie-break.
  ///   - probabilities: each row's churn probability.
  ///   - values: each row's value at stake (NaN when unknown); read only under `value`.
  /// - Complexity: O(n log n).
  public func order(ids: [String], probabilities p: [Double], values v: [Double]) -> [Int] {
    precondition(ids.count == p.count && (self == .risk || v.count == p.count), "\(ids.count) ids, \(p.count) probabilities, \(v.count) values")
    var order = Array(p.indices)
    switch self {
    case .risk:
      order.sort { a, b in p[a] != p[b] ? p[a] > p[b] : ids[a] < ids[b] }
    case .value:
      order.sort { a, b in
        let (ka, kb) = (!v[a].isNaN, !v[b].isNaN)
        if ka != kb { return ka }
        if ka && v[a] != v[b] { return v[a] > v[b] }
        return p[a] != p[b] ? p[a] > p[b] : ids[a] < ids[b]
      }
    }
    return order
  }

  /// Whether rows `a` and `b` share a sort key (and so a percentile) under this order.
  func tied(_ a: Int, _ b: Int, probabilities p: [Double], values v: [Double]) -> Bool {
    switch self {
    case .risk: return p[a] == p[b]
    case .value: return p[a] == p[b] && (v[a] == v[b] || (v[a].isNaN && v[b].isNaN))
    }
  }
}

/// What a retention contact costs and how often it works: the economics of a call.
///
/// The expected net value of contacting a customer is the share of would-be churners a contact
/// keeps times what their leaving would cost, less the contact's cost:
///
/// ```
/// net value = S × value at stake − C
/// value at stake = churn probability × monthly revenue × horizon in months   (expected_revenue_at_risk)
/// value at stake = Σ_{k=1..K} (1 − S(k)) × r × δ^k                          (a survival model's value_at_risk)
/// ```
///
/// with C the cost of one contact (`cost`, in the revenue column's currency, C ≥ 0) and S the
/// share of contacted churners it saves (`saveRate`, 0 < S ≤ 1). A contact pays when the value
/// at stake exceeds C / S (`breakEven`). The value at stake is `RiskRow.valueAtStake`: the
/// fixed-horizon expected revenue at risk, or a survival model's value at risk
/// (`SurvivalCurve.valueAtRisk(revenuePerPeriod:discount:)`).
public struct ContactEconomics: Sendable, Equatable {
  /// C: the cost of one retention contact (a call, an offer), 0 or more.
  public let cost: Double
  /// S: the share of contacted would-be churners the contact keeps, in (0, 1].
  public let saveRate: Double
  /// Who has no value at stake, as `ContactCut.summary` names them: "without a revenue value"
  /// (the default), or "without a purchase before the as-of date" for BTYD values.
  public var unknownValue = "without a revenue value"

  /// - Throws: `ContactEconomicsError.badCost` unless `cost` is a finite number ≥ 0;
  ///   `.badSaveRate` unless 0 < `saveRate` ≤ 1.
  public init(cost: Double, saveRate: Double) throws(ContactEconomicsError) {
    guard cost.isFinite, cost >= 0 else { throw .badCost(cost) }
    guard saveRate > 0, saveRate <= 1 else { throw .badSaveRate(saveRate) }
    self.cost = cost + 0  // -0 reads as 0
    self.saveRate = saveRate
  }

  /// S × `valueAtStake` − C.
  public func netValue(ofContacting valueAtStake: Double) -> Double { saveRate * valueAtStake - cost }

  /// C / S: the value at stake above which a contact pays.
  public var breakEven: Double { cost / saveRate }

  /// "30% × value at stake − 25.00".
  public var formula: String {
    String(format: "%g%%", 100 * saveRate) + " × value at stake − " + SignedNumber.unsigned(cost, decimals: 2)
  }
}

/// Who is worth a call: the customers whose expected net value of contact is positive.
///
/// The list sorted by net value (highest first: value at stake, then probability, then id, as
/// `RankOrder.value`), contacted while the net value is positive. Since the net value rises
/// with the value at stake, the cut is every customer whose value at stake exceeds C / S;
/// customers without a value at stake (no revenue value) are never called.
///
/// ```
/// calls      = #{ i : S × vᵢ − C > 0 }
/// value saved = Σ over calls of S × vᵢ
/// cost        = calls × C
/// net value   = Σ over calls of (S × vᵢ − C)
/// ```
public struct ContactCut: Sendable, Equatable {
  public let economics: ContactEconomics
  /// The customers worth a call, highest net value first.
  public let calls: [RiskRow]
  /// The customers considered (all rows given).
  public let customers: Int
  /// Customers with no value at stake (no revenue value): never called.
  public let unknownValue: Int
  /// Σ S × value at stake over the calls: the revenue the calls are expected to keep.
  public let valueSaved: Double
  /// The calls' cost, calls × C.
  public let cost: Double
  /// Σ (S × value at stake − C) over the calls: the total expected net value.
  public let netValue: Double

  /// The cut of `rows` (a whole list, or one owner's customers).
  ///
  /// - Complexity: O(n log n).
  public init(_ rows: [RiskRow], economics: ContactEconomics) {
    self.economics = economics
    customers = rows.count
    let values = rows.map { $0.valueAtStake ?? .nan }
    unknownValue = values.filter(\.isNaN).count
    let order = RankOrder.value.order(ids: rows.map(\.id), probabilities: rows.map(\.probability), values: values)
    var calls: [RiskRow] = [], saved = 0.0, net = 0.0
    for i in order {
      guard !values[i].isNaN else { break }  // unknown values sort last
      let gain = economics.netValue(ofContacting: values[i])
      guard gain > 0 else { break }  // net value falls along the order: the rest pay less
      calls.append(rows[i])
      saved += economics.saveRate * values[i]
      net += gain
    }
    self.calls = calls
    valueSaved = saved
    cost = Double(calls.count) * economics.cost
    netValue = net
  }

  /// The cut in one line, as the terminal summary, the report and the brief show it:
  /// `37 of 1239 customers worth a call (30% × value at stake − 25.00 > 0): expected net value
  /// 3642.89, cost 925.00, value saved 4567.89`.
  public var summary: String {
    "\(calls.count) of \(customers) customers worth a call (\(economics.formula) > 0): " + totals
      + (unknownValue > 0 ? "; \(unknownValue) \(economics.unknownValue) not counted" : "")
  }

  /// `expected net value 3642.89, cost 925.00, value saved 4567.89`.
  public var totals: String {
    "expected net value \(SignedNumber.unsigned(netValue, decimals: 2)), cost \(SignedNumber.unsigned(cost, decimals: 2)), "
      + "value saved \(SignedNumber.unsigned(valueSaved, decimals: 2))"
  }
}

/// Contact economics that cannot be used.
public enum ContactEconomicsError: Error, Equatable, CustomStringConvertible {
  /// The contact cost is negative, NaN or infinite.
  case badCost(Double)
  /// The save rate is not in (0, 1].
  case badSaveRate(Double)
  /// `--contact-cost`/`--save-rate` or `--rank-by value` without a revenue column or BTYD values: no value at stake.
  case needsRevenue(flag: String)
  /// Only one of `--contact-cost` and `--save-rate`.
  case needsBoth(given: String, missing: String)

  public var description: String {
    switch self {
    case .badCost(let c):
      return "--contact-cost \(String(format: "%g", c)): expected the cost of one retention contact, a number of 0 or more; fix: give a cost such as 25"
    case .badSaveRate(let s):
      return "--save-rate \(String(format: "%g", s)): expected the share of contacted churners a contact keeps, more than 0 and at most 1; fix: give a share such as 0.3"
    case .needsRevenue(let flag):
      return "\(flag) needs a value at stake per customer; expected --revenue-column COLUMN (monthly revenue, for subscriptions) "
        + "or --lifetime-value btyd (value at risk from the event log's purchases, for purchase data); fix: give one of them, or drop \(flag)"
    case .needsBoth(let given, let missing):
      return "\(given) needs \(missing): the net value of a contact is save rate × value at stake − contact cost; fix: give both"
    }
  }
}
