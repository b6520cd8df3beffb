import ChurnCore

/// The valid range of every hyperparameter, one source of truth for `ModelSettings`,
/// `RandomForest`, `LogisticRegression` and the CLI's help. Values outside them are refused
/// before any fitting with a `HyperparameterError`, so none can overflow or trap.
public enum Hyperparameters {
  /// Trees in a forest. 10,000 trees of a 100,000-row table already take gigabytes.
  public static let treeCount = 1...10_000
  /// Rows (bootstrap draws) a leaf must keep. A value above half the training rows leaves
  /// every tree a single leaf (refused after the fit as a model that cannot rank).
  public static let minLeafSize = 1...1_000_000_000
  /// Depth of a tree (the root alone is depth 0, which cannot rank: at least 1).
  public static let maxDepth = 1...10_000
  /// Features tried per split; at fit time also at most the number of model columns.
  public static let featuresPerSplit = 1...1_000_000
  /// λ₂ and λ₁. Above 10¹² every coefficient of any table is 0.
  public static let penalty: ClosedRange<Double> = 0...1e12
  /// Iterations of a logistic solver.
  public static let maxIterations = 1...1_000_000
  /// Convergence tolerance of a logistic solver (relative to the total weight).
  public static let gradientTolerance: ClosedRange<Double> = 1e-16...1e-2
  /// Rows drawn per tree as a fraction of n: (0, 1] without replacement, (0, 10] with.
  public static let sampleFraction: ClosedRange<Double> = Double.leastNonzeroMagnitude...10
  /// Boosting's shrinkage of each tree (LightGBM's `learning_rate`): above 0, at most 1.
  public static let learningRate: ClosedRange<Double> = Double.leastNonzeroMagnitude...1
  /// Leaves of a boosted tree (LightGBM's `num_leaves`; its maximum is 131072).
  public static let maxLeaves = 2...131_072
  /// A boosted leaf's minimum sum of hessians (LightGBM's `min_sum_hessian_in_leaf`).
  public static let minChildHessian: ClosedRange<Double> = 0...1e12
  /// Rows a round draws, or features a boosted tree may split on, as a fraction: (0, 1].
  public static let fraction: ClosedRange<Double> = Double.leastNonzeroMagnitude...1
  /// Threads for fitting.
  public static let threads = 1...1_024

  static func check(_ value: Int, in range: ClosedRange<Int>, flag: String, property: String, fix: String) throws {
    guard range.contains(value) else {
      throw HyperparameterError(flag: flag, property: property, value: "\(value)", expected: "\(range.lowerBound)...\(range.upperBound)", fix: fix)
    }
  }

  static func check(_ value: Double, in range: ClosedRange<Double>, flag: String, property: String, expected: String, fix: String) throws {
    guard range.contains(value) else {  // NaN is in no range
      throw HyperparameterError(flag: flag, property: property, value: "\(value)", expected: expected, fix: fix)
    }
  }
}

/// A hyperparameter outside its valid range (see `Hyperparameters`): which one (its CLI flag and
/// its library name), the value found, the range expected and how to fix it.
public struct HyperparameterError: Error, Equatable, CustomStringConvertible {
  /// The CLI flag ("--min-leaf"), or "" when the setting has none.
  public var flag: String
  /// The library property ("RandomForest.minLeafSize").
  public var property: String
  public var value: String
  public var expected: String
  public var fix: String

  public init(flag: String, property: String, value: String, expected: String, fix: String) {
    self.flag = flag
    self.property = property
    self.value = value
    self.expected = expected
    self.fix = fix
  }

  public var description: String {
    (flag.isEmpty ? property : "\(flag) (\(property))") + " is \(value); expected \(expected); fix: \(fix)"
  }
}
