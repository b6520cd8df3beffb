import Foundation

/// The forest's trees as the model file stores them: a few bytes a node instead of JSON
/// arrays of numbers (61 MB of JSON for 1.96 million nodes; scikit-learn's pickle of the
/// same forest is 154 MB).
///
/// Each tree is a byte string, base64 in the JSON, of its nodes in depth-first order (a left
/// child right after its parent), each starting with a varint tag: 0 for a leaf, f + 1 for a
/// split on feature f, followed by
/// - split: the varint index of its threshold in `thresholds[f]` (the distinct split values of
///   feature f over the forest, ascending) and the varint distance to its right child;
/// - leaf, *counted* trees (every node weight a whole number: bootstrap counts, no class or
///   sample weights): varint total weight and varint churned weight. The leaf's value is
///   Float(churned / total), and an inner node's weight and value follow from its leaves
///   exactly as training computed them, so nothing is rounded;
/// - leaf or split, *weighted* trees: the node's value and cover as Float32 bits (4 bytes each,
///   little-endian) after the fields above.
///
/// Splits that send missing values left (`DecisionTree.defaultLeft`, boosted trees) are listed
/// apart, per tree by their position in that order, in `defaultLeft`; the field is left out when
/// no split of any tree does, so trees without the flag (every forest, files written before it
/// existed) are stored byte for byte as before.
///
/// Decoding rebuilds exactly the arrays that were encoded (a test round-trips both kinds).
struct PackedTrees: Codable, Equatable {
  /// "counted" or "weighted".
  var kind: String
  var thresholds: [[Double]]
  var trees: [String]
  var impurityDecrease: [[Double]]
  /// Per tree, the depth-first positions of the splits whose missing values go left; nil when
  /// there are none in any tree.
  var defaultLeft: [[Int]]?

  static func isCounted(_ trees: [DecisionTree]) -> Bool {
    for tree in trees {
      for k in 0..<tree.nodeCount where tree.feature[k] < 0 {
        let w = Double(tree.cover[k])
        let w1 = (Double(tree.value[k]) * w).rounded()
        guard w == w.rounded(), w >= 1, w < 16_777_216, Float(w1 / w) == tree.value[k] else { return false }
      }
    }
    return true
  }

  /// - Parameter countable: false stores every node's value and cover as they are (boosted
  ///   trees, whose values are log-odds, not proportions).
  init(_ trees: [DecisionTree], features: Int, countable: Bool = true) {
    let counted = countable && Self.isCounted(trees)
    kind = counted ? "counted" : "weighted"
    var values = [Set<Double>](repeating: [], count: features)
    for tree in trees { for k in 0..<tree.nodeCount where tree.feature[k] >= 0 { values[Int(tree.feature[k])].insert(tree.threshold[k]) } }
    thresholds = values.map { $0.sorted() }
    let index = thresholds.map { Dictionary(uniqueKeysWithValues: $0.enumerated().map { ($1, $0) }) }
    impurityDecrease = trees.map(\.impurityDecrease)
    var defaultLeft: [[Int]] = []
    self.trees = trees.map { tree in
      var bytes: [UInt8] = []
      bytes.reserveCapacity(tree.nodeCount * 4)
      func varint(_ v: Int) {
        var u = UInt64(v)
        while u >= 0x80 {
          bytes.append(UInt8(u & 0x7F) | 0x80)
          u >>= 7
        }
        bytes.append(UInt8(u))
      }
      func float(_ f: Float) { withUnsafeBytes(of: f.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
      // Depth-first, left first: a split's right child comes 1 + (its left subtree's size) later.
      var size = [Int](repeating: 1, count: tree.nodeCount)
      for k in stride(from: tree.nodeCount - 1, through: 0, by: -1) where tree.feature[k] >= 0 {
        size[k] = 1 + size[Int(tree.left[k])] + size[Int(tree.right[k])]
      }
      var stack = [0]
      var position = 0, sentLeft: [Int] = []
      while let k = stack.popLast() {
        if !tree.defaultLeft.isEmpty && tree.defaultLeft[k] { sentLeft.append(position) }
        position += 1
        if tree.feature[k] < 0 {
          varint(0)
          if counted {
            let w = Double(tree.cover[k])
            varint(Int(w))
            varint(Int((Double(tree.value[k]) * w).rounded()))
          } else {
            float(tree.value[k])
            float(tree.cover[k])
          }
        } else {
          let f = Int(tree.feature[k])
          varint(f + 1)
          varint(index[f][tree.threshold[k]]!)
          varint(1 + size[Int(tree.left[k])])
          if !counted {
            float(tree.value[k])
            float(tree.cover[k])
          }
          stack.append(Int(tree.right[k]))
          stack.append(Int(tree.left[k]))
        }
      }
      defaultLeft.append(sentLeft)
      return Data(bytes).base64EncodedString()
    }
    self.defaultLeft = defaultLeft.contains { !$0.isEmpty } ? defaultLeft : nil
  }

  /// The trees, or a description of what is wrong with the encoding.
  func decoded() throws -> [DecisionTree] {
    guard kind == "counted" || kind == "weighted" else { throw PackedTreesError("unknown tree encoding \"\(kind)\"") }
    let counted = kind == "counted"
    return try trees.enumerated().map { t, text in
      guard let data = Data(base64Encoded: text) else { throw PackedTreesError("tree \(t) is not base64") }
      let bytes = [UInt8](data)
      var at = 0
      func varint() throws -> Int {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
          guard at < bytes.count, shift < 63 else { throw PackedTreesError("tree \(t) ends inside a number") }
          let b = bytes[at]
          at += 1
          v |= UInt64(b & 0x7F) << shift
          if b < 0x80 { return Int(v) }
          shift += 7
        }
      }
      func float() throws -> Float {
        guard at + 4 <= bytes.count else { throw PackedTreesError("tree \(t) ends inside a number") }
        var bits: UInt32 = 0
        for i in 0..<4 { bits |= UInt32(bytes[at + i]) << (8 * UInt32(i)) }
        at += 4
        return Float(bitPattern: bits)
      }
      var tree = DecisionTree(feature: [], threshold: [], left: [], right: [], value: [], cover: [],
                              impurityDecrease: t < impurityDecrease.count ? impurityDecrease[t] : [])
      var weight: [Double] = [], churned: [Double] = []
      while at < bytes.count {
        let k = tree.feature.count
        let tag = try varint()
        tree.left.append(-1)
        tree.right.append(-1)
        if tag == 0 {
          tree.feature.append(-1)
          tree.threshold.append(0)
          if counted {
            let w = Double(try varint()), w1 = Double(try varint())
            guard w >= 1, w1 <= w else { throw PackedTreesError("tree \(t) node \(k) has churned weight \(w1) of \(w)") }
            weight.append(w)
            churned.append(w1)
            tree.value.append(Float(w1 / w))
            tree.cover.append(Float(w))
          } else {
            tree.value.append(try float())
            tree.cover.append(try float())
          }
        } else {
          let f = tag - 1
          guard f < thresholds.count else { throw PackedTreesError("tree \(t) node \(k) splits on feature \(f) of \(thresholds.count)") }
          let b = try varint()
          guard b < thresholds[f].count else { throw PackedTreesError("tree \(t) node \(k) has threshold \(b) of \(thresholds[f].count)") }
          tree.feature.append(Int32(f))
          tree.threshold.append(thresholds[f][b])
          let distance = try varint()
          guard distance >= 2, distance < Int(Int32.max) - k else { throw PackedTreesError("tree \(t) node \(k) has its right child at distance \(distance)") }
          tree.left[k] = Int32(k + 1)
          tree.right[k] = Int32(k + distance)
          if counted {
            weight.append(0)
            churned.append(0)
            tree.value.append(0)
            tree.cover.append(0)
          } else {
            tree.value.append(try float())
            tree.cover.append(try float())
          }
        }
      }
      let n = tree.nodeCount
      guard n > 0 else { throw PackedTreesError("tree \(t) is empty") }
      for k in 0..<n where tree.feature[k] >= 0 && Int(tree.right[k]) >= n {
        throw PackedTreesError("tree \(t) node \(k) points past the tree's \(n) nodes")
      }
      if let sentLeft = defaultLeft, t < sentLeft.count, !sentLeft[t].isEmpty {
        tree.defaultLeft = [Bool](repeating: false, count: n)
        for k in sentLeft[t] {
          guard k >= 0, k < n, tree.feature[k] >= 0 else { throw PackedTreesError("tree \(t) sends missing values left at node \(k), which is not a split") }
          tree.defaultLeft[k] = true
        }
      }
      if counted {
        // Inner weights and values from the leaves, children before parents (they come after them).
        for k in stride(from: n - 1, through: 0, by: -1) where tree.feature[k] >= 0 {
          let l = Int(tree.left[k]), r = Int(tree.right[k])
          weight[k] = weight[l] + weight[r]
          churned[k] = churned[l] + churned[r]
          tree.cover[k] = Float(weight[k])
          tree.value[k] = Float(churned[k] / weight[k])
        }
      }
      return tree
    }
  }
}

struct PackedTreesError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

extension DecisionTree {
  /// The same tree with its nodes in depth-first order, left child first (so a left child
  /// sits right after its parent): the order the model file stores and prediction walks.
  func preordered() -> DecisionTree {
    var order: [Int] = []
    order.reserveCapacity(nodeCount)
    var stack = [0]
    while let k = stack.popLast() {
      order.append(k)
      if feature[k] >= 0 {
        stack.append(Int(right[k]))
        stack.append(Int(left[k]))
      }
    }
    var position = [Int32](repeating: -1, count: nodeCount)
    for (i, k) in order.enumerated() { position[k] = Int32(i) }
    return DecisionTree(feature: order.map { feature[$0] }, threshold: order.map { threshold[$0] },
                        left: order.map { left[$0] < 0 ? -1 : position[Int(left[$0])] },
                        right: order.map { right[$0] < 0 ? -1 : position[Int(right[$0])] },
                        value: order.map { value[$0] }, cover: order.map { cover[$0] }, impurityDecrease: impurityDecrease,
                        defaultLeft: defaultLeft.isEmpty ? [] : order.map { defaultLeft[$0] })
  }
}
