@testable import ChurnCore
import Foundation
import Testing

@Suite("Order statistics by selection equal a sort's")
struct OrderStatisticsTests {
  @Test("Random columns with many ties, of 1 to 5,000 values, at random ranks and at the deciles")
  func againstSort() {
    var rng = SeededGenerator(seed: 31, stream: 0)
    for trial in 0..<300 {
      let n = 1 + Int(rng.uniform() * (trial % 3 == 0 ? 40 : 5_000))
      let levels = 1 + Int(rng.uniform() * 50)
      let values = (0..<n).map { _ in trial % 2 == 0 ? (rng.uniform() * Double(levels)).rounded() : rng.normal() * 1e3 }
      let sorted = values.sorted()
      var ranks = (0..<Int(1 + rng.uniform() * 12)).map { _ in Int(rng.uniform() * Double(n)) }
      ranks += (1..<10).map { min(n - 1, $0 * n / 10) }
      var work = values
      #expect(OrderStatistics.select(&work, ranks: ranks) == ranks.map { sorted[$0] }, "trial \(trial), n \(n)")
      #expect(work.sorted() == sorted, "trial \(trial): values reordered, not changed")
    }
  }

  @Test("Deciles by selection equal the sorted columns' deciles, bit for bit, with and without −0, 1 and 3 threads")
  func deciles() {
    var rng = SeededGenerator(seed: 32, stream: 0)
    let n = 20_000
    let columns: [FeatureTable.Column] = [
      .numeric((0..<n).map { _ in rng.normal() }),
      .numeric((0..<n).map { i in i % 7 == 0 ? .nan : (rng.uniform() * 4).rounded() }),
      .numeric((0..<n).map { i in [0.0, -0.0, 1, 2][i % 4] }),
      .categorical((0..<n).map { i in i % 2 == 0 ? "a" : nil }),
      .numeric(Array(repeating: .nan, count: n)),
    ]
    let table = FeatureTable(ids: (0..<n).map { "c\($0)" }, columnNames: ["x", "gappy", "zeros", "level", "empty"], columns: columns)
    let reference = SortedColumns(table).deciles
    for threads in [1, 3] {
      let selected = ColumnDeciles(selecting: table, threads: threads)
      #expect(selected.edges.map { $0?.map(\.bitPattern) } == reference.edges.map { $0?.map(\.bitPattern) })
      #expect(selected.binCounts == reference.binCounts)
      #expect(selected.middles.map { $0.map { [$0.lower.bitPattern, $0.upper.bitPattern] } }
        == reference.middles.map { $0.map { [$0.lower.bitPattern, $0.upper.bitPattern] } })
      #expect(selected.describes(table))
      #expect(selected.describes(table, threads: threads))
    }
  }

  /// The columns `ranked` must get right: each asks for every kind of refinement (one coarse
  /// bucket holding nearly everything, values a few ulps apart, keys spanning the whole range).
  static func hardColumns(_ rng: inout SeededGenerator) -> [(String, [Double])] {
    let n = 30_000
    func column(_ make: (Int) -> Double) -> [Double] { (0..<n).map(make) }
    var columns: [(String, [Double])] = []
    columns.append(("normal", column { _ in rng.normal() }))
    columns.append(("ties", column { _ in (rng.uniform() * 7).rounded() }))
    columns.append(("constant", column { _ in 2.5 }))
    columns.append(("constant with missing", column { i in i % 3 == 0 ? .nan : -4 }))
    columns.append(("skewed", column { _ in exp(12 * rng.normal()) }))
    columns.append(("a few ulps apart", column { _ in 1000 + Double(Int(rng.uniform() * 40)) * 1000.0.ulp }))
    columns.append(("outliers around a cluster", column { i in
      let outlier: Double = i % 2 == 0 ? 1.7e308 : -1.7e308
      return i % 997 == 0 ? outlier : 1 + rng.uniform() * 1e-9
    }))
    let special: [Double] = [.infinity, -.infinity, .nan, Double.leastNonzeroMagnitude, -Double.leastNonzeroMagnitude, .leastNormalMagnitude]
    columns.append(("infinities, subnormals, missing", column { i in i % 7 < 6 ? special[i % 7] : rng.normal() }))
    columns.append(("negative NaN bits", column { i in i % 4 == 0 ? -Double.nan : -rng.uniform() }))
    columns.append(("signed zeros", column { i in [0.0, -0.0, 1, -1][i % 4] }))
    columns.append(("two values", column { i in i % 10 == 0 ? 3 : 1 }))
    for m in 1...9 { columns.append(("tiny \(m)", (0..<m).map { _ in (rng.uniform() * 3).rounded() - 1 })) }
    return columns
  }

  @Test("Each rank's value and count at or below it equal a sort's: random, tied, constant, tiny, skewed, ulps apart, infinite, missing")
  func ranked() {
    var rng = SeededGenerator(seed: 34, stream: 0)
    for (name, values) in Self.hardColumns(&rng) {
      let sorted = values.filter { !$0.isNaN }.sorted()
      var asked: [Int] = []
      let ranking = values.withUnsafeBufferPointer { v in
        OrderStatistics.ranked(v) { m in
          asked = m == 0 ? [] : [0, m - 1, m / 2, (m - 1) / 2, m / 2] + (0..<20).map { _ in Int(rng.uniform() * Double(m)) }
          return asked
        }
      }
      #expect(ranking.present == sorted.count, "\(name)")
      #expect(ranking.hasNegativeZero == OrderStatistics.hasNegativeZero(values), "\(name)")
      #expect(ranking.ranks.count == asked.count, "\(name)")
      for (r, found) in zip(asked, ranking.ranks) {
        // A zero may come back as either zero; every other value with its bits.
        #expect(found.value == sorted[r] && (sorted[r] == 0 || found.value.bitPattern == sorted[r].bitPattern), "\(name) rank \(r)")
        #expect(found.atOrBelow == sorted.filter { $0 <= sorted[r] }.count, "\(name) rank \(r)")
      }
      if !sorted.isEmpty && !ranking.hasNegativeZero {
        var work = sorted.shuffled(using: &rng)
        #expect(OrderStatistics.select(&work, ranks: [0, sorted.count - 1]).map(\.bitPattern) == [sorted[0], sorted[sorted.count - 1]].map(\.bitPattern))
      }
    }
  }

  @Test("The order keys sort as the doubles do, equal zeros alike, and give back the doubles")
  func keys() {
    let ordered: [Double] = [-.infinity, -1.7e308, -1, -.leastNormalMagnitude, -Double.leastNonzeroMagnitude, 0, Double.leastNonzeroMagnitude, .leastNormalMagnitude, 1, 1.7e308, .infinity]
    let keys = ordered.map(OrderStatistics.key)
    #expect(zip(keys, keys.dropFirst()).allSatisfy { $0 < $1 })
    #expect(OrderStatistics.key(-0.0) == OrderStatistics.key(0.0))
    #expect(keys.map(OrderStatistics.value).map(\.bitPattern) == ordered.map(\.bitPattern))
  }
}
