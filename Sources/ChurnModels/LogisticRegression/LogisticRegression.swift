import ChurnCore
import Foundation

/// Logistic regression for churn, fitted on standardized features.
///
/// Objective, minimized over the intercept b and the coefficients β:
/// ```
/// L(b, β) = Σᵢ sᵢ · logloss(yᵢ, σ(b + xᵢ·β)) + (λ₂ / 2) · ‖β‖² + λ₁ · ‖β‖₁
/// logloss(y, p) = −y·log p − (1 − y)·log(1 − p)
/// ```
/// where sᵢ are the sample weights times the class weights (`balanced`: n / (2 · n_class), as in
/// scikit-learn) and the intercept is not penalized. With λ₁ = 0 this is scikit-learn's
/// `LogisticRegression(C = 1/λ₂)`; λ₂ = λ₁ = 0 is the maximum-likelihood fit (statsmodels'
/// `Logit`).
///
/// Solvers: `newton` (IRLS: Hessian Xᵀ·W·X by BLAS `dsyrk`, Cholesky solve; few iterations,
/// O(n·d²) each), `lbfgs` (limited-memory quasi-Newton, Nocedal 1980; each evaluation reads X
/// once through `Matrix.fusedGradient`), `owlqn` (Andrew & Gao 2007, for λ₁ > 0). `auto` takes
/// `owlqn` when λ₁ > 0, `newton` when d ≤ 30 or n·d² ≤ 5·10⁸, `lbfgs` otherwise.
/// Convergence: the largest absolute (pseudo-)gradient entry ≤ `gradientTolerance` · Σᵢ sᵢ.
///
/// Warm start (`lbfgs`, `owlqn`, when n ≥ `warmStartMinimumRows`, default 200,000): the same
/// objective is first minimized, loosely (gradient ≤ 10⁻⁴ · Σs), on every k-th row (about
/// `warmStartSampleRows`, default 100,000; weights scaled so the loss keeps its size next to the
/// penalty), at a tenth of a pass per iteration on 1,000,000 rows; the full problem then starts
/// from that point with the curvature pairs already learned. The stopping rule and the answer
/// are those of the full problem; only the passes over all rows drop (1,000,000 × 50: 9 → 4,
/// × 200: 10 → 5, plus 7 and 10 passes over the subsample).
///
/// Pass counts depend mostly on the stopping rule. `churn train` keeps the default 10⁻¹⁰ · Σs;
/// `scripts/bench-logistic` (churn-bench) stops at 10⁻⁶ · n, as loose as scikit-learn's
/// `tol = 1e-6`. Measured on 1,000,000 × 50 (x ~ N(0, 1), 15% positives, values written with
/// 17 significant digits, λ₂ = 1, standardized by the preprocessor): 4 passes at 10⁻⁶ · n,
/// 7 at 10⁻⁸, 8 at 10⁻¹⁰ (each after 8 passes over the subsample; 14 without the warm start);
/// the objective at 10⁻⁶ · n is 7·10⁻¹¹ (relative) above the default's. Standardization is a
/// no-op on such data and no column is skewed enough for the fat-tail transform, so neither
/// makes the pipeline's problem harder.
public struct LogisticRegression: Sendable {
  public enum Solver: String, Sendable, Codable, CaseIterable { case auto, newton, lbfgs, owlqn }
  /// λ₂ (scikit-learn's `1/C`), ≥ 0; 0 (with λ₁ = 0) is the maximum-likelihood fit. No default here: the
  /// solver is given the penalty it solves for; the trainer's default is `LogisticSpec`'s.
  public var l2Penalty: Double
  /// λ₁, ≥ 0.
  public var l1Penalty: Double
  public var classWeight: ClassWeight
  public var solver: Solver
  public var maxIterations: Int
  public var gradientTolerance: Double
  /// Threads for the gradient passes (`Matrix.fusedGradient`, every solver; at most one per
  /// 4,096 rows). The fitted model does not depend on it, to the last bit.
  public var threads: Int
  /// Whether to compute the inverse Hessian at the optimum (standard errors, p-values): one
  /// more O(n·d²) pass.
  public var computeStandardErrors: Bool
  /// Problems with at least this many rows start from a fit on a subsample (see above); `nil`: never.
  public var warmStartMinimumRows: Int?
  /// About how many rows that subsample has.
  public var warmStartSampleRows: Int

  public init(l2Penalty: Double, l1Penalty: Double = 0, classWeight: ClassWeight = .none, solver: Solver = .auto,
              maxIterations: Int = 500, gradientTolerance: Double = 1e-10, threads: Int = 1, computeStandardErrors: Bool = true,
              warmStartMinimumRows: Int? = 200_000, warmStartSampleRows: Int = 100_000) {
    self.l2Penalty = l2Penalty
    self.l1Penalty = l1Penalty
    self.classWeight = classWeight
    self.solver = solver
    self.maxIterations = maxIterations
    self.gradientTolerance = gradientTolerance
    self.threads = threads
    self.computeStandardErrors = computeStandardErrors
    self.warmStartMinimumRows = warmStartMinimumRows
    self.warmStartSampleRows = warmStartSampleRows
  }

  /// The solver `auto` picks for an n × d problem.
  public func resolvedSolver(rows n: Int, columns d: Int) -> Solver {
    if solver != .auto { return solver }
    if l1Penalty > 0 { return .owlqn }
    return d <= 30 || Double(n) * Double(d) * Double(d) <= 5e8 ? .newton : .lbfgs
  }

  /// Fits the model.
  ///
  /// - Parameters:
  ///   - features: n × d, standardized (see `Preprocessor`).
  ///   - labels: n values, each 0 or 1.
  ///   - sampleWeights: n non-negative weights, or `nil` for all 1.
  ///   - featureNames: d names, for error messages and reports.
  ///   - start: where the solver starts (intercept, then d coefficients), such as the solution
  ///     at a nearby penalty (a warm-started path, `LogisticPath`); nil: the intercept of the
  ///     churn rate and β = 0 (and the subsample warm start on large problems).
  /// - Throws: `HyperparameterError` for a setting outside its range (`Hyperparameters`);
  ///   `LogisticRegressionError` for invalid inputs, perfect separation or collinear
  ///   columns without a penalty.
  public func fit(features x: Matrix, labels: [Double], sampleWeights: [Double]? = nil, featureNames: [String]? = nil,
                  start initial: [Double]? = nil) throws -> LogisticModel {
    let n = x.rows, d = x.columns
    let names = featureNames ?? (0..<d).map { "x\($0)" }
    try Hyperparameters.check(l2Penalty, in: Hyperparameters.penalty, flag: "--l2", property: "LogisticRegression.l2Penalty",
                              expected: "a number in 0...1e12", fix: "use 0 (no penalty) to about 1000; --tune picks one")
    try Hyperparameters.check(l1Penalty, in: Hyperparameters.penalty, flag: "--l1", property: "LogisticRegression.l1Penalty",
                              expected: "a number in 0...1e12", fix: "use 0 (no penalty) to about 1000; --tune picks one")
    try Hyperparameters.check(maxIterations, in: Hyperparameters.maxIterations, flag: "", property: "LogisticRegression.maxIterations",
                              fix: "use 500 (the default)")
    try Hyperparameters.check(gradientTolerance, in: Hyperparameters.gradientTolerance, flag: "", property: "LogisticRegression.gradientTolerance",
                              expected: "a number in 1e-16...0.01", fix: "use 1e-10 (the default)")
    try Hyperparameters.check(threads, in: Hyperparameters.threads, flag: "--threads", property: "LogisticRegression.threads",
                              fix: "use at most the number of cores")
    if let rows = warmStartMinimumRows { try Hyperparameters.check(rows, in: 1...Int.max, flag: "", property: "LogisticRegression.warmStartMinimumRows", fix: "use nil (never) or 200000 (the default)") }
    try Hyperparameters.check(warmStartSampleRows, in: 1...Int.max, flag: "", property: "LogisticRegression.warmStartSampleRows", fix: "use 100000 (the default)")
    guard labels.count == n else { throw LogisticRegressionError.labelCount(rows: n, labels: labels.count) }
    if let w = sampleWeights {
      guard w.count == n else { throw LogisticRegressionError.weightCount(rows: n, weights: w.count) }
      if let i = w.firstIndex(where: { !($0 >= 0 && $0.isFinite) }) { throw LogisticRegressionError.invalidWeight(row: i, value: w[i]) }
    }
    for (i, y) in labels.enumerated() where y != 0 && y != 1 { throw LogisticRegressionError.invalidLabel(row: i, value: y) }
    let positives = labels.reduce(0, +)
    guard positives > 0, positives < Double(n) else {
      throw LogisticRegressionError.singleClass(rows: n, label: positives > 0 ? 1 : 0)
    }
    let weights = classWeight.applied(to: sampleWeights ?? Array(repeating: 1, count: n), labels: labels, positives: positives)
    let problem = LogisticProblem(x: x, y: labels, s: weights, l2: l2Penalty, threads: threads)
    let chosen = resolvedSolver(rows: n, columns: d)
    if l1Penalty > 0 && chosen != .owlqn { throw LogisticRegressionError.solverNeedsNoL1(solver: chosen.rawValue) }
    let l1 = chosen == .owlqn ? l1Penalty : 0
    if let initial { precondition(initial.count == d + 1, "start has \(initial.count) values; expected \(d + 1) (intercept, then \(d) coefficients)") }
    var theta = initial ?? [problem.initialIntercept] + [Double](repeating: 0, count: d)
    var memory = CurvaturePairs()
    var subsampleEvaluations: Int?
    if initial == nil, chosen != .newton, let minimum = warmStartMinimumRows, n >= minimum, n >= 2 * warmStartSampleRows, warmStartSampleRows > 0 {
      let sub = problem.subsample(stride: n / warmStartSampleRows)
      let subStart = sub.evaluate(b: theta[0], beta: Array(theta[1...]))
      // Loose: a subsample's optimum is only that close to the full one.
      let (subResult, pairs) = lbfgs(sub, from: theta, start: subStart, l1: l1, tolerance: 1e-4 * sub.totalWeight)
      let candidate = [subResult.b] + subResult.beta
      // A subsample can be separable where the data is not: keep only a sane start.
      if candidate.allSatisfy({ $0.isFinite && abs($0) <= 30 }) {
        theta = candidate
        memory = pairs
        subsampleEvaluations = subResult.evaluations
      }
    }
    // The first pass doubles as the check for non-finite inputs: a NaN or infinity anywhere in X
    // makes its objective or gradient non-finite (X·θ and Xᵀr keep NaN, also for β = 0), and only
    // then is X scanned to name the value, instead of a separate read of the whole matrix.
    let start = problem.evaluate(b: theta[0], beta: Array(theta[1...]))
    if !start.objective.isFinite || !start.gradB.isFinite || start.gradBeta.contains(where: { !$0.isFinite }),
       let (i, j) = x.firstNonFinite() {
      throw LogisticRegressionError.nonFinite(row: i, column: names[j], value: x[i, j])
    }
    var result: SolverResult
    switch chosen {
    case .newton, .auto: result = try newton(problem, from: theta, start: start, names: names)
    case .lbfgs, .owlqn:
      result = lbfgs(problem, from: theta, start: start, memory: memory, l1: l1, tolerance: gradientTolerance * problem.totalWeight).0
    }
    if l2Penalty == 0 && l1Penalty == 0 {
      // Complete separation: every row predicted with near certainty, coefficients running off.
      let eta = x.multiply(result.beta)
      var worst = 0.0
      for i in 0..<n where weights[i] > 0 { worst = max(worst, abs(sigmoid(eta[i] + result.b) - labels[i])) }
      let large = result.beta.indices.filter { abs(result.beta[$0]) > 30 }
      if worst < 1e-3 || !large.isEmpty {
        throw LogisticRegressionError.separable(columns: (large.isEmpty ? Array(result.beta.indices) : large)
          .sorted { abs(result.beta[$0]) > abs(result.beta[$1]) }.prefix(5).map { names[$0] })
      }
    }
    var covariance: Matrix?
    if computeStandardErrors {
      covariance = try? problem.hessian(b: result.b, beta: result.beta).inversePositiveDefinite()
      // A nearly singular Hessian can overflow its inverse: no standard errors rather than infinite ones.
      if covariance?.storage.allSatisfy(\.isFinite) == false { covariance = nil }
    }
    return LogisticModel(featureNames: names, intercept: result.b, coefficients: result.beta, solver: chosen,
                         iterations: result.iterations, evaluations: result.evaluations, objective: result.objective,
                         gradientNorm: result.gradientNorm, converged: result.converged, covariance: covariance?.storage,
                         l2Penalty: l2Penalty, l1Penalty: l1Penalty, classWeight: classWeight,
                         subsampleEvaluations: subsampleEvaluations)
  }

  struct SolverResult {
    var b: Double
    var beta: [Double]
    var objective: Double
    var gradientNorm: Double
    var iterations: Int
    var evaluations: Int
    var converged: Bool
  }

  // MARK: Newton / IRLS

  /// Starts at `theta` (intercept first); `start`: the problem evaluated there.
  func newton(_ p: LogisticProblem, from theta: [Double], start: LogisticProblem.Evaluation, names: [String]) throws -> SolverResult {
    let d = p.x.columns
    var b = theta[0]
    var beta = Array(theta[1...])
    var (objective, gradB, gradBeta) = start
    var evaluations = 1
    var iterations = 0
    var norm = max(abs(gradB), gradBeta.map(abs).max() ?? 0)
    let tolerance = gradientTolerance * p.totalWeight
    while norm > tolerance && iterations < maxIterations {
      let hessian = p.hessian(b: b, beta: beta)
      let step: [Double]
      do { step = try hessian.solvePositiveDefinite([gradB] + gradBeta) } catch let LinearAlgebraError.notPositiveDefinite(_, minor) {
        throw LogisticRegressionError.collinear(column: minor >= 2 ? names[minor - 2] : "(intercept)")
      }
      var scale = 1.0
      var accepted = false
      var predicted = gradB * step[0]
      for j in 0..<d { predicted += gradBeta[j] * step[j + 1] }
      for _ in 0..<50 {
        let candidateB = b - scale * step[0]
        let candidate = (0..<d).map { beta[$0] - scale * step[$0 + 1] }
        let value = p.objective(b: candidateB, beta: candidate)
        evaluations += 1
        // Armijo, or a full step that changes the objective only at rounding level (near the optimum).
        if value <= objective - 1e-4 * scale * predicted || (scale == 1 && value - objective <= 1e-12 * abs(objective)) {
          b = candidateB
          beta = candidate
          accepted = true
          break
        }
        scale /= 2
      }
      iterations += 1
      (objective, gradB, gradBeta) = p.evaluate(b: b, beta: beta)
      evaluations += 1
      norm = max(abs(gradB), gradBeta.map(abs).max() ?? 0)
      if !accepted { break }
    }
    return SolverResult(b: b, beta: beta, objective: objective, gradientNorm: norm, iterations: iterations,
                        evaluations: evaluations, converged: norm <= tolerance)
  }

  // MARK: L-BFGS and OWL-QN

  /// L-BFGS (memory 10) with a backtracking line search under the Armijo condition; with
  /// `l1 > 0` the OWL-QN variant: the pseudo-gradient of the L1 term, directions and steps
  /// kept in the orthant of the current point (Andrew & Gao 2007). The intercept (index 0) is
  /// never L1-penalized. Starts at `start` (intercept first), where the problem evaluates to
  /// `evaluation`, with the curvature pairs `memory`; returns the solution and the pairs it
  /// ends with.
  func lbfgs(_ p: LogisticProblem, from start: [Double], start evaluation: LogisticProblem.Evaluation,
             memory: CurvaturePairs = CurvaturePairs(), l1: Double, tolerance: Double) -> (SolverResult, CurvaturePairs) {
    let m = 10
    var theta = start
    func total(_ smooth: Double, _ t: [Double]) -> Double {
      var penalty = 0.0
      if l1 > 0 { for j in 1..<t.count { penalty += abs(t[j]) } }
      return smooth + l1 * penalty
    }
    func pseudoGradient(_ g: [Double], _ t: [Double]) -> [Double] {
      guard l1 > 0 else { return g }
      var pg = g
      for j in 1..<t.count {
        if t[j] > 0 { pg[j] = g[j] + l1 } else if t[j] < 0 { pg[j] = g[j] - l1 } else if g[j] + l1 < 0 { pg[j] = g[j] + l1 } else if g[j] - l1 > 0 {
          pg[j] = g[j] - l1
        } else {
          pg[j] = 0
        }
      }
      return pg
    }
    var (smooth, gb, gbeta) = evaluation
    var g = [gb] + gbeta
    var f = total(smooth, theta)
    var pg = pseudoGradient(g, theta)
    var evaluations = 1
    var iterations = 0
    var sList = memory.s, yList = memory.y, rhoList = memory.rho
    var norm = pg.map(abs).max() ?? 0
    while norm > tolerance && iterations < maxIterations {
      // Two-loop recursion: direction = −H·pg.
      var q = pg
      var alphas = [Double](repeating: 0, count: sList.count)
      for k in stride(from: sList.count - 1, through: 0, by: -1) {
        alphas[k] = rhoList[k] * dot(sList[k], q)
        for j in 0..<q.count { q[j] -= alphas[k] * yList[k][j] }
      }
      if let lastS = sList.last, let lastY = yList.last {
        let gamma = dot(lastS, lastY) / dot(lastY, lastY)
        for j in 0..<q.count { q[j] *= gamma }
      } else {
        let scale = 1 / max(norm, 1e-300)
        for j in 0..<q.count { q[j] *= min(1, scale) }
      }
      for k in 0..<sList.count {
        let beta = rhoList[k] * dot(yList[k], q)
        for j in 0..<q.count { q[j] += sList[k][j] * (alphas[k] - beta) }
      }
      var direction = q.map { -$0 }
      if l1 > 0 {
        // Keep the direction where it descends the pseudo-gradient.
        for j in 1..<direction.count where direction[j] * pg[j] >= 0 { direction[j] = 0 }
      }
      var slope = dot(direction, pg)
      if slope >= 0 {
        direction = pg.map { -$0 }
        slope = dot(direction, pg)
        sList.removeAll(); yList.removeAll(); rhoList.removeAll()
      }
      // The orthant to stay in (OWL-QN): the sign of each coordinate, or of −pg where it is 0.
      let orthant = l1 > 0 ? (0..<theta.count).map { j -> Double in j == 0 ? 0 : (theta[j] != 0 ? (theta[j] > 0 ? 1 : -1) : (pg[j] < 0 ? 1 : -1)) } : []
      var step = 1.0
      var next = theta
      var nextF = f, nextSmooth = smooth, nextG = g
      var accepted = false
      for _ in 0..<60 {
        for j in 0..<theta.count { next[j] = theta[j] + step * direction[j] }
        if l1 > 0 { for j in 1..<next.count where next[j] * orthant[j] <= 0 { next[j] = 0 } }
        let evaluated = p.evaluate(b: next[0], beta: Array(next[1...]))
        evaluations += 1
        nextSmooth = evaluated.0
        nextF = total(nextSmooth, next)
        var decrease = 0.0
        for j in 0..<theta.count { decrease += pg[j] * (next[j] - theta[j]) }
        if nextF <= f + 1e-4 * decrease {
          nextG = [evaluated.1] + evaluated.2
          accepted = true
          break
        }
        // Near the optimum the objective changes below its rounding error; accept a step that
        // keeps it within rounding and shrinks the gradient.
        if nextF - f <= 1e-12 * abs(f) {
          let candidateG = [evaluated.1] + evaluated.2
          if (pseudoGradient(candidateG, next).map(abs).max() ?? 0) < norm {
            nextG = candidateG
            accepted = true
            break
          }
        }
        step *= 0.5
      }
      iterations += 1
      guard accepted else { break }
      let s = (0..<theta.count).map { next[$0] - theta[$0] }
      let y = (0..<theta.count).map { nextG[$0] - g[$0] }
      let sy = dot(s, y)
      if sy > 1e-12 * dot(y, y) {
        sList.append(s); yList.append(y); rhoList.append(1 / sy)
        if sList.count > m { sList.removeFirst(); yList.removeFirst(); rhoList.removeFirst() }
      }
      let improvement = f - nextF
      theta = next
      f = nextF
      smooth = nextSmooth
      g = nextG
      pg = pseudoGradient(g, theta)
      norm = pg.map(abs).max() ?? 0
      if improvement < -1e-12 * max(1, abs(f)) { break }
    }
    return (SolverResult(b: theta[0], beta: Array(theta[1...]), objective: f, gradientNorm: norm, iterations: iterations,
                         evaluations: evaluations, converged: norm <= tolerance),
            CurvaturePairs(s: sList, y: yList, rho: rhoList))
  }

  /// L-BFGS memory: steps s, gradient changes y and 1/(s·y), oldest first.
  struct CurvaturePairs {
    var s: [[Double]] = []
    var y: [[Double]] = []
    var rho: [Double] = []
  }
}

@inline(__always)
func dot(_ a: [Double], _ b: [Double]) -> Double {
  var s = 0.0
  for i in 0..<a.count { s += a[i] * b[i] }
  return s
}

@inline(__always)
func sigmoid(_ x: Double) -> Double {
  x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
}

/// The smooth part of the objective on one data set, evaluated in one read of X.
struct LogisticProblem: @unchecked Sendable {
  let x: Matrix
  let y: [Double]
  let s: [Double]
  let l2: Double
  let threads: Int
  let totalWeight: Double
  /// log-odds of the weighted churn rate: the optimum when β = 0.
  let initialIntercept: Double

  init(x: Matrix, y: [Double], s: [Double], l2: Double, threads: Int) {
    self.x = x
    self.y = y
    self.s = s
    self.l2 = l2
    self.threads = threads
    totalWeight = s.reduce(0, +)
    let positive = zip(y, s).reduce(0.0) { $0 + $1.0 * $1.1 }
    let rate = min(max(positive / totalWeight, 1e-12), 1 - 1e-12)
    initialIntercept = log(rate / (1 - rate))
  }

  typealias Evaluation = (objective: Double, gradB: Double, gradBeta: [Double])

  /// Smooth objective (log loss + L2) and its gradient in b and β.
  func evaluate(b: Double, beta: [Double]) -> Evaluation {
    let result = y.withUnsafeBufferPointer { yp in
      s.withUnsafeBufferPointer { sp in
        // The pointers outlive the pass: the arrays belong to self.
        nonisolated(unsafe) let labels = yp, weights = sp
        return x.fusedGradient(beta, threads: threads) { rows, z in
          LogisticLoss.residuals(z: z, intercept: b, labels: labels.baseAddress! + rows.lowerBound,
                                 weights: weights.baseAddress! + rows.lowerBound)
        }
      }
    }
    var gradient = result.gradient
    var penalty = 0.0
    for j in 0..<beta.count {
      gradient[j] += l2 * beta[j]
      penalty += beta[j] * beta[j]
    }
    return (result.total + 0.5 * l2 * penalty, result.residualSum, gradient)
  }

  func objective(b: Double, beta: [Double]) -> Double { evaluate(b: b, beta: beta).0 }

  /// The same objective on rows 0, k, 2k, …, their weights scaled so that the loss keeps its
  /// total weight (and so its size next to the penalty).
  func subsample(stride k: Int) -> LogisticProblem {
    let d = x.columns
    let picked = Swift.stride(from: 0, to: x.rows, by: k)
    let rows = x.rows == 0 ? 0 : (x.rows + k - 1) / k
    var storage = [Double]()
    storage.reserveCapacity(rows * d)
    x.storage.withUnsafeBufferPointer { xs in
      switch x.layout {
      case .rowMajor:
        for i in picked { storage.append(contentsOf: UnsafeBufferPointer(rebasing: xs[(i * d)..<((i + 1) * d)])) }
      case .columnMajor:
        // The subsample in the same layout, column by column.
        storage = [Double](unsafeUninitializedCapacity: rows * d) { out, count in
          var o = 0
          for j in 0..<d {
            let column = xs.baseAddress! + j * x.rows
            for i in picked {
              out[o] = column[i]
              o += 1
            }
          }
          count = o
        }
      }
    }
    let subWeights = picked.map { s[$0] }
    let scale = totalWeight / max(subWeights.reduce(0, +), .leastNormalMagnitude)
    return LogisticProblem(x: Matrix(rows: rows, columns: d, storage: storage, layout: x.layout), y: picked.map { y[$0] },
                           s: subWeights.map { $0 * scale }, l2: l2, threads: threads)
  }

  /// The Hessian in (b, β): [[Σw, (Xᵀw)ᵀ], [Xᵀw, XᵀWX + λ₂I]] with wᵢ = sᵢ·pᵢ·(1 − pᵢ).
  func hessian(b: Double, beta: [Double]) -> Matrix {
    let d = x.columns
    let eta = x.multiply(beta)
    var w = [Double](repeating: 0, count: x.rows)
    for i in 0..<x.rows {
      let p = sigmoid(eta[i] + b)
      w[i] = s[i] * p * (1 - p)
    }
    let gram = x.weightedGram(weights: w)
    let cross = x.transposeMultiply(w)
    var h = Matrix(rows: d + 1, columns: d + 1)
    h[0, 0] = w.reduce(0, +)
    for j in 0..<d {
      h[0, j + 1] = cross[j]
      h[j + 1, 0] = cross[j]
      for k in 0..<d { h[j + 1, k + 1] = gram[j, k] }
      h[j + 1, j + 1] += l2
    }
    return h
  }
}
