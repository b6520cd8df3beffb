import ChurnCore

/// What `CustomerSimulator` generates: how many customers, over how many months, from which seed.
public struct SimulationSettings: Sendable, Equatable {
  /// Number of customers (each gets one row in `customers.csv`).
  public var customerCount: Int
  /// Length of the observed period in calendar months, starting at `startYear-startMonth-01`.
  public var months: Int
  /// Every random draw flows from this seed; the same seed gives byte-identical files.
  public var seed: UInt64
  public var startYear: Int
  public var startMonth: Int
  /// Worker threads; the output does not depend on it.
  public var threads: Int

  public init(customerCount: Int, months: Int, seed: UInt64, startYear: Int = 2024, startMonth: Int = 1, threads: Int = 2) {
    self.customerCount = customerCount
    self.months = months
    self.seed = seed
    self.startYear = startYear
    self.startMonth = startMonth
    self.threads = threads
  }

  /// The most customers one run generates (about 200 events each: some 80 GB of events).
  public static let maximumCustomers = 10_000_000
  /// The most worker threads (each holds a chunk of 1,024 customers' output in memory).
  public static let maximumThreads = 1024
  /// Allowed start years: dates stay four-digit years through the 600th month.
  public static let startYears = 1900...2200

  /// Checks the settings and says what is wrong and how to fix it.
  ///
  /// Limits: 1...10,000,000 customers, 3...600 months, 1...1024 threads, a start in 1900...2200;
  /// any seed.
  public func validate() throws {
    if customerCount < 1 {
      throw SimulationError.invalidSetting("customers must be at least 1, got \(customerCount)")
    }
    if customerCount > Self.maximumCustomers {
      throw SimulationError.invalidSetting("customers must be between 1 and \(Self.maximumCustomers), got \(customerCount)")
    }
    if months < 3 || months > 600 { throw SimulationError.invalidSetting("months must be between 3 and 600, got \(months)") }
    if threads < 1 { throw SimulationError.invalidSetting("threads must be at least 1, got \(threads)") }
    if threads > Self.maximumThreads {
      throw SimulationError.invalidSetting("threads must be between 1 and \(Self.maximumThreads), got \(threads)")
    }
    if startMonth < 1 || startMonth > 12 { throw SimulationError.invalidSetting("start month must be 1...12, got \(startMonth)") }
    if !Self.startYears.contains(startYear) {
      throw SimulationError.invalidSetting("start year must be between \(Self.startYears.lowerBound) and \(Self.startYears.upperBound), got \(startYear)")
    }
  }

  /// Midnight UTC of the first simulated day, in days since 1970-01-01.
  var startDay: Int64 { UTCTime.days(year: startYear, month: startMonth, day: 1) }

  /// The last simulated month.
  public var lastMonth: (year: Int, month: Int) { UTCTime.addMonths(year: startYear, month: startMonth, months - 1) }

  /// Day number (since 1970-01-01) of the first day after the simulated period: no event is
  /// stamped on or after it.
  public var endDay: Int64 { monthStartDay(months) }

  /// Day number (since 1970-01-01) of the first day of simulated month `index` (0-based).
  func monthStartDay(_ index: Int) -> Int64 {
    let (y, m) = UTCTime.addMonths(year: startYear, month: startMonth, index)
    return UTCTime.days(year: y, month: m, day: 1)
  }
}

/// A simulation setting out of range.
public enum SimulationError: Error, Equatable, CustomStringConvertible {
  case invalidSetting(String)
  public var description: String {
    switch self {
    case .invalidSetting(let message): return "invalid simulation setting: \(message)"
    }
  }
}
