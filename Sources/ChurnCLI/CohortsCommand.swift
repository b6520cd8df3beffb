import ArgumentParser
import ChurnPipeline
import Foundation

struct CohortsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cohorts",
    abstract: "Churn rate by decile of each feature and by category level, with Wilson 95% intervals.",
    discussion: """
      The cohort analysis of Fighting Churn with Data: customers grouped by decile of a feature
      (repeated values merged, as pandas' qcut(duplicates="drop")), each cohort's churn rate with
      its Wilson 95% interval; categorical columns by level (churned against retained by
      industry, size, tier). Features are listed by how far apart their cohorts' churn rates
      are (Cramér's V of cohort against churn). From an event log the rows are the labelled (customer, cutoff) rows of --cutoffs;
      from a table, its labelled rows.
      """)

  @OptionGroup var events: EventLogOptions
  @OptionGroup var customers: CustomerTableOptions
  @OptionGroup var observation: ObservationOptions
  @OptionGroup var database: DatabaseOptions

  @Option(help: "A prepared table, a .csv or .csv.gz file, instead of an event log.")
  var table: String?

  @Option(help: "Name of the label column (with --table).")
  var label: String?

  @Option(name: .customLong("id"), help: "Name of the id column (with --table; default customer_id).")
  var idFlag: String?

  @Option(help: "Comma-separated features to show (default: the --top features whose cohorts differ most).")
  var features: String?

  @Option(name: .customLong("top"), help: "Features to show when --features is not given (default 8).")
  var topFlag: Int?

  @Option(help: "Quantile groups per numeric feature (2...1000).")
  var groups = 10

  @Option(help: "Write every feature's cohorts as CSV here (- for standard output; the text then goes to standard error).")
  var out: String?

  var id: String { idFlag ?? "customer_id" }
  var top: Int { topFlag ?? 8 }

  func validate() throws {
    try database.validate(files: FlagRules.given([("--events", events.events != nil), ("--customers", customers.customers != nil),
                                                  ("--table", table != nil)]))
    if (table == nil) == (events.events == nil && database.database == nil) {
      throw ValidationError("give either --events (with cutoffs) or --table (with --label)")
    }
    if table != nil && label == nil { throw ValidationError("--table needs --label COLUMN") }
    guard groups >= 2 else { throw ValidationError("--groups must be at least 2 and --top at least 1") }
    guard groups <= 1000 else { throw ValidationError("--groups \(groups) is too many; expected 2...1000 quantile groups") }
    try FlagRules.check("--top", topFlag, atLeast: 1)
    if features != nil { try FlagRules.refuse(topFlag != nil ? ["--top"] : [], "applies only without --features (which names the features to show); drop one") }
    if database.database == nil || database.customersTable == nil { try customers.validate(table: table != nil) }
    if table != nil {
      try FlagRules.refuse(events.givenFlags + observation.givenFlags, "applies to an event log (--events), not to --table; drop it")
    } else {
      try FlagRules.refuse(FlagRules.given([("--label", label != nil), ("--id", idFlag != nil)]), "applies only with --table; drop it")
    }
  }

  func run() throws {
    let outputs = try OutputTransaction(outputs: [("--out", out)], inputs: [("--events", events.events), ("--customers", customers.customers), ("--table", table)])
    let source: CohortStudy.Source = if let table {
      .table(customers.tableData(table, idColumn: id, label: label))
    } else if let database = database.source(events: events, customers: customers) {
      .database(database, try observation.plan())
    } else {
      .events(try events.data(customers: customers, threads: observation.threads), try observation.plan())
    }
    let study = try CohortStudy(source, selection: features.map { .named($0) } ?? .strongest(top), groups: groups, log: .standardError("cohorts"))
    if let summary = study.features { FeatureReport.print(summary, label: "cohorts") }
    // With --out -, the CSV owns standard output; the text goes to standard error.
    if outputs.writesToStandardOutput { StandardError.print(study.text) } else { print(study.text) }
    if let out {
      try OutputFile.write(study.csv, to: outputs.path(for: "--out"))
      try outputs.commit()
      StandardError.print("cohorts: \(study.analyses.count) features written to \(out)")
    }
  }
}
