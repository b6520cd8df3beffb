import ChurnCore

/// A table of (customer, cutoff) rows expanded to person-period rows for a discrete-time
/// hazard model, with each customer's observed time to churn.
///
/// For each row at cutoff c, period k = 1 … K covers `[end(c, k − 1), end(c, k))` with
/// `end(c, 0) = c` and `end(c, k)` = c plus k horizons (half-open, as the fixed-horizon label
/// window `[c, c + horizon)` is, so period 1's label is the fixed-horizon label):
/// ```
/// row (c, k) exists   the customer had not churned before end(c, k − 1), and end(c, k) ≤ data end
/// label               1 when the churn date falls in [end(c, k − 1), end(c, k)), else 0
/// features            the row's own, at c (the same feature row for every k: nothing after c)
/// ```
/// So a customer's rows stop after the period they churn in, and a period whose end is past
/// the data end (its label window not closed) is censored: it and every later period are left
/// out. The period index enters as the columns of `SurvivalSettings.encoding`.
///
/// Observed time, per source row: the period of churn (`churned`), or the number of periods
/// seen without churn (censored: it stays beyond them); nil when not even period 1 closed.
public struct PersonPeriodRows: Sendable {
  /// The person-period rows: the source rows' columns and the period columns; cutoffs are the
  /// source rows' cutoffs, labels 0/1.
  public var table: FeatureTable
  /// Each row's period k (1 … K).
  public var period: [Int]
  /// Each row's source row (in the table given).
  public var source: [Int]
  /// Each row's period end, the instant its label is known.
  public var windowEnd: [Int64]
  /// Per source row: the periods observed (the period of churn, or those seen without churn),
  /// 0 when none closed.
  public var observedPeriods: [Int]
  /// Per source row: whether the churn was observed within `observedPeriods`.
  public var churned: [Bool]

  /// Expands `table`.
  ///
  /// - Parameters:
  ///   - table: the feature rows (ids and cutoffs), one per customer and cutoff.
  ///   - churnDates: each row's customer's churn date (nil: still a customer).
  ///   - settings: K and the period encoding.
  ///   - dataEnd: the end of the data (exclusive): a period ending after it is censored.
  ///   - periodEnd: the end of period k after a cutoff: the cutoff plus k horizons.
  /// - Throws: `SurvivalError.columnTaken` when the table has a column named as a period column.
  /// - Complexity: O(rows × K × columns).
  public init(_ table: FeatureTable, churnDates: [Int64?], settings: SurvivalSettings, dataEnd: Int64,
              periodEnd: (_ cutoff: Int64, _ k: Int) -> Int64) throws {
    precondition(churnDates.count == table.rowCount, "\(churnDates.count) churn dates for \(table.rowCount) rows")
    let cutoffs = table.cutoffs ?? [Int64](repeating: 0, count: table.rowCount)
    var source: [Int] = [], period: [Int] = [], labels: [Double] = [], windowEnd: [Int64] = []
    var observed = [Int](repeating: 0, count: table.rowCount), churned = [Bool](repeating: false, count: table.rowCount)
    for i in 0..<table.rowCount {
      let c = cutoffs[i]
      var start = c
      for k in 1...settings.periods {
        let end = periodEnd(c, k)
        if let churn = churnDates[i], churn < start { break }  // churned before this period: no row
        guard end <= dataEnd else { break }  // censored: the label window has not closed
        let event = churnDates[i].map { $0 >= start && $0 < end } ?? false
        source.append(i)
        period.append(k)
        labels.append(event ? 1 : 0)
        windowEnd.append(end)
        observed[i] = k
        if event {
          churned[i] = true
          break
        }
        start = end
      }
    }
    var expanded = try settings.adding(periods: period, to: table.rows(source))
    expanded.labels = labels
    self.table = expanded
    self.period = period
    self.source = source
    self.windowEnd = windowEnd
    observedPeriods = observed
    self.churned = churned
  }

  /// The rows of period 1: one per source row whose first period closed, whose label is the
  /// fixed-horizon label and whose probability is the churn probability 1 − S(1).
  public var firstPeriodRows: [Int] { period.indices.filter { period[$0] == 1 } }

  /// Out-of-time folds for the hazard model. For each test cutoff t (each cutoff with period-1
  /// rows, or those of `testCutoffs`): the test rows are the period-1 rows at t (the customers
  /// eligible at t, judged on their next period as the fixed-horizon model is); the training
  /// rows every person-period row whose own period closed by t (`windowEnd ≤ t`). So no
  /// training row's features or label use anything on or after t, and a cutoff's later periods
  /// train as soon as they have closed (the purge gap is each row's own period, up to K
  /// horizons for the K-th). Cutoffs whose training or test rows hold one class only are skipped.
  public func timeFolds(testCutoffs: [Int64]? = nil) -> [Fold] {
    let labels = table.labels!, cutoffs = table.cutoffs!
    let first = firstPeriodRows
    let candidates = testCutoffs ?? Array(Set(first.map { cutoffs[$0] })).sorted()
    var folds: [Fold] = []
    for t in candidates.sorted() {
      let test = first.filter { cutoffs[$0] == t }
      let train = windowEnd.indices.filter { windowEnd[$0] <= t }
      guard Folds.bothClasses(test, labels), Folds.bothClasses(train, labels) else { continue }
      folds.append(Fold(name: UTCTime.formatDate(milliseconds: t), train: train, test: test, testCutoff: t,
                        labelsKnownAt: test.map { windowEnd[$0] }.max() ?? t))
    }
    return folds
  }
}
