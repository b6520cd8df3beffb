import ChurnCore
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

@Suite("Preprocessing keeps every number finite")
struct PreprocessorTests {
  @Test("A column of values near ±1e308 has a finite mean and deviation, is not called constant, and trains")
  func hugeColumn() throws {
    var table = plantedTable()
    let huge: [Double] = (0..<table.rowCount).map { [1e308, -1e308, 0, 5e307, 1.7e308][$0 % 5] }
    table.append("huge", .numeric(huge))
    let fitted = try Preprocessor().fit(table)
    let k = try #require(fitted.outputNames.firstIndex(of: "huge"), "\(fitted.notes)")
    #expect(fitted.means[k].isFinite && fitted.deviations[k].isFinite && fitted.deviations[k] > 1e307)
    let x = try fitted.transform(table)
    #expect(x.storage.allSatisfy { $0.isFinite })
    for family in [ModelFamily.logistic, .forest] {
      let file = try modelFile(family, table: table)
      let p = try file.probabilities(table)
      #expect(p.allSatisfy { (0...1).contains($0) })
    }
  }

  @Test("A fat-tailed column non-negative in training (log1p) takes negative values at scoring: finite, monotone, no error (a percent change of −1)")
  func log1pBelowZero() throws {
    var table = plantedTable()
    // Skewness far above 4 and a minimum of 0: the log1p transform.
    let skewed: [Double] = (0..<table.rowCount).map { $0 % 50 == 0 ? 400 : Double($0 % 3) }
    table.append("pct_change", .numeric(skewed))
    let fitted = try Preprocessor().fit(table)
    #expect(fitted.steps.contains { step in
      if case .numeric("pct_change", .log1p, _) = step { return true }
      return false
    })
    let k = try #require(fitted.outputNames.firstIndex(of: "pct_change"))
    var scoring = table.rows([0, 1, 2, 3, 4])
    scoring.columns[try #require(scoring.columnIndex("pct_change"))] = .numeric([-1, -0.5, 0, 2, -3])
    let x = try fitted.transform(scoring)
    let z = (0..<5).map { x[$0, k] }
    #expect(z.allSatisfy { $0.isFinite })
    // sign(x) · log1p(|x|), standardized: the same as log1p for x ≥ 0, mirrored below.
    for (i, v) in [-1, -0.5, 0, 2, -3].enumerated() {
      let expected = ((v < 0 ? -log1p(-v) : log1p(v)) - fitted.means[k]) / fitted.deviations[k]
      #expect(abs(z[i] - expected) <= 1e-12 * max(1, abs(expected)))
    }
    #expect(z[4] < z[0] && z[0] < z[1] && z[1] < z[2] && z[2] < z[3])
  }

  @Test("A value beyond 1e12 standard deviations is an error naming the column, the customer and the row")
  func extremeValue() throws {
    let table = plantedTable()
    let fitted = try Preprocessor().fit(table)
    var scoring = table.rows([0, 1, 2])
    guard case .numeric(var v) = scoring.columns[0] else { Issue.record("x0 not numeric"); return }
    v[2] = 1e300
    scoring.columns[0] = .numeric(v)
    let k = fitted.outputNames.firstIndex(of: "x0")!
    let z = (1e300 - fitted.means[k]) / fitted.deviations[k]
    #expect(throws: PreprocessingError.extremeValue(column: "x0", row: 2, id: "c2", value: 1e300, deviations: z, mean: fitted.means[k])) {
      try fitted.transform(scoring)
    }
    #expect(PreprocessingError.extremeValue(column: "x0", row: 2, id: "c2", value: 1e300, deviations: 9.87e299, mean: 0.0123).description
      == "x0 is 1e+300 for c2 (row 3), 9.87e+299 standard deviations from the training mean 0.0123; expected at most 1e+12 standard deviations: "
      + "check this value in the input (a unit or decimal-point slip?)")
    // Just inside the limit scores, with finite explanations that add up.
    v[2] = fitted.means[k] + 0.99e12 * fitted.deviations[k]
    scoring.columns[0] = .numeric(v)
    let inside = try fitted.transform(scoring)
    #expect(inside.storage.allSatisfy { $0.isFinite })
  }

  @Test("Values up to the limit in every column give probabilities in [0, 1] and finite, additive explanations, for both model families",
        arguments: [ModelFamily.logistic, .forest])
  func extremeButAccepted(family: ModelFamily) throws {
    let table = plantedTable()
    let file = try modelFile(family, table: table)
    for seed: UInt64 in 1...20 {
      var rng = SeededGenerator(seed: seed)
      var scoring = table.rows(Array(0..<20))
      for j in 0..<3 {
        let k = file.preprocessor.outputNames.firstIndex(of: "x\(j)")!
        let values = (0..<20).map { _ in
          file.preprocessor.means[k] + (rng.uniform() * 2 - 1) * pow(10, 12 * rng.uniform()) * 0.99 * file.preprocessor.deviations[k]
        }
        scoring.columns[j] = .numeric(values)
      }
      let p = try file.probabilities(scoring)
      #expect(p.allSatisfy { (0...1).contains($0) }, "seed \(seed)")
      let x = try file.preprocessor.transform(scoring)
      for row in 0..<20 {
        let e = file.explain(x, row: row)
        #expect(e.base.isFinite && e.contributions.allSatisfy { $0.isFinite }, "seed \(seed) row \(row)")
        #expect(abs(e.base + e.contributions.reduce(0, +) - p[row]) < 1e-9, "seed \(seed) row \(row)")
      }
    }
  }
}
