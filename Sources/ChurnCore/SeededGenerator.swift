/// A fast, seedable random number generator (xoshiro256**, Blackman & Vigna 2018), seeded
/// through SplitMix64.
///
/// Every random choice in churn flows from one of these, created from the user's seed and a
/// `stream` number (a customer index, a tree index, a fold), so results never depend on the
/// order in which threads run: the stream for item *k* is the same whatever the thread count.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var s0: UInt64
  private var s1: UInt64
  private var s2: UInt64
  private var s3: UInt64

  /// A generator for `stream` under `seed`; distinct streams are statistically independent.
  public init(seed: UInt64, stream: UInt64 = 0) {
    var mixer = SplitMix64(state: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
    // Mixing the stream a second time separates (seed, stream) pairs whose xor collides.
    _ = mixer.next()
    var m2 = SplitMix64(state: mixer.next() &+ stream)
    s0 = m2.next()
    s1 = m2.next()
    s2 = m2.next()
    s3 = m2.next()
    if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
  }

  @inline(__always)
  private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  @inline(__always)
  public mutating func next() -> UInt64 {
    let result = Self.rotl(s1 &* 5, 7) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = Self.rotl(s3, 45)
    return result
  }
}

/// SplitMix64 (Steele, Lea & Flood 2014): used only to expand a seed into generator state.
struct SplitMix64 {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
