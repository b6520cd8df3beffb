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
    var chunk: UInt64 = 0
    var chunkDigits = 0
    while k < count, used < maximumComparedDigits {
      chunk = chunk * 10 + UInt64(digits.digit(bytes, k))
      chunkDigits += 1
      if chunkDigits == 19 {
        decimal.multiplyAdd(10_000_000_000_000_000_000, chunk)
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
    if chunkDigits > 0 { decimal.multiplyAdd(powersOfTenUInt64[chunkDigits], chunk) }

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

  /// 10⁰ ... 10¹⁹.
  static let powersOfTenUInt64: [UInt64] = (0...19).map { k in (0..<k).reduce(1) { r, _ in r * 10 } }

  /// A nonnegative integer of any size: little-endian 64-bit limbs, no leading zero limbs.
  /// Just what the exact comparison needs (at most about 3,700 bits here).
  struct BigUInt {
    var limbs: [UInt64] = []

    init() { limbs.reserveCapacity(64) }

    init(_ value: UInt64) {
      self.init()
      if value != 0 { limbs.append(value) }
    }

    /// self = self · factor + addend.
    mutating func multiplyAdd(_ factor: UInt64, _ addend: UInt64) {
      var carry = addend
      for i in limbs.indices {
        let (high, low) = limbs[i].multipliedFullWidth(by: factor)
        let (sum, overflow) = low.addingReportingOverflow(carry)
        limbs[i] = sum
        carry = overflow ? high + 1 : high
      }
      if carry != 0 { limbs.append(carry) }
    }

    /// self = self · 5^n, 5^27 (the largest power of five below 2^64) at a time.
    mutating func multiplyByPowerOfFive(_ n: Int) {
      var n = n
      while n >= 27 {
        multiplyAdd(7_450_580_596_923_828_125, 0)
        n -= 27
      }
      var factor: UInt64 = 1
      for _ in 0..<n { factor *= 5 }
      if factor != 1 { multiplyAdd(factor, 0) }
    }

    /// self = self · 2^n.
    mutating func shiftLeft(_ n: Int) {
      guard !limbs.isEmpty, n > 0 else { return }
      let words = n / 64
      let bits = n % 64
      if bits != 0 {
        var carry: UInt64 = 0
        for i in limbs.indices {
          let limb = limbs[i]
          limbs[i] = limb << UInt64(bits) | carry
          carry = limb >> UInt64(64 - bits)
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
