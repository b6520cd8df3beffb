import ChurnCore

/// Grows one tree from binned features; shared, read-only, by all threads.
///
/// The learner is split into the phases of LightGBM's serial tree learner
/// (src/treelearner/serial_tree_learner.cpp), each a function:
///
/// 1. `drawSample`: how many times each row is drawn (bootstrap or a subsample).
/// 2. `Workspace.init`: the sampled rows and their class counts or weights, laid out by position.
/// 3. Per node, depth first with an explicit stack (`growNodes`):
///    - `Workspace.totals`: the node's class weights (its value and cover);
///    - `findBestSplit`: draw `mtry` features, and for each `Workspace.buildHistogram` (class
///      histogram over its bins) then `Workspace.scanHistogram` (the best "code ≤ b" split);
///    - `Workspace.partition`: move the node's rows, codes ≤ the split's bin first;
///    - `DecisionTree.split`: record the split and add the two children.
///
/// Every buffer a tree needs is allocated once, in `Workspace`, before the first node and freed
/// after the last, so the phases work on plain pointers with no per-node or per-feature
/// `withUnsafe…` scope.
///
/// Randomness is drawn in a fixed order (the sample, then `mtry` features per splittable node,
/// nodes depth first, left child first), so a seed gives the same tree on any thread.
struct TreeGrower: @unchecked Sendable {
  let bins: FeatureBins
  let labels: [Double]
  let weights: [Double]
  let mtry: Int
  let minLeafSize: Int
  let maxDepth: Int
  let sampleSize: Int
  let bootstrap: Bool

  /// Grows one tree on a sample drawn from `rng`.
  ///
  /// - Returns: the tree (nodes in the order they were created) and, per row, how many times the
  ///   sample drew it (0: out of bag).
  /// - Complexity: O(n) for the sample, then O(depth × m × mtry) for the histograms and the
  ///   partitions over the m distinct sampled rows, plus O(nodes × mtry × 256) for the scans.
  func grow(_ rng: inout SeededGenerator) -> (DecisionTree, [UInt16]) {
    let counts = drawSample(&rng)
    let tree = bins.codes.withUnsafeBufferPointer { codes in
      let workspace = Workspace(self, counts: counts, codes: codes)
      defer { workspace.deallocate() }
      return growNodes(workspace, &rng)
    }
    return (tree, counts)
  }

  /// Phase 1: how many times each of the n rows is drawn.
  ///
  /// With `bootstrap`, `sampleSize` draws with replacement (a count can exceed 1); without, the
  /// first `min(sampleSize, n)` positions of a partial Fisher–Yates shuffle, each drawn once.
  ///
  /// - Complexity: O(n + sampleSize).
  func drawSample(_ rng: inout SeededGenerator) -> [UInt16] {
    let n = bins.rows
    var counts = [UInt16](repeating: 0, count: n)
    if bootstrap {
      for _ in 0..<sampleSize { counts[rng.integer(below: n)] &+= 1 }
    } else {
      var order = Array(0..<n)
      for k in 0..<min(sampleSize, n) {
        let j = k + rng.integer(below: n - k)
        order.swapAt(k, j)
        counts[order[k]] = 1
      }
    }
    return counts
  }

  /// Phase 3: grows the tree node by node, depth first, left child first.
  ///
  /// A node becomes a leaf when it is pure, holds fewer than 2 × `minLeafSize` draws, is at
  /// `maxDepth`, or no split of its drawn features improves its Gini score.
  ///
  /// - Complexity: see `grow(_:)`.
  private func growNodes(_ workspace: Workspace, _ rng: inout SeededGenerator) -> DecisionTree {
    var tree = DecisionTree(feature: [], threshold: [], left: [], right: [], value: [], cover: [],
                            impurityDecrease: Array(repeating: 0, count: bins.columns))
    // Nodes still to grow: (node, its rows lower..<upper in the workspace, depth).
    var stack: [(node: Int, lower: Int, upper: Int, depth: Int)] = [(tree.addNode(), 0, workspace.sampled, 0)]
    var rootWeight = 0.0
    while let (node, lower, upper, depth) = stack.popLast() {
      let totals = workspace.totals(lower..<upper)
      if node == 0 { rootWeight = totals.weight }
      tree.value[node] = totals.weight > 0 ? Float(totals.churned / totals.weight) : 0
      tree.cover[node] = Float(totals.weight)
      if totals.retained == 0 || totals.churned == 0 || totals.draws / 2 < minLeafSize || depth >= maxDepth { continue }
      guard let best = findBestSplit(workspace, lower..<upper, totals, &rng) else { continue }
      let split = workspace.partition(lower..<upper, feature: best.feature, bin: best.bin)
      let (left, right) = tree.split(node, on: best.feature, threshold: bins.thresholds[best.feature][best.bin],
                                     impurityDecrease: (best.score - totals.score) / max(rootWeight, 1e-300))
      stack.append((right, split, upper, depth + 1))
      stack.append((left, lower, split, depth + 1))
    }
    return tree
  }

  /// A candidate split: rows whose `feature` code is ≤ `bin` go left; `score` is the children's
  /// summed Gini score (see `NodeTotals.score`).
  struct Split {
    var feature: Int
    var bin: Int
    var score: Double
  }

  /// The best split of a node's rows over `mtry` features drawn without replacement (a partial
  /// Fisher–Yates shuffle of `workspace.features`, continued from node to node); nil when none
  /// beats the node itself by a relative 1e-12 (floating-point noise is not a split).
  ///
  /// Features with a single bin are drawn but not searched. Among equal scores the first found
  /// wins: the earlier drawn feature, then the lower bin.
  ///
  /// - Complexity: O(mtry × (rows + bins)).
  func findBestSplit(_ workspace: Workspace, _ rows: Range<Int>, _ totals: NodeTotals,
                     _ rng: inout SeededGenerator) -> Split? {
    let d = bins.columns
    var best = Split(feature: -1, bin: -1, score: totals.score * (1 + 1e-12))
    for k in 0..<mtry {
      let j = k + rng.integer(below: d - k)
      workspace.features.swapAt(k, j)
      let feature = workspace.features[k]
      let binCount = bins.binCount(feature)
      if binCount < 2 { continue }
      // A node with few rows touches few bins: mark them and scan only those (see
      // `scanHistogram`).
      let sparse = rows.count * 4 < binCount
      workspace.buildHistogram(feature: feature, rows: rows, sparse: sparse)
      workspace.scanHistogram(feature: feature, binCount: binCount, sparse: sparse, totals: totals,
                              minLeafSize: minLeafSize, best: &best)
    }
    return best.feature >= 0 ? best : nil
  }
}

/// A node's class weights: with unit weights the counts of draws (exact in Double), otherwise
/// the summed sample weights times draws.
struct NodeTotals {
  /// Weight of the retained (label 0) draws, w₀.
  var retained: Double
  /// Weight of the churned (label 1) draws, w₁.
  var churned: Double
  /// Number of draws (a row drawn twice counts twice), for `minLeafSize`.
  var draws: Int

  /// w = w₀ + w₁.
  var weight: Double { retained + churned }

  /// The node's Gini score; a split's score is the sum of its children's, and the best split
  /// maximises it:
  ///
  /// ```
  /// score = (w₀² + w₁²) / w = w − w · Gini,   Gini = 1 − (w₀/w)² − (w₁/w)²
  /// ```
  ///
  /// so a split's score minus its parent's is its weighted Gini decrease (scikit-learn's impurity
  /// decrease times the node's weight).
  var score: Double {
    let w = weight
    return (retained * retained + churned * churned) / w
  }
}

extension TreeGrower {
  /// Everything one tree's growth reads and writes, as raw buffers allocated once per tree
  /// (phase 2) and freed by `deallocate()`.
  ///
  /// The sampled rows are laid out by position: `rows[p]` is a row index and `counts[p]` (and,
  /// with weights other than 1, `churnedWeight[p]`, `retainedWeight[p]`) belong to it and move
  /// with it when a node is partitioned, so a node is a range of positions and the passes over
  /// its rows read these sequentially. With unit weights (`counted`) the class weights are the
  /// counts themselves: integer histograms, 12 bytes a row read instead of 28, and the same sums
  /// (integers are exact in Double), so the same trees.
  ///
  /// A row's two counts are one `UInt64`, its draws in the low 32 bits and its churned draws
  /// in the high 32, so a histogram bin adds both in one addition: no half carries into the
  /// other, since a tree draws fewer than 2³² rows (`Hyperparameters.sampleFraction` ≤ 10).
  ///
  /// A value type of pointers: copies share the buffers, and methods write through them.
  struct Workspace {
    /// Column-major bin codes, `codes[j * n + i]`; valid for the tree's growth.
    let codes: UnsafeBufferPointer<UInt8>
    /// Rows in the data (n).
    let n: Int
    /// Distinct rows drawn (m): the positions 0..<m.
    let sampled: Int
    /// All weights are 1: the class weights are counts.
    let counted: Bool
    let rows: UnsafeMutableBufferPointer<Int32>
    /// Draws | churned draws << 32 (see above).
    let counts: UnsafeMutableBufferPointer<UInt64>
    /// Empty when `counted`.
    let churnedWeight: UnsafeMutableBufferPointer<Double>
    /// Empty when `counted`.
    let retainedWeight: UnsafeMutableBufferPointer<Double>
    /// The feature order of the partial Fisher–Yates draws, 0..<d to start with.
    let features: UnsafeMutableBufferPointer<Int>
    /// Class histograms by bin (`buildHistogram`), all zero between uses.
    let binRetained: UnsafeMutableBufferPointer<Double>
    let binChurned: UnsafeMutableBufferPointer<Double>
    /// Σ counts by bin: draws | churned draws << 32.
    let binCounts: UnsafeMutableBufferPointer<UInt64>
    /// Sparse nodes: which bins hold rows, as 256 bits; all zero between uses.
    let touched: UnsafeMutableBufferPointer<UInt64>

    /// Phase 2: lays out the rows drawn at least once, in row order, with their draw counts and
    /// class weights. `codes` must outlive the workspace.
    ///
    /// - Complexity: O(n).
    init(_ grower: TreeGrower, counts: [UInt16], codes: UnsafeBufferPointer<UInt8>) {
      let labels = grower.labels, weights = grower.weights
      self.codes = codes
      n = grower.bins.rows
      counted = weights.allSatisfy { $0 == 1 }
      // The distinct rows drawn, and all draws (which must fit the counts' 32-bit halves), in one pass.
      var distinct = 0, drawn = 0
      for c in counts where c > 0 {
        distinct += 1
        drawn += Int(c)
      }
      precondition(drawn < 1 << 32, "a tree draws fewer than 2³² rows")
      sampled = distinct
      rows = .allocate(capacity: sampled)
      self.counts = .allocate(capacity: sampled)
      churnedWeight = .allocate(capacity: counted ? 0 : sampled)
      retainedWeight = .allocate(capacity: counted ? 0 : sampled)
      var p = 0
      for (i, c) in counts.enumerated() where c > 0 {
        let churned = labels[i] == 1
        rows[p] = Int32(i)
        self.counts[p] = UInt64(c) | (churned ? UInt64(c) << 32 : 0)
        if !counted {
          churnedWeight[p] = churned ? weights[i] * Double(c) : 0
          retainedWeight[p] = churned ? 0 : weights[i] * Double(c)
        }
        p += 1
      }
      features = .allocate(capacity: grower.bins.columns)
      for j in features.indices { features[j] = j }
      binRetained = .allocate(capacity: 256)
      binRetained.initialize(repeating: 0)
      binChurned = .allocate(capacity: 256)
      binChurned.initialize(repeating: 0)
      binCounts = .allocate(capacity: 256)
      binCounts.initialize(repeating: 0)
      touched = .allocate(capacity: 4)
      touched.initialize(repeating: 0)
    }

    /// Frees the buffers (not `codes`); the workspace is not used after.
    func deallocate() {
      rows.deallocate()
      for buffer in [counts, binCounts] { buffer.deallocate() }
      for buffer in [churnedWeight, retainedWeight, binRetained, binChurned] { buffer.deallocate() }
      features.deallocate()
      touched.deallocate()
    }

    /// The class weights and draws of the rows at `positions`.
    ///
    /// - Complexity: O(positions.count).
    func totals(_ positions: Range<Int>) -> NodeTotals {
      var w0 = 0.0, w1 = 0.0, count = 0
      if counted {
        var sum: UInt64 = 0
        for r in positions { sum &+= counts[r] }
        count = Int(sum & 0xffff_ffff)
        let positive = Int(sum >> 32)
        w1 = Double(positive)
        w0 = Double(count - positive)
      } else {
        for r in positions {
          w1 += churnedWeight[r]
          w0 += retainedWeight[r]
          count += Int(counts[r] & 0xffff_ffff)
        }
      }
      return NodeTotals(retained: w0, churned: w1, draws: count)
    }

    /// Adds the rows at `positions` into the class histograms by their code on `feature`; with
    /// `sparse`, also marks the bins touched. The histograms must be zero (`scanHistogram`
    /// leaves them so).
    ///
    /// ```
    /// binCounts[b] = Σ counts[p]   (draws | churned draws << 32)
    /// binChurned[b] = Σ churnedWeight[p],   binRetained[b] = Σ retainedWeight[p]   (weighted)
    /// over the positions p whose row has code b on the feature
    /// ```
    ///
    /// - Complexity: O(positions.count), one random read of a code a row.
    func buildHistogram(feature: Int, rows positions: Range<Int>, sparse: Bool) {
      let column = codes.baseAddress! + feature * n
      switch (counted, sparse) {
      case (true, false):
        for r in positions {
          let b = Int(column[Int(rows[r])])
          binCounts[b] &+= counts[r]
        }
      case (true, true):
        for r in positions {
          let b = Int(column[Int(rows[r])])
          touched[b >> 6] |= 1 << UInt64(b & 63)
          binCounts[b] &+= counts[r]
        }
      case (false, true):
        for r in positions {
          let b = Int(column[Int(rows[r])])
          touched[b >> 6] |= 1 << UInt64(b & 63)
          binChurned[b] += churnedWeight[r]
          binRetained[b] += retainedWeight[r]
          binCounts[b] &+= counts[r]
        }
      case (false, false):
        for r in positions {
          let b = Int(column[Int(rows[r])])
          binChurned[b] += churnedWeight[r]
          binRetained[b] += retainedWeight[r]
          binCounts[b] &+= counts[r]
        }
      }
    }

    /// Scans the splits "code ≤ b goes left" of `feature` in increasing b and replaces `best`
    /// with the first that beats its score; zeroes the histograms (and `touched`) as it goes.
    ///
    /// Dense: every bin but the last. Sparse: only the touched bins (the set bits of `touched`,
    /// in order); the split chosen is the same, since an empty bin never beats the non-empty
    /// bin before it. A split is allowed when each side keeps at least `minLeafSize` draws and
    /// a positive weight; its score, from the running left sums (l₀, l₁) and r = totals − l:
    ///
    /// ```
    /// score = (l₀² + l₁²) / (l₀ + l₁) + (r₀² + r₁²) / (w − (l₀ + l₁))
    /// ```
    ///
    /// - Complexity: O(binCount) dense, O(touched bins + 4) sparse.
    func scanHistogram(feature: Int, binCount: Int, sparse: Bool, totals: NodeTotals, minLeafSize: Int,
                       best: inout Split) {
      let w0 = totals.retained, w1 = totals.churned, w = totals.weight, count = totals.draws
      var l0 = 0.0, l1 = 0.0, lc = 0
      var word = 0, bits = touched[0]
      var b = -1
      while true {
        if sparse {
          while bits == 0 && word < 3 {
            word += 1
            bits = touched[word]
          }
          if bits == 0 { break }
          b = word << 6 | bits.trailingZeroBitCount
          bits &= bits - 1
        } else {
          b += 1
          if b >= binCount { break }
        }
        let c = binCounts[b]
        binCounts[b] = 0
        let drawn = Int(c & 0xffff_ffff)
        if counted {
          let ly = Int(c >> 32)
          l1 += Double(ly)
          l0 += Double(drawn - ly)
        } else {
          l0 += binRetained[b]
          l1 += binChurned[b]
          binRetained[b] = 0
          binChurned[b] = 0
        }
        lc += drawn
        if lc < minLeafSize || lc >= count { continue }
        if count - lc < minLeafSize { continue }
        let wl = l0 + l1, wr = w - wl
        if wl <= 0 || wr <= 0 { continue }
        let r0 = w0 - l0, r1 = w1 - l1
        let score = (l0 * l0 + l1 * l1) / wl + (r0 * r0 + r1 * r1) / wr
        if score > best.score { best = Split(feature: feature, bin: b, score: score) }
      }
      for k in 0..<4 { touched[k] = 0 }
    }

    /// Partitions the rows at `positions` (and what moves with them) in place: rows whose code
    /// on `feature` is ≤ `bin` first, in their order; the others after (order not kept).
    ///
    /// - Returns: the first position of the right side.
    /// - Complexity: O(positions.count).
    func partition(_ positions: Range<Int>, feature: Int, bin: Int) -> Int {
      let column = codes.baseAddress! + feature * n
      var split = positions.lowerBound
      for r in positions where Int(column[Int(rows[r])]) <= bin {
        rows.swapAt(r, split)
        counts.swapAt(r, split)
        if !counted {
          churnedWeight.swapAt(r, split)
          retainedWeight.swapAt(r, split)
        }
        split += 1
      }
      return split
    }
  }
}

extension DecisionTree {
  /// Appends a leaf with value and cover 0 and returns its index.
  fileprivate mutating func addNode() -> Int {
    feature.append(-1)
    threshold.append(0)
    left.append(-1)
    right.append(-1)
    value.append(0)
    cover.append(0)
    return feature.count - 1
  }

  /// Turns leaf `node` into the split "`feature` ≤ `threshold`", credits `feature` with
  /// `impurityDecrease`, and appends its two children (left first).
  ///
  /// - Returns: the children's indices.
  fileprivate mutating func split(_ node: Int, on feature: Int, threshold: Double, impurityDecrease: Double) -> (left: Int, right: Int) {
    self.feature[node] = Int32(feature)
    self.threshold[node] = threshold
    self.impurityDecrease[feature] += impurityDecrease
    let left = addNode(), right = addNode()
    self.left[node] = Int32(left)
    self.right[node] = Int32(right)
    return (left, right)
  }
}
