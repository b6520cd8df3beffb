import ChurnModels
import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

/// `churn train --importance none` leaves permutation importance out of the model file; the
/// commands that read it still work and say it is absent.
@Suite("churn train --importance")
struct ImportanceCommandTests {
  static let telco = TrainScoreCommandTests.telco
  static let absent = "(no permutation importance in this model file: it was trained with --importance none, or its held-out rows had one class; sorted by impurity importance)"

  @Test("--importance none: no permutation importance in the file; weights, report and explain say so or still work")
  func none() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let train = try runChurn(["train", "--table", Self.telco, "--id", "customerid", "--label", "churn", "--holdout-ids", TrainScoreCommandTests.holdout,
                              "--model", "forest", "--trees", "10", "--threads", "1", "--importance", "none", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    #expect(train.stderr.contains("train: permutation importance: not measured (--importance none)\n"))
    #expect(!train.stderr.contains("drop in AUC"))
    #expect(train.stdout.hasPrefix("feature                      permutation: AUC drop ± sd   impurity\n"))
    #expect(train.stdout.hasSuffix("\n" + Self.absent + "\n"), "\(train.stdout)")
    #expect(FeatureWeights.noPermutationImportance(ForestModel.importanceMeasure) == Self.absent)
    let model = try ModelFile.read(path: dir.file("m.json"))
    #expect(model.permutationImportance == nil)
    #expect(try !String(contentsOfFile: dir.file("m.json"), encoding: .utf8).contains("permutationImportance"))
    let weights = try runChurn(["weights", "--model", dir.file("m.json")])
    #expect(weights.status == 0, "\(weights.stderr)")
    #expect(weights.stdout.contains("\n" + Self.absent + "\n"), "\(weights.stdout)")
    let report = try runChurn(["report", "--model", dir.file("m.json"), "--table", Self.telco, "--out", dir.file("r.html")])
    #expect(report.status == 0, "\(report.stderr)")
    let html = try String(contentsOfFile: dir.file("r.html"), encoding: .utf8)
    #expect(html.contains("Top features: impurity importance"))
    #expect(html.contains("No permutation importance in this model file (trained with --importance none, or its held-out rows had one class): impurity importance instead."))
    let id = try String(contentsOfFile: Self.telco, encoding: .utf8).split(separator: "\n")[1].split(separator: ",")[0]
    let explain = try runChurn(["explain", "--model", dir.file("m.json"), "--table", Self.telco, "--customer", String(id)])
    #expect(explain.status == 0, "\(explain.stderr)")
  }

  @Test("--importance auto (the default) measures it, as without the flag")
  func auto() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let common = ["train", "--table", Self.telco, "--id", "customerid", "--label", "churn", "--holdout-ids", TrainScoreCommandTests.holdout,
                  "--model", "forest", "--trees", "10", "--threads", "1"]
    let a = try runChurn(common + ["--importance", "auto", "--out", dir.file("a.json")])
    let b = try runChurn(common + ["--out", dir.file("b.json")])
    #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
    let first = try ModelFile.read(path: dir.file("a.json")), second = try ModelFile.read(path: dir.file("b.json"))
    #expect(first.permutationImportance != nil && first.permutationImportance == second.permutationImportance)
    #expect(!a.stdout.contains(Self.absent))
  }

  @Test("An unknown --importance value is refused, naming the choices")
  func unknownValue() throws {
    let r = try runChurn(["train", "--table", Self.telco, "--label", "churn", "--importance", "some", "--out", "/dev/null"])
    #expect(r.status == 64)
    #expect(r.stderr.hasPrefix("Error: The value 'some' is invalid for '--importance <importance>'. Please provide one of 'auto' and 'none'.\n"), "\(r.stderr)")
  }
}
