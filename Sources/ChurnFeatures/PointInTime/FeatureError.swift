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
  case spanTooLong(option: String, text: String, months: Bool)
  case cutoffStepTooLong(range: String, step: String, months: Bool)
  case leadTooLong(days: Int)
  case windowOutOfRange(days: String)
  case tooManyThreads(Int)
  case tooManyEvents(path: String, count: Int)
  case featureOverflow(feature: String, customer: String, cutoff: String)
  case tooMuchMemory(customers: Int, cutoffs: Int, eventTypes: Int, bytes: Int, budget: Int)

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
      return "cutoff range \"\(text)\" is not FROM:TO:STEP; expected for example 2024-01-01:2024-12-01:30d (steps in d, w or m)"
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
    case .tooManyThreads(let n): return "--threads \(n) is too many; expected 1...\(Self.maximumThreads)"
    }
  }
}
