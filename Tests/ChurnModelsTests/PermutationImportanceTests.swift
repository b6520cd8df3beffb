import ChurnCore
@testable import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// Permutation importance shuffles the prepared matrix (or a forest's codes) instead of
/// preparing each shuffled table again: the same numbers, bit for bit, as the algorithm it
/// replaced, kept here as the reference.
@Suite("Permutation importance on the prepared rows")
struct PermutationImportanceTests {
  /// The algorithm before issue 16: shuffle column j of the table with the stream of (j, r)
  /// and score the model on the whole table again (`TrainedModel.probabilities` prepares it).
  static func reference(table: FeatureTable, model: TrainedModel, score: ([Double], [Double]) -> Double, repeats: Int, seed: UInt64,
                        rows: String) throws -> PermutationImportance {
    let labels = table.labels!
    let baseline = score(try model.probabilities(table), labels)
    var columns: [PermutationImportance.Column] = []
    for j in table.columnNames.indices {
      var drops: [Double] = []
      for r in 0..<repeats {
        var rng = SeededGenerator(seed: seed, stream: UInt64(j) << 16 | UInt64(r))
        var shuffled = table
        switch table.columns[j] {
        case .numeric(var v):
          v.shuffle(using: &rng)
          shuffled.columns[j] = .numeric(v)
        case .categorical(var v):
          v.shuffle(using: &rng)
          shuffled.columns[j] = .categorical(v)
        }
        drops.append(baseline - score(try model.probabilities(shuffled), labels))
      }
      let mean = drops.reduce(0, +) / Double(drops.count)
      let sd = drops.count > 1 ? (drops.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(drops.count - 1)).squareRoot() : 0
      columns.append(.init(column: table.columnNames[j], mean: mean, standardDeviation: sd))
    }
    return PermutationImportance(columns: columns.sorted { ($0.mean, $1.column) > ($1.mean, $0.column) }, baseline: baseline, metric: "AUC",
                                 repeats: repeats, rows: rows, seed: seed)
  }

  /// Numeric columns (one with missing values, one fat-tailed, one constant: dropped), a
  /// categorical column with a missing value and rare levels pooled into `other`, and one with
  /// 300 levels, so that a forest's coded rows span more than one block.
  static func table(rows n: Int) -> FeatureTable {
    let data = PlantedSignal(rows: n, weights: [1, -0.7, 0.3], seed: 41)
    var rng = SeededGenerator(seed: 42)
    var x2 = (0..<n).map { data.features[$0, 2] }
    for i in stride(from: 5, to: n, by: 37) { x2[i] = .nan }
    let skewed = (0..<n).map { i in exp(3 * data.features[i, 0] + rng.normal()) }
    let plans: [String?] = (0..<n).map { i in i % 101 == 3 ? nil : (i % 503 == 7 ? "rare\(i % 3)" : ["a", "b", "c"][Int(rng.uniform() * 3)]) }
    let regions: [String?] = (0..<n).map { i in "r\((i * 7 + Int(data.labels[i]) * 13) % 300)" }
    return FeatureTable(ids: (0..<n).map { "c\($0)" }, columnNames: ["x0", "x1", "x2", "skewed", "constant", "plan", "region"],
                        columns: [.numeric((0..<n).map { data.features[$0, 0] }), .numeric((0..<n).map { data.features[$0, 1] }),
                                  .numeric(x2), .numeric(skewed), .numeric(Array(repeating: 2.5, count: n)), .categorical(plans),
                                  .categorical(regions)],
                        labels: data.labels)
  }

  func bits(_ p: PermutationImportance) -> [[UInt64]] {
    [[p.baseline.bitPattern]] + p.columns.map { [$0.mean.bitPattern, $0.standardDeviation.bitPattern] }
  }

  @Test("The same bits as preparing each shuffled table again, with 1 and 2 threads",
        arguments: [(ModelFamily.logistic, ClassWeight.none), (.logistic, .balanced), (.forest, .none), (.forest, .balanced)])
  func sameAsReference(family: ModelFamily, classWeight: ClassWeight) throws {
    let table = Self.table(rows: 4_000)
    let model = try testSettings(family, l2: 1, trees: 5, classWeight: classWeight).fit(table)
    if family == .forest {
      // The coded rows must span several blocks for the test to cover them.
      let columns = model.x.columns
      #expect(4_000 > min(16384, max(512, (1 << 20) / columns)) & ~63, "\(columns) columns: one block of codes")
    }
    let score: @Sendable ([Double], [Double]) -> Double = { p, y in ThreadCountTests.auc(p, y) }
    let expected = try Self.reference(table: table, model: model, score: score, repeats: 2, seed: 9, rows: "training")
    for threads in [1, 2] {
      let found = try PermutationImportance.compute(model, on: table, metric: "AUC", score: score, repeats: 2, seed: 9, rows: "training",
                                                    threads: threads)
      #expect(found == expected, "\(family), \(classWeight), \(threads) threads")
      #expect(bits(found) == bits(expected), "\(family), \(classWeight), \(threads) threads: bits differ")
    }
    let constant = try #require(expected.columns.first { $0.column == "constant" })
    #expect(constant.mean == 0 && constant.standardDeviation == 0)
  }

  @Test("A forest that splits on few of its columns (unused columns have no codes): the same bits as the reference")
  func shallowForest() throws {
    let table = Self.table(rows: 600)
    let model = try testSettings(.forest, trees: 2, maxDepth: 2, classWeight: .none).fit(table)
    let score: @Sendable ([Double], [Double]) -> Double = { p, y in ThreadCountTests.auc(p, y) }
    let expected = try Self.reference(table: table, model: model, score: score, repeats: 3, seed: 2, rows: "training")
    for threads in [1, 2] {
      let found = try PermutationImportance.compute(model, on: table, metric: "AUC", score: score, repeats: 3, seed: 2, rows: "training",
                                                    threads: threads)
      #expect(bits(found) == bits(expected), "\(threads) threads")
    }
  }
}
