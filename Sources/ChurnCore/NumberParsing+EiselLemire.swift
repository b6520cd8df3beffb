extension NumberParsing {
  /// A positive binary64 value as its biased exponent field and its 52 stored significand bits.
  struct BinaryFloat: Equatable {
    /// The stored significand (no implicit bit), below 2^52.
    var mantissa: UInt64
    /// The biased exponent field: 0 for zero and subnormals, 0x7FF for infinity.
    var power2: Int

    static let infinity = BinaryFloat(mantissa: 0, power2: 0x7FF)
    static let zero = BinaryFloat(mantissa: 0, power2: 0)

    var double: Double { Double(bitPattern: UInt64(truncatingIfNeeded: power2) << 52 | mantissa) }
  }

  /// `w · 10^q` rounded to the nearest double, ties to even (Eisel–Lemire; Lemire 2021 section 5).
  ///
  /// The normalised `w` times the 128-bit truncation of 5^q gives the top bits of `w · 5^q`; the
  /// power of two `2^q` and the normalisation go into the exponent. A second 64-bit product is
  /// taken only when the low bits of the first are all ones, where the truncation could carry.
  /// With the table's roundings this is exact for every 64-bit `w` and q in -342...308
  /// (Mushtak & Lemire 2023); q outside that range is zero or infinity for any nonzero `w`.
  static func eiselLemire(_ w: UInt64, _ q: Int) -> BinaryFloat {
    guard w != 0, q >= smallestPowerOfFive else { return .zero }
    guard q <= 308 else { return .infinity }
    let leadingZeros = w.leadingZeroBitCount
    let normalised = w << leadingZeros
    let index = 2 * (q - smallestPowerOfFive)
    var (high, low) = normalised.multipliedFullWidth(by: powersOfFive[index])
    // 55 bits are needed (52 stored, the implicit one, a rounding bit and the bit that says
    // which of two shifts applies); below them, all ones means the truncated low half matters.
    let precisionMask: UInt64 = .max >> 55
    if high & precisionMask == precisionMask {
      let second = normalised.multipliedFullWidth(by: powersOfFive[index + 1]).high
      low &+= second
      if second > low { high &+= 1 }
    }
    let upperBit = Int(high >> 63)
    let shift = upperBit + 64 - 52 - 3
    var mantissa = high >> UInt64(shift)
    // floor(log2(5^q)) + q + 63 by a fixed-point multiply, exact for |q| < 350.
    var power2 = ((152_170 + 65_536) * q) >> 16 + 63 + upperBit - leadingZeros + 1023
    if power2 <= 0 {
      // Subnormal: shift down to the fixed exponent, then round (no exact ties down here:
      // a tie needs 5^-q to divide w, impossible for q this negative).
      guard -power2 + 1 < 64 else { return .zero }
      mantissa >>= UInt64(-power2 + 1)
      mantissa += mantissa & 1
      mantissa >>= 1
      // Rounding up to 2^52 reaches the smallest normal number.
      return BinaryFloat(mantissa: mantissa & ((1 << 52) - 1), power2: mantissa < 1 << 52 ? 0 : 1)
    }
    // An exact product (low bits zero) halfway between two doubles rounds to even; only small
    // q can give exact products, where 5^q fits in 64 bits.
    if low <= 1, q >= -4, q <= 23, mantissa & 3 == 1, mantissa << UInt64(shift) == high {
      mantissa &= ~1
    }
    mantissa += mantissa & 1
    mantissa >>= 1
    if mantissa >= 2 << 52 {
      mantissa = 1 << 52
      power2 += 1
    }
    mantissa &= ~(1 << 52)
    guard power2 < 0x7FF else { return .infinity }
    return BinaryFloat(mantissa: mantissa, power2: power2)
  }
}
