import ChurnCore

#if canImport(Glibc)
import Glibc
#endif

/// Seeded decimal texts that stress a decimal-to-double parser, with glibc's `strtod` as the
/// oracle: used by NumberParsingTests and by `churn-bench numbers` (scripts/check-number-parsing).
public struct NumberTexts {
  /// The families of texts; `next()` draws them in turn.
  public enum Kind: Int, CaseIterable, Sendable {
    /// Random finite bit patterns printed with `%.17g` (round-trip digits, as numpy and pandas write).
    case bits17
    /// Random finite bit patterns printed with `%.16g` (often not the nearest double's digits).
    case bits16
    /// Random finite bit patterns printed shortest (Swift's `description`).
    case shortest
    /// Random digit strings: 1–45 digits, a random point, often leading zeros, a random exponent.
    case digitStrings
    /// Points halfway between two adjacent doubles printed to 17–780 significant digits
    /// (exact from about 770), sometimes with a nonzero digit appended far out.
    case nearHalfway
    /// Integers around 2^53 and 2^64, in plain and exponent forms.
    case integers
    /// Normal-looking values with 6 decimals (`-0.384937`), the common CSV case.
    case sixDecimals
    /// Extreme magnitudes: subnormals, the smallest normals, the largest finite doubles.
    case extremes
    /// Normal(0, 1) values printed with `%.17g` (`-0.38493712345678912`), as pandas writes floats.
    case seventeenDigits
  }

  var generator: SeededGenerator
  var kindIndex = 0
  var format = [CChar](repeating: 0, count: 1200)

  public init(seed: UInt64) { generator = SeededGenerator(seed: seed, stream: 16) }

  /// The next text, cycling through all kinds.
  public mutating func next() -> [UInt8] {
    let kind = Kind.allCases[kindIndex]
    kindIndex = (kindIndex + 1) % Kind.allCases.count
    return next(kind)
  }

  /// The next text of one kind.
  public mutating func next(_ kind: Kind) -> [UInt8] {
    switch kind {
    case .bits17: return printf("%.17g", [finiteBits()])
    case .bits16: return printf("%.16g", [finiteBits()])
    case .shortest: return Array("\(finiteBits())".utf8)
    case .digitStrings: return digitString()
    case .nearHalfway: return nearHalfway()
    case .integers: return integer()
    case .sixDecimals: return printf("%.6f", [generator.normal() * pow(10, Double(generator.integer(below: 5)) - 1)])
    case .extremes: return extreme()
    case .seventeenDigits: return printf("%.17g", [generator.normal()])
    }
  }

  mutating func finiteBits() -> Double {
    while true {
      let d = Double(bitPattern: generator.next())
      if d.isFinite { return d }
    }
  }

  mutating func printf(_ pattern: String, _ arguments: [CVarArg]) -> [UInt8] {
    let n = format.withUnsafeMutableBufferPointer { buffer in
      withVaList(arguments) { vsnprintf(buffer.baseAddress!, buffer.count, pattern, $0) }
    }
    return format.withUnsafeBytes { Array($0[0..<Int(n)]) }
  }

  mutating func digitString() -> [UInt8] {
    var text: [UInt8] = []
    switch generator.integer(below: 3) {
    case 0: text.append(UInt8(ascii: "-"))
    case 1: if generator.integer(below: 4) == 0 { text.append(UInt8(ascii: "+")) }
    default: break
    }
    let count = 1 + generator.integer(below: 45)
    let point = generator.integer(below: count + 2) - 1  // -1: none; count: "5."
    let leadingZeros = generator.integer(below: 3) == 0 ? generator.integer(below: 30) : 0
    for k in 0..<count {
      if k == point { text.append(UInt8(ascii: ".")) }
      let digit = k < leadingZeros ? 0 : generator.integer(below: 10)
      text.append(UInt8(ascii: "0") + UInt8(digit))
    }
    if point == count { text.append(UInt8(ascii: ".")) }
    if generator.integer(below: 4) != 0 {
      text.append(generator.integer(below: 2) == 0 ? UInt8(ascii: "e") : UInt8(ascii: "E"))
      let exponent = generator.integer(below: 800) - 400
      if exponent >= 0 && generator.integer(below: 2) == 0 { text.append(UInt8(ascii: "+")) }
      text.append(contentsOf: Array(String(exponent).utf8))
    }
    return text
  }

  mutating func nearHalfway() -> [UInt8] {
    // A double of any magnitude (a third of them subnormal or huge), then the point halfway to
    // the next one up: exact in Float80, whose 64-bit significand holds 53 bits plus one.
    var d: Double
    switch generator.integer(below: 3) {
    case 0: d = finiteBits()
    case 1: d = Double(bitPattern: generator.next() & 0x000F_FFFF_FFFF_FFFF | UInt64(generator.integer(below: 3)) << 52)
    default: d = Double(bitPattern: generator.next() & 0x000F_FFFF_FFFF_FFFF | UInt64(0x7FD + generator.integer(below: 2)) << 52)
    }
    d = abs(d)
    if d == .greatestFiniteMagnitude { d = d.nextDown }
    let halfway = (Float80(d) + Float80(d.nextUp)) / 2
    let precision = generator.integer(below: 4) == 0 ? 760 + generator.integer(below: 20) : 16 + generator.integer(below: 30)
    var text = printf("%.*Le", [Int32(precision), halfway])
    if generator.integer(below: 3) == 0, let e = text.firstIndex(of: UInt8(ascii: "e")) {
      let far = [UInt8](repeating: UInt8(ascii: "0"), count: generator.integer(below: 100)) + [UInt8(ascii: "1")]
      text.insert(contentsOf: far, at: e)
    }
    return text
  }

  mutating func integer() -> [UInt8] {
    let base: UInt64 = generator.integer(below: 2) == 0 ? 1 << 53 : UInt64.max - 4096
    let value = base &+ UInt64(generator.integer(below: 8192)) &- 4096
    switch generator.integer(below: 4) {
    case 0: return Array(String(value).utf8)
    case 1: return Array((String(value) + ".000").utf8)
    case 2:
      let digits = String(value)
      return Array((digits.prefix(1) + "." + digits.dropFirst() + "e" + String(digits.count - 1)).utf8)
    default: return Array(("0." + String(value) + "e" + String(String(value).count)).utf8)
    }
  }

  mutating func extreme() -> [UInt8] {
    let exponents: [UInt64] = [0, 0, 1, 2, 0x7FE, 0x7FD]
    let d = Double(bitPattern: generator.next() & 0x800F_FFFF_FFFF_FFFF | exponents[generator.integer(below: exponents.count)] << 52)
    switch generator.integer(below: 3) {
    case 0: return printf("%.17g", [d])
    case 1: return Array("\(d)".utf8)
    default: return printf("%.*e", [Int32(generator.integer(below: 25)), d])
    }
  }

  /// glibc `strtod` over `text`, or nil unless it reads all of it.
  public static func strtodReference(_ text: [UInt8]) -> Double? {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: text.count + 1) { buffer in
      text.withUnsafeBytes { source in
        UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
      }
      buffer[text.count] = 0
      var end: UnsafeMutablePointer<CChar>?
      let value = strtod(buffer.baseAddress!, &end)
      return end.map { buffer.baseAddress!.distance(to: $0) } == text.count ? value : nil
    }
  }

  /// `count` texts (all kinds in turn) from `seed`: the ones where `NumberParsing.double` and
  /// `strtod` differ, bit for bit, as "text: parser …, strtod …" (at most `keep`), and how many.
  public static func differences(count: Int, seed: UInt64, keep: Int = 20) -> (count: Int, examples: [String]) {
    var texts = NumberTexts(seed: seed)
    var differing = 0
    var examples: [String] = []
    for _ in 0..<count {
      let text = texts.next()
      let ours = text.withUnsafeBufferPointer { NumberParsing.double($0) }
      let reference = strtodReference(text)
      if ours?.bitPattern != reference?.bitPattern {
        differing += 1
        if examples.count < keep {
          examples.append("\(String(decoding: text, as: UTF8.self)): parser \(ours.map { "\($0)" } ?? "nil"), strtod \(reference.map { "\($0)" } ?? "nil")")
        }
      }
    }
    return (differing, examples)
  }
}
