import ArgumentParser
import ChurnPipeline
import Foundation

/// The model and the customers to score: an event log as of a date, or a prepared table.
/// Shared by churn score, churn explain and churn report.
struct ScoringInputs: ParsableArguments {
  @Option(help: "Model file written by churn train.")
  var model: String

  @Option(help: "Event log CSV (for a model trained from events); column names are the model's.")
  var events: String?

  @Option(help: "Customer table CSV (for a model trained with one).")
  var customers: String?

  @Option(help: "Score as of this date (midnight UTC): features see only events before it.")
  var asOf: String?

  @Option(help: "Table CSV with the model's feature columns (other columns are ignored).")
  var table: String?

  @Option(help: "Name of the id column of --table (default: the model's).")
  var id: String?

  @Flag(help: "Skip malformed event rows instead of stopping.")
  var skipBadRows = false

  func validate() throws {
    if (table == nil) == (events == nil) { throw ValidationError("give either --events (with --as-of) or --table") }
    if events != nil && asOf == nil { throw ValidationError("--events needs --as-of DATE, the day to score as of") }
    if table != nil {
      try FlagRules.refuse(FlagRules.given([("--as-of", asOf != nil), ("--customers", customers != nil), ("--skip-bad-rows", skipBadRows)]),
                           "applies to an event log (--events), not to --table; drop it")
    } else {
      try FlagRules.refuse(id != nil ? ["--id"] : [], "applies only with --table (an event log's id column is the model's); drop it")
    }
    if let asOf, UTCTime.parseMilliseconds(asOf) == nil {
      throw ValidationError("--as-of \"\(asOf)\" is not a date; expected ISO 8601 such as 2025-07-01")
    }
  }

  /// The files this command reads, by flag, for `OutputTransaction`.
  var paths: [(name: String, path: String?)] {
    [("--model", model), ("--events", events), ("--customers", customers), ("--table", table)]
  }

  struct Loaded {
    var features: FeatureTable
    /// Monthly revenue per row (NaN unknown) when a revenue column was asked for.
    var revenue: [Double]?
    var horizonMonths: Double
    var idHeader: String
    var customerTable: CustomerTable?
    /// The as-of instant (events) or nil (table).
    var asOf: Int64?
  }

  /// The model's features (and labels where known) at `cutoffs`, from --events and
  /// --customers with the model's column names and observation rules; `extraNumeric` is
  /// read as a number from the customer table when present (a revenue column).
  func build(_ file: ModelFile, cutoffs: [Int64], extraNumeric: String? = nil, label: String) throws -> (FeatureBuilder.Result, CustomerTable?) {
    guard let events, let spec = file.featureSpec, let settings = file.events else {
      throw ModelInputError.tableModelGivenEvents(model: model, idColumn: file.idColumn, labelColumn: file.labelColumn)
    }
    let design = try ObservationDesign(cutoffs: cutoffs, horizon: CalendarSpan.parse(settings.horizon)!,
                                       activeWindow: settings.activeWindow.flatMap(CalendarSpan.parse),
                                       activityTypes: settings.activityTypes)
    var table: CustomerTable?
    if let customers {
      var kinds: [String: TypedCSV.Kind] = [:]
      for attribute in spec.attributes { kinds[attribute.name] = attribute.kind }
      if let extraNumeric { kinds[extraNumeric] = kinds[extraNumeric] ?? .numeric }
      table = try CustomerTable(path: customers, idColumn: settings.customerColumn, signupColumn: settings.signupColumn,
                                churnDateColumn: settings.churnDateColumn, kinds: kinds)
    } else if !spec.attributes.isEmpty {
      throw ModelInputError.customersNeeded(model: model, attributes: spec.attributes.map(\.name))
    }
    var builder = FeatureBuilder(design: design, spec: spec, customers: table)
    builder.threads = ProcessInfo.processInfo.activeProcessorCount
    var columns = EventLogColumns(customer: settings.customerColumn, timestamp: settings.timestampColumn,
                                  eventType: settings.eventTypeColumn, value: settings.valueColumn)
    columns.valueRequired = spec.eventTypes.contains { $0.valued }  // the model's value features need the column
    var reader = EventLogReader(path: events, columns: columns, skipBadRows: skipBadRows)
    let progress = ProgressReporter.attach(to: &reader, label: label)
    let result = try builder.build(events: reader)
    progress?.finish()
    return (result, table)
  }

  /// The rows to score, with the model's features.
  func load(_ file: ModelFile, revenueColumn: String?, label: String) throws -> Loaded {
    if events != nil {
      guard let settings = file.events else {
        throw ModelInputError.tableModelGivenEvents(model: model, idColumn: file.idColumn, labelColumn: file.labelColumn)
      }
      let day = UTCTime.parseMilliseconds(asOf!)!  // checked in validate()
      let asOfDay = UTCTime.floorDiv(day, UTCTime.millisecondsPerDay) * UTCTime.millisecondsPerDay
      let horizon = CalendarSpan.parse(settings.horizon)!
      let horizonMonths = Double(horizon.added(to: asOfDay) - asOfDay) / Double(UTCTime.millisecondsPerDay) / 30.4375
      let (result, table) = try build(file, cutoffs: [asOfDay], extraNumeric: revenueColumn, label: label)
      if result.skipped.count > 0 { StandardError.print("\(label): skipped \(result.skipped.count) bad event rows; first: \(result.skipped.examples.first ?? "")") }
      var revenue: [Double]?
      if let revenueColumn {
        guard let table, let customers else { throw RevenueColumnError.noCustomerTable(column: revenueColumn) }
        guard let index = table.attributes.firstIndex(where: { $0.name.lowercased() == revenueColumn.lowercased() }),
              case .numeric(let values) = table.attributeColumns[index]
        else { throw RevenueColumnError.notNumeric(path: customers, column: revenueColumn) }
        try RevenueColumn.check(values, ids: table.ids, path: customers, column: revenueColumn)
        revenue = result.table.ids.map { id in table.rowOf[id].map { values[$0] } ?? .nan }
      }
      StandardError.print("\(label): \(result.table.rowCount) eligible customers as of \(UTCTime.formatDate(milliseconds: asOfDay)) (events to \(UTCTime.formatDate(milliseconds: result.dataEnd)), exclusive)")
      noteUnseenLevels(file, result.table, label: label)
      return Loaded(features: result.table, revenue: revenue, horizonMonths: horizonMonths, idHeader: settings.customerColumn,
                    customerTable: table, asOf: asOfDay)
    }
    var kinds: [String: TypedCSV.Kind] = [:]
    for (name, numeric) in zip(file.preprocessor.inputNames, file.preprocessor.inputKinds) { kinds[name] = numeric ? .numeric : .categorical }
    let header = try CSVReader(path: table!).header
    let idColumn = id ?? file.idColumn
    if let settings = file.events, !header.contains(where: { $0.lowercased() == idColumn.lowercased() }) {
      throw ModelInputError.eventModelGivenTable(model: model, table: table!, customerColumn: idColumn, horizon: settings.horizon)
    }
    kinds = kinds.filter { name, _ in header.contains { $0.lowercased() == name.lowercased() } }
    if let revenueColumn { kinds[revenueColumn] = kinds[revenueColumn] ?? .numeric }
    let csv = try TypedCSV(path: table!, idColumn: id ?? file.idColumn, kinds: kinds)
    let features = file.preprocessor.namingColumnsAsInTraining(try csv.featureTable(label: nil))
    // One row per customer: a repeated id would be ranked twice, or explained from one of its rows.
    try CustomerRows.checkUnique(features.ids, path: table!, idColumn: id ?? file.idColumn)
    try file.preprocessor.checkColumns(features, source: table!)
    noteUnseenLevels(file, features, label: label)
    var revenue: [Double]?
    if let revenueColumn {
      guard let index = features.columnIndex(revenueColumn), case .numeric(let values) = features.columns[index] else {
        throw RevenueColumnError.notNumeric(path: table!, column: revenueColumn)
      }
      try RevenueColumn.check(values, ids: features.ids, path: table!, column: revenueColumn)
      revenue = values
    }
    return Loaded(features: features, revenue: revenue, horizonMonths: 1, idHeader: id ?? file.idColumn, customerTable: nil, asOf: nil)
  }

  /// One note per categorical column with levels the model never saw (scored as its reference level).
  func noteUnseenLevels(_ file: ModelFile, _ features: FeatureTable, label: String) {
    for unseen in file.preprocessor.unseenLevels(features) { StandardError.print("\(label): note: \(unseen)") }
  }
}
