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
    x.storage.withUnsafeBufferPointer { p in predict(p.baseAddress! + row * x.columns) }
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

/// Grows one tree from binned features; shared, read-only, by all threads.
struct TreeGrower: @unchecked Sendable {
  let bins: FeatureBins
  let labels: [Double]
  let weights: [Double]
  let mtry: Int
  let minLeafSize: Int
  let maxDepth: Int
  let sampleSize: Int
  let bootstrap: Bool

  func grow(_ rng: inout SeededGenerator) -> (DecisionTree, [UInt16]) {
    let n = bins.rows, d = bins.columns
    // The sample: how many times each row was drawn.
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
    var rows = (0..<Int32(n)).filter { counts[Int($0)] > 0 }
    // Per position in `rows` (moved with it when a node is partitioned), so the passes over a
    // node's rows read these sequentially: the draw count, the draws of churners, and with
    // weights other than 1 the weight on each class. With unit weights (`counted`) the class
    // weights are the counts themselves: integer histograms, 12 bytes a row read instead of 28,
    // and the same sums (integers are exact in Double), so the same trees.
    let counted = weights.allSatisfy { $0 == 1 }
    var pc = rows.map { Int32(counts[Int($0)]) }
    var py = rows.map { labels[Int($0)] == 1 ? Int32(counts[Int($0)]) : 0 }
    var pw1 = counted ? [] : rows.map { labels[Int($0)] == 1 ? weights[Int($0)] * Double(counts[Int($0)]) : 0 }
    var pw0 = counted ? [] : rows.map { labels[Int($0)] == 1 ? 0 : weights[Int($0)] * Double(counts[Int($0)]) }

    var tree = DecisionTree(feature: [], threshold: [], left: [], right: [], value: [], cover: [],
                            impurityDecrease: Array(repeating: 0, count: d))
    var features = Array(0..<d)
    // Class histograms by bin; all zero between uses.
    var h0 = [Double](repeating: 0, count: 256), h1 = [Double](repeating: 0, count: 256)
    var hc = [Int32](repeating: 0, count: 256), hy = [Int32](repeating: 0, count: 256)
    // Sparse nodes: which bins hold rows, as 256 bits.
    var touched = [UInt64](repeating: 0, count: 4)
    // Explicit stack of (node, lower, upper, depth) over `rows`.
    var stack: [(Int, Int, Int, Int)] = []
    func addNode() -> Int {
      tree.feature.append(-1)
      tree.threshold.append(0)
      tree.left.append(-1)
      tree.right.append(-1)
      tree.value.append(0)
      tree.cover.append(0)
      return tree.feature.count - 1
    }
    stack.append((addNode(), 0, rows.count, 0))
    var rootWeight = 0.0
    while let (node, lower, upper, depth) = stack.popLast() {
      var w0 = 0.0, w1 = 0.0, count = 0
      if counted {
        var positive = 0
        for r in lower..<upper {
          count += Int(pc[r])
          positive += Int(py[r])
        }
        w1 = Double(positive)
        w0 = Double(count - positive)
      } else {
        for r in lower..<upper {
          w1 += pw1[r]
          w0 += pw0[r]
          count += Int(pc[r])
        }
      }
      let w = w0 + w1
      if node == 0 { rootWeight = w }
      tree.value[node] = w > 0 ? Float(w1 / w) : 0
      tree.cover[node] = Float(w)
      if w0 == 0 || w1 == 0 || count / 2 < minLeafSize || depth >= maxDepth { continue }

      let parentScore = (w0 * w0 + w1 * w1) / w
      var bestScore = parentScore * (1 + 1e-12)
      var bestFeature = -1, bestBin = -1
      // Draw mtry features without replacement (partial Fisher–Yates).
      for k in 0..<mtry {
        let j = k + rng.integer(below: d - k)
        features.swapAt(k, j)
        let f = features[k]
        let nb = bins.binCount(f)
        if nb < 2 { continue }
        // A node with few rows touches few bins: mark them in a 256-bit set and scan only
        // those, in order, instead of all nb. The split chosen is the same: an empty bin never
        // beats the non-empty bin before it (ties keep the first). Bins are zeroed as scanned.
        let sparse = (upper - lower) * 4 < nb
        bins.codes.withUnsafeBufferPointer { codes in
          h0.withUnsafeMutableBufferPointer { h0 in
            h1.withUnsafeMutableBufferPointer { h1 in
              hc.withUnsafeMutableBufferPointer { hc in
               hy.withUnsafeMutableBufferPointer { hy in
                rows.withUnsafeBufferPointer { rows in
                  pw1.withUnsafeBufferPointer { pw1 in
                    pw0.withUnsafeBufferPointer { pw0 in
                      pc.withUnsafeBufferPointer { pc in
                       py.withUnsafeBufferPointer { py in
                        touched.withUnsafeMutableBufferPointer { touched in
                          let column = codes.baseAddress! + f * n
                          switch (counted, sparse) {
                          case (true, false):
                            for r in lower..<upper {
                              let b = Int(column[Int(rows[r])])
                              hc[b] &+= pc[r]
                              hy[b] &+= py[r]
                            }
                          case (true, true):
                            for r in lower..<upper {
                              let b = Int(column[Int(rows[r])])
                              touched[b >> 6] |= 1 << UInt64(b & 63)
                              hc[b] &+= pc[r]
                              hy[b] &+= py[r]
                            }
                          case (false, true):
                            for r in lower..<upper {
                              let b = Int(column[Int(rows[r])])
                              touched[b >> 6] |= 1 << UInt64(b & 63)
                              h1[b] += pw1[r]
                              h0[b] += pw0[r]
                              hc[b] &+= pc[r]
                            }
                          case (false, false):
                            for r in lower..<upper {
                              let b = Int(column[Int(rows[r])])
                              h1[b] += pw1[r]
                              h0[b] += pw0[r]
                              hc[b] &+= pc[r]
                            }
                          }
                          // Scan candidate splits "codes ≤ b go left" in increasing b: every bin
                          // but the last (dense), or the touched ones (sparse: the set bits of
                          // `touched`, in order). Through the same pointers: as array subscripts,
                          // the zeroing writes checked the arrays' uniqueness at every bin.
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
                              if b >= nb { break }
                            }
                            if counted {
                              let ly = Int(hy[b])
                              l1 += Double(ly)
                              l0 += Double(Int(hc[b]) - ly)
                              hy[b] = 0
                            } else {
                              l0 += h0[b]
                              l1 += h1[b]
                              h0[b] = 0
                              h1[b] = 0
                            }
                            lc += Int(hc[b])
                            hc[b] = 0
                            if lc < minLeafSize || lc >= count { continue }
                            if count - lc < minLeafSize { continue }
                            let wl = l0 + l1, wr = w - wl
                            if wl <= 0 || wr <= 0 { continue }
                            let r0 = w0 - l0, r1 = w1 - l1
                            let score = (l0 * l0 + l1 * l1) / wl + (r0 * r0 + r1 * r1) / wr
                            if score > bestScore {
                              bestScore = score
                              bestFeature = f
                              bestBin = b
                            }
                          }
                          for k in 0..<4 { touched[k] = 0 }
                        }
                       }
                      }
                    }
                  }
                }
               }
              }
            }
          }
        }
      }
      guard bestFeature >= 0 else { continue }
      // Partition rows[lower..<upper] (and the per-position arrays): codes ≤ bestBin first.
      var split = lower
      bins.codes.withUnsafeBufferPointer { codes in
        let base = bestFeature * n
        for r in lower..<upper where Int(codes[base + Int(rows[r])]) <= bestBin {
          rows.swapAt(r, split)
          pc.swapAt(r, split)
          py.swapAt(r, split)
          if !counted {
            pw1.swapAt(r, split)
            pw0.swapAt(r, split)
          }
          split += 1
        }
      }
      tree.feature[node] = Int32(bestFeature)
      tree.threshold[node] = bins.thresholds[bestFeature][bestBin]
      tree.impurityDecrease[bestFeature] += (bestScore - parentScore) / max(rootWeight, 1e-300)
      let left = addNode(), right = addNode()
      tree.left[node] = Int32(left)
      tree.right[node] = Int32(right)
      stack.append((right, split, upper, depth + 1))
      stack.append((left, lower, split, depth + 1))
    }
    return (tree, counts)
  }
}
