import ChurnCore
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

@Suite("churn train and churn score on a table")
struct TrainScoreCommandTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let telco = root.appendingPathComponent("datasets/telco/telco.csv").path
  static let holdout = root.appendingPathComponent("datasets/telco/holdout_ids.txt").path

  @Test("Telco: the holdout AUC is reported; the CLI's probabilities equal the library's for the same model file")
  func telco() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let train = try runChurn(["train", "--table", Self.telco, "--id", "customerid", "--label", "churn",
                              "--holdout-ids", Self.holdout, "--threads", "1", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    #expect(train.stderr.contains("train: 2817 rows, 778 churned (27.6%), 19 input columns"))
    #expect(train.stderr.contains("train: holdout AUC 0.858"))
    #expect(train.stdout.hasPrefix("feature (per +1 SD)               coef   odds ratio (95% CI)      p    churn pts\ntenure "))
    let score = try runChurn(["score", "--model", dir.file("m.json"), "--table", Self.telco, "--out", dir.file("p.csv")])
    #expect(score.status == 0, "\(score.stderr)")
    // The library, on the same file and data.
    let model = try ModelFile.read(path: dir.file("m.json"))
    let table = try TypedCSV(path: Self.telco, idColumn: "customerid").featureTable(label: nil)
    let expected = Dictionary(uniqueKeysWithValues: zip(table.ids, try model.probabilities(table)))
    let lines = try String(contentsOfFile: dir.file("p.csv"), encoding: .utf8).split(separator: "\n")
    // The health columns come last (see HealthDimensionTests).
    #expect(lines.first.map(String.init) == "rank,customerid,churn_probability,percentile,risk_band,reason_1,reason_2,reason_3,expected_revenue_at_risk,segment,change"
      + ",health,health_baseline,health_service,health_finance,health_commercial,health_engagement,health_account")
    #expect(lines.count == 4931)
    var previous = 1.0
    for (k, line) in lines.dropFirst().enumerated() {
      let f = line.split(separator: ",")
      #expect(Int(f[0]) == k + 1)
      let p = Double(f[2])!
      #expect(abs(p - expected[String(f[1])]!) <= 5e-7, "\(f[1])")
      #expect(p <= previous)
      previous = p
    }
    #expect(model.validation.holdout.auc.map { abs($0 - 0.8581) < 0.001 } == true)
  }

  @Test("Damaged, foreign and newer model files are refused with a clear message, and nothing is written")
  func badModels() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    _ = try runChurn(["train", "--table", Self.telco, "--id", "customerid", "--label", "churn", "--out", dir.file("m.json")])
    let good = try String(contentsOfFile: dir.file("m.json"), encoding: .utf8)
    func refuse(_ text: String, _ message: String) throws {
      try text.write(toFile: dir.file("bad.json"), atomically: true, encoding: .utf8)
      let r = try runChurn(["score", "--model", dir.file("bad.json"), "--table", Self.telco, "--out", dir.file("p.csv")])
      #expect(r.status != 0)
      #expect(r.stderr == "Error: " + message + "\n")
      #expect(!FileManager.default.fileExists(atPath: dir.file("p.csv")))
    }
    let truncated = String(good.prefix(good.count / 2))
    try refuse(truncated, "model file \(dir.file("bad.json")) (\(truncated.utf8.count) bytes) is not valid JSON: truncated or corrupt; train the model again")
    try refuse("{\"hello\": 1}", "\(dir.file("bad.json")) is JSON but not a churn model file (no \"format\": \"churn-model\")")
    try refuse(good.replacingOccurrences(of: "\"formatVersion\" : 1", with: "\"formatVersion\" : 9"),
               "model file \(dir.file("bad.json")) has format version 9; this churn reads versions up to 1: upgrade churn")
    let missing = try runChurn(["score", "--model", dir.file("nope.json"), "--table", Self.telco])
    #expect(missing.stderr == "Error: cannot read model file \(dir.file("nope.json")): no such file; expected the JSON file churn train --out wrote\n")
    let directory = try runChurn(["score", "--model", dir.path, "--table", Self.telco])
    #expect(directory.stderr == "Error: cannot read model file \(dir.path): it is a directory; expected the JSON file churn train --out wrote\n")
    // A coefficient set to "nan": refused on load by every command that reads a model, naming the field.
    let coefficients = try #require(good.range(of: "\"coefficients\" : [\n"))
    let end = try #require(good[coefficients.upperBound...].firstIndex(of: ","))
    try good.replacingCharacters(in: coefficients.upperBound..<end, with: "\"nan\"").write(toFile: dir.file("nan.json"), atomically: true, encoding: .utf8)
    let expected = "Error: model file \(dir.file("nan.json")): field logistic.coefficients[0]: expected a finite number, found the string \"nan\"; "
      + "the file is damaged or was edited: train the model again\n"
    for command in [["score", "--table", Self.telco], ["explain", "--table", Self.telco, "--customer", "8879-ZKJOF"],
                    ["explain", "--table", Self.telco, "--customer", "8879-ZKJOF", "--format", "json"], ["weights"],
                    ["report", "--table", Self.telco, "--out", dir.file("r.html")]] {
      let r = try runChurn([command[0], "--model", dir.file("nan.json")] + command.dropFirst())
      #expect(r.status == 1 && r.stderr == expected, "\(command): \(r.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: dir.file("r.html")))
  }

  @Test("A --table with a column name twice (case and spaces ignored) is refused by train, score and features' customer table")
  func duplicateColumns() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try "id,plan, Plan ,churn\n1,a,b,0\n2,a,b,1\n".write(toFile: dir.file("t.csv"), atomically: true, encoding: .utf8)
    let expected = "Error: \(dir.file("t.csv")) line 1: column name \"Plan\" appears twice (columns 2 and 3); rename one\n"
    let train = try runChurn(["train", "--table", dir.file("t.csv"), "--id", "id", "--label", "churn", "--out", dir.file("m.json")])
    #expect(train.status == 1 && train.stderr == expected, "\(train.stderr)")
    try "customer_id,timestamp,event_type,value\n1,2024-01-01,login,\n2,2024-01-05,login,\n".write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let features = try runChurn(["features", "--events", dir.file("e.csv"), "--customers", dir.file("t.csv"), "--customer-id-column", "id",
                                 "--cutoff", "2024-01-03", "--out", dir.file("f.csv")])
    #expect(features.status == 1 && features.stderr == expected, "\(features.stderr)")
    #expect(dir.contents() == ["e.csv", "t.csv"])
  }

  @Test("Extreme values never reach a probability: score, explain (table and JSON) and report refuse them, naming the row")
  func extremeValues() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    _ = try runChurn(["train", "--table", Self.telco, "--id", "customerid", "--label", "churn", "--out", dir.file("m.json")])
    var lines = try String(contentsOfFile: Self.telco, encoding: .utf8).split(separator: "\n").map(String.init)
    // 8879-ZKJOF: seniorcitizen (0/1) → 1e15, the largest value a table may hold, about 3e15
    // standard deviations from the training mean: past the preprocessor's 1e12.
    lines[1] = lines[1].replacingOccurrences(of: "8879-ZKJOF,Female,0,", with: "8879-ZKJOF,Female,1e15,")
    try (lines.joined(separator: "\n") + "\n").write(toFile: dir.file("t.csv"), atomically: true, encoding: .utf8)
    let message = try #require(try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("t.csv")]).stderr.split(separator: "\n").last)
    #expect(message == "Error: seniorcitizen is 1e+15 for 8879-ZKJOF (row 1), 2.74e+15 standard deviations from the training mean 0.158215; "
      + "expected at most 1e+12 standard deviations: check this value in the input (a unit or decimal-point slip?)")
    for command in [["explain", "--customer", "8879-ZKJOF"], ["explain", "--customer", "8879-ZKJOF", "--format", "json"],
                    ["report", "--out", dir.file("r.html")], ["score", "--format", "json", "--out", dir.file("s.json")]] {
      let r = try runChurn([command[0], "--model", dir.file("m.json"), "--table", dir.file("t.csv")] + command.dropFirst())
      #expect(r.status == 1, "\(command)")
      #expect(r.stderr.hasSuffix(message + "\n"), "\(command): \(r.stderr)")
      #expect(!r.stdout.contains("nan"))
    }
    #expect(dir.contents() == ["m.json", "t.csv"])
  }

  @Test("A table missing a training column names it; an unseen category scores without a crash")
  func tableProblems() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try """
      id,plan,usage,churned
      a,basic,1,yes
      b,pro,5,no
      c,basic,2,yes
      d,pro,7,no
      e,basic,3,no
      f,pro,6,yes
      """.write(toFile: dir.file("t.csv"), atomically: true, encoding: .utf8)
    let train = try runChurn(["train", "--table", dir.file("t.csv"), "--id", "id", "--label", "churned", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    try "id,usage\nx,4\n".write(toFile: dir.file("s.csv"), atomically: true, encoding: .utf8)
    let missing = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("s.csv")])
    #expect(missing.stderr == "Error: \(dir.file("s.csv")) lacks 1 of the model's 2 feature columns: plan; expected every column the model was trained on "
      + "(other columns are ignored, case does not matter); fix: add it under the name used in training\n")
    try "id,plan,usage\nx,enterprise,4\ny,,4\n".write(toFile: dir.file("s.csv"), atomically: true, encoding: .utf8)
    let unseen = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("s.csv"), "--out", dir.file("p.csv")])
    #expect(unseen.status == 0, "\(unseen.stderr)")
    let badLabel = try runChurn(["train", "--table", dir.file("t.csv"), "--id", "id", "--label", "plan", "--out", dir.file("m2.json")])
    #expect(badLabel.stderr == "Error: \(dir.file("t.csv")): label column plan has basic, pro; expected 0/1 or yes/no (blank = unknown)\n")
  }
}

@Suite("churn train --model forest")
struct ForestCommandTests {
  @Test("Telco forest: holdout AUC reported, importances printed, CLI probabilities equal the library's")
  func telcoForest() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let train = try runChurn(["train", "--table", TrainScoreCommandTests.telco, "--id", "customerid", "--label", "churn",
                              "--holdout-ids", TrainScoreCommandTests.holdout, "--model", "forest", "--trees", "40", "--seed", "3",
                              // The forest this test was written for (min leaf 5, ⌊√24⌋ features per split), not the default search's choice.
                              "--min-leaf", "5", "--features-per-split", "4", "--out", dir.file("f.json")])
    #expect(train.status == 0, "\(train.stderr)")
    #expect(train.stderr.contains("train: random forest, 40 trees ("))
    #expect(train.stderr.contains("train: holdout AUC 0.8"))
    #expect(train.stdout.hasPrefix("feature                      permutation: AUC drop ± sd   impurity\n"))
    // Permutation importance on the holdout rows: contract and tenure, Telco's known drivers, lead.
    let leaders = train.stdout.split(separator: "\n").dropFirst().prefix(3).map { String($0.split(separator: " ")[0]) }
    #expect(leaders.contains("contract") && leaders.contains("tenure"), "\(leaders)")
    let score = try runChurn(["score", "--model", dir.file("f.json"), "--table", TrainScoreCommandTests.telco, "--reasons", "20",
                              "--out", dir.file("p.csv")])
    #expect(score.status == 0, "\(score.stderr)")
    let model = try ModelFile.read(path: dir.file("f.json"))
    #expect(model.family == .forest)
    for tree in (model.model as! ForestModel).trees { tree._checkInvariants() }
    let table = try TypedCSV(path: TrainScoreCommandTests.telco, idColumn: "customerid").featureTable(label: nil)
    let expected = Dictionary(uniqueKeysWithValues: zip(table.ids, try model.probabilities(table)))
    let lines = try String(contentsOfFile: dir.file("p.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
    #expect(lines.count == 4930)
    #expect(lines.prefix(20).allSatisfy { $0.contains(" pts)") })
    #expect(!lines.dropFirst(20).contains { $0.contains(" pts)") })
    for line in lines {
      let f = line.split(separator: ",", omittingEmptySubsequences: false)
      #expect(abs(Double(f[2])! - expected[String(f[1])]!) <= 5e-7)
    }
    // The same seed trains the same forest again.
    let again = try runChurn(["train", "--table", TrainScoreCommandTests.telco, "--id", "customerid", "--label", "churn",
                              "--holdout-ids", TrainScoreCommandTests.holdout, "--model", "forest", "--trees", "40", "--seed", "3",
                              "--min-leaf", "5", "--features-per-split", "4", "--threads", "1", "--out", dir.file("g.json")])
    #expect(again.status == 0)
    let other = try ModelFile.read(path: dir.file("g.json"))
    #expect((other.model as! ForestModel).trees == (model.model as! ForestModel).trees)
    #expect(other.permutationImportance == model.permutationImportance)
  }
}
