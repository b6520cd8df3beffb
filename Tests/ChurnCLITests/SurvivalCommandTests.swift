import ChurnTestSupport
import Foundation
import Testing

/// `churn train|backtest --survival --periods K`: the flag errors, each pinned.
@Suite("churn train --survival: flag errors")
struct SurvivalCommandTests {
  static func error(_ arguments: [String]) throws -> String {
    let run = try runChurn(arguments)
    #expect(run.status != 0)
    return run.stderr.split(separator: "\n").first.map(String.init) ?? ""
  }

  @Test("--periods without --survival, --survival without --periods, K < 2, stratified with the logistic model, --survival with --table")
  func errors() throws {
    let events = ["--events", "e.csv", "--cutoffs", "2025-01-01:2025-06-01:1m", "--out", "m.json"]
    #expect(try Self.error(["train"] + events + ["--periods", "3"]) == "Error: --periods applies only with --survival; add --survival or drop it")
    #expect(try Self.error(["backtest"] + events + ["--period-encoding", "number"])
      == "Error: --period-encoding applies only with --survival; add --survival or drop it")
    #expect(try Self.error(["train"] + events + ["--survival"]) == "Error: --survival needs --periods K (2 to 120): the periods to look ahead")
    #expect(try Self.error(["train"] + events + ["--survival", "--periods", "1"])
      == "Error: --periods 1: a survival model needs 2 to 120 periods (each one --horizon long); for one period train the fixed-horizon model (leave out --survival)")
    #expect(try Self.error(["backtest"] + events + ["--survival", "--periods", "3", "--period-encoding", "stratified"])
      == "Error: --period-encoding stratified splits a tree model's trees on the period first; the logistic model has no trees to split: "
      + "use --model forest or boosting, or another encoding (indicators, number, both, first-period)")
    #expect(try Self.error(["train", "--table", "t.csv", "--label", "churn", "--survival", "--periods", "3", "--out", "m.json"])
      == "Error: --survival needs an event log (--events) and a customer table with churn dates: a prepared table (--table) has one label per row and no churn dates to follow over the periods")
  }
}
