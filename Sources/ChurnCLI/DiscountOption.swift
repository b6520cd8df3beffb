import ArgumentParser
import ChurnPipeline

extension DiscountRate {
  /// `--discount d` of churn score and churn brief, checked: a monthly rate in 0...10, with a
  /// revenue column; none when not given.
  ///
  /// - Throws: `ValidationError` with `PeriodDiscountError`'s message.
  static func flag(_ discount: Double?, revenueColumn: String?) throws -> DiscountRate {
    guard let discount else { return .none }
    do {
      let checked = try DiscountRate(monthly: discount)
      if revenueColumn == nil { throw PeriodDiscountError.needsRevenue }
      return checked
    } catch { throw ValidationError("\(error)") }
  }

  /// The help of `--discount`.
  static let help = ArgumentHelp("A survival model's monthly discount rate d, 0 to 10, the same rate as churn lifetime's (default 0, none; needs --revenue-column): "
    + "period k's revenue counts δ^k in lifetime_value and value_at_risk, δ = (1 + d)^−(the horizon in months).", valueName: "d")
}
