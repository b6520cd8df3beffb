/// Order statistics by selection: the values a sort would put at a few ranks, without sorting.
public enum OrderStatistics {
  /// The values at `ranks` of `values` in ascending order, one per rank: `values.sorted()[rank]`
  /// for every rank, found by a radix selection (`ranked`) in O(n) time. `values` may be
  /// reordered. Values must hold no NaN; a −0 equal to a +0 may come back as either (callers
  /// that keep the bits check `hasNegativeZero` first and sort).
  ///
  /// - Precondition: every rank is in `0..<values.count`.
  public static func select(_ values: inout [Double], ranks: [Int]) -> [Double] {
    precondition(ranks.allSatisfy { values.indices.contains($0) }, "ranks outside 0..<\(values.count)")
    precondition(!values.contains { $0.isNaN }, "select takes no NaN")
    return values.withUnsafeBufferPointer { ranked($0) { _ in ranks } }.ranks.map(\.value)
  }

  /// One order statistic of the non-missing values: the value at a rank, and how many
  /// non-missing values are at or below it (so the values ≤ it are counted without a pass).
  public struct Rank: Sendable, Equatable {
    /// `present.sorted()[rank]` (for a ±0, either zero).
    public var value: Double
    /// `present.filter { $0 <= value }.count`: one past the last rank holding a value equal to
    /// `value`.
    public var atOrBelow: Int
  }

  /// What `ranked` finds in a column.
  public struct Ranking: Sendable, Equatable {
    /// The number of non-missing (non-NaN) values.
    public var present: Int
    /// Whether a value is −0 (equal to +0 with other bits: a caller keeping the bits sorts).
    public var hasNegativeZero: Bool
    /// One per rank asked for, in the order asked.
    public var ranks: [Rank]
  }

  /// The non-missing values of `values` (NaN skipped) at the ranks `ranks(present)` returns for
  /// the number of non-missing values, each with the count of values at or below it.
  ///
  /// A radix selection: each double maps to a 64-bit key with the same order (−0 and +0 to one
  /// key); one pass finds the keys' range, one counts the keys per bucket (the top 16 bits of
  /// the key's offset in that range), and one copies only the keys of the few buckets that hold
  /// a wanted rank, which are refined the same way until a bucket is small (sorted) or of equal
  /// keys. O(n) time, no branch that depends on a value's order in the counting pass, and
  /// `values` untouched.
  ///
  /// - Precondition: every rank is in `0..<present`.
  public static func ranked(_ values: UnsafeBufferPointer<Double>, ranks: (Int) -> [Int]) -> Ranking {
    let n = values.count
    // Pass 1, two values at a time in vector registers: the smallest and largest (a NaN
    // compares false, so it replaces neither), the NaNs, any −0.
    var low = SIMD2<Double>(repeating: .infinity), high = SIMD2<Double>(repeating: -.infinity)
    var nans = SIMD2<Int64>(), zeros = SIMD2<Int64>()
    let minusZero = SIMD2<UInt64>(repeating: signBit)
    var i = 0
    while i + 2 <= n {
      let x = SIMD2(values[i], values[i + 1])
      low = low.replacing(with: x, where: x .< low)
      high = high.replacing(with: x, where: x .> high)
      nans = nans.replacing(with: nans &+ 1, where: x .!= x)
      zeros = zeros.replacing(with: 1, where: unsafeBitCast(x, to: SIMD2<UInt64>.self) .== minusZero)
      i += 2
    }
    if i < n {
      let v = values[i]
      if v < low[0] { low[0] = v }
      if v > high[0] { high[0] = v }
      if v.isNaN { nans[0] += 1 }
      if v.bitPattern == signBit { zeros[0] = 1 }
    }
    let missing = Int(nans[0] + nans[1])
    let negativeZeros = zeros[0] | zeros[1]
    // The keys' range (meaningless when every value is missing: then no rank is asked).
    let lo = key(min(low[0], low[1])), hi = key(max(high[0], high[1]))
    let present = n - missing
    let wanted = ranks(present)
    precondition(wanted.allSatisfy { (0..<present).contains($0) }, "ranks outside 0..<\(present)")
    var found = [Rank](repeating: Rank(value: 0, atOrBelow: 0), count: wanted.count)
    if !wanted.isEmpty {
      if lo == hi {
        for i in found.indices { found[i] = Rank(value: value(lo), atOrBelow: present) }
      } else if n >= Int(UInt32.max) {
        // Counts past 32 bits: sorted instead.
        let sorted = values.filter { !$0.isNaN }.map(key).sorted()
        for (i, r) in wanted.enumerated() { found[i] = rank(sorted[...], r, offset: 0) }
      } else {
        let order = wanted.indices.sorted { wanted[$0] < wanted[$1] }
        let targets = order.map { (rank: wanted[$0], slot: $0) }
        // Pass 2: keys per bucket (the last bucket: missing values).
        let shift = max(0, (hi - lo).bitWidth - (hi - lo).leadingZeroBitCount - digitBits)
        let buckets = Int((hi - lo) >> UInt64(shift)) + 1
        var counts = [UInt32](repeating: 0, count: buckets + 1)
        counts.withUnsafeMutableBufferPointer { c in
          for v in values {
            let d = Int((key(v) &- lo) >> UInt64(shift))
            c[v.isNaN ? buckets : d] &+= 1
          }
        }
        refine(counts: counts, buckets: buckets, targets: targets, offset: 0, into: &found) { gather in
          for v in values where !v.isNaN { gather(key(v), Int((key(v) &- lo) >> UInt64(shift))) }
        }
      }
    }
    return Ranking(present: present, hasNegativeZero: negativeZeros != 0, ranks: found)
  }

  /// Bits of the key offset counted per pass: 2¹⁶ buckets of 32-bit counts (256 KB) stay in L2.
  static let digitBits = 16

  static let signBit: UInt64 = 1 << 63

  /// A key with the order of the doubles (not NaN): the sign bit flipped for positive values,
  /// every bit for negative ones. −0 becomes +0 first (`v + 0` rounds it so), so equal doubles
  /// have equal keys.
  @inline(__always) static func key(_ v: Double) -> UInt64 {
    let b = (v + 0).bitPattern
    let mask = UInt64(bitPattern: Int64(bitPattern: b) >> 63)
    return b ^ (mask | signBit)
  }

  /// The double of a key.
  @inline(__always) static func value(_ k: UInt64) -> Double {
    Double(bitPattern: k & signBit != 0 ? k ^ signBit : ~k)
  }

  /// The rank `r` of ascending keys and the count at or below it, `offset` added.
  static func rank(_ sorted: ArraySlice<UInt64>, _ r: Int, offset: Int) -> Rank {
    let k = sorted[sorted.startIndex + r]
    var end = sorted.startIndex + r + 1
    while end < sorted.endIndex && sorted[end] == k { end += 1 }
    return Rank(value: value(k), atOrBelow: offset + end - sorted.startIndex)
  }

  /// From a bucket count (`counts`, `buckets` of them before the missing one), the buckets that
  /// hold the target ranks: their keys copied out (`gather` walks the keys in bucket order of
  /// the range, calling back each key and its bucket) and refined in turn.
  static func refine(counts: [UInt32], buckets: Int, targets: [(rank: Int, slot: Int)], offset: Int, into found: inout [Rank],
                     gather: ((UInt64, Int) -> Void) -> Void) {
    // The bucket of each target, by the running count.
    var below = 0, b = 0
    var groups: [(bucket: Int, start: Int, count: Int, targets: [(rank: Int, slot: Int)])] = []
    for t in targets {
      while below + Int(counts[b]) <= t.rank {
        below += Int(counts[b])
        b += 1
      }
      let local = (rank: t.rank - below, slot: t.slot)
      if groups.last?.bucket == b {
        groups[groups.count - 1].targets.append(local)
      } else {
        groups.append((b, below, Int(counts[b]), [local]))
      }
    }
    // Each wanted bucket's keys, side by side.
    var slot = [Int32](repeating: -1, count: buckets)
    var next: [Int] = []
    var total = 0
    for (g, group) in groups.enumerated() {
      slot[group.bucket] = Int32(g)
      next.append(total)
      total += group.count
    }
    var keys = [UInt64](repeating: 0, count: total)
    keys.withUnsafeMutableBufferPointer { out in
      slot.withUnsafeBufferPointer { slot in
        next.withUnsafeMutableBufferPointer { next in
          gather { k, d in
            let s = Int(slot[d])
            if s >= 0 {
              out[next[s]] = k
              next[s] += 1
            }
          }
        }
      }
    }
    var start = 0
    for group in groups {
      keys.withUnsafeMutableBufferPointer { all in
        let part = UnsafeMutableBufferPointer(rebasing: all[start..<(start + group.count)])
        select(part, targets: group.targets, offset: offset + group.start, into: &found)
      }
      start += group.count
    }
  }

  /// The target ranks of `keys` (a bucket of a coarser pass), `offset` keys below it.
  static func select(_ keys: UnsafeMutableBufferPointer<UInt64>, targets: [(rank: Int, slot: Int)], offset: Int, into found: inout [Rank]) {
    let n = keys.count
    if n <= 48 {
      // Small: sorted (insertion sort).
      for i in 1..<max(1, n) {
        let x = keys[i]
        var j = i - 1
        while j >= 0 && keys[j] > x {
          keys[j + 1] = keys[j]
          j -= 1
        }
        keys[j + 1] = x
      }
      let sorted = Array(keys)
      for t in targets { found[t.slot] = rank(sorted[...], t.rank, offset: offset) }
      return
    }
    var lo = UInt64.max, hi: UInt64 = 0
    for k in keys {
      lo = min(lo, k)
      hi = max(hi, k)
    }
    if lo == hi {
      for t in targets { found[t.slot] = Rank(value: value(lo), atOrBelow: offset + n) }
      return
    }
    // Fewer bits for fewer keys: about four keys per bucket.
    let bits = max(2, min(digitBits, Int.bitWidth - n.leadingZeroBitCount - 2))
    let width = hi - lo
    let shift = max(0, width.bitWidth - width.leadingZeroBitCount - bits)
    let buckets = Int(width >> UInt64(shift)) + 1
    var counts = [UInt32](repeating: 0, count: buckets + 1)
    counts.withUnsafeMutableBufferPointer { c in
      for k in keys { c[Int((k &- lo) >> UInt64(shift))] &+= 1 }
    }
    let source = UnsafeBufferPointer(keys)
    refine(counts: counts, buckets: buckets, targets: targets, offset: offset, into: &found) { gather in
      for k in source { gather(k, Int((k &- lo) >> UInt64(shift))) }
    }
  }

  /// Whether `values` holds a −0 (which compares equal to +0 but has other bits).
  public static func hasNegativeZero(_ values: [Double]) -> Bool {
    values.contains { $0 == 0 && $0.sign == .minus }
  }
}
