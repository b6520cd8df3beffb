import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

/// The repository's telco table.
private let telco = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("datasets/telco/telco.csv").path

@Suite("Scorer: the library's list, explanation and report equal the CLI's")
struct ScorerTests {
  /// A simulated event log and customer table, and a model trained on them by the binary.
  static func eventModel(_ dir: TemporaryDirectory, extra: [String] = []) throws -> String {
    try CustomerSimulator(settings: SimulationSettings(customerCount: 400, months: 10, seed: 31)).write(to: dir.path)
    let train = try runChurn(["train", "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                           "--cutoffs", "2024-04-01:2024-09-01:1m", "--horizon", "30d", "--threads", "2", "--out", dir.file("m.json")] + extra)
    #expect(train.status == 0, "\(train.stderr)")
    return dir.file("m.json")
  }

  @Test("As of a date: write(to:) gives the bytes of churn score --out (CSV with revenue and last week's list, JSON, --top), and the log its stderr lines")
  func eventsList() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let model = try Self.eventModel(dir)
    let inputs = ["--model", model, "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv")]
    let data = EventData(events: dir.file("events.csv"), customers: dir.file("customers.csv"))

    let last = try runChurn(["score"] + inputs + ["--as-of", "2024-09-01", "--revenue-column", "monthly_revenue", "--out", dir.file("cli-last.csv")])
    #expect(last.status == 0, "\(last.stderr)")
    let now = try runChurn(["score"] + inputs + ["--as-of", "2024-10-01", "--revenue-column", "monthly_revenue", "--previous", dir.file("cli-last.csv"),
                                              "--out", dir.file("cli.csv")])
    #expect(now.status == 0, "\(now.stderr)")

    let collector = RecordedLog()
    let scorer = Scorer(model: try ModelFile.read(path: model), log: collector.log)
    let scored = try scorer.score(data, asOf: "2024-10-01",
                                  options: ScoringOptions(revenueColumn: "monthly_revenue", previous: dir.file("cli-last.csv")))
    try scored.write(to: dir.file("lib.csv"))
    #expect(try bytes(dir.file("lib.csv")) == bytes(dir.file("cli.csv")))
    #expect(scored.idHeader == "customer_id" && scored.count > 100 && scored.previous != nil)
    #expect(scored.list.rows.allSatisfy { $0.revenueAtRisk != nil && $0.band != nil })
    // The CLI's stderr is the library's log, each line after "score: ", then the summary line.
    let stderr = now.stderr.split(separator: "\n").map(String.init)
    #expect(stderr.dropLast() == collector.lines.map { "score: " + $0 }[...], "\(stderr)\n\(collector.lines)")
    #expect(stderr.last?.hasPrefix("score: \(scored.count) customers scored; ranked list written to \(dir.file("cli.csv")) (model ") == true)

    let json = try runChurn(["score"] + inputs + ["--as-of", "2024-10-01", "--top", "25", "--format", "json", "--out", dir.file("cli.json")])
    #expect(json.status == 0, "\(json.stderr)")
    try scorer.score(data, asOf: "2024-10-01").write(to: dir.file("lib.json"), format: .json, top: 25)
    #expect(try bytes(dir.file("lib.json")) == bytes(dir.file("cli.json")))
  }

  @Test("A table: the library's list is the bytes of churn score --out, for a logistic model and a forest with path reasons")
  func tableList() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    for (family, extra) in [("logistic", [String]()), ("forest", ["--trees", "30"])] {
      let model = dir.file("\(family).json")
      let train = try runChurn(["train", "--table", telco, "--id", "customerid", "--label", "churn", "--model", family, "--threads", "2", "--out", model] + extra)
      #expect(train.status == 0, "\(train.stderr)")
      let cli = try runChurn(["score", "--model", model, "--table", telco, "--reasons", "300", "--explain", "path", "--out", dir.file("\(family)-cli.csv")])
      #expect(cli.status == 0, "\(cli.stderr)")
      let scorer = try Scorer(contentsOf: model)
      try scorer.score(TableData(path: telco, idColumn: "customerid"), options: ScoringOptions(reasons: 300, explanation: .path))
        .write(to: dir.file("\(family)-lib.csv"))
      #expect(try bytes(dir.file("\(family)-lib.csv")) == bytes(dir.file("\(family)-cli.csv")), "\(family)")
    }
  }

  @Test("A level never seen in training: the result's notes are the log's, and churn score's note lines")
  func unseenLevelNotes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let model = dir.file("m.json")
    #expect(try runChurn(["train", "--table", telco, "--id", "customerid", "--label", "churn", "--out", model]).status == 0)
    try String(contentsOfFile: telco, encoding: .utf8).replacingOccurrences(of: ",Two year,", with: ",Ten year,")
      .write(toFile: dir.file("ten.csv"), atomically: true, encoding: .utf8)
    let collector = RecordedLog()
    let scored = try Scorer(contentsOf: model, log: collector.log).score(TableData(path: dir.file("ten.csv"), idColumn: "customerid"))
    #expect(scored.notes == ["contract has 1199 customers with a level unseen in training (Ten year: 1199); "
      + "they are scored as the model's reference level Month-to-month"])
    #expect(collector.lines.filter { $0.hasPrefix("note: ") } == scored.notes.map { "note: " + $0 })
    // The unseen level moves the column's distribution: the drift check names it.
    #expect(scored.shifted.map(\.column) == ["contract"] && collector.lines.last == scored.driftLines.last)
    let cli = try runChurn(["score", "--model", model, "--table", dir.file("ten.csv"), "--out", dir.file("s.csv")])
    let cliNotes: [String] = cli.stderr.split(separator: "\n").map(String.init).filter { $0.contains("note:") }
    let expected: [String] = scored.notes.map { "score: note: " + $0 }
    #expect(cliNotes == expected)
  }

  @Test("explain equals churn explain --format json, from events and from a table")
  func explainEqualsCLI() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let model = try Self.eventModel(dir)
    let scorer = try Scorer(contentsOf: model)
    let data = EventData(events: dir.file("events.csv"), customers: dir.file("customers.csv"))
    let customer = try scorer.score(data, asOf: "2024-10-01").list.rows[3].id
    let explained = try scorer.explain(customer: customer, in: data, asOf: "2024-10-01")
    let cli = try runChurn(["explain", "--model", model, "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                         "--as-of", "2024-10-01", "--customer", customer, "--format", "json"])
    #expect(cli.status == 0, "\(cli.stderr)")
    #expect(cli.stdout == (try Self.json(explained)) + "\n")
    #expect(explained.customer == customer && explained.idHeader == "customer_id")
    #expect(abs(explained.base + explained.terms.reduce(0) { $0 + $1.contribution } - explained.probability) < 1e-9)

    let tableModel = dir.file("t.json")
    #expect(try runChurn(["train", "--table", telco, "--id", "customerid", "--label", "churn", "--out", tableModel]).status == 0)
    let fromTable = try Scorer(contentsOf: tableModel).explain(customer: "0002-ORFBO", in: TableData(path: telco, idColumn: "customerid"))
    let tableCLI = try runChurn(["explain", "--model", tableModel, "--table", telco, "--customer", "0002-ORFBO", "--format", "json"])
    #expect(tableCLI.stdout == (try Self.json(fromTable)) + "\n")
  }

  @Test("report equals the HTML of churn report --out (events, with the cohorts of the training cutoffs)")
  func reportEqualsCLI() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let model = try Self.eventModel(dir)
    let cli = try runChurn(["report", "--model", model, "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                         "--as-of", "2024-10-01", "--revenue-column", "monthly_revenue", "--top", "12", "--out", dir.file("r.html")])
    #expect(cli.status == 0, "\(cli.stderr)")
    let report = try Scorer(contentsOf: model).report(.events(EventData(events: dir.file("events.csv"), customers: dir.file("customers.csv")), asOf: "2024-10-01"),
                                                      revenueColumn: "monthly_revenue", top: 12)
    #expect(try report.html() == String(contentsOfFile: dir.file("r.html"), encoding: .utf8))
    #expect(report.ranked.count == 12 && !report.cohorts.isEmpty && report.scoredOn == "as of 2024-10-01")
  }

  @Test("Errors are typed, with their exact texts: an unknown customer, a bad date, negative reasons, a damaged horizon")
  func errors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let model = try Self.eventModel(dir)
    var file = try ModelFile.read(path: model)
    let data = EventData(events: dir.file("events.csv"), customers: dir.file("customers.csv"))
    func message(_ work: () throws -> Any) -> String? {
      do { _ = try work(); return nil } catch { return "\(error)" }
    }
    let scorer = Scorer(model: file)
    let eligible = try scorer.score(data, asOf: "2024-10-01").count
    let unknown = message { try scorer.explain(customer: "c000001", in: data, asOf: "2024-10-01") }
    #expect(unknown == "customer \"c000001\" is not among the \(eligible) eligible customers as of 2024-10-01 (not in the log, not yet started, "
      + "already churned, or inactive over the active window); expected an id exactly as in the data (case and leading zeros count); "
      + "fix: did you mean \"C000001\"?")
    #expect(message { try scorer.score(data, asOf: "2024-13-01") } == "--as-of \"2024-13-01\" is not a date; expected ISO 8601 such as 2025-07-01")
    #expect(message { try scorer.score(data, asOf: "2024-10-01", options: ScoringOptions(reasons: -1)) } == "--reasons -1 must be at least 0")
    file.events?.horizon = "soon"
    #expect(message { try Scorer(model: file).score(data, asOf: "2024-10-01") }
      == "the model file's events.horizon is \"soon\"; expected a length of time such as 30d or 1m; fix: train the model again with churn train")
    file.events?.horizon = "30d"
    file.events?.trainingCutoffs[1] = "May"
    #expect(message { try Scorer(model: file).report(.events(data, asOf: "2024-10-01")) }
      == "the model file's events.trainingCutoffs[1] is \"May\"; expected a date such as 2025-07-01; fix: train the model again with churn train")
    #expect(ScorerError.notFound("7", ids: ["a", "007"], source: "in t.csv").description
      == "customer \"7\" is not among the 2 eligible customers in t.csv; expected an id exactly as in the data (case and leading zeros count); "
      + "fix: did you mean \"007\"?")
    #expect(ScorerError.notFound("x", ids: ["a"], source: "in t.csv").description.hasSuffix("fix: copy the id from the data or from churn score's list"))
    // A model trained on a table, given events, is named by its path.
    let tableModel = dir.file("t.json")
    #expect(try runChurn(["train", "--table", telco, "--id", "customerid", "--label", "churn", "--out", tableModel]).status == 0)
    #expect(message { try Scorer(contentsOf: tableModel).score(data, asOf: "2024-10-01") }
      == "\(tableModel) was trained on a table (id column customerid, label churn), not an event log; expected a table with its feature columns; "
      + "fix: pass --table TABLE.csv instead of --events and --as-of")
  }

  /// The JSON `churn explain --format json` prints.
  static func json(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }
}
