import Foundation

/// What a run of the feature builder found, for a report: the log's size and span, each
/// cutoff's eligible, labelled and churned customers, the rows skipped, the notes on the data
/// and the shape of the table. `churn features`, `train`, `backtest` and `cohorts` print it on
/// standard error.
public struct FeatureRunSummary: Sendable, Equatable {
  /// Events read.
  public var events: Int
  /// The first event's time (ms since 1970, UTC).
  public var firstEvent: Int64
  /// The end of the data, exclusive (ms): the midnight after the last event, or the plan's `dataEnd`.
  public var dataEnd: Int64
  /// Per cutoff: customers eligible, labelled and churned.
  public var cutoffs: [FeatureBuilder.CutoffSummary]
  /// Malformed rows skipped (with `skipBadRows`), by reason, with the first ones.
  public var skipped: EventLogReader.SkippedRows
  /// Notes on the data (renamed features, customer-table columns left out...).
  public var notes: [String]
  /// Rows of the table: one per eligible (customer, cutoff).
  public var rows: Int
  /// Feature columns of the table.
  public var columns: Int
  /// Seconds the whole run took, when measured (0: not shown).
  public var seconds: Double

  /// The summary of `result`, which took `seconds` (0 when not measured).
  public init(_ result: FeatureBuilder.Result, seconds: Double = 0) {
    events = result.events
    firstEvent = result.firstEvent
    dataEnd = result.dataEnd
    cutoffs = result.summaries
    skipped = result.skipped
    notes = result.notes
    rows = result.table.rowCount
    columns = result.table.columnNames.count
    self.seconds = seconds
  }

  /// The report as lines, without a command's name: the log's span, one line per cutoff, the
  /// skipped rows (each example on a line of its own that starts with two spaces), the notes
  /// ("note: ...") and the table's shape.
  public var lines: [String] {
    var lines = ["\(events) events from \(UTCTime.formatDateTime(milliseconds: firstEvent)) to the end of the data \(UTCTime.formatDate(milliseconds: dataEnd)) (exclusive)"]
    for s in cutoffs {
      let rate = s.labelled > 0 ? "churn rate \(TextTable.percent(s.churnRate))" : "labels unknown (horizon past the data)"
      lines.append("cutoff \(UTCTime.formatDate(milliseconds: s.cutoff)): \(s.eligible) customers, \(s.labelled) labelled, \(s.churned) churned, \(rate)")
    }
    if skipped.count > 0 {
      let reasons = skipped.byReason.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
      lines.append("skipped \(skipped.count) bad rows (\(reasons)); first ones:")
      lines += skipped.examples.map { "  " + $0 }
    }
    lines += notes.map { "note: " + $0 }
    lines.append("\(rows) rows × \(columns) features" + (seconds > 0 ? " in \(String(format: "%.2f", seconds)) s" : ""))
    return lines
  }
}
