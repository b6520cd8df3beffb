import ArgumentParser
import ChurnPipeline

extension RankOrder: ExpressibleByArgument {}

/// `--contact-cost C --save-rate S`: the economics of a retention contact, shared by `churn
/// score`, `churn report` and `churn brief`.
struct ContactOptions: ParsableArguments {
  @Option(help: ArgumentHelp("The cost of one retention contact (a call, an offer), in the revenue column's currency, 0 or more; "
    + "with --save-rate: each customer's expected_net_value_of_contact = save rate × expected revenue at risk − cost, and who is worth a call.",
    valueName: "C"))
  var contactCost: Double?

  @Option(help: ArgumentHelp("The share of contacted would-be churners a contact keeps, more than 0 and at most 1 (with --contact-cost).",
                             valueName: "S"))
  var saveRate: Double?

  /// The economics, or nil without the flags.
  ///
  /// - Throws: `ValidationError` for one flag without the other, a value out of range, or
  ///   neither a `revenueColumn` nor `purchaseValue` (`--lifetime-value btyd`).
  func economics(revenueColumn: String?, purchaseValue: Bool = false) throws -> ContactEconomics? {
    guard let economics = try Self.economics(cost: contactCost, saveRate: saveRate) else { return nil }
    if revenueColumn == nil && !purchaseValue { throw ValidationError("\(ContactEconomicsError.needsRevenue(flag: "--contact-cost"))") }
    return economics
  }

  /// The economics of `--contact-cost` and `--save-rate`, or nil without either.
  ///
  /// - Throws: `ValidationError` for one flag without the other or a value out of range.
  static func economics(cost: Double?, saveRate: Double?) throws -> ContactEconomics? {
    guard cost != nil || saveRate != nil else { return nil }
    do {
      guard let cost else { throw ContactEconomicsError.needsBoth(given: "--save-rate", missing: "--contact-cost") }
      guard let saveRate else { throw ContactEconomicsError.needsBoth(given: "--contact-cost", missing: "--save-rate") }
      return try ContactEconomics(cost: cost, saveRate: saveRate)
    } catch { throw ValidationError("\(error)") }
  }

  /// Refuses `--rank-by value` without a revenue column or `purchaseValue` (`--lifetime-value btyd`).
  static func check(rankBy: RankOrder, revenueColumn: String?, purchaseValue: Bool = false) throws {
    if rankBy == .value && revenueColumn == nil && !purchaseValue { throw ValidationError("\(ContactEconomicsError.needsRevenue(flag: "--rank-by value"))") }
  }
}
