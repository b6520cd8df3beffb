import ChurnCore
import Foundation

/// Turns an event log (and an optional customer table) into one feature row per eligible
/// (customer, cutoff), with churn labels, in one streaming pass over the log.
///
/// Observation design (see `ObservationDesign`), for each cutoff c and reference r = c − lead:
/// - features see only events with time < r; windows are [r − W, r);
/// - a customer is *eligible* at c when it has started (first event or signup < c) and, with
///   churn dates, has not churned before c (churn date ≥ c or blank); without churn dates, when
///   it had an activity event in [c − activeWindow, c);
/// - the label is 1 when the churn date falls in [c, c + horizon) (contractual churn), or when
///   no activity event falls in [c, c + horizon) (inactivity churn); 0 otherwise; unknown (NaN)
///   whenever c + horizon is past the end of the data, so an unfinished window never reads as
///   "stayed".
///
/// Conventions for values that cannot be computed: no event of a type before r →
/// `days_since_last_T` is NaN; `mean_T_Wd` with no valued event in W → NaN;
/// `pct_change_count_T_30d` = (a − b) / b for a = count in [r − 30d, r) and b = count in
/// [r − 60d, r − 30d), with 0/0 = 0 (no change) and a/0 = +1 (from nothing to something counts
/// as +100%). Counts and sums over empty windows are 0.
public struct FeatureBuilder {
  public let design: ObservationDesign
  /// A fixed spec (from a model or `--spec`), or `nil` to derive one from the data.
  public let spec: FeatureSpec?
  public let customers: CustomerTable?
  /// Used only when deriving the spec; each 1...`FeatureError.maximumFeatureDays` (3660), as is the lead.
  public var defaultWindows: [Int] = [7, 30, 90]
  public var defaultLeadDays = 0
  /// Purchase types for RFM when deriving the spec; `nil` = recognized names (order, purchase, ...).
  public var purchaseTypes: [String]?
  /// The `btyd` family of a derived spec (nil: off). Its columns come from a BG/NBD model
  /// fitted at each cutoff, which this module does not have: the builder puts the family in the
  /// result's spec (and checks its names against the other columns) but not its columns;
  /// `ObservationPlan.features` in ChurnPipeline adds them.
  public var btyd: FeatureSpec.BTYDFamily?
  /// Most event types a derived spec takes; more is an error asking for an explicit list.
  public var maxEventTypes = 64
  /// Threads reading the log (each reads its own byte range; the results are merged), at most
  /// `FeatureError.maximumThreads`. Counts and dates do not depend on it; sums of values can
  /// differ in the last bits (addition order).
  public var threads = 1
  /// Most bytes the per-(customer, cutoff) aggregates may hold, over all threads (default: half
  /// the machine's memory); beyond it the run stops with `FeatureError.tooMuchMemory` instead
  /// of being killed for want of memory. Memory grows as customers × cutoffs × (event types ×
  /// windows).
  public var memoryBudget = Int(clamping: ProcessInfo.processInfo.physicalMemory / 2)
  /// Files smaller than this per thread are read on one thread (splitting costs more than it saves).
  public var minimumBytesPerThread = 32 << 20

  public init(design: ObservationDesign, spec: FeatureSpec? = nil, customers: CustomerTable? = nil) {
    self.design = design
    self.spec = spec
    self.customers = customers
  }

  /// Counts for one cutoff.
  public struct CutoffSummary: Sendable, Equatable {
    public var cutoff: Int64
    public var eligible: Int
    public var labelled: Int
    public var churned: Int
    public var churnRate: Double { labelled > 0 ? Double(churned) / Double(labelled) : .nan }
  }

  /// Everything one extraction produced.
  public struct Result: Sendable {
    public var table: FeatureTable
    public var spec: FeatureSpec
    public var summaries: [CutoffSummary]
    public var skipped: EventLogReader.SkippedRows
    public var events: Int
    public var firstEvent: Int64
    public var dataEnd: Int64
    public var notes: [String]
  }

  /// Reads the log and builds the rows.
  ///
  /// - Throws: `FileError`, `CSVError`, `EventLogError` for unreadable input; `FeatureError` for
  ///   cutoffs outside the data, event types that make no feature name, a spec that does not
  ///   fit the data.
  /// - Complexity: one pass over the log, O(events × cutoffs × windows); memory
  ///   O(customers × cutoffs × event types × windows).
  public func build(events given: EventLogReader) throws -> Result {
    var reader = given
    // An explicit end of the data vouches for events after today (the reader refuses them otherwise).
    if design.dataEnd != nil { reader.latestTimestamp = nil }
    var notes = customers?.notes ?? []
    let windows = spec?.windows ?? defaultWindows
    let leadDays = spec?.leadDays ?? defaultLeadDays
    // Limits keep every reference instant, window and horizon end representable (no overflow).
    guard (0...FeatureError.maximumFeatureDays).contains(leadDays) else { throw FeatureError.leadTooLong(days: leadDays) }
    guard !windows.isEmpty, windows.allSatisfy({ $0 >= 1 }) else {
      throw FeatureSpecError.badSpec("windows \(windows); expected day counts in 1...\(FeatureError.maximumFeatureDays) such as 7,30,90")
    }
    for w in windows where w > FeatureError.maximumFeatureDays { throw FeatureError.windowOutOfRange(days: String(w)) }
    try design.horizon.checkLength(option: "horizon")
    try design.activeWindow?.checkLength(option: "active window")
    let rfmWindowDays = spec?.rfmWindowDays ?? (windows.contains(90) ? 90 : windows.max()!)
    let activity = design.activityTypes.map(Set.init)
    let fixedTypes = spec?.eventTypes.map(\.name)
    let template = EventAccumulators(design: design, windows: windows, leadDays: leadDays, rfmWindowDays: rfmWindowDays,
                                     rising: spec?.includes("rising_months") ?? true)
    // The latest times (streak_T) and the 90-day value sums (pct_change_sum_T_90d) are kept
    // only for the types that may need them: with a fixed spec, its types that have the
    // feature; otherwise types whose name has a streak group, and purchase types.
    let typeOptions: @Sendable (String) -> EventAccumulators.TypeOptions
    if let spec {
      let recent = Set(spec.eventTypes.filter { !spec.streakSiblings(of: $0).isEmpty }.map(\.name))
      let quarters = Set(spec.eventTypes.filter(spec.hasQuarterChange).map(\.name))
      typeOptions = { .init(recent: recent.contains($0), quarters: quarters.contains($0)) }
    } else {
      let purchases = purchaseTypes.map(Set.init)
      typeOptions = { name in
        .init(recent: FeatureSpec.streakGroup(of: name) != nil,
              quarters: purchases?.contains(name) ?? FeatureSpec.defaultPurchaseNames.contains(name.lowercased()))
      }
    }
    let partitions = min(max(1, threads), FeatureError.maximumThreads)
    // The customer table's customers are registered up front: check their share before allocating it.
    var probe = template
    for name in fixedTypes ?? [] { _ = probe.addType(typeOptions(name)) }
    let upFront = probe.bytes(customers: customers?.ids.count ?? 0)
    if upFront > memoryBudget {
      throw FeatureError.tooMuchMemory(customers: customers?.ids.count ?? 0, cutoffs: design.cutoffs.count, eventTypes: fixedTypes?.count ?? 0,
                                       bytes: upFront, budget: memoryBudget)
    }
    func freshStates() -> [PartitionState] {
      (0..<partitions).map { p in
        PartitionState(accumulators: template, customers: p == 0 ? customers?.ids ?? [] : [], fixedTypes: fixedTypes,
                       activityTypes: activity, maxTypes: maxEventTypes, typeOptions: typeOptions, memoryBudget: memoryBudget,
                       partitions: partitions)
      }
    }
    var states = freshStates()
    let results = try reader.readBatches(partitions: states.count, minimumPartitionBytes: minimumBytesPerThread,
                                         reset: { states = freshStates() }) { p, batch, customers, types in
      try states[p].consume(batch, customers: customers, types: types)
    }
    let state = states[0]
    for p in 1..<results.count { try state.absorb(states[p]) }
    var skipped = EventLogReader.SkippedRows()
    for result in results { skipped.append(result.skipped, shiftedBy: 0) }
    let accumulators = state.accumulators
    let customerIds = state.customerIds
    let typeInfo = state.typeInfo
    let trackedNames = state.trackedNames
    guard accumulators.events > 0 else {
      if skipped.count > 0 { throw FeatureError.everyRowSkipped(path: reader.path, count: skipped.count, byReason: skipped.byReason) }
      throw FeatureError.emptyEventLog(path: reader.path)
    }
    // Per-slot counts are Int32 (added with wrapping): exact while the log has at most Int32.max events.
    guard accumulators.events <= Int(Int32.max) else { throw FeatureError.tooManyEvents(path: reader.path, count: accumulators.events) }

    // The data's time range and the cutoffs' place in it.
    let day = UTCTime.millisecondsPerDay
    let dataEnd = design.dataEnd ?? (UTCTime.floorDiv(accumulators.lastTime, day) + 1) * day
    for c in design.cutoffs {
      if c <= accumulators.firstTime {
        throw FeatureError.cutoffBeforeData(cutoff: UTCTime.formatDate(milliseconds: c),
                                            firstEvent: UTCTime.formatDateTime(milliseconds: accumulators.firstTime))
      }
      if c > dataEnd {
        throw FeatureError.cutoffAfterData(cutoff: UTCTime.formatDate(milliseconds: c), dataEnd: UTCTime.formatDate(milliseconds: dataEnd))
      }
    }
    // A type named on the command line that the log lacks is a typo until shown otherwise
    // (--activity-types logn would label every customer a churner); with a fixed spec the
    // types are the model's, and a week without one of them is worth only a note.
    if let types = design.activityTypes {
      for name in types where typeInfo[name] == nil {
        guard fixedTypes != nil else { throw FeatureError.unknownEventType(option: "--activity-types", name: name, types: trackedNames.sorted()) }
        notes.append("activity type \(name) never occurs in the log")
      }
    }

    // The spec: fixed, or derived from what the log holds.
    var effective: FeatureSpec
    if let spec {
      effective = spec
    } else {
      var types: [FeatureSpec.EventType] = []
      for name in trackedNames.sorted() {
        let t = typeInfo[name]!.index
        types.append(FeatureSpec.EventType(name: name, token: try FeatureSpec.token(for: name), valued: accumulators.types[t].hasValues))
      }
      let present = Set(trackedNames)
      let purchases = (purchaseTypes ?? trackedNames.filter { FeatureSpec.defaultPurchaseNames.contains($0.lowercased()) }).sorted()
      for name in purchases where !present.contains(name) {
        throw FeatureError.unknownEventType(option: "--purchase-types", name: name, types: trackedNames.sorted())
      }
      // A value column that is blank in every row leaves out every sum, mean and monetary
      // feature: say so, since a misread column looks the same.
      if let valueName = reader.columns.value, !types.isEmpty, !types.contains(where: \.valued),
         let header = try? CSVReader(path: reader.path).header, header.contains(where: { $0.lowercased() == valueName.lowercased() }) {
        notes.append("the value column \(valueName) is blank in every row of \(reader.path); sum and mean features are left out, "
          + "and monetary_\(rfmWindowDays)d and m_score are empty")
      }
      effective = FeatureSpec(windows: windows, leadDays: leadDays, eventTypes: types, purchaseTypes: purchases,
                              rfmWindowDays: rfmWindowDays, attributes: customers?.attributes ?? [])
      effective.btyd = btyd
      // Event types cannot be renamed by the user (the log is what it is): a type whose
      // features would repeat a column gets a numbered token. Customer columns can be left out
      // or renamed, so validate() names them instead.
      notes += effective.renameCollidingTokens()
    }
    // Every column name distinct (case ignored: the features file is read back case-insensitively).
    try effective.validate()
    if effective.includes("pct_change") && !windows.contains(30) {
      notes.append("pct_change_count_T_30d needs a 30-day window; left out")
      effective.excludedFamilies.append("pct_change")
    }
    let tracked = effective.eventTypes.map { typeInfo[$0.name]!.index }

    var rows = FeatureRows(spec: effective, accumulators: accumulators, trackedTypes: tracked, typeIndex: { typeInfo[$0]!.index },
                           purchaseTypes: effective.purchaseTypes.compactMap { typeInfo[$0]?.index })
    // Customers in id order (a log sorted by customer usually leaves them so already).
    let inOrder = zip(customerIds, customerIds.dropFirst()).allSatisfy { $0 < $1 }
    let order = inOrder ? Array(customerIds.indices) : customerIds.indices.sorted { customerIds[$0] < customerIds[$1] }
    var ids: [String] = []
    var cutoffColumn: [Int64] = []
    var labels: [Double] = []
    var summaries: [CutoffSummary] = []
    var attributeRows: [Int] = []  // customer-table row per output row, −1 when absent
    var slots: [Int] = []
    var references: [Int64] = []
    var signups: [Int64?] = []
    var cutoffRows: [Range<Int>] = []
    for (k, cutoff) in design.cutoffs.enumerated() {
      let horizonEnd = design.horizon.added(to: cutoff)
      let labelKnown = horizonEnd <= dataEnd
      var summary = CutoffSummary(cutoff: cutoff, eligible: 0, labelled: 0, churned: 0)
      let firstRow = ids.count
      for customer in order {
        let slot = customer * design.cutoffs.count + k
        let tableRow = customers?.rowOf[customerIds[customer]]
        let signup = tableRow.flatMap { customers!.signup[$0] }
        let churnDate = tableRow.flatMap { customers!.churn[$0] }
        let started = accumulators.firstEver[customer] < cutoff || (signup.map { $0 < cutoff } ?? false)
        let contractual = customers?.hasChurnDates ?? false
        let eligible = contractual
          ? started && !(churnDate.map { $0 < cutoff } ?? false)
          : accumulators.activeBefore[slot]
        guard eligible else { continue }
        var label = Double.nan
        if labelKnown {
          if contractual {
            label = (churnDate.map { $0 >= cutoff && $0 < horizonEnd } ?? false) ? 1 : 0
          } else {
            label = accumulators.activeAfter[slot] ? 0 : 1
          }
        }
        summary.eligible += 1
        if !label.isNaN {
          summary.labelled += 1
          if label == 1 { summary.churned += 1 }
        }
        ids.append(customerIds[customer])
        cutoffColumn.append(cutoff)
        labels.append(label)
        attributeRows.append(tableRow ?? -1)
        slots.append(slot)
        references.append(accumulators.references[k])
        signups.append(signup)
      }
      cutoffRows.append(firstRow..<ids.count)
      summaries.append(summary)
    }
    rows.fill(slots: slots, references: references, signups: signups, threads: partitions)
    for range in cutoffRows { rows.finishCutoff(rows: range) }

    var table = FeatureTable(ids: ids, cutoffs: cutoffColumn, labels: labels)
    for (name, column) in rows.columns() {
      // Sums of finite event values can still pass ±1.8e308; such a feature is an error, never an "inf" in the output.
      if case .numeric(let values) = column, let row = values.firstIndex(where: \.isInfinite) {
        throw FeatureError.featureOverflow(feature: name, customer: ids[row], cutoff: UTCTime.formatDate(milliseconds: cutoffColumn[row]))
      }
      table.append(name, column)
    }
    for attribute in effective.attributes {
      guard let customers, let index = customers.attributes.firstIndex(where: { $0.name == attribute.name }) else {
        throw FeatureSpecError.badSpec("attribute \"\(attribute.name)\" is not a column of the customer table")
      }
      switch customers.attributeColumns[index] {
      case .numeric(let values): table.append(attribute.name, .numeric(attributeRows.map { $0 < 0 ? .nan : values[$0] }))
      case .categorical(let values): table.append(attribute.name, .categorical(attributeRows.map { $0 < 0 ? nil : values[$0] }))
      }
    }
    if let customers, customers.hasChurnDates {
      // A churn date before a customer's first event drops it from every cutoff (it churned
      // before it was seen): count such customers and name the first, so a date typo shows.
      let listed = Set(ids)
      var dropped: [(line: Int, id: String, churn: Int64, firstEvent: Int64)] = []
      for (index, id) in customerIds.enumerated() where !listed.contains(id) {
        guard let row = customers.rowOf[id], let churned = customers.churn[row] else { continue }
        let firstEvent = accumulators.firstEver[index]
        if firstEvent != .max && churned < firstEvent { dropped.append((customers.lines[row], id, churned, firstEvent)) }
      }
      if let first = dropped.min(by: { $0.line < $1.line }) {
        notes.append("\(dropped.count) customer\(dropped.count == 1 ? "" : "s") of \(customers.path) churned before their first event and "
          + "\(dropped.count == 1 ? "is" : "are") in no cutoff's rows (first: line \(first.line), \"\(first.id)\" churned "
          + "\(UTCTime.formatDate(milliseconds: first.churn)), first event \(UTCTime.formatDate(milliseconds: first.firstEvent))): check the churn dates")
      }
    }
    if let customers {
      let missing = customerIds.count - customers.ids.count
      if missing > 0 { notes.append("\(missing) customers of the event log are not in \(customers.path); their attributes are missing") }
    }
    return Result(table: table, spec: effective, summaries: summaries, skipped: skipped, events: accumulators.events,
                  firstEvent: accumulators.firstTime, dataEnd: dataEnd, notes: notes)
  }
}
