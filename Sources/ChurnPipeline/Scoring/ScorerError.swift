import ChurnCore
import ChurnFeatures
import ChurnModels

/// A scoring, explanation or report request the library cannot carry out, with what was
/// found, what was expected and how to fix it.
public enum ScorerError: Error, Equatable, CustomStringConvertible {
  /// The as-of date is not a date.
  case badAsOf(String)
  /// A negative number of customers to give reasons.
  case negativeReasons(Int)
  /// A field of the model file's event settings that cannot be read back (a damaged or
  /// hand-edited file): the field, what it holds and what was expected.
  case damagedEventSettings(field: String, found: String, expected: String)
  /// `customer` is not among the `eligible` customers scored; `source` says where they come
  /// from, `suggestion` an id that differs only in case or leading zeros.
  case customerNotFound(customer: String, eligible: Int, source: String, suggestion: String?)
  /// An error in the table read from standard input (`--table -`), its message naming
  /// "standard input" where the table's errors name the file.
  case standardInput(String)
  /// `.auto` explanations of a tree model in a part of a list whose size the part cannot know.
  case partNeedsExplanation

  public var description: String {
    switch self {
    case .badAsOf(let text):
      return "--as-of \"\(text)\" is not a date; expected ISO 8601 such as 2025-07-01"
    case .negativeReasons(let count):
      return "--reasons \(count) must be at least 0"
    case .damagedEventSettings(let field, let found, let expected):
      return "the model file's \(field) is \(found); expected \(expected); fix: train the model again with churn train"
    case .standardInput(let message):
      return message
    case .partNeedsExplanation:
      return "--explain auto chooses exact TreeSHAP or path contributions by the number of customers in the whole list, which one part "
        + "cannot know; expected --explain exact or --explain path with --partial; fix: give one of them (the same to every part and to an unsharded run)"
    case .customerNotFound(let customer, let eligible, let source, let suggestion):
      return "customer \"\(customer)\" is not among the \(eligible) eligible customers \(source); "
        + "expected an id exactly as in the data (case and leading zeros count); fix: "
        + (suggestion.map { "did you mean \"\($0)\"?" } ?? "copy the id from the data or from churn score's list")
    }
  }

  /// The `customerNotFound` error for an id that is not among `ids`. Ids match exactly, so it
  /// suggests an id that differs only in case or leading zeros.
  public static func notFound(_ customer: String, ids: [String], source: String) -> ScorerError {
    func loose(_ id: String) -> String {
      let lower = id.lowercased()
      let trimmed = lower.drop { $0 == "0" }
      return trimmed.isEmpty ? "0" : String(trimmed)
    }
    let key = loose(customer)
    let near = ids.first { $0.lowercased() == customer.lowercased() } ?? ids.first { loose($0) == key }
    return .customerNotFound(customer: customer, eligible: ids.count, source: source, suggestion: near)
  }
}

extension ModelFile.EventSettings {
  /// The label horizon, checked: a damaged file gives `ScorerError.damagedEventSettings`, not a trap.
  ///
  /// - Throws: `ScorerError.damagedEventSettings` when `horizon` is not a span such as 30d.
  public func horizonSpan() throws -> CalendarSpan {
    guard let span = CalendarSpan.parse(horizon) else {
      throw ScorerError.damagedEventSettings(field: "events.horizon", found: "\"\(horizon)\"", expected: "a length of time such as 30d or 1m")
    }
    return span
  }

  /// The active window of inactivity churn (nil: the horizon), checked.
  ///
  /// - Throws: `ScorerError.damagedEventSettings` when `activeWindow` is not a span such as 90d.
  public func activeWindowSpan() throws -> CalendarSpan? {
    guard let activeWindow else { return nil }
    guard let span = CalendarSpan.parse(activeWindow) else {
      throw ScorerError.damagedEventSettings(field: "events.activeWindow", found: "\"\(activeWindow)\"", expected: "a length of time such as 90d")
    }
    return span
  }

  /// The training cutoffs as instants (midnight UTC, ms), checked.
  ///
  /// - Throws: `ScorerError.damagedEventSettings` for a cutoff that is not a date.
  public func trainingCutoffInstants() throws -> [Int64] {
    try trainingCutoffs.enumerated().map { k, text in
      guard let instant = UTCTime.parseMilliseconds(text) else {
        throw ScorerError.damagedEventSettings(field: "events.trainingCutoffs[\(k)]", found: "\"\(text)\"", expected: "a date such as 2025-07-01")
      }
      return instant
    }
  }

  /// The cutoffs, horizon and eligibility rules the model was trained with, at `cutoffs`.
  ///
  /// - Throws: `ScorerError.damagedEventSettings` for a span that cannot be read; `FeatureError` for unusable cutoffs.
  public func design(cutoffs: [Int64]) throws -> ObservationDesign {
    try ObservationDesign(cutoffs: cutoffs, horizon: horizonSpan(), activeWindow: activeWindowSpan(), activityTypes: activityTypes)
  }

  /// The event log's column names as the model was trained with them.
  public var columns: EventLogColumns {
    EventLogColumns(customer: customerColumn, timestamp: timestampColumn, eventType: eventTypeColumn, value: valueColumn)
  }
}
