import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

@Suite("Scorer: value ranking and contact economics through the library")
struct ContactValueScorerTests {
  @Test("Both need a revenue column (typed errors); with one, the library's list is churn score's bytes and contactCut its summary line")
  func library() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let telco = TrainerTests.telco, model = dir.file("telco.json")
    let train = try runChurn(["train", "--table", telco, "--id", "customerid", "--label", "churn", "--l2", "1", "--importance", "none", "--out", model])
    #expect(train.status == 0, "\(train.stderr)")
    let scorer = try Scorer(contentsOf: model), table = TableData(path: telco, idColumn: "customerid")
    let economics = try ContactEconomics(cost: 10, saveRate: 0.3)
    func message(_ options: ScoringOptions) -> String? {
      do { _ = try scorer.score(table, options: options); return nil } catch { return "\(error)" }
    }
    var options = ScoringOptions()
    options.contact = economics
    #expect(message(options) == "--contact-cost needs a value at stake per customer; expected --revenue-column COLUMN (monthly revenue, for subscriptions) "
      + "or --lifetime-value btyd (value at risk from the event log's purchases, for purchase data); fix: give one of them, or drop --contact-cost")
    (options.contact, options.rankBy) = (nil, .value)
    #expect(message(options)?.hasPrefix("--rank-by value needs a value at stake per customer") == true)
    #expect(throws: ContactEconomicsError.needsRevenue(flag: "--rank-by value")) { try scorer.report(.table(table), rankBy: .value) }

    (options.revenueColumn, options.contact) = ("monthlycharges", economics)
    let scored = try scorer.score(table, options: options)
    try scored.write(to: dir.file("lib.csv"))
    let cli = try runChurn(["score", "--model", model, "--table", telco, "--revenue-column", "monthlycharges", "--rank-by", "value",
                            "--contact-cost", "10", "--save-rate", "0.3", "--out", dir.file("cli.csv")])
    #expect(cli.status == 0, "\(cli.stderr)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("lib.csv"))) == Data(contentsOf: URL(fileURLWithPath: dir.file("cli.csv"))))
    let cut = try #require(scored.contactCut)
    #expect(cut == ContactCut(scored.list.rows, economics: economics))
    #expect(cli.stderr.hasSuffix("score: \(cut.summary)\n"), "\(cli.stderr)")
    // The calls are the first rows of the value-ranked list, every one with a positive net value.
    #expect(cut.calls.map(\.id) == scored.list.rows.prefix(cut.calls.count).map(\.id))
    #expect(scored.list.rows[cut.calls.count].netValueOfContact! <= 0 && cut.calls.allSatisfy { $0.netValueOfContact! > 0 })
  }
}
