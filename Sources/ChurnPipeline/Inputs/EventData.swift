import ChurnCore
import ChurnFeatures
import Foundation

/// An event log and its optional customer table, with the names of their columns: the input of
/// every job that works from events.
public struct EventData: Sendable {
  /// The event log CSV: customer id, timestamp, event type and optionally a value per row.
  public var events: String
  /// The customer table CSV: customer id plus attributes, optionally signup and churn dates.
  public var customers: String?
  /// The event log's column names.
  public var columns: EventLogColumns
  /// How the customer table is read: its id, signup and churn-date columns, forced kinds,
  /// columns left out, the owner column.
  public var customerColumns: CustomerTableColumns
  /// Skip malformed event rows (counted by reason and reported) instead of stopping.
  public var skipBadRows: Bool
  /// Threads reading the event log.
  public var threads: Int

  public init(events: String, customers: String? = nil, columns: EventLogColumns = EventLogColumns(), customerIdColumn: String? = nil,
              signupColumn: String = CustomerTable.defaultSignupColumn, churnDateColumn: String = CustomerTable.defaultChurnDateColumn,
              categorical: [String] = [], numeric: [String] = [], exclude: [String] = [], skipBadRows: Bool = false,
              threads: Int = ProcessInfo.processInfo.activeProcessorCount, ownerColumn: String? = nil) {
    self.events = events
    self.customers = customers
    self.columns = columns
    customerColumns = CustomerTableColumns(idColumn: customerIdColumn, signupColumn: signupColumn, churnDateColumn: churnDateColumn,
                                           categorical: categorical, numeric: numeric, exclude: exclude, ownerColumn: ownerColumn)
    self.skipBadRows = skipBadRows
    self.threads = threads
  }

  /// The customer table, read with the kinds of `spec`'s attributes (a model's) and those
  /// forced, or nil without one.
  ///
  /// - Throws: `CustomerTableError`, `CSVError` and `FileError` for an unreadable or malformed table;
  ///   `OwnerColumnError` for an owner column the table lacks, or without a customer table.
  public func loadCustomers(spec: FeatureSpec? = nil, extraNumeric: String? = nil) throws -> CustomerTable? {
    guard let customers else {
      if let ownerColumn = customerColumns.ownerColumn { throw OwnerColumnError.noCustomerTable(name: ownerColumn) }
      return nil
    }
    return try customerColumns.load(path: customers, eventCustomerColumn: columns.customer, spec: spec, extraNumeric: extraNumeric)
  }

  /// A reader of the event log, its progress shown by `log` for a large file.
  public func reader(log: JobLog) -> (EventLogReader, ReadProgress?) {
    var reader = EventLogReader(path: events, columns: columns, skipBadRows: skipBadRows)
    let progress = log.attach(to: &reader)
    return (reader, progress)
  }

  /// The size of the file at `path` in bytes (0 when it cannot be read).
  static func fileSize(_ path: String) -> Int {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
  }
}

/// A prepared table: one row per customer with an id column, feature columns and (to train)
/// a label column of 0/1 or yes/no.
public struct TableData: Sendable {
  public var path: String
  public var idColumn: String
  /// The label column (to train, backtest or look at cohorts); nil to score.
  public var label: String?
  /// Columns to read as categorical, or as numeric, whatever they look like.
  public var categorical: [String]
  public var numeric: [String]
  /// Columns to leave out.
  public var exclude: [String]
  /// The column naming each customer's owner: left out of the features, put on ranked lists.
  public var ownerColumn: String?

  public init(path: String, idColumn: String = "customer_id", label: String? = nil, categorical: [String] = [], numeric: [String] = [],
              exclude: [String] = [], ownerColumn: String? = nil) {
    self.ownerColumn = ownerColumn
    self.path = path
    self.idColumn = idColumn
    self.label = label
    self.categorical = categorical
    self.numeric = numeric
    self.exclude = exclude
  }

  /// The table with its kinds forced and `exclude` applied, date columns left out (a snapshot
  /// date leaks the future): the table and the names of the dates it dropped, sorted.
  ///
  /// - Throws: `TypedCSVError`, `CSVError` and `FileError` for an unreadable or malformed table;
  ///   `OwnerColumnError` for an owner column the table lacks.
  public func load() throws -> (table: FeatureTable, droppedDates: [String]) {
    var kinds: [String: TypedCSV.Kind] = [:]
    for name in categorical { kinds[name] = .categorical }
    for name in numeric { kinds[name] = .numeric }
    var excluded = Set(exclude)
    if let ownerColumn {
      let header = try CSVReader(path: path).header
      excluded.insert(try OwnerColumnError.check(ownerColumn, path: path, header: header,
                                                 reserved: [(idColumn, "the id column")] + (label.map { [($0, "the label column")] } ?? [])))
    }
    let csv = try TypedCSV(path: path, idColumn: idColumn, kinds: kinds, exclude: excluded)
    let dates = csv.names.indices.filter { csv.kinds[$0] == .date }.map { csv.names[$0] }
    return (try csv.featureTable(label: label).removing(columns: Set(dates)), dates.sorted())
  }
}
