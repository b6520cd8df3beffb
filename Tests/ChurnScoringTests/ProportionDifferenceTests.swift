import ChurnScoring
import Testing

@Suite("Newcombe's interval for a difference of proportions")
struct ProportionDifferenceTests {
  struct Example: Sendable, CustomStringConvertible {
    var a: Int, m: Int, b: Int, n: Int, lower: Double, upper: Double
    var description: String { "\(a)/\(m) − \(b)/\(n)" }
  }

  /// Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (the hybrid score
  /// interval), to the four decimals printed there.
  static let examples = [
    Example(a: 56, m: 70, b: 48, n: 80, lower: 0.0524, upper: 0.3339),
    Example(a: 9, m: 10, b: 3, n: 10, lower: 0.1705, upper: 0.8090),
    Example(a: 5, m: 56, b: 0, n: 29, lower: -0.0381, upper: 0.1926),
    Example(a: 0, m: 10, b: 0, n: 20, lower: -0.1611, upper: 0.2775),
    Example(a: 0, m: 10, b: 0, n: 10, lower: -0.2775, upper: 0.2775),
    Example(a: 10, m: 10, b: 0, n: 20, lower: 0.6791, upper: 1.0),
    Example(a: 10, m: 10, b: 0, n: 10, lower: 0.6075, upper: 1.0),
  ]

  @Test("Newcombe's published examples", arguments: examples)
  func published(_ x: Example) {
    let e = newcombeDifference(successes1: x.a, trials1: x.m, successes2: x.b, trials2: x.n)
    #expect(abs(e.value - (Double(x.a) / Double(x.m) - Double(x.b) / Double(x.n))) < 1e-15)
    #expect(abs(e.lower - x.lower) < 5e-5 && abs(e.upper - x.upper) < 5e-5, "\(x): \(e)")
  }

  @Test("No trials on a side: NaN; swapping the sides mirrors the interval")
  func edges() {
    let none = newcombeDifference(successes1: 0, trials1: 0, successes2: 3, trials2: 10)
    #expect(none.value.isNaN && none.lower.isNaN && none.upper.isNaN)
    let e = newcombeDifference(successes1: 7, trials1: 40, successes2: 3, trials2: 25)
    let f = newcombeDifference(successes1: 3, trials1: 25, successes2: 7, trials2: 40)
    #expect(abs(e.value + f.value) < 1e-15 && abs(e.lower + f.upper) < 1e-15 && abs(e.upper + f.lower) < 1e-15)
  }
}
