import ChurnCore

extension ModelFile {
  /// The rows of `table` (features at the as-of date, without period columns) as the model
  /// scores them: for a survival model, set to period 1 (whose hazard is the churn
  /// probability 1 − S(1)); any other model's rows as they are.
  ///
  /// - Throws: `SurvivalError.columnTaken` when the table already has a period column.
  public func scoringRows(_ table: FeatureTable) throws -> FeatureTable {
    guard let survival else { return table }
    return try survival.adding(period: 1, to: table)
  }

  /// The survival curve S(1) … S(K) of each row of `table` (features at the as-of date,
  /// without the period columns): the hazard of each period through the saved preprocessing,
  /// model and calibration (`probabilities(_:)`), multiplied out (`SurvivalSettings.curves`).
  ///
  /// - Returns: one curve per row, or nil for a model that is not a survival model.
  /// - Throws: the errors of `probabilities(_:)`; `SurvivalError.columnTaken`.
  public func survivalCurves(_ table: FeatureTable) throws -> [[Double]]? {
    guard let survival else { return nil }
    return try survival.curves(table, hazard: probabilities)
  }
}
