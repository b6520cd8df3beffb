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
