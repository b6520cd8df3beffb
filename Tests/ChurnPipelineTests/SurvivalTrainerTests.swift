import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

/// `Trainer.survival`: a discrete-time hazard model trained, scored and backtested on a small
/// simulated subscription log (contractual churn dates).
@Suite("Survival: train, score and backtest a time-to-churn model")
struct SurvivalTrainerTests {
  static let plan = { try! ObservationPlan(cutoffs: "2024-08-01:2024-11-01:1m", horizon: "30d") }()

  /// A simulated subscription log of 300 customers over 12 months (churn dates in its customer table).
  static func simulated(_ dir: TemporaryDirectory) throws -> EventData {
    try CustomerSimulator(settings: SimulationSettings(customerCount: 300, months: 12, seed: 31)).write(to: dir.path)
    return EventData(events: dir.file("events.csv"), customers: dir.file("customers.csv"), threads: 1)
  }

  static func trainer(periods: Int = 3, _ spec: ModelSpec = .logistic(LogisticSpec(l2Penalty: 10))) throws -> Trainer {
    var trainer = Trainer(settings: ModelSettings(spec, threads: 1))
    trainer.importance = .none
    trainer.survival = try SurvivalSettings(periods: periods, encoding: .standard(for: spec.family))
    return trainer
  }

  @Test("Trained, written and read back; scored: S(k) non-increasing, churn probability 1 − S(1), the curves the model gives the features")
  func trainAndScore() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = try Self.simulated(dir)
    let result = try Self.trainer().train(data, plan: Self.plan)
    #expect(result.model.survival == (try SurvivalSettings(periods: 3, encoding: .firstPeriod)))
    #expect(result.model.events?.contractual == true)
    let inputs = result.model.preprocessor.inputNames
    #expect(inputs.contains("period_2") && inputs.contains("period_3") && inputs.contains("tenure_days@period_1"))
    #expect(!(result.model.driftReferences ?? []).contains { $0.column.contains("period_") })
    try result.model.write(to: dir.file("model.json"))
    let model = try ModelFile.read(path: dir.file("model.json"))
    #expect(model.survival == result.model.survival)

    let scored = try Scorer(model: model).score(data, asOf: "2024-12-01")
    #expect(scored.list.survivalPeriods == 3 && scored.count > 50)
    for row in scored.list.rows {
      let s = try #require(row.survival).survival
      #expect(s.count == 3 && s.allSatisfy { (0...1).contains($0) })
      #expect(zip(s, s.dropFirst()).allSatisfy { $0 >= $1 }, "\(row.id): \(s)")
      #expect(abs(row.probability - (1 - s[0])) < 1e-15, "\(row.id): \(row.probability) against 1 − S(1) = \(1 - s[0])")
      #expect(row.reasons.allSatisfy { !$0.contains("period") }, "\(row.id): \(row.reasons)")
    }
    // The same curves from the features rebuilt with the model's spec and the model's own hazards.
    let asOf = try ObservationPlan(cutoff: ["2024-12-01"], horizon: "30d")
    let features = try asOf.features(data, spec: model.featureSpec).table
    let curves = try #require(try model.survivalCurves(features))
    let byId = Dictionary(uniqueKeysWithValues: scored.list.rows.map { ($0.id, $0.survival!.survival) })
    #expect(features.ids.count == scored.count)
    for (id, curve) in zip(features.ids, curves) {
      let listed = try #require(byId[id])
      #expect(zip(listed, curve).allSatisfy { abs($0 - $1) < 1e-12 }, "\(id): \(listed) against \(curve)")
    }
    // Written: the columns end the list, 6 decimals, the median where S first reaches ½.
    try scored.write(to: dir.file("risk.csv"))
    let lines = try String(contentsOfFile: dir.file("risk.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
    #expect(lines[0].hasSuffix("survival_1,survival_2,survival_3,expected_periods_remaining,median_periods_to_churn"))
    let top = scored.list.rows[0].survival!
    #expect(lines[1].hasSuffix(top.survival.map { String(format: ",%.6f", $0) }.joined() + String(format: ",%.6f,", top.expectedPeriodsRemaining)
      + (top.medianPeriodsToChurn.map(String.init) ?? "")))
  }

  @Test("Backtest: each fold's curves judged against the observed times of the customers at its cutoff")
  func backtest() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = try Self.simulated(dir)
    let result = try Self.trainer().backtest(data, plan: Self.plan, bootstrap: 0)
    #expect(!result.folds.isEmpty)
    for fold in result.folds {
      let s = try #require(fold.survival)
      #expect(s.customers == fold.evaluation.rows)
      #expect(s.deciles.reduce(0) { $0 + $1.customers } == s.customers)
      #expect((0...1).contains(s.concordance) && s.comparablePairs > 0)
      #expect(s.integratedBrierScore > 0 && s.integratedBrierScore < 0.25)
    }
  }

  @Test("Stratified forest: trees split on the period first; read back; S(k) non-increasing, 1 − S(1) the period-1 hazard")
  func stratifiedForest() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = try Self.simulated(dir)
    var trainer = try Self.trainer(.forest(ForestSpec(treeCount: 10, minLeafSize: 10)))
    trainer.survival = try SurvivalSettings(periods: 3, encoding: .stratified)
    let result = try trainer.train(data, plan: Self.plan)
    #expect(result.model.survival?.encoding == .stratified)
    #expect(result.model.preprocessor.inputNames.filter { $0.hasPrefix("period") } == ["period"])
    let forest = try #require(result.model.model as? ForestModel)
    let period = try #require(forest.featureNames.firstIndex(of: "period"))
    #expect(forest.trees.allSatisfy { $0.feature[0] == Int32(period) && $0.threshold[0] == 1.5 })
    try result.model.write(to: dir.file("model.json"))
    let model = try ModelFile.read(path: dir.file("model.json"))
    #expect(model.survival == result.model.survival)
    let scored = try Scorer(model: model).score(data, asOf: "2024-12-01")
    #expect(scored.count > 50)
    for row in scored.list.rows {
      let s = try #require(row.survival).survival
      #expect(s.count == 3 && zip(s, s.dropFirst()).allSatisfy { $0 >= $1 }, "\(row.id): \(s)")
      #expect(abs(row.probability - (1 - s[0])) < 1e-15)
      #expect(row.reasons.allSatisfy { !$0.contains("period") }, "\(row.id): \(row.reasons)")
    }
    var logistic = try Self.trainer()
    logistic.survival = try SurvivalSettings(periods: 3, encoding: .stratified)
    #expect(throws: SurvivalError.stratifiedNeedsTrees(.logistic)) { try logistic.train(data, plan: Self.plan) }
  }

  @Test("Errors: inactivity labels, calibration, a prepared table")
  func errors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    // Checked before any feature is built: two hand-written files are enough.
    try "customer_id,timestamp,event_type\nA,2024-01-05,login\n".write(toFile: dir.file("events.csv"), atomically: true, encoding: .utf8)
    try "customer_id,churn_date\nA,\n".write(toFile: dir.file("customers.csv"), atomically: true, encoding: .utf8)
    let data = EventData(events: dir.file("events.csv"), customers: dir.file("customers.csv"), threads: 1)
    let inactivity = EventData(events: data.events, threads: 1)
    #expect(throws: SurvivalError.notContractual) { try Self.trainer().train(inactivity, plan: Self.plan) }
    #expect(throws: SurvivalError.notContractual) { try Self.trainer().backtest(inactivity, plan: Self.plan) }
    #expect(SurvivalError.notContractual.description == "--survival needs contractual labels: a customer table with a churn-date column "
      + "(churn_date, or --churn-date-column NAME); these labels are inactivity churn, which is not an absorbing event (a customer idle for "
      + "one horizon can come back), so a time to churn is not defined; fix: give --customers with churn dates, or leave out --survival")
    var calibrated = try Self.trainer()
    calibrated.calibration = .platt
    #expect(throws: SurvivalError.calibration) { try calibrated.train(data, plan: Self.plan) }
    #expect(throws: SurvivalError.preparedTable) { try Self.trainer().train(TableData(path: TrainerTests.telco, idColumn: "customerid", label: "churn")) }
  }
}
