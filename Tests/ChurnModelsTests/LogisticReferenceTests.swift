import ChurnCore
import ChurnModels
import ChurnScoring
import ChurnTestSupport
import Foundation
import Testing

/// Reference values from scikit-learn 1.9 and statsmodels 0.15, produced by
/// scripts/make-fixtures-logistic (see the provenance inside each JSON file).
struct LogisticFixture: Decodable {
  struct Fit: Decodable {
    var note: String
    var intercept: Double
    var coefficients: [Double]
    var probabilities: [Double]
  }
  struct StatsModels: Decodable {
    var params: [Double]
    var bse: [Double]
    var pvalues: [Double]
  }
  struct Holdout: Decodable {
    var auc: Double
    var rows: Int
  }
  var features: [String]
  var fits: [String: Fit]
  var statsmodels: StatsModels
  var holdout: Holdout?

  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static func load(_ name: String) throws -> LogisticFixture {
    try JSONDecoder().decode(LogisticFixture.self, from: Data(contentsOf: directory.appendingPathComponent("logistic-\(name).json")))
  }
}

/// A CSV table with a label column: the design matrix through churn's preprocessing (no fat-tail transform).
func designFromCSV(_ path: String, id: String, label: String, positive: String? = nil, keep: ((String) -> Bool)? = nil)
  throws -> (x: Matrix, y: [Double], names: [String], fitted: FittedPreprocessor, table: FeatureTable) {
  let csv = try TypedCSV(path: path, idColumn: id)
  var table = FeatureTable(ids: csv.ids, columnNames: csv.names, columns: csv.columns)
  let labelIndex = try #require(table.columnIndex(label))
  let labels: [Double]
  switch table.columns[labelIndex] {
  case .numeric(let v): labels = v
  case .categorical(let v): labels = v.map { $0 == positive ? 1 : 0 }
  }
  table.labels = labels
  table = table.removing(columns: [label])
  if let keep { table = table.rows(table.ids.indices.filter { keep(table.ids[$0]) }) }
  let fitted = try Preprocessor(fatTailTransform: false).fit(table)
  return (try fitted.transform(table), table.labels!, fitted.outputNames, fitted, table)
}

@Suite("Logistic regression against scikit-learn and statsmodels")
struct LogisticReferenceTests {
  static let numericPath = LogisticFixture.directory.appendingPathComponent("logistic-numeric.csv").path

  func check(_ model: LogisticModel, _ x: Matrix, _ fit: LogisticFixture.Fit, probability: Double, coefficient: Double) {
    let p = model.probabilities(x)
    let worst = zip(p, fit.probabilities).map { abs($0 - $1) }.max()!
    #expect(worst < probability, "\(fit.note): probabilities differ by \(worst)")
    let c = maxRelativeDifference(model.coefficients + [model.intercept], fit.coefficients + [fit.intercept])
    #expect(c < coefficient, "\(fit.note): coefficients differ by \(c) (relative)")
  }

  @Test("Numeric table: maximum likelihood, L2, balanced and L1 fits; statsmodels standard errors",
        arguments: [LogisticRegression.Solver.newton, .lbfgs])
  func numeric(solver: LogisticRegression.Solver) throws {
    let fixture = try LogisticFixture.load("numeric")
    let (x, y, names, _, _) = try designFromCSV(Self.numericPath, id: "id", label: "churn")
    #expect(names == fixture.features)
    let ml = try LogisticRegression(l2Penalty: 0, solver: solver).fit(features: x, labels: y, featureNames: names)
    check(ml, x, fixture.fits["none"]!, probability: 1e-9, coefficient: 1e-7)
    let se = ml.standardErrors
    #expect(maxRelativeDifference(se, fixture.statsmodels.bse) < 1e-6, "standard errors \(se) vs \(fixture.statsmodels.bse)")
    let p = ml.coefficientTable.map(\.pValue)
    for (mine, theirs) in zip(p, fixture.statsmodels.pvalues.dropFirst()) { #expect(abs(mine - theirs) < 1e-9 + 1e-6 * theirs) }
    for c in [0.01, 1.0] {
      for balanced in [false, true] {
        let model = try LogisticRegression(l2Penalty: 1 / c, classWeight: balanced ? .balanced : .none, solver: solver)
          .fit(features: x, labels: y, featureNames: names)
        check(model, x, fixture.fits["l2_C\(c)" + (balanced ? "_balanced" : "")]!, probability: 1e-9, coefficient: 1e-7)
      }
    }
  }

  @Test("Numeric table: L1 has scikit-learn's zero pattern and coefficients")
  func lasso() throws {
    let fixture = try LogisticFixture.load("numeric")
    let (x, y, names, _, _) = try designFromCSV(Self.numericPath, id: "id", label: "churn")
    let model = try LogisticRegression(l2Penalty: 0, l1Penalty: 100).fit(features: x, labels: y, featureNames: names)
    let reference = fixture.fits["l1_C0.01"]!
    #expect(model.coefficients.map { $0 == 0 } == reference.coefficients.map { abs($0) < 1e-8 })
    #expect(maxRelativeDifference(model.coefficients + [model.intercept], reference.coefficients + [reference.intercept]) < 1e-4)
  }

  @Test("Telco training split: same design columns; ML and L2 fits match; holdout AUC matches")
  func telco() throws {
    let fixture = try LogisticFixture.load("telco")
    let path = LogisticFixture.root.appendingPathComponent("datasets/telco/telco.csv").path
    let holdout = Set(try String(contentsOfFile: LogisticFixture.root.appendingPathComponent("datasets/telco/holdout_ids.txt").path,
                                 encoding: .utf8).split(separator: "\n").map(String.init))
    let (x, y, names, fitted, _) = try designFromCSV(path, id: "customerid", label: "churn", positive: "Yes") { !holdout.contains($0) }
    #expect(names == fixture.features)
    #expect(x.rows == 2817)
    // Maximum likelihood: the totalcharges_missing rows never churn (quasi-separation), so that
    // coefficient is not identified; probabilities are.
    let ml = try LogisticRegression(l2Penalty: 0).fit(features: x, labels: y, featureNames: names)
    let worst = zip(ml.probabilities(x), fixture.fits["none"]!.probabilities).map { abs($0 - $1) }.max()!
    #expect(worst < 1e-6, "ML probabilities differ by \(worst)")
    for c in [0.01, 1.0] {
      for balanced in [false, true] {
        let model = try LogisticRegression(l2Penalty: 1 / c, classWeight: balanced ? .balanced : .none)
          .fit(features: x, labels: y, featureNames: names)
        check(model, x, fixture.fits["l2_C\(c)" + (balanced ? "_balanced" : "")]!, probability: 1e-8, coefficient: 1e-6)
      }
    }
    // Holdout: the fitted preprocessing applied to unseen rows, then AUC.
    let all = try designFromCSV(path, id: "customerid", label: "churn", positive: "Yes")
    let test = all.table.rows(all.table.ids.indices.filter { holdout.contains(all.table.ids[$0]) })
    let model = try LogisticRegression(l2Penalty: 1).fit(features: x, labels: y, featureNames: names)
    let auc = try rocAUC(scores: model.probabilities(try fitted.transform(test)), labels: test.labels!)
    #expect(test.rowCount == fixture.holdout!.rows)
    #expect(abs(auc - fixture.holdout!.auc) < 1e-9, "holdout AUC \(auc) vs \(fixture.holdout!.auc)")
  }
}
