import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

/// Runs the built `churn` executable, which SwiftPM places next to the test bundle (as
/// ChurnCLITests' `runChurn` does), with one BLAS thread; this process's BLAS is set to one
/// thread too, so the same fits give the same bits in both (BLAS sums in another order with
/// more threads, and other tests, run in parallel, set the count process-wide).
private func churn(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
  BLASThreads.set(1)
  return try runChurn(arguments, environment: ["OPENBLAS_NUM_THREADS": "1"])
}

/// The JSON encoding `churn backtest --out` uses.
private func json(_ value: some Encodable) throws -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
  encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
  return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
}

@Suite("Trainer: the library's train and backtest equal the CLI's")
struct TrainerTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let telco = root.appendingPathComponent("datasets/telco/telco.csv").path
  static let holdoutIds = root.appendingPathComponent("datasets/telco/holdout_ids.txt").path

  /// A simulated log small enough for a debug build (the demo's 1,239 holdout rows take about
  /// 40 s of permutation importance there).
  static func simulated(_ dir: TemporaryDirectory, seed: UInt64 = 31) throws -> EventData {
    try CustomerSimulator(settings: SimulationSettings(customerCount: 500, months: 12, seed: seed)).write(to: dir.path)
    return EventData(events: dir.file("events.csv"), customers: dir.file("customers.csv"), threads: 1)
  }

  @Test("From events, with tuning and calibration: the model file is byte-identical to churn train's, and the report holds what it printed")
  func eventsEqualCLI() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = try Self.simulated(dir)
    let run = try churn(["train", "--events", data.events, "--customers", data.customers!, "--cutoffs", "2024-04-01:2024-11-01:1m",
                         "--horizon", "30d", "--tune", "--tune-folds", "2", "--calibrate", "platt", "--class-weight", "balanced",
                         "--threads", "1", "--out", dir.file("cli.json")])
    #expect(run.status == 0, "\(run.stderr)")
    let lines = RecordedLog()
    let trainer = Trainer(settings: ModelSettings(classWeight: .balanced, threads: 1), calibration: .platt,
                          tuning: Tuning(metric: .logLoss, folds: 2), log: lines.log)
    let result = try trainer.train(data, plan: try ObservationPlan(cutoffs: "2024-04-01:2024-11-01:1m", horizon: "30d"))
    try result.model.write(to: dir.file("lib.json"))
    #expect(try bytes(dir.file("lib.json")) == bytes(dir.file("cli.json")))
    #expect(result.model.churnVersion == churnVersion)
    // Every line the CLI printed (less its timings and the last one) came through the log, in order.
    func timeless(_ line: String) -> String { line.replacingOccurrences(of: #" in [0-9.]+ s$"#, with: "", options: .regularExpression) }
    let printed = run.stderr.split(separator: "\n").map(String.init).dropLast().map(timeless)
    #expect(printed == lines.lines.map { timeless("train: " + $0) })
    let report = result.report
    #expect(report.features?.cutoffs.count == 8 && report.features!.rows > 0)
    #expect(report.tuning?.candidates.count == 6 && report.tuning?.folds.count == 2)
    #expect(report.backtest?.outOfTime == true && report.backtest!.folds.count >= 5)
    #expect(report.holdout?.name == "2024-11-01" && report.holdout?.evaluation.rows == report.backtest!.folds.last!.evaluation.rows)
    #expect(report.calibration?.method == .platt && report.calibration?.fold == "2024-11-01")
    #expect(report.priorShift < 0 && report.importance?.source.hasPrefix("holdout cutoff 2024-11-01, ") == true)
    #expect(report.bands == result.model.riskBands)
    #expect(abs(report.observedChurnRate - result.model.training.churnRate) < 1e-12)
  }

  @Test("From a table with holdout ids: byte-identical to churn train's model file")
  func tableEqualsCLI() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let run = try churn(["train", "--table", Self.telco, "--id", "customerid", "--label", "churn", "--holdout-ids", Self.holdoutIds,
                         "--threads", "1", "--out", dir.file("cli.json")])
    #expect(run.status == 0, "\(run.stderr)")
    let table = TableData(path: Self.telco, idColumn: "customerid", label: "churn")
    // churn train without hyperparameter flags runs the default search.
    let result = try Trainer(settings: ModelSettings(threads: 1), tuning: .defaultSearch()).train(table, holdoutIds: Self.holdoutIds)
    try result.model.write(to: dir.file("lib.json"))
    #expect(try bytes(dir.file("lib.json")) == bytes(dir.file("cli.json")))
    #expect(result.report.table == .init(rows: 2817, churned: 778, inputColumns: 19, heldOut: 2113, holdoutIds: Self.holdoutIds))
    #expect(result.report.holdout?.name == "holdout" && result.report.holdout?.evaluation.rows == 2113)
    #expect(result.report.backtest == nil && result.report.tuning?.folds == ["fold 1 of 3", "fold 2 of 3", "fold 3 of 3"])
    #expect(result.report.notes.count == 7)
  }

  @Test("Backtests from events and from a table: the result's JSON is what churn backtest --out writes")
  func backtestEqualsCLI() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = try Self.simulated(dir, seed: 32)
    let run = try churn(["backtest", "--events", data.events, "--customers", data.customers!, "--cutoffs", "2024-04-01:2024-11-01:1m",
                         "--horizon", "30d", "--l2", "100", "--calibrate", "platt", "--bootstrap", "50", "--threads", "1",
                         "--test-from", "2024-07-01", "--out", dir.file("cli.json")])
    #expect(run.status == 0, "\(run.stderr)")
    let trainer = Trainer(settings: ModelSettings(.logistic(LogisticSpec(l2Penalty: 100)), threads: 1), calibration: .platt)
    let result = try trainer.backtest(data, plan: try ObservationPlan(cutoffs: "2024-04-01:2024-11-01:1m", horizon: "30d"),
                                      testFrom: "2024-07-01", bootstrap: 50)
    #expect(try json(result) == String(decoding: try bytes(dir.file("cli.json")), as: UTF8.self))
    #expect(result.folds.map(\.fold) == ["2024-07-01", "2024-08-01", "2024-09-01", "2024-10-01", "2024-11-01"])
    #expect(result.churnOverTime?.count == 8 && result.horizon == "30d" && !result.tuned && result.intervals)

    let table = try churn(["backtest", "--table", Self.telco, "--id", "customerid", "--label", "churn", "--folds", "3", "--bootstrap", "0",
                           "--tune", "--threads", "1", "--out", dir.file("table.json")])
    #expect(table.status == 0, "\(table.stderr)")
    let kfold = try Trainer(settings: ModelSettings(threads: 1), tuning: Tuning())
      .backtest(TableData(path: Self.telco, idColumn: "customerid", label: "churn"), folds: 3, bootstrap: 0)
    #expect(try json(kfold) == String(decoding: try bytes(dir.file("table.json")), as: UTF8.self))
    #expect(kfold.kind == "stratified k-fold" && kfold.churnOverTime == nil && kfold.tuned && !kfold.intervals)
  }

  @Test("Tuning compares the grid on the latest folds and records the choice by its metric")
  func tuning() throws {
    let table = try TableData(path: Self.telco, idColumn: "customerid", label: "churn").load().table
    let folds = try Folds.stratified(labels: table.labels!, k: 4, seed: 1)
    let lines = RecordedLog()
    for metric in TuneMetric.allCases {
      let (chosen, found) = try Tuning(metric: metric, folds: 2).choose(table, folds: folds, settings: ModelSettings(threads: 1), log: lines.log)
      let record = try #require(found)
      #expect(record.folds == ["fold 3 of 4", "fold 4 of 4"] && record.candidates.count == 6 && record.metric == metric.rawValue)
      let best = metric == .auc ? record.candidates.max { $0.meanAUC < $1.meanAUC }! : record.candidates.min { $0.meanLogLoss < $1.meanLogLoss }!
      #expect(chosen.summary == best.settings && record.chosen == best.settings)
    }
    #expect(lines.lines.first == "tuning: 6 candidates × 2 folds (fold 3 of 4, fold 4 of 4), by mean log_loss")
    #expect(lines.lines.filter { $0.hasPrefix("tuning chose ") }.count == 2)
  }

  @Test("Each training and backtest error says what was found and what to do")
  func errors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    func message(_ body: () throws -> Any) -> String? {
      do { _ = try body(); return nil } catch { return "\(error)" }
    }
    try "customer_id,timestamp,event_type,value\na,2025-01-02,login,\nb,2025-01-03,login,\na,2025-02-10,login,\n"
      .write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let data = EventData(events: dir.file("e.csv"), threads: 1)
    #expect(message { try Trainer().train(data, plan: try ObservationPlan(cutoff: ["2025-02-01"], horizon: "30d", dataEnd: "2025-02-20")) }
      == "no cutoff has a known label: every horizon runs past the end of the data; use earlier cutoffs")
    #expect(message { try Trainer().backtest(data, plan: try ObservationPlan(cutoff: ["2025-01-15"], horizon: "7d"), testFrom: "soon") }
      == "--test-from \"soon\" is not a date; expected ISO 8601 such as 2025-09-01")
    #expect(message { try Trainer().backtest(data, plan: try ObservationPlan(cutoff: ["2025-01-15"], horizon: "7d")) }
      == "no cutoff can be tested: each needs an earlier cutoff whose label window (7d) closed by then, and both classes; add earlier cutoffs or shorten the horizon")
    #expect(message { try Trainer().train(TableData(path: dir.file("t.csv"))) }
      == "no label column given for \(dir.file("t.csv")); expected the name of its 0/1 or yes/no column (--label COLUMN)")
    try "id,x,churned\n1,0.5,0\n2,0.7,0\n3,0.1,0\n".write(toFile: dir.file("t.csv"), atomically: true, encoding: .utf8)
    #expect(message { try Trainer().backtest(TableData(path: dir.file("t.csv"), idColumn: "id", label: "churned")) }
      == "all 3 labelled rows of \(dir.file("t.csv")) have label 0; a churn model needs both churned and retained customers")
    #expect(BacktestError.testFromTooLate("2030-01-01", lastCutoff: "2024-06-01").description
      == "--test-from 2030-01-01 is after every cutoff that can be tested (the last is 2024-06-01); expected a date on or before it")
    let table = try TableData(path: dir.file("t.csv"), idColumn: "id", label: "churned").load().table
    #expect(message { try Tuning().choose(table, folds: [], settings: ModelSettings()) } == "--tune needs at least one backtest fold with both classes")
  }
}
