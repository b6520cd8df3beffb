import Foundation

/// How a model's probabilities are corrected before anyone reads them: first King & Zeng's
/// prior correction for class weighting, then (optionally) a calibration map fitted on
/// out-of-time or out-of-fold predictions. Stored in the model file, applied at scoring. Both
/// steps are increasing, so they never change the ranking.
public struct Calibration: Sendable, Equatable, Codable {
  public enum Method: String, Sendable, Codable, CaseIterable { case platt, isotonic }

  /// Added to every prediction's log-odds (0: none). See `priorShift(labels:weightedChurnShare:)`.
  public var priorShift: Double
  public var method: Method?
  /// Platt scaling: p′ = σ(a · logit p + b).
  public var plattA: Double?
  public var plattB: Double?
  /// Isotonic regression: increasing steps through (x, y), linear between, flat outside.
  public var isotonicX: [Double]?
  public var isotonicY: [Double]?
  /// Rows the map was fitted on, and where they came from.
  public var fittedOn: Int?
  public var source: String?

  public init(priorShift: Double = 0) { self.priorShift = priorShift }

  /// King & Zeng (2001) prior correction in log-odds: logit τ − logit ȳ_w, where τ is the
  /// churn rate of the training labels and ȳ_w the churners' share of the training weight (½
  /// under `balanced` class weights). Adding it to a weighted model's log-odds undoes the
  /// weighting; for a logistic model it is exactly the intercept correction of their eq. (7).
  public static func priorShift(labels: [Double], weightedChurnShare: Double) -> Double {
    let rate = labels.reduce(0, +) / Double(labels.count)
    return logit(rate) - logit(weightedChurnShare)
  }

  /// What is wrong with a calibration read from a file, or nil when it can be applied.
  public var problem: String? {
    guard priorShift.isFinite else { return "prior shift \(priorShift) is not finite" }
    switch method {
    case nil: return nil
    case .platt:
      guard let a = plattA, let b = plattB, a.isFinite, b.isFinite else { return "Platt scaling needs finite plattA and plattB" }
    case .isotonic:
      guard let x = isotonicX, let y = isotonicY, !x.isEmpty, x.count == y.count else {
        return "isotonic calibration needs isotonicX and isotonicY of one length"
      }
      guard zip(x, x.dropFirst()).allSatisfy({ $0 < $1 }), zip(y, y.dropFirst()).allSatisfy({ $0 <= $1 }),
            y.allSatisfy({ (0...1).contains($0) }) else { return "isotonic steps must increase, with values in [0, 1]" }
    }
    return nil
  }

  /// σ(logit p + shift), exact at 0 and 1.
  public static func shift(_ p: Double, by shift: Double) -> Double {
    if p <= 0 || p >= 1 || shift == 0 { return p }
    return sigmoid(logit(p) + shift)
  }

  static func logit(_ p: Double) -> Double { log(p / (1 - p)) }

  /// The corrected probability for a model's raw probability.
  public func apply(_ raw: Double) -> Double {
    let p = Self.shift(raw, by: priorShift)
    switch method {
    case nil: return p
    case .platt:
      let z = Self.logit(min(max(p, Self.clip), 1 - Self.clip))
      return sigmoid(plattA! * z + plattB!)
    case .isotonic: return Self.interpolate(p, x: isotonicX!, y: isotonicY!)
    }
  }

  /// Probabilities are clipped to [1e-12, 1 − 1e-12] before their logit is taken, so a tree's
  /// 0 or 1 maps to a finite log-odds (±27.6).
  static let clip = 1e-12

  static func interpolate(_ p: Double, x: [Double], y: [Double]) -> Double {
    guard p > x[0] else { return y[0] }
    guard p < x[x.count - 1] else { return y[y.count - 1] }
    var lo = 0, hi = x.count - 1
    while hi - lo > 1 {
      let mid = (lo + hi) / 2
      if x[mid] <= p { lo = mid } else { hi = mid }
    }
    let t = (p - x[lo]) / (x[hi] - x[lo])
    return y[lo] + t * (y[hi] - y[lo])
  }

  /// Fits `method` on (prior-corrected) probabilities and their outcomes.
  ///
  /// - Platt scaling (Platt 1999) on the log-odds: a and b minimize the log loss of
  ///   σ(a · logit pᵢ + b) against Platt's smoothed targets, (n₁ + 1)/(n₁ + 2) for churners and
  ///   1/(n₀ + 2) for the rest (as scikit-learn's sigmoid calibration does), by Newton's method.
  ///   On the log-odds scale the identity map is a = 1, b = 0, so a calibrated model is left alone.
  /// - Isotonic regression: the increasing step function closest in squared error
  ///   (pool-adjacent-violators, tied probabilities pooled first, as scikit-learn's
  ///   `IsotonicRegression(out_of_bounds="clip")`), linear between steps.
  ///
  /// - Throws: `CalibrationError` with fewer than 2 rows or one class only.
  public mutating func fit(_ method: Method, probabilities p: [Double], labels y: [Double], source: String) throws {
    precondition(p.count == y.count)
    let positives = y.filter { $0 == 1 }.count
    guard p.count >= 2, positives > 0, positives < p.count else {
      throw CalibrationError.needsBothClasses(rows: p.count, churned: positives)
    }
    self.method = method
    fittedOn = p.count
    self.source = source
    switch method {
    case .platt:
      let (a, b) = Self.platt(logOdds: p.map { Self.logit(min(max($0, Self.clip), 1 - Self.clip)) }, labels: y, positives: positives)
      plattA = a
      plattB = b
    case .isotonic:
      let (x, fitted) = Self.isotonic(p, y)
      isotonicX = x
      isotonicY = fitted
    }
  }

  static func platt(logOdds z: [Double], labels y: [Double], positives: Int) -> (Double, Double) {
    let hi = (Double(positives) + 1) / (Double(positives) + 2)
    let lo = 1 / (Double(y.count - positives) + 2)
    let t = y.map { $0 == 1 ? hi : lo }
    func loss(_ a: Double, _ b: Double) -> Double {
      var total = 0.0
      for (zi, ti) in zip(z, t) {
        let u = a * zi + b
        // −[t log σ(u) + (1 − t) log(1 − σ(u))] = log(1 + e^u) − t·u, computed stably.
        total += (u > 0 ? u + log1p(exp(-u)) : log1p(exp(u))) - ti * u
      }
      return total
    }
    var a = 1.0, b = 0.0
    var current = loss(a, b)
    for _ in 0..<100 {
      var ga = 0.0, gb = 0.0, haa = 0.0, hab = 0.0, hbb = 0.0
      for (zi, ti) in zip(z, t) {
        let s = sigmoid(a * zi + b)
        let r = s - ti, w = max(s * (1 - s), 1e-300)
        ga += r * zi
        gb += r
        haa += w * zi * zi
        hab += w * zi
        hbb += w
      }
      if max(abs(ga), abs(gb)) < 1e-10 * Double(z.count) { break }
      // Newton step on the 2 × 2 system (with a tiny ridge against a flat direction), halved until the loss falls.
      let ridge = 1e-12 * (haa + hbb)
      let det = (haa + ridge) * (hbb + ridge) - hab * hab
      var da = -((hbb + ridge) * ga - hab * gb) / det
      var db = -((haa + ridge) * gb - hab * ga) / det
      var step = 0
      while step < 40 {
        let trial = loss(a + da, b + db)
        if trial <= current {
          a += da
          b += db
          current = trial
          break
        }
        da /= 2
        db /= 2
        step += 1
      }
      if step == 40 { break }
    }
    return (a, b)
  }

  static func isotonic(_ p: [Double], _ y: [Double]) -> (x: [Double], y: [Double]) {
    let order = p.indices.sorted { p[$0] < p[$1] }
    // Pool tied probabilities first: one point per distinct value, weighted by its count.
    var xs: [Double] = [], means: [Double] = [], weights: [Double] = []
    for i in order {
      if let last = xs.last, last == p[i] {
        let k = xs.count - 1
        means[k] += (y[i] - means[k]) / (weights[k] + 1)
        weights[k] += 1
      } else {
        xs.append(p[i])
        means.append(y[i])
        weights.append(1)
      }
    }
    // Pool adjacent violators: blocks of (mean, weight, first index, last index).
    var blockMean: [Double] = [], blockWeight: [Double] = [], blockEnd: [Int] = []
    for k in xs.indices {
      var m = means[k], w = weights[k]
      while let last = blockMean.last, last >= m {
        let lw = blockWeight.removeLast()
        blockMean.removeLast()
        blockEnd.removeLast()
        m = (last * lw + m * w) / (lw + w)
        w += lw
      }
      blockMean.append(m)
      blockWeight.append(w)
      blockEnd.append(k)
    }
    var fitted = [Double](repeating: 0, count: xs.count)
    var start = 0
    for (b, end) in blockEnd.enumerated() {
      for k in start...end { fitted[k] = blockMean[b] }
      start = end + 1
    }
    return (xs, fitted)
  }
}

/// A calibration map that cannot be fitted.
public enum CalibrationError: Error, Equatable, CustomStringConvertible {
  case needsBothClasses(rows: Int, churned: Int)

  public var description: String {
    switch self {
    case .needsBothClasses(let rows, let churned):
      return "calibration needs out-of-sample predictions with both churned and retained customers; got \(rows) rows, \(churned) churned"
    }
  }
}

extension Optional where Wrapped == Calibration {
  /// Probabilities through the calibration when there is one, unchanged otherwise.
  public func apply(_ raw: [Double]) -> [Double] {
    guard let calibration = self else { return raw }
    return raw.map { calibration.apply($0) }
  }
}
