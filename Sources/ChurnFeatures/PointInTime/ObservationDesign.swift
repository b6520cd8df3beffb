import ChurnCore

/// A length of time in whole days or calendar months: `30d`, `4w` (= 28 days), `3m`.
public enum CalendarSpan: Sendable, Equatable, Codable, CustomStringConvertible {
  case days(Int)
  case months(Int)

  /// Parses `30d`, `4w` or `3m` (a bare number means days).
  public static func parse(_ text: String) -> CalendarSpan? {
    let t = text.trimmingSpaces.lowercased()
    guard let unit = t.last else { return nil }
    let digits = unit.isNumber ? Substring(t) : t.dropLast()
    guard let n = Int(digits), n > 0 else { return nil }
    if unit.isNumber { return .days(n) }
    switch unit {
    case "d": return .days(n)
    case "w": return .days(7 * n)
    case "m": return .months(n)
    default: return nil
    }
  }

  /// The instant this span after `milliseconds` (calendar months keep the day of month,
  /// clamped to the month's last day; the time of day is kept).
  public func added(to milliseconds: Int64, times: Int = 1) -> Int64 {
    switch self {
    case .days(let n): return milliseconds + Int64(n * times) * UTCTime.millisecondsPerDay
    case .months(let n):
      let day = UTCTime.floorDiv(milliseconds, UTCTime.millisecondsPerDay)
      let timeOfDay = milliseconds - day * UTCTime.millisecondsPerDay
      let (y, m, d) = UTCTime.civil(days: day)
      let (ny, nm) = UTCTime.addMonths(year: y, month: m, n * times)
      return UTCTime.days(year: ny, month: nm, day: min(d, UTCTime.daysInMonth(year: ny, month: nm)))
        * UTCTime.millisecondsPerDay + timeOfDay
    }
  }

  public var description: String {
    switch self {
    case .days(let n): return "\(n)d"
    case .months(let n): return "\(n)m"
    }
  }
}

/// When rows are observed and how churn is labelled.
///
/// For each cutoff c (midnight UTC):
/// ```
/// features see events with   time < c − lead          (the spec's leadDays)
/// the label looks at          [c, c + horizon)
/// inactivity eligibility      an activity event in [c − activeWindow, c)
/// ```
/// All intervals are half-open: an event at exactly c belongs to the label window, never to a
/// feature.
public struct ObservationDesign: Sendable, Equatable {
  /// Cutoff instants, sorted and distinct, each at midnight UTC.
  public var cutoffs: [Int64]
  public var horizon: CalendarSpan
  /// For inactivity churn, the window before the cutoff in which a customer must have been
  /// active to be observed; defaults to the horizon.
  public var activeWindow: CalendarSpan?
  /// Event types that count as activity for inactivity labels and eligibility; `nil` = all.
  public var activityTypes: [String]?
  /// The end of the data (exclusive); labels whose horizon runs past it are unknown. `nil` =
  /// midnight after the last event's UTC day.
  public var dataEnd: Int64?

  public init(cutoffs: [Int64], horizon: CalendarSpan, activeWindow: CalendarSpan? = nil, activityTypes: [String]? = nil,
              dataEnd: Int64? = nil) throws {
    guard !cutoffs.isEmpty else { throw FeatureError.noCutoffs }
    for c in cutoffs where c % UTCTime.millisecondsPerDay != 0 {
      throw FeatureError.cutoffNotMidnight(UTCTime.formatDateTime(milliseconds: c))
    }
    self.cutoffs = Array(Set(cutoffs)).sorted()
    self.horizon = horizon
    self.activeWindow = activeWindow
    self.activityTypes = activityTypes
    self.dataEnd = dataEnd
  }

  /// Parses a cutoff range `FROM:TO:STEP` (`2024-01-01:2024-12-01:30d`, `2024-01-01:2024-12-01:1m`),
  /// TO included when the steps land on it.
  public static func cutoffRange(_ text: String) throws -> [Int64] {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 3, let from = UTCTime.parseMilliseconds(parts[0]), let to = UTCTime.parseMilliseconds(parts[1]),
          let step = CalendarSpan.parse(parts[2])
    else { throw FeatureError.badCutoffRange(text) }
    guard from <= to else { throw FeatureError.badCutoffRange(text) }
    var cutoffs: [Int64] = []
    var k = 0
    while true {
      let c = step.added(to: from, times: k)
      if c > to { break }
      cutoffs.append(c)
      k += 1
      if cutoffs.count > 10_000 { throw FeatureError.tooManyCutoffs(text) }
    }
    return cutoffs
  }

  /// Parses one cutoff date (`2024-07-01`).
  public static func cutoff(_ text: String) throws -> Int64 {
    guard let c = UTCTime.parseMilliseconds(text) else { throw FeatureError.badCutoff(text) }
    return c
  }
}
