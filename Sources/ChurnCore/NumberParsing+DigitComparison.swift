extension NumberParsing {
  /// Significant digits beyond this many only matter through whether any of them is nonzero: a
  /// point halfway between two doubles has at most 767 significant decimal digits.
  static let maximumComparedDigits = 800

  /// The correctly rounded value of the text when it lies between `below` and the next double
  /// up: the exact decimal value against the halfway point between the two.
  ///
  /// With `below = m · 2^e` (m the full significand), the halfway point is `(2m + 1) · 2^(e − 1)`;
  /// the text's value is `D · 10^E` with `D` its significant digits as an integer. Both sides are
  /// scaled to integers (`D · 5^E · 2^E` against `(2m + 1) · 5^−E · 2^(e − 1 − E)`, powers moved to
  /// the side where they are nonnegative) and compared exactly; a tie goes to the even significand.
  static func closerOfTwo(below: BinaryFloat, _ bytes: UnsafeBufferPointer<UInt8>, _ digits: Digits)
    -> BinaryFloat
  {
    let above = below.power2 >= 0x7FE && below.mantissa == (1 << 52) - 1
      ? BinaryFloat.infinity
      : below.mantissa == (1 << 52) - 1
        ? BinaryFloat(mantissa: 0, power2: below.power2 + 1)
        : BinaryFloat(mantissa: below.mantissa + 1, power2: below.power2)
    let m = below.power2 == 0 ? below.mantissa : below.mantissa | 1 << 52
    let e = below.power2 == 0 ? -1074 : below.power2 - 1075

    // D: the significant digits, up to maximumComparedDigits, then a sticky 1 if any later
    // digit is nonzero (it changes no comparison with a point of at most 767 digits, and makes
    // an exact tie with the cut digits impossible when the full text is above the point).
    let count = digits.count
    var k = 0
    while k < count, digits.digit(bytes, k) == 0 { k += 1 }
    var decimal = BigUInt()
    var used = 0
    var chunk: UInt32 = 0
    var chunkDigits = 0
    while k < count, used < maximumComparedDigits {
      chunk = chunk * 10 + UInt32(digits.digit(bytes, k))
      chunkDigits += 1
      if chunkDigits == 9 {
        decimal.multiplyAdd(1_000_000_000, chunk)
        chunk = 0
        chunkDigits = 0
      }
      used += 1
      k += 1
    }
    var decimalExponent = digits.exponent + (count - k)
    var j = k
    while j < count, digits.digit(bytes, j) == 0 { j += 1 }
    if j < count {
      chunk = chunk * 10 + 1
      chunkDigits += 1
      decimalExponent -= 1
    }
    if chunkDigits > 0 { decimal.multiplyAdd(powersOfTenUInt32[chunkDigits], chunk) }

    var halfway = BigUInt(2 * m + 1)
    var twos = e - 1
    if decimalExponent >= 0 {
      decimal.multiplyByPowerOfFive(decimalExponent)
      twos -= decimalExponent
    } else {
      halfway.multiplyByPowerOfFive(-decimalExponent)
      twos -= decimalExponent
    }
    if twos >= 0 { halfway.shiftLeft(twos) } else { decimal.shiftLeft(-twos) }

    switch decimal.compare(halfway) {
    case 1: return above
    case -1: return below
    default: return m & 1 == 0 ? below : above
    }
  }

  static let powersOfTenUInt32: [UInt32] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000]

  /// A nonnegative integer of any size: little-endian 32-bit limbs, no leading zero limbs.
  /// Just what the exact comparison needs.
  struct BigUInt {
    var limbs: [UInt32] = []

    init() {}

    init(_ value: UInt64) {
      if value != 0 { limbs.append(UInt32(truncatingIfNeeded: value)) }
      if value >> 32 != 0 { limbs.append(UInt32(value >> 32)) }
    }

    /// self = self · factor + addend.
    mutating func multiplyAdd(_ factor: UInt32, _ addend: UInt32) {
      var carry = UInt64(addend)
      for i in limbs.indices {
        let product = UInt64(limbs[i]) * UInt64(factor) + carry
        limbs[i] = UInt32(truncatingIfNeeded: product)
        carry = product >> 32
      }
      if carry != 0 { limbs.append(UInt32(carry)) }
    }

    /// self = self · 5^n, 5^13 (the largest power of five below 2^32) at a time.
    mutating func multiplyByPowerOfFive(_ n: Int) {
      var n = n
      while n >= 13 {
        multiplyAdd(1_220_703_125, 0)
        n -= 13
      }
      var factor: UInt32 = 1
      for _ in 0..<n { factor *= 5 }
      if factor != 1 { multiplyAdd(factor, 0) }
    }

    /// self = self · 2^n.
    mutating func shiftLeft(_ n: Int) {
      guard !limbs.isEmpty, n > 0 else { return }
      let words = n / 32
      let bits = n % 32
      if bits != 0 {
        var carry: UInt32 = 0
        for i in limbs.indices {
          let limb = limbs[i]
          limbs[i] = limb << UInt32(bits) | carry
          carry = limb >> UInt32(32 - bits)
        }
        if carry != 0 { limbs.append(carry) }
      }
      if words > 0 { limbs.insert(contentsOf: repeatElement(0, count: words), at: 0) }
    }

    /// -1, 0 or 1 as self is below, equal to or above `other`.
    func compare(_ other: BigUInt) -> Int {
      if limbs.count != other.limbs.count { return limbs.count < other.limbs.count ? -1 : 1 }
      for i in limbs.indices.reversed() where limbs[i] != other.limbs[i] {
        return limbs[i] < other.limbs[i] ? -1 : 1
      }
      return 0
    }
  }
}
