import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// `churn train` and `churn backtest` without hyperparameter flags choose them on held-out
/// rows (the default search); a flag given wins over the search.
@Suite("churn train and backtest: the default hyperparameter search")
struct DefaultSearchCommandTests {
  static let telco = ["--table", TrainScoreCommandTests.telco, "--id", "customerid", "--label", "churn", "--holdout-ids", TrainScoreCommandTests.holdout]

  @Test("No flags: the λ₂ path on 3 folds of the training rows, printed and stored; the holdout AUC measured with the choice")
  func logisticPrinted() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let run = try runChurn(["train"] + Self.telco + ["--threads", "1", "--out", dir.file("m.json")])
    #expect(run.status == 0, "\(run.stderr)")
    let model = try ModelFile.read(path: dir.file("m.json"))
    let record = try #require(model.tuning)
    let lines = run.stderr.split(separator: "\n").map(String.init)
    let first = try #require(lines.firstIndex { $0.hasPrefix("train: default search:") })
    #expect(lines[first] == "train: default search: 9 candidates × 3 folds (fold 1 of 3, fold 2 of 3, fold 3 of 3), by mean log_loss")
    #expect(lines[first + 1].hasPrefix("train:   l2 10000: mean log loss 0.") && lines[first + 9].hasPrefix("train:   l2 1: mean log loss 0."))
    #expect(lines[first + 10] == "train: default search chose \(record.chosen) (lowest mean log loss over 3 cross-validation folds)")
    #expect(record.candidates.count == 9 && record.folds == ["fold 1 of 3", "fold 2 of 3", "fold 3 of 3"])
    #expect("l2 \(String(format: "%g", try #require(model.model as? LogisticModel).l2Penalty))" == record.chosen)
  }

  @Test("A hyperparameter flag wins: --l2 searches nothing; forest --min-leaf searches only features per split",
        arguments: [(["--l2", "1"], 0), (["--model", "forest", "--trees", "20", "--min-leaf", "50"], 2),
                    (["--model", "forest", "--trees", "20", "--min-leaf", "50", "--features-per-split", "4"], 0)])
  func flagWins(flags: [String], candidates: Int) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let run = try runChurn(["train"] + Self.telco + flags + ["--threads", "1", "--importance", "none", "--out", dir.file("m.json")])
    #expect(run.status == 0, "\(run.stderr)")
    let model = try ModelFile.read(path: dir.file("m.json"))
    #expect((model.tuning?.candidates.count ?? 0) == candidates)
    #expect(run.stderr.contains("train: default search") == (candidates > 0))
    if candidates > 0 {
      #expect(model.tuning!.candidates.allSatisfy { $0.settings.hasPrefix("20 trees, min leaf 50, ") } && model.tuning!.folds == ["out-of-bag"])
      #expect(try #require(model.model as? ForestModel).minLeafSize == 50)
    }
  }

  @Test("churn backtest without flags chooses per fold on what precedes it; with --l2 it does not")
  func backtest() throws {
    let base = ["backtest", "--table", TrainScoreCommandTests.telco, "--id", "customerid", "--label", "churn", "--folds", "3", "--bootstrap", "0",
                "--threads", "1"]
    let searched = try runChurn(base)
    #expect(searched.status == 0, "\(searched.stderr)")
    #expect(searched.stdout.contains("logistic model (tuned per fold on earlier folds):"))
    #expect(searched.stdout.split(separator: "\n").filter { $0.hasPrefix("fold ") && $0.hasSuffix("]") && $0.contains("  [l2 ") }.count == 3)
    let given = try runChurn(base + ["--l2", "1"])
    #expect(given.status == 0, "\(given.stderr)")
    #expect(given.stdout.contains("logistic model (l2 1):"))
  }
}
