import ChurnCore

/// Which columns of an event-log CSV hold what; names match case-insensitively.
public struct EventLogColumns: Sendable, Equatable {
  public var customer: String
  public var timestamp: String
  public var eventType: String
  /// The numeric value column; `nil`, or a name the file lacks, means events have no value.
  public var value: String?

  public init(customer: String = "customer_id", timestamp: String = "timestamp", eventType: String = "event_type",
              value: String? = "value") {
    self.customer = customer
    self.timestamp = timestamp
    self.eventType = eventType
    self.value = value
  }
}

/// One event as read, valid only inside the callback.
public struct RawEvent {
  /// The customer id's bytes exactly as in the file (leading zeros kept).
  public let customer: UnsafeBufferPointer<UInt8>
  /// Dense index of the customer id in order of first appearance (see `EventLogReader.Result.customers`).
  public let customerIndex: Int
  /// Milliseconds since 1970-01-01T00:00:00Z.
  public let time: Int64
  public let eventType: UnsafeBufferPointer<UInt8>
  /// Dense index of the event type in order of first appearance (see `EventLogReader.Result.eventTypes`).
  public let typeIndex: Int
  /// The value, or NaN when blank or when the log has no value column.
  public let value: Double
  public let line: Int
}

/// Streams an event log: `customer_id,timestamp,event_type[,value]`, any column order, other
/// columns ignored, rows in any order. See `UTCTime.parseMilliseconds` for timestamp forms.
///
/// A malformed row stops the read with the file, line, value and what was expected, unless
/// `skipBadRows` is set: then it is skipped and counted by reason.
public struct EventLogReader {
  public let path: String
  public let columns: EventLogColumns
  public let skipBadRows: Bool

  public init(path: String, columns: EventLogColumns = EventLogColumns(), skipBadRows: Bool = false) {
    self.path = path
    self.columns = columns
    self.skipBadRows = skipBadRows
  }

  /// Rows skipped, by reason, with the first few offending lines.
  public struct SkippedRows: Sendable, Equatable {
    public var count: Int { byReason.values.reduce(0, +) }
    public var byReason: [String: Int] = [:]
    /// The first five skipped rows' errors, in file order.
    public var examples: [String] = []
  }

  /// What a read saw besides the events themselves.
  public struct Result: Sendable {
    /// Rows skipped (always empty unless `skipBadRows`).
    public var skipped: SkippedRows
    /// Customer ids by `RawEvent.customerIndex`.
    public var customers: ByteInterner
    /// Event types by `RawEvent.typeIndex`.
    public var eventTypes: ByteInterner
  }

  /// Reads every event in file order.
  ///
  /// Customer ids and event types are interned as they are read (no string is made per row);
  /// each new one is checked to be valid UTF-8.
  ///
  /// - Throws: `FileError`, `CSVError`, `EventLogError`, or what `body` throws.
  @discardableResult
  public func read(_ body: (RawEvent) throws -> Void) throws -> Result {
    let csv = try CSVReader(path: path)
    func require(_ name: String, _ role: String) throws -> Int {
      guard let index = csv.columnIndex(name) else {
        throw EventLogError.missingColumn(path: path, name: name, role: role, header: csv.header)
      }
      return index
    }
    let customerIndex = try require(columns.customer, "customer id")
    let timeIndex = try require(columns.timestamp, "timestamp")
    let typeIndex = try require(columns.eventType, "event type")
    let valueIndex = columns.value.flatMap { csv.columnIndex($0) }
    let needed = max(customerIndex, timeIndex, typeIndex, valueIndex ?? 0) + 1
    var skipped = SkippedRows()
    var customers = ByteInterner(capacity: 1 << 16)
    var types = ByteInterner(capacity: 64)

    try csv.forEachRecord { record in
      do {
        guard record.count >= needed else {
          throw EventLogError.missingField(path: path, line: record.line, found: record.count, expected: csv.header.count)
        }
        let customer = record.field(customerIndex)
        if customer.isEmpty || record.isBlank(customerIndex) {
          throw EventLogError.blankField(path: path, line: record.line, column: csv.header[customerIndex])
        }
        let type = record.field(typeIndex)
        if type.isEmpty || record.isBlank(typeIndex) {
          throw EventLogError.blankField(path: path, line: record.line, column: csv.header[typeIndex])
        }
        guard let time = UTCTime.parseMilliseconds(record.field(timeIndex)) else {
          throw EventLogError.badTimestamp(path: path, line: record.line, value: record.string(timeIndex))
        }
        var value = Double.nan
        if let valueIndex, !record.isBlank(valueIndex) {
          guard let parsed = NumberParsing.double(record.field(valueIndex)), parsed.isFinite else {
            throw EventLogError.badValue(path: path, line: record.line, column: csv.header[valueIndex],
                                         value: record.string(valueIndex))
          }
          value = parsed
        }
        guard let customerKey = customers.intern(customer), let typeKey = types.intern(type) else {
          throw EventLogError.invalidUTF8(path: path, line: record.line)
        }
        try body(RawEvent(customer: customer, customerIndex: customerKey.id, time: time, eventType: type,
                          typeIndex: typeKey.id, value: value, line: record.line))
      } catch let error as EventLogError where skipBadRows {
        skipped.byReason[error.reason, default: 0] += 1
        if skipped.examples.count < 5 { skipped.examples.append(error.description) }
      }
    }
    return Result(skipped: skipped, customers: customers, eventTypes: types)
  }
}

/// A problem with an event log, naming the file, the line and the value.
public enum EventLogError: Error, Equatable, CustomStringConvertible {
  case missingColumn(path: String, name: String, role: String, header: [String])
  case missingField(path: String, line: Int, found: Int, expected: Int)
  case blankField(path: String, line: Int, column: String)
  case invalidUTF8(path: String, line: Int)
  case badTimestamp(path: String, line: Int, value: String)
  case badValue(path: String, line: Int, column: String, value: String)

  /// A short reason, for counting skipped rows.
  public var reason: String {
    switch self {
    case .missingColumn: return "missing column"
    case .missingField: return "missing field"
    case .blankField: return "blank id or event type"
    case .invalidUTF8: return "invalid UTF-8"
    case .badTimestamp: return "bad timestamp"
    case .badValue: return "non-numeric value"
    }
  }

  public var description: String {
    switch self {
    case .missingColumn(let path, let name, let role, let header):
      let flag = ["customer id": "--customer-column", "timestamp": "--timestamp-column", "event type": "--event-type-column"][role]
      return "\(path): no column \"\(name)\" for the \(role); the header has \(header.joined(separator: ", "))"
        + (flag.map { ". Name the right column with \($0)" } ?? "")
    case .missingField(let path, let line, let found, let expected):
      return "\(path) line \(line): \(found) fields; expected \(expected) as in the header"
    case .blankField(let path, let line, let column):
      return "\(path) line \(line): \(column) is blank; expected a value"
    case .invalidUTF8(let path, let line):
      return "\(path) line \(line): the customer id or event type is not valid UTF-8"
    case .badTimestamp(let path, let line, let value):
      return "\(path) line \(line): timestamp \"\(value)\" is not a valid date; expected ISO 8601 such as 2024-03-05 "
        + "or 2024-03-05T14:22:10Z, or Unix seconds"
    case .badValue(let path, let line, let column, let value):
      return "\(path) line \(line): \(column) \"\(value)\" is not a number; expected a number such as 12.5, or blank"
    }
  }
}
