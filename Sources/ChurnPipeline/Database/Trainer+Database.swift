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
    return try train(built: built, customers: customers, columns: source.columns, signupColumn: source.signupColumn,
                     churnDateColumn: source.churnDateColumn, plan: plan)
  }
}
