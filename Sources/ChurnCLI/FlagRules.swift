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

  /// Refuses a value outside `range`: "--trees 1000000 is too many; expected 1...10000".
  static func check<T: Comparable>(_ flag: String, _ value: T?, in range: ClosedRange<T>) throws {
    guard let value, !range.contains(value) else { return }
    throw ValidationError("\(flag) \(value) is too \(value < range.lowerBound ? "small" : "many"); expected \(range.lowerBound)...\(range.upperBound)")
  }

  /// Refuses a value below `minimum`: "--max-depth -1 is too small; expected 1 or more".
  static func check<T: Comparable>(_ flag: String, _ value: T?, atLeast minimum: T) throws {
    guard let value, value < minimum else { return }
    throw ValidationError("\(flag) \(value) is too small; expected \(minimum) or more")
  }

  /// Refuses a BTYD penalty that is not a number in 0...1e6: "--penalizer -1 is not a penalty; ...".
  static func checkPenalty(_ flag: String, _ value: Double?) throws {
    guard let value, !(value >= 0 && value <= 1e6) else { return }
    throw ValidationError("\(flag) \(value) is not a penalty; expected lifetimes' penalizer_coef, a number in 0...1e6 such as 0.001 (0: none)")
  }

  /// The upper limits, in one place (the README lists them).
  static let maxTrees = 10_000
  static let maxBootstrap = 10_000
  static let maxFolds = 100
}
