/// One of `count` shards of the customers, numbered from 0: the customers whose id hashes into it.
///
/// The hash is 64-bit FNV-1a (Fowler, Noll, Vo) over the id's UTF-8 bytes exactly as the
/// ranked list writes it (leading zeros, case and inner spaces kept), taken modulo `count`:
///
/// ```
/// h = 14695981039346656037                      (the FNV-1a 64 offset basis)
/// for each byte b of the id:  h = (h XOR b) × 1099511628211  mod 2⁶⁴
/// shard(id) = h mod count                       (h unsigned; 0 ≤ shard < count)
/// ```
///
/// It depends on nothing but the bytes: not on the process (Swift's `Hasher` is seeded per
/// process, so it is not used), the machine or the Swift version, and a warehouse can compute
/// the same shard in SQL. "C000001" hashes to 1892450728066757717 (shard 1 of 4).
public struct CustomerShard: Sendable, Equatable, CustomStringConvertible {
  /// This shard, `0 ..< count`.
  public let index: Int
  /// The number of shards.
  public let count: Int

  /// Shard `index` of `count`.
  ///
  /// - Throws: `CustomerShardError.outOfRange` unless 0 ≤ index < count.
  public init(index: Int, count: Int) throws(CustomerShardError) {
    guard count >= 1, index >= 0, index < count else { throw .outOfRange(text: "\(index)/\(count)") }
    self.index = index
    self.count = count
  }

  /// The shard written as `i/n`, such as `0/4`.
  ///
  /// - Throws: `CustomerShardError.malformed` for text that is not two whole numbers around a
  ///   slash; `.outOfRange` unless 0 ≤ i < n.
  public init(parsing text: String) throws(CustomerShardError) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { throw .malformed(text: text) }
    guard n >= 1, i >= 0, i < n else { throw .outOfRange(text: text) }
    try self.init(index: i, count: n)
  }

  /// `i/n`.
  public var description: String { "\(index)/\(count)" }

  /// 64-bit FNV-1a of the UTF-8 bytes of `id`.
  public static func hash(_ id: String) -> UInt64 {
    var h: UInt64 = 14_695_981_039_346_656_037
    for byte in id.utf8 {
      h ^= UInt64(byte)
      h &*= 1_099_511_628_211
    }
    return h
  }

  /// The shard of `id` among `count`: `hash(id) mod count`.
  public static func shard(of id: String, count: Int) -> Int {
    precondition(count >= 1, "shard count \(count) must be at least 1")
    return Int(hash(id) % UInt64(count))
  }

  /// Whether `id` hashes into this shard.
  public func contains(_ id: String) -> Bool { Self.shard(of: id, count: count) == index }
}

/// A shard that is not `i/n` with 0 ≤ i < n.
public enum CustomerShardError: Error, Equatable, CustomStringConvertible {
  case malformed(text: String)
  case outOfRange(text: String)

  public var description: String {
    switch self {
    case .malformed(let text):
      return "--shard \(text): expected i/n, two whole numbers such as 0/4 (shard 0 of 4); fix: give the shard as i/n"
    case .outOfRange(let text):
      return "--shard \(text): expected i/n with 0 ≤ i < n (shards are numbered from 0: 0/4, 1/4, 2/4, 3/4); fix: give a shard from 0 to n − 1"
    }
  }
}
