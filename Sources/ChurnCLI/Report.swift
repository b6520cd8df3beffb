import ArgumentParser
import ChurnPipeline
import Foundation

struct Report: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write one self-contained HTML report: curves, lift, calibration, bands, weights, cohorts, drift and the ranked list.",
    discussion: """
      Inline SVG and tables only (no scripts, nothing fetched from the network), so the file
      can be mailed or opened offline. ROC and precision-recall curves, lift and cumulative
      gains by decile and the calibration plot use the held-out predictions stored in the
      model at training; the score histogram with band cut points, the drift table and the
      ranked list use the customers scored here; the cohort plots (churn rate by decile of the
      six strongest features, and by category with Wilson intervals) use the labelled rows of
      the model's training cutoffs, recomputed from --events (or --table with --label). The
      health section gives the mean health points per dimension (as churn score's health
      columns) over all customers scored and per band, and the ranked list a health column.
      A survival model (churn train --survival) adds "Time to churn": S(k), k = 0…K, of the 5
      riskiest customers scored, and Kaplan–Meier survival by risk band against the model's
      mean predicted S(k) on the customers at the model's held-out cutoff (its training
      cutoffs when it has none), recomputed from --events and the churn dates of --customers,
      censored by the end of the data.
      For purchase data, --lifetime-value btyd adds each customer's BTYD lifetime value and
      value at risk (as churn score --lifetime-value btyd) to the ranked list and the summary.
      """)

  @OptionGroup var inputs: ScoringInputs

  @Option(help: "Customer-table (or --table) column with monthly revenue, for revenue at risk.")
  var revenueColumn: String?

  @Option(help: "With --table: the label column, for the cohort sections.")
  var label: String?

  @Option(help: "Rows of the ranked list to show (1 or more).")
  var top = 25

  @Flag(help: ArgumentHelp("Leave out the health section and column: computing them explains every customer "
    + "(for a forest or boosted trees on a large list, seconds per 100,000 customers)."))
  var noHealth = false

  @Option(help: "The ranked list's order: risk (churn probability) or value (expected revenue at risk, a survival model's or BTYD value_at_risk; needs --revenue-column or --lifetime-value).")
  var rankBy = RankOrder.risk

  @OptionGroup var contact: ContactOptions

  @OptionGroup var purchase: PurchaseValueOptions

  @Option(help: ArgumentHelp("With --lifetime-value btyd: the monthly discount rate d, 0 to 10 (default 0.01, as churn lifetime's).", valueName: "d"))
  var discount: Double?

  @Option(help: "Where to write the HTML file (- for standard output).")
  var out: String

  func validate() throws {
    if purchase.lifetimeValue == nil { try FlagRules.refuse(discount != nil ? ["--discount"] : [], "applies to --lifetime-value btyd; add it, or drop --discount") }
    let btyd = try purchase.settings(discount: discount, revenueColumn: revenueColumn) != nil
    _ = try contact.economics(revenueColumn: revenueColumn, purchaseValue: btyd)
    try ContactOptions.check(rankBy: rankBy, revenueColumn: revenueColumn, purchaseValue: btyd)
    if top < 1 { throw ValidationError("--top \(top) is too small; expected the number of customers to list, 1 or more") }
    if inputs.table == nil { try FlagRules.refuse(label != nil ? ["--label"] : [], "applies only with --table (an event log's labels come from the model's horizon); drop it") }
  }

  func run() throws {
    let outputs = try OutputTransaction(outputs: [("--out", out)], inputs: inputs.paths)
    let scorer = try Scorer(contentsOf: inputs.model, log: .standardError("report"))
    let report = try scorer.report(inputs.source(for: scorer.model, label: label), revenueColumn: revenueColumn, top: top, health: !noHealth,
                                   rankBy: rankBy, contact: try contact.economics(revenueColumn: revenueColumn, purchaseValue: purchase.lifetimeValue != nil),
                                   purchaseValue: try purchase.settings(discount: discount, revenueColumn: revenueColumn))
    try OutputFile.write(try report.html(), to: outputs.path(for: "--out"))
    try outputs.commit()
    StandardError.print("report: \(report.scores.count) customers \(report.scoredOn); written to \(out)")
    if !outputs.writesToStandardOutput { print(out) }
  }
}
