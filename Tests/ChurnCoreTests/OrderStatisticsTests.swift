import ChurnCore
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
      #expect(selected.describes(table))
    }
  }
}
