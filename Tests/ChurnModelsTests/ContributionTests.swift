import ChurnCore
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// Each contribution checked on its own, against numbers computed here from the model's
/// parameters (logistic) or worked out by hand (trees): a sum that adds up is not enough, since
/// rescaled or telescoping contributions add up even when they credit the wrong feature.
@Suite("Contributions, one by one")
struct ContributionTests {
  static let training = ModelFile.TrainingSummary(rows: 0, churned: 0, dataFingerprint: "", notes: [])

  @Test("Logistic: each output column's contribution is β·(x − mean)/sd · (σ(η) − σ(b))/(η − b), each column's the sum of its own")
  func logistic() throws {
    var rng = SeededGenerator(seed: 31)
    let n = 800
    let plans = ["basic", "pro", "team"]
    var tenure: [Double] = [], plan: [String?] = [], labels: [Double] = []
    for _ in 0..<n {
      let t = rng.bernoulli(0.1) ? Double.nan : rng.uniform() * 60
      let p = plans[rng.categorical([0.5, 0.3, 0.2])]
      let logit = -1 + (t.isNaN ? 0.7 : -0.04 * t + 1) + (p == "basic" ? 0.8 : (p == "pro" ? -0.3 : 0))
      tenure.append(t)
      plan.append(rng.bernoulli(0.05) ? nil : p)
      labels.append(rng.bernoulli(1 / (1 + exp(-logit))) ? 1 : 0)
    }
    let table = FeatureTable(ids: (0..<n).map { "c\($0)" }, columnNames: ["tenure", "plan"], columns: [.numeric(tenure), .categorical(plan)],
                             labels: labels)
    let trained = try testSettings(.logistic, l2: 0.5, fatTail: false).fit(table)
    let file = ModelFile(churnVersion: "test", idColumn: "id", labelColumn: "y", trained: trained, training: Self.training)
    let model = (file.model as! LogisticModel)
    #expect(model.featureNames == ["tenure", "tenure_missing", "plan=(missing)", "plan=pro", "plan=team"])

    // The design columns, computed here: tenure with missing values at the median of the
    // others, its indicator, one-hot levels ("basic", the most frequent, is the reference).
    let present = tenure.filter { !$0.isNaN }.sorted()
    let median = present.count % 2 == 1 ? present[present.count / 2] : (present[present.count / 2 - 1] + present[present.count / 2]) / 2
    let design: [[Double]] = [
      tenure.map { $0.isNaN ? median : $0 },
      tenure.map { $0.isNaN ? 1 : 0 },
      plan.map { $0 == nil ? 1 : 0 },
      plan.map { $0 == "pro" ? 1 : 0 },
      plan.map { $0 == "team" ? 1 : 0 },
    ]
    let centre = design.map { $0.reduce(0, +) / Double(n) }
    let spread = design.indices.map { j in (design[j].reduce(0) { $0 + ($1 - centre[j]) * ($1 - centre[j]) } / Double(n)).squareRoot() }
    let owner = ["tenure", "tenure", "plan", "plan", "plan"]
    let x = try file.preprocessor.transform(table)
    let p = try file.probabilities(table)
    for i in stride(from: 0, to: n, by: 13) {
      let terms = (0..<5).map { j in model.coefficients[j] * (design[j][i] - centre[j]) / spread[j] }
      let eta = terms.reduce(0, +)
      let b = model.intercept
      let scale = (1 / (1 + exp(-(b + eta))) - 1 / (1 + exp(-b))) / eta
      let expected = terms.map { $0 * scale }
      let (base, contributions) = file.explain(x, row: i)
      #expect(abs(base - 1 / (1 + exp(-b))) < 1e-12)
      for j in 0..<5 { #expect(abs(contributions[j] - expected[j]) < 1e-10, "row \(i), \(model.featureNames[j])") }
      let e = try file.explainColumns(table, row: i)
      #expect(e.columns.map(\.column) == ["tenure", "plan"])
      for column in e.columns {
        let own = (0..<5).filter { owner[$0] == column.column }.reduce(0) { $0 + expected[$1] }
        #expect(abs(column.contribution - own) < 1e-10, "row \(i), \(column.column)")
      }
      #expect(e.columns[0].value == (tenure[i].isNaN ? .missing : .number(tenure[i])))
      #expect(e.columns[1].value == (plan[i].map { .level($0) } ?? .missing))
      #expect(abs(e.probability - p[i]) < 1e-12)
    }
  }

  /// A forest from trees given as arrays (scikit-learn's layout), read the way model files are.
  static func forest(features: [String], trees: [(feature: [Int32], threshold: [Double], left: [Int32], right: [Int32], value: [Float], cover: [Float])])
    throws -> ForestModel {
    let object: [String: Any] = [
      "featureNames": features,
      "trees": trees.map { t in
        ["feature": t.feature.map(Int.init), "threshold": t.threshold, "left": t.left.map(Int.init), "right": t.right.map(Int.init),
         "value": t.value.map(Double.init), "cover": t.cover.map(Double.init), "impurityDecrease": features.map { _ in 0.0 }] as [String: Any]
      },
      "outOfBag": [Double](), "impurityImportance": features.map { _ in 0.0 }, "seed": 1, "featuresPerSplit": 1, "minLeafSize": 1,
    ]
    let forest = try JSONDecoder().decode(ForestModel.self, from: JSONSerialization.data(withJSONObject: object))
    for tree in forest.trees { tree._checkInvariants() }
    return forest
  }

  /// Tree A: x0 ≤ 0.5 → leaf 0.2 (cover 60); else x1 ≤ 0.5 → leaf 0.5 (cover 10), else leaf 0.9 (cover 30).
  /// Node values are cover-weighted means: right node (10·0.5 + 30·0.9)/40 = 0.8, root (60·0.2 + 40·0.8)/100 = 0.44.
  /// Tree B: x1 ≤ 0.5 → leaf 0.1 (cover 50), else leaf 0.3 (cover 50); root 0.2.
  static func handForest() throws -> ForestModel {
    try forest(features: ["x0", "x1"], trees: [
      ([0, -1, 1, -1, -1], [0.5, 0, 0.5, 0, 0], [1, -1, 3, -1, -1], [2, -1, 4, -1, -1], [0.44, 0.2, 0.8, 0.5, 0.9], [100, 60, 40, 10, 30]),
      ([1, -1, -1], [0.5, 0, 0], [1, -1, -1], [2, -1, -1], [0.2, 0.1, 0.3], [100, 50, 50]),
    ])
  }

  @Test("A hand-built forest: path contributions and TreeSHAP values equal the ones worked out by hand")
  func handBuiltForest() throws {
    let forest = try Self.handForest()
    // Row (1, 1). Tree A, path: x0 0.8 − 0.44 = 0.36, x1 0.9 − 0.8 = 0.1. Tree B, path: x1 0.3 − 0.2 = 0.1.
    // Tree A, Shapley values from v(S) = E[f | x_S]: v(∅) = 0.44, v({x0}) = 0.8,
    //   v({x1}) = 0.6·0.2 + 0.4·0.9 = 0.48, v({x0, x1}) = 0.9;
    //   φ0 = ½[(0.8 − 0.44) + (0.9 − 0.48)] = 0.39, φ1 = ½[(0.48 − 0.44) + (0.9 − 0.8)] = 0.07.
    // Tree B: φ1 = 0.3 − 0.2 = 0.1. The forest averages the trees: base (0.44 + 0.2)/2 = 0.32, p = (0.9 + 0.3)/2 = 0.6;
    //   path x0 0.36/2 = 0.18, x1 (0.1 + 0.1)/2 = 0.1; Shapley x0 0.39/2 = 0.195, x1 (0.07 + 0.1)/2 = 0.085.
    // Row (0, 1). Tree A, path: x0 0.2 − 0.44 = −0.24, x1 0. Shapley: v({x0}) = 0.2, v({x1}) = 0.48, v({x0, x1}) = 0.2;
    //   φ0 = ½[(0.2 − 0.44) + (0.2 − 0.48)] = −0.26, φ1 = ½[(0.48 − 0.44) + (0.2 − 0.2)] = 0.02. Tree B as above.
    //   Averaged: p = (0.2 + 0.3)/2 = 0.25; path x0 −0.12, x1 0.05; Shapley x0 −0.13, x1 (0.02 + 0.1)/2 = 0.06.
    let cases: [(row: [Double], path: [Double], shap: [Double], p: Double)] = [
      ([1, 1], [0.18, 0.1], [0.195, 0.085], 0.6),
      ([0, 1], [-0.12, 0.05], [-0.13, 0.06], 0.25),
    ]
    for c in cases {
      let x = Matrix(rows: 1, columns: 2, storage: c.row)
      #expect(abs(forest.probabilities(x)[0] - c.p) < 1e-6)
      let path = forest.pathContributions(x, row: 0), shap = forest.shapleyValues(x, row: 0)
      #expect(abs(path.base - 0.32) < 1e-6 && abs(shap.base - 0.32) < 1e-6)
      for j in 0..<2 {
        #expect(abs(path.contributions[j] - c.path[j]) < 1e-6, "row \(c.row) x\(j): path \(path.contributions[j]), by hand \(c.path[j])")
        #expect(abs(shap.contributions[j] - c.shap[j]) < 1e-6, "row \(c.row) x\(j): TreeSHAP \(shap.contributions[j]), by hand \(c.shap[j])")
      }
    }
  }

  @Test("A hand-built tree on one-hot levels: the column's contribution is its levels' sum, shown with the customer's own level")
  func oneHotTree() throws {
    // plan: a (50 rows, the reference: no column), b (20), c (30): output columns plan=b (0), plan=c (1).
    let plans = Array(repeating: "a", count: 50) + Array(repeating: "b", count: 20) + Array(repeating: "c", count: 30)
    let table = FeatureTable(ids: plans.indices.map { "c\($0)" }, columnNames: ["plan"], columns: [.categorical(plans)])
    let preprocessor = try Preprocessor(standardize: false, fatTailTransform: false).fit(table)
    #expect(preprocessor.outputNames == ["plan=b", "plan=c"])
    // plan=c ≤ 0.5 → (plan=b ≤ 0.5 → leaf a 0.2 (cover 50), else leaf b 0.5 (cover 20)), else leaf c 0.05 (cover 30).
    // Node values: not-c (50·0.2 + 20·0.5)/70 = 2/7; root (70·2/7 + 30·0.05)/100 = 0.215.
    let forest = try Self.forest(features: ["plan=b", "plan=c"], trees: [
      ([1, 0, -1, -1, -1], [0.5, 0.5, 0, 0, 0], [1, 2, -1, -1, -1], [4, 3, -1, -1, -1], [0.215, Float(2.0 / 7), 0.2, 0.5, 0.05], [100, 70, 50, 20, 30]),
    ])
    let file = ModelFile(churnVersion: "test", idColumn: "id", labelColumn: "y", preprocessor: preprocessor, model: forest, training: Self.training)
    // Customer "a": path: plan=c 2/7 − 0.215 = +0.0707 (not being on c raises risk), plan=b 0.2 − 2/7 = −0.0857.
    //   Shapley: v(∅) = 0.215, v({c}) = 2/7, v({b}) = 0.7·0.2 + 0.3·0.05 = 0.155, v({b, c}) = 0.2;
    //   φc = ½[(2/7 − 0.215) + (0.2 − 0.155)], φb = ½[(0.155 − 0.215) + (0.2 − 2/7)].
    //   The column: 0.2 − 0.215 = −0.015 either way: no reason (per level, "plan is c (+7.1 pts)" would be one).
    // Customer "b": path: plan=c +0.0707, plan=b 0.5 − 2/7; Shapley: v({b}) = 0.7·0.5 + 0.3·0.05 = 0.365, v({b, c}) = 0.5;
    //   φc = ½[(2/7 − 0.215) + (0.5 − 0.365)], φb = ½[(0.365 − 0.215) + (0.5 − 2/7)]. The column: 0.5 − 0.215 = +0.285.
    // Customer "c": path: plan=c 0.05 − 0.215, plan=b 0; Shapley: v({c}) = 0.05, v({b}) = 0.155, v({b, c}) = 0.05;
    //   φc = ½[(0.05 − 0.215) + (0.05 − 0.155)], φb = ½[(0.155 − 0.215) + 0]. The column: 0.05 − 0.215 = −0.165.
    let r = 2.0 / 7
    let cases: [(row: Int, level: String, path: [Double], shap: [Double])] = [
      (0, "a", [0.2 - r, r - 0.215], [((0.155 - 0.215) + (0.2 - r)) / 2, ((r - 0.215) + (0.2 - 0.155)) / 2]),
      (50, "b", [0.5 - r, r - 0.215], [((0.365 - 0.215) + (0.5 - r)) / 2, ((r - 0.215) + (0.5 - 0.365)) / 2]),
      (70, "c", [0, 0.05 - 0.215], [((0.155 - 0.215) + 0) / 2, ((0.05 - 0.215) + (0.05 - 0.155)) / 2]),
    ]
    let x = try preprocessor.transform(table)
    for c in cases {
      for exact in [false, true] {
        let e = file.explain(x, row: c.row, exact: exact)
        let expected = exact ? c.shap : c.path
        #expect(abs(e.base - 0.215) < 1e-6)
        for j in 0..<2 { #expect(abs(e.contributions[j] - expected[j]) < 1e-6, "customer \(c.level), exact \(exact), output \(j): \(e.contributions[j]) vs \(expected[j])") }
        let columns = try file.explainColumns(table, row: c.row, exact: exact)
        #expect(columns.columns == [ColumnContribution(column: "plan", value: .level(c.level), contribution: columns.columns[0].contribution)])
        #expect(abs(columns.columns[0].contribution - (expected[0] + expected[1])) < 1e-6)
      }
    }
    // The ranked list: only customer "b" has a reason, and it names "b".
    let scored = try RiskScorer(model: file).scoreRows(table, revenue: nil, horizonMonths: 1, reasonRows: 100, method: .exact)
    for (i, s) in scored.enumerated() {
      if plans[i] == "b" {
        #expect(s.reasons.count == 1 && s.reasons[0].value == .level("b") && abs(s.reasons[0].contribution - 0.285) < 1e-6, "\(s.reasons)")
      } else {
        #expect(s.reasons.isEmpty, "customer \(plans[i]): \(s.reasons)")
      }
    }
  }
}

@Suite("Logistic contributions, term by term")
struct LogisticContributionTermTests {
  @Test("Explanations add up, and each contribution is its own feature's β·x scaled by (p − p₀)/(η − b)")
  func additivity() throws {
    let data = PlantedSignal(rows: 500, weights: [1.2, -0.7, 0.3], seed: 12)
    let model = try LogisticRegression(l2Penalty: 0).fit(features: data.features, labels: data.labels)
    let p = model.probabilities(data.features)
    for i in 0..<data.features.rows {
      let (base, contributions) = model.probabilityContributions(data.features, row: i)
      #expect(abs(base + contributions.reduce(0, +) - p[i]) < 1e-12)
      // The sum alone cannot tell features apart: each term on its own.
      let terms = (0..<3).map { model.coefficients[$0] * data.features[i, $0] }
      let eta = terms.reduce(0, +), b = model.intercept
      let scale = (1 / (1 + exp(-(b + eta))) - 1 / (1 + exp(-b))) / eta
      for j in 0..<3 { #expect(abs(contributions[j] - terms[j] * scale) < 1e-12, "row \(i) feature \(j)") }
    }
  }
}
