/// Fast, locale-free formatting of numbers into byte buffers, for CSV writers.
///
/// Output is identical on every machine: no locale, no platform `printf`.
public enum DecimalFormatting {
  /// Appends `value` rounded half away from zero to `fractionDigits` decimals (at most 9),
  /// with trailing zeros kept: `appendFixed(3.14159, 2)` gives `3.14`. Non-finite values are
  /// written as `nan`, `inf` or `-inf`.
  @inline(__always)
  public static func appendFixed(_ value: Double, fractionDigits: Int, to out: inout [UInt8]) {
    precondition(fractionDigits >= 0 && fractionDigits <= 9, "fractionDigits must be in 0...9, got \(fractionDigits)")
    guard value.isFinite else {
      out.append(contentsOf: value.isNaN ? Array("nan".utf8) : (value < 0 ? Array("-inf".utf8) : Array("inf".utf8)))
      return
    }
    var scale = 1.0
    for _ in 0..<fractionDigits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
    guard scaled < 9.0e18 else {
      out.append(contentsOf: Array(String(value).utf8))
      return
    }
    let units = UInt64(scaled)
    if value < 0 && units != 0 { out.append(UInt8(ascii: "-")) }
    let integerScale = UInt64(scale)
    appendUnsigned(units / integerScale, to: &out)
    if fractionDigits > 0 {
      out.append(UInt8(ascii: "."))
      var fraction = units % integerScale
      var divisor = integerScale / 10
      while divisor > 0 {
        out.append(UInt8(truncatingIfNeeded: 0x30 + fraction / divisor))
        fraction %= divisor
        divisor /= 10
      }
    }
  }

  /// Appends a decimal integer.
  @inline(__always)
  public static func appendInteger(_ value: Int, to out: inout [UInt8]) {
    if value < 0 {
      out.append(UInt8(ascii: "-"))
      appendUnsigned(UInt64(-(value + 1)) + 1, to: &out)
    } else {
      appendUnsigned(UInt64(value), to: &out)
    }
  }

  @inline(__always)
  static func appendUnsigned(_ value: UInt64, to out: inout [UInt8]) {
    if value < 10 {
      out.append(UInt8(truncatingIfNeeded: 0x30 + value))
      return
    }
    var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
              UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
      (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    var rest = value
    withUnsafeMutableBytes(of: &tmp) { digits in
      while rest > 0 {
        digits[count] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
        rest /= 10
        count += 1
      }
      for i in stride(from: count - 1, through: 0, by: -1) { out.append(digits[i]) }
    }
  }
}
