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
       "--min-leaf (ModelSettings.minLeaf) is 9223372036854775807; expected 1...1000000000; fix: use a value well below half the training rows (5 is the default)"),
      (["--model", "forest", "--trees", "9223372036854775807"],
       "--trees (ModelSettings.trees) is 9223372036854775807; expected 1...10000; fix: use 100 to 1000 trees (100 is the default); more trees only smooth the probabilities"),
      (["--model", "forest", "--max-depth=-1"],
       "--max-depth (ModelSettings.maxDepth) is -1; expected 1...10000; fix: leave it out for unlimited depth, or give at least 1 (--max-depth=N)"),
      (["--model", "forest", "--max-depth", "0"],
       "--max-depth (ModelSettings.maxDepth) is 0; expected 1...10000; fix: leave it out for unlimited depth, or give at least 1 (--max-depth=N)"),
      (["--l2", "1e308"], "--l2 (ModelSettings.l2) is 1e+308; expected a number in 0...1e12; fix: use 0 (no penalty) to about 1000; --tune picks one"),
      (["--l1", "nan"], "--l1 (ModelSettings.l1) is nan; expected a number in 0...1e12; fix: use 0 (no penalty) to about 1000; --tune picks one"),
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
