import ChurnCore
import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

@Suite("churn train --model boosting")
struct BoostingCommandTests {
  @Test("Telco: fit report and holdout AUC printed; churn score's probabilities equal the library's; reasons in points; the same seed retrains the same model")
  func telcoBoosting() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let arguments = ["train", "--table", TrainScoreCommandTests.telco, "--id", "customerid", "--label", "churn",
                     "--holdout-ids", TrainScoreCommandTests.holdout, "--model", "boosting", "--trees", "40", "--max-leaves", "15",
                     "--learning-rate", "0.05", "--min-leaf", "30", "--importance", "none"]
    let train = try runChurn(arguments + ["--threads", "2", "--out", dir.file("b.json")])
    #expect(train.status == 0, "\(train.stderr)")
    #expect(train.stderr.contains("train: gradient-boosted trees, 40 trees ("), "\(train.stderr)")
    #expect(train.stderr.contains("at most 15 a tree), learning rate 0.05, min leaf 30, base log-odds -"))
    #expect(train.stderr.contains("train: holdout AUC 0.8"), "\(train.stderr)")
    let score = try runChurn(["score", "--model", dir.file("b.json"), "--table", TrainScoreCommandTests.telco, "--reasons", "20",
                              "--out", dir.file("p.csv")])
    #expect(score.status == 0, "\(score.stderr)")
    let model = try ModelFile.read(path: dir.file("b.json"))
    #expect(model.family == .boosting)
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
    // One thread, the same seed: the same model file.
    let again = try runChurn(arguments + ["--threads", "1", "--out", dir.file("c.json")])
    #expect(again.status == 0)
    let other = try ModelFile.read(path: dir.file("c.json"))
    #expect(other.model.isEqual(to: model.model))
  }

  @Test("Demo event log: train and score the weekly list with --model boosting")
  func demo() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let train = try runChurn(["train"] + ModelFileBytesPinTests.demo + ["--model", "boosting", "--trees", "30", "--importance", "none",
                                                                         "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    #expect(train.stderr.contains("train: gradient-boosted trees, 30 trees ("), "\(train.stderr)")
    let score = try runChurn(["score", "--model", dir.file("m.json"), "--events", GzipInputCommandTests.root.appendingPathComponent("datasets/demo/events.csv").path,
                              "--customers", GzipInputCommandTests.root.appendingPathComponent("datasets/demo/customers.csv").path,
                              "--as-of", "2025-12-01", "--reasons", "5", "--out", dir.file("risk.csv")])
    #expect(score.status == 0, "\(score.stderr)")
    let lines = try String(contentsOfFile: dir.file("risk.csv"), encoding: .utf8).split(separator: "\n")
    #expect(lines.count > 1000)
    #expect(lines.dropFirst().prefix(5).allSatisfy { $0.contains(" pts)") }, "\(lines.prefix(3))")
  }

  @Test("A missing value that drives churn: the boosted model learns it, and a customer's reason says the value is missing, with its points")
  func missingReason() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    // usage is missing for every fifth customer, who churn (4 in 5); the others churn 1 in 10
    // whatever their usage; noise carries nothing.
    var rng = SeededGenerator(seed: 11)
    var csv = "id,usage,noise,churn\n"
    var missing: Set<String> = []
    for i in 0..<2_000 {
      let id = "c\(i)"
      let absent = i % 5 == 0
      if absent { missing.insert(id) }
      let churned = rng.bernoulli(absent ? 0.8 : 0.1)
      csv += "\(id),\(absent ? "" : String(format: "%.3f", rng.uniform() * 100)),\(String(format: "%.3f", rng.uniform())),\(churned ? 1 : 0)\n"
    }
    try csv.write(toFile: dir.file("t.csv"), atomically: true, encoding: .utf8)
    let train = try runChurn(["train", "--table", dir.file("t.csv"), "--id", "id", "--label", "churn", "--model", "boosting", "--trees", "30",
                              "--max-leaves", "7", "--min-leaf", "20", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    // Permutation importance shuffles usage with its missing values: the model loses most of
    // its ranking (the first line of the importance table, far above noise).
    let table = train.stdout.split(separator: "\n").drop { !$0.hasPrefix("feature ") }.dropFirst()
    #expect(table.first?.hasPrefix("usage                        +0.") == true, "\(train.stdout)")
    #expect(table.dropFirst().first?.hasPrefix("noise                        +0.0") == true, "\(train.stdout)")
    let model = try String(contentsOfFile: dir.file("m.json"), encoding: .utf8)
    #expect(model.contains("\"keepsMissing\" : true") && !model.contains("usage_missing"))
    let score = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("t.csv"), "--reasons", "2000", "--out", dir.file("p.csv")])
    #expect(score.status == 0, "\(score.stderr)")
    let rows = try String(contentsOfFile: dir.file("p.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
      .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    #expect(rows.count == 2_000)
    // The 400 customers with usage missing are the riskiest 400, each with the missing value as
    // its first reason; no other customer's reason mentions a missing value.
    #expect(Set(rows.prefix(400).map { $0[1] }) == missing)
    for row in rows {
      if missing.contains(row[1]) {
        #expect(row[5].hasPrefix("usage is missing (+") && row[5].hasSuffix(" pts)"), "\(row)")
      } else {
        #expect(!row[5...7].contains { $0.contains("missing") }, "\(row)")
      }
    }
  }
}
