@testable import ChurnCore
import Foundation
import Testing

@Suite("Population stability index")
struct DriftReferenceTests {
  @Test("Bin shares count each value in the first bin whose edge is at or above it: values on the edges, between, beyond, missing")
  func binsByHand() {
    // Rounded values: many fall exactly on an edge.
    var rng = SeededGenerator(seed: 9)
    let training = (0..<2_000).map { _ in (rng.normal() * 4).rounded() }
    let reference = DriftReference.numeric("x", training)
    let scoring = (0..<3_000).map { i in i % 50 == 0 ? Double.nan : (rng.normal() * 5).rounded() / 1 }
    var counts = [Double](repeating: 0, count: reference.edges.count + 2)
    for v in scoring {
      if v.isNaN { counts[reference.edges.count + 1] += 1; continue }
      counts[reference.edges.firstIndex(where: { v <= $0 }) ?? reference.edges.count] += 1
    }
    let shares = counts.map { max($0 / 3_000, 1e-4) }
    let expected = zip(reference.shares, shares).reduce(0.0) { psi, pair in
      let e = max(pair.0, 1e-4)
      return psi + (pair.1 - e) * log(pair.1 / e)
    }
    #expect(abs(reference.stability(numeric: scoring) - expected) < 1e-12)
    #expect(reference.edges.count >= 5)
  }

  @Test("A sample against itself is 0, numeric and categorical, over several seeds", arguments: [1, 2, 3, 4] as [UInt64])
  func itself(seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    let numeric = (0..<500).map { _ in rng.bernoulli(0.1) ? Double.nan : rng.logNormal(mu: 1, sigma: 1) }
    let levels = ["a", "b", "c", nil]
    let categorical = (0..<500).map { _ in levels[rng.categorical([0.5, 0.3, 0.15, 0.05])] }
    #expect(DriftReference.numeric("x", numeric).stability(numeric: numeric) == 0)
    #expect(DriftReference.categorical("c", categorical).stability(categorical: categorical) == 0)
    // A shifted sample is not 0: the check can fail.
    #expect(DriftReference.numeric("x", numeric).stability(numeric: numeric.map { $0 * 3 }) > 0.2)
  }

  @Test("Worked by hand: categorical levels and numeric deciles with a missing bin")
  func worked() {
    // Training a, a, b, b (shares ½, ½, other 0); now a, a, a, b (¾, ¼, 0):
    // PSI = (¾ − ½) ln(¾ / ½) + (¼ − ½) ln(¼ / ½) + 0 = ¼ ln 1.5 + ¼ ln 2 = ¼ ln 3.
    let c = DriftReference.categorical("plan", ["a", "a", "b", "b"])
    #expect(c.levels == ["a", "b"] && c.shares == [0.5, 0.5, 0])
    #expect(abs(c.stability(categorical: ["a", "a", "a", "b"]) - log(3) / 4) < 1e-12)
    // An unseen level counts as "other": training share 0 floored at 1e-4.
    #expect(abs(c.stability(categorical: ["a", "z"]) - ((0.5 - 0.5) * 0 + (1e-4 - 0.5) * log(1e-4 / 0.5) + (0.5 - 1e-4) * log(0.5 / 1e-4))) < 1e-12)

    // Training 1...10: decile edges 2, 3, ..., 10; bins ≤2 (0.2), (2,3] ... (9,10] (0.1 each), >10 (0), missing (0).
    let n = DriftReference.numeric("x", (1...10).map(Double.init))
    #expect(n.edges == [2, 3, 4, 5, 6, 7, 8, 9, 10])
    #expect(n.shares == [0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0, 0])
    // Now 1 ×5, 10 ×4, missing ×1: shares 0.5 in ≤2, 0.4 in (9,10], 0.1 missing, 0 elsewhere (floored at 1e-4).
    let now = [1, 1, 1, 1, 1, 10, 10, 10, 10, Double.nan]
    let empty = (1e-4 - 0.1) * log(1e-4 / 0.1)
    let expected = (0.5 - 0.2) * log(0.5 / 0.2) + 7 * empty + (0.4 - 0.1) * log(0.4 / 0.1) + 0 + (0.1 - 1e-4) * log(0.1 / 1e-4)
    #expect(abs(n.stability(numeric: now) - expected) < 1e-12)
    #expect(abs(expected - 6.2114535) < 1e-6)
  }

  @Test("Shares from the bin counts of one selection (or of the sorted values) are the counted shares, bit for bit: ties on edges, missing, −0")
  func sharesFromCounts() {
    var rng = SeededGenerator(seed: 35)
    let n = 5_001
    let columns: [(String, [Double])] = [
      ("ties on every edge", (0..<n).map { _ in (rng.normal() * 2).rounded() }),
      ("missing", (0..<n).map { i in i % 9 == 0 ? .nan : rng.normal() }),
      ("signed zeros", (0..<n).map { i in [0.0, -0.0, rng.normal(), 1][i % 4] }),
      ("signed zeros, no −0 edge", (0..<n).map { i in i % 50 == 0 ? -0.0 : rng.uniform() + 1 }),
      ("constant", Array(repeating: 3, count: n)),
      ("all missing", Array(repeating: .nan, count: n)),
      ("two values", (0..<n).map { i in i % 3 == 0 ? 1 : 0 }),
    ]
    let table = FeatureTable(ids: (0..<n).map { "c\($0)" }, columnNames: columns.map(\.0), columns: columns.map { .numeric($0.1) })
    for deciles in [ColumnDeciles(selecting: table, threads: 2), SortedColumns(table).deciles] {
      for (c, (name, values)) in columns.enumerated() {
        // The edges of a sort, and the shares of counting each value against them.
        let edges = DriftReference.deciles(ascending: values.filter { !$0.isNaN }.sorted())
        let counted = DriftReference(column: name, edges: edges, levels: [], shares: []).numericShares(values)
        for known in [DriftReference.numeric(name, values, edges: deciles.edges[c], counts: deciles.binCounts[c]), DriftReference.numeric(name, values)] {
          #expect(known.edges.map(\.bitPattern) == edges.map(\.bitPattern), "\(name)")
          #expect(known.shares.map(\.bitPattern) == counted.map(\.bitPattern), "\(name)")
        }
        #expect(deciles.binCounts[c]?.reduce(0, +) == n, "\(name)")
      }
    }
    // Counts that do not fit the edges are not used.
    let values: [Double] = [1, 2, 3, .nan]
    let reference = DriftReference.numeric("x", values, edges: [2], counts: [9])
    #expect(reference.shares == [0.5, 0.25, 0.25])
    #expect(DriftReference.binCounts(ascending: [1, 2, 2, 3], edges: [2], missing: 1) == [3, 1, 1])
    #expect(DriftReference.binCounts(atOrBelow: [3], present: 4, missing: 1) == [3, 1, 1])
  }
}
