import ChurnCore
import ChurnFeatures
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

@Suite("Backtests: purged time folds, k-fold, calibration")
struct BacktestTests {
  func build(_ path: String, customers: String?, cutoffs: [Int64], horizon: CalendarSpan = .days(45)) throws -> FeatureTable {
    let design = try ObservationDesign(cutoffs: cutoffs, horizon: horizon)
    return try FeatureBuilder(design: design, customers: try customers.map { try CustomerTable(path: $0) })
      .build(events: EventLogReader(path: path)).table
  }

  /// With the customer table labels are contractual (churn dates); without it they are
  /// inactivity labels, which the moved events could change if a label window reached past c.
  @Test("Moving, changing or adding events on or after a test cutoff changes no training row of its fold", arguments: [true, false])
  func noLeakage(contractual: Bool) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try CustomerSimulator(settings: SimulationSettings(customerCount: 200, months: 10, seed: 5)).write(to: dir.path)
    let cutoffs = try ObservationDesign.cutoffRange("2024-03-01:2024-09-01:1m")
    // A 45-day horizon with monthly cutoffs: last month's rows are still in their label window at c.
    let horizon = CalendarSpan.days(45)
    let customers = contractual ? dir.file("customers.csv") : nil
    let base = try build(dir.file("events.csv"), customers: customers, cutoffs: cutoffs)
    let folds = Folds.timeOrdered(cutoffs: base.cutoffs!, labels: base.labels!, labelWindowEnd: { horizon.added(to: $0) })
    #expect(folds.count >= 4)
    for fold in folds {
      let c = fold.testCutoff!
      // Purge gap: every training row's label window closed by the test cutoff; the test rows are all at it.
      #expect(fold.train.allSatisfy { horizon.added(to: base.cutoffs![$0]) <= c })
      #expect(fold.test.allSatisfy { base.cutoffs![$0] == c })
    }
    let fold = folds[folds.count / 2]
    let c = fold.testCutoff!
    // Rewrite the log: every event on or after c moves 0–20 days later with a new value, and
    // customers get extra events of every type from c on.
    let text = try String(contentsOfFile: dir.file("events.csv"), encoding: .utf8)
    var rng = SeededGenerator(seed: 9)
    var out = ["customer_id,timestamp,event_type,value"]
    var ids = Set<String>()
    for line in text.split(separator: "\n").dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      ids.insert(f[0])
      let t = UTCTime.parseMilliseconds(f[1])!
      if t >= c {
        let moved = t + Int64(rng.integer(below: 21)) * UTCTime.millisecondsPerDay
        out.append("\(f[0]),\(UTCTime.formatDateTime(milliseconds: moved)),\(f[2]),\(f[3].isEmpty ? "" : String(rng.integer(below: 50)))")
      } else {
        out.append(String(line))
      }
    }
    // Every other customer gets new events (all of them would leave nobody inactive at c).
    for (k, id) in ids.sorted().enumerated() where k % 2 == 0 {
      for type in ["login", "complaint", "payment", "ticket", "order"] {
        out.append("\(id),\(UTCTime.formatDateTime(milliseconds: c + Int64(rng.integer(below: 60 * 86_400)) * 1000)),\(type),3")
      }
    }
    try (out.joined(separator: "\n") + "\n").write(toFile: dir.file("moved.csv"), atomically: true, encoding: .utf8)
    let moved = try build(dir.file("moved.csv"), customers: customers, cutoffs: cutoffs)
    let again = try #require(Folds.timeOrdered(cutoffs: moved.cutoffs!, labels: moved.labels!, labelWindowEnd: { horizon.added(to: $0) })
      .first { $0.testCutoff == c })
    let a = base.rows(fold.train), b = moved.rows(again.train)
    #expect(a.ids == b.ids && a.cutoffs == b.cutoffs)
    #expect(a.labels == b.labels)
    // Every column both have is identical on the training rows. The log's new values after c
    // can add columns (sum_T and mean_T for a type that had no values before): on the
    // training rows they are constant, so they carry nothing, and the preprocessing drops them.
    for (name, x) in zip(a.columnNames, a.columns) {
      guard let k = b.columnIndex(name) else { continue }
      switch (x, b.columns[k]) {
      case (.numeric(let u), .numeric(let v)):
        #expect(zip(u, v).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(name) of a training row changed")
      default: #expect(x == b.columns[k], "\(name) of a training row changed")
      }
    }
    for (name, column) in zip(b.columnNames, b.columns) where a.columnIndex(name) == nil {
      guard case .numeric(let v) = column else { Issue.record("new categorical column \(name)"); continue }
      #expect(v.allSatisfy { $0 == v[0] || ($0.isNaN && v[0].isNaN) }, "new column \(name) varies over the training rows")
    }
    #expect(Set(a.columnNames).isSubset(of: Set(b.columnNames)))
    // So the fold's model is the same model.
    let settings = ModelSettings(.logistic(LogisticSpec(l2Penalty: 10)))
    let m1 = try settings.fit(a), m2 = try settings.fit(b)
    #expect(m1.preprocessor.outputNames == m2.preprocessor.outputNames)
    #expect((m1.model as! LogisticModel).coefficients == (m2.model as! LogisticModel).coefficients && (m1.model as! LogisticModel).intercept == (m2.model as! LogisticModel).intercept)
  }

  @Test("Stratified k-fold: every labelled row tested once, churn rate even across folds, seeded")
  func stratified() throws {
    let labels: [Double] = (0..<103).map { $0 % 5 == 0 ? 1 : 0 } + [.nan]
    let folds = try Folds.stratified(labels: labels, k: 4, seed: 3)
    #expect(folds.flatMap(\.test).sorted() == Array(0..<103))
    for f in folds {
      #expect(Set(f.train).isDisjoint(with: f.test) && f.train.count + f.test.count == 103)
      let churners = f.test.filter { labels[$0] == 1 }.count
      #expect(churners == 5 || churners == 6)
    }
    #expect(try Folds.stratified(labels: labels, k: 4, seed: 3) == folds)
    #expect(try Folds.stratified(labels: labels, k: 4, seed: 4) != folds)
  }

  @Test("churn backtest prints churn over time and per-fold metrics with intervals; --calibrate lowers nothing it should not")
  func command() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try CustomerSimulator(settings: SimulationSettings(customerCount: 600, months: 12, seed: 21)).write(to: dir.path)
    let run = try runChurn(["backtest", "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                            "--cutoffs", "2024-04-01:2024-11-01:1m", "--horizon", "30d", "--l2", "100", "--calibrate", "platt",
                            "--bootstrap", "100", "--out", dir.file("bt.json")])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.contains("cutoff      customers  churned   rate (95% CI)          monthly  annualized"))
    #expect(run.stdout.contains("fold          train   test  churn   AUC (95% CI)"))
    #expect(run.stdout.contains("mean ± sd over "))
    #expect(run.stdout.contains(" calibrated"))
    #expect(run.stdout.contains("cumulative gains on 2024-11-01:"))
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("bt.json")))) as! [String: Any]
    let folds = json["folds"] as! [[String: Any]]
    #expect(folds.count >= 5)
    let last = folds.last!["evaluation"] as! [String: Any]
    let auc = last["auc"] as! [String: Double]
    #expect(auc["lower"]! < auc["value"]! && auc["value"]! < auc["upper"]!)
    #expect(auc["value"]! > 0.6)

    // A static table: stratified k-fold.
    let features = try runChurn(["features", "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                                 "--cutoff", "2024-09-01", "--horizon", "30d", "--out", dir.file("f.csv")])
    #expect(features.status == 0)
    let kfold = try runChurn(["backtest", "--table", dir.file("f.csv"), "--label", "label", "--folds", "3", "--bootstrap", "50"])
    #expect(kfold.status == 0, "\(kfold.stderr)")
    #expect(kfold.stdout.contains("fold 3 of 3"))
  }

  @Test("train --calibrate stores the map; scored probabilities and explanations use it and stay additive")
  func calibratedModel() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try CustomerSimulator(settings: SimulationSettings(customerCount: 600, months: 12, seed: 23)).write(to: dir.path)
    for (family, method) in [("logistic", "isotonic"), ("forest", "platt")] {
      let train = try runChurn(["train", "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                                "--cutoffs", "2024-04-01:2024-11-01:1m", "--horizon", "30d", "--model", family] + (family == "forest" ? ["--trees", "20"] : []) + [
                                "--calibrate", method, "--class-weight", "balanced", "--out", dir.file("m.json")])
      #expect(train.status == 0, "\(train.stderr)")
      #expect(train.stderr.contains("\(method) calibration: expected calibration error on 2024-11-01 "))
      let model = try ModelFile.read(path: dir.file("m.json"))
      let calibration = try #require(model.calibration)
      #expect(calibration.method?.rawValue == method)
      #expect(family == "forest" ? calibration.priorShift == 0 : calibration.priorShift < 0)
      #expect(model.backtest?.isEmpty == false)
      let design = try ObservationDesign(cutoffs: [UTCTime.parseMilliseconds("2024-12-01")!], horizon: .days(30))
      let table = try FeatureBuilder(design: design, spec: model.featureSpec, customers: try CustomerTable(path: dir.file("customers.csv")))
        .build(events: EventLogReader(path: dir.file("events.csv"))).table
      let p = try model.probabilities(table)
      let x = try model.preprocessor.transform(table)
      let raw = model.rawProbabilities(x)
      #expect(zip(p, raw).contains { abs($0 - $1) > 1e-6 }, "calibration changed nothing")
      for row in 0..<min(table.rowCount, family == "forest" ? 40 : 400) {
        let e = model.explain(x, row: row)
        #expect(abs(e.base + e.contributions.reduce(0, +) - p[row]) < 1e-9, "\(family) row \(row): base \(e.base) sum \(e.contributions.reduce(0, +)) p \(p[row]) raw \(raw[row])")
      }
    }
  }
}

@Suite("churn cohorts and train --tune")
struct CohortsTuneTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let telco = root.appendingPathComponent("datasets/telco/telco.csv").path

  @Test("Cohorts of the Telco table: contract levels with Wilson intervals, tenure by decile")
  func cohorts() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let run = try runChurn(["cohorts", "--table", Self.telco, "--id", "customerid", "--label", "churn", "--features", "contract,tenure",
                            "--out", dir.file("c.csv")])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.contains("Month-to-month       2725     1162   42.6% (40.8–44.5%)"))
    #expect(run.stdout.contains("[0, 2]          598      353   59.0% (55.0–62.9%)"))
    let csv = try String(contentsOfFile: dir.file("c.csv"), encoding: .utf8)
    #expect(csv.hasPrefix("feature,cohort,lower,upper,mean_value,customers,churned,churn_rate,rate_lower_95,rate_upper_95\n"))
    let bad = try runChurn(["cohorts", "--table", Self.telco, "--id", "customerid", "--label", "churn", "--features", "nope"])
    #expect(bad.status != 0 && bad.stderr.contains("--features: no column nope"))
  }

  @Test("train --tune compares the grid on cross-validation folds and records the choice")
  func tune() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let run = try runChurn(["train", "--table", Self.telco, "--id", "customerid", "--label", "churn", "--tune", "--folds", "3",
                            "--out", dir.file("m.json")])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stderr.contains("train: tuning: 6 candidates × 3 folds"))
    let model = try ModelFile.read(path: dir.file("m.json"))
    let tuning = try #require(model.tuning)
    #expect(tuning.candidates.count == 6 && tuning.metric == "log_loss")
    let best = tuning.candidates.min { $0.meanLogLoss < $1.meanLogLoss }!
    #expect(tuning.chosen == best.settings)
    #expect((model.model as! LogisticModel).l2Penalty == [0.01, 0.1, 1, 10, 100, 1000][tuning.candidates.firstIndex { $0.settings == best.settings }!])
    #expect(model.backtest?.count == 3)
  }
}
