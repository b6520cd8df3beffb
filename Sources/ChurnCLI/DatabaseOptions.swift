import ArgumentParser
import ChurnPipeline

/// The flags that point a command at a PostgreSQL database instead of files: the server
/// computes the feature rows (`churn sql`'s query) and streams them back.
struct DatabaseOptions: ParsableArguments {
  @Option(help: ArgumentHelp("PostgreSQL connection URL, such as postgresql://user@host:5432/crm or postgresql:///crm?host=/var/run/postgresql "
    + "(postgresql:// alone: everything from PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD); the server computes the feature rows. "
    + "Never printed with its password.", valueName: "url"))
  var database: String?

  @Option(help: "With --database: the events table (customer id, timestamp, event type, value), such as events or crm.events.")
  var eventsTable: String?

  @Option(help: "With --database: the customers table (customer id, signup and churn dates, attributes), if any.")
  var customersTable: String?

  /// Refuses table flags without --database, --database without --events-table, and
  /// --database with the files it replaces (`files`: the file flags given).
  func validate(files: [String]) throws {
    guard database != nil else {
      try FlagRules.refuse(FlagRules.given([("--events-table", eventsTable != nil), ("--customers-table", customersTable != nil)]),
                           "applies only with --database; add --database URL or drop it")
      return
    }
    guard eventsTable != nil else { throw ValidationError("--database needs --events-table NAME, the table of events") }
    try FlagRules.refuse(files, "reads a file, but --database reads the tables of a database; drop it, or drop --database")
  }

  /// The database as the library takes it, with the event log's column flags and the customer
  /// table's flags applying to the tables.
  func source(events: EventLogOptions, customers: CustomerTableOptions) -> DatabaseSource? {
    guard let database, let eventsTable else { return nil }
    return DatabaseSource(url: database, eventsTable: eventsTable, customersTable: customersTable, columns: events.columns,
                          customerIdColumn: customers.idColumn, signupColumn: customers.signupColumn, churnDateColumn: customers.churnDateColumn,
                          categorical: commaList(customers.categorical), numeric: commaList(customers.numeric), exclude: commaList(customers.exclude),
                          ownerColumn: customers.ownerColumn)
  }
}
