import ArgumentParser
import ChurnPipeline
import Foundation

struct RulesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rules",
    abstract: "Measure your own warning rules against what happened: flagged, churned, precision, recall, lift.",
    discussion: """
      --rules is a CSV file with the header name,severity,condition: severity red or yellow; a \
      condition compares feature columns (as churn features names them) with numbers, <, <=, >, \
      >=, == or !=, number on either side, or a categorical column with a quoted level \
      (tier == "gold"), combined with \
      and, or, not and parentheses, such as count_complaint_90d >= 2 and not tier == "platinum". \
      A missing value never fires a rule. Over the labelled (customer, cutoff) rows of --cutoffs: \
      per rule the rows flagged, how many churned within the horizon, precision = churned / \
      flagged with its Wilson 95% interval, recall = churned / all churned, lift = precision / \
      churn rate; then all red rules together and all rules together (a row flagged when any \
      fires). With --model, features come from the model's spec and observation rules, and the \
      model's precision among as many rows as the rule flagged (its riskiest) is shown beside.
      """)

  @Option(help: "The warning rules, a CSV file with the header name,severity,condition.")
  var rules: String

  @OptionGroup var events: EventLogOptions
  @OptionGroup var customers: CustomerTableOptions
  @OptionGroup var observation: ObservationOptions

  @Option(help: "A model trained from events: its features and probabilities, for its precision at the same count flagged.")
  var model: String?

  @Option(help: "Write the table here: JSON for a .json name, else CSV (- for CSV on standard output; the table then goes to standard error).")
  var out: String?

  func validate() throws {
    guard events.events != nil else { throw ValidationError("--events is required: the rules are measured on an event log's labelled rows") }
    if observation.cutoffs == nil && observation.cutoff.isEmpty { throw ValidationError("give --cutoffs FROM:TO:STEP or --cutoff DATE: the rows measured") }
    try customers.validate(table: false)
    if model != nil {
      try FlagRules.refuse(FlagRules.given([("--horizon", observation.horizonFlag != nil), ("--lead", observation.lead != nil),
                                            ("--windows", observation.windows != nil), ("--active-window", observation.activeWindow != nil),
                                            ("--activity-types", observation.activityTypes != nil), ("--purchase-types", observation.purchaseTypes != nil),
                                            ("--data-end", observation.dataEnd != nil)]),
                           "comes from the model when --model is given (its spec and observation rules); drop it")
      try FlagRules.refuse(events.givenFlags.filter { $0 != "--skip-bad-rows" } + customers.givenCustomerTableFlags + customers.givenColumnKindFlags,
                           "comes from the model when --model is given (its column names); drop it")
    }
  }

  func run() throws {
    let outputs = try OutputTransaction(outputs: [("--out", out)],
                                        inputs: [("--rules", rules), ("--events", events.events), ("--customers", customers.customers), ("--model", model)])
    let warningRules = try WarningRules.read(path: rules)
    let study = try RuleStudy(warningRules, data: try events.data(customers: customers, threads: observation.threads), plan: try observation.plan(),
                              model: try model.map { try ModelFile.read(path: $0) }, modelPath: model ?? "the model", log: .standardError("rules"))
    if let summary = study.features { FeatureReport.print(summary, label: "rules") }
    // With --out -, the CSV owns standard output; the table goes to standard error.
    if outputs.writesToStandardOutput { StandardError.print(study.text) } else { print(study.text) }
    if let out {
      try OutputFile.write(out.lowercased().hasSuffix(".json") ? try study.json() : study.csv, to: outputs.path(for: "--out"))
      try outputs.commit()
      StandardError.print("rules: \(study.measures.count) rows written to \(out)")
    }
  }
}
