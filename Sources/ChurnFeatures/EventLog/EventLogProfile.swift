import ChurnCore

/// What an event log holds: its size, time span and event types, computed in one streaming
/// pass. The first thing to look at before choosing cutoffs and a horizon.
public struct EventLogProfile: Sendable, Equatable {
  /// Statistics of one event type.
  public struct TypeStatistics: Sendable, Equatable {
    public var name: String
    public var events = 0
    public var customers = 0
    /// Events with a (non-blank) value.
    public var valued = 0
    public var minimum = Double.infinity
    public var maximum = -Double.infinity
    public var sum = 0.0
    public var mean: Double { valued > 0 ? sum / Double(valued) : .nan }
  }

  public var events = 0
  public var customers = 0
  public var first: Int64?
  public var last: Int64?
  /// Event types by decreasing count (ties by name).
  public var types: [TypeStatistics] = []
  public var skipped = EventLogReader.SkippedRows()

  /// Profiles the log that `reader` reads.
  ///
  /// - Complexity: one pass; memory O(customers × types seen) for distinct counts.
  public init(reading reader: EventLogReader) throws {
    var stats: [TypeStatistics] = []
    var customersPerType: [Set<Int32>] = []
    var first = Int64.max, last = Int64.min
    let result = try reader.read { event in
      let t = event.typeIndex
      if t == stats.count {
        stats.append(TypeStatistics(name: String(decoding: event.eventType, as: UTF8.self)))
        customersPerType.append([])
      }
      stats[t].events += 1
      customersPerType[t].insert(Int32(event.customerIndex))
      if !event.value.isNaN {
        stats[t].valued += 1
        stats[t].sum += event.value
        stats[t].minimum = min(stats[t].minimum, event.value)
        stats[t].maximum = max(stats[t].maximum, event.value)
      }
      first = min(first, event.time)
      last = max(last, event.time)
      events += 1
    }
    skipped = result.skipped
    for t in stats.indices { stats[t].customers = customersPerType[t].count }
    customers = result.customers.count
    types = stats.sorted { $0.events != $1.events ? $0.events > $1.events : $0.name < $1.name }
    if events > 0 {
      self.first = first
      self.last = last
    }
  }
}

/// What a customer table holds: rows, attribute columns, and churn dates when it has them.
public struct CustomerTableProfile: Sendable, Equatable {
  public var rows = 0
  public var columns: [String] = []
  public var churnDateColumn: String?
  public var churned = 0
  public var firstChurn: Int64?
  public var lastChurn: Int64?

  /// Profiles a customer table; `churnDateColumn` names the churn-date column, which may be
  /// absent only under its default name.
  ///
  /// - Throws: `FileError`, `CSVError`, `TableError.missingColumn`, or
  ///   `EventLogError.badTimestamp` for an unreadable churn date.
  public init(path: String, customerColumn: String = "customer_id", churnDateColumn: String = "churn_date") throws {
    let csv = try CSVReader(path: path)
    guard csv.columnIndex(customerColumn) != nil else {
      throw EventLogError.missingColumn(path: path, name: customerColumn, role: "customer id", header: csv.header)
    }
    columns = csv.header
    let churnIndex = csv.columnIndex(churnDateColumn)
    if churnIndex == nil && churnDateColumn.lowercased() != CustomerTable.defaultChurnDateColumn {
      throw TableError.missingColumn(path: path, name: churnDateColumn, header: csv.header)
    }
    self.churnDateColumn = churnIndex.map { csv.header[$0] }
    var rows = 0, churned = 0
    var first = Int64.max, last = Int64.min
    try csv.forEachRecord { record in
      rows += 1
      guard let churnIndex, churnIndex < record.count, !record.isBlank(churnIndex) else { return }
      guard let time = UTCTime.parseMilliseconds(record.field(churnIndex)) else {
        throw EventLogError.badTimestamp(path: path, line: record.line, value: record.string(churnIndex))
      }
      churned += 1
      first = min(first, time)
      last = max(last, time)
    }
    self.rows = rows
    self.churned = churned
    if churned > 0 {
      firstChurn = first
      lastChurn = last
    }
  }
}
