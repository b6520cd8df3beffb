import ChurnCore
import ChurnTestSupport
import Foundation
import Testing

@Suite("Risk bands through the CLI")
struct RiskBandsCommandTests {
  @Test("A model with two distinct scores: train says the bands are uneven, and the 20% tied at the top are yellow, not all red")
  func twoLevels() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    // x = 1 for 100 of 500 customers (churn 50%), x = 0 for the rest (churn 10%): two scores.
    var rows = ["id,x,churn"]
    for i in 0..<500 {
      let x = i % 5 == 0
      rows.append("c\(i),\(x ? 1 : 0),\(x ? (i % 10 == 0 ? 1 : 0) : (i % 10 == 1 ? 1 : 0))")
    }
    try (rows.joined(separator: "\n") + "\n").write(toFile: dir.file("t.csv"), atomically: true, encoding: .utf8)
    let train = try runChurn(["train", "--table", dir.file("t.csv"), "--id", "id", "--label", "churn", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    #expect(train.stderr.contains("train: note: tied scores make the bands uneven: red holds 0.0% of the training scores (10% asked), "
      + "yellow 20.0% (20% asked); customers with the same score share a band\n"), "\(train.stderr)")
    let score = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("t.csv"), "--out", dir.file("risk.csv")])
    #expect(score.status == 0, "\(score.stderr)")
    let bands = try String(contentsOfFile: dir.file("risk.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
      .map { String($0.split(separator: ",", omittingEmptySubsequences: false)[4]) }
    #expect(bands.filter { $0 == "red" }.count == 0 && bands.filter { $0 == "yellow" }.count == 100 && bands.filter { $0 == "green" }.count == 400)
  }
}

@Suite("Numbers a reader sees in weights")
struct WeightsNumberTests {
  @Test("An L1 model's zero coefficients read 0.000 and 0.0 pts, never +0.000 / -0.000 / -0.0")
  func zeroCoefficients() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var rng = SeededGenerator(seed: 1)
    var rows = ["id,a,b,c,churn"]
    for i in 0..<400 {
      let a = rng.normal(), b = rng.normal(), c = rng.normal()
      rows.append(String(format: "%d,%.4f,%.4f,%.4f,%d", i, a, b, c, rng.bernoulli(1 / (1 + exp(-2 * a))) ? 1 : 0))
    }
    try (rows.joined(separator: "\n") + "\n").write(toFile: dir.file("t.csv"), atomically: true, encoding: .utf8)
    let train = try runChurn(["train", "--table", dir.file("t.csv"), "--id", "id", "--label", "churn", "--l1", "20", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    let weights = try runChurn(["weights", "--model", dir.file("m.json")])
    let lines = weights.stdout.split(separator: "\n").map(String.init)
    let zero = lines.filter { $0.hasPrefix("b ") || $0.hasPrefix("c ") }
    #expect(zero.count == 2 && zero.allSatisfy { $0.contains("  0.000 ") && $0.hasSuffix("      0.0") }, "\(weights.stdout)")
    #expect(!weights.stdout.contains("+0.0") && !weights.stdout.contains("-0.0"), "\(weights.stdout)")
    // The CSV leaves a number it does not know blank (an L1 model's zero coefficients have no
    // standard error), as churn's other CSVs do: never "nan" or "inf" for a reader to parse.
    let csv = try runChurn(["weights", "--model", dir.file("m.json"), "--format", "csv"])
    let csvLines = csv.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    #expect(csv.status == 0 && csvLines.count == 5 && csvLines.dropFirst().prefix(3).allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 9 },
            "\(csv.stdout)")
    #expect(!csv.stdout.lowercased().contains("nan") && !csv.stdout.contains("inf"), "\(csv.stdout)")
    // A model without a covariance (a nearly singular Hessian) has no standard errors: blank cells.
    var model = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("m.json")))) as? [String: Any])
    var logistic = try #require(model["logistic"] as? [String: Any])
    logistic.removeValue(forKey: "covariance")
    model["logistic"] = logistic
    try JSONSerialization.data(withJSONObject: model).write(to: URL(fileURLWithPath: dir.file("bare.json")))
    let bare = try runChurn(["weights", "--model", dir.file("bare.json"), "--format", "csv"])
    let bareLines = bare.stdout.split(separator: "\n").map(String.init)
    #expect(bare.status == 0 && bareLines.count == 4 && !bare.stdout.lowercased().contains("nan"), "\(bare.stdout)\(bare.stderr)")
    // standard_error, the odds ratio's interval and p_value are blank; the odds ratio itself is known.
    #expect(bareLines.dropFirst().allSatisfy { line in
      let cells = line.split(separator: ",", omittingEmptySubsequences: false)
      return [3, 5, 6, 7].allSatisfy { cells[$0].isEmpty } && Double(cells[4]) != nil
    }, "\(bare.stdout)")
    // explain: a zero coefficient's contribution is 0.00 pts (and 0 in JSON), whatever the value's sign.
    for customer in ["0", "1", "2", "3"] {
      let text = try runChurn(["explain", "--model", dir.file("m.json"), "--table", dir.file("t.csv"), "--customer", customer])
      let zeroLines = text.stdout.split(separator: "\n").filter { $0.hasPrefix("b ") || $0.hasPrefix("c ") }
      #expect(zeroLines.count == 2 && zeroLines.allSatisfy { $0.hasSuffix("  0.00 pts  ") }, "\(text.stdout)")
      let json = try runChurn(["explain", "--model", dir.file("m.json"), "--table", dir.file("t.csv"), "--customer", customer, "--format", "json"])
      #expect(json.status == 0 && !json.stdout.contains(": -0,") && !json.stdout.contains(": -0\n"), "\(json.stdout)")
    }
  }
}
