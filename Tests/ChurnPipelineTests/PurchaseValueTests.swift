import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

/// The BTYD lifetime value and value at risk of `churn score --lifetime-value btyd` against the
/// lifetimes package (0.11.3) on churn's CDNOW log as of 1997-10-01 (Fixtures/lifetime-value-cdnow.csv
/// and .json, from scripts/make-fixtures-lifetime-value): lifetimes' customer_lifetime_value,
/// and the value at risk (P(alive) × never-drops-out spend − expected spend) computed there from
/// lifetimes' conditional expectations.
@Suite("Purchase value (BTYD lifetime value and value at risk) against lifetimes")
struct PurchaseValueTests {
  static let fixtures = LifetimeReferenceTests.fixtures
  static let events = LifetimeReferenceTests.events
  static let asOf = LifetimeReferenceTests.asOf

  static func reference() throws -> (header: [String], rows: [[String]], json: [String: Any]) {
    let csv = try csvRecords(fixtures + "/lifetime-value-cdnow.csv")
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixtures + "/lifetime-value-cdnow.json"))) as! [String: Any]
    return (csv.header, csv.rows, json)
  }

  static func column(_ name: String, _ header: [String], _ rows: [[String]]) -> [Double] {
    let i = header.firstIndex(of: name)!
    return rows.map { Double($0[i])! }
  }

  @Test("At lifetimes' parameters: lifetime value is lifetimes', value at risk the direct sum, and (r + x)/(α + T) lifetimes' own rate given alive")
  func atTheirParameters() throws {
    let (header, rows, json) = try Self.reference()
    let analysis = try LifetimeAnalysis(EventData(events: Self.events), settings: .init(asOf: Self.asOf))
    #expect(analysis.rows.map(\.id) == rows.map { $0[0] })
    let g = json["gamma_gamma"] as! [String: Double], b = json["bgnbd"] as! [String: Double], p = json["pareto_nbd"] as! [String: Double]
    let spendModel = GammaGamma(p: g["p"]!, q: g["q"]!, v: g["v"]!)
    let models: [(String, any PurchaseModel)] = [
      ("bgnbd", BGNBD(r: b["r"]!, alpha: b["alpha"]!, a: b["a"]!, b: b["b"]!)),
      ("pareto", ParetoNBD(r: p["r"]!, alpha: p["alpha"]!, s: p["s"]!, beta: p["beta"]!)),
    ]
    for (name, model) in models {
      let values = analysis.rows.map { LifetimeAnalysis.monthlyValues(model, $0.history, spend: spendModel.expectedSpend($0.history), settings: analysis.settings) }
      #expect(maxRelativeDifference(values.map(\.lifetimeValue), Self.column("\(name)_lifetime_value", header, rows)) < 1e-9, "\(name)")
      #expect(maxRelativeDifference(values.map(\.valueAtRisk), Self.column("\(name)_value_at_risk", header, rows)) < 1e-9, "\(name)")
      // lifetimes' E[X(h)] / (h P(alive)) for h = 1e-4 days: the rate of a customer alive now, to O(h).
      let rates = analysis.rows.map { model.expectedPurchasesIfAlwaysAlive(within: 1, $0.history) }
      #expect(maxRelativeDifference(rates, Self.column("\(name)_rate_check", header, rows)) < 1e-6, "\(name)")
      // Drop-out only takes purchases away: never below 0, never above what a customer still here
      // who never drops out would spend; lifetime value + value at risk is exactly that spend.
      for (row, value) in zip(analysis.rows, values) {
        let alive = model.probabilityAlive(row.history), spend = spendModel.expectedSpend(row.history)
        let stayingSpend = (1...12).reduce(0.0) { $0 + spend * alive * model.expectedPurchasesIfAlwaysAlive(within: 30, row.history) / pow(1.01, Double($1)) }
        #expect(value.valueAtRisk >= -1e-9 && value.valueAtRisk <= stayingSpend, "\(name) \(row.id): \(value.valueAtRisk)")
        #expect(abs(value.lifetimeValue + value.valueAtRisk - stayingSpend) <= 1e-9 * stayingSpend, "\(name) \(row.id)")
      }
      // 19339: 21 repeat purchases of about 300 dollars, the last 172 days ago; almost surely gone, nothing a call can save.
      let gone = try #require(analysis.rows.firstIndex { $0.id == "19339" })
      #expect(model.probabilityAlive(analysis.rows[gone].history) < 1e-6 && values[gone].valueAtRisk < 1e-3, "\(name): \(values[gone].valueAtRisk)")
    }
  }

  @Test("PurchaseValue: our BG/NBD fit's values per customer are churn lifetime's lifetime_value, and lifetimes' to 1e-6")
  func ourFit() throws {
    // Pareto/NBD's fit is checked against lifetimes' in LifetimeReferenceTests, its values at lifetimes' parameters above.
    let (header, rows, json) = try Self.reference()
    let value = try PurchaseValue(EventData(events: Self.events), asOf: Self.asOf, settings: .init())
    let ltv = rows.map { value.values(of: $0[0])!.lifetimeValue }, risk = rows.map { value.values(of: $0[0])!.valueAtRisk }
    // churn lifetime's rows: the same numbers.
    let lifetime = try LifetimeAnalysis(EventData(events: Self.events), settings: .init(asOf: Self.asOf))
    #expect(ltv == lifetime.rows.map { $0.lifetimeValue! })
    #expect(maxRelativeDifference(ltv, Self.column("bgnbd_lifetime_value", header, rows)) < 1e-6)
    #expect(maxRelativeDifference(risk, Self.column("bgnbd_value_at_risk", header, rows)) < 1e-6)
    // What a retention call can save: never negative, nothing for a customer already gone (P(alive) 2.5e-11).
    #expect(risk.allSatisfy { $0 >= -1e-9 }, "\(risk.min()!)")
    #expect(value.values(of: "19339")!.valueAtRisk < 1e-6)
    #expect(abs(risk.reduce(0, +) - (json["total_bgnbd_value_at_risk"] as! Double)) < 0.01)
    #expect(value.values(of: "no such customer") == nil)
    #expect(value.summary == "lifetime value: BG/NBD and Gamma-Gamma on 2357 customers with a purchase before 1997-10-01; 12 months at 1% a month")
  }

  @Test("Errors: no purchase values, a fit that fails, two sources of value, no event log")
  func errors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    // The log without its value column: no spend per purchase.
    let lines = try String(contentsOfFile: Self.events, encoding: .utf8).split(separator: "\n")
    try (lines.map { $0.split(separator: ",").prefix(3).joined(separator: ",") }.joined(separator: "\n") + "\n")
      .write(toFile: dir.file("counts.csv"), atomically: true, encoding: .utf8)
    #expect(throws: PurchaseValueError.noSpend(asOf: "1997-10-01", reason: dir.file("counts.csv") + " has no purchase values")) {
      _ = try PurchaseValue(EventData(events: dir.file("counts.csv")), asOf: Self.asOf, settings: .init())
    }
    #expect(PurchaseValueError.noSpend(asOf: "1997-10-01", reason: "x.csv has no purchase values").description
      == "--lifetime-value btyd: Gamma-Gamma could not be fitted on the purchase values before 1997-10-01 (x.csv has no purchase values), "
      + "so there is no spend per purchase to value; expected purchase events with values, some customers buying more than once; "
      + "fix: check the value column and --event-type, or drop --lifetime-value")
    let early = UTCTime.days(year: 1997, month: 1, day: 2) * UTCTime.millisecondsPerDay
    #expect(throws: PurchaseValueError.fitFailed(asOf: "1997-01-02", reason: "none of the 18 customers made a repeat purchase (a purchase on a later day than "
      + "their first); BG/NBD needs repeat purchases to learn how often customers buy: use a later --as-of or more of the log's event types as purchases")) {
      _ = try PurchaseValue(EventData(events: Self.events), asOf: early, settings: .init())
    }
    #expect(PurchaseValueError.fitFailed(asOf: "1997-01-02", reason: "R").description == "--lifetime-value btyd: the purchases before 1997-01-02 could not be fitted: R")
    var options = ScoringOptions(revenueColumn: "monthly_revenue")
    options.purchaseValue = .init()
    let model = try ModelFile.read(path: LifetimeReferenceTests.root + "/Tests/ChurnPipelineTests/Fixtures/v1-logistic-demo.json")
    #expect(throws: PurchaseValueError.withRevenueColumn(column: "monthly_revenue")) {
      _ = try Scorer(model: model).score(EventData(events: Self.events), asOf: "1997-10-01", options: options)
    }
    #expect(PurchaseValueError.withRevenueColumn(column: "monthly_revenue").description
      == "--lifetime-value btyd values customers by their purchases and --revenue-column monthly_revenue by their monthly revenue; "
      + "expected one source of value at a time; fix: drop --revenue-column for purchase data, or --lifetime-value for subscriptions")
    #expect(PurchaseValueError.needsEventLog(source: "--table t.csv").description
      == "--lifetime-value btyd fits BG/NBD on the purchases of an event log; --table t.csv has none; "
      + "expected --events FILE with --as-of DATE; fix: score from the event log, or drop --lifetime-value")
  }
}
