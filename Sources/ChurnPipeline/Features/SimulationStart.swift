extension SimulationSettings {
  /// Settings whose first observed month is `start`, written `YYYY-MM` such as `2024-01`.
  ///
  /// - Throws: `SimulationStartError.notAMonth` when `start` is not a month; the other settings
  ///   are checked by `validate()`.
  public init(customerCount: Int, months: Int, start: String, seed: UInt64, threads: Int) throws {
    let parts = start.split(separator: "-")
    guard parts.count == 2, parts[0].count == 4, let year = Int(parts[0]), let month = Int(parts[1]), (1...12).contains(month) else {
      throw SimulationStartError.notAMonth(start)
    }
    self.init(customerCount: customerCount, months: months, seed: seed, startYear: year, startMonth: month, threads: threads)
  }
}

/// A simulation start that is not a month.
public enum SimulationStartError: Error, Equatable, CustomStringConvertible {
  case notAMonth(String)

  public var description: String {
    switch self {
    case .notAMonth(let text): return "--start \"\(text)\" is not a month; expected YYYY-MM such as 2024-01"
    }
  }
}
