import ArgumentParser
import ChurnPipeline
import Foundation

/// The model and the customers to score: an event log as of a date, or a prepared table.
/// Shared by churn score, churn explain and churn report.
struct ScoringInputs: ParsableArguments {
  @Option(help: "Model file written by churn train.")
  var model: String

  @Option(help: "Event log, a .csv or .csv.gz file (for a model trained from events); column names are the model's.")
  var events: String?

  @Option(help: "Customer table, a .csv or .csv.gz file (for a model trained with one).")
  var customers: String?

  @Option(help: "Score as of this date (midnight UTC): features see only events before it.")
  var asOf: String?

  @Option(help: "Table, a .csv or .csv.gz file (- for standard input), with the model's feature columns (other columns are ignored).")
  var table: String?

  @Option(help: "Name of the id column of --table (default: the model's).")
  var id: String?

  @Flag(help: "Skip malformed event rows instead of stopping.")
  var skipBadRows = false

  @OptionGroup var database: DatabaseOptions

  func validate() throws {
    try database.validate(files: FlagRules.given([("--events", events != nil), ("--customers", customers != nil), ("--table", table != nil),
                                                  ("--skip-bad-rows", skipBadRows)]))
    if (table == nil) == (events == nil && database.database == nil) { throw ValidationError("give either --events (with --as-of) or --table") }
    if events != nil && asOf == nil { throw ValidationError("--events needs --as-of DATE, the day to score as of") }
    if database.database != nil && asOf == nil { throw ValidationError("--database needs --as-of DATE, the day to score as of") }
    if table != nil {
      try FlagRules.refuse(FlagRules.given([("--as-of", asOf != nil), ("--customers", customers != nil), ("--skip-bad-rows", skipBadRows)]),
                           "applies to an event log (--events), not to --table; drop it")
    } else {
      try FlagRules.refuse(id != nil ? ["--id"] : [], "applies only with --table (an event log's id column is the model's); drop it")
    }
    if let asOf, UTCTime.parseMilliseconds(asOf) == nil {
      throw ValidationError("--as-of \"\(asOf)\" is not a date; expected ISO 8601 such as 2025-07-01")
    }
  }

  /// The files this command reads, by flag, for `OutputTransaction`.
  var paths: [(name: String, path: String?)] {
    [("--model", model), ("--events", events), ("--customers", customers), ("--table", table == "-" ? nil : table)]
  }

  /// The customers as the library takes them: the event log as of --as-of, or --table (ids in
  /// --id, else the model's id column; `label` for the report's cohorts).
  func source(for model: ModelFile, label: String? = nil) -> CustomerSource {
    if let table { return .table(TableData(path: table, idColumn: id ?? model.idColumn, label: label)) }
    if let url = database.database, let eventsTable = database.eventsTable {
      // Column names and rules are the model's (the library sets them).
      return .database(DatabaseSource(url: url, eventsTable: eventsTable, customersTable: database.customersTable), asOf: asOf ?? "")
    }
    // validate() made sure of --events and --as-of.
    return .events(EventData(events: events ?? "", customers: customers, skipBadRows: skipBadRows), asOf: asOf ?? "")
  }
}

extension RiskScorer.Explanation: ExpressibleByArgument {}
extension ListFormat: ExpressibleByArgument {}
