import ChurnCore
import ChurnFeatures

/// When customers are observed and what counts as churn: the cutoffs, the label horizon after
/// each, and the feature windows before it. With `EventData` it makes the point-in-time
/// feature rows every event job trains, backtests or looks at cohorts on.
///
/// Windows are half-open: features see events in [cutoff − window − lead, cutoff − lead),
/// labels look at [cutoff, cutoff + horizon).
public struct ObservationPlan: Sendable, Equatable {
  /// Cutoff instants (midnight UTC, ms), sorted and distinct.
  public var cutoffs: [Int64]
  public var horizon: CalendarSpan
  /// Features end this many days before the cutoff (nil: the spec's, or 0).
  public var leadDays: Int?
  /// Feature windows in days (nil: 7, 30 and 90).
  public var windows: [Int]?
  /// Inactivity churn: the window before the cutoff with activity needed to be observed (nil: the horizon).
  public var activeWindow: CalendarSpan?
  /// Inactivity churn: event types that count as activity (nil: all).
  public var activityTypes: [String]?
  /// Event types that are purchases for RFM (nil: order, purchase, transaction, sale if present).
  public var purchaseTypes: [String]?
  /// The end of the data (exclusive, ms), if not the midnight after the last event.
  public var dataEnd: Int64?
  /// Feature families added to the defaults, from `FeatureSpec.optionalFamilyNames` (`btyd`);
  /// with a spec, the spec's families are used and this must be empty.
  public var addedFamilies: [String] = []

  /// A plan from the texts a user writes.
  ///
  /// - Parameters:
  ///   - cutoffs: a range `FROM:TO:STEP` such as `2025-01-01:2025-11-01:1m` (nil for none).
  ///   - cutoff: single cutoff dates such as `2025-07-01`, added to the range's.
  ///   - horizon: the label horizon after each cutoff: `30d`, `4w` or `1m`.
  ///   - leadDays: features end this many days before the cutoff (0...3660; nil: the spec's, or 0).
  ///   - windows: feature windows in days such as `[7, 30, 90]` (each 1...3660; nil: those three).
  ///   - activeWindow: inactivity churn: the span before the cutoff with activity needed to be observed (nil: the horizon).
  ///   - activityTypes: inactivity churn: the event types that count as activity (nil: all).
  ///   - purchaseTypes: the event types that are purchases for RFM (nil: order, purchase, transaction, sale if present).
  ///   - dataEnd: the end of the data (exclusive), a date such as `2025-12-01` (nil: the midnight after the last event).
  ///   - features: feature families to add to the defaults, such as `["btyd"]` (see `addedFamilies`).
  /// - Throws: `FeatureError` for a date, range, span, window or lead that cannot be used,
  ///   naming the value and what was expected; `PlanError.badDataEnd`; `PlanError.unknownFamily`
  ///   for a name in `features` that is not a family to add.
  public init(cutoffs: String? = nil, cutoff: [String] = [], horizon: String = "30d", leadDays: Int? = nil, windows: [Int]? = nil,
              activeWindow: String? = nil, activityTypes: [String]? = nil, purchaseTypes: [String]? = nil, dataEnd: String? = nil,
              features: [String] = []) throws {
    var list = try cutoff.map(ObservationDesign.cutoff)
    if let cutoffs { list += try ObservationDesign.cutoffRange(cutoffs) }
    let horizonSpan = try CalendarSpan.parse(horizon, option: "--horizon")
    let active = try activeWindow.map { try CalendarSpan.parse($0, option: "--active-window") }
    var end: Int64?
    if let dataEnd {
      guard let parsed = UTCTime.parseMilliseconds(dataEnd) else { throw PlanError.badDataEnd(dataEnd) }
      end = parsed
    }
    if let leadDays {
      guard leadDays >= 0 else { throw PlanError.negativeLead(leadDays) }
      guard leadDays <= FeatureError.maximumFeatureDays else { throw FeatureError.leadTooLong(days: leadDays) }
    }
    if let windows {
      guard !windows.isEmpty else { throw PlanError.noWindows }
      if let bad = windows.first(where: { $0 < 1 || $0 > FeatureError.maximumFeatureDays }) {
        throw FeatureError.windowOutOfRange(days: String(bad))
      }
    }
    self.init(design: try ObservationDesign(cutoffs: list, horizon: horizonSpan, activeWindow: active, activityTypes: activityTypes, dataEnd: end),
              leadDays: leadDays, windows: windows.map { Array(Set($0)).sorted() }, purchaseTypes: purchaseTypes)
    addedFamilies = try Self.families(features)
  }

  /// The families of a `--features` list, each once, in `FeatureSpec.optionalFamilyNames` order.
  ///
  /// - Throws: `PlanError.unknownFamily` for a name that is not a family to add (a default
  ///   family, always computed, is named as such).
  public static func families(_ names: [String]) throws -> [String] {
    for name in names where !FeatureSpec.optionalFamilyNames.contains(name) {
      throw PlanError.unknownFamily(name: name, isDefault: FeatureSpec.familyNames.contains(name))
    }
    return FeatureSpec.optionalFamilyNames.filter(names.contains)
  }

  /// The `btyd` family of a spec derived under this plan, or nil when it is not added: its
  /// expected purchases span the label horizon (a month counted as 30 days, lifetimes' month).
  public var btydFamily: FeatureSpec.BTYDFamily? {
    guard addedFamilies.contains("btyd") else { return nil }
    switch horizon {
    case .days(let n): return .init(horizonDays: n)
    case .months(let m): return .init(horizonDays: 30 * m)
    }
  }

  /// A plan from a design (cutoffs, horizon, eligibility and the data end) and the feature settings.
  public init(design: ObservationDesign, leadDays: Int? = nil, windows: [Int]? = nil, purchaseTypes: [String]? = nil) {
    cutoffs = design.cutoffs
    horizon = design.horizon
    activeWindow = design.activeWindow
    activityTypes = design.activityTypes
    dataEnd = design.dataEnd
    self.leadDays = leadDays
    self.windows = windows
    self.purchaseTypes = purchaseTypes
  }

  /// The cutoffs, horizon and eligibility rules as `ChurnFeatures` takes them.
  public func design() throws -> ObservationDesign {
    try ObservationDesign(cutoffs: cutoffs, horizon: horizon, activeWindow: activeWindow, activityTypes: activityTypes, dataEnd: dataEnd)
  }

  /// The point-in-time feature rows and labels of `data` at every cutoff: the default feature
  /// families over `windows`, or exactly the features of `spec` (a saved spec or a model's).
  ///
  /// With the `btyd` family (added here, or in `spec`), the log is read a second time for its
  /// purchases, and `BTYDFeatures` adds the family's columns after the attributes.
  ///
  /// - Throws: `PlanError.specFixesWindows` when a spec is given with windows, lead or purchase
  ///   types (the spec fixes them), `PlanError.specFixesFamilies` when a spec is given with added
  ///   families; the errors of reading the log and the customer table and of `FeatureBuilder.build`.
  public func features(_ data: EventData, customers: CustomerTable?, spec: FeatureSpec? = nil, log: JobLog = .silent) throws -> FeatureBuilder.Result {
    let (reader, progress) = data.reader(log: log)
    defer { progress?.finish() }
    return try features(reading: reader, customers: customers, spec: spec, threads: data.threads)
  }

  /// The same from an event log `reader` (with its columns, and progress if any, already set)
  /// read with `threads` threads.
  ///
  /// - Throws: as `features(_:customers:spec:log:)`; `FeatureError.tooManyThreads` for a thread
  ///   count outside 1...`FeatureError.maximumThreads`.
  public func features(reading reader: EventLogReader, customers: CustomerTable?, spec: FeatureSpec? = nil,
                       threads: Int) throws -> FeatureBuilder.Result {
    if spec != nil && (windows != nil || leadDays != nil || purchaseTypes != nil) { throw PlanError.specFixesWindows }
    if spec != nil && !addedFamilies.isEmpty { throw PlanError.specFixesFamilies(addedFamilies) }
    var builder = FeatureBuilder(design: try design(), spec: spec, customers: customers)
    if let windows { builder.defaultWindows = windows }
    if let leadDays { builder.defaultLeadDays = leadDays }
    builder.purchaseTypes = purchaseTypes
    builder.btyd = btydFamily
    guard (1...FeatureError.maximumThreads).contains(threads) else { throw FeatureError.tooManyThreads(threads) }
    builder.threads = threads
    var result = try builder.build(events: reader)
    if result.spec.btyd != nil {
      var purchases = reader
      purchases.progress = nil
      // As the builder reads: an explicit end of the data vouches for events after today.
      if dataEnd != nil { purchases.latestTimestamp = nil }
      try BTYDFeatures.add(to: &result, calendar: try PurchaseCalendar.read(purchases, purchaseTypes: result.spec.purchaseTypes))
    }
    return result
  }

  /// Feature windows from a list such as `7,30,90`: distinct whole day counts, ascending.
  ///
  /// - Throws: `PlanError.badWindow` for an item that is not a whole number from 1 up,
  ///   `PlanError.noWindowList` for a list with no item, `FeatureError.windowOutOfRange` for a
  ///   window over `FeatureError.maximumFeatureDays`.
  public static func windowDays(_ text: String) throws -> [Int] {
    var days: [Int] = []
    for item in text.split(separator: ",").map({ String($0).trimmingSpaces }).filter({ !$0.isEmpty }) {
      guard item.allSatisfy({ $0.isASCII && $0.isNumber }), item.contains(where: { $0 != "0" }) else {
        throw PlanError.badWindow(list: text, item: item)
      }
      guard let n = Int(item), n <= FeatureError.maximumFeatureDays else { throw FeatureError.windowOutOfRange(days: item) }
      days.append(n)
    }
    guard !days.isEmpty else { throw PlanError.noWindowList(text) }
    return Array(Set(days)).sorted()
  }

  /// The same with the customer table of `data` read first.
  public func features(_ data: EventData, spec: FeatureSpec? = nil, log: JobLog = .silent) throws -> FeatureBuilder.Result {
    try features(data, customers: try data.loadCustomers(spec: spec), spec: spec, log: log)
  }
}

/// An observation plan that cannot be used.
public enum PlanError: Error, Equatable, CustomStringConvertible {
  case badDataEnd(String)
  case negativeLead(Int)
  case noWindows
  case specFixesWindows
  /// An item of a `--windows` list that is not a whole number of days from 1 up.
  case badWindow(list: String, item: String)
  /// A `--windows` list with no item.
  case noWindowList(String)
  /// A `--features` name that is not a family to add (`isDefault`: a default family).
  case unknownFamily(name: String, isDefault: Bool)
  /// Families added to a plan that is given a spec.
  case specFixesFamilies([String])

  public var description: String {
    switch self {
    case .badDataEnd(let text): return "--data-end \"\(text)\" is not a date; expected ISO 8601 such as 2025-01-01"
    case .negativeLead(let days): return "--lead \(days) is negative; expected a number of days ≥ 0"
    case .noWindows: return "no feature window given; expected day counts such as 7,30,90"
    case .specFixesWindows: return "--windows, --lead and --purchase-types come from the spec when --spec is given; drop them or edit the spec"
    case .badWindow(let list, let item):
      return "--windows \"\(MessageText.excerpt(list))\": \"\(MessageText.excerpt(item))\" is not a whole number of days "
        + "from 1 to \(FeatureError.maximumFeatureDays); expected a list such as 7,30,90"
    case .noWindowList(let text): return "--windows \"\(text)\" is not a list of day counts; expected for example 7,30,90"
    case .unknownFamily(let name, let isDefault):
      let known = FeatureSpec.optionalFamilyNames.joined(separator: ", ")
      return isDefault
        ? "--features \(name): \(name) is a default family, always computed; --features adds the families that are off by default: \(known)"
        : "--features \"\(MessageText.excerpt(name))\" is not a feature family to add; expected \(known)"
    case .specFixesFamilies(let names):
      return "--features \(names.joined(separator: ",")) comes from the spec when a spec is given; drop it (the spec's families are used) or edit the spec"
    }
  }
}
