import ChurnCore
import ChurnPipeline
import ChurnScoring
import ChurnTestSupport
import Foundation
import Testing

@Suite("MonthlyAnalysis")
struct MonthlyAnalysisTests {
  /// The fixture's analysis with `settings`.
  func analysis(_ settings: MonthlyAnalysis.Settings = .init(maximumLevels: 4), customers: Bool = true) throws -> MonthlyAnalysis {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try MonthlyFixture.write(to: dir)
    let plan = try ObservationPlan(cutoffs: MonthlyFixture.cutoffs, horizon: MonthlyFixture.horizon)
    return try MonthlyAnalysis(EventData(events: dir.file("events.csv"), customers: customers ? dir.file("customers.csv") : nil), plan: plan,
                               settings: settings)
  }

  /// The Wilson 95% interval, written out again here (not the library's function).
  func wilson(_ k: Int, _ n: Int) -> (Double, Double, Double) {
    let z = 1.959963984540054, p = Double(k) / Double(n), nn = Double(n)
    let center = (p + z * z / (2 * nn)) / (1 + z * z / nn)
    let half = z * (p * (1 - p) / nn + z * z / (4 * nn * nn)).squareRoot() / (1 + z * z / nn)
    return (p, center - half, center + half)
  }

  func expectRate(_ e: Estimate, _ k: Int, _ n: Int, _ what: String) {
    let (p, lo, hi) = wilson(k, n)
    #expect(abs(e.value - p) < 1e-12 && abs(e.lower - lo) < 1e-12 && abs(e.upper - hi) < 1e-12, "\(what): \(e) against \(k)/\(n)")
  }

  @Test("Rates by cutoff and level, profiles, NPS and satisfaction by month: every number as worked out by hand from the fixture")
  func byHand() throws {
    let m = try analysis()
    #expect(m.labelledRows == 14 && m.churned == 3)
    #expect(abs(m.churnRate - 3.0 / 14) < 1e-15)
    // Overall: 2 of 8 at 2025-02-01, 1 of 6 at 2025-03-01.
    #expect(m.overall.map(\.date) == ["2025-02-01", "2025-03-01"])
    #expect(m.overall.map(\.rows) == [8, 6] && m.overall.map(\.churned) == [2, 1])
    expectRate(m.overall[0].churnRate, 2, 8, "overall Feb")
    expectRate(m.overall[1].churnRate, 1, 6, "overall Mar")

    // account_manager has 8 levels (more than 4): left out; monthly_revenue is numeric.
    #expect(m.trends.map(\.attribute) == ["industry", "size"])
    #expect(m.notes.first == "account_manager left out: 8 levels (more than 4); name it with --attributes to include it")
    let industry = m.trends[0], size = m.trends[1]
    // Most rows first, ties by name: retail 5 and technology 5, then (blank) 2 and finance 2.
    #expect(industry.levels.map(\.level) == ["retail", "technology", "(blank)", "finance"])
    #expect(industry.levels.map(\.rows) == [5, 5, 2, 2] && industry.levels.map(\.churned) == [2, 1, 0, 0])
    #expect(industry.levels.map { $0.points.map(\.rows) } == [[3, 2], [3, 2], [1, 1], [1, 1]])
    #expect(industry.levels.map { $0.points.map(\.churned) } == [[1, 1], [1, 0], [0, 0], [0, 0]])
    expectRate(industry.levels[0].points[1].churnRate, 1, 2, "retail Mar")
    expectRate(industry.levels[1].points[0].churnRate, 1, 3, "technology Feb")
    expectRate(industry.levels[0].churnRate, 2, 5, "retail overall")
    #expect(size.levels.map(\.level) == ["small", "large", "mid"])
    #expect(size.levels.map { $0.points.map(\.rows) } == [[4, 3], [3, 2], [1, 1]])
    #expect(size.levels.map { $0.points.map(\.churned) } == [[1, 0], [1, 1], [0, 0]])
    expectRate(size.levels[0].points[0].churnRate, 1, 4, "small Feb")

    // Profiles: 3 churned rows, 11 retained. retail 2/3 against 3/11, large the same (13/33);
    // small 1/3 − 6/11 = −7/33; (blank), finance and mid 0 − 2/11; technology 1/3 − 4/11.
    #expect(m.profiles.map { "\($0.attribute)=\($0.level)" }
      == ["industry=retail", "size=large", "size=small", "industry=(blank)", "industry=finance", "size=mid", "industry=technology"])
    #expect(m.profiles.map(\.churned) == [2, 2, 1, 0, 0, 0, 1] && m.profiles.map(\.retained) == [3, 3, 6, 2, 2, 2, 4])
    let differences: [Double] = [13, 13, -7, -6, -6, -6, -1].map { $0 / 33 }
    for (p, expected) in zip(m.profiles, differences) {
      #expect(abs(p.difference.value - expected) < 1e-12, "\(p.level): \(p.difference.value) against \(expected)")
      expectRate(p.churnedShare, p.churned, 3, "\(p.level) share of churned")
      expectRate(p.retainedShare, p.retained, 11, "\(p.level) share of retained")
      expectRate(p.churnRate, p.churned, p.rows, "\(p.level) churn rate")
      // Newcombe's hybrid score interval from the two Wilson intervals, by hand.
      let (p1, l1, u1) = wilson(p.churned, 3)
      let (p2, l2, u2) = wilson(p.retained, 11)
      let below: Double = ((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2)).squareRoot()
      let above: Double = ((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2)).squareRoot()
      let d: Double = p1 - p2
      #expect(abs(p.difference.lower - (d - below)) < 1e-12)
      #expect(abs(p.difference.upper - (d + above)) < 1e-12)
    }

    // Months: January to April.
    #expect(m.months.map(\.month) == ["2025-01", "2025-02", "2025-03", "2025-04"])
    #expect(m.months.map(\.surveys) == [2, 0, 1, 0])
    #expect(m.months[0].satisfaction == 70 && m.months[1].satisfaction.isNaN && m.months[2].satisfaction == 90 && m.months[3].satisfaction.isNaN)
    // January 10, 9 | 7 | 6, 0 (23:59:59 on the 31st is still January); February 9 | 8.5, with
    // 11, −1 and a blank left out; April 6.
    #expect(m.months.map(\.npsAnswers) == [5, 2, 0, 1])
    #expect(m.months.map(\.promoters) == [2, 1, 0, 0] && m.months.map(\.passives) == [1, 1, 0, 0] && m.months.map(\.detractors) == [2, 0, 0, 1])
    #expect(m.months[0].nps == 0 && m.months[1].nps == 50 && m.months[2].nps.isNaN && m.months[3].nps == -100)
    #expect(m.months.map(\.npsLeftOut) == [0, 3, 0, 0])
    #expect(m.months.map(\.cutoffs) == [0, 1, 1, 0] && m.months.map(\.rows) == [0, 8, 6, 0] && m.months.map(\.churned) == [0, 2, 1, 0])
    expectRate(m.months[1].churnRate, 2, 8, "February's churn rate")
    #expect(m.months[0].churnRate.value.isNaN)
    // Only March has a satisfaction and a churn rate, only February an NPS and a churn rate.
    #expect(m.satisfactionCorrelation?.months == 1 && m.satisfactionCorrelation?.r.value.isNaN == true)
    #expect(m.npsCorrelation?.months == 1)
    #expect(Array(m.notes.dropFirst()) == ["1 survey event without a value left out of satisfaction", "1 nps event without a value left out of NPS",
                                           "2 nps events with a value outside 0–10 left out of NPS (NPS answers are 0 to 10)"])
  }

  @Test("The CSV files write those numbers, NaN as an empty field")
  func csv() throws {
    let m = try analysis()
    let rates = m.ratesCSV.split(separator: "\n").map(String.init)
    #expect(rates[0] == "attribute,level,cutoff,rows,churned,churn_rate,rate_lower_95,rate_upper_95")
    #expect(rates[1].hasPrefix("(all),(all),2025-02-01,8,2,0.25,"))
    #expect(rates.count == 1 + 2 + 2 * (4 + 3))
    #expect(rates.contains { $0.hasPrefix("industry,(blank),2025-03-01,1,0,0.0,") })
    let profiles = m.profilesCSV.split(separator: "\n").map(String.init)
    #expect(profiles[1].hasPrefix("industry,retail,2,\(2.0 / 3),"))
    #expect(profiles[1].contains(",3,\(3.0 / 11),") && profiles[1].contains(",\(2.0 / 3 - 3.0 / 11),"))
    let months = m.monthsCSV.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    #expect(months[0] == MonthlyAnalysis.monthsHeader.joined(separator: ","))
    #expect(months[1].hasPrefix("2025-01,2,70.0,5,2,1,2,0.0,0,0,0,0,,,"))
    #expect(months[2].hasPrefix("2025-02,0,,2,1,1,0,50.0,3,1,8,2,0.25,"))
    #expect(months[4] == "2025-04,0,,1,0,0,1,-100.0,0,0,0,0,,,")
  }

  @Test("Named attributes in their order, case-insensitive; a many-level one is kept when named")
  func named() throws {
    let m = try analysis(.init(attributes: ["Size", "account_manager"]))
    #expect(m.trends.map(\.attribute) == ["size", "account_manager"])
    #expect(m.trends[1].levels.count == 8)
    #expect(m.notes.allSatisfy { !$0.contains("left out:") })
  }

  @Test("Event types of the user's naming; none of either type: months left out with a note")
  func surveyTypes() throws {
    let swapped = try analysis(.init(surveyType: "nps", npsType: "survey", maximumLevels: 4))
    // The surveys (80, 60, 90) read as NPS answers are outside 0–10; the NPS answers averaged.
    #expect(swapped.months[0].surveys == 5 && abs(swapped.months[0].satisfaction - 32.0 / 5) < 1e-12)
    #expect(swapped.months.map(\.npsLeftOut) == [3, 0, 1, 0])
    let none = try analysis(.init(surveyType: "csat", npsType: "promoter", maximumLevels: 4))
    #expect(none.months.isEmpty)
    #expect(none.notes.last == "no csat or promoter events in the log: satisfaction and NPS by month left out "
      + "(name the event types with --survey-type and --nps-type)")
    let one = try analysis(.init(surveyType: "csat", maximumLevels: 4))
    #expect(one.months.map(\.surveys) == [0, 0, 0, 0] && one.months.map(\.npsAnswers) == [5, 2, 0, 1])
    #expect(one.notes.contains("no csat events in the log: satisfaction by month left out (name the type with --survey-type)"))
  }

  @Test("Survey and NPS answers read on 1 or 3 threads (byte ranges of any size), with or without quoted fields, are the same")
  func threads() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try MonthlyFixture.write(to: dir)
    let one = try SurveyResponses(EventData(events: dir.file("events.csv"), threads: 1), surveyType: "survey", npsType: "nps")
    #expect(one.surveys.count == 4 && one.nps.count == 11)
    #expect(one.nps.map(\.time).first == UTCTime.parseMilliseconds("2025-01-11T10:00:00Z"))
    for bytes in [1, 64, 200] {
      let three = try SurveyResponses(EventData(events: dir.file("events.csv"), threads: 3), surveyType: "survey", npsType: "nps",
                                      minimumPartitionBytes: bytes)
      #expect(three == one, "byte ranges of at least \(bytes) bytes")
    }
    // A quoted field makes the reader start over on one thread.
    try MonthlyFixture.events.replacingOccurrences(of: "c8,2025-01-10T09:00:00Z,login,", with: "\"c8\",2025-01-10T09:00:00Z,login,")
      .write(toFile: dir.file("quoted.csv"), atomically: true, encoding: .utf8)
    let quoted = try SurveyResponses(EventData(events: dir.file("quoted.csv"), threads: 3), surveyType: "survey", npsType: "nps",
                                     minimumPartitionBytes: 1)
    #expect(quoted == one)
  }

  @Test("The correlation of a monthly score with the churn rate: Pearson's r by hand, Fisher's interval, undefined cases")
  func correlation() {
    // x 1...5 against y 2, 4, 5, 4, 6 (and a pair with a NaN, left out): Σdx·dy = 8, Σdx² = 10, Σdy² = 8.8.
    let c = MonthCorrelation([(1, 2), (2, 4), (.nan, 9), (3, 5), (4, 4), (5, 6), (6, .nan)])
    #expect(c.months == 5)
    let r = 8 / (10 * 8.8).squareRoot()
    #expect(abs(c.r.value - r) < 1e-15)
    // Fisher: atanh(r) ± 1.96/√2, back through tanh.
    let z = 0.5 * log((1 + r) / (1 - r)), half = 1.959963984540054 / 2.0.squareRoot()
    #expect(abs(c.r.lower - tanh(z - half)) < 1e-12 && abs(c.r.upper - tanh(z + half)) < 1e-12)
    #expect(c.r.lower < r && r < c.r.upper && c.r.upper < 1)
    let three = MonthCorrelation([(1, 1), (2, 3), (3, 2)])
    #expect(three.months == 3 && three.r.value == 0.5 && three.r.lower.isNaN && three.r.upper.isNaN)
    #expect(MonthCorrelation([(1, 2), (2, 2), (3, 2), (4, 2)]).r.value.isNaN)
    #expect(MonthCorrelation([(1, 2)]).r.value.isNaN)
    let perfect = MonthCorrelation([(1, 3), (2, 5), (3, 7), (4, 9), (5, 11)])
    #expect(abs(perfect.r.value - 1) < 1e-12 && !perfect.r.lower.isNaN)
  }

  @Test("Without a customer table: the rates by cutoff and months, no attribute, a note")
  func noCustomers() throws {
    let m = try analysis(customers: false)
    #expect(m.trends.isEmpty && m.profiles.isEmpty)
    #expect(m.notes.first == "no customer table: churn rate by attribute and the profiles need one (--customers)")
    // Without churn dates the labels are inactivity labels: no event in the month after the cutoff.
    #expect(m.overall.count == 2)
  }

  @Test("Every error, its exact text")
  func errors() throws {
    #expect(throws: MonthlyAnalysisError.unknownAttribute(name: "sector", categorical: ["industry", "size", "account_manager"])) {
      try analysis(.init(attributes: ["sector"]))
    }
    #expect(MonthlyAnalysisError.unknownAttribute(name: "sector", categorical: ["industry", "size"]).description
      == "--attributes: \"sector\" is not a categorical column of the customer table (they are industry, size); "
      + "expected categorical column names separated by commas")
    #expect(MonthlyAnalysisError.unknownAttribute(name: "sector", categorical: []).description
      == "--attributes: \"sector\" is not a categorical column of the customer table (the customer table has none); "
      + "expected categorical column names separated by commas")
    #expect(throws: MonthlyAnalysisError.numericAttribute(name: "monthly_revenue")) { try analysis(.init(attributes: ["Monthly_Revenue"])) }
    #expect(MonthlyAnalysisError.numericAttribute(name: "monthly_revenue").description
      == "--attributes: monthly_revenue is a numeric column; the monthly analysis groups rows by level: "
      + "read it as categorical with --categorical monthly_revenue")
    #expect(throws: MonthlyAnalysisError.noCustomerTable) { try analysis(.init(attributes: ["industry"]), customers: false) }
    #expect(MonthlyAnalysisError.noCustomerTable.description
      == "--attributes names customer-table columns, and no customer table was given; add --customers FILE")
    #expect(throws: MonthlyAnalysisError.sameSurveyType("nps")) { try analysis(.init(surveyType: "nps")) }
    #expect(MonthlyAnalysisError.sameSurveyType("nps").description
      == "--survey-type and --nps-type are both \"nps\"; expected two event types (satisfaction surveys and NPS answers)")

    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try MonthlyFixture.write(to: dir)
    // At 2025-04-01 the one-month horizon ends after the data (2025-04-06): c1, c4, c6, c7, c8 unlabelled.
    #expect(throws: MonthlyAnalysisError.noLabels(rows: 5)) {
      try MonthlyAnalysis(EventData(events: dir.file("events.csv"), customers: dir.file("customers.csv")),
                          plan: try ObservationPlan(cutoff: ["2025-04-01"], horizon: "1m"))
    }
    #expect(MonthlyAnalysisError.noLabels(rows: 6).description
      == "none of the 6 rows has a known label (their horizons run past the end of the data); "
      + "expected cutoffs at least one horizon before the last event: choose earlier --cutoffs")
  }

  @Test("The page has every section, every level and month, and nothing from elsewhere")
  func page() throws {
    let m = try analysis()
    let html = m.html()
    #expect(!html.contains("http:") && !html.contains("https:") && !html.contains("<script") && !html.contains("url("))
    for id in MonthlyAnalysis.sectionIDs { #expect(html.contains("<section id=\"\(id)\">"), "section \(id)") }
    for level in ["retail", "technology", "(blank)", "finance", "small", "large", "mid", "2025-04"] { #expect(html.contains(level)) }
    #expect(html.contains("industry = retail") && html.contains("+39.4 (") )
  }
}
