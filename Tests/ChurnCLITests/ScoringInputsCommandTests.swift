import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// score, explain and report given a table that differs from training, or inputs of the wrong
/// kind for the model.
@Suite("Scoring inputs on the command line", .serialized)
struct ScoringInputsCommandTests {
  static let telco = HostileInputTests.telco

  /// The telco table with `transform` applied to its text.
  func telco(_ dir: TemporaryDirectory, _ name: String, _ transform: (String) -> String) throws -> String {
    try transform(String(contentsOfFile: Self.telco, encoding: .utf8)).write(toFile: dir.file(name), atomically: true, encoding: .utf8)
    return dir.file(name)
  }

  @Test("A level never seen in training is scored, with one note per column and its counts (Ten year was silently Month-to-month); headers in another case score the same; a missing column is named with the file")
  func tableColumns() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let model = dir.file("m.json")
    let train = try runChurn(HostileInputTests.train + ["--out", model])
    #expect(train.status == 0, "\(train.stderr)")
    let ten = try telco(dir, "ten.csv") { $0.replacingOccurrences(of: ",Two year,", with: ",Ten year,") }
    for command in ["score", "explain"] {
      let r = try runChurn([command, "--model", model, "--table", ten] + (command == "score" ? ["--out", dir.file("s.csv")] : ["--id", "customerid", "--customer", "0002-ORFBO"]))
      #expect(r.status == 0, "\(r.stderr)")
      let notes = r.stderr.split(separator: "\n").filter { $0.contains("note:") }
      #expect(notes == ["\(command): note: contract has 1199 customers with a level unseen in training (Ten year: 1199); "
        + "they are scored as the model's reference level Month-to-month"], "\(r.stderr)")
    }
    let plain = try runChurn(["score", "--model", model, "--table", Self.telco, "--out", dir.file("plain.csv")])
    #expect(plain.status == 0 && !plain.stderr.contains("note:"), "\(plain.stderr)")
    let upper = try telco(dir, "upper.csv") { text in
      let header = text.prefix { $0 != "\n" }
      return header.replacingOccurrences(of: "tenure", with: "Tenure").replacingOccurrences(of: "contract", with: "CONTRACT") + text.drop { $0 != "\n" }
    }
    let cased = try runChurn(["score", "--model", model, "--table", upper, "--out", dir.file("upper-s.csv")])
    #expect(cased.status == 0, "\(cased.stderr)")
    #expect(try String(contentsOfFile: dir.file("upper-s.csv"), encoding: .utf8) == String(contentsOfFile: dir.file("plain.csv"), encoding: .utf8))
    let dropped = try telco(dir, "dropped.csv") { text in
      text.split(separator: "\n").map { line in line.split(separator: ",", omittingEmptySubsequences: false).enumerated().filter { $0.offset != 5 }.map(\.element).joined(separator: ",") }
        .joined(separator: "\n") + "\n"
    }
    let missing = try runChurn(["score", "--model", model, "--table", dropped, "--out", dir.file("d.csv")])
    #expect(missing.status == 1 && missing.stderr == "Error: \(dropped) lacks 1 of the model's 19 feature columns: tenure; expected every column the model "
      + "was trained on (other columns are ignored, case does not matter); fix: add it under the name used in training\n", "\(missing.stderr)")
    // The converse of the mode mismatch: a table model given an event log.
    try "customer_id,timestamp,event_type,value\n1,2024-01-01,login,\n".write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let events = try runChurn(["score", "--model", model, "--events", dir.file("e.csv"), "--as-of", "2024-02-01"])
    #expect(events.status == 1 && events.stderr == "Error: \(model) was trained on a table (id column customerid, label churn), not an event log; "
      + "expected a table with its feature columns; fix: pass --table TABLE.csv instead of --events and --as-of\n", "\(events.stderr)")
  }

  @Test("A model trained from events, given a table without its customer column, names the mode (said: no column customer_id)")
  func eventModelGivenTable() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try ModelSettingsCommandTests.events.write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let model = dir.file("m.json")
    let train = try runChurn(["train", "--events", dir.file("e.csv"), "--horizon", "60d", "--cutoffs", "2024-02-01:2024-08-01:1m", "--out", model])
    #expect(train.status == 0, "\(train.stderr)")
    for command in ["score", "explain", "report"] {
      let extra = command == "explain" ? ["--customer", "1"] : ["--out", dir.file("x")]
      let r = try runChurn([command, "--model", model, "--table", Self.telco] + extra)
      #expect(r.status == 1 && r.stderr == "Error: \(model) was trained from an event log (customer column customer_id, horizon 60d), and \(Self.telco) "
        + "has no column customer_id; expected the event log it was trained on, as of a date; fix: pass --events LOG.csv --as-of DATE "
        + "(with --customers if it was trained with them) instead of --table, or a table written by churn features for this model\n", "\(command): \(r.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: dir.file("x")))
  }

  @Test("score's help lists the choices of --explain and --format, with auto's budget from RiskScorer.exactBudget; explain's --format lists its choices; a wrong choice is refused")
  func choices() throws {
    #expect(RiskScorer.exactBudget == 1_000_000_000)
    let help = try runChurn(["score", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    #expect(help.contains("auto (exact while trees' nodes × customers ≤ 10⁹, under a minute of one core). (values: exact, path, auto; default: auto)"), "\(help)")
    #expect(help.contains("--format <format> Output format of --out (default csv). (values: csv, json)"), "\(help)")
    let explainHelp = try runChurn(["explain", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    #expect(explainHelp.contains("--format <format> Output format. (values: table, json; default: table)"), "\(explainHelp)")
    let wrong = try runChurn(["score", "--model", "m.json", "--table", "t.csv", "--explain", "fast"])
    #expect(wrong.status == 64 && wrong.stderr.hasPrefix("Error: The value 'fast' is invalid for '--explain <explain>'"), "\(wrong.stderr)")
  }
}
