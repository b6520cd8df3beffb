import ArgumentParser
import ChurnPipeline
import Foundation

struct BriefCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "brief",
    abstract: "Write the weekly brief: one HTML page and one CSV per owner (account manager), with an index page.",
    discussion: """
      Scores the customers as of --as-of (as churn score does, with the model's warning rules or
      --rules) and groups them by the owner column (--owner-column, or the model's from churn
      train --owner-column). Each owner's page lists first the new warnings: customers now red or
      yellow (by the model's bands or a rule) who were not red or yellow on --previous, last
      week's ranked list (without it, every warning); then the movers, whose churn probability
      rose most since that list; then the key accounts, the owner's customers with the highest
      --revenue-column, with the model's probability at --trend-points cutoffs --trend-step apart.
      Reasons are in words, as in churn score. A survival model (churn train --survival) scored
      with --revenue-column adds each listed customer's lifetime value and value at risk over
      its K periods (discounted by --discount, as churn score's) and each owner's totals. Customers with no owner go on the page
      "unassigned". The index links to monthly.html, the monthly analysis (as churn monthly
      writes it) over the last --monthly-cutoffs month starts whose labels are known. Files are
      written all together or not at all; other files in --out stay.
      For purchase data, --lifetime-value btyd values customers by their BTYD value at risk (as
      churn score --lifetime-value btyd), the value at stake --contact-cost reads.
      """)

  @OptionGroup var inputs: ScoringInputs

  @Option(help: "Customer-table column naming each customer's owner, such as account_manager (default: the model's).")
  var ownerColumn: String?

  @Option(help: "Customer-table column with monthly revenue: key accounts are the owner's highest.")
  var revenueColumn: String?

  @Option(help: "Last week's ranked list (the CSV churn score --out wrote): new warnings and movers are counted against it.")
  var previous: String?

  @Option(help: "Warning rules, a CSV file name,severity,condition (see churn rules); default: the model's rules, if any.")
  var rules: String?

  @Option(help: "Movers listed per owner (0 to 1000).")
  var movers = 10

  @Option(help: "Key accounts listed per owner (0 to 1000).")
  var keyAccounts = 5

  @Option(help: "Points of the key accounts' trend, the as-of date included (1 to 24).")
  var trendPoints = 6

  @Option(help: "Time between the trend's points: 1m, 2w, 30d.")
  var trendStep = "1m"

  @Option(help: ArgumentHelp("Month starts of the brief's monthly analysis (monthly.html, linked from the index): the last this many whose "
    + "label window (the model's horizon) closed by --as-of; 0 leaves it out (0 to 60)."))
  var monthlyCutoffs = 12

  @Option(help: "Event type of satisfaction surveys (value 0-100) for the monthly analysis.")
  var surveyType = "survey"

  @Option(help: "Event type of NPS answers (value 0-10) for the monthly analysis.")
  var npsType = "nps"

  @OptionGroup var contact: ContactOptions

  @OptionGroup var purchase: PurchaseValueOptions

  @Option(help: DiscountRate.help)
  var discount: Double?

  @Option(help: "Directory to write the brief into (created when missing).")
  var out: String

  func validate() throws {
    let btyd = try purchase.settings(discount: discount, revenueColumn: revenueColumn) != nil
    _ = try contact.economics(revenueColumn: revenueColumn, purchaseValue: btyd)
    if !btyd { _ = try DiscountRate.flag(discount, revenueColumn: revenueColumn) }
    if surveyType.trimmingSpaces.isEmpty || npsType.trimmingSpaces.isEmpty { throw ValidationError("--survey-type and --nps-type must name event types") }
    if inputs.table != nil {
      throw ValidationError("churn brief reads an event log (--events or --database, with --as-of): the key accounts' trend is scored at earlier cutoffs; drop --table")
    }
  }

  func run() throws {
    let scorer = try Scorer(contentsOf: inputs.model, log: .standardError("brief"))
    var options = BriefOptions(ownerColumn: ownerColumn, revenueColumn: revenueColumn, previous: previous, rules: try rules.map(WarningRules.read),
                               movers: movers, keyAccounts: keyAccounts, trendPoints: trendPoints,
                               trendStep: try CalendarSpan.parse(trendStep, option: "--trend-step"), monthlyCutoffs: monthlyCutoffs,
                               monthlySettings: MonthlyAnalysis.Settings(surveyType: surveyType.trimmingSpaces, npsType: npsType.trimmingSpaces),
                               contact: try contact.economics(revenueColumn: revenueColumn, purchaseValue: purchase.lifetimeValue != nil))
    options.purchaseValue = try purchase.settings(discount: discount, revenueColumn: revenueColumn)
    if options.purchaseValue == nil { options.discount = try DiscountRate.flag(discount, revenueColumn: revenueColumn) }
    let brief = switch inputs.source(for: scorer.model) {
    case .events(let data, let asOf): try scorer.brief(data, asOf: asOf, options: options)
    case .database(let source, let asOf): try scorer.brief(source, asOf: asOf, options: options)
    case .table: throw ValidationError("churn brief reads an event log or a database, not --table")  // validate() refused it
    }
    let written = try brief.write(to: out, inputs: inputs.paths + [("--previous", previous), ("--rules", rules)])
    let warnings = brief.owners.map(\.newWarnings.count).reduce(0, +)
    StandardError.print("brief: \(brief.owners.count) owners (\(brief.ownerColumn)), \(warnings) \(brief.previous == nil ? "warnings" : "new warnings"); "
      + "\(written.count) files written to \(out)")
    if let cut = brief.contactCut { StandardError.print("brief: " + cut.summary) }
    print((out as NSString).appendingPathComponent("index.html"))
  }
}
