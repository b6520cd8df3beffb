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
    if source.customersTable == nil && !spec.attributes.isEmpty {
      throw ModelInputError.customersNeeded(model: modelPath, attributes: spec.attributes.map(\.name))
    }
    let (result, customers) = try ObservationPlan(design: design).features(try modelSource(source, ownerColumn: ownerColumn), spec: spec,
                                                                           extraNumeric: extraNumeric, log: log)
    return (result, customers)
  }

  /// `source` with the model's column names (what `modelEventData(_:ownerColumn:)` does for files).
  func modelSource(_ source: DatabaseSource, ownerColumn: String? = nil) throws -> DatabaseSource {
    let (settings, spec) = try eventSettings()
    var modelSource = source
    modelSource.columns = settings.columns
    modelSource.columns.valueRequired = spec.eventTypes.contains { $0.valued }
    modelSource.customerColumns.idColumn = settings.customerColumn
    modelSource.customerColumns.signupColumn = settings.signupColumn
    modelSource.customerColumns.churnDateColumn = settings.churnDateColumn
    modelSource.customerColumns.ownerColumn = ownerColumn
    return modelSource
  }

  /// The weekly brief from the tables of a PostgreSQL database: what
  /// `brief(_:asOf:options:)` writes from the same data as files (the server computes the
  /// features at the as-of date, the trend cutoffs and the monthly analysis's cutoffs).
  ///
  /// - Throws: `DatabaseError`, and the errors of `brief(_:asOf:options:)`.
  public func brief(_ source: DatabaseSource, asOf: String, options: BriefOptions = BriefOptions()) throws -> WeeklyBrief {
    try brief(.database(source, asOf: asOf), options: options)
  }

  func rows(_ source: DatabaseSource, asOf text: String, revenueColumn: String?, ownerColumn: String? = nil) throws -> ScoringRows {
    try rows(asOf: text, customersName: source.customersTable, revenueColumn: revenueColumn) { cutoffs in
      try build(source, cutoffs: cutoffs, extraNumeric: revenueColumn, ownerColumn: ownerColumn)
    }
  }
}
