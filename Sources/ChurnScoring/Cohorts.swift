import Foundation

/// Churn rates of groups of customers, with Wilson 95% intervals: the cohort analyses of
/// *Fighting Churn with Data* (churn rate by decile of a metric) and of the users' own
/// documents (churned against retained by industry, size, tier), and churn over time.
public struct Cohort: Sendable, Equatable, Codable {
  /// "≤ 3", "(3, 7.5]", a category level, "(missing)".
  public var label: String
  /// Value range (numeric cohorts): lower bound (exclusive except for the first) and upper bound (inclusive).
  public var lower: Double?
  public var upper: Double?
  /// Mean of the feature over the cohort (numeric cohorts).
  public var meanValue: Double?
  public var customers: Int
  public var churned: Int
  /// churned / customers with its Wilson 95% interval.
  public var churnRate: Estimate
}

public enum Cohorts {
  /// Customers grouped by quantile of a numeric feature, as pandas' `qcut(values, groups,
  /// duplicates="drop")` groups them: edges at the 0, 1/g, ..., 1 quantiles (linear
  /// interpolation), repeated edges merged (a feature that is 0 for 60% of customers gets one
  /// "0" cohort), intervals closed on the right with the first including its lower edge.
  /// Missing values (NaN) form a last cohort of their own. Rows with an unknown label (NaN) are
  /// left out.
  public static func byQuantile(values: [Double], labels: [Double], groups: Int = 10) -> [Cohort] {
    precondition(values.count == labels.count && groups >= 1)
    let known = values.indices.filter { !labels[$0].isNaN }
    let present = known.filter { !values[$0].isNaN }
    var cohorts: [Cohort] = []
    if !present.isEmpty {
      let sorted = present.map { values[$0] }.sorted()
      var edges: [Double] = []
      for k in 0...groups {
        let e = linearQuantile(sorted: sorted, (evenFraction(k, of: groups) * 100) / 100)
        if edges.last != e { edges.append(e) }
      }
      if edges.count == 1 { edges.append(edges[0]) }
      let bins = edges.count - 1
      var n = [Int](repeating: 0, count: bins), churned = [Int](repeating: 0, count: bins)
      var sums = [Double](repeating: 0, count: bins)
      for i in present {
        let v = values[i]
        // First bin whose upper edge is ≥ v (the first bin also takes its lower edge).
        var lo = 0, hi = bins - 1
        while lo < hi {
          let mid = (lo + hi) / 2
          if edges[mid + 1] < v { lo = mid + 1 } else { hi = mid }
        }
        n[lo] += 1
        sums[lo] += v
        if labels[i] == 1 { churned[lo] += 1 }
      }
      for b in 0..<bins where n[b] > 0 {
        let label = edges[b] == edges[b + 1] ? "= \(short(edges[b]))" : (b == 0 ? "[\(short(edges[b])), \(short(edges[b + 1]))]" : "(\(short(edges[b])), \(short(edges[b + 1]))]")
        cohorts.append(Cohort(label: label, lower: edges[b], upper: edges[b + 1], meanValue: sums[b] / Double(n[b]), customers: n[b],
                              churned: churned[b], churnRate: wilsonInterval(successes: churned[b], trials: n[b])))
      }
    }
    let missing = known.filter { values[$0].isNaN }
    if !missing.isEmpty {
      let c = missing.filter { labels[$0] == 1 }.count
      cohorts.append(Cohort(label: "(missing)", customers: missing.count, churned: c, churnRate: wilsonInterval(successes: c, trials: missing.count)))
    }
    return cohorts
  }

  /// Customers grouped by category level (blank as "(blank)"), largest group first, ties by name.
  public static func byLevel(levels: [String?], labels: [Double]) -> [Cohort] {
    precondition(levels.count == labels.count)
    var n: [String: Int] = [:], churned: [String: Int] = [:]
    for (level, y) in zip(levels, labels) where !y.isNaN {
      let key = level ?? "(blank)"
      n[key, default: 0] += 1
      if y == 1 { churned[key, default: 0] += 1 }
    }
    return n.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { key, count in
      Cohort(label: key, customers: count, churned: churned[key, default: 0],
             churnRate: wilsonInterval(successes: churned[key, default: 0], trials: count))
    }
  }

  /// A churn rate over `days` converted to another period of `periodDays` under a constant
  /// hazard: 1 − (1 − r)^(periodDays / days). Annualized: periodDays = 365; monthly: 30.4375.
  public static func convert(rate: Double, days: Double, periodDays: Double) -> Double {
    1 - pow(1 - rate, periodDays / days)
  }

  /// Up to 4 significant digits, no exponent for ordinary numbers.
  static func short(_ x: Double) -> String {
    if x == x.rounded() && abs(x) < 1e12 { return String(Int64(x)) }
    var s = String(format: "%.4g", x)
    if s.contains("e") { s = String(format: "%g", x) }
    return s
  }
}
