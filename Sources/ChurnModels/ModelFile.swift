import ChurnCore
import Dispatch
import Foundation

/// A trained churn model as one self-describing JSON file: what it is, what it was trained
/// on, and everything needed to score new rows the same way. Loading checks the format and
/// version and never executes anything.
public struct ModelFile: Sendable {
  public static let formatName = "churn-model"
  public static let currentVersion = 1

  /// How the training went, for the record and for drift checks later.
  public struct TrainingSummary: Sendable, Equatable, Codable {
    public var rows: Int
    public var churned: Int
    public var churnRate: Double
    /// A hash of the training table's ids, labels, column names and values (`ModelFile.fingerprint`):
    /// the same data gives the same fingerprint.
    public var dataFingerprint: String
    public var notes: [String]

    /// The summary of the labelled rows `table` was trained on.
    public init(_ table: FeatureTable, notes: [String]) {
      self.init(rows: table.rowCount, churned: table.churnedCount, dataFingerprint: ModelFile.fingerprint(table), notes: notes)
    }

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
  /// The fitted model, of any family; stored under its family's key (`"logistic": {...}`)
  /// beside `"kind": "<family>"`.
  public var model: any ChurnModel
  /// The model's family (`kind` in the file).
  public var family: ModelFamily { model.family }
  /// Column names of the training table.
  public var idColumn: String
  public var labelColumn: String
  public var preprocessor: FittedPreprocessor
  public var training: TrainingSummary
  /// How the model did on rows it did not see (and on its training rows).
  public var validation: ValidationMetrics
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
  /// Warning rules stored with `churn train --rules` (name, severity, condition as written), which
  /// `churn score` applies without a flag; nil without.
  public var warningRules: [StoredWarningRule]?
  /// The customer-table column naming each customer's owner (`churn train --owner-column`):
  /// never a feature; scoring puts it on every ranked-list row and `churn brief` groups by it.
  public var ownerColumn: String?
  /// A discrete-time survival model (`churn train --survival`): the periods K and how the
  /// period index enters; nil for a fixed-horizon model (and in files written before it).
  public var survival: SurvivalSettings?

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
    public var metrics: MetricSet

    public init(fold: String, trainingRows: Int, testRows: Int, churnRate: Double, metrics: MetricSet) {
      self.fold = fold
      self.trainingRows = trainingRows
      self.testRows = testRows
      self.churnRate = churnRate
      self.metrics = metrics
    }
  }

  /// Training-time distributions of the input columns of `table`.
  ///
  /// - Parameters:
  ///   - deciles: `table`'s numeric columns' deciles and bin counts (`TrainedModel.deciles`),
  ///     taken from the fit's one selection (or sort) of each column; nil (or another
  ///     table's): selected and counted here (`DriftReference.numeric`).
  ///   - threads: columns are measured in parallel, each by one thread (the same references
  ///     with any count).
  public static func driftReferences(_ table: FeatureTable, deciles: ColumnDeciles? = nil, threads: Int = 1) -> [DriftReference] {
    let known = deciles.flatMap { $0.describes(table, threads: threads) ? $0 : nil }
    let names = table.columnNames, columns = table.columns
    final class Slots: @unchecked Sendable {
      var references: [DriftReference?]
      let lock = NSLock()
      init(_ n: Int) { references = Array(repeating: nil, count: n) }
    }
    let slots = Slots(columns.count)
    let workers = max(1, min(threads, columns.count))
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      for c in stride(from: worker, to: columns.count, by: workers) {
        let reference: DriftReference
        switch columns[c] {
        case .numeric(let v): reference = DriftReference.numeric(names[c], v, edges: known?.edges[c], counts: known?.binCounts[c])
        case .categorical(let v): reference = DriftReference.categorical(names[c], v)
        }
        slots.lock.lock()
        slots.references[c] = reference
        slots.lock.unlock()
      }
    }
    return slots.references.map { $0! }
  }

  /// The population stability index of each input column of `table` and of `scores` against
  /// the training references, largest first.
  ///
  /// - Complexity: O(rows × columns), the columns spread over the machine's cores.
  public func drift(_ table: FeatureTable, scores: [Double]) -> [(column: String, psi: Double)] {
    let index = Dictionary(zip(table.columnNames, table.columns.indices), uniquingKeysWith: { a, _ in a })
    let checked = (driftReferences ?? []).compactMap { reference in index[reference.column].map { (reference, $0) } }
    var psi = [Double](repeating: 0, count: checked.count)
    let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, checked.count, table.rowCount / 10_000))
    psi.withUnsafeMutableBufferPointer { buffer in
      nonisolated(unsafe) let psi = buffer  // each worker writes its own elements
      DispatchQueue.concurrentPerform(iterations: workers) { w in
        for c in stride(from: w, to: checked.count, by: workers) {
          let (reference, k) = checked[c]
          switch table.columns[k] {
          case .numeric(let v): psi[c] = reference.stability(numeric: v)
          case .categorical(let v): psi[c] = reference.stability(categorical: v)
          }
        }
      }
    }
    var out = zip(checked, psi).map { ($0.0.column, $1) }
    if let scoreReference { out.append(("(churn score)", scoreReference.stability(numeric: scores))) }
    return out.sorted { $0.1 > $1.1 }
  }

  /// A model file for a trained model, with its prior correction when it has one.
  public init(churnVersion: String, idColumn: String, labelColumn: String, trained: TrainedModel, training: TrainingSummary,
              validation: ValidationMetrics = ValidationMetrics()) {
    self.init(churnVersion: churnVersion, idColumn: idColumn, labelColumn: labelColumn, preprocessor: trained.preprocessor,
              model: trained.model, training: training, validation: validation)
    if trained.priorShift != 0 { calibration = Calibration(priorShift: trained.priorShift) }
  }

  public init(churnVersion: String, idColumn: String, labelColumn: String, preprocessor: FittedPreprocessor,
              model: any ChurnModel, training: TrainingSummary, validation: ValidationMetrics = ValidationMetrics()) {
    self.churnVersion = churnVersion
    self.model = model
    self.idColumn = idColumn
    self.labelColumn = labelColumn
    self.preprocessor = preprocessor
    self.training = training
    self.validation = validation
  }

  /// Churn probabilities for the rows of `table`, through the saved preprocessing, the model
  /// and the saved calibration (prior correction, then any calibration map).
  ///
  /// - Throws: `PreprocessingError` when the table lacks a training column, a column changed
  ///   kind, a value is infinite or beyond 10¹² standard deviations, or (a bug) a probability is
  ///   not in [0, 1].
  public func probabilities(_ table: FeatureTable) throws -> [Double] {
    let p = calibration.apply(rawProbabilities(try preprocessor.transform(table)))
    // A model that loaded and inputs that transformed always give probabilities in [0, 1]; this is the last guard.
    if let i = p.firstIndex(where: { !(0...1).contains($0) }) {
      throw PreprocessingError.nonFiniteProbability(row: i, id: table.ids[i], value: p[i])
    }
    return p
  }

  /// The model's own probabilities for preprocessed rows, before calibration.
  public func rawProbabilities(_ x: Matrix) -> [Double] { model.probabilities(x) }

  /// Writes the model atomically as pretty-printed JSON with sorted keys.
  ///
  /// JSON has no NaN or infinity, and this file never holds them: an undefined metric (a
  /// validation or backtest entry that is NaN) is left out, a forest's missing out-of-bag
  /// prediction is `null`, and any other non-finite number is refused.
  ///
  /// - Throws: `ModelFileError.nonFiniteValue` naming the field, before anything is written;
  ///   `FileError` when the file cannot be written.
  public func write(to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let data: Data
    do { data = try encoder.encode(self) } catch EncodingError.invalidValue(let value, let context) {
      throw ModelFileError.nonFiniteValue(path: path, field: JSONField.name(context.codingPath), value: "\(value)")
    }
    try OutputFile.write(String(decoding: data, as: UTF8.self) + "\n", to: path)
  }

  /// Reads and checks a model file.
  ///
  /// Every number must be finite (a file with `"nan"`, `"inf"` or a number JSON cannot hold is
  /// refused, naming the field), every array must match the model's columns, and the trees,
  /// calibration, risk bands, drift references and event settings must be usable; so a model
  /// that loads scores without a crash and never yields a NaN probability.
  ///
  /// - Throws: `ModelFileError` for a missing, unreadable, truncated, corrupt, foreign, newer
  ///   or damaged file, naming the field and what was expected and found.
  public static func read(path: String) throws -> ModelFile {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ModelFileError.missing(path: path) }
    guard !isDirectory.boolValue else { throw ModelFileError.directory(path: path) }
    guard let data = FileManager.default.contents(atPath: path) else { throw ModelFileError.unreadable(path: path) }
    let decoder = JSONDecoder()
    let header: Header
    do { header = try decoder.decode(Header.self, from: data) } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
      throw ModelFileError.notAModel(path: path)
    } catch {
      throw ModelFileError.notJSON(path: path, bytes: data.count)
    }
    guard case .string(formatName)? = header.format else { throw ModelFileError.notAModel(path: path) }
    guard case .number(let v)? = header.formatVersion, v == v.rounded(), v >= 1, v <= 1e9 else {
      throw ModelFileError.badField(path: path, field: "formatVersion", expected: "a whole number from 1 to \(currentVersion)",
                                    found: header.formatVersion?.description ?? "nothing (the field is missing)")
    }
    guard Int(v) <= currentVersion else { throw ModelFileError.newerVersion(path: path, version: Int(v), supported: currentVersion) }
    let model: ModelFile
    do { model = try decoder.decode(ModelFile.self, from: data) } catch let error as DecodingError {
      throw Self.describe(error, path: path, data: data)
    } catch {
      throw ModelFileError.badField(path: path, field: "(the whole file)", expected: "a churn model", found: "\(error)")
    }
    if let problem = model.problem() { throw ModelFileError.badField(path: path, field: problem.field, expected: problem.expected, found: problem.found) }
    return model
  }

  /// The two fields read first, of any JSON type.
  private struct Header: Decodable {
    var format: JSONField.Value?
    var formatVersion: JSONField.Value?
  }

  /// A `DecodingError` as "field Y: expected Z, found W", W read from the file itself.
  static func describe(_ error: DecodingError, path: String, data: Data) -> ModelFileError {
    guard let field = JSONField.describe(error, data: data) else { return .notJSON(path: path, bytes: data.count) }
    return .badField(path: path, field: field.name, expected: field.expected, found: field.found)
  }

  /// The first thing that makes this model unusable: the field, what was expected, what it holds.
  func problem() -> (field: String, expected: String, found: String)? {
    let count = Self.count, firstNonFinite = Self.firstNonFinite
    let p = preprocessor
    let raw = p.rawNames.count
    let d = p.kept.count
    guard p.inputKinds.count == p.inputNames.count else {
      return ("preprocessor.inputKinds", count(p.inputNames.count, "entry") + " (one per input column)", count(p.inputKinds.count, "entry"))
    }
    let kinds = Dictionary(zip(p.inputNames, p.inputKinds), uniquingKeysWith: { a, _ in a })
    for (k, step) in p.steps.enumerated() {
      let (name, numeric): (String, Bool)
      switch step {
      case .numeric(let n, _, let median):
        guard median.isFinite else { return ("preprocessor.steps[\(k)].median", "a finite number", "\(median)") }
        (name, numeric) = (n, true)
      case .missingIndicator(let n): (name, numeric) = (n, true)
      case .categorical(let n, let levels, _, _):
        guard Set(levels).count == levels.count else { return ("preprocessor.steps[\(k)].levels", "distinct levels", "a level listed twice") }
        (name, numeric) = (n, false)
      }
      guard kinds[name] == numeric else {
        return ("preprocessor.steps[\(k)]", "a step on a \(numeric ? "numeric" : "categorical") input column",
                kinds[name] == nil ? "column \"\(name)\", which is not among inputNames" : "column \"\(name)\", which is \(numeric ? "categorical" : "numeric")")
      }
    }
    guard !p.kept.isEmpty, p.kept.allSatisfy({ $0 >= 0 && $0 < raw }), zip(p.kept, p.kept.dropFirst()).allSatisfy({ $0 < $1 }) else {
      return ("preprocessor.kept", "ascending column numbers in 0..<\(raw)", "\(p.kept.prefix(8))" + (p.kept.count > 8 ? "…" : ""))
    }
    guard p.means.count == d, p.deviations.count == d, p.outputNames.count == d else {
      return ("preprocessor.means, deviations and outputNames", count(d, "entry") + " each (one per kept column)",
              "\(p.means.count), \(p.deviations.count) and \(p.outputNames.count)")
    }
    if let bad = firstNonFinite(p.means, "preprocessor.means") { return bad }
    if let i = p.deviations.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
      return ("preprocessor.deviations[\(i)]", "a finite number > 0", "\(p.deviations[i])")
    }
    if let problem = model.problem(columns: d) { return problem }
    if let c = calibration, let problem = c.problem { return ("calibration", "a usable calibration", problem) }
    if let bands = riskBands {
      guard bands.red.isFinite, bands.yellow.isFinite, bands.yellow <= bands.red else {
        return ("riskBands", "finite cut points with yellow ≤ red", "red \(bands.red), yellow \(bands.yellow)")
      }
    }
    let references = (driftReferences ?? []).enumerated().map { ($0.offset, $0.element) } + (scoreReference.map { [(-1, $0)] } ?? [])
    for (k, reference) in references {
      let field = k < 0 ? "scoreReference" : "driftReferences[\(k)]"
      if let problem = reference.problem { return (field, "a usable distribution", problem) }
    }
    if let held = holdoutPredictions {
      guard held.probabilities.count == held.labels.count else {
        return ("holdoutPredictions.labels", count(held.probabilities.count, "label") + " (one per probability)", count(held.labels.count, "label"))
      }
      if let i = held.probabilities.firstIndex(where: { !(0...1).contains($0) }) {
        return ("holdoutPredictions.probabilities[\(i)]", "a probability in [0, 1]", "\(held.probabilities[i])")
      }
      if let i = held.labels.firstIndex(where: { $0 != 0 && $0 != 1 }) { return ("holdoutPredictions.labels[\(i)]", "0 or 1", "\(held.labels[i])") }
    }
    if let spec = featureSpec {
      do { try spec.validate() } catch { return ("featureSpec", "a valid feature spec", "\(error)") }
    }
    if let events {
      guard Self.isSpan(events.horizon) else {
        return ("events.horizon", "a length of time such as 30d or 1m, at most 100 years", "the string \"\(events.horizon)\"")
      }
      if let active = events.activeWindow, !Self.isSpan(active) {
        return ("events.activeWindow", "a length of time such as 90d, at most 100 years", "the string \"\(active)\"")
      }
      guard featureSpec != nil else { return ("featureSpec", "the feature spec of a model trained from events", "nothing (the field is missing)") }
    }
    if let survival {
      guard (2...SurvivalSettings.maximumPeriods).contains(survival.periods) else {
        return ("survival.periods", "a whole number from 2 to \(SurvivalSettings.maximumPeriods)", "\(survival.periods)")
      }
      if let missing = survival.columnNames.first(where: { !p.inputNames.contains($0) }) {
        return ("survival", "period columns among the input columns (preprocessor.inputNames)", "no input column \(missing)")
      }
    }
    return nil
  }

  /// "1 entry", "3 numbers": a count for the messages of a damaged file.
  static func count(_ n: Int, _ what: String) -> String { "\(n) " + (n == 1 ? what : what == "entry" ? "entries" : what + "s") }

  /// The first non-finite value of `values` as (field[i], expected, found), or nil.
  static func firstNonFinite(_ values: [Double], _ field: String) -> (field: String, expected: String, found: String)? {
    guard let i = values.firstIndex(where: { !$0.isFinite }) else { return nil }
    return ("\(field)[\(i)]", "a finite number", "\(values[i])")
  }

  /// Whether `text` is a span `churn train` writes: `30d`, `4w` or `3m`, 1 day to 100 years
  /// (as `CalendarSpan` in ChurnFeatures parses it; scoring rebuilds features with it).
  static func isSpan(_ text: String) -> Bool {
    guard let unit = text.last, "dwm".contains(unit) else { return false }
    let digits = text.dropLast()
    guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits), n >= 1 else { return false }
    switch unit {
    case "m": return n <= 1200
    case "w": return 7 * n <= 36_500
    default: return n <= 36_500
    }
  }

  /// A 64-bit hash (hex) of a table's ids, labels, column names and values, recorded in the
  /// model file as `training.dataFingerprint`: the same data gives the same fingerprint on any
  /// thread count; different data (a value's last bit, a label, an id, a name, the column
  /// order) gives another.
  ///
  /// Each part is hashed on its own, in parallel, by FNV-1a's step on whole 64-bit words
  /// (`h = (h ⊕ word) · 0x100000001B3`, from h = 0xCBF29CE484222325); the parts' hashes are
  /// then hashed in order by the same step. The words of each part:
  ///
  /// ```
  /// ids        each id as text (below)
  /// labels     each label's bits, or the single word 2⁶⁴ − 1 when the table has none
  /// column c   its name as text; then 0 and each value's bits (numeric), or 1 and each
  ///            level as text, a missing level as the word 2⁶⁴ − 1 (categorical)
  /// all        row count, column count, then the hashes of ids, labels, column 0, 1, …
  /// text       its UTF-8 byte count, then its bytes 8 at a time (little-endian, the last
  ///            word padded with zero bytes)
  /// ```
  /// So text keeps its boundaries ("ab", "c" differs from "a", "bc"). Every step is a bijection
  /// of h, so changing one word of a part always changes that part's hash. (Fingerprints
  /// before this were FNV-1a over bytes: a table's old and new fingerprints differ.)
  ///
  /// - Complexity: O(rows × columns), the parts spread over `threads` threads.
  public static func fingerprint(_ table: FeatureTable, threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> String {
    let parts = 2 + table.columns.count
    var hashes = [UInt64](repeating: 0, count: parts)
    let workers = max(1, min(threads, parts))
    hashes.withUnsafeMutableBufferPointer { buffer in
      nonisolated(unsafe) let hashes = buffer  // each worker writes its own parts
      DispatchQueue.concurrentPerform(iterations: workers) { worker in
        for part in stride(from: worker, to: parts, by: workers) {
          var h = WordHash()
          switch part {
          case 0: for id in table.ids { h.mix(id) }
          case 1:
            if let labels = table.labels { h.mix(labels) } else { h.mix(UInt64.max) }
          default:
            let c = part - 2
            h.mix(table.columnNames[c])
            switch table.columns[c] {
            case .numeric(let v):
              h.mix(0)
              h.mix(v)
            case .categorical(let v):
              h.mix(1)
              for x in v {
                if let x { h.mix(x) } else { h.mix(UInt64.max) }
              }
            }
          }
          hashes[part] = h.value
        }
      }
    }
    var all = WordHash()
    all.mix(UInt64(table.rowCount))
    all.mix(UInt64(table.columns.count))
    for h in hashes { all.mix(h) }
    return String(all.value, radix: 16)
  }

  /// FNV-1a's step on 64-bit words (see `fingerprint`).
  struct WordHash {
    var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func mix(_ word: UInt64) { value = (value ^ word) &* 0x0000_0100_0000_01B3 }

    mutating func mix(_ values: [Double]) {
      var h = value
      values.withUnsafeBufferPointer { v in
        for x in v { h = (h ^ x.bitPattern) &* 0x0000_0100_0000_01B3 }
      }
      value = h
    }

    /// The byte count, then the bytes 8 at a time, the last word padded with zero bytes.
    mutating func mix(_ text: String) {
      var text = text
      text.withUTF8 { bytes in
        mix(UInt64(bytes.count))
        let raw = UnsafeRawBufferPointer(bytes)
        var i = 0
        while i + 8 <= bytes.count {
          mix(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
          i += 8
        }
        guard i < bytes.count else { return }
        var last: UInt64 = 0
        for k in i..<bytes.count { last |= UInt64(bytes[k]) << (8 * UInt64(k - i)) }
        mix(last)
      }
    }
  }
}

extension ModelFile: Equatable {
  /// Every field equal, the model by family and value.
  public static func == (a: ModelFile, b: ModelFile) -> Bool {
    a.model.isEqual(to: b.model) && Fields(a) == Fields(b)
  }
}

extension ModelFile: Codable {
  /// The key a family's model is stored under: the family's name.
  struct FamilyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  /// Every field but the model, in the file's layout (the model sits beside them under its family's key).
  struct Fields: Codable, Equatable {
    var format: String
    var formatVersion: Int
    var churnVersion: String
    var kind: ModelFamily
    var idColumn: String
    var labelColumn: String
    var preprocessor: FittedPreprocessor
    var training: TrainingSummary
    var validation: ValidationMetrics
    var featureSpec: FeatureSpec?
    var events: EventSettings?
    var riskBands: RiskBands?
    var driftReferences: [DriftReference]?
    var scoreReference: DriftReference?
    var calibration: Calibration?
    var tuning: TuningRecord?
    var backtest: [FoldMetrics]?
    var permutationImportance: PermutationImportance?
    var holdoutPredictions: HeldOut?
    var warningRules: [StoredWarningRule]?
    var ownerColumn: String?
    var survival: SurvivalSettings?

    init(_ f: ModelFile) {
      (format, formatVersion, churnVersion, kind, idColumn, labelColumn) = (f.format, f.formatVersion, f.churnVersion, f.family, f.idColumn, f.labelColumn)
      (preprocessor, training, validation, featureSpec, events, riskBands) = (f.preprocessor, f.training, f.validation, f.featureSpec, f.events, f.riskBands)
      (driftReferences, scoreReference, calibration, tuning, backtest) = (f.driftReferences, f.scoreReference, f.calibration, f.tuning, f.backtest)
      (permutationImportance, holdoutPredictions, warningRules) = (f.permutationImportance, f.holdoutPredictions, f.warningRules)
      ownerColumn = f.ownerColumn
      survival = f.survival
    }
  }

  public init(from decoder: Decoder) throws {
    let f = try Fields(from: decoder)
    let container = try decoder.container(keyedBy: FamilyKey.self)
    let key = FamilyKey(stringValue: f.kind.rawValue)
    guard container.contains(key) else {
      throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "the \(f.kind.rawValue) model (kind is \(f.kind.rawValue))"))
    }
    func decode<M: ChurnModel>(_ type: M.Type) throws -> any ChurnModel { try container.decode(type, forKey: key) }
    self.init(churnVersion: f.churnVersion, idColumn: f.idColumn, labelColumn: f.labelColumn, preprocessor: f.preprocessor,
              model: try decode(f.kind.modelType), training: f.training, validation: f.validation)
    (format, formatVersion) = (f.format, f.formatVersion)
    (featureSpec, events, riskBands, driftReferences, scoreReference) = (f.featureSpec, f.events, f.riskBands, f.driftReferences, f.scoreReference)
    (calibration, tuning, backtest, permutationImportance, holdoutPredictions) = (f.calibration, f.tuning, f.backtest, f.permutationImportance, f.holdoutPredictions)
    warningRules = f.warningRules
    ownerColumn = f.ownerColumn
    survival = f.survival
  }

  public func encode(to encoder: Encoder) throws {
    try Fields(self).encode(to: encoder)
    var container = encoder.container(keyedBy: FamilyKey.self)
    try container.encode(model, forKey: FamilyKey(stringValue: family.rawValue))
  }
}

extension DecisionTree {
  /// What makes this tree unusable (arrays of different lengths, a child outside the tree or
  /// not after its parent, a feature out of range, a leaf value outside [0, 1], a non-finite
  /// threshold or cover), or nil. With `proportions: false` (boosted trees: log-odds) a leaf
  /// value need only be finite.
  func decodingProblem(features: Int, proportions: Bool = true) -> String? {
    let n = nodeCount
    guard n > 0, [threshold.count, left.count, right.count, value.count, cover.count].allSatisfy({ $0 == n }) else {
      return "node arrays of different lengths or no node"
    }
    guard defaultLeft.isEmpty || defaultLeft.count == n else { return "\(defaultLeft.count) missing-value directions for \(n) nodes" }
    for k in 0..<n {
      guard value[k].isFinite, !proportions || (value[k] >= 0 && value[k] <= 1) else {
        return proportions ? "node \(k) has value \(value[k]), not a proportion in [0, 1]" : "node \(k) has value \(value[k]), not a finite number"
      }
      guard cover[k].isFinite, cover[k] >= 0 else { return "node \(k) has cover \(cover[k])" }
      if feature[k] >= 0 {
        let l = Int(left[k]), r = Int(right[k])
        guard Int(feature[k]) < features else { return "node \(k) splits on feature \(feature[k]) of \(features)" }
        guard l > k, l < n, r > k, r < n else { return "node \(k) has children \(l) and \(r) outside \(k + 1)..<\(n)" }
        guard threshold[k].isFinite else { return "node \(k) has threshold \(threshold[k])" }
      } else if feature[k] != -1 {
        return "node \(k) has feature \(feature[k])"
      } else if !defaultLeft.isEmpty && defaultLeft[k] {
        return "leaf \(k) sends missing values left"
      }
    }
    return nil
  }
}

/// A model file that cannot be used, and why.
public enum ModelFileError: Error, Equatable, CustomStringConvertible {
  case missing(path: String)
  case directory(path: String)
  case badField(path: String, field: String, expected: String, found: String)
  case nonFiniteValue(path: String, field: String, value: String)
  case unreadable(path: String)
  case notJSON(path: String, bytes: Int)
  case notAModel(path: String)
  case newerVersion(path: String, version: Int, supported: Int)
  case inconsistent(path: String, detail: String)

  public var description: String {
    switch self {
    case .missing(let path): return "cannot read model file \(path): no such file; expected the JSON file churn train --out wrote"
    case .directory(let path): return "cannot read model file \(path): it is a directory; expected the JSON file churn train --out wrote"
    case .badField(let path, let field, let expected, let found):
      return "model file \(path): field \(field): expected \(expected), found \(found); the file is damaged or was edited: train the model again"
    case .nonFiniteValue(let path, let field, let value):
      return "cannot write model file \(path): field \(field) is \(value), which JSON cannot hold; nothing was written (please report this)"
    case .unreadable(let path): return "cannot read model file \(path): permission denied or not readable"
    case .notJSON(let path, let bytes):
      return "model file \(path) (\(bytes) bytes) is not valid JSON: truncated or corrupt; train the model again"
    case .notAModel(let path): return "\(path) is JSON but not a churn model file (no \"format\": \"churn-model\")"
    case .newerVersion(let path, let version, let supported):
      return "model file \(path) has format version \(version); this churn reads versions up to \(supported): upgrade churn"
    case .inconsistent(let path, let detail): return "model file \(path) is damaged: \(detail)"
    }
  }
}
