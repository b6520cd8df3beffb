import ChurnCore
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

@Suite("Newton logistic regression")
struct LogisticRegressionTests {
  /// Gradient of the documented objective, by plain loops.
  func gradient(_ model: LogisticModel, _ data: PlantedSignal, l2: Double) -> [Double] {
    var g = [Double](repeating: 0, count: data.weights.count + 1)
    for i in 0..<data.features.rows {
      var eta = model.intercept
      for j in 0..<data.weights.count { eta += model.coefficients[j] * data.features[i, j] }
      let r = 1 / (1 + exp(-eta)) - data.labels[i]
      g[0] += r
      for j in 0..<data.weights.count { g[j + 1] += r * data.features[i, j] }
    }
    for j in 0..<data.weights.count { g[j + 1] += l2 * model.coefficients[j] }
    return g
  }

  @Test("The fit is a stationary point of the objective", arguments: [0.0, 0.1, 10.0])
  func stationary(l2: Double) throws {
    let data = PlantedSignal(rows: 2000, weights: [1.5, -1.0, 0.5, 0, 0], seed: 3)
    let model = try LogisticRegression(l2Penalty: l2).fit(features: data.features, labels: data.labels)
    #expect(model.converged)
    #expect(model.iterations < 15)
    #expect(gradient(model, data, l2: l2).map(abs).max()! < 1e-7)
  }

  @Test("Planted signal: signs and order of the weights are recovered", arguments: [UInt64(1), 2, 3])
  func planted(seed: UInt64) throws {
    let data = PlantedSignal(rows: 5000, weights: [2.0, -1.2, 0.6, 0, 0], seed: seed)
    let model = try LogisticRegression().fit(features: data.features, labels: data.labels)
    let b = model.coefficients
    #expect(b[0] > 0 && b[1] < 0 && b[2] > 0, "seed \(seed): \(b)")
    #expect(abs(b[0]) > abs(b[1]) && abs(b[1]) > abs(b[2]) && abs(b[2]) > max(abs(b[3]), abs(b[4])), "seed \(seed): \(b)")
    let p = model.probabilities(data.features)
    #expect(p.allSatisfy { $0 > 0 && $0 < 1 })
  }

  @Test("Bad inputs are rejected with clear messages")
  func errors() {
    let x = Matrix([[1], [2], [3]])
    #expect(throws: LogisticRegressionError.singleClass(rows: 3, label: 0)) {
      try LogisticRegression().fit(features: x, labels: [0, 0, 0])
    }
    #expect(LogisticRegressionError.singleClass(rows: 3, label: 0).description
      == "all 3 labels are 0; a churn model needs both churned and retained customers")
    #expect(throws: LogisticRegressionError.invalidLabel(row: 1, value: 2)) {
      try LogisticRegression().fit(features: x, labels: [0, 2, 1])
    }
    #expect(throws: LogisticRegressionError.nonFinite(row: 2, column: 0, value: .infinity)) {
      try LogisticRegression().fit(features: Matrix([[1], [2], [.infinity]]), labels: [0, 1, 1])
    }
    #expect(throws: LogisticRegressionError.labelCount(rows: 3, labels: 2)) {
      try LogisticRegression().fit(features: x, labels: [0, 1])
    }
    #expect(throws: LogisticRegressionError.invalidPenalty(-1)) {
      try LogisticRegression(l2Penalty: -1).fit(features: x, labels: [0, 1, 1])
    }
  }

  @Test("Collinear columns without a penalty report a singular Hessian")
  func collinear() {
    let data = PlantedSignal(rows: 200, weights: [1, 0], seed: 4)
    var rows: [[Double]] = []
    for i in 0..<200 { rows.append([data.features[i, 0], data.features[i, 1], 2 * data.features[i, 0]]) }
    #expect(throws: LogisticRegressionError.self) {
      try LogisticRegression().fit(features: Matrix(rows), labels: data.labels)
    }
    // An L2 penalty makes the same problem well posed.
    #expect((try? LogisticRegression(l2Penalty: 1).fit(features: Matrix(rows), labels: data.labels)) != nil)
  }
}
