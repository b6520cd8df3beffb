import ArgumentParser
import ChurnPipeline
import Foundation

struct Features: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Turn an event log (and a customer table) into point-in-time feature rows with churn labels.",
    discussion: """
      One row per eligible (customer, cutoff). Features see only events before the cutoff (minus
      --lead days); labels look at [cutoff, cutoff + horizon). Both intervals are half-open. With
      a churn_date column in the customer table, labels are contractual; otherwise a customer
      churns when it has no activity event in the horizon. Labels whose horizon runs past the
      end of the data are left empty (rows for scoring). Column names never repeat: an event type
      whose features would repeat a name (a type called "event" makes days_since_last_event) is
      named with a numbered token (event_2) and a note; a customer column that repeats a
      built-in, customer_id, cutoff or label is an error (rename it, or --exclude it).
      """)

  @OptionGroup var events: EventLogOptions
  @OptionGroup var table: CustomerTableOptions
  @OptionGroup var observation: ObservationOptions
  @OptionGroup var database: DatabaseOptions
  @OptionGroup var families: FeatureFamilyOptions

  @Option(help: "Feature spec JSON (from --save-spec or a model); default: derived from the data.")
  var spec: String?

  @Option(help: "Write the spec used to this JSON file.")
  var saveSpec: String?

  @Option(help: "Output CSV: customer_id, cutoff, the features, label (- for standard output).")
  var out: String

  func validate() throws {
    try database.validate(files: FlagRules.given([("--events", events.events != nil), ("--customers", table.customers != nil)]))
    if database.database == nil || database.customersTable == nil { try table.validate(table: false) }
    if spec != nil {
      try FlagRules.refuse(FlagRules.given([("--windows", observation.windows != nil), ("--lead", observation.lead != nil),
                                            ("--purchase-types", observation.purchaseTypes != nil), ("--features", families.features != nil)]),
                           "comes from the spec when --spec is given; drop it or edit the spec")
    }
  }

  func run() throws {
    let clock = ContinuousClock()
    let began = clock.now
    let outputs = try OutputTransaction(outputs: [("--out", out), ("--save-spec", saveSpec)],
                                        inputs: [("--events", events.events), ("--customers", table.customers), ("--spec", spec)])
    let result = if let source = database.source(events: events, customers: table) {
      try observation.plan(families).features(source, spec: try spec.map(FeatureSpec.read), log: .standardError("features")).result
    } else {
      try observation.plan(families).features(try events.data(customers: table, threads: observation.threads),
                                      spec: try spec.map(FeatureSpec.read), log: .standardError("features"))
    }
    try result.table.writeCSV(to: outputs.path(for: "--out"), threads: observation.threads)
    if saveSpec != nil { try OutputFile.write(String(decoding: try result.spec.jsonData(), as: UTF8.self) + "\n", to: outputs.path(for: "--save-spec")) }
    try outputs.commit()
    FeatureReport.print(FeatureRunSummary(result, seconds: (clock.now - began).seconds), label: "features")
    if !outputs.writesToStandardOutput { print(out) }
  }
}

/// Flags for the optional customer table.
struct CustomerTableOptions: ParsableArguments {
  @Option(help: "Customer table, a .csv or .csv.gz file: customer id plus attributes, optionally signup and churn dates.")
  var customers: String?

  @Option(name: .customLong("signup-column"), help: "Name of the customer table's signup-date column (default: signup_date).")
  var signupColumnFlag: String?

  @Option(name: .customLong("churn-date-column"), help: "Name of the customer table's churn-date column (default: churn_date; its presence makes labels contractual).")
  var churnDateColumnFlag: String?

  @Option(help: "Comma-separated columns of the customer table (or --table) to treat as categorical.")
  var categorical: String?

  @Option(help: "Comma-separated columns of the customer table (or --table) to treat as numeric.")
  var numeric: String?

  @Option(help: "Comma-separated columns of the customer table (or --table) to leave out (for example one that already says who churned).")
  var exclude: String?

  @Option(name: .customLong("customer-id-column"), help: "Name of the customer table's id column (default: the event log's --customer-column).")
  var idColumn: String?

  @Option(help: ArgumentHelp("Column of the customer table (or --table) naming each customer's owner, such as account_manager: never a feature; "
    + "churn train stores it in the model, so churn score puts it on every row and churn brief groups by it."))
  var ownerColumn: String?

  var signupColumn: String { signupColumnFlag ?? "signup_date" }
  var churnDateColumn: String { churnDateColumnFlag ?? "churn_date" }

  /// Given flags that only a customer table (--customers) uses.
  var givenCustomerTableFlags: [String] {
    FlagRules.given([("--signup-column", signupColumnFlag != nil), ("--churn-date-column", churnDateColumnFlag != nil),
                     ("--customer-id-column", idColumn != nil)])
  }

  /// Given flags that describe columns, for a customer table or a --table.
  var givenColumnKindFlags: [String] {
    FlagRules.given([("--categorical", categorical != nil), ("--numeric", numeric != nil), ("--exclude", exclude != nil),
                     ("--owner-column", ownerColumn != nil)])
  }

  /// Refuses the flags that cannot apply: with `table` (a prepared table) those of a customer
  /// table and --customers itself; without --customers (an event log alone) every flag here.
  func validate(table: Bool) throws {
    if table {
      try FlagRules.refuse((customers != nil ? ["--customers"] : []) + givenCustomerTableFlags,
                           "applies to an event log's customer table, not to --table; drop it")
    } else if customers == nil {
      try FlagRules.refuse(givenCustomerTableFlags + givenColumnKindFlags, "applies to a customer table; add --customers or drop it")
    }
  }

  /// A prepared table (--table) as the library takes it.
  func tableData(_ path: String, idColumn: String, label: String?) -> TableData {
    TableData(path: path, idColumn: idColumn, label: label, categorical: commaList(categorical), numeric: commaList(numeric),
              exclude: commaList(exclude), ownerColumn: ownerColumn)
  }
}

/// Flags for cutoffs, horizon and labels.
struct ObservationOptions: ParsableArguments {
  @Option(help: "A cutoff date (midnight UTC), repeatable: --cutoff 2024-07-01.")
  var cutoff: [String] = []

  @Option(help: "A range of cutoffs FROM:TO:STEP, e.g. 2024-01-01:2024-12-01:1m (steps in d, w or m, at most 100 years; at most 10000 cutoffs).")
  var cutoffs: String?

  @Option(name: .customLong("horizon"), help: "Label horizon after each cutoff: 30d, 4w, 1m (default 30d; at most 36500 days or 1200 months: 100 years).")
  var horizonFlag: String?

  var horizon: String { horizonFlag ?? "30d" }

  @Option(help: "Features end this many days before the cutoff (0...3660).")
  var lead: Int?

  @Option(help: "Comma-separated feature windows in days (each 1...3660).")
  var windows: String?

  @Option(help: "Inactivity churn: window before the cutoff with activity needed to be observed (default: the horizon; at most 100 years).")
  var activeWindow: String?

  @Option(help: "Inactivity churn: comma-separated event types that count as activity (default: all).")
  var activityTypes: String?

  @Option(help: "Comma-separated event types that are purchases for RFM (default: order, purchase, transaction, sale if present).")
  var purchaseTypes: String?

  @Option(help: "End of the data (exclusive), if not the midnight after the last event.")
  var dataEnd: String?

  @Option(help: "Threads reading the event log (1...1024).")
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  /// The flags of this group given, except --threads: they all need an event log.
  var givenFlags: [String] {
    FlagRules.given([("--cutoff", !cutoff.isEmpty), ("--cutoffs", cutoffs != nil), ("--horizon", horizonFlag != nil), ("--lead", lead != nil),
                     ("--windows", windows != nil), ("--active-window", activeWindow != nil), ("--activity-types", activityTypes != nil),
                     ("--purchase-types", purchaseTypes != nil), ("--data-end", dataEnd != nil)])
  }

  /// The cutoffs, horizon and windows as the library takes them, with the feature families of `families` added.
  func plan(_ families: FeatureFamilyOptions? = nil) throws -> ObservationPlan {
    try ObservationPlan(cutoffs: cutoffs, cutoff: cutoff, horizon: horizon, leadDays: lead, windows: try windows.map(Self.dayCounts),
                        activeWindow: activeWindow, activityTypes: activityTypes.map(commaList), purchaseTypes: purchaseTypes.map(commaList),
                        dataEnd: dataEnd, features: families?.names ?? [])
  }

  /// Checks spans, windows, lead and threads before any file is read.
  func validate() throws {
    guard threads >= 1 else { throw ValidationError("--threads \(threads) must be at least 1") }
    try FlagRules.check("--lead", lead, atLeast: 0)
    do {
      guard threads <= FeatureError.maximumThreads else { throw FeatureError.tooManyThreads(threads) }
      _ = try CalendarSpan.parse(horizon, option: "--horizon")
      _ = try activeWindow.map { try CalendarSpan.parse($0, option: "--active-window") }
      if let windows { _ = try Self.dayCounts(windows) }
      if let lead, lead > FeatureError.maximumFeatureDays { throw FeatureError.leadTooLong(days: lead) }
    } catch let error as FeatureError {
      throw ValidationError(error.description)
    } catch let error as PlanError {
      throw ValidationError(error.description)
    }
  }

  /// `7,30,90` as distinct ascending day counts of at most `FeatureError.maximumFeatureDays`.
  static func dayCounts(_ text: String) throws -> [Int] { try ObservationPlan.windowDays(text) }

}

/// `--features`: feature families to add to the defaults (features, train, backtest, sql).
struct FeatureFamilyOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Comma-separated feature families to add to the defaults: btyd (btyd_p_alive and btyd_expected_purchases "
    + "over the horizon, from BG/NBD fitted at each cutoff on the purchases before it; purchases as for RFM, --purchase-types)."))
  var features: String?

  var names: [String] { commaList(features) }

  /// The flag when given, for the refusals of commands that cannot use it.
  var givenFlags: [String] { FlagRules.given([("--features", features != nil)]) }

  func validate() throws {
    do {
      _ = try ObservationPlan.families(names)
    } catch let error as PlanError {
      throw ValidationError(error.description)
    }
  }
}

func commaList(_ text: String?) -> [String] {
  (text ?? "").split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
}

/// What `churn features` tells the user on standard error.
enum FeatureReport {
  static func print(_ r: FeatureBuilder.Result, seconds: Double, label: String) {
    print(FeatureRunSummary(r, seconds: seconds), label: label)
  }

  /// The summary's lines after "LABEL: ", the skipped rows' examples indented as they are.
  static func print(_ summary: FeatureRunSummary, label: String) {
    for line in summary.lines { StandardError.print(line.hasPrefix("  ") ? line : "\(label): " + line) }
  }
}
