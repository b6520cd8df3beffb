import ChurnCore
import ChurnModels
import Testing

/// Person-period rows of a tiny hand-made table, checked row by row.
@Suite("Person-period rows")
struct PersonPeriodRowsTests {
  static let day: Int64 = 86_400_000
  /// Periods of 10 days after each cutoff.
  static func end(_ c: Int64, _ k: Int) -> Int64 { c + Int64(k) * 10 * day }

  /// Customers a, b, c at cutoff day 0 and a, c at day 10; data ends on day 35.
  /// a churns on day 12 (period 2 after day 0, period 1 after day 10); b on day 0 (period 1,
  /// start included); c never.
  static func table() -> FeatureTable {
    FeatureTable(ids: ["a", "b", "c", "a", "c"], cutoffs: [0, 0, 0, 10 * day, 10 * day], columnNames: ["x"],
                 columns: [.numeric([1, 2, 3, 4, 5])], labels: [0, 1, 0, 1, 0])
  }

  static let churn: [Int64?] = [12 * day, 0, nil, 12 * day, nil]

  @Test("Rows, labels and censoring worked by hand")
  func byHand() throws {
    let settings = try SurvivalSettings(periods: 4)
    let rows = try PersonPeriodRows(Self.table(), churnDates: Self.churn, settings: settings, dataEnd: 35 * Self.day, periodEnd: Self.end)
    // a@0: periods [0,10) 0, [10,20) churn → 2 rows. b@0: churn on day 0 in [0,10) → 1 row.
    // c@0: [0,10) [10,20) [20,30) closed, [30,40) ends after day 35: censored → 3 rows.
    // a@10: [10,20) churn → 1 row. c@10: [10,20) [20,30) closed, [30,40) censored → 2 rows.
    #expect(rows.source == [0, 0, 1, 2, 2, 2, 3, 4, 4])
    #expect(rows.period == [1, 2, 1, 1, 2, 3, 1, 1, 2])
    #expect(rows.table.labels! == [0, 1, 1, 0, 0, 0, 1, 0, 0])
    #expect(rows.table.ids == ["a", "a", "b", "c", "c", "c", "a", "c", "c"])
    #expect(rows.table.cutoffs! == [0, 0, 0, 0, 0, 0, 10, 10, 10].map { $0 * Self.day })
    #expect(rows.windowEnd == [10, 20, 10, 10, 20, 30, 20, 20, 30].map { $0 * Self.day })
    // The features are the cutoff's row, repeated; then the period indicators period_2 … period_4.
    #expect(rows.table.columnNames == ["x", "period_2", "period_3", "period_4"])
    #expect(rows.table.columns[0] == .numeric([1, 1, 2, 3, 3, 3, 4, 5, 5]))
    #expect(rows.table.columns[1] == .numeric([0, 1, 0, 0, 1, 0, 0, 0, 1]))
    #expect(rows.table.columns[2] == .numeric([0, 0, 0, 0, 0, 1, 0, 0, 0]))
    #expect(rows.table.columns[3] == .numeric([0, 0, 0, 0, 0, 0, 0, 0, 0]))
    // Observed times: a@0 churned in 2, b in 1, c seen 3 periods, a@10 churned in 1, c@10 seen 2.
    #expect(rows.observedPeriods == [2, 1, 3, 1, 2])
    #expect(rows.churned == [true, true, false, true, false])
    #expect(rows.firstPeriodRows == [0, 2, 3, 6, 7])
  }

  @Test("The period number and both encodings")
  func encodings() throws {
    let number = try PersonPeriodRows(Self.table(), churnDates: Self.churn, settings: try SurvivalSettings(periods: 3, encoding: .number),
                                      dataEnd: 35 * Self.day, periodEnd: Self.end)
    #expect(number.table.columnNames == ["x", "period"])
    #expect(number.table.columns[1] == .numeric(number.period.map(Double.init)))
    let both = try SurvivalSettings(periods: 3, encoding: .both)
    #expect(both.columnNames == ["period", "period_2", "period_3"])
    #expect(both.values(period: 3) == [3, 0, 1])
  }

  @Test("First-period copies: each input column in period 1, 0 or the level (later period) after; folded into reasons")
  func firstPeriod() throws {
    let settings = try SurvivalSettings(periods: 3, encoding: .firstPeriod)
    let table = FeatureTable(ids: ["a", "b"], columnNames: ["x", "plan"], columns: [.numeric([2, .nan]), .categorical(["pro", nil])])
    let rows = try settings.adding(periods: [1, 2], to: table)
    #expect(rows.columnNames == ["x", "plan", "period_2", "period_3", "x@period_1", "plan@period_1"])
    guard case .numeric(let x1) = rows.columns[4], case .categorical(let plan1) = rows.columns[5] else { Issue.record("kinds"); return }
    #expect(x1[0] == 2 && x1[1] == 0)
    #expect(plan1 == ["pro", "(later period)"])
    let b = try settings.adding(period: 1, to: table)
    guard case .numeric(let missing) = b.columns[4] else { Issue.record("kind"); return }
    #expect(missing[1].isNaN)
    #expect(settings.isPeriodColumn("x@period_1") && settings.isPeriodColumn("period_3") && !settings.isPeriodColumn("x"))
    let folded = settings.foldingPeriodColumns([
      ColumnContribution(column: "x", value: .number(2), contribution: 0.125), ColumnContribution(column: "plan", value: .level("pro"), contribution: 0.25),
      ColumnContribution(column: "period_2", value: .number(0), contribution: 0.5), ColumnContribution(column: "x@period_1", value: .number(2), contribution: 0.0625)])
    #expect(folded == [ColumnContribution(column: "x", value: .number(2), contribution: 0.1875),
                       ColumnContribution(column: "plan", value: .level("pro"), contribution: 0.25)])
  }

  @Test("Folds: test rows are period 1 at the cutoff; training rows are those whose own period closed by it")
  func folds() throws {
    let rows = try PersonPeriodRows(Self.table(), churnDates: Self.churn, settings: try SurvivalSettings(periods: 4), dataEnd: 35 * Self.day,
                                    periodEnd: Self.end)
    let folds = rows.timeFolds()
    // Day 0 has no earlier rows; day 10: training rows with period end ≤ day 10 (a@0 p1, b@0 p1, c@0 p1).
    #expect(folds.count == 1)
    #expect(folds[0].testCutoff == 10 * Self.day)
    #expect(folds[0].test == [6, 7])
    #expect(folds[0].train == [0, 2, 3])
    #expect(folds[0].labelsKnownAt == 20 * Self.day)
  }

  @Test("Curves are the running product of 1 − hazard and never increase")
  func curves() throws {
    let settings = try SurvivalSettings(periods: 3)
    let table = FeatureTable(ids: ["a", "b"], columnNames: ["x"], columns: [.numeric([0.1, 0.5])])
    // Hazard of a row: x + 0.1 × (its period − 1), read back from the period columns.
    let curves = try settings.curves(table) { t in
      guard case .numeric(let x) = t.columns[0], case .numeric(let p2) = t.columns[1], case .numeric(let p3) = t.columns[2] else { return [] }
      return x.indices.map { x[$0] + 0.1 * (p2[$0] + 2 * p3[$0]) }
    }
    for (got, expected) in zip(curves, [[0.9, 0.9 * 0.8, 0.9 * 0.8 * 0.7], [0.5, 0.5 * 0.4, 0.5 * 0.4 * 0.3]]) {
      #expect(zip(got, expected).allSatisfy { abs($0 - $1) < 1e-15 }, "\(got) against \(expected)")
    }
  }

  @Test("Errors: periods out of range and a column named like a period column")
  func errors() throws {
    #expect(throws: SurvivalError.periods(1)) { try SurvivalSettings(periods: 1) }
    #expect(SurvivalError.periods(1).description
      == "--periods 1: a survival model needs 2 to 120 periods (each one --horizon long); for one period train the fixed-horizon model (leave out --survival)")
    let table = FeatureTable(ids: ["a"], columnNames: ["period_2"], columns: [.numeric([1])])
    #expect(throws: SurvivalError.columnTaken("period_2")) { try SurvivalSettings(periods: 2).adding(period: 1, to: table) }
    #expect(SurvivalError.columnTaken("period_2").description
      == "the input already has a column named period_2, which a survival model uses for the period index; fix: rename or --exclude that column")
    #expect(SurvivalError.notContractual.description.hasPrefix("--survival needs contractual labels: a customer table with a churn-date column"))
  }
}
