import ChurnCore
import Foundation

/// Turns feature names into phrases an account manager reads at a glance:
/// `count_complaint_30d = 4, +11 pts` becomes `complaints in last 30 days = 4 (+11.0 pts)`,
/// `contract = Month-to-month, +6 pts` becomes `contract is Month-to-month (+6.0 pts)`.
public enum ReasonText {
  /// A readable phrase for a feature name (see the feature names in `FeatureSpec`).
  public static func phrase(for feature: String) -> String {
    if let (column, level) = oneHot(feature) { return "\(words(column)) is \(level)" }
    if feature.hasSuffix("_missing") { return "\(words(String(feature.dropLast(8)))) is missing" }
    let fixed: [String: String] = [
      "days_since_last_event": "days since last activity", "tenure_days": "days as a customer",
      "recency_days": "days since last purchase", "r_score": "RFM recency score", "f_score": "RFM frequency score",
      "m_score": "RFM monetary score", "rfm_segment": "RFM segment",
      "btyd_p_alive": "chance still buying (BG/NBD)", "btyd_expected_purchases": "expected purchases in the horizon (BG/NBD)",
    ]
    if let text = fixed[feature] { return text }
    if let w = window(feature, prefix: "active_days_") { return "active days in last \(w) days" }
    if let w = window(feature, prefix: "mean_gap_days_") { return "average days between events (last \(w) days)" }
    if let w = window(feature, prefix: "frequency_") { return "purchases in last \(w) days" }
    if let w = window(feature, prefix: "monetary_") { return "purchase value in last \(w) days" }
    if feature.hasPrefix("pct_change_count_"), feature.hasSuffix("_30d") {
      return "change in \(plural(String(feature.dropFirst(17).dropLast(4)))) vs the 30 days before"
    }
    if feature.hasPrefix("pct_change_sum_"), feature.hasSuffix("_90d") {
      return "change in \(words(String(feature.dropFirst(15).dropLast(4)))) value vs the 90 days before"
    }
    if feature.hasPrefix("rising_months_") { return "months in a row of rising \(plural(String(feature.dropFirst(14))))" }
    if feature.hasPrefix("streak_") { return "\(plural(String(feature.dropFirst(7)))) in a row" }
    if feature.hasPrefix("days_since_last_") { return "days since last \(words(String(feature.dropFirst(16))))" }
    for (prefix, template) in [("count_", "%@ in last %@ days"), ("sum_", "total %@ value in last %@ days"),
                               ("mean_", "average %@ value in last %@ days")] where feature.hasPrefix(prefix) {
      let rest = feature.dropFirst(prefix.count)
      if let underscore = rest.lastIndex(of: "_"), rest.hasSuffix("d"), let w = Int(rest[rest.index(after: underscore)...].dropLast()) {
        let type = String(rest[..<underscore])
        return String(format: template, prefix == "count_" ? plural(type) : words(type), String(w))
      }
    }
    return words(feature)
  }

  /// One reason: the column's phrase, the customer's own value and the contribution in
  /// probability points.
  ///
  /// ```
  /// internetservice is Fiber optic (+7.8 pts)      a categorical column: the customer's level
  /// tenure = 2 (+3.1 pts)                          a numeric column: the customer's value
  /// totalcharges is missing (+0.2 pts)             no value
  /// no payment in last 30 days (+3.8 pts)          a missing mean: nothing to average
  /// ```
  /// The contribution is the column's whole share (its value, missing indicator and one-hot
  /// levels summed: `ColumnContribution.group`).
  public static func reason(_ reason: ColumnContribution) -> String {
    let feature = reason.column
    let signed = SignedNumber.text(100 * reason.contribution, decimals: 1) + " pts"
    switch reason.value {
    case .level(let level):
      return "\(phrase(for: feature)) is \(level) (\(signed))"
    case .missing:
      if feature.hasPrefix("mean_"), let w = feature.split(separator: "_").last, w.hasSuffix("d"), Int(w.dropLast()) != nil {
        // A missing average means there was nothing to average.
        let type = feature.dropFirst(5).dropLast(w.count + 1)
        return "no \(words(String(type))) in last \(w.dropLast()) days (\(signed))"
      } else if feature.hasPrefix("days_since_last_") {
        return "no \(words(String(feature.dropFirst(16)))) ever (\(signed))"
      }
      return "\(phrase(for: feature)) is missing (\(signed))"
    case .number(let value) where value.isNaN:
      return "\(phrase(for: feature)) is missing (\(signed))"
    case .number(let value):
      let shown = feature.hasPrefix("pct_change_") ? SignedNumber.text(100 * value, decimals: 0) + "%" : number(value)
      return "\(phrase(for: feature)) = \(shown) (\(signed))"
    }
  }

  /// A value as a reader wants it: whole numbers without decimals, else 2 decimals below 10 and
  /// 1 above; a nonzero value under 0.01 with 2 significant digits (`0.0042`, not `0.00` or
  /// `-0.00`); `-0` as `0`; NaN as `missing`.
  public static func number(_ value: Double) -> String {
    if value.isNaN { return "missing" }
    if value != 0 && abs(value) < 0.01 { return String(format: "%.2g", value) }
    if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
    return String(format: abs(value) < 10 ? "%.2f" : "%.1f", value)
  }

  static func oneHot(_ feature: String) -> (String, String)? {
    guard let eq = feature.firstIndex(of: "=") else { return nil }
    return (String(feature[..<eq]), String(feature[feature.index(after: eq)...]))
  }

  static func window(_ feature: String, prefix: String) -> Int? {
    guard feature.hasPrefix(prefix), feature.hasSuffix("d") else { return nil }
    return Int(feature.dropFirst(prefix.count).dropLast())
  }

  static func words(_ token: String) -> String { token.replacingOccurrences(of: "_", with: " ") }

  /// "complaint" → "complaints", "upsell_declined" → "upsell declined" (a participle stays).
  static func plural(_ token: String) -> String {
    let w = words(token)
    if w.hasSuffix("s") || w.hasSuffix("ed") { return w }
    if w.hasSuffix("y"), let last = w.dropLast().last, !"aeiou".contains(last) { return w.dropLast() + "ies" }
    return w + "s"
  }
}
