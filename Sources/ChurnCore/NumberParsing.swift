/// Locale-free parsing of numbers from bytes.
public enum NumberParsing {
  /// The largest magnitude accepted for an input value: |v| ≤ 10¹⁵.
  ///
  /// Larger values are typing or unit mistakes in churn data (10¹⁵ cents is ten trillion
  /// dollars), and a sum of a few of them near 10³⁰⁸ would overflow to infinity and reach a
  /// probability as NaN. Event values and numeric table cells beyond it are refused at read
  /// time with the file, line and value; with values this small, sums over any realistic number
  /// of events stay finite.
  public static let magnitudeLimit = 1e15

  /// Whether `value` is finite and within ±`magnitudeLimit`.
  @inline(__always)
  public static func isWithinLimit(_ value: Double) -> Bool { abs(value) <= magnitudeLimit }

  /// Parses a decimal number (`12`, `-3.5`, `1e-3`, `.5`), allowing surrounding spaces.
  /// Returns `nil` for anything else, including an empty field, `nan`, `inf` and hexadecimal.
  /// A number too large for a `Double` (`1e400`) parses to ±infinity, as with `strtod`: callers
  /// check `isWithinLimit(_:)`.
  public static func double(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
    var s = 0
    var e = bytes.count
    while s < e, bytes[s] == 0x20 || bytes[s] == 0x09 { s += 1 }
    while e > s, bytes[e - 1] == 0x20 || bytes[e - 1] == 0x09 || bytes[e - 1] == 0x0D { e -= 1 }
    guard e > s, e - s < 64 else { return nil }
    // Only digits, one sign, one point and an exponent: Double(String) also takes "nan", "inf", hex.
    var sawDigit = false
    for i in s..<e {
      let c = bytes[i]
      if c >= 0x30 && c <= 0x39 { sawDigit = true; continue }
      if c == 0x2E || c == 0x2D || c == 0x2B || c == 0x65 || c == 0x45 { continue }
      return nil
    }
    guard sawDigit else { return nil }
    // Fast path: [-]digits[.digits] with at most 15 significant digits is exact in Double.
    var i = s
    var negative = false
    if bytes[i] == 0x2D || bytes[i] == 0x2B { negative = bytes[i] == 0x2D; i += 1 }
    var mantissa: Int64 = 0
    var digits = 0
    var fractionDigits = 0
    var seenPoint = false
    var simple = true
    while i < e {
      let c = bytes[i]
      if c >= 0x30 && c <= 0x39 {
        mantissa = mantissa &* 10 &+ Int64(c &- 0x30)
        digits += 1
        if seenPoint { fractionDigits += 1 }
      } else if c == 0x2E && !seenPoint {
        seenPoint = true
      } else {
        simple = false
        break
      }
      i += 1
    }
    if simple && digits > 0 && digits <= 15 {
      let value = Double(mantissa) / powersOfTen[fractionDigits]
      return negative ? -value : value
    }
    return Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[s..<e]), as: UTF8.self))
  }

  public static func double(_ text: String) -> Double? {
    var copy = text
    return copy.withUTF8 { double($0) }
  }

  private static let powersOfTen: [Double] = (0...15).map { k in (0..<k).reduce(1.0) { r, _ in r * 10 } }
}
