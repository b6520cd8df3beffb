import ChurnCore
import ChurnFeatures
import Foundation

/// An event log and its optional customer table as tables of a PostgreSQL database: what
/// `--database URL --events-table NAME [--customers-table NAME]` names. The feature rows are
/// computed by the server (the query of `FeatureQuery`) and streamed back.
///
/// The events table has one row per event: the customer id and event type (any type, read as
/// text), the timestamp (`TIMESTAMP` holding UTC, `TIMESTAMPTZ` or `DATE`) and the value (a
/// number, NULL for none), under the column names of `columns`. The customers table has one
/// row per customer: its id, optionally a signup and a churn date (`DATE` or `TIMESTAMP`; a churn
/// date makes labels contractual) and attribute columns.
public struct DatabaseSource: Sendable {
  /// The libpq connection URL (`postgresql://user@host:port/database?host=/socket/dir`), or ""
  /// for the PG* environment variables alone. Never printed with its password.
  public var url: String
  /// The events table as the server names it (`events`, `crm.events`).
  public var eventsTable: String
  /// The customers table, if any.
  public var customersTable: String?
  /// The events table's column names.
  public var columns: EventLogColumns
  /// How the customers table is read: its id, signup and churn-date columns, forced kinds,
  /// columns left out, the owner column (as for a customer file).
  public var customerColumns: CustomerTableColumns

  public init(url: String, eventsTable: String, customersTable: String? = nil, columns: EventLogColumns = EventLogColumns(),
              customerIdColumn: String? = nil, signupColumn: String = CustomerTable.defaultSignupColumn,
              churnDateColumn: String = CustomerTable.defaultChurnDateColumn, categorical: [String] = [], numeric: [String] = [],
              exclude: [String] = [], ownerColumn: String? = nil) {
    self.url = url
    self.eventsTable = eventsTable
    self.customersTable = customersTable
    self.columns = columns
    customerColumns = CustomerTableColumns(idColumn: customerIdColumn, signupColumn: signupColumn, churnDateColumn: churnDateColumn,
                                           categorical: categorical, numeric: numeric, exclude: exclude, ownerColumn: ownerColumn)
  }

  /// `name` as a PostgreSQL identifier; a dotted table name keeps its dots (`crm.events`).
  static func identifier(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
  static func table(_ name: String) -> String { name.split(separator: ".").map { identifier(String($0)) }.joined(separator: ".") }

  /// `text` as a PostgreSQL string literal.
  static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

  /// The events table's value column: `columns.value` when the table has it, nil when it has
  /// none of the default name and none was asked for (events without values, as a log without
  /// a value column reads).
  ///
  /// - Throws: `DatabaseError.missingColumn` for a value column named by a flag (or required by
  ///   a model) that the table lacks.
  func valueColumn(_ connection: PostgresConnection) throws -> String? {
    guard let value = columns.value else { return nil }
    var eventColumns: [PostgresColumn] = []
    try connection.query("SELECT * FROM \(Self.table(eventsTable)) WHERE false", columns: { eventColumns = $0 }) { _ in }
    if eventColumns.contains(where: { $0.name.lowercased() == value.lowercased() }) { return value }
    // As with a file: the default name may be absent (events without values); another name must be there.
    guard value == EventLogColumns().value, !columns.valueRequired else {
      throw DatabaseError.missingColumn(target: connection.redactedTarget, table: eventsTable, column: value,
                                        columns: eventColumns.map(\.name), flag: "--value-column")
    }
    return nil
  }

  /// What the events table holds: per event type, the events and whether any carries a value;
  /// the first and last event times (ms). One pass over the table.
  struct EventStatistics {
    var types: [String] = []
    var valued: Set<String> = []
    var events = 0
    var first: Int64 = 0
    var last: Int64 = 0
  }

  func eventStatistics(_ connection: PostgresConnection) throws -> EventStatistics {
    func ms(_ expression: String) -> String { "CAST(floor(extract(epoch FROM \(expression)) * 1000) AS BIGINT)" }
    let ts = Self.identifier(columns.timestamp)
    let valued = columns.value.map { "count(\(Self.identifier($0)))" } ?? "0"
    let sql = """
      SELECT CAST(\(Self.identifier(columns.eventType)) AS TEXT), count(*), \(valued), \(ms("min(\(ts))")), \(ms("max(\(ts))"))
        FROM \(Self.table(eventsTable))
       GROUP BY 1
      """
    var statistics = EventStatistics()
    var first = Int64.max, last = Int64.min
    try connection.query(sql) { row in
      let count = Int(row.double(1) ?? 0)
      statistics.events += count
      if let type = row.string(0) {
        statistics.types.append(type)
        if (row.double(2) ?? 0) > 0 { statistics.valued.insert(type) }
      }
      if let low = row.string(3).flatMap({ Int64($0) }) { first = min(first, low) }
      if let high = row.string(4).flatMap({ Int64($0) }) { last = max(last, high) }
    }
    if statistics.events > 0 && first <= last {
      statistics.first = first
      statistics.last = last
    }
    return statistics
  }

  /// The customers table copied to a CSV file in `directory` (dates and times as ISO 8601 in
  /// UTC, NULL as a blank field), and its column names, read as `CustomerTableColumns` reads a customer file, so the
  /// attributes, their kinds and the notes are those of the same table as a CSV.
  func customers(_ connection: PostgresConnection, into directory: String, spec: FeatureSpec?, extraNumeric: String?) throws -> (CustomerTable?, header: [String]) {
    guard let customersTable else {
      if let ownerColumn = customerColumns.ownerColumn { throw OwnerColumnError.noCustomerTable(name: ownerColumn) }
      return (nil, [])
    }
    let target = PostgresURL.redacted(url)
    var probe: [PostgresColumn] = []
    try connection.query("SELECT * FROM \(Self.table(customersTable)) WHERE false", columns: { probe = $0 }) { _ in }
    let fields = probe.map { column -> String in
      let name = Self.identifier(column.name)
      switch column.typeOID {
      case 1082: return "to_char(\(name), 'YYYY-MM-DD')"
      case 1114: return "to_char(\(name), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
      case 1184: return "to_char(\(name) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
      default: return "CAST(\(name) AS TEXT)"
      }
    }
    let path = directory + "/" + customersTable
    guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
      throw DatabaseError.resultShape(target: target, message: "could not be copied to the temporary file \(path)")
    }
    defer { try? handle.close() }
    var buffer = probe.map { Self.csvField($0.name) }.joined(separator: ",") + "\n"
    try connection.query("SELECT \(fields.joined(separator: ", ")) FROM \(Self.table(customersTable))") { row in
      for column in 0..<row.count {
        if column > 0 { buffer += "," }
        if let value = row.string(column) { buffer += Self.csvField(value) }
      }
      buffer += "\n"
      if buffer.utf8.count > 1 << 20 {
        handle.write(Data(buffer.utf8))
        buffer = ""
      }
    }
    handle.write(Data(buffer.utf8))
    return (try customerColumns.load(path: path, eventCustomerColumn: columns.customer, spec: spec, extraNumeric: extraNumeric), probe.map(\.name))
  }

  /// A CSV field: quoted when it holds a comma, a quote, a line break or edge spaces.
  static func csvField(_ text: String) -> String {
    let needsQuotes = text.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" } || text.first == " " || text.last == " "
    return needsQuotes ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
  }
}
