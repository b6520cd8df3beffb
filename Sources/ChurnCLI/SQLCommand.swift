import ArgumentParser
import ChurnPipeline
import Foundation

struct SQLCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sql",
    abstract: "Print one SQL query that computes, on your database, the feature rows churn features writes.",
    discussion: """
      The query's result has the columns, names, order, rows and values of churn features for \
      the same flags (sums of event values to rounding: engines add in another order). The \
      events table holds customer_id, timestamp (a TIMESTAMP in UTC, or TIMESTAMPTZ), event_type \
      and value (a number, NULL for none); the optional customers table its id, signup_date and \
      churn_date (DATE or TIMESTAMP; a churn-date column makes labels contractual: say \
      --no-churn-date-column when it has none) and the spec's attribute columns. The features \
      come from --spec, --model (its spec, horizon and eligibility rules), or the default \
      families for the types of --event-types. On PostgreSQL, run it with jit = off.
      """)

  @Option(help: "SQL dialect: postgres, duckdb or spark.")
  var dialect: String

  @Option(help: "The events table as the engine names it (events, crm.events).")
  var eventsTable: String

  @Option(help: "The customers table (customer id, signup and churn dates, attributes), if any.")
  var customersTable: String?

  @Option(help: "Feature spec JSON (from churn features --save-spec).")
  var spec: String?

  @Option(help: "A model: its feature spec, horizon, eligibility and column names; its training cutoffs unless --cutoff/--cutoffs.")
  var model: String?

  @Option(help: "Without --spec or --model: the comma-separated event types (the default families for each).")
  var eventTypes: String?

  @Option(help: "With --event-types: those of them that carry values (sum and mean features).")
  var valuedTypes: String?

  @OptionGroup var observation: ObservationOptions
  @OptionGroup var families: FeatureFamilyOptions

  @Option(name: .customLong("customer-column"), help: "Events table's customer id column (default: customer_id).")
  var customerColumn: String?
  @Option(name: .customLong("timestamp-column"), help: "Events table's timestamp column (default: timestamp).")
  var timestampColumn: String?
  @Option(name: .customLong("event-type-column"), help: "Events table's event type column (default: event_type).")
  var eventTypeColumn: String?
  @Option(name: .customLong("value-column"), help: "Events table's value column (default: value).")
  var valueColumn: String?
  @Flag(help: "The events table has no value column.")
  var noValueColumn = false

  @Option(name: .customLong("customer-id-column"), help: "Customers table's id column (default: the events' customer column).")
  var idColumn: String?
  @Option(name: .customLong("signup-column"), help: "Customers table's signup-date column (default: signup_date).")
  var signupColumn: String?
  @Option(name: .customLong("churn-date-column"), help: "Customers table's churn-date column (default: churn_date).")
  var churnDateColumn: String?
  @Flag(help: "The customers table has no signup-date column.")
  var noSignupColumn = false
  @Flag(help: "The customers table has no churn-date column: labels are inactivity labels.")
  var noChurnDateColumn = false

  @Option(help: "Write the query to this file instead of standard output.")
  var out: String?

  func validate() throws {
    guard SQLDialect(rawValue: dialect) != nil else {
      throw ValidationError("--dialect \(dialect) is not a dialect; expected postgres, duckdb or spark")
    }
    let sources = FlagRules.given([("--spec", spec != nil), ("--model", model != nil), ("--event-types", eventTypes != nil)])
    guard sources.count == 1 else {
      throw ValidationError(sources.isEmpty ? "the features are not given; add --spec FILE, --model FILE or --event-types T1,T2"
                                            : "\(sources[0]) and \(sources[1]) both give the features; keep one")
    }
    if eventTypes == nil {
      try FlagRules.refuse(FlagRules.given([("--windows", observation.windows != nil), ("--lead", observation.lead != nil),
                                            ("--purchase-types", observation.purchaseTypes != nil), ("--valued-types", valuedTypes != nil),
                                            ("--features", families.features != nil)]),
                           "comes from the spec when --spec or --model is given; drop it")
    }
    if customersTable == nil {
      try FlagRules.refuse(FlagRules.given([("--customer-id-column", idColumn != nil), ("--signup-column", signupColumn != nil),
                                            ("--churn-date-column", churnDateColumn != nil), ("--no-signup-column", noSignupColumn),
                                            ("--no-churn-date-column", noChurnDateColumn)]),
                           "applies to a customers table; add --customers-table or drop it")
    }
    try observation.validate()
  }

  func run() throws {
    let features: QuerySettings.Features = if let model {
      .model(try ModelFile.read(path: model), path: model)
    } else if let spec {
      .spec(try FeatureSpec.read(path: spec))
    } else {
      .eventTypes(commaList(eventTypes), valued: Set(commaList(valuedTypes)))
    }
    let query = try settings().query(features, dialect: SQLDialect(rawValue: dialect)!, eventsTable: eventsTable, customersTable: customersTable)
    if let out {
      try OutputFile.write(query.text, to: out)
      print(out)
    } else {
      print(query.text, terminator: "")
    }
  }

  /// The flags as the library takes them: each nil when not given (a model's value then applies).
  func settings() throws -> QuerySettings {
    var settings = QuerySettings()
    settings.cutoffs = observation.cutoffs
    settings.cutoff = observation.cutoff
    settings.horizon = observation.horizonFlag
    settings.leadDays = observation.lead
    settings.windows = try observation.windows.map(ObservationOptions.dayCounts)
    settings.activeWindow = observation.activeWindow
    settings.activityTypes = observation.activityTypes.map(commaList)
    settings.purchaseTypes = observation.purchaseTypes.map(commaList)
    settings.dataEnd = observation.dataEnd
    settings.addedFamilies = try ObservationPlan.families(families.names)
    (settings.customerColumn, settings.timestampColumn, settings.eventTypeColumn) = (customerColumn, timestampColumn, eventTypeColumn)
    (settings.valueColumn, settings.noValueColumn) = (valueColumn, noValueColumn)
    (settings.idColumn, settings.signupColumn, settings.churnDateColumn) = (idColumn, signupColumn, churnDateColumn)
    (settings.noSignupColumn, settings.noChurnDateColumn) = (noSignupColumn, noChurnDateColumn)
    return settings
  }
}
