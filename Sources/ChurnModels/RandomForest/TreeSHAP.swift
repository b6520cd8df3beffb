import ChurnCore
import Foundation

/// Exact Shapley values of tree predictions with path-dependent conditional expectations (the
/// values of TreeSHAP, Lundberg, Erion & Lee 2018, Algorithm 2), computed in O(nodes × depth)
/// per tree and row instead of TreeSHAP's O(leaves × depth²): the method of "Linear TreeShap"
/// (Yu, Xu, Bifet & Read, NeurIPS 2022), written here with Gauss–Legendre quadrature.
///
/// For a tree f and a row x, φⱼ is the Shapley value of feature j for the set function
/// v(S) = E[f(x) | x_S], where the expectation follows the training rows' split proportions
/// (each node's cover) for the features outside S. Additive: E[f] + Σⱼ φⱼ = f(x), with E[f]
/// the leaves' values weighted by their covers (`expectedValue`).
///
/// Why it works. Along the path to a leaf ℓ, feature j has a zero fraction qⱼ (the product of
/// the cover shares of its edges) and a one fraction pⱼ (1 if x follows all of them, else 0).
/// The Shapley weight s!(n−s−1)!/n! is ∫₀¹ tˢ(1−t)ⁿ⁻ˢ⁻¹ dt, so ℓ's share of φⱼ is
/// vℓ (pⱼ − qⱼ) ∫₀¹ Π_{k≠j} ((1−t)q_k + t p_k) dt: the integral of a polynomial of degree below
/// the number of distinct features on the path, which m-point Gauss–Legendre quadrature
/// computes exactly when 2m ≥ that number. Held as its values at the m nodes, a polynomial is
/// multiplied or divided by a factor, and summed over a subtree, one node at a time. So one
/// walk carries G(t) = Π_k ((1−t)q_k + t p_k) down, returns S(t) = Σ_ℓ vℓ Gℓ(t) over each
/// subtree, and at each split on j credits φⱼ with ∫ S_child(t) (pⱼ − qⱼ) / ((1−t)qⱼ + t pⱼ)
/// dt for the child. When j was split on above, the credit the upper split gave this subtree
/// with j's earlier fractions is taken back, so each leaf counts with its own final fractions.
extension DecisionTree {
  /// Adds this tree's Shapley values for `row` (its d values) to `phi` (d entries; every
  /// feature the tree splits on is below d).
  public func addShapleyValues(_ row: UnsafePointer<Double>, into phi: inout [Double]) {
    let levels = depthAndDistinctFeatures(columns: phi.count)
    let walk = LinearTreeSHAPWalk(rows: 1, columns: phi.count, levels: levels.depth, distinctFeatures: levels.distinct)
    defer { walk.deallocate() }
    phi.withUnsafeMutableBufferPointer { walk.add(self, levels: levels, rows: row, count: 1, phi: $0.baseAddress!) }
  }

  /// E[f]: the leaves' values weighted by their share of the root's cover, in double precision
  /// (the root's own value is the same mean rounded to a Float).
  ///
  /// The shares are the walk's: at each split, a child's cover over the sum of both children's
  /// covers. With class weights the covers are weighted sums rounded to Float, so a node's
  /// cover is not exactly its children's sum; the walk's shares and this mean must agree for
  /// `E[f] + Σ φ = f(x)` to hold to rounding. With unweighted (whole-number) covers this is
  /// the leaves' cover-weighted mean.
  public var expectedValue: Double {
    guard nodeCount > 0 else { return 0 }
    // Children come after their parents (`DecisionTree.init` checks it): one pass from the last node.
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

  /// The depth of the deepest leaf and the most distinct features on one root-to-leaf path.
  func depthAndDistinctFeatures(columns: Int) -> (depth: Int, distinct: Int) {
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
}

/// Gauss–Legendre quadrature on [0, 1]: Σᵢ wᵢ p(tᵢ) = ∫₀¹ p(t) dt for every polynomial of
/// degree ≤ 2m − 1.
enum GaussLegendre {
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

/// The buffers of the walk, made once for all trees of an ensemble, for a block of up to
/// `capacity.rows` rows walked together: every row visits the same nodes in the same order
/// (only a child that no training row reached is skipped, for the rows that cannot take it),
/// so what a node costs whatever the row (its zero fractions, the factors and credits at the
/// quadrature nodes, a division each) is computed once per block, and each row pays only
/// multiplications and additions. A row's values do not depend on the other rows of its block.
///
/// Per level of the recursion: G and S of each row at the quadrature nodes, two nodes to a
/// vector (the width of the baseline x86-64 build's registers; padding nodes have weight 0), the rows in the node's subtree and the split's
/// coefficient vectors; per row and feature, its one fraction on the current path (1 when the
/// feature is not on it); per feature, its zero fraction (the same for every row: the covers'
/// shares), 1 when it is not on the path, and again so after each tree.
struct LinearTreeSHAPWalk {
  typealias Lanes = SIMD2<Double>
  /// Nodes t, 1 − t, weights and weights / (1 − t) of the current tree's rule.
  let t: UnsafeMutablePointer<Lanes>
  let u: UnsafeMutablePointer<Lanes>
  let w: UnsafeMutablePointer<Lanes>
  let wOverU: UnsafeMutablePointer<Lanes>
  /// G of row slot r at level L at g[(L·rows + r)·m ..< +m]; S likewise in s.
  let g: UnsafeMutablePointer<Lanes>
  let s: UnsafeMutablePointer<Lanes>
  /// Per level, m vectors each: 1 / ((1−t)q + t) of the split's feature before the split
  /// (for the rows still on its path), and for the child being walked the factor of G and the
  /// credit coefficient of S for a row that follows the split and one that leaves it.
  let inverse: UnsafeMutablePointer<Lanes>
  let follow: UnsafeMutablePointer<Lanes>
  let leave: UnsafeMutablePointer<Lanes>
  let followCredit: UnsafeMutablePointer<Lanes>
  let leaveCredit: UnsafeMutablePointer<Lanes>
  /// Per level, the row slots in the node's subtree, and per row slot its case at the child
  /// being walked (`Case`) and whether it goes left.
  let active: UnsafeMutablePointer<Int32>
  let cases: UnsafeMutablePointer<UInt8>
  let goesLeft: UnsafeMutablePointer<Bool>
  /// One fraction p of row slot r and feature j at one[r·columns + j]; zero fraction q of j at zero[j].
  let one: UnsafeMutablePointer<Double>
  let zero: UnsafeMutablePointer<Double>
  let columns: Int
  let capacity: (rows: Int, levels: Int, vectors: Int)

  /// A row's relation to a split on j: it follows it (p stays 1), leaves it here (p becomes
  /// 0), or left j's path above (p was 0 already).
  enum Case: UInt8 { case follows, leaves, gone }

  /// Room for `rows` rows of `columns` values at a time, in trees up to `levels` deep with up
  /// to `distinctFeatures` on a path.
  init(rows: Int, columns: Int, levels: Int, distinctFeatures: Int) {
    let vectors = (max(1, (distinctFeatures + 1) / 2) + Lanes.scalarCount - 1) / Lanes.scalarCount
    let rows = max(rows, 1), depth = levels + 2
    capacity = (rows, levels, vectors)
    self.columns = columns
    t = .allocate(capacity: vectors)
    u = .allocate(capacity: vectors)
    w = .allocate(capacity: vectors)
    wOverU = .allocate(capacity: vectors)
    g = .allocate(capacity: depth * rows * vectors)
    s = .allocate(capacity: depth * rows * vectors)
    inverse = .allocate(capacity: depth * vectors)
    follow = .allocate(capacity: depth * vectors)
    leave = .allocate(capacity: depth * vectors)
    followCredit = .allocate(capacity: depth * vectors)
    leaveCredit = .allocate(capacity: depth * vectors)
    active = .allocate(capacity: depth * rows)
    cases = .allocate(capacity: depth * rows)
    goesLeft = .allocate(capacity: depth * rows)
    one = .allocate(capacity: max(rows * columns, 1))
    one.initialize(repeating: 1, count: max(rows * columns, 1))
    zero = .allocate(capacity: max(columns, 1))
    zero.initialize(repeating: 1, count: max(columns, 1))
  }

  func deallocate() {
    for p in [t, u, w, wOverU, g, s, inverse, follow, leave, followCredit, leaveCredit] { p.deallocate() }
    active.deallocate()
    cases.deallocate()
    goesLeft.deallocate()
    one.deallocate()
    zero.deallocate()
  }

  /// Adds `tree`'s Shapley values for each of `count` rows (row r's `columns` values at
  /// rows[r·columns]) to its `phi` (row r's at phi[r·columns]).
  func add(_ tree: DecisionTree, levels: (depth: Int, distinct: Int), rows: UnsafePointer<Double>, count: Int,
           phi: UnsafeMutablePointer<Double>) {
    guard count > 0 else { return }
    let rule = GaussLegendre.rule(points: max(1, (levels.distinct + 1) / 2))
    let points = rule.nodes.count
    let m = (points + Lanes.scalarCount - 1) / Lanes.scalarCount
    precondition(levels.depth <= capacity.levels && m <= capacity.vectors && count <= capacity.rows,
                 "TreeSHAP workspace too small for the tree: depth \(levels.depth), \(m) vectors, \(count) rows; room for \(capacity)")
    for v in 0..<m {
      var nodes = Lanes(repeating: 0.5), weights = Lanes.zero
      for lane in 0..<Lanes.scalarCount where Lanes.scalarCount * v + lane < points {
        nodes[lane] = rule.nodes[Lanes.scalarCount * v + lane]
        weights[lane] = rule.weights[Lanes.scalarCount * v + lane]
      }
      t[v] = nodes
      u[v] = 1 - nodes
      w[v] = weights
      wOverU[v] = weights / (1 - nodes)
    }
    for r in 0..<count {
      active[r] = Int32(r)
      for i in 0..<m { g[r * m + i] = Lanes(repeating: 1) }
    }
    tree.feature.withUnsafeBufferPointer { feature in
      tree.threshold.withUnsafeBufferPointer { threshold in
        tree.left.withUnsafeBufferPointer { left in
          tree.right.withUnsafeBufferPointer { right in
            tree.value.withUnsafeBufferPointer { value in
              tree.cover.withUnsafeBufferPointer { cover in
                tree.defaultLeft.withUnsafeBufferPointer { defaultLeft in
                  Visit(feature: feature, threshold: threshold, left: left, right: right, value: value, cover: cover, defaultLeft: defaultLeft,
                        m: m, rows: rows, phi: phi, buffers: self).visit(0, level: 0, count: count)
                }
              }
            }
          }
        }
      }
    }
  }

  /// One tree's walk for a block of rows: the tree's arrays borrowed, the rows, the output and
  /// the buffers in one value, so that the recursion passes only a node, a level and a count.
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
    let rows: UnsafePointer<Double>
    let phi: UnsafeMutablePointer<Double>
    let buffers: LinearTreeSHAPWalk

    /// Fills S of node `k` for the `count` row slots of `level` (whose G are filled) and
    /// credits the splits below it.
    func visit(_ k: Int, level: Int, count: Int) {
      let (u, t, w, wOverU, one, zero, d) = (buffers.u, buffers.t, buffers.w, buffers.wOverU, buffers.one, buffers.zero, buffers.columns)
      let slots = buffers.capacity.rows
      let act = buffers.active + level * slots
      let gk = buffers.g + level * slots * m, sk = buffers.s + level * slots * m
      let j = Int(feature[k])
      if j < 0 {
        let v = Double(value[k])
        for a in 0..<count {
          let r = Int(act[a]) * m
          for i in 0..<m { sk[r + i] = v * gk[r + i] }
        }
        return
      }
      for a in 0..<count {
        let r = Int(act[a]) * m
        for i in 0..<m { sk[r + i] = .zero }
      }
      let qOld = zero[j]
      // j's factor before this split, for the rows still on its path (p = 1): 1 if j is new to
      // the path. A row that left j's path above (p = 0) keeps p = 0 in both children, j's
      // factor only rescales by qNew / qOld, and the split's credit is zero (for p = 0,
      // (p − q) / f is −1/(1−t) before and after it).
      let fresh = qOld == 1
      let levelOffset = level * m
      let inverse = buffers.inverse + levelOffset
      if !fresh {
        for i in 0..<m { inverse[i] = 1 / (u[i] * qOld + t[i]) }
      }
      // The child each row takes (a missing value: the split's default side); the covers, and
      // so the expectations over the features outside S, are the training rows' as always.
      let goesLeft = buffers.goesLeft + level * slots, cases = buffers.cases + level * slots
      let limit = threshold[k], missingLeft = !defaultLeft.isEmpty && defaultLeft[k]
      for a in 0..<count {
        let r = Int(act[a])
        let v = rows[r * d + j]
        goesLeft[r] = v <= limit || (v.isNaN && missingLeft)
      }
      // The children's covers, not the node's own: with class weights the covers are rounded
      // weighted sums, and the two shares must add up to 1 (see `expectedValue`).
      let parentCover = Double(cover[Int(left[k])]) + Double(cover[Int(right[k])])
      let childAct = buffers.active + (level + 1) * slots
      let gc = buffers.g + (level + 1) * slots * m, sc = buffers.s + (level + 1) * slots * m
      let follow = buffers.follow + levelOffset, leave = buffers.leave + levelOffset
      let followCredit = buffers.followCredit + levelOffset, leaveCredit = buffers.leaveCredit + levelOffset
      for side in 0..<2 {
        let c = Int(side == 0 ? left[k] : right[k])
        let qNew = qOld * Double(cover[c]) / parentCover
        // Per quadrature node, whatever the row: j's factor after the split over the one
        // before, and ∫ S (p − q)/f after minus before (the upper split's credit taken back).
        for i in 0..<m {
          let followFactor = u[i] * qNew + t[i]
          if fresh {
            follow[i] = followFactor
            leave[i] = u[i] * qNew
            followCredit[i] = w[i] * (1 - qNew) / followFactor
            leaveCredit[i] = -wOverU[i]
          } else {
            let before = w[i] * (1 - qOld) * inverse[i]
            follow[i] = followFactor * inverse[i]
            leave[i] = u[i] * qNew * inverse[i]
            followCredit[i] = w[i] * (1 - qNew) / followFactor - before
            leaveCredit[i] = -wOverU[i] - before
          }
        }
        let ratio = qNew / qOld
        let takesLeft = side == 0
        if feature[c] < 0 {
          // A leaf child, without a call: its S is its value times its G, added to this node's
          // S and credited as the walk below does (the same operations in the same order).
          let v = Double(value[c])
          for a in 0..<count {
            let r = Int(act[a])
            let kind: Case = one[r * d + j] == 0 ? .gone : (goesLeft[r] == takesLeft ? .follows : .leaves)
            if kind != .follows && qNew == 0 { continue }
            let from = gk + r * m, to = sk + r * m
            var credit = Lanes.zero
            switch kind {
            case .gone:
              for i in 0..<m { to[i] += v * (from[i] * ratio) }
              continue
            case .follows:
              for i in 0..<m {
                let leaf = v * (from[i] * follow[i])
                to[i] += leaf
                credit += followCredit[i] * leaf
              }
            case .leaves:
              for i in 0..<m {
                let leaf = v * (from[i] * leave[i])
                to[i] += leaf
                credit += leaveCredit[i] * leaf
              }
            }
            phi[r * d + j] += credit.sum()
          }
          continue
        }
        var n = 0
        for a in 0..<count {
          let r = Int(act[a])
          let pOld = one[r * d + j]
          let kind: Case = pOld == 0 ? .gone : (goesLeft[r] == takesLeft ? .follows : .leaves)
          // A child no training row reached on a path the row cannot take weighs nothing.
          if kind != .follows && qNew == 0 { continue }
          childAct[n] = Int32(r)
          n += 1
          cases[r] = kind.rawValue
          let from = gk + r * m, to = gc + r * m
          switch kind {
          case .gone: for i in 0..<m { to[i] = from[i] * ratio }
          case .follows: for i in 0..<m { to[i] = from[i] * follow[i] }
          case .leaves:
            for i in 0..<m { to[i] = from[i] * leave[i] }
            one[r * d + j] = 0
          }
        }
        guard n > 0 else { continue }
        zero[j] = qNew
        visit(c, level: level + 1, count: n)
        zero[j] = qOld
        for a in 0..<n {
          let r = Int(childAct[a])
          let from = sc + r * m, to = sk + r * m
          for i in 0..<m { to[i] += from[i] }
          var credit = Lanes.zero
          switch Case(rawValue: cases[r])! {
          case .gone: continue
          case .follows: for i in 0..<m { credit += followCredit[i] * from[i] }
          case .leaves:
            one[r * d + j] = 1
            for i in 0..<m { credit += leaveCredit[i] * from[i] }
          }
          phi[r * d + j] += credit.sum()
        }
      }
    }
  }
}

extension ForestModel {
  /// Exact TreeSHAP values of row `row`, averaged over the trees, in probability units:
  /// `base + Σ contributions` equals the forest's probability (to rounding), where `base` is
  /// the mean of the trees' expected values (the training churn share the trees saw).
  public func shapleyValues(_ x: Matrix, row: Int) -> (base: Double, contributions: [Double]) {
    shapleyValues(x, rows: [row])[0]
  }

  /// `shapleyValues(_:row:)` of each of `rows` (the same values), each tree walked once for a
  /// block of rows (`TreeEnsembleSHAP.sum(_:levels:x:rows:)`).
  public func shapleyValues(_ x: Matrix, rows: [Int]) -> [(base: Double, contributions: [Double])] {
    let (expected, phi) = TreeEnsembleSHAP.sum(trees, levels: shapleyLevels, x: x, rows: rows)
    let scale = 1 / Double(trees.count)
    return phi.map { (expected * scale, $0.map { $0 * scale }) }
  }
}

/// Exact TreeSHAP over a tree ensemble (the forest's mean, the boosted model's sum): per tree
/// what its walk needs, once per model, and the sums over the trees for a row or a block of rows.
enum TreeEnsembleSHAP {
  /// Per tree, its depth, the most distinct features on one path and its expected value.
  typealias Levels = [(depth: Int, distinct: Int, expectedValue: Double)]

  static func levels(_ trees: [DecisionTree], columns: Int) -> Levels {
    trees.map { tree in
      let levels = tree.depthAndDistinctFeatures(columns: columns)
      return (levels.depth, levels.distinct, tree.expectedValue)
    }
  }

  /// Rows walked together by `sum(_:levels:x:rows:)`: enough to share each node's fixed work
  /// among them, few enough that the block's buffers stay in the core's cache.
  static let blockRows = 16

  /// Σ over `trees` of the exact TreeSHAP values of `row` (one value per column), and Σ of
  /// the trees' expected values.
  static func sum(_ trees: [DecisionTree], levels: Levels, row: [Double]) -> (expected: Double, phi: [Double]) {
    let (expected, phi) = sum(trees, levels: levels, x: Matrix(rows: 1, columns: row.count, storage: row), rows: [0])
    return (expected, phi[0])
  }

  /// Σ over `trees` of the exact TreeSHAP values of each of `rows` of `x` (one value per
  /// column, in the order of `rows`), and Σ of the trees' expected values. The rows are walked
  /// `blockRows` at a time (`LinearTreeSHAPWalk`); a row's values are the same bits whichever
  /// rows share its block, so whatever the caller's split of the rows into calls or threads.
  ///
  /// - Complexity: O(rows × nodes × distinct features on a path).
  static func sum(_ trees: [DecisionTree], levels: Levels, x: Matrix, rows: [Int]) -> (expected: Double, phi: [[Double]]) {
    let d = x.columns
    let expected = levels.reduce(0.0) { $0 + $1.expectedValue }
    guard !rows.isEmpty else { return (expected, []) }
    let deepest = levels.map(\.depth).max() ?? 0, most = levels.map(\.distinct).max() ?? 0
    let block = min(blockRows, rows.count)
    let walk = LinearTreeSHAPWalk(rows: block, columns: d, levels: deepest, distinctFeatures: most)
    defer { walk.deallocate() }
    var values = [Double](repeating: 0, count: block * d), out = [Double](repeating: 0, count: block * d)
    var phi: [[Double]] = []
    phi.reserveCapacity(rows.count)
    x.storage.withUnsafeBufferPointer { storage in
      for start in stride(from: 0, to: rows.count, by: block) {
        let count = min(block, rows.count - start)
        for r in 0..<count {
          let i = rows[start + r]
          precondition(i >= 0 && i < x.rows, "Row \(i) out of range for \(x.rows) rows")
          for j in 0..<d { values[r * d + j] = storage[x.offset(row: i, column: j)] }
        }
        for k in 0..<(count * d) { out[k] = 0 }
        values.withUnsafeBufferPointer { v in
          out.withUnsafeMutableBufferPointer { o in
            for (tree, level) in zip(trees, levels) {
              walk.add(tree, levels: (level.depth, level.distinct), rows: v.baseAddress!, count: count, phi: o.baseAddress!)
            }
          }
        }
        for r in 0..<count { phi.append(Array(out[(r * d)..<((r + 1) * d)])) }
      }
    }
    return (expected, phi)
  }

  /// Σ over `trees` of the path contributions (Saabas) of row `row` of `x`: at each split on
  /// the row's path the change in node value goes to the split's feature; and Σ of the trees'
  /// root values. O(depth) per tree.
  static func pathSum(_ trees: [DecisionTree], _ x: Matrix, row: Int) -> (roots: Double, contributions: [Double]) {
    var contributions = [Double](repeating: 0, count: x.columns)
    var roots = 0.0
    for tree in trees {
      var k = 0
      roots += Double(tree.value[0])
      while tree.feature[k] >= 0 {
        let f = Int(tree.feature[k])
        let next = Int(tree.goesLeft(x[row, f], at: k) ? tree.left[k] : tree.right[k])
        contributions[f] += Double(tree.value[next]) - Double(tree.value[k])
        k = next
      }
    }
    return (roots, contributions)
  }
}

/// All trees' nodes in one set of flat arrays, for the per-row walks of explanations (path
/// contributions, and the row's own score beside them): the same comparisons, values and order
/// of additions as `TreeEnsembleSHAP.pathSum` and `DecisionTree.predict`, so the same bits,
/// without copying each tree's arrays (and retaining them) on every row.
struct FlatTrees: Sendable {
  let feature: [Int32]
  let threshold: [Double]
  /// Children as indices into the flat arrays.
  let left: [Int32]
  let right: [Int32]
  let value: [Float]
  /// Per node, whether a missing value goes left (false for every node of a tree without the flag).
  let defaultLeft: [Bool]
  /// Each tree's root, in the trees' order.
  let roots: [Int]

  init(_ trees: [DecisionTree]) {
    var feature: [Int32] = [], threshold: [Double] = [], left: [Int32] = [], right: [Int32] = [], value: [Float] = []
    var defaultLeft: [Bool] = [], roots: [Int] = []
    for tree in trees {
      let offset = Int32(feature.count)
      roots.append(feature.count)
      feature += tree.feature
      threshold += tree.threshold
      left += tree.left.map { $0 + offset }
      right += tree.right.map { $0 + offset }
      value += tree.value
      defaultLeft += tree.defaultLeft.isEmpty ? [Bool](repeating: false, count: tree.nodeCount) : tree.defaultLeft
    }
    (self.feature, self.threshold, self.left, self.right, self.value, self.defaultLeft, self.roots) =
      (feature, threshold, left, right, value, defaultLeft, roots)
  }

  /// The node arrays as buffers, for the walks below (one closure instead of six nested ones).
  struct Nodes {
    let feature: UnsafeBufferPointer<Int32>, threshold: UnsafeBufferPointer<Double>
    let left: UnsafeBufferPointer<Int32>, right: UnsafeBufferPointer<Int32>
    let value: UnsafeBufferPointer<Float>, defaultLeft: UnsafeBufferPointer<Bool>

    /// The child of internal node `k` that row `row` goes to (NaN: the node's default side).
    @inline(__always) func next(_ k: Int, _ row: UnsafePointer<Double>) -> Int {
      let v = row[Int(feature[k])]
      return Int(v <= threshold[k] || (v.isNaN && defaultLeft[k]) ? left[k] : right[k])
    }
  }

  func withNodes<R>(_ body: (Nodes) -> R) -> R {
    feature.withUnsafeBufferPointer { feature in
      threshold.withUnsafeBufferPointer { threshold in
        left.withUnsafeBufferPointer { left in
          right.withUnsafeBufferPointer { right in
            value.withUnsafeBufferPointer { value in
              defaultLeft.withUnsafeBufferPointer { defaultLeft in
                body(Nodes(feature: feature, threshold: threshold, left: left, right: right, value: value, defaultLeft: defaultLeft))
              }
            }
          }
        }
      }
    }
  }

  /// `TreeEnsembleSHAP.pathSum` of row `row` (d values), and Σ of the leaves the row reaches,
  /// summed from 0 in the trees' order as `DecisionTree.predict`'s are.
  func pathSum(_ row: UnsafePointer<Double>, columns d: Int) -> (roots: Double, leaves: Double, contributions: [Double]) {
    var contributions = [Double](repeating: 0, count: d)
    var rootSum = 0.0, leafSum = 0.0
    withNodes { nodes in
      contributions.withUnsafeMutableBufferPointer { out in
        for root in roots {
          var k = root
          rootSum += Double(nodes.value[k])
          while nodes.feature[k] >= 0 {
            let next = nodes.next(k, row)
            out[Int(nodes.feature[k])] += Double(nodes.value[next]) - Double(nodes.value[k])
            k = next
          }
          leafSum += Double(nodes.value[k])
        }
      }
    }
    return (rootSum, leafSum, contributions)
  }

  /// Σ of the leaves row `row` reaches, from 0 in the trees' order (the bits of summing
  /// `DecisionTree.predict` tree by tree).
  func leafSum(_ row: UnsafePointer<Double>) -> Double {
    withNodes { nodes in
      var sum = 0.0
      for root in roots {
        var k = root
        while nodes.feature[k] >= 0 { k = nodes.next(k, row) }
        sum += Double(nodes.value[k])
      }
      return sum
    }
  }
}
