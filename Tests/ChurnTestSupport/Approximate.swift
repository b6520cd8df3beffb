import ChurnCore

/// Relative difference |a − b| / max(1, |a|, |b|): absolute near zero, relative elsewhere.
public func relativeDifference(_ a: Double, _ b: Double) -> Double {
  abs(a - b) / max(1, abs(a), abs(b))
}

/// The largest `relativeDifference` over two equally long arrays (∞ when lengths differ).
public func maxRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
  guard a.count == b.count else { return .infinity }
  return zip(a, b).map { relativeDifference($0, $1) }.max() ?? 0
}

/// A matrix of standard-normal draws from a seeded generator.
public func randomMatrix(rows: Int, columns: Int, seed: UInt64) -> Matrix {
  var rng = SeededGenerator(seed: seed, stream: 1)
  return Matrix(rows: rows, columns: columns, storage: (0..<(rows * columns)).map { _ in rng.normal() })
}

/// Standard-normal draws from a seeded generator.
public func randomVector(count: Int, seed: UInt64) -> [Double] {
  var rng = SeededGenerator(seed: seed, stream: 2)
  return (0..<count).map { _ in rng.normal() }
}
