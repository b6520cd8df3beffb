import ChurnCore
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// The same seed gives the same forest from one version of the code to the next: fitted forests'
/// bits hashed and compared with hashes recorded from the code of commit 0b2537e (before the tree
/// grower was split into phases). Each setting takes another path through the grower: unit weights
/// (integer histograms) or class weights (Double histograms), dense or sparse bin scans (nodes of
/// fewer than nb/4 rows), bootstrap or a sample without replacement, a depth limit, a feature with
/// one bin (drawn, never split on) and one with two.
///
/// A failure means a user's saved seed no longer gives their forest: if the change is meant,
/// record the new hashes (the message prints them) and say so in the commit.
@Suite("Forests pinned across versions")
struct ForestPinTests {
  /// FNV-1a (64 bits) over the bit patterns of every tree array, the out-of-bag predictions and the
  /// importances, in order.
  struct Hasher64 {
    var state: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func add(_ v: UInt64) {
      for k in 0..<8 {
        state ^= (v >> UInt64(8 * k)) & 0xff
        state = state &* 0x0000_0100_0000_01b3
      }
    }
    mutating func add(_ values: [Double]) { add(UInt64(values.count)); for v in values { add(v.bitPattern) } }
    mutating func add(_ values: [Float]) { add(UInt64(values.count)); for v in values { add(UInt64(v.bitPattern)) } }
    mutating func add(_ values: [Int32]) { add(UInt64(values.count)); for v in values { add(UInt64(UInt32(bitPattern: v))) } }
  }

  static func hash(_ model: ForestModel) -> UInt64 {
    var h = Hasher64()
    for tree in model.trees {
      h.add(tree.feature)
      h.add(tree.threshold)
      h.add(tree.left)
      h.add(tree.right)
      h.add(tree.value)
      h.add(tree.cover)
      h.add(tree.impurityDecrease)
    }
    h.add(model.outOfBag)
    h.add(model.impurityImportance)
    return h.state
  }

  /// 4,000 rows: the planted signal's 6 columns, then a constant column, a 0/1 column and a column
  /// of few distinct values (ties within bins).
  static let data: (Matrix, [Double]) = {
    let signal = PlantedSignal(rows: 4000, weights: [1.2, -0.8, 0.4, 0, 0, 0.15], seed: 41)
    let x = signal.features
    var storage: [Double] = []
    for i in 0..<x.rows {
      storage += x.row(i)
      storage += [7, x[i, 1] > 0.3 ? 1 : 0, (x[i, 2] * 3).rounded()]
    }
    return (Matrix(rows: x.rows, columns: x.columns + 3, storage: storage), signal.labels)
  }()

  static let settings: [(String, RandomForest, UInt64)] = [
    ("defaults (bootstrap, leaves of 5)", RandomForest(treeCount: 6, seed: 11), 0xadf2_c2ec_abda_ebf2),
    ("leaves of 1, 4 features per split", RandomForest(treeCount: 6, featuresPerSplit: 4, minLeafSize: 1, seed: 12), 0x60dd_994b_35e0_913f),
    ("balanced class weights", RandomForest(treeCount: 6, minLeafSize: 2, classWeight: .balanced, seed: 13), 0x9e8a_b2bd_2cb1_355c),
    ("no bootstrap, 60% of rows, depth ≤ 7", RandomForest(treeCount: 6, featuresPerSplit: 2, minLeafSize: 3, maxDepth: 7,
                                                          sampleFraction: 0.6, bootstrap: false, seed: 14), 0x31d9_7eb6_5630_8408),
    ("bootstrap of 2n rows, balanced, every feature", RandomForest(treeCount: 4, featuresPerSplit: 9, minLeafSize: 1, sampleFraction: 2,
                                                                   classWeight: .balanced, seed: 15), 0x3d49_4063_ac4f_9a19),
  ]

  @Test("The same seed gives the same bits as before (trees, out-of-bag predictions, importances)")
  func pinned() throws {
    let (x, y) = Self.data
    for (label, settings, expected) in Self.settings {
      let model = try settings.fit(features: x, labels: y)
      let h = Self.hash(model)
      #expect(h == expected, "\(label): forest hash 0x\(String(h, radix: 16)), pinned 0x\(String(expected, radix: 16))")
    }
  }

  @Test("Sample weights other than 1 (Double histograms) give the same bits as before")
  func weighted() throws {
    let (x, y) = Self.data
    let weights = (0..<x.rows).map { 0.5 + Double($0 % 7) * 0.25 }
    let model = try RandomForest(treeCount: 5, minLeafSize: 1, seed: 16).fit(features: x, labels: y, sampleWeights: weights)
    let h = Self.hash(model)
    #expect(h == 0x25c6_dc36_6cfa_0ab5, "sample weights: forest hash 0x\(String(h, radix: 16))")
  }
}
