import ChurnCore
import ChurnFeatures
import ChurnModels
import ChurnScoring

extension Trainer {
  /// Throws when a survival model cannot be trained as asked: inactivity labels (no churn
  /// dates) or a calibration map. Checked before the features are built.
  func checkSurvival(customers: CustomerTable?) throws {
    guard survival != nil else { return }
    guard customers?.hasChurnDates == true else { throw SurvivalError.notContractual }
    if calibration != nil { throw SurvivalError.calibration }
    _ = try fitSettings()
  }

  /// The settings the model is fitted with: `settings`, made a survival model's hazard model
  /// (`SurvivalSettings.hazardSettings`: a stratified forest) when `survival` is set.
  ///
  /// - Throws: `SurvivalError.stratifiedNeedsTrees`.
  func fitSettings() throws -> ModelSettings {
    try survival?.hazardSettings(settings) ?? settings
  }

  /// The person-period rows of `table` (features at each cutoff): K periods of one horizon
  /// each after every cutoff, labelled by the customers' churn dates, censored at `dataEnd`.
  func personPeriods(_ table: FeatureTable, customers: CustomerTable?, design: ObservationDesign, dataEnd: Int64,
                     settings: SurvivalSettings) throws -> PersonPeriodRows {
    let churn = table.ids.map { id in customers?.rowOf[id].flatMap { customers!.churn[$0] } }
    let rows = try PersonPeriodRows(table, churnDates: churn, settings: settings, dataEnd: dataEnd) { design.horizon.added(to: $0, times: $1) }
    let first = rows.firstPeriodRows.count
    log.line("survival: \(rows.table.rowCount) person-period rows (\(settings.periods) periods of \(design.horizon), period index as "
      + "\(settings.encoding.rawValue)) from \(first) customer-cutoffs with a closed first period; \(rows.table.churnedCount) churn events")
    return rows
  }
}

extension ModelFile {
  /// Marks the model as a survival model of `settings`, and keeps the period columns out of
  /// the drift references (scoring sets them to period 1 for every customer: not data).
  mutating func recordSurvival(_ settings: SurvivalSettings) {
    survival = settings
    driftReferences = driftReferences?.filter { !settings.isPeriodColumn($0.column) }
  }
}
