import ChurnCore
@testable import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// Each numeric training column is sorted once (`SortedColumns`) and the preprocessor's
/// medians, the forest's bins and the drift references' deciles come from that one sort: the
/// same bits as each sorting its own copy, as before.
@Suite("One sort per column, shared")
struct SortedColumnsTests {
  /// Columns that test the order's edge cases: missing values (imputed medians inserted in the
  /// sorted order), an even count of present values (the median is a mean), a fat tail (log1p)
  /// and one of both signs (asinh), ties, −0 beside +0, a 0/1 column, a constant column and a
  /// categorical one.
  static func table(rows n: Int, seed: UInt64) -> FeatureTable {
    var rng = SeededGenerator(seed: seed)
    let labels = (0..<n).map { _ in rng.uniform() < 0.3 ? 1.0 : 0.0 }
    func column(_ make: (Int) -> Double) -> FeatureTable.Column { .numeric((0..<n).map(make)) }
    let columns: [(String, FeatureTable.Column)] = [
      ("normal", column { _ in rng.normal() }),
      ("missing", column { i in i % 7 == 2 ? .nan : (rng.normal() * 3).rounded() / 2 }),
      ("evenMissing", column { i in i == 0 ? .nan : rng.normal() }),
      ("skewed", column { i in i % 11 == 4 ? .nan : 1 / pow(rng.uniform() + 1e-9, 2) }),
      ("skewedSigned", column { _ in 1 / pow(rng.uniform() + 1e-9, 2) - 2 }),
      ("signedZeros", column { i in i % 5 == 0 ? -0.0 : (i % 5 == 1 ? 0.0 : rng.normal()) }),
      ("binary", column { _ in rng.uniform() < 0.2 ? 1 : 0 }),
      ("constant", column { _ in 4 }),
      ("plan", .categorical((0..<n).map { i in i % 13 == 0 ? nil : ["a", "b", "c"][Int(rng.uniform() * 3)] })),
    ]
    return FeatureTable(ids: (0..<n).map { "c\($0)" }, columnNames: columns.map(\.0), columns: columns.map(\.1), labels: labels)
  }

  static func json<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return try encoder.encode(value)
  }

  @Test("The median by selection is the sorted median, bit for bit: odd and even counts, ties, −0, sums that overflow")
  func medianBySelection() {
    var rng = SeededGenerator(seed: 33, stream: 0)
    var cases: [[Double]] = [[1.7e308, 1.6e308], [-0.0, 0.0, 0.0, -0.0], [2], [3, 1], [-1.7e308, -1.7e308, 5]]
    for trial in 0..<200 {
      let n = 1 + Int(rng.uniform() * 400)
      cases.append((0..<n).map { _ in trial % 2 == 0 ? (rng.uniform() * 6).rounded() : rng.normal() })
    }
    for x in cases { #expect(Preprocessor.median(selecting: x).bitPattern == Preprocessor.median(x).bitPattern, "\(x.prefix(6))") }
  }

  @Test("SortedColumns holds exactly each numeric column's non-missing values sorted, with 1 or 2 threads", arguments: [1, 2])
  func sorted(threads: Int) {
    let table = Self.table(rows: 500, seed: 3)
    let sorted = SortedColumns(table, threads: threads)
    #expect(sorted.describes(table))
    for (c, column) in table.columns.enumerated() {
      if case .numeric(let v) = column {
        #expect(sorted.values[c]?.map(\.bitPattern) == v.filter { !$0.isNaN }.sorted().map(\.bitPattern), "\(table.columnNames[c])")
      } else {
        #expect(sorted.values[c] == nil)
      }
    }
  }

  @Test("The preprocessor fitted with the sorted columns is the one fitted without, byte for byte (logistic and forest steps)",
        arguments: [Preprocessor(), Preprocessor(standardize: false, fatTailTransform: false)])
  func preprocessor(_ preprocessor: Preprocessor) throws {
    for (rows, seed) in [(500, UInt64(3)), (501, 4), (64, 5)] {
      let table = Self.table(rows: rows, seed: seed)
      let fast = try preprocessor.fit(table, sorted: SortedColumns(table, threads: 2))
      let slow = try preprocessor.fit(table)
      #expect(try Self.json(fast) == Self.json(slow), "\(rows) rows")
      if preprocessor.fatTailTransform {
        #expect(fast.steps.contains { if case .numeric("skewed", .log1p, _) = $0 { true } else { false } })
        #expect(fast.steps.contains { if case .numeric("skewedSigned", .asinh, _) = $0 { true } else { false } })
      }
    }
  }

  @Test("The preprocessor fitted with one selection's middle values, over 1 to 3 threads, is the one fitted serially, byte for byte",
        arguments: [Preprocessor(), Preprocessor(standardize: false, fatTailTransform: false)])
  func preprocessorFromSelection(_ preprocessor: Preprocessor) throws {
    for (rows, seed) in [(500, UInt64(3)), (501, 4), (64, 5)] {
      let table = Self.table(rows: rows, seed: seed)
      let fitted = try preprocessor.fit(table)
      let slow = try Self.json(fitted)
      if preprocessor.standardize {
        // Each kept column's mean and deviation are the ones of its raw design column, summed alone.
        let raw = try fitted.rawMatrix(table, checkColumns: true)
        for (k, j) in fitted.kept.enumerated() {
          let one = Preprocessor.meanAndDeviation(column: j, of: raw)
          #expect(fitted.means[k].bitPattern == one.mean.bitPattern && fitted.deviations[k].bitPattern == one.deviation.bitPattern,
                  "\(fitted.outputNames[k])")
        }
      }
      for threads in [1, 2, 3] {
        let deciles = ColumnDeciles(selecting: table, threads: threads)
        #expect(try Self.json(preprocessor.fit(table, deciles: deciles, threads: threads)) == slow, "\(rows) rows, \(threads) threads")
        #expect(try Self.json(preprocessor.fit(table, threads: threads)) == slow, "\(rows) rows, \(threads) threads")
      }
      // Another table's middle values are not used, nor those of a column that changed.
      let other = ColumnDeciles(selecting: Self.table(rows: rows, seed: seed + 100))
      #expect(try Self.json(preprocessor.fit(table, deciles: other, threads: 2)) == slow)
      var changed = table
      changed.columns[0] = .numeric((0..<rows).map { Double($0) })
      let stale = ColumnDeciles(selecting: table)
      #expect(stale.middle(ofColumn: 0, in: changed) == nil && stale.middle(ofColumn: 1, in: changed) != nil)
      #expect(try Self.json(preprocessor.fit(changed, deciles: stale, threads: 2)) == Self.json(preprocessor.fit(changed)))
    }
  }

  @Test("Over several threads, the error is still the first infinite value's in column order")
  func firstErrorInColumnOrder() {
    let n = 40
    func value(_ c: Int, _ i: Int) -> Double {
      let infinite = (c == 2 && i == 30) || (c == 4 && i == 3)
      return infinite ? Double.infinity : Double(i % (c + 2))
    }
    let columns: [FeatureTable.Column] = (0..<6).map { c in FeatureTable.Column.numeric((0..<n).map { i in value(c, i) }) }
    let table = FeatureTable(ids: (0..<n).map { "c\($0)" }, columnNames: (0..<6).map { "x\($0)" }, columns: columns)
    for threads in [1, 2, 3] {
      #expect(throws: PreprocessingError.infiniteValue(column: "x2", row: 30, id: "c30")) {
        try Preprocessor().fit(table, deciles: ColumnDeciles(selecting: table, threads: threads), threads: threads)
      }
    }
  }

  @Test("Each prepared numeric column in order from the sorted columns is that column sorted, bit for bit",
        arguments: [Preprocessor(), Preprocessor(standardize: false, fatTailTransform: false)])
  func columnOrder(_ preprocessor: Preprocessor) throws {
    let table = Self.table(rows: 500, seed: 6)
    let sorted = SortedColumns(table)
    let fitted = try preprocessor.fit(table, sorted: sorted)
    let x = try fitted.transform(table)
    let order = try #require(fitted.columnOrder(table, sorted: sorted))
    var built: [String] = []
    for k in 0..<x.columns {
      let expected = (0..<x.rows).map { x[$0, k] }.sorted()
      if let column = order.column(k) {
        #expect(column.map(\.bitPattern) == expected.map(\.bitPattern), "\(fitted.outputNames[k])")
        built.append(fitted.outputNames[k])
      }
    }
    // Numeric columns (not one-hot or indicator columns); unstandardized, not those holding −0
    // (left to the sort: −0 and +0 are equal with different bits).
    #expect(built == (preprocessor.standardize ? ["normal", "missing", "evenMissing", "skewed", "skewedSigned", "signedZeros", "binary"]
                                               : ["normal", "evenMissing", "skewed", "skewedSigned", "binary"]))
  }

  @Test("Forest bins from the column order (and two-valued columns counted) are the bins of sorting, with 1 or 2 threads", arguments: [1, 2])
  func bins(threads: Int) throws {
    let table = Self.table(rows: 700, seed: 8)
    let sorted = SortedColumns(table)
    let fitted = try ForestSpec().preprocessor.fit(table, sorted: sorted)
    let x = try fitted.transform(table)
    let order = try #require(fitted.columnOrder(table, sorted: sorted))
    let cuts = order.binCuts(threads: threads)
    #expect(cuts.compactMap { $0 }.count == 5, "the numeric columns but the one holding −0")
    let fast = FeatureBins(x, knownCuts: cuts, threads: threads)
    let slow = FeatureBins(x)
    #expect(fast.codes == slow.codes)
    #expect(fast.thresholds.map { $0.map(\.bitPattern) } == slow.thresholds.map { $0.map(\.bitPattern) })
    // Sorting every column, the old way, gives the same too.
    for j in 0..<x.columns {
      let column = (0..<x.rows).map { x[$0, j] }
      if let counted = FeatureBins.twoValued(column) { #expect(counted.map(\.bitPattern) == column.sorted().map(\.bitPattern)) }
    }
    #expect(FeatureBins.twoValued([0.0, -0.0, 0.0]) == nil)
    #expect(FeatureBins.twoValued([1, .nan]) == nil)
    #expect(FeatureBins.twoValued([1, 2, 3]) == nil)
    #expect(FeatureBins.twoValued([2, 1, 2])! == [1, 2, 2])
  }

  @Test("Drift references from the sorted columns (1 or 2 threads) are the ones that sort, byte for byte")
  func drift() throws {
    let table = Self.table(rows: 500, seed: 9)
    #expect(try Self.json(ModelFile.driftReferences(table, deciles: SortedColumns(table, threads: 2).deciles)) == Self.json(ModelFile.driftReferences(table)))
    #expect(try Self.json(ModelFile.driftReferences(table, deciles: SortedColumns(table).deciles, threads: 2)) == Self.json(ModelFile.driftReferences(table)))
    // The sorted columns of another table of the same shape are not used.
    let other = Self.table(rows: 500, seed: 10)
    #expect(!SortedColumns(other).describes(table) && !SortedColumns(other).deciles.describes(table))
    #expect(try Self.json(ModelFile.driftReferences(table, deciles: SortedColumns(other).deciles)) == Self.json(ModelFile.driftReferences(table)))
  }

  @Test("Means and deviations of all columns in one pass over the rows are each column's, bit for bit (overflowing columns too)")
  func moments() {
    var rng = SeededGenerator(seed: 12)
    let n = 301, w = 5
    var m = Matrix(rows: n, columns: w)
    for i in 0..<n {
      m[i, 0] = rng.normal()
      m[i, 1] = exp(4 * rng.normal())
      m[i, 2] = (i % 2 == 0 ? 1 : -1) * 1.5e308 * rng.uniform()
      m[i, 3] = 7
      m[i, 4] = rng.uniform() < 0.3 ? 1 : 0
    }
    let all = Preprocessor.meansAndDeviations(of: m)
    for j in 0..<w {
      let one = Preprocessor.meanAndDeviation(column: j, of: m)
      #expect(all[j].mean.bitPattern == one.mean.bitPattern && all[j].deviation.bitPattern == one.deviation.bitPattern, "column \(j)")
    }
    #expect(all[2].deviation.isFinite)
  }

  @Test("Four columns measured side by side have each column's mean and deviation, bit for bit (overflowing, constant, missing read as given)")
  func fourAtOnce() {
    var rng = SeededGenerator(seed: 13)
    let n = 303
    let columns: [[Double]] = [
      (0..<n).map { i in i % 10 == 0 ? .nan : exp(4 * rng.normal()) },
      (0..<n).map { i in i % 10 == 1 ? .nan : (i % 2 == 0 ? 1 : -1) * 1.5e308 * rng.uniform() },
      Array(repeating: 7, count: n),
      (0..<n).map { _ in rng.uniform() < 0.3 ? 1 : 0 },
    ]
    let projection = (0..<n).map { _ in rng.normal() }
    for standardize in [true, false] {
      // Missing values read as the given values (a median).
      let fills = SIMD4<Double>(2.5, -1e300, 0, 0)
      let found = Preprocessor.measure(columns, missingAs: fills, rows: n, projection: projection, standardize: standardize)
      for (g, column) in columns.map({ $0 }).enumerated() {
        let column = column.map { $0.isNaN ? fills[g] : $0 }
        let one = Preprocessor.meanAndDeviation(column: 0, of: Matrix(rows: n, columns: 1, storage: column))
        #expect(found[g].mean.bitPattern == one.mean.bitPattern && found[g].deviation.bitPattern == one.deviation.bitPattern, "column \(g)")
        let (m, d) = standardize ? (one.mean, one.deviation) : (0, 1)
        var sum = 0.0
        for i in 0..<n { sum += projection[i] * (column[i] - m) / d }
        #expect(found[g].projected.bitPattern == (g == 2 ? 0 : sum).bitPattern, "column \(g)")
      }
    }
  }

  @Test("Skewness skipping the missing values is the skewness of the present ones, bit for bit: −0, overflow, all present")
  func skewnessInPlace() {
    var rng = SeededGenerator(seed: 14)
    let cases: [[Double]] = [
      (0..<200).map { i in i % 5 == 0 ? .nan : exp(3 * rng.normal()) },
      (0..<200).map { i in [-0.0, .nan, rng.normal(), 0][i % 4] },
      (0..<200).map { i in i % 3 == 0 ? .nan : (i % 2 == 0 ? 1 : -1) * 1.5e308 * rng.uniform() },
      (0..<200).map { _ in rng.normal() },
    ]
    for x in cases {
      let present = x.filter { !$0.isNaN }
      let sum = x.reduce(0.0) { $0 + ($1.isNaN ? 0 : $1) }
      let found = Preprocessor.skewness(present: x, count: present.count, sum: sum)
      #expect(found.skewness.bitPattern == Preprocessor.skewness(present).bitPattern)
      if present.count == x.count, let sum = Optional(x.reduce(0, +)), (sum / Double(x.count)).isFinite {
        // Nothing missing: the squares are the ones the means and deviations sum.
        let moments = Preprocessor.measure([x, x, x, x], moments: Array(repeating: (sum, found.squares), count: 4), rows: x.count,
                                           projection: x.map { _ in 1 }, standardize: true)
        let summed = Preprocessor.measure([x, x, x, x], rows: x.count, projection: x.map { _ in 1 }, standardize: true)
        #expect(moments.map { [$0.mean.bitPattern, $0.deviation.bitPattern, $0.projected.bitPattern] }
          == summed.map { [$0.mean.bitPattern, $0.deviation.bitPattern, $0.projected.bitPattern] })
      }
    }
  }
}
