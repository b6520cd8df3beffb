import ArgumentParser
import ChurnPipeline
import Foundation

extension LifetimeAnalysis.TimeUnit: ExpressibleByArgument {}
extension LifetimeAnalysis.PurchaseModelKind: ExpressibleByArgument {}

struct LifetimeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lifetime",
    abstract: "Who is still a customer and what they are worth, from purchases alone (BG/NBD and Gamma-Gamma).",
    discussion: """
      For purchase-based customers (no contract, no labels): fits BG/NBD (Fader, Hardie & Lee
      2005; or Pareto/NBD with --model pareto-nbd) on each customer's repeat purchases and Gamma-Gamma on their values, using only
      purchases before --as-of, as the lifetimes package does. Purchases are counted per day
      (several on one day are one purchase); frequency is the number of purchase days after the
      first, recency the time from the first to the last, T the time from the first to the day
      before --as-of. Writes one row per customer with a purchase: customer_id, frequency,
      recency, T, monetary_value (mean value of the repeat purchases), p_alive,
      expected_purchases (within --horizon after --as-of), p_no_purchase (the probability of no
      purchase within --horizon: rank by it to find who will not buy again, since p_alive is 1
      for every customer without a repeat purchase), expected_spend (per purchase) and
      lifetime_value (lifetimes' customer_lifetime_value: expected purchases times expected
      spend, month by month over --lifetime-months, discounted by --discount per month).
      Where a fit does not converge (a flat likelihood: too few repeat purchases, or customers
      too alike), it is made again with lifetimes' penalizer_coef 0.001, and the terminal says
      so; --penalizer and --spend-penalizer set the penalty instead, as lifetimes'
      penalizer_coef (Pareto/NBD's on the total log-likelihood, as lifetimes applies it).
      """)

  @OptionGroup var events: EventLogOptions

  @Option(help: "Use purchases before this date (midnight UTC), such as 1997-10-01.")
  var asOf: String

  @Option(name: .customLong("event-type"), help: "Comma-separated event types that are purchases (default: the log's purchase, order, transaction or sale types).")
  var eventType: String?

  @Option(help: "Model of repeat purchasing: bgnbd (drop-out just after a purchase) or pareto-nbd (at any time).")
  var model: LifetimeAnalysis.PurchaseModelKind = .bgnbd

  @Option(help: "Span after --as-of for expected_purchases: 90d, 13w, 3m.")
  var horizon = "90d"

  @Option(help: "Time unit of recency, T and the fitted alpha.")
  var period: LifetimeAnalysis.TimeUnit = .day

  @Option(help: "Months summed in lifetime_value (1...1200).")
  var lifetimeMonths = 12

  @Option(help: "Monthly discount rate of lifetime_value (0...10).")
  var discount = 0.01

  @Option(help: ArgumentHelp("lifetimes' penalizer_coef for the BG/NBD or Pareto/NBD fit, 0...1e6 (default: none, and 0.001 where the fit without one does not converge; the terminal says so).",
                             valueName: "c"))
  var penalizer: Double?

  @Option(help: ArgumentHelp("lifetimes' penalizer_coef for the Gamma-Gamma fit, read as --penalizer is.", valueName: "c"))
  var spendPenalizer: Double?

  @Option(help: "Output CSV, one row per customer (- for standard output).")
  var out: String

  func validate() throws {
    if let eventType, commaList(eventType).isEmpty { throw ValidationError("--event-type \"\(eventType)\" names no event type; expected types such as purchase,order") }
    try FlagRules.check("--lifetime-months", lifetimeMonths, in: 1...1200)
    try FlagRules.checkPenalty("--penalizer", penalizer)
    try FlagRules.checkPenalty("--spend-penalizer", spendPenalizer)
    guard discount >= 0 && discount <= 10 else { throw ValidationError("--discount \(discount) is outside 0...10; expected a monthly rate such as 0.01") }
    do {
      _ = try CalendarSpan.parse(horizon, option: "--horizon")
    } catch let error as FeatureError {
      throw ValidationError(error.description)
    }
  }

  func run() throws {
    let outputs = try OutputTransaction(outputs: [("--out", out)], inputs: [("--events", events.events)])
    let settings = LifetimeAnalysis.Settings(asOf: try PurchaseSummary.asOf(asOf), purchaseTypes: eventType.map(commaList),
                                             horizon: try CalendarSpan.parse(horizon, option: "--horizon"), unit: period,
                                             lifetimeMonths: lifetimeMonths, monthlyDiscount: discount, model: model,
                                             penalty: penalizer, spendPenalty: spendPenalizer)
    let analysis = try LifetimeAnalysis(EventData(events: try events.path(), columns: events.columns, skipBadRows: events.skipBadRows), settings: settings, log: .standardError("lifetime"))
    try OutputFile.write(analysis.csv, to: outputs.path(for: "--out"))
    try outputs.commit()
    for line in analysis.lines { StandardError.print("lifetime: " + line) }
    if !outputs.writesToStandardOutput { print(out) }
  }
}
