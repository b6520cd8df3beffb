import ChurnCore
import Testing

@Suite("ScoreOrder: the radix sort of scores shared by the AUC, the bands and the score's deciles")
struct ScoreOrderTests {
  /// Seeded scores with many ties, both signs, zeros of both signs, tiny and huge magnitudes.
  static func scores(seed: UInt64, count: Int) -> [Double] {
    var rng = SeededGenerator(seed: seed)
    let specials: [Double] = [0, -0.0, 1, -1, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude,
                              -.greatestFiniteMagnitude, .infinity, -.infinity, 1e-300, 0.5, 0.5.nextUp, 0.5.nextDown]
    return (0..<count).map { _ in
      switch Int.random(in: 0..<4, using: &rng) {
      case 0: return specials.randomElement(using: &rng)!
      case 1: return Double(Int.random(in: -3...3, using: &rng)) / 4
      case 2: return Double.random(in: 0...1, using: &rng)
      default: return Double.random(in: -1e9...1e9, using: &rng)
      }
    }
  }

  @Test("Ascending as sorted() does, ties in row order (stable), on seeded samples", arguments: [1, 2, 3, 4, 5] as [UInt64])
  func sameAsSorted(seed: UInt64) {
    let s = Self.scores(seed: seed, count: 3_000 + Int(seed) * 17)
    let order = ScoreOrder(s)
    #expect(order.scores == s)
    #expect((0..<order.count).map { order[rank: $0] } == s.sorted(), "seed \(seed)")
    // Stable: the reference is a sort of (value, row) pairs, −0 and +0 tied.
    let stable = s.indices.sorted { (s[$0], $0) < (s[$1], $1) }
    #expect(order.rows.map(Int.init) == stable, "seed \(seed)")
  }

  @Test("NaN sorts above +∞; empty and single scores; −0 and +0 tie in row order")
  func edges() {
    #expect(ScoreOrder([.nan, .infinity, 1, -.infinity]).rows == [3, 2, 1, 0])
    #expect(ScoreOrder([]).rows.isEmpty)
    #expect(ScoreOrder([0.25])[rank: 0] == 0.25)
    let zeros = ScoreOrder([0.0, -0.0, 0.0, -1])
    #expect(zeros.rows == [3, 0, 1, 2])
    #expect(zeros[rank: 2].sign == .minus)
  }
}
