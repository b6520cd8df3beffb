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

  /// Churn probabilities: the mean leaf value over the trees, one per row.
  ///
  /// - Complexity: O(rows × trees × depth); no thread pool for fewer than 2,048 rows, so one
  ///   customer scores in microseconds.
  public func probabilities(_ x: Matrix) -> [Double] {
    precondition(x.columns == featureNames.count, "The forest has \(featureNames.count) features; the input has \(x.columns) columns")
    var out = [Double](repeating: 0, count: x.rows)
    let scale = 1 / Double(trees.count)
    let chunks = x.rows < 2048 ? 1 : min(ProcessInfo.processInfo.activeProcessorCount, (x.rows + 2047) / 2048)
    x.storage.withUnsafeBufferPointer { xs in
      out.withUnsafeMutableBufferPointer { o in
        nonisolated(unsafe) let input = xs, output = o
        let trees = self.trees, d = x.columns, n = x.rows
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
          for i in (c * n / chunks)..<((c + 1) * n / chunks) {
            var sum = 0.0
            let row = input.baseAddress! + i * d
            for tree in trees { sum += Double(tree.predict(row)) }
            output[i] = sum * scale
          }
        }
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
