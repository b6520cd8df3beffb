import ChurnCore

/// One tree as flat parallel arrays, node 0 the root (scikit-learn's layout): a node either
/// splits on `feature[k] ≥ 0` (value ≤ `threshold[k]` goes to `left[k]`, otherwise `right[k]`)
/// or is a leaf (`feature[k] == −1`) whose `value[k]` is its churn share. 24 bytes a node.
///
/// A missing value (NaN) fails every comparison, so it goes right, unless the split's
/// `defaultLeft` flag sends it left (boosted trees learn that direction per split: LightGBM's
/// `default_left`).
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
  /// Per node, whether a missing value (NaN) at its split goes left; empty when no node sends
  /// one left (every tree the forest grows, and boosted trees fitted without missing values:
  /// such a tree reads, writes and walks exactly as before the flag existed).
  public var defaultLeft: [Bool] = []

  public var nodeCount: Int { feature.count }

  /// Whether value `v` goes to node k's left child: v ≤ threshold, or v is missing and the
  /// split sends missing values left.
  @inline(__always)
  public func goesLeft(_ v: Double, at k: Int) -> Bool {
    v <= threshold[k] || (v.isNaN && !defaultLeft.isEmpty && defaultLeft[k])
  }

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
      k = Int(goesLeft(row[Int(feature[k])], at: k) ? left[k] : right[k])
    }
    return value[k]
  }

  /// Checks the structure: children in range and after their parent, every node reached once,
  /// leaf values are proportions. Traps with the offending values (a programmer error).
  public func _checkInvariants() {
    let n = nodeCount
    precondition(n >= 1 && [threshold.count, left.count, right.count, value.count, cover.count].allSatisfy { $0 == n },
                 "tree arrays disagree in length: \(n), \(threshold.count), \(left.count), \(right.count), \(value.count)")
    precondition(defaultLeft.isEmpty || (defaultLeft.count == n && defaultLeft.contains(true)),
                 "defaultLeft has \(defaultLeft.count) flags for \(n) nodes (expected none, or one per node with at least one set)")
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
        precondition(defaultLeft.isEmpty || !defaultLeft[k], "leaf \(k) sends missing values left")
      }
    }
    precondition(reached.allSatisfy { $0 == 1 }, "some nodes are reached zero or several times: \(reached.enumerated().filter { $0.element != 1 }.prefix(5))")
  }
}

extension DecisionTree {
  enum CodingKeys: String, CodingKey {
    case feature, threshold, left, right, value, cover, impurityDecrease, defaultLeft
  }

  /// Reads the arrays of numbers earlier versions wrote (no `defaultLeft`: every missing value
  /// goes right, as it did).
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(feature: try c.decode([Int32].self, forKey: .feature), threshold: try c.decode([Double].self, forKey: .threshold),
              left: try c.decode([Int32].self, forKey: .left), right: try c.decode([Int32].self, forKey: .right),
              value: try c.decode([Float].self, forKey: .value), cover: try c.decode([Float].self, forKey: .cover),
              impurityDecrease: try c.decode([Double].self, forKey: .impurityDecrease),
              defaultLeft: try c.decodeIfPresent([Bool].self, forKey: .defaultLeft) ?? [])
  }

  /// Writes `defaultLeft` only when some node sends missing values left.
  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(feature, forKey: .feature)
    try c.encode(threshold, forKey: .threshold)
    try c.encode(left, forKey: .left)
    try c.encode(right, forKey: .right)
    try c.encode(value, forKey: .value)
    try c.encode(cover, forKey: .cover)
    try c.encode(impurityDecrease, forKey: .impurityDecrease)
    if !defaultLeft.isEmpty { try c.encode(defaultLeft, forKey: .defaultLeft) }
  }
}
