import ChurnCore
@testable import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

@Suite("The one-pass transform equals the step-by-step one on mixed tables, bit for bit, with the same errors")
struct DesignMatrixTests {
  /// A table with every kind of step: plain, skewed (log1p / asinh), missing values, a constant
  /// column, a duplicate and a mirror image, categoricals with rare (pooled) and missing levels.
  func mixedTable(rows n: Int, seed: UInt64) -> FeatureTable {
    var rng = SeededGenerator(seed: seed)
    let plain = (0..<n).map { _ in rng.normal() }
    let skewed = (0..<n).map { _ in exp(3 * rng.normal()) }
    let signedSkew = (0..<n).map { _ in (rng.uniform() < 0.5 ? -1 : 1) * exp(3 * rng.normal()) }
    let holes = (0..<n).map { _ in rng.uniform() < 0.2 ? Double.nan : rng.normal(mean: 5, standardDeviation: 2) }
    let levels = ["a", "b", "c", "d"]
    let plan: [String?] = (0..<n).map { _ in
      let u = rng.uniform()
      return u < 0.05 ? nil : u < 0.08 ? "rare\(Int(rng.uniform() * 5))" : levels[Int(rng.uniform() * 4)]
    }
    let binary: [String?] = (0..<n).map { _ in rng.uniform() < 0.3 ? "yes" : "no" }
    return FeatureTable(ids: (0..<n).map { "c\($0)" },
                        columnNames: ["plain", "skewed", "signed", "holes", "constant", "copy", "mirror", "plan", "binary"],
                        columns: [.numeric(plain), .numeric(skewed), .numeric(signedSkew), .numeric(holes), .numeric(Array(repeating: 7, count: n)),
                                  .numeric(plain), .numeric(plain.map { -$0 }), .categorical(plan), .categorical(binary)],
                        labels: (0..<n).map { _ in rng.uniform() < 0.3 ? 1 : 0 })
  }

  @Test("Means and deviations learned a column at a time equal those of the raw matrix, bit for bit; constant, copied and mirrored columns dropped")
  func columnAtATime() throws {
    for seed in 1...5 as ClosedRange<UInt64> {
      let table = mixedTable(rows: 3_000, seed: seed)
      let fitted = try Preprocessor().fit(table)
      let moments = Preprocessor.meansAndDeviations(of: try fitted.rawMatrix(table, checkColumns: false))
      for (k, j) in fitted.kept.enumerated() {
        #expect(fitted.means[k].bitPattern == moments[j].mean.bitPattern && fitted.deviations[k].bitPattern == moments[j].deviation.bitPattern,
                "seed \(seed), \(fitted.outputNames[k])")
      }
      #expect(!fitted.outputNames.contains("constant") && !fitted.outputNames.contains("copy") && !fitted.outputNames.contains("mirror"))
      #expect(fitted.notes.contains("copy dropped: identical to plain") && fitted.notes.contains("mirror dropped: the mirror image of plain"),
              "\(fitted.notes)")
    }
  }

  @Test("Equal to transform on training rows and on new rows with unseen levels, standardized or not, 20 seeds")
  func equalsTransform() throws {
    for seed: UInt64 in 1...20 {
      let table = mixedTable(rows: 500 + Int(seed) * 37, seed: seed)
      for preprocessor in [Preprocessor(), Preprocessor(standardize: false, fatTailTransform: false, minimumLevelCount: 1, dropReferenceLevel: false)] {
        let fitted = try preprocessor.fit(table)
        let direct = try fitted.transform(table)
        let reference = try fitted.checkedTransform(table)
        #expect(direct.rows == reference.rows && direct.columns == reference.columns, "seed \(seed)")
        #expect(direct.storage.map(\.bitPattern) == reference.storage.map(\.bitPattern), "seed \(seed)")
        // New rows: levels training never saw, and missing values where training had none.
        var scoring = mixedTable(rows: 300, seed: seed + 100)
        scoring.columns[7] = .categorical((0..<300).map { $0 % 7 == 0 ? "new" : $0 % 11 == 0 ? nil : "b" })
        scoring.columns[0] = .numeric((0..<300).map { $0 % 13 == 0 ? .nan : Double($0) })
        #expect(try fitted.transform(scoring).storage.map(\.bitPattern) == fitted.checkedTransform(scoring).storage.map(\.bitPattern), "seed \(seed)")
      }
    }
  }

  @Test("The same errors as transform: a missing column, an infinite value, the first extreme value by row then column")
  func sameErrors() throws {
    let table = mixedTable(rows: 400, seed: 7)
    let fitted = try Preprocessor().fit(table)
    func expectSame(_ scoring: FeatureTable, _ expected: PreprocessingError) {
      #expect(throws: expected) { try fitted.checkedTransform(scoring) }
      #expect(throws: expected) { try fitted.transform(scoring) }
    }
    var scoring = table.rows(Array(0..<300))
    // Extreme values in two columns: the earlier row wins even in the later column; on one row, the earlier column.
    guard case .numeric(var plain) = scoring.columns[0], case .numeric(var holes) = scoring.columns[3] else { Issue.record("not numeric"); return }
    plain[250] = 1e300
    holes[240] = 1e300
    holes[250] = 1e300
    scoring.columns[0] = .numeric(plain)
    scoring.columns[3] = .numeric(holes)
    let k = fitted.outputNames.firstIndex(of: "holes")!
    expectSame(scoring, .extremeValue(column: "holes", row: 240, id: "c240", value: 1e300, deviations: (1e300 - fitted.means[k]) / fitted.deviations[k],
                                      mean: fitted.means[k]))
    holes[240] = 1
    scoring.columns[3] = .numeric(holes)
    let j = fitted.outputNames.firstIndex(of: "plain")!
    expectSame(scoring, .extremeValue(column: "plain", row: 250, id: "c250", value: 1e300, deviations: (1e300 - fitted.means[j]) / fitted.deviations[j],
                                      mean: fitted.means[j]))
    // An infinite value anywhere comes before any extreme one (the raw columns are checked first).
    holes[290] = -.infinity
    scoring.columns[3] = .numeric(holes)
    expectSame(scoring, .infiniteValue(column: "holes", row: 290, id: "c290"))
    expectSame(scoring.removing(columns: ["signed"]), .missingColumns(source: nil, expected: 9, missing: ["signed"]))
  }
}
