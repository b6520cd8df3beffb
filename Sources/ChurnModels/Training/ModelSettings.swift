import ChurnCore
import Foundation

/// Everything that decides a fit: the model family and its hyperparameters. One value trains
/// the model of `churn train`, every fold of `churn backtest` and every candidate of `--tune`,
/// so they are fitted the same way.
public struct ModelSettings: Sendable, Equatable, Codable {
  public enum Family: String, Sendable, Codable, CaseIterable { case logistic, forest }

  public var family: Family
  /// Logistic: λ₂ and λ₁.
  public var l2: Double
  public var l1: Double
  public var solver: LogisticRegression.Solver
  /// Logistic: log1p/asinh on columns with skewness above 4.
  public var fatTail: Bool
  /// Forest: trees, minimum leaf size, features per split (nil ⌊√d⌋), maximum depth (nil unlimited).
  public var trees: Int
  public var minLeaf: Int
  public var featuresPerSplit: Int?
  public var maxDepth: Int?
  public var seed: UInt64
  public var classWeight: LogisticRegression.ClassWeight
  /// Threads for fitting (not part of the result: the same seed gives the same model with any count).
  public var threads: Int

  public init(family: Family = .logistic, l2: Double = 1, l1: Double = 0, solver: LogisticRegression.Solver = .auto, fatTail: Bool = true,
              trees: Int = 100, minLeaf: Int = 5, featuresPerSplit: Int? = nil, maxDepth: Int? = nil, seed: UInt64 = 1,
              classWeight: LogisticRegression.ClassWeight = .none, threads: Int = 1) {
    self.family = family
    self.l2 = l2
    self.l1 = l1
    self.solver = solver
    self.fatTail = fatTail
    self.trees = trees
    self.minLeaf = minLeaf
    self.featuresPerSplit = featuresPerSplit
    self.maxDepth = maxDepth
    self.seed = seed
    self.classWeight = classWeight
    self.threads = threads
  }

  /// The hyperparameters that matter for this family, for reports ("l2 = 100", "min leaf 5, 7 features per split").
  public var summary: String {
    switch family {
    case .logistic:
      return "l2 \(String(format: "%g", l2))" + (l1 > 0 ? ", l1 \(String(format: "%g", l1))" : "")
    case .forest:
      return "\(trees) trees, min leaf \(minLeaf), " + (featuresPerSplit.map { "\($0) features per split" } ?? "√d features per split")
        + (maxDepth.map { ", depth ≤ \($0)" } ?? "")
    }
  }

  /// Preprocessing and model fitted on the labelled rows of `table` (every label must be 0 or 1).
  ///
  /// With `balanced` class weights the fit sees as much weight on churners as on the rest, so
  /// its probabilities are inflated. King & Zeng's (2001) prior correction undoes it:
  /// logit p′ = logit p + logit τ − logit ȳ_w, τ the training churn rate, ȳ_w the churners'
  /// share of the total weight (½ when balanced). For the logistic model it is the intercept
  /// correction, kept in `TrainedModel.priorShift` and applied by `ModelFile` at scoring; a
  /// forest's leaf values are corrected in place (each leaf's weighted proportion becomes its
  /// unweighted one), so its trees, and their TreeSHAP values, already give real probabilities.
  ///
  /// - Throws: `HyperparameterError` (see `validate()`) before anything is fitted; the errors of
  ///   the preprocessor and the model family.
  public func fit(_ table: FeatureTable) throws -> TrainedModel {
    try validate()
    guard let labels = table.labels else { preconditionFailure("training needs labels") }
    // Checked before the preprocessor, whose "no column varies" would hide the real cause
    // (no rows, or a single row), and the same for both families.
    guard let first = labels.first else { throw TrainingError.noLabelledRows }
    if labels.allSatisfy({ $0 == first }) { throw LogisticRegressionError.singleClass(rows: labels.count, label: Int(first)) }
    switch family {
    case .forest:
      // Trees need no scaling or fat-tail transform; one-hot and imputation as for the logistic model.
      let preprocessor = try Preprocessor(standardize: false, fatTailTransform: false).fit(table)
      let x = try preprocessor.transform(table)
      let forest = try RandomForest(treeCount: trees, featuresPerSplit: featuresPerSplit, minLeafSize: minLeaf, maxDepth: maxDepth,
                                    classWeight: classWeight, seed: seed, threads: threads)
        .fit(features: x, labels: labels, featureNames: preprocessor.outputNames)
      let shift = classWeight == .balanced ? Calibration.priorShift(labels: labels, weightedChurnShare: 0.5) : 0
      return TrainedModel(settings: self, preprocessor: preprocessor, forest: shift == 0 ? forest : forest.shiftingNodeOdds(by: shift), x: x,
                          priorShift: 0)
    case .logistic:
      let preprocessor = try Preprocessor(fatTailTransform: fatTail).fit(table)
      let x = try preprocessor.transform(table)
      let model = try LogisticRegression(l2Penalty: l2, l1Penalty: l1, classWeight: classWeight, solver: solver, threads: threads)
        .fit(features: x, labels: labels, featureNames: preprocessor.outputNames)
      let shift = classWeight == .balanced ? Calibration.priorShift(labels: labels, weightedChurnShare: 0.5) : 0
      return TrainedModel(settings: self, preprocessor: preprocessor, logistic: model, x: x, priorShift: shift)
    }
  }

  /// The candidates `--tune` compares: λ₂ over six decades for the logistic model (λ₁ instead
  /// when the fit is an L1 fit); minimum leaf size 1, 5, 20, 50 × features per split ½√d, √d,
  /// 2√d for a forest with `columns` input columns.
  public func grid(columns: Int) -> [ModelSettings] {
    switch family {
    case .logistic:
      return [0.01, 0.1, 1, 10, 100, 1000].map { strength in
        var s = self
        if l1 > 0 { s.l1 = strength } else { s.l2 = strength }
        return s
      }
    case .forest:
      let root = max(1, Int(Double(columns).squareRoot()))
      let features = Array(Set([max(1, root / 2), root, min(columns, 2 * root)])).sorted()
      return [1, 5, 20, 50].flatMap { leaf in
        features.map { m in
          var s = self
          s.minLeaf = leaf
          s.featuresPerSplit = m
          return s
        }
      }
    }
  }
}

/// A fitted preprocessing and model, with the training matrix it saw.
public struct TrainedModel: Sendable {
  public var settings: ModelSettings
  public var preprocessor: FittedPreprocessor
  public var logistic: LogisticModel?
  public var forest: ForestModel?
  /// The preprocessed training rows.
  public var x: Matrix
  /// King & Zeng's prior correction in log-odds (0 without class weights).
  public var priorShift: Double

  init(settings: ModelSettings, preprocessor: FittedPreprocessor, logistic: LogisticModel? = nil, forest: ForestModel? = nil, x: Matrix,
       priorShift: Double) {
    self.settings = settings
    self.preprocessor = preprocessor
    self.logistic = logistic
    self.forest = forest
    self.x = x
    self.priorShift = priorShift
  }

  /// The model's own probabilities for preprocessed rows (before any correction).
  public func rawProbabilities(_ m: Matrix) -> [Double] { logistic?.probabilities(m) ?? forest!.probabilities(m) }

  /// Throws when the model gives every training row the same probability (every coefficient
  /// 0 under a strong L1 penalty, every tree a single leaf): such a model cannot rank anyone,
  /// and its risk bands would put every customer in red.
  ///
  /// - Throws: `TrainingError.constantScores`.
  public func checkRanksCustomers() throws {
    let p = rawProbabilities(x)
    guard let first = p.first, p.allSatisfy({ $0 == first }) else { return }
    throw TrainingError.constantScores(rows: p.count, probability: first, family: settings.family)
  }

  /// Probabilities for `table`'s rows with the prior correction applied.
  public func probabilities(_ table: FeatureTable) throws -> [Double] {
    let p = rawProbabilities(try preprocessor.transform(table))
    return priorShift == 0 ? p : p.map { Calibration.shift($0, by: priorShift) }
  }

  /// Probabilities of the training rows (prior correction applied).
  public var trainingProbabilities: [Double] {
    let p = rawProbabilities(x)
    return priorShift == 0 ? p : p.map { Calibration.shift($0, by: priorShift) }
  }
}

/// Rows that no model can be fitted on.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
  case noLabelledRows
  case constantScores(rows: Int, probability: Double, family: ModelSettings.Family)

  public var description: String {
    switch self {
    case .constantScores(let rows, let p, let family):
      return String(format: "the fitted model gives all %d training rows the same probability (%.4f): ", rows, p)
        + (family == .logistic ? "every coefficient is 0, so it cannot rank customers; fix: lower --l1 or --l2"
                               : "every tree is a single leaf, so it cannot rank customers; fix: raise --max-depth or lower --min-leaf")
    case .noLabelledRows: return "no labelled rows to train on: every label is blank (unknown); expected rows labelled 0/1 or yes/no"
    }
  }
}
