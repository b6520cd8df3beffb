/// Order statistics by selection: the values a sort would put at a few ranks, without sorting.
public enum OrderStatistics {
  /// The values at `ranks` of `values` in ascending order, one per rank: `values.sorted()[rank]`
  /// for every rank, found by quickselect with three-way partitions (so runs of equal values
  /// cost nothing) in O(n · log ranks) expected time. `values` is reordered. Values must hold
  /// no NaN; a −0 equal to a +0 may come back as either (callers that keep the bits check
  /// `hasNegativeZero` first and sort).
  ///
  /// - Precondition: every rank is in `0..<values.count`.
  public static func select(_ values: inout [Double], ranks: [Int]) -> [Double] {
    precondition(ranks.allSatisfy { values.indices.contains($0) }, "ranks outside 0..<\(values.count)")
    let wanted = Array(Set(ranks)).sorted()
    var found: [Int: Double] = [:]
    values.withUnsafeMutableBufferPointer { v in
      // Ranges still to split, each with the wanted ranks inside it.
      var pending: [(lo: Int, hi: Int, ranks: ArraySlice<Int>)] = [(0, v.count, wanted[...])]
      var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
      while let (lo, hi, inside) = pending.popLast() {
        if hi - lo <= 16 {
          // Small ranges: sorted in place (insertion sort).
          for i in (lo + 1)..<max(lo + 1, hi) {
            let x = v[i]
            var j = i - 1
            while j >= lo && v[j] > x {
              v[j + 1] = v[j]
              j -= 1
            }
            v[j + 1] = x
          }
          for r in inside { found[r] = v[r] }
          continue
        }
        // A pseudo-random pivot (fixed sequence: the answer does not depend on it, only the time).
        rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let pivot = v[lo + Int((rng >> 33) % UInt64(hi - lo))]
        // Three-way partition: [lo, lt) < pivot, [lt, gt) == pivot, [gt, hi) > pivot.
        var lt = lo, i = lo, gt = hi
        while i < gt {
          let x = v[i]
          if x < pivot {
            v.swapAt(lt, i)
            lt += 1
            i += 1
          } else if x > pivot {
            gt -= 1
            v.swapAt(i, gt)
          } else {
            i += 1
          }
        }
        let below = inside.prefix { $0 < lt }
        let equal = inside.dropFirst(below.count).prefix { $0 < gt }
        let above = inside.dropFirst(below.count + equal.count)
        for r in equal { found[r] = pivot }
        if !below.isEmpty { pending.append((lo, lt, below)) }
        if !above.isEmpty { pending.append((gt, hi, above)) }
      }
    }
    return ranks.map { found[$0]! }
  }

  /// Whether `values` holds a −0 (which compares equal to +0 but has other bits).
  public static func hasNegativeZero(_ values: [Double]) -> Bool {
    values.contains { $0 == 0 && $0.sign == .minus }
  }
}
