import ChurnTestSupport
import Foundation
import Testing

@Suite("Flags that do not apply are refused; counts have limits")
struct FlagRulesTests {
  /// Runs churn and returns the first line of standard error (ArgumentParser adds usage lines
  /// after a validation error), after checking that the run failed and wrote nothing.
  func refusal(_ arguments: [String], in dir: TemporaryDirectory) throws -> String {
    let before = dir.contents()
    let r = try runChurn(arguments)
    #expect(r.status != 0, "\(arguments) succeeded")
    #expect(dir.contents() == before, "\(arguments) wrote files")
    return String(r.stderr.split(separator: "\n").first ?? "")
  }

  @Test("Flags of the other model family, of --tune and of its overrides", arguments: [
    (["--model", "forest", "--l1", "1"], "Error: --l1 applies to the logistic model only, not to --model forest; drop it"),
    (["--model", "forest", "--l2", "2"], "Error: --l2 applies to the logistic model only, not to --model forest; drop it"),
    (["--model", "forest", "--solver", "newton"], "Error: --solver applies to the logistic model only, not to --model forest; drop it"),
    (["--model", "forest", "--no-fat-tail"], "Error: --no-fat-tail applies to the logistic model only, not to --model forest; drop it"),
    (["--trees", "50"], "Error: --trees applies to the tree models only (--model forest or boosting), not to the logistic model; drop it"),
    (["--min-leaf", "3"], "Error: --min-leaf applies to the tree models only (--model forest or boosting), not to the logistic model; drop it"),
    (["--features-per-split", "3"], "Error: --features-per-split applies to the forest only (--model forest), not to the logistic model; drop it"),
    (["--max-depth", "4"], "Error: --max-depth applies to the tree models only (--model forest or boosting), not to the logistic model; drop it"),
    (["--learning-rate", "0.05"], "Error: --learning-rate applies to gradient boosting only (--model boosting), not to the logistic model; drop it"),
    (["--model", "forest", "--max-leaves", "15"], "Error: --max-leaves applies to gradient boosting only (--model boosting), not to --model forest; drop it"),
    (["--model", "forest", "--min-child-weight", "1"],
     "Error: --min-child-weight applies to gradient boosting only (--model boosting), not to --model forest; drop it"),
    (["--model", "boosting", "--l2", "2"], "Error: --l2 applies to the logistic model only, not to --model boosting; drop it"),
    (["--model", "boosting", "--features-per-split", "3"],
     "Error: --features-per-split applies to the forest only (--model forest), not to --model boosting; drop it"),
    (["--tune", "--model", "boosting", "--max-leaves", "15"],
     "Error: --max-leaves is chosen by --tune (it tries max leaves 7, 31, 63 × min leaf 5, 20, 100); drop it, or drop --tune"),
    (["--model", "boosting", "--learning-rate", "0"],
     "Error: --learning-rate (BoostingSpec.learningRate) is 0.0; expected a number in (0, 1]; fix: use 0.01 to 0.3 (0.1 is the default)"),
    (["--model", "boosting", "--max-leaves", "1"],
     "Error: --max-leaves (BoostingSpec.maxLeaves) is 1; expected 2...131072; fix: use 7 to 255 leaves (31 is the default)"),
    (["--tune-metric", "auc"], "Error: --tune-metric applies only with --tune; add --tune or drop it"),
    (["--tune-folds", "2"], "Error: --tune-folds applies only with --tune; add --tune or drop it"),
    (["--tune", "--l2", "3"], "Error: --l2 is chosen by --tune (it tries 0.01, 0.1, 1, 10, 100, 1000); drop it, or drop --tune"),
    (["--tune", "--model", "forest", "--min-leaf", "3"],
     "Error: --min-leaf is chosen by --tune (it tries min leaf 1, 5, 20, 50 × features per split ½√d, √d, 2√d); drop it, or drop --tune"),
    (["--model", "forest", "--trees", "1000000"], "Error: --trees 1000000 is too many; expected 1...10000"),
    (["--model", "forest", "--trees", "0"], "Error: --trees 0 is too small; expected 1...10000"),
    (["--model", "forest", "--min-leaf=-1"], "Error: --min-leaf -1 is too small; expected 1 or more"),
    (["--model", "forest", "--max-depth=-1"], "Error: --max-depth -1 is too small; expected 1 or more"),
    (["--model", "forest", "--features-per-split", "0"], "Error: --features-per-split 0 is too small; expected 1 or more"),
    (["--tune", "--tune-folds", "0"], "Error: --tune-folds 0 is too small; expected 1...100"),
  ])
  func modelFlags(extra: [String], message: String) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try OutputSafetyTests.fixtures(dir)
    let table = ["--table", dir.file("table.csv"), "--id", "id", "--label", "churned"]
    #expect(try refusal(["train"] + table + extra + ["--out", dir.file("m.json")], in: dir) == message)
    #expect(try refusal(["backtest"] + table + extra + ["--out", dir.file("b.json")], in: dir) == message)
  }

  @Test("Event-log flags with --table, table flags with --events, and customer-table flags without a customer table", arguments: [
    (["train", "--table", "T", "--label", "churned", "--id", "id", "--horizon", "30d"], "Error: --horizon applies to an event log (--events), not to --table; drop it"),
    (["train", "--table", "T", "--label", "churned", "--id", "id", "--cutoffs", "2024-01-01:2024-03-01:1m"],
     "Error: --cutoffs applies to an event log (--events), not to --table; drop it"),
    (["train", "--table", "T", "--label", "churned", "--id", "id", "--cutoff", "2024-01-01"], "Error: --cutoff applies to an event log (--events), not to --table; drop it"),
    (["train", "--table", "T", "--label", "churned", "--id", "id", "--lead", "3"], "Error: --lead applies to an event log (--events), not to --table; drop it"),
    (["train", "--table", "T", "--label", "churned", "--id", "id", "--customer-column", "c"],
     "Error: --customer-column applies to an event log (--events), not to --table; drop it"),
    (["train", "--table", "T", "--label", "churned", "--id", "id", "--skip-bad-rows"], "Error: --skip-bad-rows applies to an event log (--events), not to --table; drop it"),
    (["train", "--table", "T", "--label", "churned", "--id", "id", "--customers", "C"],
     "Error: --customers applies to an event log's customer table, not to --table; drop it"),
    (["train", "--table", "T", "--label", "churned", "--id", "id", "--signup-column", "s"],
     "Error: --signup-column applies to an event log's customer table, not to --table; drop it"),
    (["train", "--table", "T", "--label", "churned", "--id", "id", "--folds", "3"],
     "Error: --folds applies only with --tune or --calibrate (the folds of their cross-validation); drop it"),
    (["train", "--table", "T", "--label", "churned", "--id", "id", "--calibrate", "platt", "--folds", "1"], "Error: --folds 1 is too small; expected 2...100"),
    (["train", "--events", "E", "--cutoff", "2024-02-01", "--label", "churned"], "Error: --label applies only with --table; drop it"),
    (["train", "--events", "E", "--cutoff", "2024-02-01", "--holdout-ids", "T"], "Error: --holdout-ids applies only with --table; drop it"),
    (["train", "--events", "E", "--cutoff", "2024-02-01", "--id", "id"], "Error: --id applies only with --table; drop it"),
    (["train", "--events", "E", "--cutoff", "2024-02-01", "--categorical", "plan"], "Error: --categorical applies to a customer table; add --customers or drop it"),
    (["train", "--events", "E", "--cutoff", "2024-02-01", "--churn-date-column", "ended"],
     "Error: --churn-date-column applies to a customer table; add --customers or drop it"),
    (["train", "--events", "E", "--cutoff", "2024-02-01", "--threads", "0"], "Error: --threads 0 must be at least 1"),
    (["train", "--events", "E", "--cutoff", "2024-02-01", "--lead=-2"], "Error: --lead -2 is too small; expected 0 or more"),
    (["backtest", "--table", "T", "--label", "churned", "--id", "id", "--test-from", "2024-01-01"],
     "Error: --test-from applies to an event log (--events), not to --table; drop it"),
    (["backtest", "--table", "T", "--label", "churned", "--id", "id", "--bootstrap", "10000000"], "Error: --bootstrap 10000000 is too many; expected 0...10000"),
    (["backtest", "--table", "T", "--label", "churned", "--id", "id", "--bootstrap=-1"], "Error: --bootstrap -1 is too small; expected 0...10000"),
    (["backtest", "--events", "E", "--cutoff", "2024-02-01", "--folds", "3"], "Error: --folds applies only with --table; drop it"),
    (["train", "--table", "T", "--label", "churned", "--id", "id", "--features", "btyd"],
     "Error: --features applies to an event log (--events), not to --table; drop it"),
    (["backtest", "--table", "T", "--label", "churned", "--id", "id", "--features", "btyd"],
     "Error: --features applies to an event log (--events), not to --table; drop it"),
    (["backtest", "--events", "E", "--cutoff", "2024-02-01", "--features", "btyd,rfm"],
     "Error: --features rfm: rfm is a default family, always computed; --features adds the families that are off by default: btyd"),
    (["cohorts", "--table", "T", "--label", "churned", "--id", "id", "--windows", "7"], "Error: --windows applies to an event log (--events), not to --table; drop it"),
    (["cohorts", "--table", "T", "--label", "churned", "--id", "id", "--features", "usage", "--top", "3"],
     "Error: --top applies only without --features (which names the features to show); drop one"),
    (["cohorts", "--table", "T", "--label", "churned", "--id", "id", "--top=-1"], "Error: --top -1 is too small; expected 1 or more"),
    (["cohorts", "--table", "T", "--label", "churned", "--id", "id", "--groups", "1001"], "Error: --groups 1001 is too many; expected 2...1000 quantile groups"),
    (["cohorts", "--events", "E", "--cutoff", "2024-02-01", "--label", "churned"], "Error: --label applies only with --table; drop it"),
    (["features", "--events", "E", "--cutoff", "2024-02-01", "--exclude", "plan"], "Error: --exclude applies to a customer table; add --customers or drop it"),
    (["features", "--events", "E", "--cutoff", "2024-02-01", "--spec", "T", "--windows", "7"],
     "Error: --windows comes from the spec when --spec is given; drop it or edit the spec"),
    (["describe", "--events", "E", "--churn-date-column", "ended"], "Error: --churn-date-column applies to a customer table; add --customers or drop it"),
    (["simulate", "--threads", "100000"], "Error: invalid simulation setting: threads must be between 1 and 1024, got 100000"),
  ])
  func modeFlags(arguments: [String], message: String) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try OutputSafetyTests.fixtures(dir)
    let paths = ["T": dir.file("table.csv"), "E": dir.file("events.csv"), "C": dir.file("customers.csv")]
    let resolved = arguments.map { paths[$0] ?? $0 } + (arguments[0] == "describe" ? [] : ["--out", dir.file("out")])
    #expect(try refusal(resolved, in: dir) == message)
  }

  @Test("Scoring flags: --table refuses event-log flags, --events refuses --id, --format needs --out, --top must be positive")
  func scoringFlags() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try OutputSafetyTests.fixtures(dir)
    let train = try runChurn(["train", "--table", dir.file("table.csv"), "--id", "id", "--label", "churned", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    let model = ["--model", dir.file("m.json")]
    let table = model + ["--table", dir.file("table.csv"), "--id", "id"]
    for command in ["score", "explain", "report"] {
      let extra = command == "explain" ? ["--customer", "U1"] : command == "report" ? ["--out", dir.file("r.html")] : []
      #expect(try refusal([command] + table + extra + ["--as-of", "2024-02-01"], in: dir)
        == "Error: --as-of applies to an event log (--events), not to --table; drop it")
      #expect(try refusal([command] + table + extra + ["--customers", dir.file("customers.csv")], in: dir)
        == "Error: --customers applies to an event log (--events), not to --table; drop it")
      #expect(try refusal([command] + model + ["--events", dir.file("events.csv"), "--as-of", "2024-02-01", "--id", "id"] + extra, in: dir)
        == "Error: --id applies only with --table (an event log's id column is the model's); drop it")
    }
    #expect(try refusal(["score"] + table + ["--format", "json"], in: dir) == "Error: --format applies to --out; without --out the list is printed as a table")
    #expect(try refusal(["score"] + table + ["--top=-1"], in: dir) == "Error: --top -1 must be at least 1")
    #expect(try refusal(["report"] + table + ["--top", "0", "--out", dir.file("r.html")], in: dir)
      == "Error: --top 0 is too small; expected the number of customers to list, 1 or more")
    #expect(try refusal(["report"] + model + ["--events", dir.file("events.csv"), "--as-of", "2024-02-01", "--label", "churned", "--out", dir.file("r.html")], in: dir)
      == "Error: --label applies only with --table (an event log's labels come from the model's horizon); drop it")
    #expect(try refusal(["weights"] + model + ["--top=-1"], in: dir) == "Error: --top must be at least 1")
    #expect(try refusal(["weights"] + model + ["--format", "yaml"], in: dir)
      == "Error: The value 'yaml' is invalid for '--format <format>'. Please provide one of 'table', 'csv' or 'json'.")
  }

  @Test("weights --help lists the formats; describe and features without --events say so (exit 1, no usage)")
  func choicesAndMissingLog() throws {
    let help = try runChurn(["weights", "--help"])
    #expect(help.status == 0 && help.stdout.contains("(values: table, csv, json; default:"))
    for arguments in [["describe"], ["features", "--cutoff", "2024-02-01", "--out", "-"]] {
      let r = try runChurn(arguments)
      #expect(r.status == 1 && r.stdout.isEmpty && r.stderr == "Error: no event log given; use --events FILE.csv\n", "\(arguments)")
    }
  }

  @Test("--folds larger than the smaller class fails before any fold runs, giving the class counts")
  func foldsAgainstClasses() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    // 40 rows: 3 churned, 37 retained.
    var text = "id,usage,churned\n"
    for k in 0..<40 { text += "U\(k),\(k % 5),\(k < 3 ? 1 : 0)\n" }
    try text.write(toFile: dir.file("t.csv"), atomically: true, encoding: .utf8)
    let message = "Error: cannot make 5 stratified folds: the labelled rows hold 3 churned and 37 retained customers, "
      + "and every fold needs at least one of each to train and test on; use at most 3 folds (--folds 3) or more labelled rows\n"
    let b = try runChurn(["backtest", "--table", dir.file("t.csv"), "--id", "id", "--label", "churned"])
    #expect(b.status == 1)
    #expect(b.stderr.hasSuffix(message) && !b.stderr.contains("fitted"))
    let t = try runChurn(["train", "--table", dir.file("t.csv"), "--id", "id", "--label", "churned", "--calibrate", "platt", "--out", dir.file("m.json")])
    #expect(t.status == 1)
    #expect(t.stderr.hasSuffix(message) && !t.stderr.contains("backtest"))
    #expect(dir.contents() == ["t.csv"])
  }
}
