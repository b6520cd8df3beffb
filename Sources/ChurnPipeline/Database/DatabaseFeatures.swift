import ChurnCore
import ChurnFeatures
import Foundation

extension ObservationPlan {
  /// The point-in-time feature rows and labels of the tables of `source`, computed by the
  /// PostgreSQL server: the query `FeatureQuery` writes for this plan and the spec runs there,
  /// and its rows stream back into a `FeatureTable`, the one `features(_:spec:log:)` makes
  /// from the same data as files.
  ///
  /// Without `spec`, the spec is the one `churn features` derives: the default families over the
  /// plan's windows for the event types in the table (those with a value carry sums and means),
  /// and the attributes of the customers table, read as a customer CSV file is read (the table is
  /// copied to a temporary file first: kinds, left-out columns and notes are the file's).
  /// Besides the feature query, one pass over the events table counts events per type.
  ///
  /// - Returns: the rows with their spec and summary (no skipped rows: the server's types
  ///   already refused malformed values), and the customer table when there is one.
  /// - Throws: `DatabaseError` when the server cannot be reached or refuses a query, or the
  ///   result does not have the query's columns; `PlanError.specFixesWindows`; the errors of
  ///   reading the customer table and of `FeatureQuery`.
  public func features(_ source: DatabaseSource, spec given: FeatureSpec? = nil, extraNumeric: String? = nil,
                       log: JobLog = .silent) throws -> (result: FeatureBuilder.Result, customers: CustomerTable?) {
    if given != nil && (windows != nil || leadDays != nil || purchaseTypes != nil) { throw PlanError.specFixesWindows }
    let connection = try PostgresConnection(url: source.url)
    let scratch = NSTemporaryDirectory() + "/churn-database-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let (customers, header) = try source.customers(connection, into: scratch, spec: given, extraNumeric: extraNumeric)
    var source = source
    var eventColumns: [PostgresColumn] = []
    try connection.query("SELECT * FROM \(DatabaseSource.table(source.eventsTable)) WHERE false", columns: { eventColumns = $0 }) { _ in }
    if let value = source.columns.value, !eventColumns.contains(where: { $0.name.lowercased() == value.lowercased() }) {
      // As with a file: the default name may be absent (events without values); another name must be there.
      guard value == EventLogColumns().value, !source.columns.valueRequired else {
        throw DatabaseError.missingColumn(target: connection.redactedTarget, table: source.eventsTable, column: value,
                                          columns: eventColumns.map(\.name), flag: "--value-column")
      }
      source.columns.value = nil
    }
    let statistics = try source.eventStatistics(connection)
    var spec: FeatureSpec
    if let given {
      spec = given
    } else {
      spec = try FeatureQuery.defaultSpec(eventTypes: statistics.types, valuedTypes: statistics.valued, windows: windows ?? [7, 30, 90],
                                          leadDays: leadDays ?? 0, purchaseTypes: purchaseTypes)
      spec.attributes = customers?.attributes ?? []
      try spec.validate()
    }
    let design = try design()
    let day = UTCTime.millisecondsPerDay
    let dataEnd = design.dataEnd ?? (UTCTime.floorDiv(statistics.last, day) + 1) * day
    let customerColumns = FeatureQuery.CustomerColumns(
      id: source.customerIdColumn ?? source.columns.customer,
      signup: header.contains { $0.lowercased() == source.signupColumn.lowercased() } ? source.signupColumn : nil,
      churnDate: customers?.hasChurnDates == true ? source.churnDateColumn : nil)
    let query = try FeatureQuery(spec: spec, observation: design, columns: source.columns, dialect: .postgres, eventsTable: source.eventsTable,
                                 customersTable: customers == nil ? nil : source.customersTable, customerColumns: customerColumns)
    let kinds = Dictionary(spec.attributes.map { ($0.name, $0.kind) }, uniquingKeysWith: { first, _ in first })
    let table = try connection.featureTable(query.text, expecting: query.columnNames,
                                            categorical: Set(kinds.filter { $0.value == .categorical }.keys))
    let summaries = design.cutoffs.map { cutoff -> FeatureBuilder.CutoffSummary in
      var eligible = 0, labelled = 0, churned = 0
      for row in 0..<table.rowCount where table.cutoffs![row] == cutoff {
        eligible += 1
        let label = table.labels![row]
        if !label.isNaN { labelled += 1 }
        if label == 1 { churned += 1 }
      }
      return FeatureBuilder.CutoffSummary(at: cutoff, eligible: eligible, labelled: labelled, churned: churned)
    }
    let result = FeatureBuilder.Result(rows: table, spec: spec, summaries: summaries, events: statistics.events, firstEvent: statistics.first,
                                       dataEnd: dataEnd, notes: customers?.notes ?? [])
    return (result, customers)
  }
}
