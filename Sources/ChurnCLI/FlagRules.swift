import ArgumentParser

/// Checks of flag combinations and ranges shared by the commands' `validate()`: a flag that
/// does not apply to the chosen mode is refused, not ignored, and counts have documented limits.
enum FlagRules {
  /// The flags among `flags` whose value was given (non-nil) or that are set.
  static func given(_ flags: [(String, Bool)]) -> [String] { flags.filter(\.1).map(\.0) }

  /// Refuses the first flag of `given`: "FLAG REASON".
  static func refuse(_ given: [String], _ reason: String) throws {
    if let flag = given.first { throw ValidationError("\(flag) \(reason)") }
  }

  /// Refuses a value outside `range`: "--trees 1000000 is out of range; expected 1 to 10000".
  static func check<T: Comparable>(_ flag: String, _ value: T?, in range: ClosedRange<T>, _ unit: String = "") throws {
    guard let value, !range.contains(value) else { return }
    throw ValidationError("\(flag) \(value) is out of range; expected \(range.lowerBound) to \(range.upperBound)\(unit.isEmpty ? "" : " " + unit)")
  }

  /// Refuses a value below `minimum`: "--top -1 is out of range; expected at least 1".
  static func check<T: Comparable>(_ flag: String, _ value: T?, atLeast minimum: T) throws {
    guard let value, value < minimum else { return }
    throw ValidationError("\(flag) \(value) is out of range; expected at least \(minimum)")
  }

  /// The upper limits, in one place (the README lists them).
  static let maxTrees = 10_000
  static let maxBootstrap = 10_000
  static let maxFolds = 100
  static let maxThreads = 1_024
  static let maxGroups = 100
}
