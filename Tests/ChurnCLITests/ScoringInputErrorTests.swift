import ChurnCore
import ChurnTestSupport
import Foundation
import Testing

/// Data errors found while scoring print `Error: ...` and exit 1 without usage text (that is for
/// flags refused before any work); each message names the file, the value and the fix.
@Suite("Scoring input errors")
struct ScoringInputErrorTests {
  /// A table model on 300 customers with ids 000..299 (leading zeros), a numeric column, a
  /// categorical one and a revenue column.
  static func trained(_ dir: TemporaryDirectory) throws {
    var rng = SeededGenerator(seed: 3)
    var rows = ["id,a,plan,revenue,churn"]
    for i in 0..<300 {
      let a = rng.normal(), plan = ["basic", "pro"][i % 2]
      rows.append(String(format: "%03d,%.4f,%@,%.2f,%d", i, a, plan, 10 + Double(i % 7), rng.bernoulli(1 / (1 + exp(-2 * a))) ? 1 : 0))
    }
    try (rows.joined(separator: "\n") + "\n").write(toFile: dir.file("t.csv"), atomically: true, encoding: .utf8)
    let train = try runChurn(["train", "--table", dir.file("t.csv"), "--id", "id", "--label", "churn", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
  }

  @Test("explain and report refuse a customer on two rows of --table, as score does (explain picked one row, report listed the customer twice)")
  func repeatedIds() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.trained(dir)
    try "id,a,plan,revenue\n001,0.5,pro,12\n002,0.1,basic,10\n001,-1.5,basic,11\n".write(toFile: dir.file("s.csv"), atomically: true, encoding: .utf8)
    let message = "Error: \(dir.file("s.csv")): id \"001\" is on rows 1 and 3 (counted after the header); a ranked list has one row per customer; "
      + "fix: score one cutoff's rows (churn features --cutoff DATE), or score --events with --as-of\n"
    for command in [["explain", "--customer", "001"], ["report", "--out", dir.file("r.html")], ["score", "--out", dir.file("risk.csv")], ["score"]] {
      let r = try runChurn(command + ["--model", dir.file("m.json"), "--table", dir.file("s.csv")])
      #expect(r.status == 1 && r.stderr == message && r.stdout.isEmpty, "\(command): \(r.status) \(r.stderr)")
    }
    #expect(dir.contents() == ["m.json", "s.csv", "t.csv"])
  }

  @Test("explain --customer with an id not in the data is a data error (exit 1, no usage), suggesting the id that differs in case or leading zeros",
        arguments: [("1", "\"001\""), ("00001", "\"001\""), ("NOPE", nil), ("Basic", nil)] as [(String, String?)])
  func unknownCustomer(customer: String, suggestion: String?) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.trained(dir)
    try "id,a,plan,revenue\n001,0.5,pro,12\nA7,0.1,basic,10\n".write(toFile: dir.file("s.csv"), atomically: true, encoding: .utf8)
    let r = try runChurn(["explain", "--model", dir.file("m.json"), "--table", dir.file("s.csv"), "--customer", customer])
    #expect(r.status == 1 && r.stdout.isEmpty)
    #expect(r.stderr == "Error: customer \"\(customer)\" is not among the 2 eligible customers in \(dir.file("s.csv")); "
      + "expected an id exactly as in the data (case and leading zeros count); fix: "
      + (suggestion.map { "did you mean \($0)?" } ?? "copy the id from the data or from churn score's list") + "\n")
  }

  @Test("explain suggests the id that matches ignoring case (ids match exactly)")
  func wrongCase() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.trained(dir)
    try "id,a,plan,revenue\n8879-ZKJOF,0.5,pro,12\n".write(toFile: dir.file("s.csv"), atomically: true, encoding: .utf8)
    let r = try runChurn(["explain", "--model", dir.file("m.json"), "--table", dir.file("s.csv"), "--customer", "8879-zkjof"])
    #expect(r.status == 1 && r.stderr == "Error: customer \"8879-zkjof\" is not among the 1 eligible customers in \(dir.file("s.csv")); "
      + "expected an id exactly as in the data (case and leading zeros count); fix: did you mean \"8879-ZKJOF\"?\n")
  }

  @Test("A negative revenue is refused, naming the customer and the value (it gave a negative revenue at risk, exit 0); a categorical revenue column too")
  func badRevenue() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.trained(dir)
    try "id,a,plan,revenue\n001,0.5,pro,12\n002,0.1,basic,-79.85\n003,0.2,pro,\n".write(toFile: dir.file("s.csv"), atomically: true, encoding: .utf8)
    let negative = "Error: \(dir.file("s.csv")): revenue of customer \"002\" is -79.85; expected a monthly revenue of 0 or more (blank when unknown); "
      + "fix: correct the value, or leave it blank\n"
    for command in [["score"], ["score", "--out", dir.file("risk.csv")], ["report", "--out", dir.file("r.html")]] {
      let r = try runChurn(command + ["--model", dir.file("m.json"), "--table", dir.file("s.csv"), "--revenue-column", "revenue"])
      #expect(r.status == 1 && r.stderr == negative && r.stdout.isEmpty, "\(command): \(r.status) \(r.stderr)")
    }
    let categorical = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("s.csv"), "--revenue-column", "plan"])
    #expect(categorical.status == 1 && categorical.stderr == "Error: \(dir.file("s.csv")): --revenue-column plan is not a numeric column "
      + "(the model reads it as a category); expected a column of monthly revenue; fix: name a numeric column\n", "\(categorical.stderr)")
    let missing = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("s.csv"), "--revenue-column", "revenu"])
    #expect(missing.status == 1 && missing.stderr == "Error: \(dir.file("s.csv")): no column \"revenu\" (did you mean \"revenue\"?); the header has id, a, plan, revenue\n", "\(missing.stderr)")
    #expect(dir.contents() == ["m.json", "s.csv", "t.csv"])
    // Blank revenue is unknown: that row's revenue at risk is empty.
    try "id,a,plan,revenue\n001,0.5,pro,12\n003,0.2,pro,\n".write(toFile: dir.file("s.csv"), atomically: true, encoding: .utf8)
    let ok = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("s.csv"), "--revenue-column", "revenue", "--out", dir.file("risk.csv")])
    #expect(ok.status == 0, "\(ok.stderr)")
    let lines = try String(contentsOfFile: dir.file("risk.csv"), encoding: .utf8).split(separator: "\n")
    // expected_revenue_at_risk is the 9th column (the health columns follow change).
    let revenueCells = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[8] }
    #expect(revenueCells.contains("") && revenueCells.contains { !$0.isEmpty && Double($0)! > 0 }, "\(lines)")
  }
}
