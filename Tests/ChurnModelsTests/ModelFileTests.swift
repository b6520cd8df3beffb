import ChurnCore
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// A small planted-signal table: numeric x0...x2 and a categorical "plan".
func plantedTable(rows: Int = 400, seed: UInt64 = 5) -> FeatureTable {
  let data = PlantedSignal(rows: rows, weights: [1.2, -0.8, 0], intercept: -0.5, seed: seed)
  var columns: [FeatureTable.Column] = (0..<3).map { j in .numeric((0..<rows).map { data.features[$0, j] }) }
  columns.append(.categorical((0..<rows).map { ["basic", "pro", "team"][$0 % 3] }))
  return FeatureTable(ids: (0..<rows).map { "c\($0)" }, columnNames: ["x0", "x1", "x2", "plan"], columns: columns, labels: data.labels)
}

func modelFile(_ family: ModelFamily, table: FeatureTable = plantedTable()) throws -> ModelFile {
  let trained = try testSettings(family, trees: 3, minLeaf: 20).fit(table)
  return ModelFile(churnVersion: "test", idColumn: "id", labelColumn: "y", trained: trained,
                   training: .init(rows: table.rowCount, churned: 0, dataFingerprint: "", notes: []))
}

@Suite("Model files: no NaN or infinity in, none out, and every damage named")
struct ModelFileTests {
  @Test("A forest's missing out-of-bag predictions are written as null, never \"nan\"; files with \"nan\" there still load")
  func outOfBagNull() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var file = try modelFile(.forest)
    #expect((file.model as! ForestModel).outOfBag.contains { $0.isNaN })
    file.validation.holdout = MetricSet(auc: 0.7, aucLower: .nan)
    try file.write(to: dir.file("m.json"))
    let text = try String(contentsOfFile: dir.file("m.json"), encoding: .utf8)
    #expect(!text.contains("\"nan\"") && !text.contains("inf\"") && text.contains("null"))
    let back = try ModelFile.read(path: dir.file("m.json"))
    #expect((back.model as? ForestModel) == (file.model as? ForestModel))
    #expect(back.validation == ValidationMetrics(holdout: MetricSet(auc: 0.7)))
    // Files written before this change held "nan" strings there.
    try text.replacingOccurrences(of: "null", with: "\"nan\"").write(toFile: dir.file("old.json"), atomically: true, encoding: .utf8)
    #expect(try ModelFile.read(path: dir.file("old.json")).model as? ForestModel == file.model as? ForestModel)
  }

  @Test("Writing a non-finite number is refused, naming the field, and writes nothing")
  func writeRefusesNonFinite() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var file = try modelFile(.logistic)
    var bands = RiskBands(red: 0.5, yellow: 0.2)
    bands.red = .infinity
    file.riskBands = bands
    #expect(throws: ModelFileError.nonFiniteValue(path: dir.file("m.json"), field: "riskBands.red", value: "inf")) {
      try file.write(to: dir.file("m.json"))
    }
    #expect(ModelFileError.nonFiniteValue(path: "m.json", field: "riskBands.red", value: "inf").description
      == "cannot write model file m.json: field riskBands.red is inf, which JSON cannot hold; nothing was written (please report this)")
    #expect(dir.contents().isEmpty)
  }

  @Test("Damaged, edited, truncated, foreign or missing model files are refused with the field, what was expected and what was found")
  func damagedFields() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("bad.json")
    var logistic = try modelFile(.logistic)
    logistic.driftReferences = ModelFile.driftReferences(plantedTable())
    try logistic.write(to: dir.file("good.json"))
    let good = try String(contentsOfFile: dir.file("good.json"), encoding: .utf8)
    func object() throws -> [String: Any] { try JSONSerialization.jsonObject(with: Data(good.utf8)) as! [String: Any] }
    func message(_ edit: (inout [String: Any]) -> Void) throws -> String {
      var o = try object()
      edit(&o)
      try JSONSerialization.data(withJSONObject: o).write(to: URL(fileURLWithPath: path))
      return loading(path)
    }
    func message(_ text: String) throws -> String {
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      return loading(path)
    }
    func loading(_ p: String) -> String {
      do { _ = try ModelFile.read(path: p); return "loaded" } catch { return "\(error)" }
    }
    let tail = "; the file is damaged or was edited: train the model again"
    func nested(_ o: inout [String: Any], _ key: String, _ field: String, _ change: (inout [Any]) -> Void) {
      var inner = o[key] as! [String: Any]
      var list = inner[field] as! [Any]
      change(&list)
      inner[field] = list
      o[key] = inner
    }
    #expect(try message { nested(&$0, "logistic", "coefficients") { $0[2] = "nan" } }
      == "model file \(path): field logistic.coefficients[2]: expected a finite number, found the string \"nan\"" + tail)
    #expect(try message { nested(&$0, "preprocessor", "means") { $0[0] = "inf" } }
      == "model file \(path): field preprocessor.means[0]: expected a finite number, found the string \"inf\"" + tail)
    #expect(try message { nested(&$0, "preprocessor", "deviations") { $0[1] = 0 } }
      == "model file \(path): field preprocessor.deviations[1]: expected a finite number > 0, found 0.0" + tail)
    #expect(try message { nested(&$0, "logistic", "coefficients") { $0.removeLast() } }
      == "model file \(path): field logistic.coefficients: expected 5 numbers (one per preprocessed column), found 4 numbers" + tail)
    #expect(try message { nested(&$0, "preprocessor", "kept") { $0[0] = 99 } }
      == "model file \(path): field preprocessor.kept: expected ascending column numbers in 0..<5, found [99, 1, 2, 3, 4]" + tail)
    #expect(try message {
      var l = $0["logistic"] as! [String: Any]
      l["intercept"] = 1e300
      $0["logistic"] = l
    } == "model file \(path): field logistic.intercept: expected a finite number of magnitude at most 1e12, found 1e+300" + tail)
    #expect(try message { $0["preprocessor"] = nil }
      == "model file \(path): field preprocessor: expected a value (the field is required), found nothing (the field is missing)" + tail)
    #expect(try message { $0["kind"] = "tree" }
      == "model file \(path): field kind: expected one of the values this churn knows, found the string \"tree\"" + tail)
    #expect(try message { $0["validation"] = 5 }
      == "model file \(path): field validation: expected an object, found the number 5" + tail)
    #expect(try message { $0["formatVersion"] = nil }
      == "model file \(path): field formatVersion: expected a whole number from 1 to 1, found nothing (the field is missing)" + tail)
    #expect(try message { $0["formatVersion"] = "1" }
      == "model file \(path): field formatVersion: expected a whole number from 1 to 1, found the string \"1\"" + tail)
    #expect(try message { $0["formatVersion"] = 0 }
      == "model file \(path): field formatVersion: expected a whole number from 1 to 1, found the number 0" + tail)
    #expect(try message {
      var refs = $0["driftReferences"] as! [Any]
      var first = refs[0] as! [String: Any]
      first["shares"] = [0.5]
      refs[0] = first
      $0["driftReferences"] = refs
    } == "model file \(path): field driftReferences[0]: expected a usable distribution, found 1 shares for 11 bins" + tail)
    // A number JSON cannot hold, a truncated file, JSON of another kind, an empty file.
    let intercept = good.range(of: "\"intercept\" : ")!
    let end = good[intercept.upperBound...].firstIndex(of: ",")!
    let huge = good.replacingCharacters(in: intercept.upperBound..<end, with: "1e999")
    #expect(try message(huge) == "model file \(path) (\(huge.utf8.count) bytes) is not valid JSON: truncated or corrupt; train the model again")
    #expect(try message(String(good.prefix(100))) == "model file \(path) (100 bytes) is not valid JSON: truncated or corrupt; train the model again")
    #expect(try message("[1, 2]") == "\(path) is JSON but not a churn model file (no \"format\": \"churn-model\")")
    #expect(try message("") == "model file \(path) (0 bytes) is not valid JSON: truncated or corrupt; train the model again")
    #expect(loading(dir.path) == "cannot read model file \(dir.path): it is a directory; expected the JSON file churn train --out wrote")
    #expect(loading(dir.file("nope.json")) == "cannot read model file \(dir.file("nope.json")): no such file; expected the JSON file churn train --out wrote")

    // Event settings a scorer would rebuild features with, and the forest's trees.
    var withEvents = logistic
    withEvents.events = .init(horizon: "200000000000d", activeWindow: nil, activityTypes: nil, contractual: false, trainingCutoffs: [],
                              holdoutCutoff: nil, customerColumn: "c", timestampColumn: "t", eventTypeColumn: "e", valueColumn: "v",
                              signupColumn: "s", churnDateColumn: "d")
    try withEvents.write(to: path)
    #expect(loading(path) == "model file \(path): field events.horizon: expected a length of time such as 30d or 1m, at most 100 years, "
      + "found the string \"200000000000d\"" + tail)
    let forestFile = try modelFile(.forest)
    var whole = try JSONSerialization.jsonObject(with: JSONEncoder().encode(forestFile)) as! [String: Any]
    var trees = whole["forest"] as! [String: Any]
    trees["packedTrees"] = nil
    trees["trees"] = [["feature": [0, -1, -1], "threshold": [0.5, 0, 0], "left": [1, -1, -1], "right": [2, -1, -1],
                       "value": [0.5, 1.5, 0.2], "cover": [10, 5, 5], "impurityDecrease": [0, 0, 0, 0]]]
    whole["forest"] = trees
    try JSONSerialization.data(withJSONObject: whole).write(to: URL(fileURLWithPath: path))
    #expect(loading(path) == "model file \(path): field forest.trees: expected well-formed trees (tree 0: node 1 has value 1.5, not a proportion in [0, 1]), "
      + "found a list of 1 item" + tail)
  }
}

/// Every leaf (number, string, bool, null) of a JSON tree, as paths of keys and indices.
private func leaves(_ node: Any, _ path: [Any] = []) -> [[Any]] {
  if let object = node as? [String: Any] { return object.keys.sorted().flatMap { leaves(object[$0]!, path + [$0]) } + [path] }
  if let list = node as? [Any] { return list.indices.prefix(6).flatMap { leaves(list[$0], path + [$0]) } + [path] }
  return [path]
}

/// `node` with the value at `path` replaced (nil: removed).
private func replacing(_ node: Any, _ path: ArraySlice<Any>, with value: Any?) -> Any {
  guard let key = path.first else { return value ?? NSNull() }
  if var object = node as? [String: Any], let k = key as? String {
    object[k] = path.count == 1 && value == nil ? nil : replacing(object[k] ?? NSNull(), path.dropFirst(), with: value)
    return object
  }
  if var list = node as? [Any], let i = key as? Int, i < list.count {
    if path.count == 1 && value == nil { list.remove(at: i) } else { list[i] = replacing(list[i], path.dropFirst(), with: value) }
    return list
  }
  return node
}

@Suite("Model files: random damage")
struct ModelFileDamageTests {
  @Test("Any one field replaced, removed or shortened: refused with a message, or loads and scores with probabilities in [0, 1]",
        arguments: [ModelFamily.logistic, .forest])
  func randomDamage(family: ModelFamily) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let table = plantedTable()
    var file = try modelFile(family, table: table)
    file.driftReferences = ModelFile.driftReferences(table)
    var calibration = Calibration()
    try calibration.fit(.isotonic, probabilities: try file.probabilities(table), labels: table.labels!, source: "training")
    file.calibration = calibration
    file.riskBands = RiskBands.learn(scores: try file.probabilities(table))
    try file.write(to: dir.file("good.json"))
    let good = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("good.json"))))
    let paths = leaves(good).filter { !$0.isEmpty }
    let replacements: [Any?] = [nil, "nan", "inf", -1, 0, 1, 2, 1e300, -1e300, 1e13, 9_223_372_036_854_775_807, "", [Any](), [String: Any](), NSNull(), true,
                                "tree", [1, 2, 3], 0.5]
    var rng = SeededGenerator(seed: family == .logistic ? 11 : 12)
    var loaded = 0, refused = 0
    for trial in 0..<300 {
      let path = paths[rng.integer(below: paths.count)]
      let value = replacements[rng.integer(below: replacements.count)]
      let damaged = replacing(good, path[...], with: value)
      try JSONSerialization.data(withJSONObject: damaged).write(to: URL(fileURLWithPath: dir.file("bad.json")))
      do {
        let model = try ModelFile.read(path: dir.file("bad.json"))
        loaded += 1
        do {
          let p = try model.probabilities(table)
          #expect(p.allSatisfy { (0...1).contains($0) }, "trial \(trial): \(path) = \(String(describing: value))")
          _ = model.drift(table, scores: p)
          let x = try model.preprocessor.transform(table.rows([0, 1]))
          let e = model.explain(x, row: 0)
          #expect(e.base.isFinite && e.contributions.allSatisfy { $0.isFinite }, "trial \(trial): \(path) = \(String(describing: value))")
        } catch is PreprocessingError {}
      } catch let error as ModelFileError {
        refused += 1
        #expect(!"\(error)".contains("DecodingError") && !"\(error)".contains("NSCocoaErrorDomain"), "\(error)")
      }
    }
    #expect(loaded > 20 && refused > 100, "loaded \(loaded), refused \(refused)")
  }
}
