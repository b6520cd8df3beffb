import ChurnCore
import ChurnFeatures
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

@Suite("Backtests: purged time folds, k-fold, calibration")
struct BacktestTests {
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
