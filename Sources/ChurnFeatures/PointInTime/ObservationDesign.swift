import ChurnCore

/// A length of time in whole days or calendar months: `30d`, `4w` (= 28 days), `3m`.
///
/// Spans are at most 100 years: `maximumDays` (36,500) days or `maximumMonths` (1,200) months,
/// so that a cutoff plus a span always stays a representable instant.
public enum CalendarSpan: Sendable, Equatable, Codable, CustomStringConvertible {
  case days(Int)
  case months(Int)

  /// The longest span in days (100 years).
  public static let maximumDays = 36_500
  /// The longest span in months (100 years).
  public static let maximumMonths = 1_200

  /// Parses `30d`, `4w` or `3m` (a bare number means days); `nil` when the text is not a
  /// length of time or is longer than 100 years.
  public static func parse(_ text: String) -> CalendarSpan? {
    try? parse(text, option: "span")
  }

  /// Parses `30d`, `4w` or `3m` (a bare number means days), naming `option` in its errors.
  ///
  /// - Throws: `FeatureError.zeroSpan`, `negativeSpan`, `fractionalSpan` or `spanUnit` for
  ///   those forms, `badSpan` for any other text that is not a length of time,
  ///   `FeatureError.spanTooLong` beyond `maximumDays` days or `maximumMonths` months.
  public static func parse(_ text: String, option: String) throws -> CalendarSpan {
    let t = text.trimmingSpaces.lowercased()
    guard let unit = t.last else { throw FeatureError.badSpan(option: option, text: text) }
    var digits = unit.isNumber || unit == "." ? Substring(t) : t.dropLast()
    let isDigit = { (c: Character) in c.isASCII && c.isNumber }
    // Each recognizable mistake gets its own message: a sign, a fraction, another unit.
    let negative = digits.first == "-"
    if negative || digits.first == "+" { digits = digits.dropFirst() }
    let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
    let isNumber = !digits.isEmpty && parts.count <= 2 && parts.allSatisfy { $0.allSatisfy(isDigit) } && parts.contains { !$0.isEmpty }
    guard isNumber else { throw FeatureError.badSpan(option: option, text: text) }
    if !(unit.isNumber || unit == "." || "dwm".contains(unit)) {
      throw FeatureError.spanUnit(option: option, text: text, unit: String(unit))
    }
    let isZero = digits.allSatisfy { $0 == "0" || $0 == "." }
    if negative && !isZero { throw FeatureError.negativeSpan(option: option, text: text) }
    if isZero { throw FeatureError.zeroSpan(option: option, text: text) }
    if parts.count == 2 { throw FeatureError.fractionalSpan(option: option, text: text) }
    let trimmed = digits.drop { $0 == "0" }
    // More digits than any allowed span has: too long (and maybe more than an Int holds).
    let n = trimmed.count > 9 ? Int.max : Int(trimmed)!
    let span: CalendarSpan
    switch unit {
    case "m": span = .months(n)
    case "w": span = .days(n > maximumDays ? n : 7 * n)
    default: span = .days(n)
    }
    try span.checkLength(option: option, text: text.trimmingSpaces)
    return span
  }

  /// Throws `FeatureError.spanTooLong` (or `badSpan` for a span of 0 or less) naming `option`
  /// when this span is outside 1 day ... 100 years.
  public func checkLength(option: String, text: String? = nil) throws {
    switch self {
    case .days(let n):
      guard n != 0 else { throw FeatureError.zeroSpan(option: option, text: text ?? description) }
      guard n >= 1 else { throw FeatureError.negativeSpan(option: option, text: text ?? description) }
      guard n <= Self.maximumDays else { throw FeatureError.spanTooLong(option: option, text: text ?? description, months: false) }
    case .months(let n):
      guard n != 0 else { throw FeatureError.zeroSpan(option: option, text: text ?? description) }
      guard n >= 1 else { throw FeatureError.negativeSpan(option: option, text: text ?? description) }
      guard n <= Self.maximumMonths else { throw FeatureError.spanTooLong(option: option, text: text ?? description, months: true) }
    }
  }

  /// The instant `times` spans after `milliseconds` (calendar months keep the day of month,
  /// clamped to the month's last day; the time of day is kept).
  ///
  /// Saturates: a result beyond ±1,000,000 years from 1970, or beyond what `Int64`
  /// milliseconds hold, is `Int64.max` (or `Int64.min` going back), later (earlier) than any
  /// event, instead of overflowing.
  public func added(to milliseconds: Int64, times: Int = 1) -> Int64 {
    let day = UTCTime.millisecondsPerDay
    switch self {
    case .days(let n):
      let forward = (n >= 0) == (times >= 0)
      let (count, o1) = Int64(n).multipliedReportingOverflow(by: Int64(times))
      let (span, o2) = count.multipliedReportingOverflow(by: day)
      let (sum, o3) = milliseconds.addingReportingOverflow(span)
      return o1 || o2 || o3 ? (forward ? .max : .min) : sum
    case .months(let n):
      let forward = (n >= 0) == (times >= 0)
      let (months, o1) = n.multipliedReportingOverflow(by: times)
      let dayNumber = UTCTime.floorDiv(milliseconds, day)
      let remainder = milliseconds % day
      let timeOfDay = remainder < 0 ? remainder + day : remainder
      let (y, m, d) = UTCTime.civil(days: dayNumber)
      guard !o1, abs(months) <= 12_000_000, abs(y) <= 1_000_000 else { return forward ? .max : .min }
      let (ny, nm) = UTCTime.addMonths(year: y, month: m, months)
      let days = UTCTime.days(year: ny, month: nm, day: min(d, UTCTime.daysInMonth(year: ny, month: nm)))
      let (start, o2) = days.multipliedReportingOverflow(by: day)
      let (sum, o3) = start.addingReportingOverflow(timeOfDay)
      return o2 || o3 ? (forward ? .max : .min) : sum
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
    try horizon.checkLength(option: "horizon")
    try activeWindow?.checkLength(option: "active window")
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
  ///
  /// - Throws: `FeatureError.badCutoffRange` when the text is not three parts,
  ///   `cutoffRangeDate` for a FROM or TO that is not a date, `cutoffRangeReversed` for TO
  ///   before FROM, and the span errors (`zeroSpan`, `spanUnit`, ..., named "cutoff range
  ///   "…" step") or `cutoffStepTooLong` for the step.
  public static func cutoffRange(_ text: String) throws -> [Int64] {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 3 else { throw FeatureError.badCutoffRange(text) }
    guard let from = UTCTime.parseMilliseconds(parts[0]) else { throw FeatureError.cutoffRangeDate(range: text, part: "FROM", value: parts[0]) }
    guard let to = UTCTime.parseMilliseconds(parts[1]) else { throw FeatureError.cutoffRangeDate(range: text, part: "TO", value: parts[1]) }
    guard from <= to else {
      throw FeatureError.cutoffRangeReversed(range: text, from: UTCTime.formatDate(milliseconds: from), to: UTCTime.formatDate(milliseconds: to))
    }
    let step: CalendarSpan
    do {
      step = try CalendarSpan.parse(parts[2], option: "cutoff range \"\(MessageText.excerpt(text))\": step")
    } catch FeatureError.spanTooLong(_, let stepText, let months) {
      throw FeatureError.cutoffStepTooLong(range: text, step: stepText, months: months)
    }
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
