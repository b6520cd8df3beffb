import ChurnCore
import ChurnFeatures
import ChurnScoring
import Foundation

/// The monthly analysis the customer-success documents ask for, over the labelled (customer,
/// cutoff) rows of an event log: the churn rate by level of each categorical customer
/// attribute at every cutoff (trend lines with Wilson 95% bands); churned against retained
/// profiles (each level's share among churned rows and among retained rows, the difference
/// with Newcombe's hybrid score 95% interval, largest differences first); and satisfaction and
/// NPS by calendar month from survey and NPS events, beside the churn rate of the cutoffs in
/// that month. What `churn monthly` shows.
///
/// ```swift
/// let plan = try ObservationPlan(cutoffs: "2025-01-01:2025-11-01:1m", horizon: "30d")
/// let monthly = try MonthlyAnalysis(EventData(events: "events.csv", customers: "customers.csv"), plan: plan)
/// print(monthly.text)
/// try monthly.html().write(toFile: "monthly.html", atomically: true, encoding: .utf8)
/// ```
///
/// The rows and labels are those `churn features` writes for the same flags. A customer is a
/// row at every cutoff where it is observed, so a level's rows count customer-months, and the
/// intervals treat rows as independent (the same customer at two cutoffs is not): read them as
/// a guide to what is noise, not as exact coverage.
public struct MonthlyAnalysis: Sendable {
  /// What to group by and which events are surveys.
  public struct Settings: Sendable, Equatable {
    /// The event type of satisfaction surveys (their value is the score, averaged per month).
    public var surveyType: String
    /// The event type of NPS answers (their value is the 0–10 answer).
    public var npsType: String
    /// The categorical customer-table columns to group by, in that order (case-insensitive);
    /// nil: every categorical column with 2...`maximumLevels` levels in the labelled rows.
    public var attributes: [String]?
    /// Without `attributes`, a column with more levels than this is left out (with a note).
    public var maximumLevels: Int

    public init(surveyType: String = "survey", npsType: String = "nps", attributes: [String]? = nil, maximumLevels: Int = 12) {
      self.surveyType = surveyType
      self.npsType = npsType
      self.attributes = attributes
      self.maximumLevels = maximumLevels
    }
  }

  /// What the feature builder found (nil when built from rows).
  public var features: FeatureRunSummary?
  public var settings: Settings
  /// Rows with a known label, and how many churned.
  public var labelledRows: Int
  public var churned: Int
  /// churned / labelledRows.
  public var churnRate: Double
  /// The churn rate of all labelled rows at each cutoff with labelled rows, in time order.
  public var overall: [RatePoint]
  /// Per attribute, each level's churn rate at the cutoffs of `overall`.
  public var trends: [AttributeTrend]
  /// Every level of every attribute, churned against retained, the largest |difference| first.
  public var profiles: [ProfileDifference]
  /// Satisfaction, NPS and churn rate by calendar month (empty when the log has neither kind of event).
  public var months: [MonthRow]
  /// Over the months with both a mean satisfaction and a churn rate: how the two move together
  /// (nil when the log has no survey).
  public var satisfactionCorrelation: MonthCorrelation?
  /// Over the months with both an NPS and a churn rate (nil when the log has no NPS answer).
  public var npsCorrelation: MonthCorrelation?
  /// What was left out and why (attributes, survey values), for the user.
  public var notes: [String]

  /// The analysis of `data`'s labelled rows at the plan's cutoffs, and of its survey and NPS events.
  ///
  /// - Parameters:
  ///   - data: the event log and its customer table (the attributes come from the table).
  ///   - plan: the cutoffs and horizon (windows are irrelevant: only rows and labels are used).
  ///   - settings: the event types of surveys and NPS answers, the attributes.
  ///   - log: gets the feature run's progress lines.
  /// - Throws: `MonthlyAnalysisError` (no labelled row, an attribute that is not a categorical
  ///   column, the same type for surveys and NPS); the errors of building the features
  ///   (`ObservationPlan.features`) and of reading the log a second time for the surveys.
  /// - Complexity: two passes over the event log; O(rows · attributes) after.
  public init(_ data: EventData, plan: ObservationPlan, settings: Settings = Settings(), log: JobLog = .silent) throws {
    try Self.checkTypes(settings)
    let result = try plan.features(data, log: log)
    let categorical = result.spec.attributes.filter { $0.kind == .categorical }.map(\.name)
    let responses = try SurveyResponses(data, surveyType: settings.surveyType, npsType: settings.npsType)
    try self.init(rows: result.table, categorical: categorical, hasCustomerTable: data.customers != nil, responses: responses,
                  settings: settings, features: FeatureRunSummary(result))
  }

  /// The analysis of the labelled rows of `rows` (with their cutoffs), grouped by the
  /// `categorical` columns of `rows` that come from the customer table, with `responses`.
  ///
  /// - Throws: `MonthlyAnalysisError`.
  public init(rows table: FeatureTable, categorical: [String], hasCustomerTable: Bool = true, responses: SurveyResponses,
              settings: Settings = Settings(), features: FeatureRunSummary? = nil) throws {
    try Self.checkTypes(settings)
    guard let cutoffs = table.cutoffs else { preconditionFailure("MonthlyAnalysis: rows without cutoffs") }
    let labelled = table.labelledRows
    guard !labelled.isEmpty else { throw MonthlyAnalysisError.noLabels(rows: table.rowCount) }
    self.features = features
    self.settings = settings
    notes = []
    let labels = labelled.map { table.labels![$0] }
    let rowCutoffs = labelled.map { cutoffs[$0] }
    labelledRows = labels.count
    churned = labels.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }
    churnRate = Double(churned) / Double(labelledRows)
    let times = Array(Set(rowCutoffs)).sorted()
    overall = RatePoint.series(times: times, rowCutoffs: rowCutoffs, labels: labels, where: { _ in true })

    // The attributes: those named, or every categorical one with a readable number of levels.
    var chosen: [(name: String, levels: [String?])] = []
    func levels(_ name: String) -> [String?]? {
      guard let c = table.columnIndex(name), case .categorical(let values) = table.columns[c] else { return nil }
      return labelled.map { values[$0] }
    }
    if let named = settings.attributes {
      guard hasCustomerTable else { throw MonthlyAnalysisError.noCustomerTable }
      for name in named {
        guard let column = categorical.first(where: { $0.lowercased() == name.lowercased() }) else {
          if let c = table.columnNames.firstIndex(where: { $0.lowercased() == name.lowercased() }), table.columns[c].isNumeric {
            throw MonthlyAnalysisError.numericAttribute(name: table.columnNames[c])
          }
          throw MonthlyAnalysisError.unknownAttribute(name: name, categorical: categorical)
        }
        if !chosen.contains(where: { $0.name == column }) { chosen.append((column, levels(column) ?? [])) }
      }
    } else {
      for name in categorical {
        guard let values = levels(name) else { continue }
        let count = Set(values.map { $0 ?? "" }).count
        if count > settings.maximumLevels {
          notes.append("\(name) left out: \(count) levels (more than \(settings.maximumLevels)); name it with --attributes to include it")
        } else if count < 2 {
          notes.append("\(name) left out: one level in the labelled rows")
        } else {
          chosen.append((name, values))
        }
      }
      if !hasCustomerTable { notes.append("no customer table: churn rate by attribute and the profiles need one (--customers)") }
    }

    trends = chosen.map { AttributeTrend(attribute: $0.name, levels: $0.levels, labels: labels, rowCutoffs: rowCutoffs, times: times) }
    profiles = chosen.flatMap { ProfileDifference.all(attribute: $0.name, levels: $0.levels, labels: labels) }.sorted(by: ProfileDifference.order)
    let (rows, surveyNotes) = MonthRow.all(responses: responses, settings: settings, rowCutoffs: rowCutoffs, labels: labels)
    months = rows
    notes += surveyNotes
    satisfactionCorrelation = responses.surveys.isEmpty ? nil : MonthCorrelation(months.map { ($0.satisfaction, $0.churnRate.value) })
    npsCorrelation = responses.nps.isEmpty ? nil : MonthCorrelation(months.map { ($0.nps, $0.churnRate.value) })
  }

  static func checkTypes(_ settings: Settings) throws {
    if settings.surveyType == settings.npsType { throw MonthlyAnalysisError.sameSurveyType(settings.surveyType) }
    guard settings.maximumLevels >= 2 else { preconditionFailure("MonthlyAnalysis: maximumLevels \(settings.maximumLevels) < 2") }
  }
}

/// A churn rate at one cutoff (or over several), with its Wilson 95% interval.
public struct RatePoint: Sendable, Equatable, Encodable {
  /// The cutoff (midnight UTC, ms).
  public var cutoff: Int64
  public var rows: Int
  public var churned: Int
  /// churned / rows with its Wilson 95% interval (NaN with no rows).
  public var churnRate: Estimate

  /// The cutoff as a date, `2025-03-01`.
  public var date: String { UTCTime.formatDate(milliseconds: cutoff) }

  enum CodingKeys: String, CodingKey { case cutoff, rows, churned, churnRate }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(date, forKey: .cutoff)
    try c.encode(rows, forKey: .rows)
    try c.encode(churned, forKey: .churned)
    try c.encode(churnRate, forKey: .churnRate)
  }

  /// One point per time in `times`: the rows at that cutoff for which `include` holds.
  static func series(times: [Int64], rowCutoffs: [Int64], labels: [Double], where include: (Int) -> Bool) -> [RatePoint] {
    var rows = [Int64: Int](), churned = [Int64: Int]()
    for i in labels.indices where include(i) {
      rows[rowCutoffs[i], default: 0] += 1
      if labels[i] == 1 { churned[rowCutoffs[i], default: 0] += 1 }
    }
    return times.map { t in
      RatePoint(cutoff: t, rows: rows[t, default: 0], churned: churned[t, default: 0],
                churnRate: wilsonInterval(successes: churned[t, default: 0], trials: rows[t, default: 0]))
    }
  }
}

/// One attribute's levels and their churn rates over the cutoffs.
public struct AttributeTrend: Sendable, Equatable, Encodable {
  public struct Level: Sendable, Equatable, Encodable {
    /// The level, "(blank)" for a missing value.
    public var level: String
    /// Over every cutoff: rows, churned, churn rate with its Wilson 95% interval.
    public var rows: Int
    public var churned: Int
    public var churnRate: Estimate
    /// One per cutoff of `MonthlyAnalysis.overall` (no rows: NaN rate).
    public var points: [RatePoint]
  }

  public var attribute: String
  /// The most rows first, ties by name.
  public var levels: [Level]

  init(attribute: String, levels values: [String?], labels: [Double], rowCutoffs: [Int64], times: [Int64]) {
    self.attribute = attribute
    // Rows and churned per (level, cutoff) in one pass: an attribute named with --attributes may
    // have hundreds of levels.
    let column = [Int64: Int](uniqueKeysWithValues: times.enumerated().map { ($1, $0) })
    var rows: [String: [Int]] = [:], churned: [String: [Int]] = [:]
    for (i, value) in values.enumerated() {
      let key = value ?? "(blank)", k = column[rowCutoffs[i]]!
      rows[key, default: Array(repeating: 0, count: times.count)][k] += 1
      if labels[i] == 1 { churned[key, default: Array(repeating: 0, count: times.count)][k] += 1 }
    }
    levels = Cohorts.byLevel(levels: values, labels: labels).map { c in
      let n = rows[c.label] ?? [], k = churned[c.label] ?? Array(repeating: 0, count: times.count)
      let points = times.indices.map { j in
        RatePoint(cutoff: times[j], rows: n[j], churned: k[j], churnRate: wilsonInterval(successes: k[j], trials: n[j]))
      }
      return Level(level: c.label, rows: c.customers, churned: c.churned, churnRate: c.churnRate, points: points)
    }
  }
}

/// One level of an attribute, churned rows against retained rows: the seeds' "manufacturing is
/// 38% of churners" comparison, on every labelled row.
public struct ProfileDifference: Sendable, Equatable, Encodable {
  public var attribute: String
  /// The level, "(blank)" for a missing value.
  public var level: String
  /// Churned rows with this level, and their share of all churned rows (Wilson 95% interval).
  public var churned: Int
  public var churnedShare: Estimate
  /// Retained rows with this level, and their share of all retained rows (Wilson 95% interval).
  public var retained: Int
  public var retainedShare: Estimate
  /// churnedShare − retainedShare, with Newcombe's hybrid score 95% interval (method 10).
  public var difference: Estimate
  /// Rows with this level and their churn rate (Wilson 95% interval).
  public var rows: Int
  public var churnRate: Estimate

  /// Every level of one attribute.
  static func all(attribute: String, levels: [String?], labels: [Double]) -> [ProfileDifference] {
    let churners = labels.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }, stayers = labels.count - churners
    return Cohorts.byLevel(levels: levels, labels: labels).map { c in
      let retained = c.customers - c.churned
      return ProfileDifference(attribute: attribute, level: c.label, churned: c.churned,
                               churnedShare: wilsonInterval(successes: c.churned, trials: churners), retained: retained,
                               retainedShare: wilsonInterval(successes: retained, trials: stayers),
                               difference: newcombeDifference(successes1: c.churned, trials1: churners, successes2: retained, trials2: stayers),
                               rows: c.customers, churnRate: c.churnRate)
    }
  }

  /// The largest |difference| first (undefined differences last), ties by attribute then level.
  static func order(_ a: ProfileDifference, _ b: ProfileDifference) -> Bool {
    let x = a.difference.value.isNaN ? -1 : abs(a.difference.value), y = b.difference.value.isNaN ? -1 : abs(b.difference.value)
    if x != y { return x > y }
    return (a.attribute, a.level) < (b.attribute, b.level)
  }
}

/// The survey and NPS answers of an event log: time and value of each event of the two types.
public struct SurveyResponses: Sendable, Equatable {
  /// Satisfaction surveys: (time in ms, value; NaN when blank).
  public var surveys: [(time: Int64, value: Double)]
  /// NPS answers: (time in ms, value; NaN when blank).
  public var nps: [(time: Int64, value: Double)]

  public init(surveys: [(time: Int64, value: Double)] = [], nps: [(time: Int64, value: Double)] = []) {
    self.surveys = surveys
    self.nps = nps
  }

  public static func == (a: SurveyResponses, b: SurveyResponses) -> Bool {
    a.surveys.elementsEqual(b.surveys) { $0.time == $1.time && $0.value.bitPattern == $1.value.bitPattern }
      && a.nps.elementsEqual(b.nps) { $0.time == $1.time && $0.value.bitPattern == $1.value.bitPattern }
  }

  /// The events of `surveyType` and `npsType` in `data`'s log (types compared exactly, after
  /// the reader trims spaces), read on `data.threads` threads, each taking a byte range of at
  /// least `minimumPartitionBytes` (a smaller file is read on one thread). The same answers,
  /// in file order, whatever the thread count.
  ///
  /// - Throws: the errors of reading the log (`FileError`, `CSVError`, `EventLogError`).
  public init(_ data: EventData, surveyType: String, npsType: String, minimumPartitionBytes: Int = 32 << 20) throws {
    let (reader, _) = data.reader(log: .silent)
    /// One byte range's answers, touched only from that range's thread.
    final class Part: @unchecked Sendable {
      var surveys: [(time: Int64, value: Double)] = []
      var nps: [(time: Int64, value: Double)] = []
      /// What each of the range's event types is: 0 neither, 1 survey, 2 NPS.
      var kinds: [Int32: UInt8] = [:]
    }
    let parts = (0..<max(1, data.threads)).map { _ in Part() }
    // A log with quoted fields is read again on one thread: start over, interning included.
    let reset = { for part in parts { part.surveys = []; part.nps = []; part.kinds = [:] } }
    _ = try reader.readBatches(partitions: parts.count, minimumPartitionBytes: minimumPartitionBytes, reset: reset) { p, batch, _, types in
      let part = parts[p]
      for i in 0..<batch.count {
        let t = batch.typeIndex[i]
        let kind: UInt8
        if let known = part.kinds[t] {
          kind = known
        } else {
          let name = types.string(Int(t))
          kind = name == surveyType ? 1 : (name == npsType ? 2 : 0)
          part.kinds[t] = kind
        }
        if kind == 1 { part.surveys.append((batch.time[i], batch.value[i])) } else if kind == 2 { part.nps.append((batch.time[i], batch.value[i])) }
      }
    }
    self.init(surveys: parts.flatMap(\.surveys), nps: parts.flatMap(\.nps))
  }
}

/// One calendar month (UTC): satisfaction and NPS of the answers given in it, and the churn
/// rate of the labelled rows whose cutoff falls in it.
public struct MonthRow: Sendable, Equatable, Encodable {
  /// `2025-03`.
  public var month: String
  /// Surveys with a value, and their mean (NaN with none).
  public var surveys: Int
  public var satisfaction: Double
  /// NPS answers on the 0–10 scale: promoters (9–10), passives (over 6, under 9), detractors (0–6).
  public var npsAnswers: Int
  public var promoters: Int
  public var passives: Int
  public var detractors: Int
  /// 100 · (promoters − detractors) / npsAnswers, from −100 to 100 (NaN with no answer).
  public var nps: Double
  /// NPS events left out: blank, or outside 0–10.
  public var npsLeftOut: Int
  /// Cutoffs in the month with labelled rows, those rows, how many churned, and their churn rate (Wilson 95%).
  public var cutoffs: Int
  public var rows: Int
  public var churned: Int
  public var churnRate: Estimate

  /// The months from the first to the last with an answer or a cutoff (months with neither in
  /// between are listed, empty), and notes on what was left out. No month when the log has no
  /// event of either type.
  static func all(responses: SurveyResponses, settings: MonthlyAnalysis.Settings, rowCutoffs: [Int64],
                  labels: [Double]) -> ([MonthRow], [String]) {
    var notes: [String] = []
    if responses.surveys.isEmpty && responses.nps.isEmpty {
      notes.append("no \(settings.surveyType) or \(settings.npsType) events in the log: satisfaction and NPS by month left out "
        + "(name the event types with --survey-type and --nps-type)")
      return ([], notes)
    }
    if responses.surveys.isEmpty {
      notes.append("no \(settings.surveyType) events in the log: satisfaction by month left out (name the type with --survey-type)")
    }
    if responses.nps.isEmpty { notes.append("no \(settings.npsType) events in the log: NPS by month left out (name the type with --nps-type)") }
    func month(_ time: Int64) -> Int {
      let c = UTCTime.civil(days: UTCTime.floorDiv(time, UTCTime.millisecondsPerDay))
      return c.year * 12 + (c.month - 1)
    }
    var rows: [Int: MonthRow] = [:]
    func row(_ m: Int) -> MonthRow {
      rows[m] ?? MonthRow(month: String(format: "%04d-%02d", m / 12, m % 12 + 1), surveys: 0, satisfaction: 0, npsAnswers: 0, promoters: 0,
                          passives: 0, detractors: 0, nps: .nan, npsLeftOut: 0, cutoffs: 0, rows: 0, churned: 0,
                          churnRate: Estimate(value: .nan, lower: .nan, upper: .nan))
    }
    var blankSurveys = 0
    for s in responses.surveys {
      guard s.value.isFinite else { blankSurveys += 1; continue }
      var r = row(month(s.time))
      r.surveys += 1
      r.satisfaction += s.value
      rows[month(s.time)] = r
    }
    var blankAnswers = 0, outside = 0
    for a in responses.nps {
      var r = row(month(a.time))
      if a.value.isNaN {
        blankAnswers += 1
        r.npsLeftOut += 1
      } else if !(0...10).contains(a.value) {
        outside += 1
        r.npsLeftOut += 1
      } else {
        r.npsAnswers += 1
        if a.value >= 9 { r.promoters += 1 } else if a.value <= 6 { r.detractors += 1 } else { r.passives += 1 }
      }
      rows[month(a.time)] = r
    }
    var cutoffsByMonth: [Int: Set<Int64>] = [:]
    for (i, cutoff) in rowCutoffs.enumerated() {
      let m = month(cutoff)
      var r = row(m)
      r.rows += 1
      if labels[i] == 1 { r.churned += 1 }
      rows[m] = r
      cutoffsByMonth[m, default: []].insert(cutoff)
    }
    func events(_ n: Int, _ type: String) -> String { "\(n) \(type) event\(n == 1 ? "" : "s")" }
    if blankSurveys > 0 { notes.append("\(events(blankSurveys, settings.surveyType)) without a value left out of satisfaction") }
    if blankAnswers > 0 { notes.append("\(events(blankAnswers, settings.npsType)) without a value left out of NPS") }
    if outside > 0 { notes.append("\(events(outside, settings.npsType)) with a value outside 0–10 left out of NPS (NPS answers are 0 to 10)") }
    guard let first = rows.keys.min(), let last = rows.keys.max() else { return ([], notes) }
    let out = (first...last).map { m -> MonthRow in
      var r = row(m)
      r.satisfaction = r.surveys > 0 ? r.satisfaction / Double(r.surveys) : .nan
      r.nps = r.npsAnswers > 0 ? 100 * Double(r.promoters - r.detractors) / Double(r.npsAnswers) : .nan
      r.cutoffs = cutoffsByMonth[m]?.count ?? 0
      r.churnRate = wilsonInterval(successes: r.churned, trials: r.rows)
      return r
    }
    return (out, notes)
  }
}

/// Pearson's correlation of a monthly score with the churn rate over the months that have both,
/// with a 95% interval from Fisher's z transformation:
///
/// ```
/// z = atanh(r),  r ∈ tanh(z ± 1.959964 / √(n − 3))
/// ```
/// Few months make a wide interval: with 11 months, r = 0.5 is compatible with anything from about
/// −0.15 to 0.85. The interval is NaN below 4 months, r (and it) NaN below 2 months or when
/// either series is constant.
public struct MonthCorrelation: Sendable, Equatable, Encodable {
  /// The months with both values.
  public var months: Int
  /// Pearson's r with its Fisher-z 95% interval.
  public var r: Estimate

  /// The correlation of the first values with the second over the pairs where both are finite.
  public init(_ pairs: [(Double, Double)]) {
    let both = pairs.filter { $0.0.isFinite && $0.1.isFinite }
    months = both.count
    let n = Double(both.count)
    let mx = both.reduce(0) { $0 + $1.0 } / n, my = both.reduce(0) { $0 + $1.1 } / n
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for (x, y) in both {
      sxy += (x - mx) * (y - my)
      sxx += (x - mx) * (x - mx)
      syy += (y - my) * (y - my)
    }
    let value = both.count >= 2 && sxx > 0 && syy > 0 ? max(-1, min(1, sxy / (sxx * syy).squareRoot())) : .nan
    guard both.count >= 4, value.isFinite else {
      r = Estimate(value: value, lower: .nan, upper: .nan)
      return
    }
    let z = atanh(value), half = 1.959963984540054 / (n - 3).squareRoot()
    r = Estimate(value: value, lower: tanh(z - half), upper: tanh(z + half))
  }
}

/// Why the monthly analysis cannot be made.
public enum MonthlyAnalysisError: Error, Equatable, CustomStringConvertible {
  /// No row has a known label (every horizon runs past the data).
  case noLabels(rows: Int)
  /// An attribute named that is not a column of the customer table.
  case unknownAttribute(name: String, categorical: [String])
  /// An attribute named that the customer table holds as numbers.
  case numericAttribute(name: String)
  /// Attributes named without a customer table.
  case noCustomerTable
  /// The same event type for surveys and NPS answers.
  case sameSurveyType(String)

  public var description: String {
    switch self {
    case .noLabels(let rows):
      return "none of the \(rows) rows has a known label (their horizons run past the end of the data); "
        + "expected cutoffs at least one horizon before the last event: choose earlier --cutoffs"
    case .unknownAttribute(let name, let categorical):
      let list = categorical.isEmpty ? "the customer table has none" : "they are " + categorical.joined(separator: ", ")
      return "--attributes: \"\(MessageText.excerpt(name))\" is not a categorical column of the customer table (\(list)); "
        + "expected categorical column names separated by commas"
    case .numericAttribute(let name):
      return "--attributes: \(name) is a numeric column; the monthly analysis groups rows by level: read it as categorical with --categorical \(name)"
    case .noCustomerTable:
      return "--attributes names customer-table columns, and no customer table was given; add --customers FILE"
    case .sameSurveyType(let type):
      return "--survey-type and --nps-type are both \"\(MessageText.excerpt(type))\"; expected two event types (satisfaction surveys and NPS answers)"
    }
  }
}
