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
    case featureNames, trees, outOfBag, impurityImportance, seed, featuresPerSplit, minLeafSize
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

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(featureNames: try c.decode([String].self, forKey: .featureNames), trees: try c.decode([DecisionTree].self, forKey: .trees),
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
          flat.withPointers { feature, threshold, left, right, value, roots in
            // Tree by tree over blocks of rows: one tree's nodes stay in cache while the rows stream.
            let lower = c * n / chunks, upper = (c + 1) * n / chunks
            var blockStart = lower
            while blockStart < upper {
              let blockEnd = min(upper, blockStart + 512)
              for i in blockStart..<blockEnd { output[i] = 0 }
              for root in roots {
                for i in blockStart..<blockEnd {
                  let row = input.baseAddress! + i * d
                  var k = Int(root)
                  while feature[k] >= 0 { k = Int(row[Int(feature[k])] <= threshold[k] ? left[k] : right[k]) }
                  output[i] += Double(value[k])
                }
              }
              for i in blockStart..<blockEnd { output[i] *= scale }
              blockStart = blockEnd
            }
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
        contributions[f] += Double(tree.value[next] - tree.value[k])
        k = next
      }
    }
    let scale = 1 / Double(trees.count)
    return (base * scale, contributions.map { $0 * scale })
  }

  public var nodeCount: Int { trees.reduce(0) { $0 + $1.nodeCount } }
}

/// Every tree's nodes concatenated, children as absolute indices.
struct FlatForest: Sendable {
  let feature: [Int32]
  let threshold: [Double]
  let left: [Int32]
  let right: [Int32]
  let value: [Float]
  let roots: [Int32]

  init(_ trees: [DecisionTree]) {
    var feature: [Int32] = [], threshold: [Double] = [], left: [Int32] = [], right: [Int32] = [], value: [Float] = [], roots: [Int32] = []
    for tree in trees {
      let offset = Int32(feature.count)
      roots.append(offset)
      feature.append(contentsOf: tree.feature)
      threshold.append(contentsOf: tree.threshold)
      left.append(contentsOf: tree.left.map { $0 < 0 ? -1 : $0 + offset })
      right.append(contentsOf: tree.right.map { $0 < 0 ? -1 : $0 + offset })
      value.append(contentsOf: tree.value)
    }
    self.feature = feature
    self.threshold = threshold
    self.left = left
    self.right = right
    self.value = value
    self.roots = roots
  }

  @inline(__always)
  func withPointers<R>(_ body: (UnsafePointer<Int32>, UnsafePointer<Double>, UnsafePointer<Int32>, UnsafePointer<Int32>,
                                UnsafePointer<Float>, UnsafeBufferPointer<Int32>) -> R) -> R {
    feature.withUnsafeBufferPointer { f in
      threshold.withUnsafeBufferPointer { t in
        left.withUnsafeBufferPointer { l in
          right.withUnsafeBufferPointer { r in
            value.withUnsafeBufferPointer { v in
              roots.withUnsafeBufferPointer { roots in body(f.baseAddress!, t.baseAddress!, l.baseAddress!, r.baseAddress!, v.baseAddress!, roots) }
            }
          }
        }
      }
    }
  }
}
