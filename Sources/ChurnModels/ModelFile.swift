import ChurnCore
import Foundation

/// A trained churn model as one self-describing JSON file: what it is, what it was trained
/// on, and everything needed to score new rows the same way. Loading checks the format and
/// version and never executes anything.
public struct ModelFile: Sendable, Equatable, Codable {
  public static let formatName = "churn-model"
  public static let currentVersion = 1

  public enum Kind: String, Sendable, Codable { case logistic, forest }

  /// How the training went, for the record and for drift checks later.
  public struct TrainingSummary: Sendable, Equatable, Codable {
    public var rows: Int
    public var churned: Int
    public var churnRate: Double
    /// FNV-1a over the training table's ids, labels and values: the same data gives the same fingerprint.
    public var dataFingerprint: String
    public var notes: [String]

    public init(rows: Int, churned: Int, dataFingerprint: String, notes: [String]) {
      self.rows = rows
      self.churned = churned
      churnRate = rows > 0 ? Double(churned) / Double(rows) : .nan
      self.dataFingerprint = dataFingerprint
      self.notes = notes
    }
  }

  /// How the training rows were observed, for models trained from an event log: scoring
  /// recomputes the same features at its `--as-of` date with the same rules.
  public struct EventSettings: Sendable, Equatable, Codable {
    public var horizon: String
    public var activeWindow: String?
    public var activityTypes: [String]?
    /// Labels came from the customer table's churn dates (else inactivity).
    public var contractual: Bool
    public var trainingCutoffs: [String]
    public var holdoutCutoff: String?
    public var customerColumn: String
    public var timestampColumn: String
    public var eventTypeColumn: String
    public var valueColumn: String
    public var signupColumn: String
    public var churnDateColumn: String

    public init(horizon: String, activeWindow: String?, activityTypes: [String]?, contractual: Bool, trainingCutoffs: [String],
                holdoutCutoff: String?, customerColumn: String, timestampColumn: String, eventTypeColumn: String, valueColumn: String,
                signupColumn: String, churnDateColumn: String) {
      self.horizon = horizon
      self.activeWindow = activeWindow
      self.activityTypes = activityTypes
      self.contractual = contractual
      self.trainingCutoffs = trainingCutoffs
      self.holdoutCutoff = holdoutCutoff
      self.customerColumn = customerColumn
      self.timestampColumn = timestampColumn
      self.eventTypeColumn = eventTypeColumn
      self.valueColumn = valueColumn
      self.signupColumn = signupColumn
      self.churnDateColumn = churnDateColumn
    }
  }

  public var format = ModelFile.formatName
  public var formatVersion = ModelFile.currentVersion
  public var churnVersion: String
  public var kind: Kind
  /// Column names of the training table.
  public var idColumn: String
  public var labelColumn: String
  public var preprocessor: FittedPreprocessor
  public var logistic: LogisticModel?
  public var forest: ForestModel?
  public var training: TrainingSummary
  /// Validation metrics by name (for example `holdout_auc`).
  public var validation: [String: Double]
  /// The features to compute from an event log (models trained with --events).
  public var featureSpec: FeatureSpec?
  public var events: EventSettings?
  /// Red / yellow / green cut points.
  public var riskBands: RiskBands?
  /// Training distributions of every input column, for drift checks at scoring.
  public var driftReferences: [DriftReference]?
  /// Training distribution of the model's score.
  public var scoreReference: DriftReference?
  /// Prior correction (class weights) and calibration map applied to the model's probabilities.
  public var calibration: Calibration?
  /// What `--tune` compared and chose.
  public var tuning: TuningRecord?
  /// Per-fold metrics of the backtest run at training (out-of-time or out-of-fold).
  public var backtest: [FoldMetrics]?
  /// Permutation importance of each input column on held-out rows.
  public var permutationImportance: PermutationImportance?
  /// Held-out predictions and outcomes (the holdout cutoff, holdout ids or out-of-fold rows;
  /// at most 20,000, a seeded sample beyond), for the report's curves.
  public var holdoutPredictions: HeldOut?

  public struct HeldOut: Sendable, Equatable, Codable {
    public var source: String
    public var probabilities: [Double]
    public var labels: [Double]

    /// Keeps at most `limit` (probability, label) pairs: a seeded sample of rows beyond that.
    public init(source: String, probabilities: [Double], labels: [Double], limit: Int = 20_000, seed: UInt64 = 1) {
      self.source = source
      if probabilities.count <= limit {
        self.probabilities = probabilities
        self.labels = labels
      } else {
        var rng = SeededGenerator(seed: seed, stream: 0x5A3)
        var rows = Array(probabilities.indices)
        rows.shuffle(using: &rng)
        let kept = rows.prefix(limit).sorted()
        self.probabilities = kept.map { probabilities[$0] }
        self.labels = kept.map { labels[$0] }
        self.source += " (a sample of \(limit) of \(probabilities.count) rows)"
      }
    }
  }

  /// A candidate of `--tune` and its backtest score.
  public struct TuningRecord: Sendable, Equatable, Codable {
    public struct Candidate: Sendable, Equatable, Codable {
      public var settings: String
      public var meanLogLoss: Double
      public var meanAUC: Double

      public init(settings: String, meanLogLoss: Double, meanAUC: Double) {
        self.settings = settings
        self.meanLogLoss = meanLogLoss
        self.meanAUC = meanAUC
      }
    }
    /// "log_loss" or "auc".
    public var metric: String
    public var folds: [String]
    public var candidates: [Candidate]
    public var chosen: String
    public var reason: String

    public init(metric: String, folds: [String], candidates: [Candidate], chosen: String, reason: String) {
      self.metric = metric
      self.folds = folds
      self.candidates = candidates
      self.chosen = chosen
      self.reason = reason
    }
  }

  /// One backtest fold's measurements, as stored in the model.
  public struct FoldMetrics: Sendable, Equatable, Codable {
    public var fold: String
    public var trainingRows: Int
    public var testRows: Int
    public var churnRate: Double
    public var metrics: [String: Double]

    public init(fold: String, trainingRows: Int, testRows: Int, churnRate: Double, metrics: [String: Double]) {
      self.fold = fold
      self.trainingRows = trainingRows
      self.testRows = testRows
      self.churnRate = churnRate
      self.metrics = metrics
    }
  }

  /// Training-time distributions of the input columns of `table`.
  public static func driftReferences(_ table: FeatureTable) -> [DriftReference] {
    zip(table.columnNames, table.columns).map { name, column in
      switch column {
      case .numeric(let v): return DriftReference.numeric(name, v)
      case .categorical(let v): return DriftReference.categorical(name, v)
      }
    }
  }

  /// The population stability index of each input column of `table` and of `scores` against
  /// the training references, largest first.
  public func drift(_ table: FeatureTable, scores: [Double]) -> [(column: String, psi: Double)] {
    var out: [(String, Double)] = []
    let index = Dictionary(zip(table.columnNames, table.columns.indices), uniquingKeysWith: { a, _ in a })
    for reference in driftReferences ?? [] {
      guard let k = index[reference.column] else { continue }
      switch table.columns[k] {
      case .numeric(let v): out.append((reference.column, reference.stability(numeric: v)))
      case .categorical(let v): out.append((reference.column, reference.stability(categorical: v)))
      }
    }
    if let scoreReference { out.append(("(churn score)", scoreReference.stability(numeric: scores))) }
    return out.sorted { $0.1 > $1.1 }
  }

  /// A model file for a trained model, with its prior correction when it has one.
  public init(churnVersion: String, idColumn: String, labelColumn: String, trained: TrainedModel, training: TrainingSummary,
              validation: [String: Double] = [:]) {
    self.init(churnVersion: churnVersion, idColumn: idColumn, labelColumn: labelColumn, preprocessor: trained.preprocessor,
              logistic: trained.logistic, forest: trained.forest, training: training, validation: validation)
    if trained.priorShift != 0 { calibration = Calibration(priorShift: trained.priorShift) }
  }

  public init(churnVersion: String, idColumn: String, labelColumn: String, preprocessor: FittedPreprocessor,
              logistic: LogisticModel? = nil, forest: ForestModel? = nil, training: TrainingSummary, validation: [String: Double] = [:]) {
    precondition((logistic == nil) != (forest == nil), "a model file holds exactly one model")
    self.churnVersion = churnVersion
    kind = logistic != nil ? .logistic : .forest
    self.forest = forest
    self.idColumn = idColumn
    self.labelColumn = labelColumn
    self.preprocessor = preprocessor
    self.logistic = logistic
    self.training = training
    self.validation = validation
  }

  /// Churn probabilities for the rows of `table`, through the saved preprocessing, the model
  /// and the saved calibration (prior correction, then any calibration map).
  ///
  /// - Throws: `PreprocessingError` when the table lacks a training column or a column changed kind.
  public func probabilities(_ table: FeatureTable) throws -> [Double] {
    calibration.apply(rawProbabilities(try preprocessor.transform(table)))
  }

  /// The model's own probabilities for preprocessed rows, before calibration.
  public func rawProbabilities(_ x: Matrix) -> [Double] {
    switch kind {
    case .logistic: return logistic!.probabilities(x)
    case .forest: return forest!.probabilities(x)
    }
  }

  /// Writes the model atomically as pretty-printed JSON with sorted keys.
  public func write(to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let data = try encoder.encode(self)
    try OutputFile.write(String(decoding: data, as: UTF8.self) + "\n", to: path)
  }

  /// Reads and checks a model file.
  ///
  /// - Throws: `ModelFileError` for a missing, truncated, corrupt, foreign or newer file.
  public static func read(path: String) throws -> ModelFile {
    guard let data = FileManager.default.contents(atPath: path) else { throw ModelFileError.unreadable(path: path) }
    struct Header: Decodable {
      var format: String?
      var formatVersion: Int?
    }
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    guard let header = try? decoder.decode(Header.self, from: data) else {
      throw ModelFileError.notJSON(path: path, bytes: data.count)
    }
    guard header.format == formatName else { throw ModelFileError.notAModel(path: path) }
    guard let version = header.formatVersion, version <= currentVersion else {
      throw ModelFileError.newerVersion(path: path, version: header.formatVersion ?? -1, supported: currentVersion)
    }
    do {
      let model = try decoder.decode(ModelFile.self, from: data)
      switch model.kind {
      case .logistic:
        guard let logistic = model.logistic, logistic.coefficients.count == model.preprocessor.outputNames.count else {
          throw ModelFileError.inconsistent(path: path, detail: "the logistic coefficients do not match the preprocessing's columns")
        }
      case .forest:
        guard let forest = model.forest, forest.featureNames.count == model.preprocessor.outputNames.count, !forest.trees.isEmpty else {
          throw ModelFileError.inconsistent(path: path, detail: "the forest does not match the preprocessing's columns")
        }
        for (t, tree) in forest.trees.enumerated() where !Self.wellFormed(tree, features: forest.featureNames.count) {
          throw ModelFileError.inconsistent(path: path, detail: "tree \(t) has nodes that point outside it")
        }
      }
      if let c = model.calibration, let problem = c.problem {
        throw ModelFileError.inconsistent(path: path, detail: "calibration: \(problem)")
      }
      return model
    } catch let error as ModelFileError {
      throw error
    } catch {
      throw ModelFileError.inconsistent(path: path, detail: "\(error)")
    }
  }

  /// Whether every array of `tree` has one entry per node and every split points forward, inside the tree.
  static func wellFormed(_ tree: DecisionTree, features: Int) -> Bool {
    let n = tree.nodeCount
    guard n > 0, tree.threshold.count == n, tree.left.count == n, tree.right.count == n, tree.value.count == n else { return false }
    for k in 0..<n where tree.feature[k] >= 0 {
      let l = Int(tree.left[k]), r = Int(tree.right[k])
      if Int(tree.feature[k]) >= features || l <= k || l >= n || r <= k || r >= n { return false }
    }
    return true
  }

  /// FNV-1a, 64 bits, over a table's ids, labels and values (hex).
  public static func fingerprint(_ table: FeatureTable) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    func mix(_ bytes: some Sequence<UInt8>) {
      for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x0000_0100_0000_01B3
      }
    }
    for id in table.ids { mix(id.utf8) }
    for label in table.labels ?? [] { withUnsafeBytes(of: label.bitPattern) { mix($0) } }
    for (name, column) in zip(table.columnNames, table.columns) {
      mix(name.utf8)
      switch column {
      case .numeric(let v): for x in v { withUnsafeBytes(of: x.bitPattern) { mix($0) } }
      case .categorical(let v): for x in v { mix((x ?? "\u{0}").utf8) }
      }
    }
    return String(h, radix: 16)
  }
}

/// A model file that cannot be used, and why.
public enum ModelFileError: Error, Equatable, CustomStringConvertible {
  case unreadable(path: String)
  case notJSON(path: String, bytes: Int)
  case notAModel(path: String)
  case newerVersion(path: String, version: Int, supported: Int)
  case inconsistent(path: String, detail: String)

  public var description: String {
    switch self {
    case .unreadable(let path): return "cannot read model file \(path): no such file or not readable"
    case .notJSON(let path, let bytes):
      return "model file \(path) (\(bytes) bytes) is not valid JSON: truncated or corrupt; train the model again"
    case .notAModel(let path): return "\(path) is JSON but not a churn model file (no \"format\": \"churn-model\")"
    case .newerVersion(let path, let version, let supported):
      return "model file \(path) has format version \(version); this churn reads versions up to \(supported): upgrade churn"
    case .inconsistent(let path, let detail): return "model file \(path) is damaged: \(detail)"
    }
  }
}
