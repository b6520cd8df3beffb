import ChurnCore
import Testing

@Suite("Seeded random numbers")
struct SeededGeneratorTests {
  @Test("The same seed and stream repeat; other seeds and streams differ")
  func determinism() {
    var a = SeededGenerator(seed: 42, stream: 3)
    var b = SeededGenerator(seed: 42, stream: 3)
    var c = SeededGenerator(seed: 42, stream: 4)
    var d = SeededGenerator(seed: 43, stream: 3)
    let sa = (0..<100).map { _ in a.next() }
    #expect(sa == (0..<100).map { _ in b.next() })
    #expect(sa != (0..<100).map { _ in c.next() })
    #expect(sa != (0..<100).map { _ in d.next() })
  }

  @Test("Distribution means and variances are right", arguments: [UInt64(1), 2, 3])
  func moments(seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    let n = 200_000
    func meanVariance(_ draw: (inout SeededGenerator) -> Double) -> (Double, Double) {
      var sum = 0.0, sumSquares = 0.0
      for _ in 0..<n {
        let x = draw(&rng)
        sum += x
        sumSquares += x * x
      }
      let mean = sum / Double(n)
      return (mean, sumSquares / Double(n) - mean * mean)
    }
    let uniform = meanVariance { $0.uniform() }
    #expect(abs(uniform.0 - 0.5) < 0.005 && abs(uniform.1 - 1.0 / 12) < 0.002)
    let normal = meanVariance { $0.normal(mean: 2, standardDeviation: 3) }
    #expect(abs(normal.0 - 2) < 0.03 && abs(normal.1 - 9) < 0.15)
    for lambda in [0.3, 4.0, 45.0, 300.0] {
      let poisson = meanVariance { Double($0.poisson(lambda)) }
      #expect(abs(poisson.0 - lambda) < 0.02 * lambda + 0.01, "Poisson(\(lambda)) mean \(poisson.0), seed \(seed)")
      #expect(abs(poisson.1 - lambda) < 0.05 * lambda + 0.01, "Poisson(\(lambda)) variance \(poisson.1), seed \(seed)")
    }
    for shape in [0.5, 2.0, 9.0] {
      let gamma = meanVariance { $0.gamma(shape: shape, scale: 1.5) }
      #expect(abs(gamma.0 - shape * 1.5) < 0.03 * shape * 1.5, "Gamma(\(shape)) mean \(gamma.0), seed \(seed)")
      #expect(abs(gamma.1 - shape * 2.25) < 0.06 * shape * 2.25, "Gamma(\(shape)) variance \(gamma.1), seed \(seed)")
    }
    var counts = [0, 0, 0]
    for _ in 0..<n { counts[rng.categorical([1, 2, 7])] += 1 }
    #expect(abs(Double(counts[2]) / Double(n) - 0.7) < 0.005)
  }

  @Test("Integers below a bound stay in range and cover it")
  func integers() {
    var rng = SeededGenerator(seed: 9)
    var seen = Set<Int>()
    for _ in 0..<1000 {
      let k = rng.integer(below: 7)
      #expect(k >= 0 && k < 7)
      seen.insert(k)
    }
    #expect(seen.count == 7)
  }
}
