@testable import ChurnModels
import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

/// `Tuning.defaultSearch`: what `churn train` and `churn backtest` do without hyperparameter
/// flags. The choice is made on held-out rows that are never the rows the model is measured on.
@Suite("Trainer: the default hyperparameter search")
struct DefaultSearchTrainerTests {
  static func plan() throws -> ObservationPlan { try ObservationPlan(cutoffs: "2024-04-01:2024-11-01:1m", horizon: "30d") }

  @Test("From events: the λ₂ path is compared on the folds before the holdout cutoff; the record is stored and logged")
  func eventsSearch() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = try TrainerTests.simulated(dir)
    let lines = RecordedLog()
    let result = try Trainer(settings: ModelSettings(threads: 1), tuning: .defaultSearch(), log: lines.log).train(data, plan: try Self.plan())
    let record = try #require(result.model.tuning)
    let holdout = try #require(result.model.events?.holdoutCutoff)
    #expect(holdout == "2024-11-01" && result.report.holdout?.name == holdout)
    // Never the holdout's rows: the latest 3 folds whose labels were known by the holdout cutoff.
    #expect(record.folds == ["2024-08-01", "2024-09-01", "2024-10-01"] && !record.folds.contains(holdout))
    #expect(record.metric == "log_loss" && record.candidates.map(\.settings) == LogisticPath.defaultPenalties.map { "l2 \(String(format: "%g", $0))" })
    let best = record.candidates.min { $0.meanLogLoss < $1.meanLogLoss }!
    #expect(record.chosen == best.settings && record.reason == "lowest mean log loss over 3 out-of-time folds")
    // The holdout and the final model are fitted with the choice.
    #expect(result.report.backtest?.settings == record.chosen)
    #expect("l2 \(String(format: "%g", try #require(result.model.model as? LogisticModel).l2Penalty))" == record.chosen)
    #expect(lines.lines.contains("default search: 9 candidates × 3 folds (2024-08-01, 2024-09-01, 2024-10-01), by mean log_loss"))
    #expect(lines.lines.contains("default search chose \(record.chosen) (lowest mean log loss over 3 out-of-time folds)"))
  }

  @Test("--tune's grid is compared on the folds before the holdout too, never on it")
  func gridBeforeHoldout() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = try TrainerTests.simulated(dir)
    let result = try Trainer(settings: ModelSettings(threads: 1), tuning: Tuning(folds: 2)).train(data, plan: try Self.plan())
    #expect(result.model.tuning?.folds == ["2024-09-01", "2024-10-01"] && result.model.events?.holdoutCutoff == "2024-11-01")
  }

  @Test("With the only fold the holdout: --tune fails with the fix; the default search uses the holdout fold's training rows, by customer, and says so")
  func noFoldBeforeHoldout() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = try TrainerTests.simulated(dir)
    let plan = try ObservationPlan(cutoffs: "2024-09-01:2024-10-01:1m", horizon: "30d")
    #expect(throws: TrainerError.noTuningFoldBeforeHoldout("2024-10-01")) { try Trainer(settings: ModelSettings(threads: 1), tuning: Tuning()).train(data, plan: plan) }
    #expect(TrainerError.noTuningFoldBeforeHoldout("2024-10-01").description
      == "--tune needs an out-of-time fold before the holdout cutoff 2024-10-01 (one whose label window closed by then), so that the choice never "
      + "sees the rows the model is measured on; none exists: add earlier cutoffs (--cutoffs FROM:TO:STEP) or leave out --tune")
    let lines = RecordedLog()
    let result = try Trainer(settings: ModelSettings(threads: 1), tuning: .defaultSearch(), log: lines.log).train(data, plan: plan)
    let record = try #require(result.model.tuning)
    #expect(record.folds == ["customers 1 of 3", "customers 2 of 3", "customers 3 of 3"])
    let note = try #require(lines.lines.first { $0.hasPrefix("note: no out-of-time fold") })
    #expect(note.firstMatch(of: /^note: no out-of-time fold before the holdout cutoff 2024-10-01: the default search compares candidates on the (\d+) rows whose label window closed by then, in 3 folds of whole customers$/) != nil, "\(note)")
    // Those rows are the holdout fold's training rows: the cutoff 2024-09-01 only.
    let rows = Int(note.firstMatch(of: /on the (\d+) rows/)!.output.1)!
    #expect(rows == result.report.backtest?.folds.last?.trainingRows)
  }

  @Test("A given hyperparameter is kept: with nothing left to search nothing is fitted or recorded")
  func givenWins() throws {
    let table = TableData(path: TrainerTests.telco, idColumn: "customerid", label: "churn")
    let lines = RecordedLog()
    let given = ModelSettings(.logistic(LogisticSpec(l2Penalty: 7)), threads: 1)
    let result = try Trainer(settings: given, tuning: .defaultSearch(fixed: ["l2Penalty"]), log: lines.log).train(table, holdoutIds: TrainerTests.holdoutIds)
    #expect(result.model.tuning == nil && !lines.lines.contains { $0.contains("default search") })
    #expect((result.model.model as? LogisticModel)?.l2Penalty == 7)
  }

  @Test("From a table: logistic on a 3-fold split of the training rows, the forest out of bag; the holdout ids are in neither")
  func tableSearch() throws {
    let table = TableData(path: TrainerTests.telco, idColumn: "customerid", label: "churn")
    let logistic = try Trainer(settings: ModelSettings(threads: 1), tuning: .defaultSearch()).train(table, holdoutIds: TrainerTests.holdoutIds)
    let record = try #require(logistic.model.tuning)
    #expect(record.folds == ["fold 1 of 3", "fold 2 of 3", "fold 3 of 3"] && record.reason == "lowest mean log loss over 3 cross-validation folds")
    #expect(logistic.report.backtest == nil && logistic.report.holdout?.evaluation.rows == 2113)
    let lines = RecordedLog()
    let forest = try Trainer(settings: ModelSettings(.forest(ForestSpec(treeCount: 20)), threads: 1), tuning: .defaultSearch(), log: lines.log)
      .train(table, holdoutIds: TrainerTests.holdoutIds)
    let oob = try #require(forest.model.tuning)
    #expect(oob.folds == ["out-of-bag"] && oob.candidates.count == 8)
    // Only the 2,817 training rows (the 2,113 holdout rows are left out), less any row every tree drew.
    let match = try #require(oob.reason.firstMatch(of: /of (\d+) training rows/))
    let rows = try #require(Int(match.output.1))
    #expect(rows <= 2817 && rows > 2800 && oob.reason == "lowest log loss on out-of-bag predictions of \(rows) training rows; 20 trees per candidate forest")
    #expect(lines.lines.first { $0.hasPrefix("default search:") }
      == "default search: 8 candidates on out-of-bag predictions of \(rows) training rows, by log_loss (20 trees per candidate forest)")
    #expect(try #require(forest.model.model as? ForestModel).trees.count == 20)
  }
}

@Suite("Tuning: the default search's folds")
struct DefaultSearchFoldsTests {
  @Test("Large folds: the default search compares on the latest folds holding 30,000 test rows; --tune on all it is given")
  func enoughRows() throws {
    let table = plantedTable(rows: 600)
    func fold(_ k: Int, tests: Int) -> Fold {
      // Row indices repeat: only the counts matter to the choice of folds, and every fold fits.
      Fold(name: "f\(k)", train: Array(0..<400), test: (0..<tests).map { 400 + $0 % 200 })
    }
    let big = [fold(1, tests: 20_000), fold(2, tests: 20_000), fold(3, tests: 30_000)]
    let settings = ModelSettings(threads: 1)
    #expect(try Tuning.defaultSearch().choose(table, folds: big, settings: settings).record?.folds == ["f3"])
    let small = [fold(1, tests: 200), fold(2, tests: 29_000), fold(3, tests: 1_000)]
    #expect(try Tuning.defaultSearch().choose(table, folds: small, settings: settings).record?.folds == ["f2", "f3"])
    #expect(try Tuning(folds: 3).choose(table, folds: big, settings: settings).record?.folds == ["f1", "f2", "f3"])
  }
}
