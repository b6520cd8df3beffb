import ChurnCore
import Foundation

/// A penalized logistic regression's hyperparameters, with their defaults: the logistic
/// family of `ModelSpec`.
public struct LogisticSpec: ModelLearner, Codable {
  public static let family = ModelFamily.logistic

  /// λ₂ (scikit-learn's `1/C`), in `Hyperparameters.penalty`. `--l2`.
  public var l2Penalty: Double
  /// λ₁, in `Hyperparameters.penalty`; above 0 the fit is OWL-QN's. `--l1`.
  public var l1Penalty: Double
  /// `--solver`.
  public var solver: LogisticRegression.Solver
  /// log1p / asinh on columns with skewness above 4 before standardizing (`--no-fat-tail` turns it off).
  public var fatTailTransform: Bool

  public init(l2Penalty: Double = 1, l1Penalty: Double = 0, solver: LogisticRegression.Solver = .auto, fatTailTransform: Bool = true) {
    self.l2Penalty = l2Penalty
    self.l1Penalty = l1Penalty
    self.solver = solver
    self.fatTailTransform = fatTailTransform
  }

  public var displayName: String { "logistic regression" }

  public var spec: ModelSpec { .logistic(self) }

  public var summary: String {
    "l2 \(String(format: "%g", l2Penalty))" + (l1Penalty > 0 ? ", l1 \(String(format: "%g", l1Penalty))" : "")
  }

  /// One-hot, imputation with missing indicators, the fat-tail transform, standardization.
  public var preprocessor: Preprocessor { Preprocessor(fatTailTransform: fatTailTransform) }

  public func validate() throws {
    try Hyperparameters.check(l2Penalty, in: Hyperparameters.penalty, flag: "--l2", property: "LogisticSpec.l2Penalty",
                              expected: "a number in 0...1e12", fix: "use 0 (no penalty) to about 1000; --tune picks one")
    try Hyperparameters.check(l1Penalty, in: Hyperparameters.penalty, flag: "--l1", property: "LogisticSpec.l1Penalty",
                              expected: "a number in 0...1e12", fix: "use 0 (no penalty) to about 1000; --tune picks one")
  }

  /// The fit; with balanced class weights the prior correction is returned, to be applied to
  /// the probabilities (an intercept shift) by the model file's calibration.
  public func fit(_ x: Matrix, labels: [Double], featureNames: [String], options: FitOptions) throws -> (model: any ChurnModel, priorShift: Double) {
    let model = try LogisticRegression(l2Penalty: l2Penalty, l1Penalty: l1Penalty, classWeight: options.classWeight, solver: solver,
                                       threads: options.threads)
      .fit(features: x, labels: labels, featureNames: featureNames)
    let shift = options.classWeight.priorShift(labels: labels)
    return (model, shift)
  }

  /// λ₂ over six decades (λ₁ instead when the fit is an L1 fit).
  public func grid(columns: Int) -> [ModelSpec] {
    [0.01, 0.1, 1, 10, 100, 1000].map { strength in
      var s = self
      if l1Penalty > 0 { s.l1Penalty = strength } else { s.l2Penalty = strength }
      return .logistic(s)
    }
  }

  public var constantScoresFix: String { "every coefficient is 0, so it cannot rank customers; fix: lower --l1 or --l2" }

  /// Column-major: the fit reads X only through `Matrix`'s products and fused gradient.
  public var matrixLayout: Matrix.Layout { .columnMajor }
}

extension LogisticModel: LinearChurnModel {
  public static var family: ModelFamily { .logistic }

  /// Exact: the log-odds terms rescaled to probability (`probabilityContributions`).
  public func contributions(_ x: Matrix, row: Int, exact: Bool) -> (base: Double, contributions: [Double]) {
    probabilityContributions(x, row: row)
  }

  public var exactExplanationCost: Int { 0 }

  public static let importanceMeasure = ImportanceMeasure(name: "coefficient", description: "|coefficient| on the standardized scale")

  public var importances: [Double] { coefficients.map(abs) }
}

extension LogisticSpec {
  public func fitReport(_ fitted: any ChurnModel, rows: Int, columns: Int, labels: [Double], auc: ([Double], [Double]) -> Double?) -> String {
    guard let model = fitted as? LogisticModel else { return displayName }
    return "logistic regression, \(model.solver.rawValue) solver (\(solver == .auto ? "auto-selected for \(rows) × \(columns)" : "as asked")): "
      + (model.subsampleEvaluations.map { "warm start from \($0) passes over a subsample, " } ?? "")
      + "\(model.iterations) iterations (\(model.evaluations) passes), objective \(String(format: "%.6f", model.objective)), "
      + (model.converged ? "converged" : "NOT converged (largest gradient entry \(model.gradientNorm)); results may be inaccurate: raise --l2 or check the data")
  }
}

extension LogisticModel {
  /// The largest coefficient or intercept a model file may hold (a fitted one is far smaller):
  /// bounded so that intercept + Σ β·x stays finite for every accepted x (|x| ≤ 1e12, see
  /// `FittedPreprocessor`).
  static let largestCoefficient = 1e12

  public func problem(columns d: Int) -> (field: String, expected: String, found: String)? {
    guard coefficients.count == d, featureNames.count == d else {
      return ("logistic.coefficients", ModelFile.count(d, "number") + " (one per preprocessed column)", ModelFile.count(coefficients.count, "number"))
    }
    if let bad = ModelFile.firstNonFinite(coefficients, "logistic.coefficients") { return bad }
    if let i = coefficients.firstIndex(where: { abs($0) > Self.largestCoefficient }) {
      return ("logistic.coefficients[\(i)]", "a number of magnitude at most 1e12", "\(coefficients[i])")
    }
    guard intercept.isFinite, abs(intercept) <= Self.largestCoefficient else {
      return ("logistic.intercept", "a finite number of magnitude at most 1e12", "\(intercept)")
    }
    if let c = covariance {
      guard c.count == (d + 1) * (d + 1) else {
        return ("logistic.covariance", ModelFile.count((d + 1) * (d + 1), "number"), ModelFile.count(c.count, "number"))
      }
      if let bad = ModelFile.firstNonFinite(c, "logistic.covariance") { return bad }
    }
    return nil
  }
}
