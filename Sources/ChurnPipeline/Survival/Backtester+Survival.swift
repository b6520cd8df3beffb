import ChurnCore
import ChurnFeatures
import ChurnModels
import ChurnScoring

extension Trainer {
  /// The backtest of a survival model (`survival`): out-of-time folds of person-period rows
  /// (`PersonPeriodRows.timeFolds`: each training row's own period closed by the test cutoff);
  /// each fold's hazard model is judged on the customers at its cutoff twice: its churn
  /// probability 1 − S(1) against the next period's churn (the fixed-horizon metrics), and its
  /// curves S(1) … S(K) against their observed, right-censored times to churn
  /// (`SurvivalEvaluation`: concordance, integrated Brier score, Kaplan–Meier per risk decile).
  func survivalBacktest(_ build: () throws -> (result: FeatureBuilder.Result, customers: CustomerTable?), plan: ObservationPlan,
                        testFrom text: String?, from: Int64?, bootstrap: Int) throws -> BacktestResult {
    let (built, customers) = try build()
    try checkSurvival(customers: customers)
    FeatureRunSummary(built).lines.forEach(log.line)
    let design = try plan.design()
    let source = built.table
    let periods = try personPeriods(source, customers: customers, design: design, dataEnd: built.dataEnd, settings: survival!)
    let all = periods.table
    var splits = periods.timeFolds()
    if let from, let last = splits.last?.testCutoff, last < from {
      throw BacktestError.testFromTooLate(text ?? UTCTime.formatDate(milliseconds: from), lastCutoff: UTCTime.formatDate(milliseconds: last))
    }
    if let from { splits = splits.filter { $0.testCutoff! >= from } }
    guard !splits.isEmpty else { throw BacktestError.noFold(horizon: design.horizon.description) }
    log.line("\(splits.count) out-of-time folds (purge gap: each training row's own period closes by the test cutoff)")
    let choose = try foldSettings(all, splits: splits)
    var result = BacktestResult(kind: "out-of-time", model: settings.family.rawValue, settings: try fitSettings().summary, tuned: foldTuning(all) != nil,
                                intervals: bootstrap > 0)
    for (k, fold) in splits.enumerated() {
      let f = try Backtest.run(all, folds: [fold], settings: choose)[0]
      log.line("fold \(k + 1) of \(splits.count) fitted")
      let e = try Evaluation(probabilities: f.probabilities, labels: f.labels, replicates: bootstrap, seed: settings.seed)
      let rows = fold.test.map { periods.source[$0] }
      let model = f.model!
      let curves = try survival!.curves(source.rows(rows), hazard: model.probabilities)
      let observed = ObservedTimes(periods: rows.map { periods.observedPeriods[$0] }, churned: rows.map { periods.churned[$0] })
      result.folds.append(.init(fold: fold.name, settings: f.settings.summary, trainingRows: f.trainingRows, evaluation: e, calibrated: nil,
                                survival: SurvivalEvaluation(survival: curves, observed: observed), survivalPredictions: (curves, observed)))
    }
    result.churnOverTime = Self.rates(source, days: { Double(design.horizon.added(to: $0) - $0) / Double(UTCTime.millisecondsPerDay) })
    result.horizon = design.horizon.description
    return result
  }
}
