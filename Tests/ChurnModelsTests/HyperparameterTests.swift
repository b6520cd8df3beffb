import ChurnCore
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// Every hyperparameter of both families, at its edges and past them: a value outside its range
/// is a `HyperparameterError` naming the flag, the property, the value, the range and the fix;
/// none traps (a `--min-leaf` of `Int.max` overflowed `2 * minLeafSize`: Illegal instruction).
@Suite("Hyperparameter ranges")
struct HyperparameterTests {
  let x = randomMatrix(rows: 60, columns: 4, seed: 3)
  var y: [Double] { (0..<60).map { x[$0, 0] + 0.3 * x[$0, 1] > 0 ? 1 : 0 } }

  func forestError(_ forest: RandomForest) -> String? {
    do {
      _ = try forest.fit(features: x, labels: y)
      return nil
    } catch { return (error as? HyperparameterError)?.description ?? "other error: \(error)" }
  }

  func logisticError(_ model: LogisticRegression) -> String? {
    do {
      _ = try model.fit(features: x, labels: y)
      return nil
    } catch { return (error as? HyperparameterError)?.description ?? "other error: \(error)" }
  }

  @Test("Forest settings past their ranges are refused with the range and a fix")
  func forestRanges() {
    #expect(forestError(RandomForest(treeCount: 0)) == "--trees (RandomForest.treeCount) is 0; expected 1...10000; "
      + "fix: use 100 to 1000 trees (100 is the default); more trees only smooth the probabilities")
    #expect(forestError(RandomForest(treeCount: .max)) == "--trees (RandomForest.treeCount) is 9223372036854775807; expected 1...10000; "
      + "fix: use 100 to 1000 trees (100 is the default); more trees only smooth the probabilities")
    for leaf in [0, -3, Int.max, Int.max / 2 + 1] {
      #expect(forestError(RandomForest(treeCount: 3, minLeafSize: leaf)) == "--min-leaf (RandomForest.minLeafSize) is \(leaf); "
        + "expected 1...1000000000; fix: use a value well below half the training rows (5 is the default)")
    }
    for depth in [0, -1, Int.max] {
      #expect(forestError(RandomForest(treeCount: 3, maxDepth: depth)) == "--max-depth (RandomForest.maxDepth) is \(depth); "
        + "expected 1...10000; fix: leave it out for unlimited depth, or give at least 1 (--max-depth=N)")
    }
    for m in [0, -1, 5, Int.max] {
      #expect(forestError(RandomForest(treeCount: 3, featuresPerSplit: m)) == "--features-per-split (RandomForest.featuresPerSplit) is \(m); "
        + "expected 1...4; fix: leave it out for ⌊√d⌋ (2), or give at most the 4 model columns (one per numeric column, missing indicator and categorical level)")
    }
    for fraction in [0, -1, .nan, .infinity, 10.5] {
      #expect(forestError(RandomForest(treeCount: 3, sampleFraction: fraction)) == "RandomForest.sampleFraction is \(fraction); "
        + "expected a fraction in (0, 10] (with bootstrap); fix: use 1 (every tree draws n rows)")
    }
    #expect(forestError(RandomForest(treeCount: 3, sampleFraction: 2, bootstrap: false)) == "RandomForest.sampleFraction is 2.0; "
      + "expected a fraction in (0, 1] (without bootstrap); fix: use 1 (every tree draws n rows)")
    #expect(forestError(RandomForest(treeCount: 3, threads: 0)) == "--threads (RandomForest.threads) is 0; expected 1...1024; fix: use at most the number of cores")
  }

  @Test("Forest settings at the edges of their ranges fit (the largest min leaf gives single-leaf trees, no overflow)")
  func forestEdges() throws {
    for forest in [RandomForest(treeCount: 1, minLeafSize: 1_000_000_000), RandomForest(treeCount: 2, featuresPerSplit: 4, minLeafSize: 1, maxDepth: 1),
                   RandomForest(treeCount: 2, featuresPerSplit: 1, maxDepth: 10_000, seed: .max),
                   RandomForest(treeCount: 2, sampleFraction: 10), RandomForest(treeCount: 2, sampleFraction: 1, bootstrap: false)] {
      let model = try forest.fit(features: x, labels: y)
      for tree in model.trees { tree._checkInvariants() }
      #expect(model.probabilities(x).allSatisfy { $0 >= 0 && $0 <= 1 })
    }
    let oneLeaf = try RandomForest(treeCount: 1, minLeafSize: 1_000_000_000).fit(features: x, labels: y)
    #expect(oneLeaf.trees[0].nodeCount == 1)
    let stump = try RandomForest(treeCount: 1, minLeafSize: 1, maxDepth: 1).fit(features: x, labels: y)
    #expect(stump.trees[0].nodeCount == 3)
  }

  @Test("Logistic settings past their ranges are refused: negative, NaN, infinite and huge penalties; iterations; tolerance")
  func logisticRanges() {
    for value in [-1, .nan, .infinity, -.infinity, 1e308, 1.5e12] {
      #expect(logisticError(LogisticRegression(l2Penalty: value)) == "--l2 (LogisticRegression.l2Penalty) is \(value); "
        + "expected a number in 0...1e12; fix: use 0 (no penalty) to about 1000; --tune picks one")
      #expect(logisticError(LogisticRegression(l2Penalty: 0, l1Penalty: value)) == "--l1 (LogisticRegression.l1Penalty) is \(value); "
        + "expected a number in 0...1e12; fix: use 0 (no penalty) to about 1000; --tune picks one")
    }
    for iterations in [0, -1] {
      #expect(logisticError(LogisticRegression(l2Penalty: 0, maxIterations: iterations)) == "LogisticRegression.maxIterations is \(iterations); "
        + "expected 1...1000000; fix: use 500 (the default)")
    }
    for tolerance in [0, -1, .nan, 1] {
      #expect(logisticError(LogisticRegression(l2Penalty: 0, gradientTolerance: tolerance)) == "LogisticRegression.gradientTolerance is \(tolerance); "
        + "expected a number in 1e-16...0.01; fix: use 1e-10 (the default)")
    }
    #expect(logisticError(LogisticRegression(l2Penalty: 0, threads: 0)) == "--threads (LogisticRegression.threads) is 0; expected 1...1024; fix: use at most the number of cores")
    #expect(logisticError(LogisticRegression(l2Penalty: 0, warmStartSampleRows: 0))
      == "LogisticRegression.warmStartSampleRows is 0; expected 1...9223372036854775807; fix: use 100000 (the default)")
  }

  @Test("Logistic settings at the edges fit: the largest penalty, one iteration, every solver")
  func logisticEdges() throws {
    for model in [LogisticRegression(l2Penalty: 1e12), LogisticRegression(l2Penalty: 1e12, solver: .lbfgs), LogisticRegression(l2Penalty: 0, l1Penalty: 1e12),
                  LogisticRegression(l2Penalty: 1, maxIterations: 1), LogisticRegression(l2Penalty: 1, gradientTolerance: 1e-2)] {
      let fitted = try model.fit(features: x, labels: y)
      #expect(fitted.probabilities(x).allSatisfy { $0.isFinite && $0 > 0 && $0 < 1 })
    }
  }

  @Test("ModelSettings.validate checks the family's hyperparameters and the shared ones, and fit checks before fitting")
  func settings() throws {
    try ModelSettings().validate()
    try ModelSettings(.forest(ForestSpec(treeCount: 10_000, minLeafSize: 1_000_000_000, featuresPerSplit: 1_000_000, maxDepth: 10_000)),
                      seed: .max, threads: 1024).validate()
    try ModelSettings(.logistic(LogisticSpec(l2Penalty: 1e12, l1Penalty: 0))).validate()
    func message(_ s: ModelSettings) -> String? {
      do { try s.validate(); return nil } catch { return "\(error)" }
    }
    #expect(message(ModelSettings(.forest(ForestSpec(treeCount: 0))))
      == "--trees (ForestSpec.treeCount) is 0; expected 1...10000; fix: use 100 to 1000 trees (100 is the default); more trees only smooth the probabilities")
    #expect(message(ModelSettings(.forest(ForestSpec(minLeafSize: .max))))
      == "--min-leaf (ForestSpec.minLeafSize) is 9223372036854775807; expected 1...1000000000; fix: use a value well below half the training rows (5 is the default)")
    #expect(message(ModelSettings(.forest(ForestSpec(featuresPerSplit: 0))))
      == "--features-per-split (ForestSpec.featuresPerSplit) is 0; expected 1...1000000; fix: leave it out for ⌊√d⌋, or give 1 to the number of model columns")
    #expect(message(ModelSettings(.forest(ForestSpec(maxDepth: 0))))
      == "--max-depth (ForestSpec.maxDepth) is 0; expected 1...10000; fix: leave it out for unlimited depth, or give at least 1 (--max-depth=N)")
    #expect(message(ModelSettings(.logistic(LogisticSpec(l2Penalty: .nan))))
      == "--l2 (LogisticSpec.l2Penalty) is nan; expected a number in 0...1e12; fix: use 0 (no penalty) to about 1000; --tune picks one")
    #expect(message(ModelSettings(.logistic(LogisticSpec(l1Penalty: -0.5))))
      == "--l1 (LogisticSpec.l1Penalty) is -0.5; expected a number in 0...1e12; fix: use 0 (no penalty) to about 1000; --tune picks one")
    #expect(message(ModelSettings(threads: 0)) == "--threads (ModelSettings.threads) is 0; expected 1...1024; fix: use at most the number of cores")
    // Every candidate of --tune's grids is itself valid.
    for family in ModelFamily.allCases {
      for columns in [1, 2, 19, 400] {
        for candidate in ModelSettings(family.defaultSpec).grid(columns: columns) { try candidate.validate() }
        for candidate in testSettings(family, l1: 1).grid(columns: columns) { try candidate.validate() }
      }
    }
  }

  @Test("A table without a label column is a TrainingError, not a trap")
  func noLabels() {
    let table = FeatureTable(ids: ["a", "b"], columnNames: ["x"], columns: [.numeric([1, 2])])
    #expect(throws: TrainingError.noLabelColumn) { try ModelSettings().fit(table) }
    #expect(TrainingError.noLabelColumn.description
      == "the table has no label column; expected rows labelled 0/1 or yes/no: name the label column (--label COLUMN)")
  }

  @Test("The defaults live in one place: the specs' initializers, which the CLI's settings use")
  func defaults() {
    #expect(LogisticSpec() == LogisticSpec(l2Penalty: 1, l1Penalty: 0, solver: .auto, fatTailTransform: true))
    #expect(ForestSpec() == ForestSpec(treeCount: 100, minLeafSize: 5, featuresPerSplit: nil, maxDepth: nil))
    #expect(ModelSettings() == ModelSettings(.logistic(LogisticSpec()), classWeight: .none, seed: 1, threads: 1))
    for family in ModelFamily.allCases { #expect(family.defaultSpec.family == family) }
  }

  @Test("Any seed is valid, UInt64.max included: forest, folds and the fit through ModelSettings")
  func seeds() throws {
    for seed in [UInt64(0), .max, .max - 1] {
      let folds = try Folds.stratified(labels: y, k: 3, seed: seed)
      #expect(folds.map(\.test.count).reduce(0, +) == y.count)
      let table = FeatureTable(ids: (0..<60).map { "c\($0)" }, columnNames: ["a", "b"],
                               columns: [.numeric((0..<60).map { x[$0, 0] }), .numeric((0..<60).map { x[$0, 1] })], labels: y)
      let fitted = try testSettings(.forest, trees: 3, minLeaf: 1, seed: seed).fit(table)
      #expect(fitted.trainingProbabilities.allSatisfy { $0 >= 0 && $0 <= 1 })
    }
  }
}
