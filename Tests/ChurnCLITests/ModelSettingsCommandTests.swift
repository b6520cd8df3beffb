import ChurnTestSupport
import Foundation
import Testing

/// Hyperparameters, fold requirements and the kind of input a model needs, as `churn` users meet
/// them: refused before any work, with the value, the valid range or the counts, and the fix.
@Suite("Model settings on the command line")
struct ModelSettingsCommandTests {
  static let telco = HostileInputTests.telco
  static let train = HostileInputTests.train

  @Test("Hyperparameters past their ranges are refused before reading the data (min leaf Int.max trapped: Illegal instruction)")
  func ranges() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let cases: [([String], String)] = [
      (["--model", "forest", "--trees", "3", "--min-leaf", "9223372036854775807"],
       "--min-leaf (ForestSpec.minLeafSize) is 9223372036854775807; expected 1...1000000000; fix: use a value well below half the training rows (5 is the default)"),
      (["--model", "forest", "--min-leaf", "1000000001"],
       "--min-leaf (ForestSpec.minLeafSize) is 1000000001; expected 1...1000000000; fix: use a value well below half the training rows (5 is the default)"),
      (["--model", "forest", "--max-depth", "10001"],
       "--max-depth (ForestSpec.maxDepth) is 10001; expected 1...10000; fix: leave it out for unlimited depth, or give at least 1 (--max-depth=N)"),
      // --trees past 10000 and --max-depth below 1 are refused by FlagRules ("is too many / too small"), pinned in FlagRulesTests.
      (["--l2", "1e308"], "--l2 (LogisticSpec.l2Penalty) is 1e+308; expected a number in 0...1e12; fix: use 0 (no penalty) to about 1000; --tune picks one"),
      (["--l1", "nan"], "--l1 (LogisticSpec.l1Penalty) is nan; expected a number in 0...1e12; fix: use 0 (no penalty) to about 1000; --tune picks one"),
    ]
    for (arguments, message) in cases {
      let r = try runChurn(Self.train + arguments + ["--out", dir.file("m.json")])
      #expect(r.status == 64 && r.stderr.hasPrefix("Error: " + message + "\n"), "\(arguments): \(r.status) \(r.stderr)")
      #expect(!r.stderr.contains("train: "), "refused only after reading the data: \(r.stderr)")
    }
    let features = try runChurn(Self.train + ["--model", "forest", "--trees", "3", "--features-per-split", "25", "--out", dir.file("m.json")])
    #expect(features.status == 1 && features.stderr.hasSuffix("Error: --features-per-split (RandomForest.featuresPerSplit) is 25; expected 1...24; "
      + "fix: leave it out for ⌊√d⌋ (4), or give at most the 24 model columns (one per numeric column, missing indicator and categorical level)\n"),
            "\(features.stderr)")
    let help = try runChurn(["train", "--help"])
    let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    for range in ["0...1e12", "1...10000", "1...1000000000", "1 to the model's columns d"] {
      #expect(text.contains(range), "train --help does not state \(range)")
    }
    #expect(dir.contents().isEmpty)
  }
}

extension ModelSettingsCommandTests {
  /// Eight customers ordering monthly through 2024; customers 1, 2 and 3 stop after January,
  /// May and July. At 2024-06-01 (60-day horizon) 7 are active and 1 churns; at 2024-10-01, 5, none.
  static var events: String {
    var rows = ["customer_id,timestamp,event_type,value"]
    for c in 1...8 {
      let last = [1: 1, 2: 5, 3: 7][c] ?? 12
      for m in 1...last { rows.append("\(c),2024-\(m < 10 ? "0" : "")\(m)-10,order,\(c)") }
    }
    return rows.joined(separator: "\n") + "\n"
  }

  @Test("--calibrate and --tune on an event log with no out-of-time fold fail before any fit, with the class counts and the fix (--calibrate wrote an uncalibrated model, exit 0)")
  func noTimeFolds() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.events.write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let base = ["train", "--events", dir.file("e.csv"), "--horizon", "60d", "--out", dir.file("m.json")]
    for purpose in [["--calibrate", "platt"], ["--tune"]] {
      let r = try runChurn(base + ["--cutoff", "2024-06-01"] + purpose)
      #expect(r.status == 1 && r.stderr.hasSuffix("Error: \(purpose[0]) needs out-of-time folds: a cutoff with both classes and earlier rows, "
        + "also with both classes, whose label window closed by that cutoff; none exists: the labelled rows (1 cutoff) hold 1 churned and 6 retained rows; "
        + "fix: more cutoffs reaching further back than the horizon (--cutoffs FROM:TO:STEP), or leave out \(purpose[0])\n"), "\(r.stderr)")
      #expect(!r.stderr.contains("final model"), "\(r.stderr)")
    }
    let oneClass = try runChurn(base + ["--cutoff", "2024-10-01", "--calibrate", "isotonic"])
    #expect(oneClass.status == 1 && oneClass.stderr.hasSuffix("Error: --calibrate needs out-of-time folds: a cutoff with both classes and earlier rows, "
      + "also with both classes, whose label window closed by that cutoff; none exists: the labelled rows (1 cutoff) hold 0 churned and 5 retained rows; "
      + "fix: label windows that see both churned and retained customers (another --horizon or later data), or leave out --calibrate\n"), "\(oneClass.stderr)")
    #expect(dir.contents() == ["e.csv"])
    // With enough cutoffs the same log calibrates.
    let ok = try runChurn(base + ["--cutoffs", "2024-02-01:2024-08-01:1m", "--calibrate", "platt"])
    #expect(ok.status == 0, "\(ok.stderr)")
  }

  @Test("--calibrate and --tune on a table whose smaller class is below --folds fail before any fold, with both counts")
  func tableFolds() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var rows = ["id,x,churn"]
    for i in 0..<40 { rows.append("\(i),\(Double(i % 7) / 7),\([3, 17, 30].contains(i) ? 1 : 0)") }
    try (rows.joined(separator: "\n") + "\n").write(toFile: dir.file("t.csv"), atomically: true, encoding: .utf8)
    for purpose in [["--calibrate", "platt"], ["--tune"]] {
      let r = try runChurn(["train", "--table", dir.file("t.csv"), "--id", "id", "--label", "churn", "--out", dir.file("m.json")] + purpose)
      #expect(r.status == 1 && r.stderr == "train: 40 rows, 3 churned (7.5%), 1 input columns\nError: cannot make 5 stratified folds: the labelled rows hold "
        + "3 churned and 37 retained customers, and every fold needs at least one of each to train and test on; use at most 3 folds (--folds 3) or more labelled rows\n",
              "\(r.stderr)")
    }
    #expect(dir.contents() == ["t.csv"])
  }
}
