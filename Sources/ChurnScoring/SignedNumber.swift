import Foundation

/// Signed numbers as a reader sees them in the list, the explanation, the weights and the report:
/// never `+0.0`, `-0.0`, `nan` or `inf`.
///
/// ```
/// 3.14159, 1 decimal   →  +3.1
/// -0.04,   1 decimal   →  -<0.1     nonzero, but rounds to zero at the shown decimals
/// 0 or -0, 1 decimal   →  0.0       no sign
/// NaN or ±∞            →  n/a       (the scoring layer refuses these before anything prints)
/// ```
public enum SignedNumber {
  /// `value` rounded to `decimals` places with its sign, right-aligned in `width` characters
  /// (as printf's `%+W.Df`); see the type's table.
  public static func text(_ value: Double, decimals: Int, width: Int) -> String {
    let s = text(value, decimals: decimals)
    return String(repeating: " ", count: max(0, width - s.count)) + s
  }

  /// `value` rounded to `decimals` places with its sign; see the type's table.
  public static func text(_ value: Double, decimals: Int) -> String {
    precondition((0...9).contains(decimals), "decimals \(decimals) must be in 0...9")
    guard value.isFinite else { return "n/a" }
    let scale = pow(10, Double(decimals))
    let units = (value * scale).rounded()
    if units == 0 {
      if value == 0 { return String(format: "%.\(decimals)f", 0.0) }
      return (value > 0 ? "+<" : "-<") + String(format: "%.\(decimals)f", 1 / scale)
    }
    return String(format: "%+.\(decimals)f", units / scale)
  }

  /// An unsigned quantity (a revenue, a share) rounded to `decimals` places: `-0.0`, and a tiny
  /// negative that rounds to zero, print as `0.00`; NaN or ±∞ as `n/a`.
  public static func unsigned(_ value: Double, decimals: Int) -> String {
    precondition((0...9).contains(decimals), "decimals \(decimals) must be in 0...9")
    guard value.isFinite else { return "n/a" }
    let scale = pow(10, Double(decimals))
    let units = (value * scale).rounded()
    return String(format: "%.\(decimals)f", units == 0 ? 0.0 : units / scale)
  }
}
