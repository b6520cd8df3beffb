#if canImport(Glibc)
import Glibc
#endif

/// Assigns dense integer ids (0, 1, 2, …) to byte strings, without creating a `String` per
/// lookup: the hot path of reading an event log, where every row names a customer and an
/// event type that were usually seen before.
///
/// Open addressing with linear probing over a power-of-two table; keys live in one byte
/// arena. New keys are checked to be valid UTF-8 once, when first seen.
public struct ByteInterner: Sendable {
  private var arena: [UInt8] = []
  private var offsets: [Int] = [0]  // key i is arena[offsets[i]..<offsets[i + 1]]
  private var hashes: [UInt64] = []
  private var table: [Int32]  // slot → key index + 1 (0 = empty)
  private var mask: Int
  /// The key found last: logs are often grouped by customer, so most rows repeat it.
  private var lastKey = -1

  public init(capacity: Int = 1024) {
    var size = 16
    while size < capacity * 2 { size <<= 1 }
    table = Array(repeating: 0, count: size)
    mask = size - 1
  }

  /// Number of distinct keys.
  public var count: Int { offsets.count - 1 }

  /// Key `index` as a string.
  public func string(_ index: Int) -> String {
    String(decoding: arena[offsets[index]..<offsets[index + 1]], as: UTF8.self)
  }

  /// Calls `body` with the bytes of key `index`.
  public func withBytes<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    try arena.withUnsafeBufferPointer { a in
      try body(UnsafeBufferPointer(rebasing: a[offsets[index]..<offsets[index + 1]]))
    }
  }

  /// All keys in id order.
  public var strings: [String] { (0..<count).map(string) }

  @inline(__always)
  static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    // FNV-1a over 8-byte words, then a final avalanche (SplitMix64's finalizer).
    var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(bytes.count)
    var i = 0
    let n = bytes.count
    let raw = UnsafeRawPointer(bytes.baseAddress)
    while i + 8 <= n {
      let word = raw!.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      h = (h ^ word) &* 0x0000_0100_0000_01B3
      h ^= h >> 29
      i += 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while i < n {
      tail |= UInt64(bytes[i]) << shift
      shift += 8
      i += 1
    }
    h = (h ^ tail) &* 0x0000_0100_0000_01B3
    h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
    h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
    return h ^ (h >> 31)
  }

  /// The id of `bytes`, inserting it when new.
  ///
  /// - Returns: the id, and whether it was new; `nil` when a new key is not valid UTF-8.
  @inline(__always)
  public mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> (id: Int, isNew: Bool)? {
    if lastKey >= 0 && equals(lastKey, bytes) { return (lastKey, false) }
    let h = Self.hash(bytes)
    var slot = Int(truncatingIfNeeded: h) & mask
    while true {
      let entry = Int(table[slot])
      if entry == 0 { break }
      let key = entry - 1
      if hashes[key] == h && equals(key, bytes) {
        lastKey = key
        return (key, false)
      }
      slot = (slot + 1) & mask
    }
    guard String(validating: bytes, as: UTF8.self) != nil else { return nil }
    let key = count
    arena.append(contentsOf: bytes)
    offsets.append(arena.count)
    hashes.append(h)
    table[slot] = Int32(key + 1)
    if count * 2 > table.count { grow() }
    lastKey = key
    return (key, true)
  }

  /// The id of `text`, or `nil` when absent.
  public func find(_ text: String) -> Int? {
    var copy = text
    return copy.withUTF8 { bytes in
      let h = Self.hash(bytes)
      var slot = Int(truncatingIfNeeded: h) & mask
      while true {
        let entry = Int(table[slot])
        if entry == 0 { return nil }
        if hashes[entry - 1] == h && equals(entry - 1, bytes) { return entry - 1 }
        slot = (slot + 1) & mask
      }
    }
  }

  @inline(__always)
  private func equals(_ key: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    let start = offsets[key]
    let length = offsets[key + 1] - start
    guard length == bytes.count else { return false }
    if length == 0 { return true }
    return arena.withUnsafeBufferPointer { a in memcmp(a.baseAddress! + start, bytes.baseAddress!, length) == 0 }
  }

  private mutating func grow() {
    let size = table.count * 2
    table = Array(repeating: 0, count: size)
    mask = size - 1
    for key in 0..<count {
      var slot = Int(truncatingIfNeeded: hashes[key]) & mask
      while table[slot] != 0 { slot = (slot + 1) & mask }
      table[slot] = Int32(key + 1)
    }
  }
}
