import ArgumentParser
import ChurnPipeline
import Foundation

struct Score: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Score customers with a trained model: a ranked risk list with reasons.",
    discussion: """
      With --events and --as-of, recomputes the model's features for every eligible customer as
      of that date (events before it only); with --table, reads prepared feature rows. Writes
      rank, id, churn_probability, percentile, risk_band, reason_1..3 (the input columns that
      push this customer's risk up most, each with the customer's own value, such as
      "contract is Month-to-month (+9.1 pts)" or "tenure = 2 (+3.1 pts)": a column's value,
      missing indicator and one-hot levels count as one, as in churn explain),
      expected_revenue_at_risk (with --revenue-column) and segment (the RFM segment), then owner
      (with --owner-column or a model trained with one); prints the top of the list without --out.
      Last come health = round(100 × (1 − churn_probability)),
      0 to 100, 100 safest; health_baseline, the model's average customer's; and one
      health_<dimension> per category of signal (service, finance, commercial, engagement,
      account, or --groups'), the points that category costs (negative) or adds, from the same
      additive contributions as the reasons, rounded so that baseline + dimensions = health.
      With --contact-cost C --save-rate S (and --revenue-column), expected_net_value_of_contact
      = S × expected_revenue_at_risk − C follows change, and the summary says who is worth a
      call: the customers whose net value is positive, their count, cost and total net value.
      A survival model's list (churn train --survival --periods K) ends with survival_1..K,
      expected_periods_remaining and median_periods_to_churn; with --revenue-column, then
      lifetime_value = Σ_k S(k) × r × δ^k and value_at_risk = Σ_k (1 − S(k)) × r × δ^k over the
      K periods (r = monthly revenue × the horizon in months, δ = (1 + d)^−(horizon months) for
      the monthly rate d = --discount, as churn lifetime's), and value_at_risk
      is the value at stake --rank-by value and --contact-cost read.
      For purchase data, --lifetime-value btyd (instead of --revenue-column) fits churn
      lifetime's BG/NBD (or --lifetime-model pareto-nbd) and Gamma-Gamma on the purchases
      before --as-of and ends the list with lifetime_value (churn lifetime's, over
      --lifetime-months at --discount a month, default 0.01) and value_at_risk = Σ_m E[spend] ×
      (P(alive) × (r + x)/(α + T) × 30 days − expected purchases in month m) / (1 + d)^m, the
      spend lost to drop-out still to come among customers still here (≈ 0 for one already
      gone); blank for a customer without a purchase before --as-of (last under --rank-by value).
      """)

  @OptionGroup var inputs: ScoringInputs

  @Option(help: "Customer-table (or --table) column with monthly revenue, for expected revenue at risk over the horizon.")
  var revenueColumn: String?

  @Option(help: "Give reasons for this many of the riskiest customers.")
  var reasons = 10_000

  @Option(help: ArgumentHelp("A forest's reasons: exact (TreeSHAP), path (Saabas path contributions: fast, additive, not Shapley values) or auto "
    + "(exact while trees' nodes × customers ≤ \(Score.powerOfTen(RiskScorer.exactBudget)), under a minute of one core)."))
  var explain: RiskScorer.Explanation = .auto

  @Option(help: "Rows to print (or write) when given; all rows are written to --out by default.")
  var top: Int?

  @Option(help: "Last week's ranked list (this command's CSV): adds the change in points, band moves, new and vanished customers.")
  var previous: String?

  @Option(help: ArgumentHelp("Warning rules, a CSV file name,severity,condition (see churn rules): adds warnings (fired rules, red first) "
    + "and band_from; the band becomes the worse of the model's and the rules'."))
  var rules: String?

  @Option(help: ArgumentHelp("Customer-table (or --table) column naming each customer's owner, such as account_manager: adds owner to every row "
    + "(default: the model's, from churn train --owner-column)."))
  var ownerColumn: String?

  @Option(help: "CSV of pattern,category rules placing columns in health dimensions (first match wins), as churn weights --groups.")
  var groups: String?

  @Flag(help: ArgumentHelp("Leave out the health columns: computing them explains every customer, not only the --reasons riskiest "
    + "(for a forest or boosted trees on a large list, seconds per 100,000 customers)."))
  var noHealth = false

  @Option(help: ArgumentHelp("Score only shard i of n (0 ≤ i < n, numbered from 0): the customers whose id, as the list writes it, hashes into i "
    + "(64-bit FNV-1a of its UTF-8 bytes, mod n); writes a part for churn merge, as --partial does.", valueName: "i/n"))
  var shard: String?

  @Flag(help: ArgumentHelp("Write a part of a list for churn merge (the rows of --table - in one partition of a Spark job, say): the list's columns, "
    + "the first named part_rank, probabilities with every digit; the merge ranks, bands and compares the parts as one run would."))
  var partial = false

  @Option(help: ArgumentHelp("The list's order: risk (churn probability, highest first) or value (expected revenue at risk, a survival model's "
    + "value_at_risk, highest first, ties by probability then id; needs --revenue-column or --lifetime-value). Percentiles follow the order; bands stay probability bands."))
  var rankBy = RankOrder.risk

  @OptionGroup var contact: ContactOptions

  @OptionGroup var purchase: PurchaseValueOptions

  @Option(help: DiscountRate.help)
  var discount: Double?

  @Option(help: "Output format of --out (default csv).")
  var format: ListFormat?

  @Option(help: "Where to write the ranked list (- for standard output).")
  var out: String?

  func validate() throws {
    if let top, top < 1 { throw ValidationError("--top \(top) must be at least 1") }
    guard reasons >= 0 else { throw ValidationError("--reasons \(reasons) must be at least 0") }
    if out == nil { try FlagRules.refuse(format != nil ? ["--format"] : [], "applies to --out; without --out the list is printed as a table") }
    let btyd = purchase.lifetimeValue != nil
    _ = try purchase.settings(discount: discount, revenueColumn: revenueColumn)
    _ = try contact.economics(revenueColumn: revenueColumn, purchaseValue: btyd)
    try ContactOptions.check(rankBy: rankBy, revenueColumn: revenueColumn, purchaseValue: btyd)
    _ = try periodDiscount()
    if noHealth { try FlagRules.refuse(groups != nil ? ["--groups"] : [], "places columns in health dimensions; --no-health leaves them out") }
    if let shard {
      do { _ = try CustomerShard(parsing: shard) } catch { throw ValidationError("\(error)") }
    }
    if shard != nil || partial {
      let flag = shard != nil ? "--shard" : "--partial"
      if out == nil { throw ValidationError("\(flag) writes a part for churn merge; expected --out PART.csv (or - for standard output)") }
      try FlagRules.refuse(FlagRules.given([("--previous", previous != nil), ("--top", top != nil), ("--format", format != nil)]),
                           "applies to the whole list, not to a part (\(flag)); give it to churn merge")
    }
  }

  func run() throws {
    let outputs = try OutputTransaction(outputs: [("--out", out)], inputs: inputs.paths + [("--previous", previous), ("--rules", rules), ("--groups", groups)])
    let scorer = try Scorer(contentsOf: inputs.model, log: .standardError("score"))
    var options = ScoringOptions(revenueColumn: revenueColumn, reasons: reasons, explanation: explain, previous: previous,
                                 rules: try rules.map(WarningRules.read), ownerColumn: ownerColumn, health: !noHealth,
                                 groups: try groups.map { try Attribution.read(path: $0, columns: scorer.model.preprocessor.inputNames, log: scorer.log) } ?? Attribution())
    options.shard = try shard.map { try CustomerShard(parsing: $0) }
    (options.part, options.rankBy) = (partial || shard != nil, rankBy)
    options.contact = try contact.economics(revenueColumn: revenueColumn, purchaseValue: purchase.lifetimeValue != nil)
    (options.discount, options.purchaseValue) = (try periodDiscount(), try purchase.settings(discount: discount, revenueColumn: revenueColumn))
    let scored = try scorer.score(inputs.source(for: scorer.model), options: options)
    guard let out else {
      print(scored.list.text(top: top ?? 20, idHeader: scored.idHeader) + (scored.contactCut.map { "\n" + $0.summary } ?? ""))
      return
    }
    let start = ContinuousClock.now
    try scored.write(to: outputs.path(for: "--out"), format: format ?? .csv, top: top, partial: options.part)
    try outputs.commit()
    let steps = scored.timings + [ScoringTiming(step: "write", seconds: (ContinuousClock.now - start).seconds)]
    StandardError.print("score: \(scored.count) customers scored; ranked list written to \(out) (" + steps.map(\.text).joined(separator: ", ") + ")"
      + (scored.contactCut.map { "\nscore: " + $0.summary } ?? ""))
    if !outputs.writesToStandardOutput { print(out) }
  }

  /// `--discount` of a survival model, checked: a monthly rate in 0...10, with a revenue column
  /// (none with `--lifetime-value`, whose settings carry it).
  func periodDiscount() throws -> DiscountRate {
    purchase.lifetimeValue == nil ? try DiscountRate.flag(discount, revenueColumn: revenueColumn) : .none
  }

  /// 10⁹ for 1_000_000_000: a power of ten in the help's words (other numbers as digits).
  static func powerOfTen(_ n: Int) -> String {
    var exponent = 0, rest = n
    while rest >= 10 && rest % 10 == 0 { rest /= 10; exponent += 1 }
    guard rest == 1, exponent > 1 else { return "\(n)" }
    let superscripts: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
    return "10" + String(String(exponent).map { superscripts[Int(String($0))!] })
  }
}
