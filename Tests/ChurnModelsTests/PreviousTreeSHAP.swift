import ChurnModels
import Foundation

// The exact TreeSHAP of the library before issue 17's faster walk (commit f982db9,
// Sources/ChurnModels/RandomForest/TreeSHAP.swift), kept verbatim but for the names: one
// O(nodes × depth) walk per tree and row ("Linear TreeShap", Yu et al. 2022, with Gauss–Legendre
// quadrature). TreeSHAPPinTests checks that the library's values still equal these (1e-12).

extension DecisionTree {
  /// The depth of the deepest leaf and the most distinct features on one root-to-leaf path.
  func previousDepthAndDistinctFeatures(columns: Int) -> (depth: Int, distinct: Int) {
    var seen = [Int32](repeating: 0, count: max(columns, Int(feature.max() ?? 0) + 1))
    var deepest = 0, most = 0
    // Depth-first with an explicit stack; a node is popped twice: entering (counts its split's
    // feature for the subtree below) and leaving (uncounts it).
    var stack: [(node: Int, depth: Int, distinct: Int, leaving: Bool)] = [(0, 0, 0, false)]
    while let (k, depth, distinct, leaving) = stack.popLast() {
      let f = Int(feature[k])
      if leaving { seen[f] -= 1; continue }
      deepest = max(deepest, depth)
      most = max(most, distinct)
      guard f >= 0 else { continue }
      let below = distinct + (seen[f] == 0 ? 1 : 0)
      seen[f] += 1
      stack.append((k, depth, distinct, true))
      stack.append((Int(right[k]), depth + 1, below, false))
      stack.append((Int(left[k]), depth + 1, below, false))
    }
    return (deepest, most)
  }

  /// This tree's Shapley values for `row` added to `phi`, by the previous walk.
  func previousAddShapleyValues(_ row: UnsafePointer<Double>, into phi: inout [Double]) {
    let levels = previousDepthAndDistinctFeatures(columns: phi.count)
    let walk = PreviousLinearTreeSHAPWalk(columns: phi.count, levels: levels.depth, distinctFeatures: levels.distinct)
    defer { walk.deallocate() }
    phi.withUnsafeMutableBufferPointer { walk.add(self, levels: levels, row: row, phi: $0.baseAddress!) }
  }

  /// E[f] as the previous code computed it.
  var previousExpectedValue: Double {
    guard nodeCount > 0 else { return 0 }
    var mean = [Double](repeating: 0, count: nodeCount)
    for k in stride(from: nodeCount - 1, through: 0, by: -1) {
      if feature[k] < 0 {
        mean[k] = Double(value[k])
      } else {
        let l = Int(left[k]), r = Int(right[k])
        let cl = Double(cover[l]), cr = Double(cover[r])
        mean[k] = cl + cr > 0 ? (cl * mean[l] + cr * mean[r]) / (cl + cr) : Double(value[k])
      }
    }
    return mean[0]
  }
}

/// The previous `TreeEnsembleSHAP.sum`: Σ over the trees of their Shapley values of `row` and Σ
/// of their expected values, one walk object for all trees.
func previousEnsembleShapley(_ trees: [DecisionTree], row: [Double]) -> (expected: Double, phi: [Double]) {
  let levels = trees.map { ($0.previousDepthAndDistinctFeatures(columns: row.count), $0.previousExpectedValue) }
  var phi = [Double](repeating: 0, count: row.count)
  var expected = 0.0
  row.withUnsafeBufferPointer { r in
    let deepest = levels.map(\.0.depth).max() ?? 0, most = levels.map(\.0.distinct).max() ?? 0
    let walk = PreviousLinearTreeSHAPWalk(columns: row.count, levels: deepest, distinctFeatures: most)
    defer { walk.deallocate() }
    phi.withUnsafeMutableBufferPointer { out in
      for (tree, level) in zip(trees, levels) {
        walk.add(tree, levels: level.0, row: r.baseAddress!, phi: out.baseAddress!)
        expected += level.1
      }
    }
  }
  return (expected, phi)
}

/// Gauss–Legendre quadrature on [0, 1]: Σᵢ wᵢ p(tᵢ) = ∫₀¹ p(t) dt for every polynomial of
/// degree ≤ 2m − 1.
enum PreviousGaussLegendre {
  struct Rule: Sendable {
    let nodes: [Double]
    let weights: [Double]
  }

  /// Rules with up to 64 points, made once (deeper paths make theirs on the fly).
  private static let table: [Rule] = (0...64).map { make(points: max($0, 1)) }

  static func rule(points m: Int) -> Rule { m < table.count ? table[m] : make(points: m) }

  /// Roots of the Legendre polynomial Pₘ by Newton's method from Tricomi's approximation, with
  /// weights 2 / ((1 − x²) Pₘ′(x)²), mapped from [−1, 1] to [0, 1].
  static func make(points m: Int) -> Rule {
    var nodes: [Double] = [], weights: [Double] = []
    for i in 1...m {
      var x = cos(Double.pi * (Double(i) - 0.25) / (Double(m) + 0.5))
      var derivative = 0.0
      for _ in 0..<100 {
        // P₀ … Pₘ at x by the three-term recurrence; Pₘ′ from Pₘ and Pₘ₋₁.
        var p0 = 1.0, p1 = x
        for k in stride(from: 2, through: m, by: 1) {
          let p2 = (Double(2 * k - 1) * x * p1 - Double(k - 1) * p0) / Double(k)
          p0 = p1
          p1 = p2
        }
        derivative = Double(m) * (x * p1 - p0) / (x * x - 1)
        let change = p1 / derivative
        x -= change
        if abs(change) < 1e-15 { break }
      }
      nodes.append((1 - x) / 2)
      weights.append(1 / ((1 - x * x) * derivative * derivative))
    }
    return Rule(nodes: nodes, weights: weights)
  }
}

/// The buffers of the walk, made once for all trees of a forest and one row at a time: per
/// level of the recursion, G and S at the quadrature nodes, four nodes to a vector (padding
/// nodes have weight 0); per feature, its fractions on the current path (1 and 1 when it is not
/// on it, and again so after each tree).
struct PreviousLinearTreeSHAPWalk {
  typealias Lanes = SIMD4<Double>
  /// Nodes t, 1 − t, weights and weights / (1 − t) of the current tree's rule.
  let t: UnsafeMutablePointer<Lanes>
  let u: UnsafeMutablePointer<Lanes>
  let w: UnsafeMutablePointer<Lanes>
  let wOverU: UnsafeMutablePointer<Lanes>
  /// G of the node at level L at g[L·m ..< (L+1)·m]; S likewise in s.
  let g: UnsafeMutablePointer<Lanes>
  let s: UnsafeMutablePointer<Lanes>
  /// Per level: 1 / ((1−t)q + t p) of the split's feature before the split.
  let inverseOld: UnsafeMutablePointer<Lanes>
  let one: UnsafeMutablePointer<Double>
  let zero: UnsafeMutablePointer<Double>
  let capacity: (levels: Int, vectors: Int)

  /// Room for trees up to `levels` deep with up to `distinctFeatures` on a path.
  init(columns: Int, levels: Int, distinctFeatures: Int) {
    let vectors = (max(1, (distinctFeatures + 1) / 2) + 3) / 4
    capacity = (levels, vectors)
    t = .allocate(capacity: vectors)
    u = .allocate(capacity: vectors)
    w = .allocate(capacity: vectors)
    wOverU = .allocate(capacity: vectors)
    g = .allocate(capacity: (levels + 2) * vectors)
    s = .allocate(capacity: (levels + 2) * vectors)
    inverseOld = .allocate(capacity: (levels + 2) * vectors)
    one = .allocate(capacity: max(columns, 1))
    one.initialize(repeating: 1, count: max(columns, 1))
    zero = .allocate(capacity: max(columns, 1))
    zero.initialize(repeating: 1, count: max(columns, 1))
  }

  func deallocate() {
    for p in [t, u, w, wOverU, g, s, inverseOld] { p.deallocate() }
    one.deallocate()
    zero.deallocate()
  }

  /// Adds `tree`'s Shapley values for `row` to `phi`.
  func add(_ tree: DecisionTree, levels: (depth: Int, distinct: Int), row: UnsafePointer<Double>, phi: UnsafeMutablePointer<Double>) {
    let rule = PreviousGaussLegendre.rule(points: max(1, (levels.distinct + 1) / 2))
    let points = rule.nodes.count
    let m = (points + 3) / 4
    precondition(levels.depth <= capacity.levels && m <= capacity.vectors, "TreeSHAP workspace too small for the tree")
    for v in 0..<m {
      var nodes = Lanes(repeating: 0.5), weights = Lanes.zero
      for lane in 0..<4 where 4 * v + lane < points {
        nodes[lane] = rule.nodes[4 * v + lane]
        weights[lane] = rule.weights[4 * v + lane]
      }
      t[v] = nodes
      u[v] = 1 - nodes
      w[v] = weights
      wOverU[v] = weights / (1 - nodes)
      g[v] = Lanes(repeating: 1)
    }
    tree.feature.withUnsafeBufferPointer { feature in
      tree.threshold.withUnsafeBufferPointer { threshold in
        tree.left.withUnsafeBufferPointer { left in
          tree.right.withUnsafeBufferPointer { right in
            tree.value.withUnsafeBufferPointer { value in
              tree.cover.withUnsafeBufferPointer { cover in
                tree.defaultLeft.withUnsafeBufferPointer { defaultLeft in
                  Visit(feature: feature, threshold: threshold, left: left, right: right, value: value, cover: cover, defaultLeft: defaultLeft,
                        m: m, row: row, phi: phi, buffers: self).visit(0, level: 0)
                }
              }
            }
          }
        }
      }
    }
  }

  /// One tree's walk for one row: the tree's arrays borrowed, the row, the output and the
  /// buffers in one value, so that the recursion passes only a node and a level.
  struct Visit {
    let feature: UnsafeBufferPointer<Int32>
    let threshold: UnsafeBufferPointer<Double>
    let left: UnsafeBufferPointer<Int32>
    let right: UnsafeBufferPointer<Int32>
    let value: UnsafeBufferPointer<Float>
    let cover: UnsafeBufferPointer<Float>
    /// Empty when no split sends missing values left (`DecisionTree.defaultLeft`).
    let defaultLeft: UnsafeBufferPointer<Bool>
    let m: Int
    let row: UnsafePointer<Double>
    let phi: UnsafeMutablePointer<Double>
    let buffers: PreviousLinearTreeSHAPWalk

    /// Fills S of node `k` (at `level`, whose G is filled) and credits the splits below it.
    func visit(_ k: Int, level: Int) {
      let (t, u, w, wOverU, one, zero) = (buffers.t, buffers.u, buffers.w, buffers.wOverU, buffers.one, buffers.zero)
      let gk = buffers.g + level * m, sk = buffers.s + level * m
      let j = Int(feature[k])
      if j < 0 {
        let v = Double(value[k])
        for i in 0..<m { sk[i] = v * gk[i] }
        return
      }
      for i in 0..<m { sk[i] = .zero }
      let pOld = one[j], qOld = zero[j]
      // j's factor before this split: 1 if j is new to the path.
      let fresh = pOld == 1 && qOld == 1
      let inverse = buffers.inverseOld + level * m
      // The row already left j's path above (p = 0): both children keep p = 0, j's factor only
      // rescales by qNew / qOld, and the split's credit is zero (for p = 0, (p − q) / f is
      // −1/(1−t) before and after it).
      let gone = pOld == 0
      if !fresh && !gone {
        for i in 0..<m { inverse[i] = 1 / (u[i] * qOld + t[i]) }
      }
      // The child the row takes (a missing value: the split's default side); the covers, and
      // so the expectations over the features outside S, are the training rows' as always.
      let v = row[j]
      let hot = v <= threshold[k] || (v.isNaN && !defaultLeft.isEmpty && defaultLeft[k]) ? Int(left[k]) : Int(right[k])
      // The children's covers, not the node's own: with class weights the covers are rounded
      // weighted sums, and the two shares must add up to 1 (see `expectedValue`).
      let parentCover = Double(cover[Int(left[k])]) + Double(cover[Int(right[k])])
      let gc = gk + m, sc = sk + m
      for side in 0..<2 {
        let c = Int(side == 0 ? left[k] : right[k])
        let pNew = c == hot ? pOld : 0
        let qNew = qOld * Double(cover[c]) / parentCover
        // A child no training row reached on a path the row cannot take weighs nothing.
        if pNew == 0 && qNew == 0 { continue }
        if gone {
          let ratio = qNew / qOld
          for i in 0..<m { gc[i] = gk[i] * ratio }
        } else if fresh {
          for i in 0..<m { gc[i] = gk[i] * (u[i] * qNew + t[i] * pNew) }
        } else {
          for i in 0..<m { gc[i] = gk[i] * (u[i] * qNew + t[i] * pNew) * inverse[i] }
        }
        one[j] = pNew
        zero[j] = qNew
        visit(c, level: level + 1)
        one[j] = pOld
        zero[j] = qOld
        for i in 0..<m { sk[i] += sc[i] }
        if gone { continue }
        var credit = Lanes.zero
        if pNew == 0 {
          // (0 − q) / ((1−t)q) = −1/(1−t): weights over 1 − t, made once per tree.
          if fresh {
            for i in 0..<m { credit -= wOverU[i] * sc[i] }
          } else {
            let oldShare = 1 - qOld
            for i in 0..<m { credit -= (wOverU[i] + w[i] * oldShare * inverse[i]) * sc[i] }
          }
        } else {
          let newShare = 1 - qNew
          if fresh {
            for i in 0..<m { credit += w[i] * sc[i] * newShare / (u[i] * qNew + t[i]) }
          } else {
            let oldShare = 1 - qOld
            for i in 0..<m { credit += w[i] * sc[i] * (newShare / (u[i] * qNew + t[i]) - oldShare * inverse[i]) }
          }
        }
        phi[j] += credit.sum()
      }
    }
  }
}

