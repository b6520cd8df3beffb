/// An event log's profile and its customer table's: size, time span, event types, churn dates.
/// What `churn describe` shows, to choose cutoffs and a horizon.
public struct DataProfile: Sendable, Equatable {
  /// The event log's counts, span and event types.
  public var events: EventLogProfile
  /// The customer table's rows, columns and churn dates (nil without a table).
  public var customers: CustomerTableProfile?

  /// Reads the event log of `data` in one streaming pass, and its customer table.
  ///
  /// Unlike the other jobs it reads events after tomorrow (a profile is where a user looks for a
  /// mistyped future date), and notes one on `log`. The customer table is read as the feature
  /// builder reads it (a repeated or blank id, a bad number is an error here too).
  ///
  /// - Parameters:
  ///   - data: the event log and optional customer table with their column names (the table's
  ///     id column is the log's customer column unless `customerIdColumn` is set).
  ///   - log: progress of a long read, and the note on future events.
  /// - Throws: the errors of reading the log (`EventLogError`, `CSVError`, `FileError`) and the
  ///   table (`CustomerTableError`); `DataProfileError.noChurnDateColumn` when the table lacks a
  ///   churn-date column named other than the default.
  public init(_ data: EventData, log: JobLog = .silent) throws {
    let (logReader, progress) = data.reader(log: log)
    var reader = logReader
    let tomorrow = reader.latestTimestamp
    reader.latestTimestamp = nil
    events = try EventLogProfile(reading: reader)
    progress?.finish()
    if let tomorrow, let last = events.last, last > tomorrow {
      log.note("the last event, \(UTCTime.formatDateTime(milliseconds: last)), is after tomorrow; the other commands refuse "
        + "events after tomorrow (they would make labels \"known\" that are not) unless --data-end is given (features, train, backtest, cohorts)")
    }
    customers = try data.customers.map { path in
      let idColumn = data.customerColumns.idColumn ?? data.columns.customer
      _ = try CustomerTable(path: path, idColumn: idColumn, churnDateColumn: data.customerColumns.churnDateColumn)
      let profile = try CustomerTableProfile(path: path, customerColumn: idColumn, churnDateColumn: data.customerColumns.churnDateColumn)
      // Without the default column the table simply has no churn dates; a name the user gave must exist.
      if profile.churnDateColumn == nil && data.customerColumns.churnDateColumn != CustomerTable.defaultChurnDateColumn {
        throw DataProfileError.noChurnDateColumn(path: path, name: data.customerColumns.churnDateColumn, header: profile.columns)
      }
      return profile
    }
  }
}

/// A data profile that cannot be made.
public enum DataProfileError: Error, Equatable, CustomStringConvertible {
  /// The customer table has no column of the churn-date name given.
  case noChurnDateColumn(path: String, name: String, header: [String])

  public var description: String {
    switch self {
    case .noChurnDateColumn(let path, let name, let header):
      return "\(path): no column \"\(name)\" for the churn date; the header has \(header.joined(separator: ", ")). Name the right column with --churn-date-column"
    }
  }
}

/// Inputs a job needs that were not given.
public enum MissingInputError: Error, Equatable, CustomStringConvertible {
  /// A job that reads an event log was given none.
  case noEventLog

  public var description: String {
    switch self {
    case .noEventLog: return "no event log given; use --events FILE.csv"
    }
  }
}
