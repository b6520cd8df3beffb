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
}
