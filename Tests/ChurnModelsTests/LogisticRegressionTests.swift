import ChurnCore
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

@Suite("Logistic regression solvers")
struct LogisticRegressionTests {
  /// Gradient of the documented objective (without the L1 term), by plain loops.
  func gradient(_ model: LogisticModel, _ x: Matrix, _ y: [Double], weights: [Double]? = nil, l2: Double) -> [Double] {
    var g = [Double](repeating: 0, count: x.columns + 1)
    for i in 0..<x.rows {
      var eta = model.intercept
      for j in 0..<x.columns { eta += model.coefficients[j] * x[i, j] }
      let r = (weights?[i] ?? 1) * (1 / (1 + exp(-eta)) - y[i])
      g[0] += r
      for j in 0..<x.columns { g[j + 1] += r * x[i, j] }
    }
    for j in 0..<x.columns { g[j + 1] += l2 * model.coefficients[j] }
    return g
  }

  @Test("Newton and L-BFGS reach the same stationary point", arguments: [0.0, 0.1, 10.0])
  func stationary(l2: Double) throws {
    let data = PlantedSignal(rows: 3000, weights: [1.5, -1.0, 0.5, 0, 0, 0.2], seed: 3)
    // (Thread counts: ThreadCountTests, at sizes where the gradient pass really splits.)
    var fits: [LogisticModel] = []
    for solver in [LogisticRegression.Solver.newton, .lbfgs] {
      let model = try LogisticRegression(l2Penalty: l2, solver: solver).fit(features: data.features, labels: data.labels)
      #expect(model.converged, "\(solver) did not converge")
      #expect(gradient(model, data.features, data.labels, l2: l2).map(abs).max()! < 1e-6)
      fits.append(model)
    }
    for f in fits.dropFirst() {
      #expect(maxRelativeDifference(f.coefficients, fits[0].coefficients) < 1e-7)
      #expect(relativeDifference(f.objective, fits[0].objective) < 1e-12)
    }
  }

  @Test("Planted signal: signs and order of the weights are recovered", arguments: [UInt64(1), 2, 3])
  func planted(seed: UInt64) throws {
    let data = PlantedSignal(rows: 5000, weights: [2.0, -1.2, 0.6, 0, 0], seed: seed)
    let model = try LogisticRegression(l2Penalty: 0).fit(features: data.features, labels: data.labels)
    let b = model.coefficients
    #expect(b[0] > 0 && b[1] < 0 && b[2] > 0, "seed \(seed): \(b)")
    #expect(abs(b[0]) > abs(b[1]) && abs(b[1]) > abs(b[2]) && abs(b[2]) > max(abs(b[3]), abs(b[4])), "seed \(seed): \(b)")
    #expect(model.probabilities(data.features).allSatisfy { $0 > 0 && $0 < 1 })
    // The planted weights are inside the 95% intervals (true for these seeds; a 5% miss rate per coefficient).
    for (c, truth) in zip(model.coefficientTable, data.weights) { #expect(c.lower95 < truth && truth < c.upper95, "\(c.name): \(c)") }
  }

  @Test("L1 zeroes the noise columns and satisfies the optimality conditions")
  func lasso() throws {
    let data = PlantedSignal(rows: 3000, weights: [1.5, -1.0, 0, 0, 0, 0], seed: 5)
    let l1 = 40.0
    let model = try LogisticRegression(l2Penalty: 0, l1Penalty: l1).fit(features: data.features, labels: data.labels)
    #expect(model.solver == .owlqn && model.converged)
    let g = gradient(model, data.features, data.labels, l2: 0)
    for (j, beta) in model.coefficients.enumerated() {
      if beta != 0 { #expect(abs(g[j + 1] + l1 * (beta > 0 ? 1 : -1)) < 1e-5, "coefficient \(j)") } else { #expect(abs(g[j + 1]) <= l1 + 1e-6) }
    }
    #expect(model.coefficients[0] > 0 && model.coefficients[1] < 0)
    #expect(model.coefficients[2...].filter { $0 == 0 }.count >= 3)
  }

  @Test("Balanced class weights equal explicit sample weights n / (2·n_class)")
  func balanced() throws {
    let data = PlantedSignal(rows: 2000, weights: [1, -0.5], intercept: -2.5, seed: 9)
    let positives = data.labels.reduce(0, +)
    let weights = data.labels.map { $0 == 1 ? 2000 / (2 * positives) : 2000 / (2 * (2000 - positives)) }
    let a = try LogisticRegression(l2Penalty: 1, classWeight: .balanced).fit(features: data.features, labels: data.labels)
    let b = try LogisticRegression(l2Penalty: 1).fit(features: data.features, labels: data.labels, sampleWeights: weights)
    #expect(maxRelativeDifference(a.coefficients + [a.intercept], b.coefficients + [b.intercept]) < 1e-10)
    #expect(gradient(b, data.features, data.labels, weights: weights, l2: 1).map(abs).max()! < 1e-6)
  }

  @Test("Bad inputs are rejected with clear messages")
  func errors() {
    let x = Matrix([[1], [2], [3]])
    #expect(throws: LogisticRegressionError.singleClass(rows: 3, label: 0)) {
      try LogisticRegression(l2Penalty: 0).fit(features: x, labels: [0, 0, 0])
    }
    #expect(LogisticRegressionError.singleClass(rows: 3, label: 0).description
      == "all 3 labels are 0; a churn model needs both churned and retained customers")
    #expect(throws: LogisticRegressionError.invalidLabel(row: 1, value: 2)) {
      try LogisticRegression(l2Penalty: 0).fit(features: x, labels: [0, 2, 1])
    }
    #expect(throws: LogisticRegressionError.nonFinite(row: 2, column: "x0", value: .infinity)) {
      try LogisticRegression(l2Penalty: 0).fit(features: Matrix([[1], [2], [.infinity]]), labels: [0, 1, 1])
    }
    #expect(throws: LogisticRegressionError.labelCount(rows: 3, labels: 2)) {
      try LogisticRegression(l2Penalty: 0).fit(features: x, labels: [0, 1])
    }
  }

  @Test("A warm start from a subsample reaches the same optimum (L2, balanced weights, L1) in fewer full passes",
        arguments: [(LogisticRegression.Solver.lbfgs, 0.0, ClassWeight.none),
                    (.lbfgs, 0.0, .balanced), (.owlqn, 3.0, .none)])
  func warmStart(solver: LogisticRegression.Solver, l1: Double, classWeight: ClassWeight) throws {
    let data = PlantedSignal(rows: 20_000, weights: [1, -0.6, 0.3, 0.15, 0, 0, 0, 0.05], seed: 31)
    var settings = LogisticRegression(l2Penalty: 2, l1Penalty: l1, classWeight: classWeight, solver: solver, warmStartMinimumRows: nil)
    let cold = try settings.fit(features: data.features, labels: data.labels)
    settings.warmStartMinimumRows = 1000
    settings.warmStartSampleRows = 2000
    let warm = try settings.fit(features: data.features, labels: data.labels)
    #expect(cold.subsampleEvaluations == nil && warm.subsampleEvaluations != nil)
    #expect(warm.converged && cold.converged)
    #expect(warm.evaluations < cold.evaluations, "full passes: warm \(warm.evaluations), cold \(cold.evaluations)")
    #expect(maxRelativeDifference(warm.coefficients + [warm.intercept], cold.coefficients + [cold.intercept]) < 1e-6)
    #expect(warm.coefficients.map { $0 == 0 } == cold.coefficients.map { $0 == 0 })
    #expect(abs(warm.objective - cold.objective) <= 1e-12 * cold.objective)
  }

  @Test("The reported objective is the documented one, computed with the C library's exp and log1p")
  func objectiveMatchesLibm() throws {
    // Strong signals and a few extreme rows: |η| from 0 to beyond 708, where e^−|η| underflows.
    let data = PlantedSignal(rows: 3001, weights: [6, -4, 2, 0.5], seed: 21)
    var x = data.features
    x[7, 0] = 3000
    x[8, 0] = -3000
    x[9, 1] = 40
    var y = data.labels
    (y[7], y[8], y[9]) = (1, 0, 0)  // on the side their planted weights put them
    for l2 in [0.1, 10] {
      let model = try LogisticRegression(l2Penalty: l2, solver: .lbfgs).fit(features: x, labels: y)
      var loss = 0.0, maxEta = 0.0
      for i in 0..<x.rows {
        var eta = model.intercept
        for j in 0..<x.columns { eta += model.coefficients[j] * x[i, j] }
        maxEta = max(maxEta, abs(eta))
        loss += max(eta, 0) + log1p(exp(-abs(eta))) - y[i] * eta
      }
      loss += 0.5 * l2 * model.coefficients.reduce(0) { $0 + $1 * $1 }
      #expect(maxEta > 708, "the test needs rows past exp's underflow (max |η| \(maxEta))")
      #expect(abs(model.objective - loss) <= 1e-12 * loss, "objective \(model.objective) vs \(loss)")
    }
  }

  @Test("A NaN or infinity anywhere in X is named, whatever the solver, row weight or block",
        arguments: [LogisticRegression.Solver.newton, .lbfgs, .owlqn])
  func nonFiniteAnywhere(solver: LogisticRegression.Solver) {
    // The check rides on the first pass (β = 0): it must see values in every block, in rows
    // of weight 0, in the last row and column.
    let data = PlantedSignal(rows: 5000, weights: [1, -0.5, 0.25], seed: 12)
    var weights = [Double](repeating: 1, count: 5000)
    weights[4321] = 0
    for (row, column, value) in [(0, 0, Double.nan), (4321, 1, .infinity), (4999, 2, -.infinity), (2500, 2, .nan)] {
      var x = data.features
      x[row, column] = value
      do {
        _ = try LogisticRegression(l2Penalty: 1, l1Penalty: solver == .owlqn ? 0.5 : 0, solver: solver)
          .fit(features: x, labels: data.labels, sampleWeights: weights)
        Issue.record("\(value) at row \(row), column \(column) was not rejected by \(solver)")
      } catch LogisticRegressionError.nonFinite(let r, let c, let v) {
        #expect(r == row && c == "x\(column)" && (v.isNaN ? value.isNaN : v == value))
      } catch {
        Issue.record("unexpected \(error)")
      }
    }
  }

  @Test("Column-major and row-major X give the same model, every solver and the warm start; the same probabilities to the bit",
        arguments: [LogisticRegression.Solver.newton, .lbfgs, .owlqn])
  func bothLayouts(solver: LogisticRegression.Solver) throws {
    let data = PlantedSignal(rows: 9_000, weights: [1, -0.6, 0.3, 0.15, 0, 0.05, -0.2], seed: 41)
    let settings = LogisticRegression(l2Penalty: 1, l1Penalty: solver == .owlqn ? 0.5 : 0, solver: solver,
                                      warmStartMinimumRows: 1000, warmStartSampleRows: 2000)
    let byRow = try settings.fit(features: data.features, labels: data.labels)
    let byColumn = try settings.fit(features: data.features.columnMajor, labels: data.labels)
    #expect(byRow.converged && byColumn.converged)
    #expect(maxRelativeDifference(byColumn.coefficients + [byColumn.intercept], byRow.coefficients + [byRow.intercept]) < 1e-9)
    #expect(maxRelativeDifference(byColumn.covariance ?? [], byRow.covariance ?? []) < 1e-9)
    #expect(byColumn.probabilities(data.features.columnMajor).map(\.bitPattern) == byColumn.probabilities(data.features).map(\.bitPattern))
  }

  @Test("A NaN or infinity in a column-major X is named by its first row, then column")
  func nonFiniteColumnMajor() {
    let data = PlantedSignal(rows: 5000, weights: [1, -0.5, 0.25], seed: 12)
    var x = data.features
    // Column-major order meets (4000, 0) first; row order meets (10, 2) first.
    x[4000, 0] = .nan
    x[10, 2] = .infinity
    #expect(throws: LogisticRegressionError.nonFinite(row: 10, column: "x2", value: .infinity)) {
      try LogisticRegression(l2Penalty: 1).fit(features: x.columnMajor, labels: data.labels)
    }
  }

  @Test("Perfect separation without a penalty names the column and suggests a penalty")
  func separable() throws {
    let data = PlantedSignal(rows: 300, weights: [1, 0.5], seed: 4)
    var rows: [[Double]] = []
    for i in 0..<300 { rows.append([data.features[i, 0], data.features[i, 1], data.labels[i] == 1 ? 1 : -1]) }
    let x = Matrix(rows)
    do {
      _ = try LogisticRegression(l2Penalty: 0).fit(features: x, labels: data.labels, featureNames: ["a", "b", "leak"])
      Issue.record("a separable problem was fitted")
    } catch let error as LogisticRegressionError {
      guard case .separable(let columns) = error else { Issue.record("unexpected \(error)"); return }
      #expect(columns.first == "leak")
      #expect(error.description.hasPrefix("the classes are perfectly separable, so the unpenalized coefficients diverge (largest: leak"))
    }
    #expect((try? LogisticRegression(l2Penalty: 1).fit(features: x, labels: data.labels)) != nil)
  }

  @Test("Collinear columns without a penalty name the column")
  func collinear() throws {
    let data = PlantedSignal(rows: 200, weights: [1, 0], seed: 4)
    var rows: [[Double]] = []
    for i in 0..<200 { rows.append([data.features[i, 0], data.features[i, 1], 2 * data.features[i, 0] - data.features[i, 1]]) }
    #expect(throws: LogisticRegressionError.collinear(column: "c")) {
      try LogisticRegression(l2Penalty: 0, solver: .newton).fit(features: Matrix(rows), labels: data.labels, featureNames: ["a", "b", "c"])
    }
    #expect((try? LogisticRegression(l2Penalty: 1).fit(features: Matrix(rows), labels: data.labels)) != nil)
  }
}
