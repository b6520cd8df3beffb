import ChurnCore
import ChurnFeatures

extension Scorer {
  /// The model's features (and labels where known) at `cutoffs`, computed by the database of
  /// `source` with the model's column names, spec and observation rules: what
  /// `build(_:cutoffs:extraNumeric:ownerColumn:)` makes from files.
  func build(_ source: DatabaseSource, cutoffs: [Int64], extraNumeric: String? = nil, ownerColumn: String? = nil) throws
    -> (FeatureBuilder.Result, CustomerTable?)
  {
    let (settings, spec) = try eventSettings()
    let design = try settings.design(cutoffs: cutoffs)
    var columns = settings.columns
    columns.valueRequired = spec.eventTypes.contains { $0.valued }
    var modelSource = source
    modelSource.columns = columns
    modelSource.customerIdColumn = settings.customerColumn
    modelSource.signupColumn = settings.signupColumn
    modelSource.churnDateColumn = settings.churnDateColumn
    modelSource.ownerColumn = ownerColumn
    if source.customersTable == nil && !spec.attributes.isEmpty {
      throw ModelInputError.customersNeeded(model: modelPath, attributes: spec.attributes.map(\.name))
    }
    let (result, customers) = try ObservationPlan(design: design).features(modelSource, spec: spec, extraNumeric: extraNumeric, log: log)
    return (result, customers)
  }

  func rows(_ source: DatabaseSource, asOf text: String, revenueColumn: String?, ownerColumn: String? = nil) throws -> ScoringRows {
    try rows(asOf: text, customersName: source.customersTable, revenueColumn: revenueColumn) { cutoffs in
      try build(source, cutoffs: cutoffs, extraNumeric: revenueColumn, ownerColumn: ownerColumn)
    }
  }
}
