import ChurnCore
import ChurnModels
import Foundation
import Testing

/// scikit-learn's `DecisionTreeClassifier` on the same rows, node by node
/// (Fixtures/tree-reference.json, from scripts/make-fixtures-tree).
struct TreeReference: Decodable {
  struct Nodes: Decodable {
    var feature: [Int]
    var threshold: [Double?]
    var left_max: [Double?]
    var left: [Int]
    var right: [Int]
    var rows: [Int]
    var churned: [Int]
  }
  var x: [[Double]]
  var y: [Double]
  var max_depth: Int
  var min_samples_leaf: Int
  var nodes: Nodes
  var importance_unnormalized: [Double]
  var probability: [Double]

  static func load() throws -> TreeReference {
    try JSONDecoder().decode(TreeReference.self, from: Data(contentsOf: LogisticFixture.directory.appendingPathComponent("tree-reference.json")))
  }
}

@Suite("One tree against scikit-learn's DecisionTreeClassifier")
struct DecisionTreeReferenceTests {
  @Test("Every features per split, no bootstrap: the same tree node by node (feature, threshold, children, rows, churn share, importances)")
  func nodeByNode() throws {
    let reference = try TreeReference.load()
    let x = Matrix(reference.x)
    let d = x.columns
    // One tree, every feature at every node, every row once: nothing random is left but the
    // order features are tried in, which only matters for ties (the fixture has none).
    let forest = try RandomForest(treeCount: 1, featuresPerSplit: d, minLeafSize: reference.min_samples_leaf,
                                  maxDepth: reference.max_depth, bootstrap: false, seed: 3)
      .fit(features: x, labels: reference.y)
    let tree = forest.trees[0]
    let nodes = reference.nodes
    #expect(tree.nodeCount == nodes.feature.count, "churn grew \(tree.nodeCount) nodes, scikit-learn \(nodes.feature.count)")
    // Both number nodes depth first, left child first, so node k is node k (and the first
    // difference is where the trees part).
    var mismatches: [String] = []
    for k in 0..<min(tree.nodeCount, nodes.feature.count) {
      let f = Int(tree.feature[k])
      if f != nodes.feature[k] { mismatches.append("node \(k): feature \(f), scikit-learn \(nodes.feature[k])") }
      if Int(tree.left[k]) != nodes.left[k] || Int(tree.right[k]) != nodes.right[k] {
        mismatches.append("node \(k): children \(tree.left[k]), \(tree.right[k]); scikit-learn \(nodes.left[k]), \(nodes.right[k])")
      }
      // scikit-learn's threshold is the midpoint between the two values it separates, churn's the
      // largest value sent left: the same split of the rows.
      if f >= 0, let leftMax = nodes.left_max[k], let midpoint = nodes.threshold[k] {
        if tree.threshold[k] != leftMax || !(tree.threshold[k] < midpoint) {
          mismatches.append("node \(k): x\(f) ≤ \(tree.threshold[k]); scikit-learn x\(f) ≤ \(midpoint) (largest value left \(leftMax))")
        }
      }
      if tree.cover[k] != Float(nodes.rows[k]) { mismatches.append("node \(k): \(tree.cover[k]) rows, scikit-learn \(nodes.rows[k])") }
      let share = Float(Double(nodes.churned[k]) / Double(nodes.rows[k]))
      if tree.value[k] != share { mismatches.append("node \(k): churn share \(tree.value[k]), scikit-learn \(share)") }
    }
    #expect(mismatches.isEmpty, "\(mismatches.count) differences: \(mismatches.prefix(8).joined(separator: "; "))")
    // Weighted Gini decrease per feature over the root's rows: scikit-learn's
    // compute_feature_importances(normalize=False).
    for j in 0..<d {
      let (a, b) = (tree.impurityDecrease[j], reference.importance_unnormalized[j])
      #expect(abs(a - b) <= 1e-12 * max(abs(b), 1e-3), "x\(j): impurity decrease \(a), scikit-learn \(b)")
    }
    let total = reference.importance_unnormalized.reduce(0, +)
    for j in 0..<d { #expect(abs(forest.impurityImportance[j] - reference.importance_unnormalized[j] / total) <= 1e-12) }
    // The fixture's depth and leaves bind: the test compares a real tree, not a stump.
    #expect(tree.nodeCount > 60 && Set(nodes.feature.filter { $0 >= 0 }).count == d)
    // Predictions for every training row: the leaf's churn share.
    guard tree.nodeCount == nodes.feature.count else { return }
    let p = forest.probabilities(x)
    var wrong = 0
    for i in 0..<x.rows where Float(p[i]) != Float(reference.probability[i]) { wrong += 1 }
    #expect(wrong == 0, "\(wrong) of \(x.rows) probabilities differ from scikit-learn's predict_proba")
  }

  @Test("The fixture has teeth: a tree grown with another leaf size or depth differs")
  func fixtureDiscriminates() throws {
    let reference = try TreeReference.load()
    let x = Matrix(reference.x)
    for (leaf, depth) in [(reference.min_samples_leaf + 1, reference.max_depth), (reference.min_samples_leaf, reference.max_depth - 1)] {
      let tree = try RandomForest(treeCount: 1, featuresPerSplit: x.columns, minLeafSize: leaf, maxDepth: depth, bootstrap: false)
        .fit(features: x, labels: reference.y).trees[0]
      let same = tree.nodeCount == reference.nodes.feature.count
        && (0..<tree.nodeCount).allSatisfy { tree.cover[$0] == Float(reference.nodes.rows[$0]) && Int(tree.feature[$0]) == reference.nodes.feature[$0] }
      #expect(!same, "min leaf \(leaf), depth \(depth) grew scikit-learn's tree")
    }
  }
}
