import ChurnCore

/// A feature-extraction request that cannot be carried out, with what to do instead.
public enum FeatureError: Error, Equatable, CustomStringConvertible {
  case noCutoffs
  case badCutoff(String)
  case badCutoffRange(String)
  case tooManyCutoffs(String)
  case cutoffNotMidnight(String)
  case cutoffBeforeData(cutoff: String, firstEvent: String)
  case cutoffAfterData(cutoff: String, dataEnd: String)
  case emptyEventLog(path: String)
  case tooManyEventTypes(count: Int, limit: Int)
  case duplicateCustomer(path: String, line: Int, id: String, firstLine: Int)
  case badSpan(option: String, text: String)
  /// A span of 0 (`0d`, `0m`).
  case zeroSpan(option: String, text: String)
  /// A span with a minus sign (`-5d`).
  case negativeSpan(option: String, text: String)
  /// A span with a fraction (`1.5m`).
  case fractionalSpan(option: String, text: String)
  /// A span with a unit other than d, w or m (`1y`, `12h`).
  case spanUnit(option: String, text: String, unit: String)
  /// A cutoff range whose FROM or TO (`part`) is not a date.
  case cutoffRangeDate(range: String, part: String, value: String)
  /// A cutoff range whose TO is before its FROM.
  case cutoffRangeReversed(range: String, from: String, to: String)
  case spanTooLong(option: String, text: String, months: Bool)
  case cutoffStepTooLong(range: String, step: String, months: Bool)
  case leadTooLong(days: Int)
  case windowOutOfRange(days: String)
  case tooManyThreads(Int)
  case tooManyEvents(path: String, count: Int)
  case featureOverflow(feature: String, customer: String, cutoff: String)
  case tooMuchMemory(customers: Int, cutoffs: Int, eventTypes: Int, bytes: Int, budget: Int)
  /// An event type named by `option` (`--activity-types`, `--purchase-types`) that the log lacks; `types` are the log's.
  case unknownEventType(option: String, name: String, types: [String])
  /// `--skip-bad-rows` skipped every row of the log: `count` rows, counted by reason.
  case everyRowSkipped(path: String, count: Int, byReason: [String: Int])
  /// A customer table with a header and no rows.
  case noCustomers(path: String)
  /// A churn date before the signup date on `line` of the customer table.
  case churnBeforeSignup(path: String, line: Int, id: String, churn: String, signup: String, churnColumn: String, signupColumn: String)

  /// "at most 36500 days (100 years)" or "at most 1200 months (100 years)".
  static func spanLimit(months: Bool) -> String {
    months ? "at most \(CalendarSpan.maximumMonths) months (100 years)" : "at most \(CalendarSpan.maximumDays) days (100 years)"
  }

  /// The longest lead and window, in days (10 years); feature memory grows with the longest window.
  public static let maximumFeatureDays = 3660
  /// The most threads one run uses.
  public static let maximumThreads = 1024

  public var description: String {
    switch self {
    case .noCutoffs: return "no cutoff given; use --cutoff 2024-07-01 (repeatable) or --cutoffs 2024-01-01:2024-12-01:1m"
    case .badCutoff(let text): return "cutoff \"\(text)\" is not a date; expected ISO 8601 such as 2024-07-01"
    case .badCutoffRange(let text):
      let parts = text.split(separator: ":", omittingEmptySubsequences: false).count
      return "cutoff range \"\(MessageText.excerpt(text))\" has \(parts) part\(parts == 1 ? "" : "s") separated by \":\"; expected three, "
        + "FROM:TO:STEP, for example 2024-01-01:2024-12-01:30d (dates without a time; steps in d, w or m)"
    case .tooManyCutoffs(let text): return "cutoff range \"\(text)\" gives more than 10000 cutoffs; use a longer step"
    case .cutoffNotMidnight(let text):
      return "cutoff \(text) is not at midnight UTC; cutoffs are whole days such as 2024-07-01"
    case .cutoffBeforeData(let cutoff, let first):
      return "cutoff \(cutoff) is not after the first event (\(first)); no customer has any history before it"
    case .cutoffAfterData(let cutoff, let end):
      return "cutoff \(cutoff) is after the end of the data (\(end)); features would see silence that is only missing data. "
        + "Use an earlier cutoff, or --data-end if the log really runs until then"
    case .emptyEventLog(let path): return "\(path) has no events; expected at least one row after the header"
    case .tooManyEventTypes(let count, let limit):
      return "the log has \(count) event types, more than \(limit); list the ones to use in a feature spec (--spec)"
    case .duplicateCustomer(let path, let line, let id, let firstLine):
      return "\(path) line \(line): customer \"\(id)\" already appeared on line \(firstLine); expected one row per customer"
    case .badSpan(let option, let text):
      return "\(option) \"\(text)\" is not a length of time; expected for example 30d, 4w or 1m"
    case .zeroSpan(let option, let text):
      return "\(option) \"\(MessageText.excerpt(text))\" is zero; expected a length of at least one day, for example 30d, 4w or 1m"
    case .negativeSpan(let option, let text):
      return "\(option) \"\(MessageText.excerpt(text))\" is negative; expected a positive length of time, for example 30d, 4w or 1m"
    case .fractionalSpan(let option, let text):
      return "\(option) \"\(MessageText.excerpt(text))\" is not a whole number; expected whole days, weeks or months, "
        + "for example 45d rather than 1.5m"
    case .spanUnit(let option, let text, let unit):
      return "\(option) \"\(MessageText.excerpt(text))\": unit \"\(MessageText.excerpt(unit))\" is not d (days), w (weeks) or m (months); "
        + "expected for example 30d, 4w or 1m (a year is 12m)"
    case .cutoffRangeDate(let range, let part, let value):
      return "cutoff range \"\(MessageText.excerpt(range))\": \(part) \"\(MessageText.excerpt(value))\" is not a date; "
        + "expected FROM:TO:STEP with dates such as 2024-01-01:2024-12-01:1m"
    case .cutoffRangeReversed(let range, let from, let to):
      return "cutoff range \"\(MessageText.excerpt(range))\": TO \(to) is before FROM \(from); expected FROM on or before TO: swap them"
    case .spanTooLong(let option, let text, let months):
      return "\(option) \(text) is too long; expected \(Self.spanLimit(months: months))"
    case .cutoffStepTooLong(let range, let step, let months):
      return "cutoff range \"\(range)\": step \(step) is too long; expected \(Self.spanLimit(months: months))"
    case .leadTooLong(let days):
      return "--lead \(days) is too long; expected at most \(Self.maximumFeatureDays) days (10 years)"
    case .windowOutOfRange(let days):
      return "--windows: a window of \(days) days is too long; expected at most \(Self.maximumFeatureDays) days (10 years)"
    case .tooManyEvents(let path, let count):
      return "\(path) has \(count) events, more than \(Int32.max) (2^31 − 1), the most one run counts; split the log by customer and run each part"
    case .featureOverflow(let feature, let customer, let cutoff):
      return "\(feature) of customer \"\(customer)\" at cutoff \(cutoff) is infinite: its events' values add up beyond ±1.8e308; "
        + "check the value column of that customer's events (a unit slip or a misread field?)"
    case .tooMuchMemory(let customers, let cutoffs, let types, let bytes, let budget):
      func gigabytes(_ b: Int) -> String { String(format: "%.1f GB", Double(b) / 1e9) }
      return "features for \(customers) customers × \(cutoffs) cutoffs × \(types) event types need \(bytes == .max ? "more memory than can be counted" : "about " + gigabytes(bytes)) "
        + "so far, more than the \(gigabytes(budget)) this run may use (by default half the machine's memory); "
        + "use fewer cutoffs (a longer --cutoffs step), fewer or shorter --windows, or fewer event types (a --spec listing them)"
    case .unknownEventType(let option, let name, let types):
      let nearest = MessageText.nearest(name, in: types).map { " (did you mean \"\($0)\"?)" } ?? ""
      return "\(option): event type \"\(MessageText.excerpt(name))\" never occurs in the log\(nearest); the log's types are "
        + "\(MessageText.list(types)); expected types as written in the log (case matters)"
    case .everyRowSkipped(let path, let count, let byReason):
      let reasons = byReason.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.value) \($0.key)" }
      return "\(path): every row was skipped (\(count) bad row\(count == 1 ? "" : "s"): \(reasons.joined(separator: ", "))), so no event is left; "
        + "expected at least one good row: run without --skip-bad-rows to see the first error, and check the column flags and the timestamp form"
    case .noCustomers(let path):
      return "\(path) has a header but no rows; expected one row per customer: add the customers, or leave out --customers "
        + "(labels then come from inactivity)"
    case .churnBeforeSignup(let path, let line, let id, let churn, let signup, let churnColumn, let signupColumn):
      return "\(path) line \(line): customer \"\(MessageText.excerpt(id))\" has \(MessageText.excerpt(churnColumn)) \(churn) before "
        + "\(MessageText.excerpt(signupColumn)) \(signup); expected a churn date on or after the signup date: correct one of them"
    case .tooManyThreads(let n): return "--threads \(n) is too many; expected 1...\(Self.maximumThreads)"
    }
  }
}
