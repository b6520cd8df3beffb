import ChurnCore
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

@Suite("Explanations of a model file")
struct ExplanationTests {
  @Test("Exact and path explanations of a calibrated forest both add up to its probability; auto picks by cost")
  func forestExplanations() throws {
    let data = PlantedSignal(rows: 1500, weights: [1.5, -1.0, 0.6, 0, 0], intercept: -1, seed: 4)
    let table = FeatureTable(ids: data.labels.indices.map { "c\($0)" }, columnNames: data.weights.indices.map { "x\($0)" },
                             columns: data.weights.indices.map { j in .numeric((0..<data.features.rows).map { data.features[$0, j] }) },
                             labels: data.labels)
    let trained = try testSettings(.forest, trees: 15, minLeaf: 10).fit(table)
    var file = ModelFile(churnVersion: "test", idColumn: "id", labelColumn: "y", trained: trained,
                         training: .init(rows: 1500, churned: 0, dataFingerprint: "", notes: []))
    var calibration = Calibration()
    try calibration.fit(.platt, probabilities: trained.trainingProbabilities, labels: data.labels, source: "training")
    file.calibration = calibration
    let p = try file.probabilities(table)
    for row in 0..<60 {
      for exact in [true, false] {
        let e = file.explain(trained.x, row: row, exact: exact)
        #expect(abs(e.base + e.contributions.reduce(0, +) - p[row]) < 1e-9, "row \(row), exact \(exact)")
      }
    }
    // Each calibrated contribution on its own: the forest's own value for that feature times
    // (g(p) − g(b)) / (p − b), with g the Platt map, p the raw probability, b the raw base.
    let raw = (trained.model as! ForestModel).probabilities(trained.x)
    for row in 0..<30 {
      for exact in [true, false] {
        let own = exact ? (trained.model as! ForestModel).shapleyValues(trained.x, row: row) : (trained.model as! ForestModel).pathContributions(trained.x, row: row)
        let scale = (calibration.apply(raw[row]) - calibration.apply(own.base)) / (raw[row] - own.base)
        let e = file.explain(trained.x, row: row, exact: exact)
        #expect(abs(e.base - calibration.apply(own.base)) < 1e-12)
        for j in 0..<5 { #expect(abs(e.contributions[j] - own.contributions[j] * scale) < 1e-12, "row \(row) x\(j) exact \(exact)") }
      }
    }
    // Both credit the planted signal: x0's contribution has the sign of its value on average.
    var agree = 0
    for row in 0..<200 where abs(data.features[row, 0]) > 1 {
      let e = file.explain(trained.x, row: row, exact: false)
      if (e.contributions[0] > 0) == (data.features[row, 0] > 0) { agree += 1 }
    }
    #expect(agree > 40)
    let scorer = RiskScorer(model: file)
    #expect(scorer.usesExactShapley(rows: 10, method: .auto))
    #expect(!scorer.usesExactShapley(rows: RiskScorer.exactBudget, method: .auto))
    #expect(!scorer.usesExactShapley(rows: 1, method: .path) && scorer.usesExactShapley(rows: 10_000_000, method: .exact))
  }
}

@Suite("Forest storage")
struct ForestStorageTests {
  var encoder: JSONEncoder {
    let e = JSONEncoder()
    e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return e
  }
  var decoder: JSONDecoder {
    let d = JSONDecoder()
    d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return d
  }

  func forest(balanced: Bool) throws -> ForestModel {
    let data = PlantedSignal(rows: 800, weights: [1.5, -1.0, 0.6, 0], intercept: -1.5, seed: 9)
    let table = FeatureTable(ids: data.labels.indices.map { "c\($0)" }, columnNames: data.weights.indices.map { "x\($0)" },
                             columns: data.weights.indices.map { j in .numeric((0..<data.features.rows).map { data.features[$0, j] }) },
                             labels: data.labels)
    return try testSettings(.forest, trees: 12, minLeaf: 1, classWeight: balanced ? .balanced : .none).fit(table).model as! ForestModel
  }

  @Test("Packed trees decode to exactly the trees that were written (counted and weighted)", arguments: [false, true])
  func roundTrip(balanced: Bool) throws {
    let original = try forest(balanced: balanced)
    for tree in original.trees { tree._checkInvariants() }
    let data = try encoder.encode(original)
    let text = String(decoding: data, as: UTF8.self)
    #expect(text.contains(balanced ? "\"kind\":\"weighted\"" : "\"kind\":\"counted\""))
    let decoded = try decoder.decode(ForestModel.self, from: data)
    #expect(decoded == original)
    // Far smaller than the arrays of numbers earlier versions wrote, which still load.
    let arrays = try encoder.encode(original.trees)
    var legacy = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    legacy["packedTrees"] = nil
    legacy["trees"] = try JSONSerialization.jsonObject(with: arrays)
    let legacyData = try JSONSerialization.data(withJSONObject: legacy)
    #expect(balanced ? data.count * 3 < legacyData.count * 2 : data.count * 2 < legacyData.count, "\(data.count) bytes packed, \(legacyData.count) as arrays")
    let old = try decoder.decode(ForestModel.self, from: legacyData)
    #expect(old == original)
  }

  @Test("A damaged tree string is a clear error")
  func damaged() throws {
    var object = try JSONSerialization.jsonObject(with: encoder.encode(try forest(balanced: false))) as! [String: Any]
    var packed = object["packedTrees"] as! [String: Any]
    var trees = packed["trees"] as! [String]
    trees[0] = String(trees[0].prefix(8))
    packed["trees"] = trees
    object["packedTrees"] = packed
    #expect(throws: DecodingError.self) { try decoder.decode(ForestModel.self, from: try JSONSerialization.data(withJSONObject: object)) }
  }
}
