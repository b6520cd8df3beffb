import ChurnCore

/// One tree as flat parallel arrays, node 0 the root (scikit-learn's layout): a node either
/// splits on `feature[k] ≥ 0` (value ≤ `threshold[k]` goes to `left[k]`, otherwise `right[k]`)
/// or is a leaf (`feature[k] == −1`) whose `value[k]` is its churn share. 24 bytes a node.
public struct DecisionTree: Sendable, Equatable, Codable {
  public var feature: [Int32]
  public var threshold: [Double]
  public var left: [Int32]
  public var right: [Int32]
  /// Churn share of the node's (weighted) training rows; for a leaf, the tree's prediction.
  public var value: [Float]
  /// Weighted training rows per node (for explanations: each node's share of its parent).
  public var cover: [Float]
  /// Weighted Gini decrease of this tree's splits, per feature, over the root's weight.
  public var impurityDecrease: [Double]

  public var nodeCount: Int { feature.count }

  /// The leaf value for row `row` of `x`.
  @inline(__always)
  public func predict(row: Int, in x: Matrix) -> Float {
    precondition(x.layout == .rowMajor, "DecisionTree.predict reads row-major rows; convert with Matrix.rowMajor")
    return x.storage.withUnsafeBufferPointer { p in predict(p.baseAddress! + row * x.columns) }
  }

  @inline(__always)
  func predict(_ row: UnsafePointer<Double>) -> Float {
    var k = 0
    while feature[k] >= 0 {
      k = Int(row[Int(feature[k])] <= threshold[k] ? left[k] : right[k])
    }
    return value[k]
  }

  /// Checks the structure: children in range and after their parent, every node reached once,
  /// leaf values are proportions. Traps with the offending values (a programmer error).
  public func _checkInvariants() {
    let n = nodeCount
    precondition(n >= 1 && [threshold.count, left.count, right.count, value.count, cover.count].allSatisfy { $0 == n },
                 "tree arrays disagree in length: \(n), \(threshold.count), \(left.count), \(right.count), \(value.count)")
    var reached = [Int](repeating: 0, count: n)
    reached[0] = 1
    for k in 0..<n {
      precondition(value[k] >= 0 && value[k] <= 1, "node \(k) value \(value[k]) is not a proportion")
      if feature[k] >= 0 {
        let l = Int(left[k]), r = Int(right[k])
        precondition(l > k && l < n && r > k && r < n && l != r, "node \(k) has children \(l), \(r) out of range (n = \(n))")
        reached[l] += 1
        reached[r] += 1
        precondition(abs(cover[l] + cover[r] - cover[k]) <= 1e-3 * max(1, cover[k]), "node \(k) cover \(cover[k]) ≠ \(cover[l]) + \(cover[r])")
      } else {
        precondition(feature[k] == -1, "node \(k) has feature \(feature[k])")
      }
    }
    precondition(reached.allSatisfy { $0 == 1 }, "some nodes are reached zero or several times: \(reached.enumerated().filter { $0.element != 1 }.prefix(5))")
  }
}
