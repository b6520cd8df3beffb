import ChurnCore

/// One train/test split of a backtest.
public struct Fold: Sendable, Equatable {
  /// "2025-06-01" for a time fold, "fold 3 of 5" for a k-fold split.
  public var name: String
  /// Training and test rows of the table the folds were made from.
  public var train: [Int]
  public var test: [Int]
  /// Time folds: the test cutoff, and the instant by which the test rows' labels are known
  /// (cutoff + horizon). A later fold may learn from this fold's outcomes only from then on.
  public var testCutoff: Int64?
  public var labelsKnownAt: Int64?

  /// Whether this fold's test outcomes were known when `later` was cut, so a calibration map
  /// for `later` may be fitted on them: for time folds when its labels were known by the later
  /// cutoff; for k-fold splits every other fold.
  public func precedes(_ later: Fold) -> Bool {
    if let known = labelsKnownAt, let cutoff = later.testCutoff { return known <= cutoff }
    return later.testCutoff == nil && testCutoff == nil && name != later.name
  }
}

public enum Folds {
  /// Time-ordered folds with a purge gap. For each test cutoff c (each distinct cutoff with
  /// labelled rows, or those in `testCutoffs`): the test rows are the labelled rows at c, the
  /// training rows every labelled row whose label window has closed by c, that is
  /// `labelWindowEnd(cutoff) ≤ c`. So no training row's features or label use anything on or
  /// after c; a customer's earlier rows may train (they are the past). Cutoffs with no such
  /// training rows, or whose training or test rows hold one class only, are skipped.
  ///
  /// - Parameters:
  ///   - cutoffs: each row's cutoff (ms); labels NaN where unknown.
  ///   - labelWindowEnd: cutoff + horizon.
  public static func timeOrdered(cutoffs: [Int64], labels: [Double], labelWindowEnd: (Int64) -> Int64,
                                 testCutoffs: [Int64]? = nil) -> [Fold] {
    let labelled = labels.indices.filter { !labels[$0].isNaN }
    let candidates = testCutoffs ?? Array(Set(labelled.map { cutoffs[$0] })).sorted()
    var folds: [Fold] = []
    for c in candidates.sorted() {
      let test = labelled.filter { cutoffs[$0] == c }
      let train = labelled.filter { labelWindowEnd(cutoffs[$0]) <= c }
      guard bothClasses(test, labels), bothClasses(train, labels) else { continue }
      folds.append(Fold(name: UTCTime.formatDate(milliseconds: c), train: train, test: test, testCutoff: c, labelsKnownAt: labelWindowEnd(c)))
    }
    return folds
  }

  /// Stratified k-fold cross-validation for a static table: churners and retained customers
  /// each shuffled with a generator seeded by `seed` and dealt round-robin into `k` folds, so
  /// every fold has the overall churn rate (± one row). Rows with unknown labels are left out.
  ///
  /// - Throws: `FoldError.tooFewFolds` for k < 2; `FoldError.classTooSmall` when a class has
  ///   fewer than k labelled rows (some fold would test on one class only), before any fold is
  ///   made, so a backtest fails before it fits anything.
  public static func stratified(labels: [Double], k: Int, seed: UInt64) throws -> [Fold] {
    guard k >= 2 else { throw FoldError.tooFewFolds(k) }
    let churned = labels.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }
    let retained = labels.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
    guard min(churned, retained) >= k else { throw FoldError.classTooSmall(folds: k, churned: churned, retained: retained) }
    var rng = SeededGenerator(seed: seed, stream: 0xF01D)
    var assignment = [Int](repeating: -1, count: labels.count)
    var next = 0
    for cls in [1.0, 0.0] {
      var rows = labels.indices.filter { labels[$0] == cls }
      rows.shuffle(using: &rng)
      for r in rows {
        assignment[r] = next % k
        next += 1
      }
    }
    return (0..<k).map { f in
      Fold(name: "fold \(f + 1) of \(k)", train: labels.indices.filter { assignment[$0] >= 0 && assignment[$0] != f },
           test: labels.indices.filter { assignment[$0] == f })
    }
  }

  static func bothClasses(_ rows: [Int], _ labels: [Double]) -> Bool {
    var seen = (false, false)
    for r in rows {
      if labels[r] == 1 { seen.0 = true } else { seen.1 = true }
      if seen.0 && seen.1 { return true }
    }
    return false
  }
}

/// Folds that cannot be made from the labels at hand.
public enum FoldError: Error, Equatable, CustomStringConvertible {
  /// k-fold cross-validation with k < 2.
  case tooFewFolds(Int)
  /// A class with fewer labelled rows than folds: some fold would have none of it.
  case classTooSmall(folds: Int, churned: Int, retained: Int)
  /// `--calibrate` or `--tune` (`purpose`) on an event log that gives no out-of-time fold:
  /// `cutoffs` labelled cutoffs holding `churned` and `retained` labelled rows in all.
  case noTimeFolds(purpose: String, cutoffs: Int, churned: Int, retained: Int)

  public var description: String {
    switch self {
    case .tooFewFolds(let k): return "k-fold cross-validation needs at least 2 folds, got \(k); use --folds 2 or more"
    case .classTooSmall(let k, let churned, let retained):
      let smaller = min(churned, retained)
      let fix = smaller >= 2 ? "use at most \(smaller) folds (--folds \(smaller)) or more labelled rows"
        : "cross-validation needs at least 2 rows of each class: add labelled rows"
      return "cannot make \(k) stratified folds: the labelled rows hold \(churned) churned and \(retained) retained customers, "
        + "and every fold needs at least one of each to train and test on; \(fix)"
    case .noTimeFolds(let purpose, let cutoffs, let churned, let retained):
      let held = "the labelled rows (\(cutoffs) \(cutoffs == 1 ? "cutoff" : "cutoffs")) hold \(churned) churned and \(retained) retained rows"
      let fix = churned == 0 || retained == 0
        ? "label windows that see both churned and retained customers (another --horizon or later data), or leave out \(purpose)"
        : "more cutoffs reaching further back than the horizon (--cutoffs FROM:TO:STEP), or leave out \(purpose)"
      return "\(purpose) needs out-of-time folds: a cutoff with both classes and earlier rows, also with both classes, whose label window "
        + "closed by that cutoff; none exists: \(held); fix: \(fix)"
    }
  }
}

/// Out-of-sample predictions of one fold.
public struct FoldPredictions: Sendable {
  public var fold: Fold
  public var ids: [String]
  public var labels: [Double]
  /// The fold model's probabilities (prior correction applied).
  public var probabilities: [Double]
  /// After a calibration map fitted on earlier folds' predictions, when asked for and available.
  public var calibrated: [Double]?
  public var calibration: Calibration?
  public var trainingRows: Int
  /// What the fold's model was fitted with.
  public var settings: ModelSettings
  /// The fold's fitted model, kept for the last fold only (for permutation importance on its test rows).
  public var model: TrainedModel?
}

public enum Backtest {
  /// Fits `settings` on each fold's training rows and predicts its test rows. With
  /// `calibrate`, each fold's predictions are also calibrated with a map fitted on the
  /// predictions of the folds that precede it (`Fold.precedes`), so the map, like the model,
  /// learned nothing from on or after the fold's cutoff; folds with no such predictions (the
  /// first) stay uncalibrated.
  ///
  /// - Parameter progress: called after each fold with (folds done, folds).
  public static func run(_ table: FeatureTable, folds: [Fold], settings: ModelSettings, calibrate: Calibration.Method? = nil,
                         progress: ((Int, Int) -> Void)? = nil) throws -> [FoldPredictions] {
    try run(table, folds: folds, settings: { _ in settings }, calibrate: calibrate, progress: progress)
  }

  /// The same with settings chosen per fold (nested tuning: `settings` may look only at what
  /// precedes the fold); each result records the settings it was fitted with.
  public static func run(_ table: FeatureTable, folds: [Fold], settings choose: (Fold) throws -> ModelSettings,
                         calibrate: Calibration.Method? = nil, progress: ((Int, Int) -> Void)? = nil) throws -> [FoldPredictions] {
    var results: [FoldPredictions] = []
    for (k, fold) in folds.enumerated() {
      let training = table.rows(fold.train)
      let settings = try choose(fold)
      let model = try settings.fit(training)
      let test = table.rows(fold.test)
      let p = try model.probabilities(test)
      results.append(FoldPredictions(fold: fold, ids: test.ids, labels: test.labels!, probabilities: p, trainingRows: fold.train.count,
                                     settings: settings,
                                     model: k == folds.count - 1 ? model : nil))
      progress?(k + 1, folds.count)
    }
    guard let method = calibrate else { return results }
    for k in results.indices {
      let earlier = results.filter { $0.fold.precedes(results[k].fold) }
      let p = earlier.flatMap(\.probabilities), y = earlier.flatMap(\.labels)
      var map = Calibration()
      guard (try? map.fit(method, probabilities: p, labels: y, source: "\(earlier.count) earlier folds")) != nil else { continue }
      results[k].calibration = map
      results[k].calibrated = results[k].probabilities.map { map.apply($0) }
    }
    return results
  }
}
