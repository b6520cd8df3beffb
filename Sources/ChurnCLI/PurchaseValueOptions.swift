import ArgumentParser
import ChurnPipeline

/// Where the ranked list's lifetime value comes from, besides a survival model's revenue values.
enum LifetimeValueSource: String, CaseIterable, ExpressibleByArgument {
  /// The BTYD models of `churn lifetime`, fitted on the event log's purchases.
  case btyd
}

/// `--lifetime-value btyd [--lifetime-model M] [--event-type T] [--lifetime-months K]`: each
/// purchase-data customer's lifetime value and value at risk, shared by `churn score`, `churn
/// report` and `churn brief` (each with its own `--discount`, the monthly rate).
struct PurchaseValueOptions: ParsableArguments {
  @Option(help: ArgumentHelp("For purchase data (no revenue column): btyd fits churn lifetime's BG/NBD and Gamma-Gamma on the purchases before --as-of "
    + "and adds lifetime_value and value_at_risk (P(alive) × the spend were the customer never to drop out, less the spend expected: what a retention call can save) over "
    + "--lifetime-months, discounted by --discount a month; value_at_risk is the value --rank-by value and --contact-cost read.",
    valueName: "btyd"))
  var lifetimeValue: LifetimeValueSource?

  @Option(help: "With --lifetime-value btyd: the model of repeat purchasing, bgnbd (default) or pareto-nbd, as churn lifetime --model.")
  var lifetimeModel: LifetimeAnalysis.PurchaseModelKind?

  @Option(name: .customLong("event-type"),
          help: "With --lifetime-value btyd: comma-separated event types that are purchases (default: the log's purchase, order, transaction or sale types).")
  var eventType: String?

  @Option(help: "With --lifetime-value btyd: months summed in lifetime_value and value_at_risk (1...1200, default 12, as churn lifetime's).")
  var lifetimeMonths: Int?

  @Option(help: ArgumentHelp("With --lifetime-value btyd: lifetimes' penalizer_coef for the BG/NBD or Pareto/NBD fit, as churn lifetime --penalizer.", valueName: "c"))
  var penalizer: Double?

  @Option(help: ArgumentHelp("With --lifetime-value btyd: lifetimes' penalizer_coef for the Gamma-Gamma fit, as churn lifetime --spend-penalizer.", valueName: "c"))
  var spendPenalizer: Double?

  /// The settings, or nil without `--lifetime-value`.
  ///
  /// - Parameters:
  ///   - discount: the command's `--discount` (the monthly rate; nil: churn lifetime's 0.01).
  ///   - revenueColumn: the command's `--revenue-column`, refused with `--lifetime-value`.
  /// - Throws: `ValidationError` for a setting without `--lifetime-value`, a value out of
  ///   range, or a revenue column as well.
  func settings(discount: Double?, revenueColumn: String?) throws -> PurchaseValue.Settings? {
    guard lifetimeValue != nil else {
      try FlagRules.refuse(FlagRules.given([("--lifetime-model", lifetimeModel != nil), ("--event-type", eventType != nil),
                                            ("--lifetime-months", lifetimeMonths != nil), ("--penalizer", penalizer != nil),
                                            ("--spend-penalizer", spendPenalizer != nil)]),
                           "applies to --lifetime-value btyd (purchase data); add it, or drop the flag")
      return nil
    }
    if let revenueColumn { throw ValidationError("\(PurchaseValueError.withRevenueColumn(column: revenueColumn))") }
    if let eventType, commaList(eventType).isEmpty { throw ValidationError("--event-type \"\(eventType)\" names no event type; expected types such as purchase,order") }
    try FlagRules.check("--lifetime-months", lifetimeMonths, in: 1...1200)
    try FlagRules.checkPenalty("--penalizer", penalizer)
    try FlagRules.checkPenalty("--spend-penalizer", spendPenalizer)
    // The same rule and message as a survival model's --discount (DiscountRate).
    if let discount { do { _ = try DiscountRate(monthly: discount) } catch { throw ValidationError("\(error)") } }
    return PurchaseValue.Settings(model: lifetimeModel ?? .bgnbd, purchaseTypes: eventType.map(commaList), lifetimeMonths: lifetimeMonths ?? 12,
                                  monthlyDiscount: discount ?? 0.01, penalty: penalizer, spendPenalty: spendPenalizer)
  }
}
