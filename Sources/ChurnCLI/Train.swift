import ArgumentParser
import ChurnPipeline
import Foundation

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train a churn model from an event log (or a prepared table) and write the model file.",
    discussion: """
      From an event log: point-in-time features and labels at every cutoff (as churn features
      makes them); the last cutoff with known labels is held out to measure the model, with a
      purge gap (training rows must have their whole label window before it); the model written
      is then fitted on every labelled row. From a table: a CSV with an id column, feature
      columns and a label column (0/1 or yes/no), optionally with --holdout-ids.
      Features are preprocessed (one-hot categoricals, median imputation with indicators,
      fat-tail transform, standardization; boosting keeps missing values and learns their side
      at each split) and every step is saved in the model.
      Without --l2 (logistic), --min-leaf and --features-per-split (forest) or --trees,
      --max-leaves and --min-leaf (boosting), they are chosen on held-out rows, never the
      holdout: the λ₂ path with warm starts, leaf size × features per split, or boosting rounds
      by early stopping × leaves × leaf size, compared on the out-of-time folds before the holdout cutoff (a 3-fold split or
      out-of-bag rows of a table's training rows), printed and stored in the model; a flag given
      wins. --tune picks them from a wider grid instead; --calibrate fits Platt scaling
      or isotonic regression on out-of-time predictions (every backtest fold; k-fold for a
      table) and stores it in the model; balanced class weights are corrected back to the real
      churn rate (King & Zeng's prior correction).
      """)

  @OptionGroup var events: EventLogOptions
  @OptionGroup var customers: CustomerTableOptions
  @OptionGroup var observation: ObservationOptions
  @OptionGroup var families: FeatureFamilyOptions
  @OptionGroup var modelOptions: ModelOptions
  @OptionGroup var survivalOptions: SurvivalOptions
  @OptionGroup var database: DatabaseOptions

  @Option(help: "A prepared training table, a .csv or .csv.gz file, instead of an event log.")
  var table: String?

  @Option(help: "Name of the label column (with --table).")
  var label: String?

  @Option(name: .customLong("id"), help: "Name of the id column (with --table; default customer_id).")
  var idFlag: String?

  @Option(help: "File of ids (one per line) held out of training and used to measure the model (with --table).")
  var holdoutIds: String?

  @Option(name: .customLong("folds"), help: "With --table and --tune or --calibrate: folds of their stratified cross-validation, 2 to 100 (default 5).")
  var foldsFlag: Int?

  @Option(help: "Permutation importance: auto measures it on held-out rows (else 5,000 training rows); none skips it (churn weights and the report then rank a forest's columns by impurity importance, boosting's by gain).")
  var importance = ImportanceSetting.auto

  @Option(help: "Warning rules to store in the model (a CSV file name,severity,condition, see churn rules): churn score then applies them without --rules.")
  var rules: String?

  @Option(help: "Where to write the model (JSON; - for standard output).")
  var out: String

  var id: String { idFlag ?? "customer_id" }
  var folds: Int { foldsFlag ?? 5 }

  func validate() throws {
    try database.validate(files: FlagRules.given([("--events", events.events != nil), ("--customers", customers.customers != nil),
                                                  ("--table", table != nil)]))
    if (table == nil) == (events.events == nil && database.database == nil) {
      throw ValidationError("give either --events (with cutoffs) or --table (with --label)")
    }
    if table != nil && label == nil { throw ValidationError("--table needs --label COLUMN") }
    if table != nil && survivalOptions.survival { throw ValidationError(SurvivalError.preparedTable.description) }
    try survivalOptions.validate(family: modelOptions.model)
    try FlagRules.check("--folds", foldsFlag, in: 2...FlagRules.maxFolds)
    if database.database == nil || database.customersTable == nil { try customers.validate(table: table != nil) }
    if table != nil {
      try FlagRules.refuse(events.givenFlags + observation.givenFlags + families.givenFlags, "applies to an event log (--events), not to --table; drop it")
      if !modelOptions.tune && modelOptions.calibrate == nil {
        try FlagRules.refuse(foldsFlag != nil ? ["--folds"] : [], "applies only with --tune or --calibrate (the folds of their cross-validation); drop it")
      }
    } else {
      try FlagRules.refuse(FlagRules.given([("--label", label != nil), ("--id", idFlag != nil), ("--holdout-ids", holdoutIds != nil), ("--folds", foldsFlag != nil)]),
                           "applies only with --table; drop it")
    }
  }

  func run() throws {
    let clock = ContinuousClock()
    let began = clock.now
    let outputs = try OutputTransaction(outputs: [("--out", out)], inputs: [("--events", events.events), ("--customers", customers.customers),
                                                                            ("--table", table), ("--holdout-ids", holdoutIds), ("--rules", rules)])
    let warningRules = try rules.map(WarningRules.read)  // a bad rules file stops the run before training
    var trainer = modelOptions.trainer(threads: observation.threads, log: .standardError("train"))
    trainer.importance = importance
    trainer.survival = try survivalOptions.settings(for: modelOptions.model)
    let result = try table.map { try trainer.train(customers.tableData($0, idColumn: id, label: label), holdoutIds: holdoutIds, folds: folds) }
      ?? database.source(events: events, customers: customers).map { try trainer.train($0, plan: observation.plan(families)) }
      ?? trainer.train(events.data(customers: customers, threads: observation.threads), plan: observation.plan(families))
    try result.model.carrying(warningRules).write(to: outputs.path(for: "--out"))
    try outputs.commit()
    if !outputs.writesToStandardOutput { print(FeatureWeights(result.model).table(top: 15)) }
    StandardError.print("train: model written to \(out) in \(String(format: "%.2f", (clock.now - began).seconds)) s")
  }
}
