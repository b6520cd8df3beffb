import ArgumentParser
import ChurnPipeline

/// `--survival --periods K [--period-encoding E]`, shared by churn train and churn backtest.
struct SurvivalOptions: ParsableArguments {
  @Flag(help: "Fit a discrete-time survival (time-to-churn) model: a hazard model on person-period rows, K periods of one --horizon each (needs a customer table with churn dates).")
  var survival = false

  @Option(help: "With --survival: the periods K to look ahead, 2 to 120.")
  var periods: Int?

  @Option(help: "With --survival: how the period index enters the hazard model (indicators: one 0/1 column per period after the first; number: one numeric column; both; first-period: indicators plus a period-1 copy of every input column; stratified, tree models only: number, with the period-1 hazard from trees of the period-1 rows and the later periods' from trees of theirs; default: first-period for the logistic model, stratified for the forest and boosting).")
  var periodEncoding: PeriodEncoding?

  func validate() throws {
    if survival {
      guard let periods else { throw ValidationError("--survival needs --periods K (2 to \(SurvivalSettings.maximumPeriods)): the periods to look ahead") }
      do { _ = try SurvivalSettings(periods: periods) } catch let error as SurvivalError { throw ValidationError(error.description) }
    } else {
      try FlagRules.refuse(FlagRules.given([("--periods", periods != nil), ("--period-encoding", periodEncoding != nil)]), "applies only with --survival; add --survival or drop it")
    }
  }

  /// Refuses `--period-encoding stratified` for the logistic model (no trees), before any file is read.
  func validate(family: ModelFamily) throws {
    if survival && periodEncoding == .stratified && family == .logistic {
      throw ValidationError(SurvivalError.stratifiedNeedsTrees(family).description)
    }
  }

  /// The survival settings the flags give for `family`, or nil without --survival.
  func settings(for family: ModelFamily) throws -> SurvivalSettings? {
    guard survival, let periods else { return nil }
    return try SurvivalSettings(periods: periods, encoding: periodEncoding ?? .standard(for: family))
  }
}

extension PeriodEncoding: ExpressibleByArgument {}
