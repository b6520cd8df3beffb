import ArgumentParser
import ChurnPipeline
import Foundation

struct Describe: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Profile an event log (and a customer table): size, time span, event types, churn dates.",
    discussion: "Reads the files in one streaming pass; use it to choose cutoffs and a horizon.")

  @OptionGroup var events: EventLogOptions

  @Option(help: "Customer table, a .csv or .csv.gz file (customer_id plus attributes, optionally churn_date).")
  var customers: String?

  @Option(name: .customLong("churn-date-column"), help: "Name of the customer table's churn-date column (default: churn_date).")
  var churnDateColumnFlag: String?

  var churnDateColumn: String { churnDateColumnFlag ?? "churn_date" }

  func validate() throws {
    if customers == nil { try FlagRules.refuse(churnDateColumnFlag != nil ? ["--churn-date-column"] : [], "applies to a customer table; add --customers or drop it") }
  }

  func run() throws {
    let data = EventData(events: try events.path(), customers: customers, columns: events.columns, churnDateColumn: churnDateColumn,
                         skipBadRows: events.skipBadRows)
    let profile = try DataProfile(data, log: .standardError("describe"))
    print(DescribeReport.events(profile.events, path: data.events))
    if let customers, let table = profile.customers { print(DescribeReport.customers(table, path: customers)) }
  }
}

/// Flags that locate an event log and its columns; shared by every command that reads one.
struct EventLogOptions: ParsableArguments {
  @Option(help: "Event log, a .csv or .csv.gz file with a header: customer id, timestamp, event type and optionally a value.")
  var events: String?

  @Option(name: .customLong("customer-column"), help: "Name of the customer id column (default: customer_id).")
  var customerColumnFlag: String?

  @Option(name: .customLong("timestamp-column"), help: "Name of the timestamp column (default: timestamp).")
  var timestampColumnFlag: String?

  @Option(name: .customLong("event-type-column"), help: "Name of the event type column (default: event_type).")
  var eventTypeColumnFlag: String?

  @Option(name: .customLong("value-column"), help: "Name of the numeric value column (default: value, which may be absent: events then have no value; another name must exist).")
  var valueColumnFlag: String?

  @Flag(help: "Skip malformed rows (counted by reason and reported) instead of stopping.")
  var skipBadRows = false

  var customerColumn: String { customerColumnFlag ?? "customer_id" }
  var timestampColumn: String { timestampColumnFlag ?? "timestamp" }
  var eventTypeColumn: String { eventTypeColumnFlag ?? "event_type" }
  var valueColumn: String { valueColumnFlag ?? "value" }

  /// The flags of this group given besides --events, which mean nothing without an event log.
  var givenFlags: [String] {
    FlagRules.given([("--customer-column", customerColumnFlag != nil), ("--timestamp-column", timestampColumnFlag != nil),
                     ("--event-type-column", eventTypeColumnFlag != nil), ("--value-column", valueColumnFlag != nil),
                     ("--skip-bad-rows", skipBadRows)])
  }

  /// The event log's path; a clear error when the command needs one and none was given.
  func path() throws -> String {
    guard let events else { throw MissingInputError.noEventLog }
    return events
  }

  /// The event log's column names.
  var columns: EventLogColumns {
    EventLogColumns(customer: customerColumn, timestamp: timestampColumn, eventType: eventTypeColumn, value: valueColumn)
  }

  /// The event log (and customer table) as the library takes them.
  func data(customers: CustomerTableOptions, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> EventData {
    EventData(events: try path(), customers: customers.customers,
              columns: columns, customerIdColumn: customers.idColumn, signupColumn: customers.signupColumn, churnDateColumn: customers.churnDateColumn,
              categorical: commaList(customers.categorical), numeric: commaList(customers.numeric), exclude: commaList(customers.exclude),
              skipBadRows: skipBadRows, threads: threads, ownerColumn: customers.ownerColumn)
  }

}

/// Plain-text tables for `churn describe`.
enum DescribeReport {
  static func events(_ p: EventLogProfile, path: String) -> String {
    var lines: [String] = []
    let span: String
    if let first = p.first, let last = p.last {
      let days = Double(last - first) / Double(UTCTime.millisecondsPerDay)
      span = "from \(UTCTime.formatDateTime(milliseconds: first)) to \(UTCTime.formatDateTime(milliseconds: last)) (\(String(format: "%.0f", days)) days)"
    } else {
      span = "no events"
    }
    lines.append("\(path): \(p.events) events, \(p.customers) customers, \(span)")
    if p.skipped.count > 0 {
      let reasons = p.skipped.byReason.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
      lines.append("skipped \(p.skipped.count) bad rows: \(reasons); first: \(p.skipped.examples.first ?? "")")
    }
    lines.append(TextTable.pad("event type", 20) + TextTable.pad("events", 11, right: true) + TextTable.pad("customers", 11, right: true)
      + TextTable.pad("valued", 10, right: true) + TextTable.pad("min", 11, right: true) + TextTable.pad("mean", 11, right: true) + TextTable.pad("max", 11, right: true))
    for t in p.types {
      let numbers = t.valued > 0 ? [t.minimum, t.mean, t.maximum].map { TextTable.pad(String(format: "%.2f", $0), 11, right: true) }.joined() : ""
      lines.append(TextTable.pad(t.name, 20) + TextTable.pad(String(t.events), 11, right: true) + TextTable.pad(String(t.customers), 11, right: true)
        + TextTable.pad(String(t.valued), 10, right: true) + numbers)
    }
    return lines.joined(separator: "\n")
  }

  static func customers(_ t: CustomerTableProfile, path: String) -> String {
    var text = "\(path): \(t.rows) customers; columns: \(t.columns.joined(separator: ", "))"
    if let column = t.churnDateColumn {
      let share = t.rows > 0 ? TextTable.percent(Double(t.churned) / Double(t.rows)) : "-"
      text += "\n\(column): \(t.churned) customers churned (\(share))"
      if let first = t.firstChurn, let last = t.lastChurn {
        text += ", from \(UTCTime.formatDate(milliseconds: first)) to \(UTCTime.formatDate(milliseconds: last))"
      }
    }
    return text
  }
}
