/// Locale-free parsing of numbers from bytes.
public enum NumberParsing {
  /// Parses a decimal number (`12`, `-3.5`, `1e-3`, `.5`), allowing surrounding spaces.
  /// Returns `nil` for anything else, including an empty field, `nan` and `inf`.
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
