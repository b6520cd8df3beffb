import ChurnCore
import Dispatch
import Foundation

/// A fitted random forest: its trees, out-of-bag predictions and impurity importances.
public struct ForestModel: Sendable, Equatable, Codable {
  public let featureNames: [String]
  public let trees: [DecisionTree]
  /// Each training row's mean prediction over the trees that did not draw it (NaN if all did).
  public let outOfBag: [Double]
  /// Mean decrease in Gini impurity per feature, summing to 1. Biased toward features with many
  /// split points (continuous columns over binary ones): read it beside permutation importance.
  public let impurityImportance: [Double]
  public let seed: UInt64
  public let featuresPerSplit: Int
  public let minLeafSize: Int
  /// All trees' nodes in one set of arrays, for prediction without per-tree overhead.
  let flat: FlatForest

  enum CodingKeys: String, CodingKey {
    case featureNames, trees, packedTrees, outOfBag, impurityImportance, seed, featuresPerSplit, minLeafSize
  }

  /// Writes the trees packed (`PackedTrees`), a few bytes a node.
  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(featureNames, forKey: .featureNames)
    try c.encode(PackedTrees(trees, features: featureNames.count), forKey: .packedTrees)
    try c.encode(outOfBag, forKey: .outOfBag)
    try c.encode(impurityImportance, forKey: .impurityImportance)
    try c.encode(seed, forKey: .seed)
    try c.encode(featuresPerSplit, forKey: .featuresPerSplit)
    try c.encode(minLeafSize, forKey: .minLeafSize)
  }

  init(featureNames: [String], trees: [DecisionTree], outOfBag: [Double], impurityImportance: [Double], seed: UInt64,
       featuresPerSplit: Int, minLeafSize: Int) {
    self.featureNames = featureNames
    self.trees = trees
    self.outOfBag = outOfBag
    self.impurityImportance = impurityImportance
    self.seed = seed
    self.featuresPerSplit = featuresPerSplit
    self.minLeafSize = minLeafSize
    flat = FlatForest(trees)
  }

  /// Reads packed trees, or the arrays of numbers earlier versions wrote.
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let trees: [DecisionTree]
    if let packed = try c.decodeIfPresent(PackedTrees.self, forKey: .packedTrees) {
      do { trees = try packed.decoded() } catch {
        throw DecodingError.dataCorruptedError(forKey: .packedTrees, in: c, debugDescription: "\(error)")
      }
    } else {
      trees = try c.decode([DecisionTree].self, forKey: .trees)
    }
    self.init(featureNames: try c.decode([String].self, forKey: .featureNames), trees: trees,
              outOfBag: try c.decode([Double].self, forKey: .outOfBag),
              impurityImportance: try c.decode([Double].self, forKey: .impurityImportance), seed: try c.decode(UInt64.self, forKey: .seed),
              featuresPerSplit: try c.decode(Int.self, forKey: .featuresPerSplit), minLeafSize: try c.decode(Int.self, forKey: .minLeafSize))
  }

  /// The same forest with every node's value v (a weighted churn proportion) replaced by
  /// σ(logit v + shift). With shift = logit τ − logit ȳ_w this turns class-weighted leaf
  /// proportions back into unweighted ones exactly, leaf by leaf (King & Zeng's prior
  /// correction applied where a forest's probabilities are made, before trees are averaged).
  /// Inner nodes then hold the cover-weighted mean of their children, as TreeSHAP's expected
  /// values need. Out-of-bag predictions are left as fitted.
  func shiftingNodeOdds(by shift: Double) -> ForestModel {
    let shifted = trees.map { tree -> DecisionTree in
      var t = tree
      for k in stride(from: t.nodeCount - 1, through: 0, by: -1) {
        if t.feature[k] < 0 {
          t.value[k] = Float(Calibration.shift(Double(t.value[k]), by: shift))
        } else {
          let l = Int(t.left[k]), r = Int(t.right[k])
          let total = Double(t.cover[l]) + Double(t.cover[r])
          t.value[k] = Float((Double(t.cover[l]) * Double(t.value[l]) + Double(t.cover[r]) * Double(t.value[r])) / max(total, .leastNormalMagnitude))
        }
      }
      return t
    }
    return ForestModel(featureNames: featureNames, trees: shifted, outOfBag: outOfBag, impurityImportance: impurityImportance, seed: seed,
                       featuresPerSplit: featuresPerSplit, minLeafSize: minLeafSize)
  }

  public static func == (a: ForestModel, b: ForestModel) -> Bool {
    a.featureNames == b.featureNames && a.trees == b.trees && a.impurityImportance == b.impurityImportance && a.seed == b.seed
      && a.featuresPerSplit == b.featuresPerSplit && a.minLeafSize == b.minLeafSize
      && zip(a.outOfBag, b.outOfBag).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
  }

  /// Churn probabilities: the mean leaf value over the trees, one per row.
  ///
  /// Nodes are packed in depth-first order (a left child right after its parent), 8 bytes each
  /// when inputs are coded against the forest's thresholds (`BinnedForest`: always, for trees
  /// grown here), and each tree is walked by 8 rows in lockstep without branches, so 8
  /// independent memory reads are in flight instead of one chain of dependent ones.
  ///
  /// - Complexity: O(rows × trees × depth); no thread pool for fewer than 2,048 rows, so one
  ///   customer scores in microseconds.
  public func probabilities(_ x: Matrix) -> [Double] {
    precondition(x.columns == featureNames.count, "The forest has \(featureNames.count) features; the input has \(x.columns) columns")
    var out = [Double](repeating: 0, count: x.rows)
    let scale = 1 / Double(trees.count)
    let chunks = x.rows < 2048 ? 1 : min(ProcessInfo.processInfo.activeProcessorCount, (x.rows + 2047) / 2048)
    let flat = self.flat
    x.storage.withUnsafeBufferPointer { xs in
      out.withUnsafeMutableBufferPointer { o in
        nonisolated(unsafe) let input = xs, output = o
        let d = x.columns, n = x.rows
        let work: @Sendable (Int) -> Void = { c in
          let lower = c * n / chunks, upper = (c + 1) * n / chunks
          if let binned = flat.binned {
            binned.predict(input, columns: d, rows: lower..<upper, roots: flat.roots, scale: scale, into: output)
          } else {
            flat.predict(input, columns: d, rows: lower..<upper, scale: scale, into: output)
          }
        }
        if chunks == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: chunks) { work($0) } }
      }
    }
    return out
  }

  /// Path contributions of row `row` (Saabas; the `treeinterpreter` method): walking each tree
  /// from the root, the change in node value at a split is credited to the split's feature.
  /// Additive: the mean root value plus the contributions is the forest's probability.
  public func pathContributions(_ x: Matrix, row: Int) -> (base: Double, contributions: [Double]) {
    var contributions = [Double](repeating: 0, count: featureNames.count)
    var base = 0.0
    for tree in trees {
      var k = 0
      base += Double(tree.value[0])
      while tree.feature[k] >= 0 {
        let f = Int(tree.feature[k])
        let next = Int(x[row, f] <= tree.threshold[k] ? tree.left[k] : tree.right[k])
        contributions[f] += Double(tree.value[next]) - Double(tree.value[k])
        k = next
      }
    }
    let scale = 1 / Double(trees.count)
    return (base * scale, contributions.map { $0 * scale })
  }

  public var nodeCount: Int { trees.reduce(0) { $0 + $1.nodeCount } }
}

/// Every tree's nodes in one array, each tree in depth-first order (left child at k + 1),
/// children as absolute indices. A leaf has feature 0, threshold NaN (so !(v ≤ threshold) holds
/// for every v, −∞ and NaN included) and `right` pointing to itself, so a walk that reaches it
/// stays there; its value is in `leafValues`.
struct FlatForest: Sendable {
  struct Node: Sendable {
    var threshold: Double
    var feature: Int32
    var right: Int32
  }

  let nodes: [Node]
  let leafValues: [Double]
  let roots: [Int32]
  /// The same nodes on coded inputs, when every feature has at most 255 thresholds.
  let binned: BinnedForest?

  init(_ trees: [DecisionTree]) {
    var nodes: [Node] = [], roots: [Int32] = [], leafValues: [Double] = []
    nodes.reserveCapacity(trees.reduce(0) { $0 + $1.nodeCount })
    for tree in trees {
      roots.append(Int32(nodes.count))
      // Depth-first, left first; a split's `right` is patched when its right subtree starts.
      var stack: [(node: Int, parent: Int)] = [(0, -1)]
      while let (k, parent) = stack.popLast() {
        if parent >= 0 { nodes[parent].right = Int32(nodes.count) }
        if tree.feature[k] < 0 {
          nodes.append(Node(threshold: .nan, feature: 0, right: Int32(nodes.count)))
        } else {
          let at = nodes.count
          nodes.append(Node(threshold: tree.threshold[k], feature: tree.feature[k], right: -1))
          stack.append((Int(tree.right[k]), at))
          stack.append((Int(tree.left[k]), -1))
        }
      }
    }
    leafValues = [Double](repeating: 0, count: nodes.count)
    var at = 0
    for tree in trees {
      // The same depth-first order as above.
      var stack = [0]
      while let k = stack.popLast() {
        if tree.feature[k] < 0 { leafValues[at] = Double(tree.value[k]) } else {
          stack.append(Int(tree.right[k]))
          stack.append(Int(tree.left[k]))
        }
        at += 1
      }
    }
    self.nodes = nodes
    self.leafValues = leafValues
    self.roots = roots
    binned = BinnedForest(nodes, leafValues: leafValues, columns: Int(nodes.lazy.map(\.feature).max() ?? -1) + 1)
  }

  /// Rows `rows` of the row-major input: output[i] = scale · Σ over trees of the leaf reached.
  ///
  /// For forests `BinnedForest` cannot code. Tree by tree over blocks of 8,192 rows: each tree
  /// is brought into cache once a block.
  func predict(_ input: UnsafeBufferPointer<Double>, columns d: Int, rows: Range<Int>, scale: Double,
               into output: UnsafeMutableBufferPointer<Double>) {
    nodes.withUnsafeBufferPointer { nodes in
      leafValues.withUnsafeBufferPointer { leafValues in
        var at = (Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0))
        withUnsafeMutableBytes(of: &at) { raw in
          let k = raw.baseAddress!.assumingMemoryBound(to: Int32.self)
          var blockStart = rows.lowerBound
          while blockStart < rows.upperBound {
            let blockEnd = min(rows.upperBound, blockStart + 8192)
            for i in blockStart..<blockEnd { output[i] = 0 }
            for root in roots {
              var i = blockStart
              while i < blockEnd {
                let lanes = min(8, blockEnd - i)
                for j in 0..<lanes { k[j] = root }
                // Branch-free steps: a split goes to k + 1 or `right`; a leaf points
                // to itself (threshold NaN, right = k), so finished lanes stand still.
                var moving = true
                while moving {
                  var moved: Int32 = 0
                  for j in 0..<lanes {
                    let at = k[j]
                    let node = nodes[Int(at)]
                    let v = input[(i + j) * d + Int(node.feature)]
                    let goRight = Int32(unsafeBitCast(!(v <= node.threshold), to: UInt8.self))
                    let next = (at &+ 1) &+ goRight &* (node.right &- at &- 1)
                    moved |= next ^ at
                    k[j] = next
                  }
                  moving = moved != 0
                }
                for j in 0..<lanes { output[i + j] += leafValues[Int(k[j])] }
                i += lanes
              }
            }
            for i in blockStart..<blockEnd { output[i] *= scale }
            blockStart = blockEnd
          }
        }
      }
    }
  }
}

/// The forest's splits on codes instead of values: per feature, the distinct thresholds its
/// splits use, sorted (at most 255: trees split on training bins); a value's code is how many
/// of them lie strictly below it (NaN: 255), so `value ≤ thresholds[j]` exactly when
/// `code ≤ j`. A block of rows is coded once (one byte a value instead of eight), and each node
/// shrinks to 8 bytes with a leaf's value inside it: a tree and its block of rows fit in L2
/// together, and reaching a leaf costs no read of a separate array.
struct BinnedForest: Sendable {
  /// One UInt64 a node. Split: feature in bits 0–14, bit 15 clear, bin (Int16) in 16–31,
  /// right child in 32–63; rows go right when code > bin, else to the next node. Leaf: bit 15
  /// set (the walk adds 0 instead of 1, so it stands still), bin `leafBin` (never right) and
  /// the value's Float bits in 32–63.
  let words: [UInt64]
  /// Per feature, the sorted distinct thresholds (empty if no split uses it).
  let cuts: [[Double]]
  /// Per feature, `cuts` padded with +∞ to 256 entries: a value's code is found in 8 fixed
  /// steps without branches.
  let paddedCuts: [Double]
  static let leafBin: Int32 = 0x7FFF

  /// `nil` when some feature has more than 255 distinct thresholds or there are more than
  /// 32,768 features (then prediction compares values).
  init?(_ flat: [FlatForest.Node], leafValues: [Double], columns: Int) {
    guard columns <= 1 << 15 else { return nil }
    var perFeature = [[Double]](repeating: [], count: columns)
    // A leaf points to itself.
    for (k, node) in flat.enumerated() where node.right != Int32(k) { perFeature[Int(node.feature)].append(node.threshold) }
    var cuts: [[Double]] = []
    for var list in perFeature {
      list.sort()
      var unique: [Double] = []
      for v in list where unique.last != v { unique.append(v) }
      guard unique.count <= 255 else { return nil }
      cuts.append(unique)
    }
    words = flat.enumerated().map { k, node in
      guard node.right != Int32(k) else {
        return 1 << 15 | UInt64(UInt16(Self.leafBin)) << 16 | UInt64(Float(leafValues[k]).bitPattern) << 32
      }
      let list = cuts[Int(node.feature)]
      var lo = 0, hi = list.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if list[mid] < node.threshold { lo = mid + 1 } else { hi = mid }
      }
      return UInt64(UInt16(node.feature)) | UInt64(UInt16(lo)) << 16 | UInt64(UInt32(bitPattern: node.right)) << 32
    }
    self.cuts = cuts
    paddedCuts = cuts.flatMap { $0 + [Double](repeating: .infinity, count: 256 - $0.count) }
  }

  /// Rows coded and walked together: 2,048 × 50 codes (100 KB) and a tree (about 160 KB for
  /// 80,000 training rows and leaves of 1) share L2; measured 4,096 rows 1.2× slower.
  static let blockRows = 2048

  func predict(_ input: UnsafeBufferPointer<Double>, columns d: Int, rows: Range<Int>, roots: [Int32],
               scale: Double, into output: UnsafeMutableBufferPointer<Double>) {
    let used = cuts.indices.filter { !cuts[$0].isEmpty }
    var codes = [UInt8](repeating: 0, count: Self.blockRows * max(d, 1))
    words.withUnsafeBufferPointer { words in
      codes.withUnsafeMutableBufferPointer { codes in
        /// One step of a walk from node `at` for the row whose codes start at `base`. The node in
        /// one 8-byte load: with fields loaded one by one, `right` was read only when needed and
        /// the step became a mispredicted branch. Bit 15 is 1 for a leaf: the next node is k + 1
        /// for a split, k for a leaf. All arithmetic: written as compares, the step became a
        /// branch that mispredicts at every other node.
        @inline(__always) func step(_ at: Int32, _ base: Int) -> Int32 {
          let word = words[Int(at)]
          let bin = Int32(Int16(truncatingIfNeeded: word >> 16))
          let code = Int32(codes[base &+ Int(truncatingIfNeeded: word & 0x7FFF)])
          let stay = at &+ 1 &- Int32(truncatingIfNeeded: (word >> 15) & 1)
          let goRight = (bin &- code) >> 31  // −1 when code > bin, else 0
          return stay ^ ((stay ^ Int32(truncatingIfNeeded: word >> 32)) & goRight)
        }
        @inline(__always) func leafValue(_ leaf: Int32) -> Double {
          Double(Float(bitPattern: UInt32(truncatingIfNeeded: words[Int(leaf)] >> 32)))
        }
        var blockStart = rows.lowerBound
        while blockStart < rows.upperBound {
          let blockEnd = min(rows.upperBound, blockStart + Self.blockRows)
          let count = blockEnd - blockStart
          paddedCuts.withUnsafeBufferPointer { padded in
            for j in used {
              let list = padded.baseAddress! + j * 256
              for r in 0..<count {
                let v = input[(blockStart &+ r) &* d &+ j]
                // How many cuts are < v: 8 halvings over 256 entries (the padding,
                // +∞, is never below v).
                var below = 0
                var half = 128
                while half > 0 {
                  below &+= list[below &+ half &- 1] < v ? half : 0
                  half >>= 1
                }
                codes[r &* d &+ j] = v.isNaN ? 255 : UInt8(truncatingIfNeeded: below)
              }
            }
          }
          for i in blockStart..<blockEnd { output[i] = 0 }
          for root in roots {
            var r = 0
            // Full groups of 8: the lanes in registers, the 8 steps written out, so each
            // lane's chain is node load → code load → arithmetic, with no store and reload
            // of its position between steps.
            while r + 8 <= count {
              let b0 = r &* d, b1 = b0 &+ d, b2 = b1 &+ d, b3 = b2 &+ d, b4 = b3 &+ d, b5 = b4 &+ d, b6 = b5 &+ d, b7 = b6 &+ d
              var k0 = root, k1 = root, k2 = root, k3 = root, k4 = root, k5 = root, k6 = root, k7 = root
              while true {
                let n0 = step(k0, b0), n1 = step(k1, b1), n2 = step(k2, b2), n3 = step(k3, b3)
                let n4 = step(k4, b4), n5 = step(k5, b5), n6 = step(k6, b6), n7 = step(k7, b7)
                let moved = (n0 ^ k0) | (n1 ^ k1) | (n2 ^ k2) | (n3 ^ k3) | (n4 ^ k4) | (n5 ^ k5) | (n6 ^ k6) | (n7 ^ k7)
                (k0, k1, k2, k3, k4, k5, k6, k7) = (n0, n1, n2, n3, n4, n5, n6, n7)
                if moved == 0 { break }
              }
              let leaves = (k0, k1, k2, k3, k4, k5, k6, k7)
              withUnsafeBytes(of: leaves) { raw in
                for j in 0..<8 { output[blockStart &+ r &+ j] += leafValue(raw.load(fromByteOffset: 4 * j, as: Int32.self)) }
              }
              r += 8
            }
            // The last few rows of the block (at most 7), one at a time.
            while r < count {
              var at = root
              while true {
                let next = step(at, r &* d)
                if next == at { break }
                at = next
              }
              output[blockStart &+ r] += leafValue(at)
              r += 1
            }
          }
          for i in blockStart..<blockEnd { output[i] *= scale }
          blockStart = blockEnd
        }
      }
    }
  }
}
