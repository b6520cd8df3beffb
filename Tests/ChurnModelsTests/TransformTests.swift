import ChurnCore
@testable import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// The one-pass transform (row blocks on every core) against the step-by-step one through the
/// raw matrix, which it replaced for speed: the same bits, the same errors.
@Suite("The one-pass transform equals the step-by-step transform")
struct TransformTests {
  /// 9,000 rows (several blocks and threads): a plain column, one with missing values, a
  /// fat-tailed one (log1p), a fat-tailed signed one (asinh), a constant one (dropped), a
  /// duplicate, and categoricals with a pooled `other`, a missing level and levels unseen later.
  func table(rows n: Int = 9_000, seed: UInt64 = 3) -> FeatureTable {
    var rng = SeededGenerator(seed: seed, stream: 1)
    var plain: [Double] = [], gappy: [Double] = [], tail: [Double] = [], signed: [Double] = [], constant: [Double] = []
    var plan: [String?] = [], region: [String?] = [], labels: [Double] = []
    for i in 0..<n {
      plain.append(rng.normal())
      gappy.append(i % 7 == 0 ? .nan : rng.normal(mean: 3, standardDeviation: 2))
      tail.append(exp(rng.normal(mean: 0, standardDeviation: 3)))
      signed.append((rng.uniform() < 0.5 ? -1 : 1) * exp(rng.normal(mean: 0, standardDeviation: 3)))
      constant.append(4)
      plan.append(["basic", "pro", "team", nil][Int(rng.uniform() * 4)])
      region.append(i % 400 == 0 ? "rare\(i % 3)" : ["north", "south", "east"][i % 3])
      labels.append(rng.uniform() < 0.3 ? 1 : 0)
    }
    return FeatureTable(ids: (0..<n).map { "c\($0)" },
                        columnNames: ["plain", "gappy", "tail", "signed", "constant", "twin", "plan", "region"],
                        columns: [.numeric(plain), .numeric(gappy), .numeric(tail), .numeric(signed), .numeric(constant), .numeric(plain),
                                  .categorical(plan), .categorical(region)],
                        labels: labels)
  }

  @Test("Standardized (logistic) and unstandardized (forest) preprocessors, on training and on new rows with unseen levels")
  func sameBits() throws {
    let training = table()
    var scoring = table(rows: 6_000, seed: 9)
    guard case .categorical(var plan) = scoring.columns[6] else { Issue.record("plan not categorical"); return }
    for i in stride(from: 0, to: plan.count, by: 11) { plan[i] = "enterprise" }
    scoring.columns[6] = .categorical(plan)
    for preprocessor in [Preprocessor(), Preprocessor(standardize: false, fatTailTransform: true, dropReferenceLevel: false)] {
      let fitted = try preprocessor.fit(training)
      #expect(fitted.outputNames.count >= 10, "\(fitted.outputNames)")
      for t in [training, scoring, training.rows([5])] {
        let fast = try fitted.transform(t)
        let reference = try fitted.checkedTransform(t)
        #expect(fast.rows == reference.rows && fast.columns == reference.columns)
        #expect(fast.storage.map(\.bitPattern) == reference.storage.map(\.bitPattern))
      }
    }
  }

  @Test("An infinite value (also in a column dropped as constant) and an extreme one give the step-by-step transform's error")
  func sameErrors() throws {
    let training = table()
    let fitted = try Preprocessor().fit(training)
    #expect(!fitted.outputNames.contains("constant"))
    for (column, row, value) in [(0, 8_500, Double.infinity), (4, 20, -Double.infinity), (0, 3, -1e300), (1, 4_000, 1e300)] {
      var bad = training
      guard case .numeric(var v) = bad.columns[column] else { Issue.record("not numeric"); return }
      v[row] = value
      bad.columns[column] = .numeric(v)
      var expected: PreprocessingError?
      do { _ = try fitted.checkedTransform(bad) } catch let error as PreprocessingError { expected = error }
      let error = try #require(expected, "column \(column) row \(row): no error from the reference")
      #expect(throws: error) { try fitted.transform(bad) }
    }
  }

  @Test("transform(consuming:) writes the same values column-major, for both preprocessors, on training and new rows")
  func consumingSameBits() throws {
    let training = table()
    var scoring = table(rows: 6_000, seed: 9)
    guard case .categorical(var plan) = scoring.columns[6] else { Issue.record("plan not categorical"); return }
    for i in stride(from: 0, to: plan.count, by: 11) { plan[i] = "enterprise" }
    scoring.columns[6] = .categorical(plan)
    for preprocessor in [Preprocessor(), Preprocessor(standardize: false, fatTailTransform: true, dropReferenceLevel: false)] {
      let fitted = try preprocessor.fit(training)
      for t in [training, scoring, training.rows([5]), training.rows([])] {
        let reference = try fitted.transform(t)
        let owned = try fitted.transform(consuming: t)
        #expect(owned.layout == .columnMajor)
        #expect(owned.rows == reference.rows && owned.columns == reference.columns)
        #expect(owned.rowMajor.storage.map(\.bitPattern) == reference.storage.map(\.bitPattern))
      }
    }
  }

  @Test("transform(consuming:) throws transform's error for an infinite or extreme value, and takes values near the limit")
  func consumingSameErrors() throws {
    let training = table()
    let fitted = try Preprocessor().fit(training)
    let k = try #require(fitted.outputNames.firstIndex(of: "plain"))
    // 0.75 of the limit: past the quick check's half, within the transform's limit.
    let nearLimit = fitted.means[k] + 0.75e12 * fitted.deviations[k]
    for (column, row, value) in [(0, 8_500, Double.infinity), (4, 20, -Double.infinity), (0, 3, -1e300), (1, 4_000, 1e300), (0, 7, nearLimit)] {
      var bad = training
      guard case .numeric(var v) = bad.columns[column] else { Issue.record("not numeric"); return }
      v[row] = value
      bad.columns[column] = .numeric(v)
      var expected: Error?
      var reference: Matrix?
      do { reference = try fitted.transform(bad) } catch { expected = error }
      if let error = expected as? PreprocessingError {
        #expect(throws: error) { try fitted.transform(consuming: bad) }
      } else {
        let owned = try fitted.transform(consuming: bad)
        #expect(owned.layout == .columnMajor)
        #expect(owned.rowMajor.storage.map(\.bitPattern) == reference?.storage.map(\.bitPattern), "column \(column) row \(row)")
      }
    }
  }

  @Test("The quick check's extremes: least and largest non-NaN value and whether one is NaN, in every lane and the tail")
  func extremes() {
    #expect(FittedPreprocessor.extremes([]) == (.infinity, -.infinity, false))
    #expect(FittedPreprocessor.extremes([.nan, .nan]) == (.infinity, -.infinity, true))
    for count in [1, 7, 8, 9, 16, 21] {
      for position in 0..<count {
        var v = (0..<count).map { Double($0 % 5) }
        v[position] = -3
        #expect(FittedPreprocessor.extremes(v) == (v.min()!, v.max()!, false), "\(count) at \(position)")
        v[position] = .nan
        #expect(FittedPreprocessor.extremes(v).missing, "NaN at \(position) of \(count)")
        v[position] = .infinity
        #expect(FittedPreprocessor.extremes(v).largest == .infinity, "∞ at \(position) of \(count)")
      }
    }
  }
}
