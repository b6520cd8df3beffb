import ChurnCore
import ChurnFeatures
import ChurnModels
import ChurnScoring
import Foundation

/// The customers to score, explain or report on: an event log as of a date, or a prepared table.
public enum CustomerSource: Sendable {
  /// The event log (and customer table) the model was trained from, as of a date such as
  /// "2025-12-01" (midnight UTC): features see only events before it. Column names, windows
  /// and eligibility rules are the model's; the data's own column settings are not used.
  case events(EventData, asOf: String)
  /// A table with the model's feature columns (others ignored), one row per customer, ids in
  /// `idColumn`; its `label`, when given, feeds the report's cohort sections.
  case table(TableData)
  /// The tables of a PostgreSQL database as of a date: the server computes the model's
  /// features (`FeatureQuery`) with the model's column names and rules, as for `events`.
  case database(DatabaseSource, asOf: String)
}

/// The rows a scoring job works on, with the model's features.
struct ScoringRows {
  var features: FeatureTable
  /// Monthly revenue per row (NaN unknown) when a revenue column was asked for.
  var revenue: [Double]?
  var horizonMonths: Double
  var idHeader: String
  /// The as-of instant (events) or nil (table).
  var asOf: Int64?
  /// "as of 2025-12-01" or "from TABLE.csv".
  var described: String
  /// What the job noted on the data (skipped event rows, levels the model never saw), as logged.
  var notes: [String] = []
  /// Each row's owner (nil when blank or not in the customer table) when an owner column was read.
  var owners: [String?]?
  /// The number of customers of the whole list: `features.rowCount` unless a shard was kept.
  var population: Int { populationBeforeShard ?? features.rowCount }
  var populationBeforeShard: Int?
}

/// `--table -`: the feature rows read from standard input, through a temporary copy.
struct StandardInputTable {
  /// The table path that means standard input.
  static let path = "-"
  /// The temporary copy.
  let path: String

  /// Copies standard input to a new temporary file.
  ///
  /// - Throws: `FileError` when the copy cannot be written or standard input cannot be read.
  static func copy() throws -> StandardInputTable {
    let directory = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    var template = Array("\(directory)/churn-stdin-XXXXXX.csv".utf8CString)
    let descriptor = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 4) }
    let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    if descriptor < 0 { throw FileError(path: path, action: "create", reason: String(cString: strerror(errno))) }
    defer { close(descriptor) }
    let copy = StandardInputTable(path: path)
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n < 0 {
        let reason = String(cString: strerror(errno))
        copy.remove()
        throw FileError(path: "standard input", action: "read", reason: reason)
      }
      if n == 0 { break }
      var written = 0
      while written < n {
        let w = buffer.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, n - written) }
        if w < 0 && errno == EINTR { continue }
        if w < 0 {
          let reason = String(cString: strerror(errno))
          copy.remove()
          throw FileError(path: path, action: "write", reason: reason)
        }
        written += w
      }
    }
    return copy
  }

  func remove() { unlink(path) }

  /// `error`, with every mention of the temporary copy reading "standard input".
  func renamed(_ error: Error) -> Error {
    let text = "\(error)"
    guard text.contains(path) else { return error }
    return ScorerError.standardInput(text.replacingOccurrences(of: path, with: "standard input"))
  }
}

extension Scorer {
  /// The model's event settings and feature spec, or the error for a model trained on a table.
  func eventSettings() throws -> (ModelFile.EventSettings, FeatureSpec) {
    guard let settings = model.events, let spec = model.featureSpec else {
      throw ModelInputError.tableModelGivenEvents(model: modelPath, idColumn: model.idColumn, labelColumn: model.labelColumn)
    }
    return (settings, spec)
  }

  /// The files of `data` read with the column names and observation rules the model was
  /// trained with.
  func modelEventData(_ data: EventData, ownerColumn: String? = nil) throws -> EventData {
    let (settings, spec) = try eventSettings()
    var columns = settings.columns
    columns.valueRequired = spec.eventTypes.contains { $0.valued }  // the model's value features need the column
    return EventData(events: data.events, customers: data.customers, columns: columns, customerIdColumn: settings.customerColumn,
                     signupColumn: settings.signupColumn, churnDateColumn: settings.churnDateColumn,
                     skipBadRows: data.skipBadRows, threads: data.threads, ownerColumn: ownerColumn)
  }

  /// The model's features (and labels where known) at `cutoffs`, from the files of `data`
  /// read with the model's column names and observation rules; `extraNumeric` is read as a
  /// number from the customer table when present (a revenue column).
  func build(_ data: EventData, cutoffs: [Int64], extraNumeric: String? = nil, ownerColumn: String? = nil) throws -> (FeatureBuilder.Result, CustomerTable?) {
    let (settings, spec) = try eventSettings()
    let design = try settings.design(cutoffs: cutoffs)
    let modelData = try modelEventData(data, ownerColumn: ownerColumn)
    if modelData.customers == nil && !spec.attributes.isEmpty {
      throw ModelInputError.customersNeeded(model: modelPath, attributes: spec.attributes.map(\.name))
    }
    let table = try modelData.loadCustomers(spec: spec, extraNumeric: extraNumeric)
    let result = try ObservationPlan(design: design).features(modelData, customers: table, spec: spec, log: log)
    return (result, table)
  }

  /// The model's features at `cutoffs` from the files or the tables of `source` (not a table:
  /// its features are fixed, at one date).
  func build(_ source: CustomerSource, cutoffs: [Int64], extraNumeric: String? = nil) throws -> (FeatureBuilder.Result, CustomerTable?) {
    switch source {
    case .events(let data, _): return try build(data, cutoffs: cutoffs, extraNumeric: extraNumeric)
    case .database(let database, _): return try build(database, cutoffs: cutoffs, extraNumeric: extraNumeric)
    case .table: preconditionFailure("Scorer.build: a table's features are not recomputed at other cutoffs")
    }
  }

  /// The rows to score from `source`, with the model's features; lines on the data go to `log`.
  func rows(_ source: CustomerSource, revenueColumn: String?, ownerColumn: String? = nil) throws -> ScoringRows {
    switch source {
    case .events(let data, let asOf): return try rows(data, asOf: asOf, revenueColumn: revenueColumn, ownerColumn: ownerColumn)
    case .table(let table): return try rows(table, revenueColumn: revenueColumn, ownerColumn: ownerColumn)
    case .database(let source, let asOf): return try rows(source, asOf: asOf, revenueColumn: revenueColumn, ownerColumn: ownerColumn)
    }
  }

  func rows(_ data: EventData, asOf text: String, revenueColumn: String?, ownerColumn: String? = nil) throws -> ScoringRows {
    try rows(asOf: text, customersName: data.customers, revenueColumn: revenueColumn) { cutoffs in
      try build(data, cutoffs: cutoffs, extraNumeric: revenueColumn, ownerColumn: ownerColumn)
    }
  }

  /// The rows as of `text` from `build` (the features and customer table at the given cutoffs),
  /// whatever they are built from; `customersName` names the customer table in errors.
  func rows(asOf text: String, customersName: String?, revenueColumn: String?,
            build: ([Int64]) throws -> (FeatureBuilder.Result, CustomerTable?)) throws -> ScoringRows {
    let (settings, _) = try eventSettings()
    guard let day = UTCTime.parseMilliseconds(text) else { throw ScorerError.badAsOf(text) }
    let asOfDay = UTCTime.floorDiv(day, UTCTime.millisecondsPerDay) * UTCTime.millisecondsPerDay
    let horizon = try settings.horizonSpan()
    let horizonMonths = Double(horizon.added(to: asOfDay) - asOfDay) / Double(UTCTime.millisecondsPerDay) / 30.4375
    let (result, table) = try build([asOfDay])
    var notes: [String] = []
    if result.skipped.count > 0 {
      notes.append("skipped \(result.skipped.count) bad event rows; first: \(result.skipped.examples.first ?? "")")
      log.line(notes[0])
    }
    var revenue: [Double]?
    if let revenueColumn {
      guard let table, let customers = customersName else { throw RevenueColumnError.noCustomerTable(column: revenueColumn) }
      guard let index = table.attributes.firstIndex(where: { $0.name.lowercased() == revenueColumn.lowercased() }),
            case .numeric(let values) = table.attributeColumns[index]
      else { throw RevenueColumnError.notNumeric(path: customers, column: revenueColumn) }
      try RevenueColumn.check(values, ids: table.ids, path: customers, column: revenueColumn)
      revenue = result.table.ids.map { id in table.rowOf[id].map { values[$0] } ?? .nan }
    }
    let date = UTCTime.formatDate(milliseconds: asOfDay)
    log.line("\(result.table.rowCount) eligible customers as of \(date) (events to \(UTCTime.formatDate(milliseconds: result.dataEnd)), exclusive)")
    notes += noteUnseenLevels(result.table)
    var owners: [String?]?
    if let table, let values = table.owners { owners = result.table.ids.map { id in table.rowOf[id].flatMap { values[$0] } } }
    return ScoringRows(features: result.table, revenue: revenue, horizonMonths: horizonMonths, idHeader: settings.customerColumn,
                       asOf: asOfDay, described: "as of \(date)", notes: notes, owners: owners)
  }

  func rows(_ data: TableData, revenueColumn: String?, ownerColumn: String? = nil) throws -> ScoringRows {
    guard data.path == StandardInputTable.path else { return try tableRows(data, revenueColumn: revenueColumn, ownerColumn: ownerColumn) }
    // The table reader makes two passes and splits a file into byte ranges, so standard input is
    // copied to a temporary file first; errors name "standard input", not that file.
    let copy = try StandardInputTable.copy()
    defer { copy.remove() }
    var local = data
    local.path = copy.path
    do {
      var rows = try tableRows(local, revenueColumn: revenueColumn, ownerColumn: ownerColumn)
      rows.described = "from standard input"
      return rows
    } catch {
      throw copy.renamed(error)
    }
  }

  func tableRows(_ data: TableData, revenueColumn: String?, ownerColumn: String? = nil) throws -> ScoringRows {
    let path = data.path, idColumn = data.idColumn
    var kinds: [String: TypedCSV.Kind] = [:]
    for (name, numeric) in zip(model.preprocessor.inputNames, model.preprocessor.inputKinds) { kinds[name] = numeric ? .numeric : .categorical }
    let header = try CSVReader(path: path, expected: TypedCSV.expectedHeader(idColumn: idColumn)).header
    if let settings = model.events, !header.contains(where: { $0.lowercased() == idColumn.lowercased() }) {
      throw ModelInputError.eventModelGivenTable(model: modelPath, table: path, customerColumn: idColumn, horizon: settings.horizon)
    }
    kinds = kinds.filter { name, _ in header.contains { $0.lowercased() == name.lowercased() } }
    if let revenueColumn { kinds[revenueColumn] = kinds[revenueColumn] ?? .numeric }
    let owner = try ownerColumn.map { try OwnerColumnError.check($0, path: path, header: header, reserved: [(idColumn, "the id column")]) }
    if let owner { kinds[owner] = .categorical }
    let csv = try TypedCSV(path: path, idColumn: idColumn, kinds: kinds)
    let features = model.preprocessor.namingColumnsAsInTraining(try csv.featureTable(label: nil))
    // One row per customer: a repeated id would be ranked twice, or explained from one of its rows.
    try CustomerRows.checkUnique(features.ids, path: path, idColumn: idColumn)
    try model.preprocessor.checkColumns(features, source: path)
    let notes = noteUnseenLevels(features)
    var revenue: [Double]?
    if let revenueColumn {
      guard let index = features.columnIndex(revenueColumn), case .numeric(let values) = features.columns[index] else {
        throw RevenueColumnError.notNumeric(path: path, column: revenueColumn)
      }
      try RevenueColumn.check(values, ids: features.ids, path: path, column: revenueColumn)
      revenue = values
    }
    var owners: [String?]?
    if let owner, let index = csv.names.firstIndex(where: { $0.lowercased() == owner.lowercased() }), case .categorical(let values) = csv.columns[index] {
      owners = values.map { $0.map(\.trimmingSpaces).flatMap { $0.isEmpty ? nil : $0 } }
    }
    return ScoringRows(features: features, revenue: revenue, horizonMonths: 1, idHeader: idColumn, asOf: nil, described: "from \(path)",
                       notes: notes, owners: owners)
  }

  /// Only the rows of the customers whose id hashes into `shard` (`CustomerShard`), every one
  /// without a shard; `population` keeps the number of rows before.
  func keeping(_ shard: CustomerShard?, of rows: ScoringRows) -> ScoringRows {
    guard let shard else { return rows }
    let kept = rows.features.ids.indices.filter { shard.contains(rows.features.ids[$0]) }
    var result = rows
    result.features = rows.features.rows(kept)
    result.revenue = rows.revenue.map { values in kept.map { values[$0] } }
    result.owners = rows.owners.map { values in kept.map { values[$0] } }
    result.described += ", shard \(shard)"
    result.populationBeforeShard = rows.features.rowCount
    log.line("shard \(shard): \(kept.count) of \(rows.features.rowCount) customers")
    return result
  }

  /// One note per categorical column with levels the model never saw (scored as its reference
  /// level), logged and returned.
  func noteUnseenLevels(_ features: FeatureTable) -> [String] {
    let notes = model.preprocessor.unseenLevels(features).map { "\($0)" }
    for note in notes { log.note(note) }
    return notes
  }

  /// Labelled rows for the report's cohort sections: the model's training cutoffs recomputed
  /// from the events, or the table's label column; nil without either, with a sentence on
  /// where they come from.
  func labelledRows(_ source: CustomerSource) throws -> (FeatureTable?, String) {
    switch source {
    case .events(let data, _) where model.events != nil:
      let cutoffs = try model.events!.trainingCutoffInstants()
      let all = try build(data, cutoffs: cutoffs).0.table
      let rows = all.labelledRows
      return (all.rows(rows), "Labelled rows of the model's \(cutoffs.count) training cutoffs (\(rows.count) customer-months), recomputed from \(data.events).")
    case .table(let table) where table.label != nil && table.path == StandardInputTable.path:
      throw ScorerError.standardInput("--table - with --label: the report reads the table twice (to score, then for the cohorts) and standard input "
        + "can be read once; expected a file; fix: save the rows to a file and pass --table FILE")
    case .database(let source, _) where model.events != nil:
      let cutoffs = try model.events!.trainingCutoffInstants()
      let all = try build(source, cutoffs: cutoffs).0.table
      let rows = all.labelledRows
      return (all.rows(rows), "Labelled rows of the model's \(cutoffs.count) training cutoffs (\(rows.count) customer-months), recomputed from \(source.eventsTable).")
    case .table(let table) where table.label != nil:
      let all = try TypedCSV(path: table.path, idColumn: table.idColumn).featureTable(label: table.label)
      let rows = all.labelledRows
      return (all.rows(rows), "Labelled rows of \(table.path) (\(rows.count) customers).")
    default:
      return (nil, "Cohort plots need labelled rows: give --events with the model's event log, or --table with --label.")
    }
  }
}
