import ChurnCore
import ChurnFeatures

extension Trainer {
  /// Trains from the tables of a PostgreSQL database: the server computes the feature rows
  /// (`ObservationPlan.features(_:spec:extraNumeric:log:)` with a `DatabaseSource`) and the
  /// training is the one of `train(_:plan:)` from files. The same data as files and as tables
  /// gives the same rows, so the same model file.
  ///
  /// - Throws: `DatabaseError`, and the errors of `train(_:plan:)`.
  public func train(_ source: DatabaseSource, plan: ObservationPlan) throws -> TrainingResult {
    let (built, customers) = try plan.features(source, log: log)
    return try train(built: built, customers: customers, columns: source.columns, signupColumn: source.customerColumns.signupColumn,
                     churnDateColumn: source.customerColumns.churnDateColumn, plan: plan)
  }

  /// Backtests on the tables of a PostgreSQL database: the server computes the feature rows at
  /// the plan's cutoffs, and the folds are those of `backtest(_:plan:testFrom:bootstrap:)` from
  /// files. The same data as files and as tables gives the same rows, so the same folds and metrics.
  ///
  /// - Throws: `DatabaseError`, and the errors of `backtest(_:plan:testFrom:bootstrap:)`.
  public func backtest(_ source: DatabaseSource, plan: ObservationPlan, testFrom: String? = nil, bootstrap: Int = 1000) throws -> BacktestResult {
    try backtest(plan: plan, testFrom: testFrom, bootstrap: bootstrap) { try plan.features(source, log: log) }
  }
}
