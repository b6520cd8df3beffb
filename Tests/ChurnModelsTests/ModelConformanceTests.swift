import ChurnCore
import ChurnModels
import ChurnScoring
import ChurnTestSupport
import Foundation
import Testing

/// The model contract, checked for every family in `ModelFamily.allCases`: a new family is
/// tested by adding its case. Everything here goes through the contract only
/// (`ModelSettings(family.defaultSpec)`, `TrainedModel.model: any ChurnModel`, `ModelFile`),
/// never through a concrete model type, with each family's default hyperparameters.
@Suite("Model conformance: every family keeps the model contract")
struct ModelConformanceTests {
  static let families = ModelFamily.allCases
  static let seeds: [UInt64] = [1, 2, 3]

  // MARK: Data and fitting

  /// The input columns that carry the planted signal.
  static let plantedColumns: Set = ["x0", "x1"]

  /// Planted-signal rows: churn depends on x0 (up) and x1 (down) only; x2 and x3 are noise
  /// (x3 with missing values, so the preprocessor adds an indicator) and `plan` is
  /// categorical noise (one-hot columns). Returns the table and each row's true churn log-odds.
  static func table(rows: Int, seed: UInt64) -> (table: FeatureTable, logOdds: [Double]) {
    let data = PlantedSignal(rows: rows, weights: [1.6, -1.2, 0, 0], intercept: -1, seed: seed)
    func column(_ j: Int) -> [Double] { (0..<rows).map { data.features[$0, j] } }
    var x3 = column(3)
    for i in stride(from: 5, to: rows, by: 13) { x3[i] = .nan }
    let plans = ["basic", "pro", "team"]
    let plan: [String?] = (0..<rows).map { plans[($0 * 7 + Int(seed % 3)) % 3] }
    let table = FeatureTable(ids: (0..<rows).map { "c\($0)" }, columnNames: ["x0", "x1", "x2", "x3", "plan"],
                             columns: [.numeric(column(0)), .numeric(column(1)), .numeric(column(2)), .numeric(x3), .categorical(plan)],
                             labels: data.labels)
    let logOdds = (0..<rows).map { i in data.intercept + (0..<4).reduce(0) { $0 + data.weights[$1] * data.features[i, $1] } }
    return (table, logOdds)
  }

  /// Rows unlike the training rows: extreme values, missing values in columns that had none,
  /// a plan never seen in training.
  static func unusualTable() -> FeatureTable {
    let big: [Double] = [1e6, -1e6, 0, 3, .nan, 1e-300, -40, 40]
    let n = big.count
    return FeatureTable(ids: (0..<n).map { "u\($0)" }, columnNames: ["x0", "x1", "x2", "x3", "plan"],
                        columns: [.numeric(big), .numeric(big.reversed()), .numeric(big.map { -$0 }), .numeric(Array(repeating: .nan, count: n)),
                                  .categorical((0..<n).map { $0 % 2 == 0 ? "enterprise" : nil })])
  }

  /// A model of `family` with its default hyperparameters, fitted through the contract.
  static func fit(_ family: ModelFamily, _ table: FeatureTable, seed: UInt64, classWeight: ClassWeight = .none,
                  threads: Int = 1) throws -> TrainedModel {
    try ModelSettings(family.defaultSpec, classWeight: classWeight, seed: seed, threads: threads).fit(table)
  }

  /// The model file of a trained model (with its prior correction when it has one).
  static func file(_ trained: TrainedModel, _ table: FeatureTable) -> ModelFile {
    ModelFile(churnVersion: "conformance", idColumn: "id", labelColumn: "churned", trained: trained,
              training: .init(rows: table.rowCount, churned: Int((table.labels ?? []).reduce(0, +)), dataFingerprint: ModelFile.fingerprint(table),
                              notes: []))
  }

  static func bits(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }

  static func oneRow(_ x: Matrix, _ i: Int) -> Matrix { Matrix(rows: 1, columns: x.columns, storage: x.row(i)) }

  // MARK: The checks

  @Test("The family's default spec names the family; the spec survives JSON; the fitted model and its file carry the family",
        arguments: families)
  func familyRoundTrip(family: ModelFamily) throws {
    let spec = family.defaultSpec
    #expect(spec.family == family)
    #expect(ModelFamily(rawValue: family.rawValue) == family)
    #expect(spec.learner.spec == spec)
    #expect(!family.displayName.isEmpty && family.displayName == spec.learner.displayName)
    #expect(try JSONDecoder().decode(ModelSpec.self, from: JSONEncoder().encode(spec)) == spec)
    try spec.learner.validate()
    let settings = ModelSettings(spec)
    #expect(settings.family == family)
    let (table, _) = Self.table(rows: 200, seed: 1)
    let trained = try Self.fit(family, table, seed: 1)
    #expect(trained.model.family == family)
    let file = Self.file(trained, table)
    #expect(file.family == family)
    let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(file)) as? [String: Any]
    #expect(json?["kind"] as? String == family.rawValue)
    let stored = json?[family.rawValue] is [String: Any]
    #expect(stored, "the model is stored under its family's key")
  }

  @Test("The fitted model describes its prepared columns: names, importances, explanation cost", arguments: families)
  func shape(family: ModelFamily) throws {
    let (table, _) = Self.table(rows: 300, seed: 1)
    let trained = try Self.fit(family, table, seed: 1)
    let model = trained.model
    #expect(model.featureNames == trained.preprocessor.outputNames)
    #expect(model.featureNames.count == trained.x.columns)
    #expect(model.importances.count == model.featureNames.count)
    #expect(model.importances.allSatisfy { $0.isFinite && $0 >= 0 }, "importances \(model.importances)")
    #expect(model.importances.contains { $0 > 0 })
    #expect(model.exactExplanationCost >= 0)
  }

  @Test("Batch prediction equals row-by-row prediction, bit for bit", arguments: families, seeds)
  func batchEqualsRowByRow(family: ModelFamily, seed: UInt64) throws {
    let (table, _) = Self.table(rows: 300, seed: seed)
    let trained = try Self.fit(family, table, seed: seed)
    let model = trained.model
    let (fresh, _) = Self.table(rows: 150, seed: seed + 100)
    for (label, x) in [("training", trained.x), ("fresh", try trained.preprocessor.transform(fresh)),
                       ("unusual", try trained.preprocessor.transform(Self.unusualTable()))] {
      let batch = model.probabilities(x)
      try #require(batch.count == x.rows)
      let single = (0..<x.rows).map { model.probabilities(Self.oneRow(x, $0))[0] }
      let differing = (0..<x.rows).filter { batch[$0].bitPattern != single[$0].bitPattern }
      #expect(differing.isEmpty, "seed \(seed), \(label) rows \(differing.prefix(5)): batch \(differing.prefix(5).map { batch[$0] }) vs one by one \(differing.prefix(5).map { single[$0] })")
      // Reversed order: a row's probability does not depend on its neighbours.
      let reversed = Matrix(rows: x.rows, columns: x.columns, storage: (0..<x.rows).reversed().flatMap { x.row($0) })
      let sameReversed = Self.bits(model.probabilities(reversed).reversed()) == Self.bits(batch)
      #expect(sameReversed, "seed \(seed), \(label) rows reversed")
    }
    // And through the model file, one-row tables against the whole table.
    let file = Self.file(trained, table)
    let all = try file.probabilities(fresh)
    for i in 0..<40 {
      #expect(try file.probabilities(fresh.rows([i]))[0].bitPattern == all[i].bitPattern, "seed \(seed), model file, row \(i)")
    }
  }

  @Test("A column-major matrix gives the same probabilities and contributions as its row-major twin, bit for bit", arguments: families)
  func eitherLayout(family: ModelFamily) throws {
    let (table, _) = Self.table(rows: 300, seed: 4)
    let trained = try Self.fit(family, table, seed: 4)
    let model = trained.model
    let byRow = try trained.preprocessor.transform(Self.table(rows: 120, seed: 104).table)
    let byColumn = byRow.columnMajor
    #expect(Self.bits(model.probabilities(byColumn)) == Self.bits(model.probabilities(byRow)))
    for i in [0, 57, 119] {
      for exact in [true, false] {
        let a = model.contributions(byColumn, row: i, exact: exact), b = model.contributions(byRow, row: i, exact: exact)
        #expect(a.base.bitPattern == b.base.bitPattern && Self.bits(a.contributions) == Self.bits(b.contributions), "row \(i), exact \(exact)")
      }
    }
  }

  @Test("Probabilities are finite and in [0, 1], also for extreme, missing and unseen values", arguments: families, seeds)
  func probabilitiesInUnitInterval(family: ModelFamily, seed: UInt64) throws {
    let (table, _) = Self.table(rows: 300, seed: seed)
    for classWeight in ClassWeight.allCases {
      let trained = try Self.fit(family, table, seed: seed, classWeight: classWeight)
      let file = Self.file(trained, table)
      let (fresh, _) = Self.table(rows: 200, seed: seed + 100)
      let raw = trained.model.probabilities(trained.x) + trained.model.probabilities(try trained.preprocessor.transform(Self.unusualTable()))
      let calibrated = try file.probabilities(fresh) + file.probabilities(Self.unusualTable()) + trained.trainingProbabilities
      for (label, p) in [("model", raw), ("model file", calibrated)] {
        let bad = p.indices.filter { !(p[$0].isFinite && p[$0] >= 0 && p[$0] <= 1) }
        #expect(bad.isEmpty, "seed \(seed), \(classWeight) class weights, \(label): \(bad.prefix(5).map { p[$0] })")
      }
      // Not all the same: the model ranks rows.
      #expect(Set(raw).count > 10, "seed \(seed), \(classWeight): \(Set(raw).count) distinct probabilities")
    }
  }

  @Test("Contributions add up to the probability (1e-9): the model's own, and the model file's after its calibration; exact and not",
        arguments: families, ClassWeight.allCases)
  func contributionsAddUp(family: ModelFamily, classWeight: ClassWeight) throws {
    for seed in Self.seeds {
      let (table, _) = Self.table(rows: 300, seed: seed)
      let trained = try Self.fit(family, table, seed: seed, classWeight: classWeight)
      let model = trained.model, x = trained.x
      let raw = model.probabilities(x)
      var file = Self.file(trained, table)
      // Two calibrations: the file's own (a prior correction under balanced weights, for
      // families that leave it to the file), then that plus a Platt map fitted on top.
      var platt = file.calibration ?? Calibration()
      try platt.fit(.platt, probabilities: file.calibration.apply(raw), labels: table.labels!, source: "training")
      for calibration in [file.calibration, platt] {
        file.calibration = calibration
        let p = try file.probabilities(table)
        for row in stride(from: 0, to: x.rows, by: 7) {
          for exact in [true, false] {
            let own = model.contributions(x, row: row, exact: exact)
            #expect(own.contributions.count == x.columns)
            let ownSum = own.base + own.contributions.reduce(0, +)
            #expect(abs(ownSum - raw[row]) <= 1e-9,
                    "seed \(seed), \(classWeight), row \(row), exact \(exact): model base + Σ = \(ownSum), probability \(raw[row])")
            let e = file.explain(x, row: row, exact: exact)
            let sum = e.base + e.contributions.reduce(0, +)
            #expect(e.contributions.allSatisfy { $0.isFinite })
            #expect(abs(sum - p[row]) <= 1e-9,
                    "seed \(seed), \(classWeight), calibration \(calibration?.method?.rawValue ?? "prior only"), row \(row), exact \(exact): base + Σ = \(sum), probability \(p[row])")
          }
        }
      }
    }
  }

  @Test("Save → load: an equal model file with the same probabilities and explanations, bit for bit; writing it again gives the same bytes",
        arguments: families, ClassWeight.allCases)
  func saveLoad(family: ModelFamily, classWeight: ClassWeight) throws {
    let dir = try TemporaryDirectory("conformance")
    defer { dir.remove() }
    for seed in Self.seeds.prefix(2) {
      let (table, _) = Self.table(rows: 300, seed: seed)
      let trained = try Self.fit(family, table, seed: seed, classWeight: classWeight)
      var file = Self.file(trained, table)
      file.driftReferences = ModelFile.driftReferences(table)
      let path = dir.file("\(family.rawValue)-\(seed).json")
      try file.write(to: path)
      let back = try ModelFile.read(path: path)
      // Booleans first: on failure #expect would print both (large) values.
      let equalFile = back == file, equalModel = back.model.isEqual(to: trained.model)
      #expect(equalFile, "seed \(seed), \(classWeight): the model file read back differs")
      #expect(equalModel, "seed \(seed), \(classWeight): the model read back differs")
      let (fresh, _) = Self.table(rows: 200, seed: seed + 100)
      for t in [table, fresh, Self.unusualTable()] {
        let same = try Self.bits(back.probabilities(t)) == Self.bits(file.probabilities(t))
        #expect(same, "seed \(seed), \(classWeight), rows \(t.ids[0])…: probabilities after loading differ")
      }
      let x = try back.preprocessor.transform(fresh)
      for row in 0..<10 {
        for exact in [true, false] {
          let (a, b) = (back.explain(x, row: row, exact: exact), file.explain(x, row: row, exact: exact))
          #expect(a.base.bitPattern == b.base.bitPattern && Self.bits(a.contributions) == Self.bits(b.contributions),
                  "seed \(seed), row \(row), exact \(exact)")
        }
      }
      try back.write(to: path + ".again")
      let sameBytes = FileManager.default.contents(atPath: path + ".again") == FileManager.default.contents(atPath: path)
      #expect(sameBytes, "seed \(seed): rewritten bytes differ")
    }
  }

  @Test("The same seed gives the same model, 1 thread or 2 (encoded model file equal)", arguments: families, [UInt64(1), 2])
  func sameSeedSameModel(family: ModelFamily, seed: UInt64) throws {
    // Rows enough that a logistic fit's gradient pass is really split over 2 threads
    // (chunks of `fusedGradientChunkRows`); a forest splits its trees over them at any size.
    let rows = 2 * Matrix.fusedGradientChunkRows + 300
    #expect(Matrix.fusedGradientWorkers(rows: rows, threads: 2) == 2)
    let (table, _) = Self.table(rows: rows, seed: seed)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    var encoded: [Data] = []
    for threads in [1, 2, 1] {
      let trained = try Self.fit(family, table, seed: seed, threads: threads)
      encoded.append(try encoder.encode(Self.file(trained, table)))
    }
    // Booleans first: on failure #expect would diff the two (large) encodings byte by byte.
    let twoThreads = encoded[1] == encoded[0], again = encoded[2] == encoded[0]
    #expect(twoThreads, "seed \(seed): 2 threads gave another model than 1 (\(encoded[1].count) vs \(encoded[0].count) bytes of JSON)")
    #expect(again, "seed \(seed): a second fit with 1 thread gave another model")
  }

  @Test("A planted signal is found: its columns rank first by importance (summed per input column) and the AUC on new rows nears the best possible",
        arguments: families, seeds)
  func plantedSignal(family: ModelFamily, seed: UInt64) throws {
    let (table, _) = Self.table(rows: 2000, seed: seed)
    let trained = try Self.fit(family, table, seed: seed)
    var byColumn: [String: Double] = [:]
    for (k, importance) in trained.model.importances.enumerated() {
      byColumn[trained.preprocessor.source(ofOutput: k).column, default: 0] += importance
    }
    #expect(Set(byColumn.keys) == Set(table.columnNames))
    let ranked = byColumn.sorted { $0.value > $1.value }.map(\.key)
    #expect(Set(ranked.prefix(Self.plantedColumns.count)) == Self.plantedColumns,
            "seed \(seed): importance ranks \(ranked) (\(byColumn.mapValues { String(format: "%.3g", $0) }))")
    let (fresh, logOdds) = Self.table(rows: 2000, seed: seed + 100)
    let p = try Self.file(trained, table).probabilities(fresh)
    let auc = try rocAUC(scores: p, labels: fresh.labels!)
    let best = try rocAUC(scores: logOdds, labels: fresh.labels!)
    #expect(auc > 0.75 && auc > best - 0.05, "seed \(seed): AUC \(auc) on new rows; the true probabilities give \(best)")
  }

  @Test("problem(columns:) is nil for a fitted model and names a field under the family's key for a damaged one",
        arguments: families)
  func problems(family: ModelFamily) throws {
    let (table, _) = Self.table(rows: 300, seed: 1)
    let trained = try Self.fit(family, table, seed: 1)
    let d = trained.x.columns
    let fitted = trained.model.problem(columns: d)
    #expect(fitted == nil, "a fitted model with its \(d) columns: \(String(describing: fitted))")
    for columns in [d - 1, d + 1] {
      let problem = try #require(trained.model.problem(columns: columns), "\(columns) columns for a model of \(d)")
      #expect(problem.field.hasPrefix(family.rawValue), "field \(problem.field)")
      #expect(!problem.expected.isEmpty && !problem.found.isEmpty)
    }
    // A model file whose model lost an entry of its first per-column array is refused on
    // reading, naming that field.
    let dir = try TemporaryDirectory("conformance")
    defer { dir.remove() }
    let path = dir.file("m.json")
    try Self.file(trained, table).write(to: path)
    var json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    var model = try #require(json[family.rawValue] as? [String: Any])
    let key = try #require(model.keys.sorted().first { (model[$0] as? [Any])?.count == d }, "no array of \(d) entries in the \(family) model")
    model[key] = Array((model[key] as! [Any]).dropLast())
    json[family.rawValue] = model
    try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
    do {
      _ = try ModelFile.read(path: path)
      Issue.record("a \(family) model file with \(family.rawValue).\(key) one entry short loaded")
    } catch let ModelFileError.badField(_, field, expected, found) {
      #expect(field.hasPrefix(family.rawValue), "field \(field)")
      #expect(!expected.isEmpty && !found.isEmpty)
    }
  }

  @Test("The fit report is a line that starts with the family's name", arguments: families)
  func fitReport(family: ModelFamily) throws {
    let (table, _) = Self.table(rows: 300, seed: 1)
    let trained = try Self.fit(family, table, seed: 1)
    let report = trained.fitReport(labels: table.labels!, auc: { try? rocAUC(scores: $0, labels: $1) })
    #expect(report.hasPrefix(family.displayName) && report.count > family.displayName.count + 10, "\(report)")
    #expect(!report.contains("\n"))
  }

  @Test("Every candidate of the tuning grid validates, is of the family, differs from the others and fits", arguments: families)
  func grid(family: ModelFamily) throws {
    let (table, _) = Self.table(rows: 200, seed: 1)
    for columns in [1, 2, table.columnNames.count, 40, 2000] {
      let candidates = ModelSettings(family.defaultSpec).grid(columns: columns)
      #expect(candidates.count >= 2, "\(columns) columns")
      for (k, candidate) in candidates.enumerated() {
        #expect(throws: Never.self, "\(columns) columns, candidate \(k): \(candidate.summary)") { try candidate.validate() }
        #expect(candidate.family == family)
        #expect(!candidates[..<k].contains(candidate), "\(columns) columns: candidate \(k) (\(candidate.summary)) twice")
      }
    }
    // Those for this table's columns fit it.
    for candidate in ModelSettings(family.defaultSpec).grid(columns: table.columnNames.count) {
      #expect(throws: Never.self, "\(candidate.summary)") { _ = try candidate.fit(table) }
    }
  }
}
