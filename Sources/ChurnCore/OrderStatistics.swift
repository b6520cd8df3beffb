/// Order statistics by selection: the values a sort would put at a few ranks, without sorting.
public enum OrderStatistics {
  /// The values at `ranks` of `values` in ascending order, one per rank: `values.sorted()[rank]`
  /// for every rank, found by quickselect (Hoare's partition, median-of-three pivots) in
  /// O(n · log ranks) expected time. `values` is reordered. Values must hold
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
        // Hoare's partition around the median of three: [lo, j] ≤ pivot ≤ [j + 1, hi), both
        // sides non-empty (the pivot is one of the values, so each scan stops inside), and runs
        // of equal values split evenly.
        let mid = lo + (hi - lo) / 2
        let (a, b, c) = (v[lo], v[mid], v[hi - 1])
        let pivot = max(min(a, b), min(max(a, b), c))
        var i = lo - 1, j = hi
        while true {
          repeat { i += 1 } while v[i] < pivot
          repeat { j -= 1 } while v[j] > pivot
          if i >= j { break }
          v.swapAt(i, j)
        }
        let left = inside.prefix { $0 <= j }
        let right = inside.dropFirst(left.count)
        if !left.isEmpty { pending.append((lo, j + 1, left)) }
        if !right.isEmpty { pending.append((j + 1, hi, right)) }
      }
    }
    return ranks.map { found[$0]! }
  }

  /// Whether `values` holds a −0 (which compares equal to +0 but has other bits).
  public static func hasNegativeZero(_ values: [Double]) -> Bool {
    values.contains { $0 == 0 && $0.sign == .minus }
  }
}
