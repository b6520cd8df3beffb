import ChurnCore
import Dispatch
import Foundation
import Synchronization

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
  let walk: ForestWalk
  /// Per tree, its depth and the most distinct features on a path (what TreeSHAP's
  /// quadrature needs) and its expected value, found once instead of for every customer.
  let shapleyLevels: TreeEnsembleSHAP.Levels

  enum CodingKeys: String, CodingKey {
    case featureNames, trees, packedTrees, outOfBag, impurityImportance, seed, featuresPerSplit, minLeafSize
  }

  /// Writes the trees packed (`PackedTrees`), a few bytes a node.
  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(featureNames, forKey: .featureNames)
    try c.encode(PackedTrees(trees, features: featureNames.count), forKey: .packedTrees)
    // A row every tree drew has no out-of-bag prediction: null (JSON has no NaN).
    try c.encode(outOfBag.map { $0.isNaN ? nil : $0 }, forKey: .outOfBag)
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
    walk = ForestWalk(trees)
    shapleyLevels = TreeEnsembleSHAP.levels(trees, columns: featureNames.count)
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
    let featureNames = try c.decode([String].self, forKey: .featureNames)
    // Checked before the walk is built from them: a damaged tree must be an error, not a trap.
    for (t, tree) in trees.enumerated() {
      if let problem = tree.decodingProblem(features: featureNames.count) {
        throw DecodingError.dataCorruptedError(forKey: c.contains(.packedTrees) ? .packedTrees : .trees, in: c,
                                               debugDescription: "well-formed trees (tree \(t): \(problem))")
      }
    }
    self.init(featureNames: featureNames, trees: trees,
              outOfBag: try c.decode([OutOfBagValue].self, forKey: .outOfBag).map(\.value),
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

  /// An out-of-bag prediction as stored: a number, or null (older files: the string "nan") for none.
  struct OutOfBagValue: Decodable {
    var value: Double
    init(from decoder: Decoder) throws {
      let c = try decoder.singleValueContainer()
      if c.decodeNil() {
        value = .nan
      } else if let text = try? c.decode(String.self), text == "nan" {
        value = .nan
      } else {
        value = try c.decode(Double.self)
        guard (0...1).contains(value) else {
          throw DecodingError.dataCorruptedError(in: c, debugDescription: "a probability in [0, 1] or null")
        }
      }
    }
  }

  /// Churn probabilities: the mean leaf value over the trees, one per row.
  ///
  /// Inputs are coded against the forest's thresholds a block of rows at a time, nodes are
  /// 8 bytes (`BinnedForest`: always, for trees grown here), and each tree is walked by 8 rows
  /// in lockstep without branches, so 8 independent memory reads are in flight instead of one
  /// chain of dependent ones.
  ///
  /// - Complexity: O(rows × trees × depth); no thread pool for fewer than 2,048 rows, so one
  ///   customer scores in microseconds.
  public func probabilities(_ x: Matrix) -> [Double] {
    precondition(x.columns == featureNames.count, "The forest has \(featureNames.count) features; the input has \(x.columns) columns")
    let x = x.rowMajor
    var out = [Double](repeating: 0, count: x.rows)
    let scale = 1 / Double(trees.count)
    let chunks = x.rows < 2048 ? 1 : min(ProcessInfo.processInfo.activeProcessorCount, (x.rows + 2047) / 2048)
    let walk = self.walk
    x.storage.withUnsafeBufferPointer { xs in
      out.withUnsafeMutableBufferPointer { o in
        nonisolated(unsafe) let input = xs, output = o
        let d = x.columns, n = x.rows
        let work: @Sendable (Int) -> Void = { c in
          let lower = c * n / chunks, upper = (c + 1) * n / chunks
          switch walk {
          case .coded(let forest): forest.predict(input, columns: d, rows: lower..<upper, scale: scale, into: output)
          case .values(let forest): forest.predict(input, columns: d, rows: lower..<upper, scale: scale, into: output)
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
    let (roots, contributions) = TreeEnsembleSHAP.pathSum(trees, x, row: row)
    let scale = 1 / Double(trees.count)
    return (roots * scale, contributions.map { $0 * scale })
  }

  public var nodeCount: Int { trees.reduce(0) { $0 + $1.nodeCount } }
}

/// How a forest is walked: on coded inputs when it can be coded (every feature has at most 255
/// thresholds: always for trees grown here), else on the values.
enum ForestWalk: Sendable {
  case coded(BinnedForest)
  case values(FlatForest)

  init(_ trees: [DecisionTree]) {
    let columns = trees.reduce(0) { max($0, Int($1.feature.max() ?? -1) + 1) }
    if let coded = BinnedForest(trees, columns: columns) { self = .coded(coded) } else { self = .values(FlatForest(trees)) }
  }
}

/// Every tree's nodes in one array, each tree in depth-first order (left child at k + 1),
/// children as absolute indices. A leaf has feature 0, threshold NaN (so !(v ≤ threshold) holds
/// for every v, −∞ and NaN included) and `right` pointing to itself, so a walk that reaches it
/// stays there; its value is in `leafValues`. A split that sends missing values left
/// (`DecisionTree.defaultLeft`) stores its feature f as ~f (negative), so a node stays 16 bytes.
struct FlatForest: Sendable {
  struct Node: Sendable {
    var threshold: Double
    var feature: Int32
    var right: Int32
  }

  let nodes: [Node]
  let leafValues: [Double]
  let roots: [Int32]

  init(_ trees: [DecisionTree]) {
    var nodes: [Node] = [], roots: [Int32] = [], leafValues: [Double] = []
    nodes.reserveCapacity(trees.reduce(0) { $0 + $1.nodeCount })
    leafValues.reserveCapacity(nodes.capacity)
    for tree in trees {
      roots.append(Int32(nodes.count))
      // Depth-first, left first; a split's `right` is patched when its right subtree starts.
      var stack: [(node: Int, parent: Int)] = [(0, -1)]
      while let (k, parent) = stack.popLast() {
        if parent >= 0 { nodes[parent].right = Int32(nodes.count) }
        leafValues.append(tree.feature[k] < 0 ? Double(tree.value[k]) : 0)
        if tree.feature[k] < 0 {
          nodes.append(Node(threshold: .nan, feature: 0, right: Int32(nodes.count)))
        } else {
          let at = nodes.count
          let sendsLeft = !tree.defaultLeft.isEmpty && tree.defaultLeft[k]
          nodes.append(Node(threshold: tree.threshold[k], feature: sendsLeft ? ~tree.feature[k] : tree.feature[k], right: -1))
          stack.append((Int(tree.right[k]), at))
          stack.append((Int(tree.left[k]), -1))
        }
      }
    }
    self.nodes = nodes
    self.leafValues = leafValues
    self.roots = roots
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
                    let f = node.feature, sendsLeft = f < 0
                    let v = input[(i + j) * d + Int(sendsLeft ? ~f : f)]
                    let goRight = Int32(unsafeBitCast(!(v <= node.threshold) && !(sendsLeft && v.isNaN), to: UInt8.self))
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
/// `code ≤ j`. A block of rows is coded once (one byte a value instead of eight, stored column
/// by column, so the 8 rows of a group read a feature's codes from one cache line), then every
/// tree walks the whole block: the tree enters cache once a block, and large blocks spread that
/// cost over many rows.
///
/// Nodes are 8 bytes, laid out per tree with siblings side by side, so a step is
/// `left + (code > bin)`: the first `topLevels` levels breadth-first (at most 16 KB that every
/// row walks through, kept in L1), below them each subtree depth-first (a node's children pair
/// right after it).
///
/// A split that sends missing values left (`DecisionTree.defaultLeft`) adds 1 to the code,
/// wrapping, before comparing with bin + 1: NaN's 255 becomes 0 and goes left, every other code
/// keeps its side. That needs codes of values below 255 (at most 254 thresholds on its feature:
/// always for boosted trees, whose bins have at most 254 cut points); else the walk compares values.
/// Forests with no such split walk without the addition (`PlainStep`).
struct BinnedForest: Sendable {
  /// One UInt64 a node: bits 0–30 the left child's index (the right child is the next one;
  /// a leaf: its own index), bit 31 the addition to the code (1: missing values go left),
  /// bits 32–39 the bin (rows go right when code (+ 1) > bin; a leaf: 255, which no code
  /// exceeds, so a walk that reaches it stays there), bits 40–63 the feature's offset in the
  /// block of codes (feature × `columnStride`).
  let words: [UInt64]
  /// Whether some split sends missing values left (then steps read bit 31).
  let sendsMissingLeft: Bool
  /// Each leaf's value at its index (0 at splits): read once per row and tree, after the walk.
  let leafValues: [Float]
  /// Each tree's root index.
  let roots: [Int32]
  /// Per feature, the sorted distinct thresholds (empty if no split uses it).
  let cuts: [[Double]]
  /// Per feature, `cuts` padded with +∞ to 256 entries: a value's code is found in 8 fixed
  /// steps without branches.
  let paddedCuts: [Double]

  /// Rows coded and walked together: 16,384 when there are up to 64 features, fewer beyond so
  /// that a block's codes stay near 1 MB (at least 512). Measured on 100 trees of 20,000
  /// nodes, 2 threads of 10,000 rows: 2,048-row blocks 0.044 s, 4,096 0.041 s, 8,192 0.037 s,
  /// 10,000 0.033 s (each tree's first touch of its lines, not the walk, set the difference).
  let blockRows: Int
  /// Bytes from one feature's codes to the next: `blockRows` plus a cache line, so that the
  /// features' codes for the same rows do not all fall into the same L1 sets.
  let columnStride: Int
  /// Blocks with at least this many rows read each tree once in address order before walking
  /// it (measured on 100 trees of 20,000 nodes: from 512 rows on the sweep paid, 3.5 → 3.3 µs
  /// a row at 16,384 rows, 10.7 → 7.5 µs at 512; at 128 rows it cost 5.2 → 8.8 µs).
  static let sweepMinimumRows = 256
  private static let sweepSink = Atomic<UInt64>(0)
  /// Levels laid out breadth-first at the top of each tree: 11 levels are at most 2,047 nodes,
  /// 16 KB. Measured, one thread, 20,000 rows: 1 level (depth-first throughout) 0.076 s,
  /// 8 levels 0.075 s, 11 levels 0.073 s, 14 levels 0.075 s.
  static let topLevels = 11

  /// `nil` when some feature has more than 255 distinct thresholds, a feature's offset does not
  /// fit 24 bits (more than about 29,000 features) or there are 2³¹ nodes or more (then
  /// prediction compares values).
  init?(_ trees: [DecisionTree], columns: Int) {
    let total = trees.reduce(0) { $0 + $1.nodeCount }
    blockRows = min(16384, max(512, (1 << 20) / max(columns, 1))) & ~63
    columnStride = blockRows + 64
    guard columns * columnStride <= 1 << 24, total < Int(Int32.max) else { return nil }
    var perFeature = [[Double]](repeating: [], count: columns)
    for tree in trees {
      for k in 0..<tree.nodeCount where tree.feature[k] >= 0 { perFeature[Int(tree.feature[k])].append(tree.threshold[k]) }
    }
    var cuts: [[Double]] = []
    for var list in perFeature {
      list.sort()
      var unique: [Double] = []
      for v in list where unique.last != v { unique.append(v) }
      guard unique.count <= 255 else { return nil }
      cuts.append(unique)
    }
    var sendsMissingLeft = false
    for tree in trees where !tree.defaultLeft.isEmpty {
      for k in 0..<tree.nodeCount where tree.defaultLeft[k] && tree.feature[k] >= 0 {
        // A value above all 255 thresholds would be coded 255, as NaN is.
        guard cuts[Int(tree.feature[k])].count <= 254 else { return nil }
        sendsMissingLeft = true
      }
    }
    var words = [UInt64](repeating: 0, count: total), leafValues = [Float](repeating: 0, count: total)
    var roots: [Int32] = []
    var next = 0
    for tree in trees {
      // Each node's index: children are given two adjacent indices when their parent is laid out.
      var at = [Int](repeating: 0, count: tree.nodeCount)
      at[0] = next
      next += 1
      func layOutChildren(_ k: Int) {
        at[Int(tree.left[k])] = next
        at[Int(tree.right[k])] = next + 1
        next += 2
      }
      var queue = [(node: 0, depth: 0)], head = 0
      var below: [Int] = []
      while head < queue.count {
        let (k, depth) = queue[head]
        head += 1
        guard tree.feature[k] >= 0 else { continue }
        if depth + 1 >= Self.topLevels { below.append(k); continue }
        layOutChildren(k)
        queue.append((Int(tree.left[k]), depth + 1))
        queue.append((Int(tree.right[k]), depth + 1))
      }
      for top in below {
        var stack = [top]
        while let k = stack.popLast() {
          guard tree.feature[k] >= 0 else { continue }
          layOutChildren(k)
          stack.append(Int(tree.right[k]))
          stack.append(Int(tree.left[k]))
        }
      }
      roots.append(Int32(at[0]))
      for k in 0..<tree.nodeCount {
        let i = at[k]
        if tree.feature[k] < 0 {
          words[i] = UInt64(i) | 255 << 32
          leafValues[i] = tree.value[k]
        } else {
          let list = cuts[Int(tree.feature[k])]
          var lo = 0, hi = list.count
          while lo < hi {
            let mid = (lo + hi) / 2
            if list[mid] < tree.threshold[k] { lo = mid + 1 } else { hi = mid }
          }
          let sendsLeft: UInt64 = !tree.defaultLeft.isEmpty && tree.defaultLeft[k] ? 1 : 0
          words[i] = UInt64(at[Int(tree.left[k])]) | sendsLeft << 31 | (UInt64(lo) + sendsLeft) << 32
            | UInt64(Int(tree.feature[k]) * columnStride) << 40
        }
      }
    }
    self.words = words
    self.sendsMissingLeft = sendsMissingLeft
    self.leafValues = leafValues
    self.roots = roots
    self.cuts = cuts
    paddedCuts = cuts.flatMap { $0 + [Double](repeating: .infinity, count: 256 - $0.count) }
  }

  /// Rows `rows` of the row-major input: output[i] = scale · Σ over trees of the leaf reached.
  func predict(_ input: UnsafeBufferPointer<Double>, columns d: Int, rows: Range<Int>, scale: Double,
               into output: UnsafeMutableBufferPointer<Double>) {
    // Column by column: feature j of block row r at j × columnStride + r.
    let codes = UnsafeMutablePointer<UInt8>.allocate(capacity: columnStride * max(d, 1))
    defer { codes.deallocate() }
    // Leaves read feature 0's codes (and ignore them): give them values when no split codes it.
    if cuts.first?.isEmpty ?? true { codes.initialize(repeating: 0, count: columnStride) }
    var blockStart = rows.lowerBound
    while blockStart < rows.upperBound {
      let blockEnd = min(rows.upperBound, blockStart + blockRows)
      code(input, columns: d, rows: blockStart..<blockEnd, into: codes)
      walk(UnsafePointer(codes), rows: blockStart..<blockEnd, scale: scale, into: output)
      blockStart = blockEnd
    }
  }

  /// Codes rows `rows` (at most `blockRows`) of the row-major input into a block laid out
  /// column by column: feature j of the block's row r at `codes[j × columnStride + r]`. Only
  /// features some split uses are written.
  func code(_ input: UnsafeBufferPointer<Double>, columns d: Int, rows: Range<Int>, into codes: UnsafeMutablePointer<UInt8>) {
    let count = rows.count, blockStart = rows.lowerBound, columnStride = self.columnStride
    paddedCuts.withUnsafeBufferPointer { padded in
      for j in cuts.indices where !cuts[j].isEmpty {
        let list = padded.baseAddress! + j * 256
        let column = codes + j * columnStride
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
          column[r] = v.isNaN ? 255 : UInt8(truncatingIfNeeded: below)
        }
      }
    }
  }

  /// The rows of one coded block (`code`): output[i] = scale · Σ over trees of the leaf reached,
  /// for i in `rows` (at most `blockRows`; block row r is output row rows.lowerBound + r).
  func walk(_ codes: UnsafePointer<UInt8>, rows: Range<Int>, scale: Double, into output: UnsafeMutableBufferPointer<Double>) {
    if sendsMissingLeft {
      walk(codes, rows: rows, scale: scale, into: output, MissingAwareStep.self)
    } else {
      walk(codes, rows: rows, scale: scale, into: output, PlainStep.self)
    }
  }

  /// `walk` with its step rule as a type, so that each rule gets its own specialized loop.
  @inline(__always)
  func walk<Step: BinnedStep>(_ codes: UnsafePointer<UInt8>, rows: Range<Int>, scale: Double, into output: UnsafeMutableBufferPointer<Double>,
                              _: Step.Type) {
    let count = rows.count, blockStart = rows.lowerBound
    words.withUnsafeBufferPointer { words in
      @inline(__always) func step(_ at: Int, _ row: UnsafePointer<UInt8>) -> Int { Step.step(words[at], row) }
      leafValues.withUnsafeBufferPointer { leafValues in
        let blockEnd = rows.upperBound
        for i in blockStart..<blockEnd { output[i] = 0 }
        for (t, root32) in roots.enumerated() {
          let root = Int(root32)
          if count >= Self.sweepMinimumRows {
            // One read per cache line of the tree, in address order: the hardware
            // prefetcher streams the tree into cache, instead of each row's walk
            // waiting on its first touch of a line. The sum is stored so that the
            // reads are not optimized away.
            let end = t + 1 < roots.count ? Int(roots[t + 1]) : words.count
            var i = root, touched: UInt64 = 0
            while i < end { touched &+= words[i]; i &+= 8 }
            i = root
            while i < end { touched &+= UInt64(leafValues[i].bitPattern); i &+= 16 }
            Self.sweepSink.store(touched, ordering: .relaxed)
          }
          var r = 0
          // Full groups of 8 rows: the lanes in registers, two steps of each between checks
          // for whether any lane still moves (lanes at a leaf stand still).
          while r + 8 <= count {
            let row = codes + r
            var k0 = root, k1 = root, k2 = root, k3 = root, k4 = root, k5 = root, k6 = root, k7 = root
            while true {
              k0 = step(k0, row); k1 = step(k1, row + 1); k2 = step(k2, row + 2); k3 = step(k3, row + 3)
              k4 = step(k4, row + 4); k5 = step(k5, row + 5); k6 = step(k6, row + 6); k7 = step(k7, row + 7)
              let n0 = step(k0, row), n1 = step(k1, row + 1), n2 = step(k2, row + 2), n3 = step(k3, row + 3)
              let n4 = step(k4, row + 4), n5 = step(k5, row + 5), n6 = step(k6, row + 6), n7 = step(k7, row + 7)
              let moved = (n0 ^ k0) | (n1 ^ k1) | (n2 ^ k2) | (n3 ^ k3) | (n4 ^ k4) | (n5 ^ k5) | (n6 ^ k6) | (n7 ^ k7)
              (k0, k1, k2, k3, k4, k5, k6, k7) = (n0, n1, n2, n3, n4, n5, n6, n7)
              if moved == 0 { break }
            }
            let o = blockStart &+ r
            output[o] += Double(leafValues[k0]); output[o &+ 1] += Double(leafValues[k1])
            output[o &+ 2] += Double(leafValues[k2]); output[o &+ 3] += Double(leafValues[k3])
            output[o &+ 4] += Double(leafValues[k4]); output[o &+ 5] += Double(leafValues[k5])
            output[o &+ 6] += Double(leafValues[k6]); output[o &+ 7] += Double(leafValues[k7])
            r += 8
          }
          // The last few rows of the block (at most 7), one at a time.
          while r < count {
            var at = root
            while true {
              let next = step(at, codes + r)
              if next == at { break }
              at = next
            }
            output[blockStart &+ r] += Double(leafValues[at])
            r += 1
          }
        }
        for i in blockStart..<blockEnd { output[i] *= scale }
      }
    }
  }
}

/// One step of `BinnedForest`'s walk from a node's word, for the row whose codes start at `row`.
protocol BinnedStep {
  static func step(_ word: UInt64, _ row: UnsafePointer<UInt8>) -> Int
}

/// The left child's index plus 1 when the row's code exceeds the bin (a leaf adds 0 and stays).
/// The node is one load; the compare becomes a flag added in, not a branch.
enum PlainStep: BinnedStep {
  @inline(__always)
  static func step(_ word: UInt64, _ row: UnsafePointer<UInt8>) -> Int {
    let code = row[Int(truncatingIfNeeded: word >> 40)]
    return Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: word)) &+ (code > UInt8(truncatingIfNeeded: word >> 32) ? 1 : 0)
  }
}

/// As `PlainStep`, with bit 31 (1 at a split that sends missing values left) masked off the
/// index and added to the code, wrapping: NaN's code 255 becomes 0, below every bin.
enum MissingAwareStep: BinnedStep {
  @inline(__always)
  static func step(_ word: UInt64, _ row: UnsafePointer<UInt8>) -> Int {
    let code = row[Int(truncatingIfNeeded: word >> 40)] &+ UInt8(truncatingIfNeeded: (word >> 31) & 1)
    return Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: word) & 0x7FFF_FFFF) &+ (code > UInt8(truncatingIfNeeded: word >> 32) ? 1 : 0)
  }
}
