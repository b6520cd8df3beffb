import ChurnCore
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Which columns of an event-log CSV hold what; names match case-insensitively.
public struct EventLogColumns: Sendable, Equatable {
  public var customer: String
  public var timestamp: String
  public var eventType: String
  /// The numeric value column; `nil` means events have no value. The default name `value` may
  /// be absent (the events then have no value); any other name must be in the header, so that
  /// a misspelled `--value-column` is an error rather than a log read without its values.
  public var value: String?

  /// Whether the value column must be present even under its default name (set when scoring
  /// with a model whose features use event values).
  public var valueRequired = false

  /// The name `value` takes when the caller names none.
  public static let defaultValue = "value"

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

/// A block of consecutive events in columns; indices refer to the interners passed with it.
public struct EventBatch: Sendable {
  public static let capacity = 8192
  public internal(set) var customerIndex: [Int32] = []
  public internal(set) var typeIndex: [Int32] = []
  public internal(set) var time: [Int64] = []
  /// NaN when the event has no value.
  public internal(set) var value: [Double] = []
  /// Lines of the events (within the range for a partitioned read).
  public internal(set) var line: [Int] = []
  public var count: Int { time.count }

  init() {
    customerIndex.reserveCapacity(Self.capacity)
    typeIndex.reserveCapacity(Self.capacity)
    time.reserveCapacity(Self.capacity)
    value.reserveCapacity(Self.capacity)
    line.reserveCapacity(Self.capacity)
  }

  mutating func removeAll() {
    customerIndex.removeAll(keepingCapacity: true)
    typeIndex.removeAll(keepingCapacity: true)
    time.removeAll(keepingCapacity: true)
    value.removeAll(keepingCapacity: true)
    line.removeAll(keepingCapacity: true)
  }
}

/// Streams an event log: `customer_id,timestamp,event_type[,value]`, any column order, other
/// columns ignored, rows in any order. See `UTCTime.parseMilliseconds` for timestamp forms.
///
/// A malformed row stops the read with the file, line, value and what was expected, unless
/// `skipBadRows` is set: then it is skipped and counted by reason. Besides rows that do not
/// parse, these are malformed:
/// - a row with more or fewer fields than the header;
/// - a row that runs over several lines (a quoted field holding a newline: in an event log,
///   a stray quote at the start of a field);
/// - a timestamp outside `UTCTime.plausibleRange` (1900–2199), or later than
///   `latestTimestamp` (by default the end of tomorrow, UTC, at the time the reader was made):
///   the last event sets the end of the data, so one future date would make every label
///   "known";
/// - a value beyond ±`NumberParsing.magnitudeLimit` (10¹⁵), which sums could overflow.
public struct EventLogReader: Sendable {
  public let path: String
  public let columns: EventLogColumns
  public let skipBadRows: Bool
  /// Called after each block of events with the number of bytes of the file read since the
  /// last call (from the reading threads), for progress displays; compressed bytes for a gzip
  /// file, so that they add up to its size.
  public var progress: (@Sendable (Int) -> Void)?
  /// The latest event time accepted (milliseconds, inclusive), or `nil` for no limit. Set it
  /// to `nil` when the end of the data is given explicitly (`--data-end`).
  public var latestTimestamp: Int64?

  public init(path: String, columns: EventLogColumns = EventLogColumns(), skipBadRows: Bool = false) {
    self.path = path
    self.columns = columns
    self.skipBadRows = skipBadRows
    latestTimestamp = Self.endOfTomorrow()
  }

  /// Midnight UTC at the end of tomorrow, by the system clock: the latest time an event can
  /// carry in a log exported today in any time zone.
  public static func endOfTomorrow() -> Int64 {
    let day = UTCTime.millisecondsPerDay
    return (UTCTime.floorDiv(Int64(time(nil)) * 1000, day) + 2) * day
  }

  /// Rows skipped, by reason, with the first few offending lines.
  public struct SkippedRows: Sendable, Equatable {
    public var count: Int { byReason.values.reduce(0, +) }
    public var byReason: [String: Int] = [:]
    /// The first five skipped rows' errors, in file order.
    public var errors: [EventLogError] = []
    public var examples: [String] { errors.map(\.description) }

    public init() {}

    mutating func add(_ error: EventLogError) {
      byReason[error.reason, default: 0] += 1
      if errors.count < 5 { errors.append(error) }
    }

    /// Appends the rows skipped by a later part of the file, whose lines start after `lines`.
    public mutating func append(_ other: SkippedRows, shiftedBy lines: Int) {
      for (reason, n) in other.byReason { byReason[reason, default: 0] += n }
      for error in other.errors where errors.count < 5 { errors.append(error.shifted(by: lines)) }
    }
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

  /// Column positions resolved against the header.
  struct Layout: Sendable {
    var customer: Int, time: Int, type: Int, value: Int?, needed: Int, width: Int, header: [String]
  }

  func layout(of csv: CSVReader) throws -> Layout {
    func require(_ name: String, _ role: String) throws -> Int {
      guard let index = csv.columnIndex(name) else {
        throw EventLogError.missingColumn(path: path, name: name, role: role, header: csv.header)
      }
      return index
    }
    let customer = try require(columns.customer, "customer id")
    let time = try require(columns.timestamp, "timestamp")
    let type = try require(columns.eventType, "event type")
    let value = columns.value.flatMap { csv.columnIndex($0) }
    if let name = columns.value, value == nil, columns.valueRequired || name.lowercased() != EventLogColumns.defaultValue {
      throw EventLogError.missingColumn(path: path, name: name, role: "value", header: csv.header)
    }
    return Layout(customer: customer, time: time, type: type, value: value,
                  needed: max(customer, time, type, value ?? 0) + 1, width: csv.header.count, header: csv.header)
  }

  /// Reads every event in file order.
  ///
  /// Customer ids and event types are interned as they are read (no string is made per row);
  /// each new one is checked to be valid UTF-8. Spaces around ids and types are trimmed.
  ///
  /// - Throws: `FileError`, `CSVError`, `EventLogError`, or what `body` throws.
  @discardableResult
  public func read(_ body: (RawEvent) throws -> Void) throws -> Result {
    let csv = try CSVReader(path: path)
    return try records(of: csv, layout: try layout(of: csv)) { batch, customers, types in
      for i in 0..<batch.count {
        let c = Int(batch.customerIndex[i]), t = Int(batch.typeIndex[i])
        try customers.withBytes(c) { customer in
          try types.withBytes(t) { type in
            try body(RawEvent(customer: customer, customerIndex: c, time: batch.time[i], eventType: type, typeIndex: t,
                              value: batch.value[i], line: batch.line[i]))
          }
        }
      }
    }
  }

  /// Reads every event in file order, in blocks of up to `EventBatch.capacity` events; the
  /// interners passed along name every customer and type index in the block.
  @discardableResult
  public func readBatches(_ body: (EventBatch, ByteInterner, ByteInterner) throws -> Void) throws -> Result {
    let csv = try CSVReader(path: path)
    return try records(of: csv, layout: try layout(of: csv), body)
  }

  /// Reads the log in `partitions` byte ranges on as many threads, calling `body(p, event)`
  /// for the events of range p (in file order within it) from p's thread.
  ///
  /// Each range has its own interning (`RawEvent.customerIndex` and `typeIndex` index the
  /// range's own `Result`), and `RawEvent.line` counts from the start of the range. Errors
  /// carry true file lines, and the first error in file order is the one thrown. Files under
  /// `minimumPartitionBytes` per range, and files with quoted fields (a newline inside quotes
  /// could sit at a range boundary: detected, then `reset()` is called and the file is read
  /// again on one thread), are read as one range. So is a gzip file, which cannot be split by
  /// byte ranges: one thread decompresses it while the calling thread parses.
  ///
  /// - Returns: one result per range actually used, in file order.
  public func readBatches(partitions requested: Int, minimumPartitionBytes: Int = 32 << 20, reset: () -> Void,
                          _ body: (Int, EventBatch, ByteInterner, ByteInterner) throws -> Void) throws -> [Result] {
    let csv = try CSVReader(path: path)
    let layout = try layout(of: csv)
    let headerEnd = csv.offset
    let size = csv.fileSize
    let partitions = csv.isGzip ? 1 : max(1, min(requested, (size - headerEnd) / max(1, minimumPartitionBytes)))
    if partitions == 1 { return [try records(of: csv, layout: layout) { try body(0, $0, $1, $2) }] }

    let targets = (1..<partitions).map { headerEnd + $0 * (size - headerEnd) / partitions }
    let bounds = [headerEnd] + (try csv.lineStarts(after: targets)) + [size]
    final class Outcome: @unchecked Sendable {
      var result: Result?
      var error: Error?
      var lines = 0
      var sawQuotes = false
    }
    /// The caller's closure, called only from partition p's thread for partition p.
    struct Consumer: @unchecked Sendable { let call: (Int, EventBatch, ByteInterner, ByteInterner) throws -> Void }
    let outcomes = (0..<partitions).map { _ in Outcome() }
    withoutActuallyEscaping(body) { escapable in
      let consumer = Consumer(call: escapable)
      DispatchQueue.concurrentPerform(iterations: partitions) { p in
        let outcome = outcomes[p]
        do {
          let reader = try CSVReader(path: path, header: layout.header, byteRange: bounds[p]..<bounds[p + 1])
          defer {
            outcome.lines = reader.linesRead
            outcome.sawQuotes = reader.sawQuotes
          }
          outcome.result = try records(of: reader, layout: layout) { try consumer.call(p, $0, $1, $2) }
        } catch {
          outcome.error = error
        }
      }
    }
    if outcomes.contains(where: \.sawQuotes) {
      reset()
      let again = try CSVReader(path: path)
      return [try records(of: again, layout: layout) { try body(0, $0, $1, $2) }]
    }
    // Lines before each range: the header's, then every earlier range's.
    var before = csv.linesRead
    var results: [Result] = []
    for outcome in outcomes {
      if let error = outcome.error {
        switch error {
        case let e as EventLogError: throw e.shifted(by: before)
        case let e as CSVError: throw e.shifted(by: before)
        default: throw error
        }
      }
      var result = outcome.result!
      var skipped = SkippedRows()
      skipped.append(result.skipped, shiftedBy: before)
      result.skipped = skipped
      results.append(result)
      before += outcome.lines
    }
    return results
  }

  private func records(of csv: CSVReader, layout: Layout,
                       _ body: (EventBatch, ByteInterner, ByteInterner) throws -> Void) throws -> Result {
    var skipped = SkippedRows()
    var batch = EventBatch()
    var reported = csv.fileBytesRead
    var customers = ByteInterner(capacity: 1 << 16)
    var types = ByteInterner(capacity: 64)
    let customerIndex = layout.customer, timeIndex = layout.time, typeIndex = layout.type, valueIndex = layout.value
    let width = layout.width
    let latest = latestTimestamp ?? .max
    let plausible = UTCTime.plausibleRange
    try csv.forEachRecord { record in
      do {
        guard record.lineSpan == 1 else {
          throw EventLogError.multilineRow(path: path, line: record.line, lines: record.lineSpan)
        }
        guard record.count == width else {
          throw EventLogError.fieldCount(path: path, line: record.line, found: record.count, expected: width)
        }
        let customer = record.trimmedField(customerIndex)
        if customer.isEmpty { throw EventLogError.blankField(path: path, line: record.line, column: layout.header[customerIndex]) }
        let type = record.trimmedField(typeIndex)
        if type.isEmpty { throw EventLogError.blankField(path: path, line: record.line, column: layout.header[typeIndex]) }
        guard let time = UTCTime.parseMilliseconds(record.field(timeIndex)) else {
          throw EventLogError.badTimestamp(path: path, line: record.line, value: record.string(timeIndex))
        }
        guard plausible.contains(time) else {
          throw EventLogError.implausibleTimestamp(path: path, line: record.line, value: record.string(timeIndex), time: time)
        }
        guard time <= latest else {
          throw EventLogError.futureTimestamp(path: path, line: record.line, value: record.string(timeIndex), time: time, latest: latest)
        }
        var value = Double.nan
        if let valueIndex, !record.isBlank(valueIndex) {
          guard let parsed = NumberParsing.double(record.field(valueIndex)) else {
            throw EventLogError.badValue(path: path, line: record.line, column: layout.header[valueIndex],
                                         value: record.string(valueIndex))
          }
          guard NumberParsing.isWithinLimit(parsed) else {
            throw EventLogError.valueOutOfRange(path: path, line: record.line, column: layout.header[valueIndex],
                                                value: record.string(valueIndex))
          }
          value = parsed
        }
        guard let customerKey = customers.intern(customer), let typeKey = types.intern(type) else {
          throw EventLogError.invalidUTF8(path: path, line: record.line)
        }
        batch.customerIndex.append(Int32(customerKey.id))
        batch.typeIndex.append(Int32(typeKey.id))
        batch.time.append(time)
        batch.value.append(value)
        batch.line.append(record.line)
        if batch.count == EventBatch.capacity {
          try body(batch, customers, types)
          batch.removeAll()
          if let progress {
            let read = csv.fileBytesRead
            progress(read - reported)
            reported = read
          }
        }
      } catch let error as EventLogError where skipBadRows {
        skipped.add(error)
      }
    }
    if batch.count > 0 { try body(batch, customers, types) }
    progress?(csv.fileBytesRead - reported)
    return Result(skipped: skipped, customers: customers, eventTypes: types)
  }
}

/// A problem with an event log, naming the file, the line and the value.
public enum EventLogError: Error, Equatable, CustomStringConvertible {
  case missingColumn(path: String, name: String, role: String, header: [String])
  case fieldCount(path: String, line: Int, found: Int, expected: Int)
  case multilineRow(path: String, line: Int, lines: Int)
  case blankField(path: String, line: Int, column: String)
  case invalidUTF8(path: String, line: Int)
  case badTimestamp(path: String, line: Int, value: String)
  /// A timestamp outside `UTCTime.plausibleRange`; `time` is how it was read.
  case implausibleTimestamp(path: String, line: Int, value: String, time: Int64)
  /// A timestamp after `EventLogReader.latestTimestamp`.
  case futureTimestamp(path: String, line: Int, value: String, time: Int64, latest: Int64)
  case badValue(path: String, line: Int, column: String, value: String)
  case valueOutOfRange(path: String, line: Int, column: String, value: String)

  /// A short reason, for counting skipped rows.
  public var reason: String {
    switch self {
    case .missingColumn: return "missing column"
    case .fieldCount: return "wrong field count"
    case .multilineRow: return "row over several lines"
    case .blankField: return "blank id or event type"
    case .invalidUTF8: return "invalid UTF-8"
    case .badTimestamp: return "bad timestamp"
    case .implausibleTimestamp: return "timestamp out of range"
    case .futureTimestamp: return "future timestamp"
    case .badValue: return "non-numeric value"
    case .valueOutOfRange: return "value out of range"
    }
  }

  public var description: String {
    switch self {
    case .missingColumn(let path, let name, let role, let header):
      let flag = ["customer id": "--customer-column", "timestamp": "--timestamp-column", "event type": "--event-type-column",
                  "value": "--value-column"][role]
      let nearest = MessageText.nearest(name, in: header).map { " (did you mean \"\($0)\"?)" } ?? ""
      return "\(path): no column \"\(MessageText.excerpt(name))\" for the \(role)\(nearest); the header has \(MessageText.list(header))"
        + (flag.map { ". Name the right column with \($0)" } ?? "")
    case .fieldCount(let path, let line, let found, let expected):
      return "\(path) line \(line): \(found) fields; expected \(expected) as in the header"
    case .multilineRow(let path, let line, let lines):
      return "\(path) line \(line): a quoted field runs over \(lines) lines (to line \(line + lines - 1)); expected one event "
        + "per line: look for a stray \" at the start of a field on line \(line)"
    case .blankField(let path, let line, let column):
      return "\(path) line \(line): \(MessageText.excerpt(column)) is blank; expected a value"
    case .invalidUTF8(let path, let line):
      return "\(path) line \(line): the customer id or event type is not valid UTF-8"
    case .badTimestamp(let path, let line, let value):
      return "\(path) line \(line): timestamp \"\(MessageText.excerpt(value))\" is not a valid date; expected ISO 8601 such as 2024-03-05 "
        + "or 2024-03-05T14:22:10Z, 20240305, or Unix seconds (9–11 digits) or milliseconds (12–14 digits)"
    case .implausibleTimestamp(let path, let line, let value, let time):
      return "\(path) line \(line): timestamp \"\(MessageText.excerpt(value))\" (read as \(UTCTime.formatDate(milliseconds: time))) "
        + "is outside 1900-01-01 to 2199-12-31; expected a date in that range: correct the row, or skip such rows with --skip-bad-rows"
    case .futureTimestamp(let path, let line, let value, let time, let latest):
      return "\(path) line \(line): timestamp \"\(MessageText.excerpt(value))\" (read as \(UTCTime.formatDate(milliseconds: time))) "
        + "is in the future (after \(UTCTime.formatDate(milliseconds: latest - 1))); expected past events, since the last event "
        + "sets the end of the data and a future one would make labels \"known\" that are not: correct the row, skip such rows "
        + "with --skip-bad-rows, or pass --data-end (features, train, backtest, cohorts) if the log really runs that far"
    case .badValue(let path, let line, let column, let value):
      return "\(path) line \(line): \(MessageText.excerpt(column)) \"\(MessageText.excerpt(value))\" is not a number; "
        + "expected a number such as 12.5, or blank"
    case .valueOutOfRange(let path, let line, let column, let value):
      return "\(path) line \(line): \(MessageText.excerpt(column)) \"\(MessageText.excerpt(value))\" is beyond ±1e15; "
        + "expected a magnitude of at most 1e15 (larger values are typing or unit mistakes, and their sums overflow): "
        + "correct the row, or skip such rows with --skip-bad-rows"
    }
  }
}

extension EventLogError {
  /// The same error with its line number moved by `lines`.
  public func shifted(by lines: Int) -> EventLogError {
    switch self {
    case .missingColumn: return self
    case .fieldCount(let path, let line, let found, let expected):
      return .fieldCount(path: path, line: line + lines, found: found, expected: expected)
    case .multilineRow(let path, let line, let span): return .multilineRow(path: path, line: line + lines, lines: span)
    case .blankField(let path, let line, let column): return .blankField(path: path, line: line + lines, column: column)
    case .invalidUTF8(let path, let line): return .invalidUTF8(path: path, line: line + lines)
    case .badTimestamp(let path, let line, let value): return .badTimestamp(path: path, line: line + lines, value: value)
    case .implausibleTimestamp(let path, let line, let value, let time):
      return .implausibleTimestamp(path: path, line: line + lines, value: value, time: time)
    case .futureTimestamp(let path, let line, let value, let time, let latest):
      return .futureTimestamp(path: path, line: line + lines, value: value, time: time, latest: latest)
    case .badValue(let path, let line, let column, let value):
      return .badValue(path: path, line: line + lines, column: column, value: value)
    case .valueOutOfRange(let path, let line, let column, let value):
      return .valueOutOfRange(path: path, line: line + lines, column: column, value: value)
    }
  }
}
