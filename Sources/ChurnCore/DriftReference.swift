import Foundation

/// A training-time distribution of one column (or of the model's score), kept in the model to
/// check later data against it with the population stability index.
///
/// ```
/// PSI = Σ_bins (aᵢ − eᵢ) · ln(aᵢ / eᵢ)
/// ```
/// with eᵢ the training share and aᵢ the new share of bin i (both floored at 1e-4 so empty bins
/// stay finite). Numeric columns use the training deciles as bin edges plus a bin for missing
/// values; categorical columns use their levels plus "other". Rule of thumb: below 0.1 stable,
/// 0.1–0.2 some shift, above 0.2 a shift worth a look.
public struct DriftReference: Sendable, Equatable, Codable {
  public var column: String
  /// Upper edges of the numeric bins (the last bin is unbounded); empty for a categorical column.
  public var edges: [Double]
  /// Levels of a categorical column.
  public var levels: [String]
  /// Training share per bin: numeric bins, then missing; or levels, then other.
  public var shares: [Double]

  /// What makes this reference unusable (read from a damaged file), or nil: shares must be
  /// finite, ≥ 0 and one per bin (edges + 2 for a numeric column, levels + 1 for a categorical
  /// one); edges finite and ascending.
  public var problem: String? {
    if let i = edges.firstIndex(where: { !$0.isFinite }) { return "edge \(i) is \(edges[i])" }
    guard zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }) else { return "edges are not ascending" }
    guard edges.isEmpty || levels.isEmpty else { return "both edges and levels" }
    guard Set(levels).count == levels.count else { return "a level listed twice" }
    let bins = levels.isEmpty ? edges.count + 2 : levels.count + 1
    guard shares.count == bins else { return "\(shares.count) shares for \(bins) bins" }
    if let i = shares.firstIndex(where: { !($0.isFinite && $0 >= 0) }) { return "share \(i) is \(shares[i])" }
    return nil
  }

  /// Deciles of the non-missing values (distinct edges only).
  ///
  /// - Parameters:
  ///   - edges: `deciles(ascending:)` of the values, when already known (`ColumnDeciles`);
  ///     nil: the edges and counts come from one selection of the values
  ///     (`ColumnDeciles.summary(selecting:)`: the deciles a sort gives, without sorting).
  ///   - counts: with `edges`, the values' count per bin (`binCounts`, as `ColumnDeciles`
  ///     keeps them), so the shares need no pass over the values; nil (or a count per bin
  ///     missing): counted here.
  public static func numeric(_ column: String, _ values: [Double], edges: [Double]? = nil, counts: [Int]? = nil) -> DriftReference {
    guard let edges else {
      let summary = ColumnDeciles.summary(selecting: values)
      return numeric(column, values, edges: summary.edges, counts: summary.binCounts)
    }
    var reference = DriftReference(column: column, edges: edges, levels: [], shares: [])
    if let counts, counts.count == reference.edges.count + 2 {
      let n = Double(max(values.count, 1))
      reference.shares = counts.map { Double($0) / n }
    } else {
      reference.shares = reference.numericShares(values)
    }
    return reference
  }

  /// The number of values in each bin of `edges` (a value is in the bin of the number of
  /// edges below it; then the missing values), from the non-missing values ascending and the
  /// missing count: what `numericShares` counts, by binary search.
  public static func binCounts(ascending present: [Double], edges: [Double], missing: Int) -> [Int] {
    var below = 0
    var counts: [Int] = []
    for edge in edges {
      // The values ≤ edge: the first index past them.
      var lo = below, hi = present.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if present[mid] <= edge { lo = mid + 1 } else { hi = mid }
      }
      counts.append(lo - below)
      below = lo
    }
    return counts + [present.count - below, missing]
  }

  /// The number of values in each bin, from the count of non-missing values at or below each
  /// edge (`OrderStatistics.Rank.atOrBelow`), the non-missing count and the missing count.
  public static func binCounts(atOrBelow: [Int], present: Int, missing: Int) -> [Int] {
    var below = 0
    var counts: [Int] = []
    for count in atOrBelow {
      counts.append(count - below)
      below = count
    }
    return counts + [present - below, missing]
  }

  /// The distinct deciles of ascending values: the bin edges of a numeric reference.
  public static func deciles(ascending present: [Double]) -> [Double] {
    present.isEmpty ? [] : distinctEdges(decileRanks(count: present.count).map { present[$0] })
  }

  /// The ranks (0-based, in ascending order) of the nine deciles of `n` values, `n` ≥ 1.
  public static func decileRanks(count n: Int) -> [Int] { (1..<10).map { min(n - 1, $0 * n / 10) } }

  /// Ascending decile values with repeats dropped: the bin edges.
  public static func distinctEdges(_ deciles: [Double]) -> [Double] {
    var edges: [Double] = []
    for edge in deciles where edges.last != edge { edges.append(edge) }
    return edges
  }

  public static func categorical(_ column: String, _ values: [String?]) -> DriftReference {
    var counts: [String: Int] = [:]
    for v in values { counts[v ?? "(missing)", default: 0] += 1 }
    let levels = counts.keys.sorted()
    var reference = DriftReference(column: column, edges: [], levels: levels, shares: [])
    reference.shares = reference.categoricalShares(values)
    return reference
  }

  func numericShares(_ values: [Double]) -> [Double] {
    var counts = [Double](repeating: 0, count: edges.count + 2)
    for v in values {
      if v.isNaN {
        counts[edges.count + 1] += 1
        continue
      }
      // The bin is the number of edges below v (edges ascend): counted without branches,
      // which beats a binary search's mispredictions over at most nine edges.
      var bin = 0
      for edge in edges { bin &+= edge < v ? 1 : 0 }
      counts[bin] += 1
    }
    let n = Double(max(values.count, 1))
    return counts.map { $0 / n }
  }

  func categoricalShares(_ values: [String?]) -> [Double] {
    let position = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, $0) })
    var counts = [Double](repeating: 0, count: levels.count + 1)
    for v in values { counts[position[v ?? "(missing)"] ?? levels.count] += 1 }
    let n = Double(max(values.count, 1))
    return counts.map { $0 / n }
  }

  /// The population stability index of new values against this reference.
  public func stability(numeric values: [Double]) -> Double { Self.psi(shares, numericShares(values)) }

  public func stability(categorical values: [String?]) -> Double { Self.psi(shares, categoricalShares(values)) }

  static func psi(_ expected: [Double], _ actual: [Double]) -> Double {
    var total = 0.0
    for (e, a) in zip(expected, actual) {
      let ef = max(e, 1e-4), af = max(a, 1e-4)
      total += (af - ef) * log(af / ef)
    }
    return total
  }
}
