import ChurnCore
import ChurnModels
import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

@Suite("churn train --model boosting: the default search")
struct BoostingSearchCommandTests {
  static let arguments = ["train", "--table", TrainScoreCommandTests.telco, "--id", "customerid", "--label", "churn",
                          "--holdout-ids", TrainScoreCommandTests.holdout, "--model", "boosting", "--importance", "none"]

  @Test("Telco without flags: rounds, leaves and min leaf chosen by early stopping on the folds, printed and stored; the same model with 1 and 2 threads")
  func telcoDefaults() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let train = try runChurn(Self.arguments + ["--threads", "2", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    #expect(train.stderr.contains("train: default search: 20 candidates × 3 folds (fold 1 of 3, fold 2 of 3, fold 3 of 3), by mean log_loss "
      + "(one fit per setting and fold, up to 200 trees, stopped after 20 rounds without a lower log loss)"), "\(train.stderr)")
    let chose = try #require(train.stderr.split(separator: "\n").first { $0.hasPrefix("train: default search chose ") })
    #expect(chose.wholeMatch(of: /train: default search chose (25|50|100|150|200) trees, learning rate 0\.1, (7|31) leaves, min leaf (20|100) \(lowest mean log loss over 3 cross-validation folds; one fit per setting and fold, up to 200 trees, stopped after 20 rounds without a lower log loss\)/) != nil,
            "\(chose)")
    let model = try ModelFile.read(path: dir.file("m.json"))
    let tuning = try #require(model.tuning)
    #expect(tuning.candidates.count == 20 && tuning.metric == "log_loss")
    // The chosen candidate is the one of least mean fold log loss.
    let best = tuning.candidates.min { $0.meanLogLoss < $1.meanLogLoss }!
    #expect(tuning.chosen == best.settings)
    // The final model has the chosen number of trees.
    let trees = try #require(Int(best.settings.split(separator: " ")[0]))
    #expect((model.model as? BoostedModel)?.trees.count == trees)
    #expect(train.stderr.contains("train: gradient-boosted trees, \(trees) trees ("), "\(train.stderr)")
    let one = try runChurn(Self.arguments + ["--threads", "1", "--out", dir.file("one.json")])
    #expect(one.status == 0)
    #expect(try ModelFile.read(path: dir.file("one.json")).model.isEqual(to: model.model))
  }

  @Test("A flag keeps its value: --trees searches leaves × min leaf only; --trees, --max-leaves and --min-leaf together: no search")
  func flagsWin() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let trees = try runChurn(Self.arguments + ["--trees", "40", "--out", dir.file("t.json")])
    #expect(trees.status == 0, "\(trees.stderr)")
    #expect(trees.stderr.contains("train: default search: 4 candidates × 3 folds"), "\(trees.stderr)")
    #expect(try ModelFile.read(path: dir.file("t.json")).tuning?.chosen.hasPrefix("40 trees, learning rate 0.1, ") == true)
    let all = try runChurn(Self.arguments + ["--trees", "40", "--max-leaves", "15", "--min-leaf", "30", "--out", dir.file("a.json")])
    #expect(all.status == 0, "\(all.stderr)")
    #expect(!all.stderr.contains("default search"), "\(all.stderr)")
    #expect(try ModelFile.read(path: dir.file("a.json")).tuning == nil)
  }
}
