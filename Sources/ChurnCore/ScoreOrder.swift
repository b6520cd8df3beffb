/// Scores in ascending order with the row each came from, sorted once and shared by what
/// needs their order after a fit: the training AUC (`rocAUC(_:labels:)`), the risk bands' cut
/// points (`RiskBands.learn(_:)`) and the score's drift deciles (each sorted its own copy
/// before).
///
/// The sort is an LSD radix sort (8 passes of 8 bits, a pass skipped when every key shares
/// that byte) on order-preserving keys of the scores' bits:
///
/// ```
/// key(x) = bits(x) ⊕ 0x8000000000000000   for x ≥ 0 (−0 keyed as +0)
///          ¬bits(x)                        for x < 0
///          2⁶⁴ − 1                         for NaN
/// ```
/// so keys compare as the numbers do, −0 and +0 tie, and NaN sorts above +∞. It is stable:
/// tied scores stay in row order.
public struct ScoreOrder: Sendable {
  /// The scores as given, in row order.
  public let scores: [Double]
  /// The rows in ascending order of score, ties in row order (32 bits each: the order of a
  /// million training scores takes 4 MB beside the matrix and the table).
  public let rows: [UInt32]

  /// The score of rank `k` (0-based, ascending): `scores[Int(rows[k])]`. In rank order the scores
  /// equal `scores.sorted()` when none is NaN (up to which of −0 and +0 comes first); they are
  /// read through the order, not copied (8 bytes a score fewer beside the matrix).
  public subscript(rank k: Int) -> Double { scores[Int(rows[k])] }

  /// The number of scores.
  public var count: Int { rows.count }

  /// Sorts `scores`. Only the row order moves between passes (each key is recomputed from its
  /// score), so the sort needs 8 bytes per score in all: its result and one buffer.
  ///
  /// - Complexity: O(n) for n scores (at most 8 passes over them).
  public init(_ scores: [Double]) {
    self.scores = scores
    let n = scores.count
    precondition(n <= Int(UInt32.max), "\(n) scores: at most \(UInt32.max) can be ordered")
    var counts = [Int](repeating: 0, count: 8 * 256)
    scores.withUnsafeBufferPointer { s in
      counts.withUnsafeMutableBufferPointer { c in
        for i in 0..<n {
          let key = Self.key(s[i])
          for byte in 0..<8 { c[byte &* 256 &+ Int(truncatingIfNeeded: key >> UInt64(8 &* byte)) & 255] &+= 1 }
        }
      }
    }
    var order = [UInt32](unsafeUninitializedCapacity: n) { o, count in
      for i in 0..<n { o[i] = UInt32(truncatingIfNeeded: i) }
      count = n
    }
    var other = [UInt32](repeating: 0, count: n)
    for byte in 0..<8 {
      let histogram = counts[(byte * 256)..<(byte * 256 + 256)]
      // Every key has the same byte here: this pass would leave the order as it is.
      if histogram.contains(n) { continue }
      var next = [Int](repeating: 0, count: 256)
      var total = 0
      for (b, count) in histogram.enumerated() {
        next[b] = total
        total += count
      }
      let shift = UInt64(8 * byte)
      scores.withUnsafeBufferPointer { s in
        order.withUnsafeBufferPointer { o in
          other.withUnsafeMutableBufferPointer { o2 in
            next.withUnsafeMutableBufferPointer { next in
              for i in 0..<n {
                let row = o[i]
                let b = Int(truncatingIfNeeded: Self.key(s[Int(row)]) >> shift) & 255
                o2[next[b]] = row
                next[b] &+= 1
              }
            }
          }
        }
      }
      swap(&order, &other)
    }
    rows = order
  }

  /// An unsigned key that orders as the number does (−0 as +0; NaN above +∞): the selection's
  /// key (`OrderStatistics.key`), with NaN, which the selection never keys, put last.
  @inline(__always)
  static func key(_ x: Double) -> UInt64 {
    x.isNaN ? .max : OrderStatistics.key(x)
  }
}
