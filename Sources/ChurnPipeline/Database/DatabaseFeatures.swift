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
  ///   result does not have the query's columns; `PlanError.specFixesWindows`;
  ///   `FeatureQueryError.fittedFamily` for the `btyd` family (added, or in `spec`), before
  ///   connecting: the database cannot fit a model at each cutoff; the errors of
  ///   reading the customer table and of `FeatureQuery`; `FeatureError.cutoffBeforeData` and
  ///   `.cutoffAfterData` for a cutoff outside the table's events, as for a file.
  public func features(_ source: DatabaseSource, spec given: FeatureSpec? = nil, extraNumeric: String? = nil,
                       log: JobLog = .silent) throws -> (result: FeatureBuilder.Result, customers: CustomerTable?) {
    if given != nil && (windows != nil || leadDays != nil || purchaseTypes != nil) { throw PlanError.specFixesWindows }
    if addedFamilies.contains("btyd") || given?.includes("btyd") == true { throw FeatureQueryError.fittedFamily("btyd") }
    let connection = try PostgresConnection(url: source.url)
    let scratch = NSTemporaryDirectory() + "/churn-database-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let (customers, header) = try source.customers(connection, into: scratch, spec: given, extraNumeric: extraNumeric)
    var source = source
    source.columns.value = try source.valueColumn(connection)
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
    // The cutoffs' place in the data, checked as for a file.
    for c in design.cutoffs where statistics.events > 0 {
      if c <= statistics.first {
        throw FeatureError.cutoffBeforeData(cutoff: UTCTime.formatDate(milliseconds: c), firstEvent: UTCTime.formatDateTime(milliseconds: statistics.first))
      }
      if c > dataEnd {
        throw FeatureError.cutoffAfterData(cutoff: UTCTime.formatDate(milliseconds: c), dataEnd: UTCTime.formatDate(milliseconds: dataEnd))
      }
    }
    let customerColumns = FeatureQuery.CustomerColumns(
      id: source.customerColumns.idColumn ?? source.columns.customer,
      signup: header.contains { $0.lowercased() == source.customerColumns.signupColumn.lowercased() } ? source.customerColumns.signupColumn : nil,
      churnDate: customers?.hasChurnDates == true ? source.customerColumns.churnDateColumn : nil)
    let query = try FeatureQuery(spec: spec, observation: design, columns: source.columns, dialect: .postgres, eventsTable: source.eventsTable,
                                 customersTable: customers == nil ? nil : source.customersTable, customerColumns: customerColumns)
    let kinds = Dictionary(spec.attributes.map { ($0.name, $0.kind) }, uniquingKeysWith: { first, _ in first })
    // The query is wide (hundreds of expressions) and the planner's row estimates for its
    // roll-ups are high, so PostgreSQL's JIT compiler, on by default, compiles it for longer
    // than it runs (demo, 10 cutoffs: 17.3 s of JIT in a 30.7 s query). For this session only.
    try connection.query("SET jit = off") { _ in }
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
