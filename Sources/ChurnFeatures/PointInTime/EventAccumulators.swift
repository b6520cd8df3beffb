import ChurnCore

/// Per (customer, cutoff) running aggregates of an event log, updated one event at a time, so
/// a log of any length is read in one streaming pass with memory proportional to
/// customers × cutoffs × event types.
///
/// Counts are `Int32` and add with wrapping arithmetic: they cannot wrap while the log holds
/// at most `Int32.max` events, which `FeatureBuilder` checks after reading (`tooManyEvents`).
///
/// A "slot" is `customer × cutoffCount + k`. For cutoff k the features' reference instant is
/// `reference[k] = cutoff[k] − lead`, and an event at time t falls in window W when
/// `reference − W ≤ t < reference` (half-open), i.e. when its age `reference − t` is in (0, W].
/// The 30-day period p (1, 2, ...) of `rising_months_T` holds the ages in (30(p − 1)d, 30p d].
struct EventAccumulators {
  /// Aggregates of one tracked event type.
  struct TypeAggregates {
    var count: [Int32] = []  // slot × windows
    var previous30: [Int32] = []  // slot: events with age in (30d, 60d]
    var last: [Int64] = []  // slot: latest time before the reference, .min if none
    var sum: [Double] = []  // slot × windows, valued types only
    var valued: [Int32] = []  // slot × windows, valued types only
    var hasValues = false
    /// slot × risingPeriods: events in 30-day period p + 1 (when rising_months is computed),
    /// saturating at 65,535 (half the memory of Int32 counts; two saturated periods compare equal).
    var months: [UInt16] = []
    /// slot × streakCap: the latest times before the reference, ascending, .min filling the
    /// front while fewer (types tracked for streak_T only).
    var recent: [Int64] = []
    var tracksRecent = false
    var quarterSum: [Double] = []  // slot × 2: sum of values with age in (0, 90d] and (90d, 180d] (purchase types only)
    var tracksQuarters = false
  }

  /// Which optional aggregates a tracked type keeps.
  struct TypeOptions: Sendable, Equatable {
    /// Its latest `streakCap` times (for `streak_T`).
    var recent = false
    /// Its value sums over the last two 90-day periods (for `pct_change_sum_T_90d`).
    var quarters = false
  }

  let cutoffs: [Int64]
  let references: [Int64]
  let horizonEnds: [Int64]
  let activeStarts: [Int64]
  let windowMilliseconds: [Int64]
  let rfmWindow: Int
  let dayWords: Int
  /// 30-day periods counted per type for `rising_months_T` (0 when the family is not computed).
  let risingPeriods: Int
  let streakCap = FeatureSpec.streakCap
  var slotsPerCustomer: Int { cutoffs.count }
  var windowCount: Int { windowMilliseconds.count }

  private(set) var customerCount = 0
  var firstEver: [Int64] = []  // per customer: earliest event at any time
  var lastAny: [Int64] = []  // slot
  var firstInRFM: [Int64] = []  // slot: earliest event in the RFM window
  var anyCount: [Int32] = []  // slot × windows
  var dayBits: [UInt64] = []  // slot × dayWords: bit d = an event on UTC day (referenceDay − 1 − d)
  var activeBefore: [Bool] = []  // slot: an activity event in [cutoff − activeWindow, cutoff)
  var activeAfter: [Bool] = []  // slot: an activity event in [cutoff, cutoff + horizon)
  var types: [TypeAggregates] = []
  var events = 0
  var firstTime = Int64.max
  var lastTime = Int64.min

  init(design: ObservationDesign, windows: [Int], leadDays: Int, rfmWindowDays: Int, rising: Bool = true) {
    let day = UTCTime.millisecondsPerDay
    cutoffs = design.cutoffs
    references = design.cutoffs.map { $0 - Int64(leadDays) * day }
    horizonEnds = design.cutoffs.map { design.horizon.added(to: $0) }
    let active = design.activeWindow ?? design.horizon
    activeStarts = design.cutoffs.map { active.added(to: $0, times: -1) }
    windowMilliseconds = windows.map { Int64($0) * day }
    rfmWindow = windows.firstIndex(of: rfmWindowDays)!
    dayWords = (windows.max()! + 63) / 64
    risingPeriods = rising ? FeatureSpec.risingPeriods : 0
  }

  /// Bytes the aggregates hold per customer (all its cutoffs), for the memory check.
  var bytesPerCustomer: Int {
    let w = windowCount
    var perSlot = 8 + 8 + 4 * w + 8 * dayWords + 2
    for t in types {
      perSlot += 4 * w + 4 + 8 + (t.hasValues ? 12 * w : 0) + 2 * risingPeriods
        + (t.tracksRecent ? 8 * streakCap : 0) + (t.tracksQuarters ? 16 : 0)
    }
    return perSlot * slotsPerCustomer
  }

  /// Bytes the aggregates would hold with `customers` customers (Int.max when that overflows).
  func bytes(customers: Int) -> Int {
    let (total, overflow) = customers.multipliedReportingOverflow(by: bytesPerCustomer)
    return overflow ? .max : total
  }

  /// Registers `n` customers at once (indices `customerCount ..< customerCount + n`), growing
  /// every array once.
  mutating func addCustomers(_ n: Int) {
    guard n > 0 else { return }
    let k = slotsPerCustomer * n
    let w = windowCount
    firstEver.append(contentsOf: repeatElement(.max, count: n))
    lastAny.append(contentsOf: repeatElement(.min, count: k))
    firstInRFM.append(contentsOf: repeatElement(.max, count: k))
    anyCount.append(contentsOf: repeatElement(0, count: k * w))
    dayBits.append(contentsOf: repeatElement(0, count: k * dayWords))
    activeBefore.append(contentsOf: repeatElement(false, count: k))
    activeAfter.append(contentsOf: repeatElement(false, count: k))
    let (periods, cap) = (risingPeriods, streakCap)
    for t in types.indices { Self.grow(&types[t], slots: k, windows: w, periods: periods, cap: cap) }
    customerCount += n
  }

  /// Static, so that growing `types[t]` in place never copies `self` (a copy would share,
  /// then duplicate, every array).
  private static func grow(_ a: inout TypeAggregates, slots: Int, windows: Int, periods: Int, cap: Int) {
    a.count.append(contentsOf: repeatElement(0, count: slots * windows))
    a.previous30.append(contentsOf: repeatElement(0, count: slots))
    a.last.append(contentsOf: repeatElement(.min, count: slots))
    if a.hasValues {
      a.sum.append(contentsOf: repeatElement(0, count: slots * windows))
      a.valued.append(contentsOf: repeatElement(0, count: slots * windows))
    }
    a.months.append(contentsOf: repeatElement(0, count: slots * periods))
    if a.tracksRecent { a.recent.append(contentsOf: repeatElement(.min, count: slots * cap)) }
    if a.tracksQuarters { a.quarterSum.append(contentsOf: repeatElement(0, count: slots * 2)) }
  }

  /// Starts tracking a new event type and returns its index.
  mutating func addType(_ options: TypeOptions = TypeOptions()) -> Int {
    var a = TypeAggregates()
    a.tracksRecent = options.recent
    a.tracksQuarters = options.quarters
    Self.grow(&a, slots: customerCount * slotsPerCustomer, windows: windowCount, periods: risingPeriods, cap: streakCap)
    types.append(a)
    return types.count - 1
  }

  mutating func enableValues(_ t: Int) {
    let n = customerCount * slotsPerCustomer * windowCount
    types[t].sum = Array(repeating: 0, count: n)
    types[t].valued = Array(repeating: 0, count: n)
    types[t].hasValues = true
  }

  /// Adds a block of events, mapping the reader's customer and type indices to ours.
  ///
  /// Two passes over raw buffers: the customer-level aggregates of every event, then each
  /// tracked type's aggregates over its own events. Within a (type, slot) events still add in
  /// file order, so sums are the same as one event at a time.
  mutating func add(_ batch: EventBatch, customerOf: [Int], typeOf: [(index: Int, activity: Bool)]) {
    let n = batch.count
    guard n > 0 else { return }
    let k = slotsPerCustomer
    let w = windowCount
    let words = dayWords
    let day = UTCTime.millisecondsPerDay
    let thirty = 30 * day
    let ninety = 90 * day
    let periods = risingPeriods
    let cap = streakCap
    let references = self.references, cutoffs = self.cutoffs, horizonEnds = self.horizonEnds, activeStarts = self.activeStarts
    let windows = windowMilliseconds
    let rfmSpan = windows[rfmWindow]
    // Our customer index of each event, and the events of each tracked type in order.
    var customer = [Int](repeating: 0, count: n)
    var perType = [Int](repeating: 0, count: types.count + 1)
    var first = firstTime, last = lastTime
    firstEver.withUnsafeMutableBufferPointer { firstEver in
    lastAny.withUnsafeMutableBufferPointer { lastAny in
    firstInRFM.withUnsafeMutableBufferPointer { firstInRFM in
    anyCount.withUnsafeMutableBufferPointer { anyCount in
    dayBits.withUnsafeMutableBufferPointer { dayBits in
    activeBefore.withUnsafeMutableBufferPointer { activeBefore in
    activeAfter.withUnsafeMutableBufferPointer { activeAfter in
      for i in 0..<n {
        let c = customerOf[Int(batch.customerIndex[i])]
        let type = typeOf[Int(batch.typeIndex[i])]
        let time = batch.time[i]
        customer[i] = c
        if type.index >= 0 { perType[type.index + 1] += 1 }
        if time < first { first = time }
        if time > last { last = time }
        if time < firstEver[c] { firstEver[c] = time }
        let eventDay = UTCTime.floorDiv(time, day)
        for j in 0..<k {
          let slot = c * k + j
          let reference = references[j]
          if time < reference {
            let age = reference - time
            if time > lastAny[slot] { lastAny[slot] = time }
            if age <= rfmSpan && time < firstInRFM[slot] { firstInRFM[slot] = time }
            for x in 0..<w where age <= windows[x] { anyCount[slot * w + x] &+= 1 }
            let d = Int(reference / day - 1 - eventDay)
            if d < words * 64 { dayBits[slot * words + d / 64] |= 1 << UInt64(d % 64) }
          }
          if type.activity {
            if time >= cutoffs[j] {
              if time < horizonEnds[j] { activeAfter[slot] = true }
            } else if time >= activeStarts[j] {
              activeBefore[slot] = true
            }
          }
        }
      }
    }}}}}}}
    events += n
    firstTime = first
    lastTime = last
    // Events grouped by tracked type (a counting sort keeps file order within a type).
    for t in 0..<types.count { perType[t + 1] += perType[t] }
    var order = [Int32](repeating: 0, count: perType[types.count])
    var next = perType
    for i in 0..<n {
      let t = typeOf[Int(batch.typeIndex[i])].index
      if t >= 0 {
        order[next[t]] = Int32(i)
        next[t] += 1
      }
    }
    for t in 0..<types.count where perType[t + 1] > perType[t] {
      let mine = order[perType[t]..<perType[t + 1]]
      if !types[t].hasValues && mine.contains(where: { !batch.value[Int($0)].isNaN }) { enableValues(t) }
      // Moved out while updated (a copy would share, then duplicate, its arrays).
      var aggregates = TypeAggregates()
      swap(&aggregates, &types[t])
      defer { swap(&aggregates, &types[t]) }
      let valued = aggregates.hasValues
      let tracksRecent = aggregates.tracksRecent, tracksQuarters = aggregates.tracksQuarters
      aggregates.count.withUnsafeMutableBufferPointer { count in
      aggregates.previous30.withUnsafeMutableBufferPointer { previous30 in
      aggregates.last.withUnsafeMutableBufferPointer { lastOfType in
      aggregates.sum.withUnsafeMutableBufferPointer { sum in
      aggregates.valued.withUnsafeMutableBufferPointer { valuedCount in
      aggregates.months.withUnsafeMutableBufferPointer { months in
      aggregates.recent.withUnsafeMutableBufferPointer { recent in
      aggregates.quarterSum.withUnsafeMutableBufferPointer { quarterSum in
        for e in mine {
          let i = Int(e)
          let c = customer[i], time = batch.time[i], value = batch.value[i]
          let hasValue = valued && !value.isNaN
          for j in 0..<k {
            let slot = c * k + j
            let reference = references[j]
            guard time < reference else { continue }
            let age = reference - time
            if time > lastOfType[slot] { lastOfType[slot] = time }
            for x in 0..<w where age <= windows[x] {
              count[slot * w + x] &+= 1
              if hasValue {
                sum[slot * w + x] += value
                valuedCount[slot * w + x] &+= 1
              }
            }
            if age > thirty && age <= 2 * thirty { previous30[slot] &+= 1 }
            if periods > 0 {
              let p = Int((age - 1) / thirty)
              if p < periods && months[slot * periods + p] < .max { months[slot * periods + p] += 1 }
            }
            if tracksRecent { Self.insert(time, into: recent.baseAddress! + slot * cap, count: cap) }
            if tracksQuarters && hasValue {
              if age <= ninety { quarterSum[slot * 2] += value } else if age <= 2 * ninety { quarterSum[slot * 2 + 1] += value }
            }
          }
        }
      }}}}}}}}
    }
  }

  /// Puts `time` among the `count` latest times at `buffer` (ascending, `.min` where empty),
  /// dropping the earliest when full; a time no later than all of them is left out.
  @inline(__always)
  static func insert(_ time: Int64, into buffer: UnsafeMutablePointer<Int64>, count: Int) {
    guard time > buffer[0] else { return }
    var i = 0
    while i + 1 < count && buffer[i + 1] < time {
      buffer[i] = buffer[i + 1]
      i += 1
    }
    buffer[i] = time
  }

  /// The number of distinct UTC days with an event among the `days` days before the reference.
  func activeDays(slot: Int, days: Int) -> Int {
    var total = 0
    var remaining = days
    var word = 0
    while remaining > 0 {
      let bits = dayBits[slot * dayWords + word]
      total += remaining >= 64 ? bits.nonzeroBitCount : (bits & ((1 << UInt64(remaining)) - 1)).nonzeroBitCount
      remaining -= 64
      word += 1
    }
    return total
  }
}

extension EventAccumulators {
  /// Adds the aggregates of `other` (the same design, another part of the log): counts and
  /// sums add, earliest and latest times take the min and max, day bits and activity flags OR.
  ///
  /// - Parameters:
  ///   - customerMap: other's customer index → ours.
  ///   - typeMap: other's tracked type index → ours.
  mutating func merge(_ other: EventAccumulators, customerMap: [Int], typeMap: [Int]) {
    precondition(other.cutoffs == cutoffs && other.windowMilliseconds == windowMilliseconds, "merging accumulators of different designs")
    precondition(other.risingPeriods == risingPeriods, "merging accumulators with different rising periods")
    for (t, mine) in typeMap.enumerated() where mine >= 0 && other.types[t].hasValues && !types[mine].hasValues {
      enableValues(mine)
    }
    let k = slotsPerCustomer
    let w = windowCount
    Self.combine(&firstEver, other.firstEver, customerMap, width: 1, min)
    Self.combine(&lastAny, other.lastAny, customerMap, width: k, max)
    Self.combine(&firstInRFM, other.firstInRFM, customerMap, width: k, min)
    Self.combine(&anyCount, other.anyCount, customerMap, width: k * w) { $0 &+ $1 }
    Self.combine(&dayBits, other.dayBits, customerMap, width: k * dayWords) { $0 | $1 }
    Self.combine(&activeBefore, other.activeBefore, customerMap, width: k) { $0 || $1 }
    Self.combine(&activeAfter, other.activeAfter, customerMap, width: k) { $0 || $1 }
    for (t, u) in typeMap.enumerated() where u >= 0 {
      let o = other.types[t]
      Self.combine(&types[u].last, o.last, customerMap, width: k, max)
      Self.combine(&types[u].previous30, o.previous30, customerMap, width: k) { $0 &+ $1 }
      Self.combine(&types[u].count, o.count, customerMap, width: k * w) { $0 &+ $1 }
      if o.hasValues {
        Self.combine(&types[u].sum, o.sum, customerMap, width: k * w) { $0 + $1 }
        Self.combine(&types[u].valued, o.valued, customerMap, width: k * w) { $0 &+ $1 }
      }
      Self.combine(&types[u].months, o.months, customerMap, width: k * risingPeriods) { $0.addingReportingOverflow($1).overflow ? .max : $0 + $1 }
      precondition(o.tracksRecent == types[u].tracksRecent && o.tracksQuarters == types[u].tracksQuarters,
                   "merging a type tracked with other options")
      if o.tracksRecent { Self.mergeRecent(&types[u].recent, o.recent, customerMap, slots: k, cap: streakCap) }
      if o.tracksQuarters { Self.combine(&types[u].quarterSum, o.quarterSum, customerMap, width: k * 2) { $0 + $1 } }
    }
    events += other.events
    firstTime = min(firstTime, other.firstTime)
    lastTime = max(lastTime, other.lastTime)
  }

  /// Keeps in each of `mine`'s buffers of latest times the `cap` latest of its own and the
  /// matching buffer of `theirs` (customer t of theirs is `customerMap[t]` of mine).
  private static func mergeRecent(_ mine: inout [Int64], _ theirs: [Int64], _ customerMap: [Int], slots: Int, cap: Int) {
    precondition(theirs.count == customerMap.count * slots * cap, "merging \(theirs.count) times for \(customerMap.count) customers")
    var merged = [Int64](repeating: .min, count: cap)
    for (t, m) in customerMap.enumerated() {
      for j in 0..<slots {
        let a = (m * slots + j) * cap, b = (t * slots + j) * cap
        // Both ascending: fill the merged buffer from its end with the larger of the two tails.
        var x = cap - 1, y = cap - 1
        for z in stride(from: cap - 1, through: 0, by: -1) {
          if y < 0 || (x >= 0 && mine[a + x] >= theirs[b + y]) {
            merged[z] = mine[a + x]
            x -= 1
          } else {
            merged[z] = theirs[b + y]
            y -= 1
          }
        }
        for z in 0..<cap { mine[a + z] = merged[z] }
      }
    }
  }

  /// `mine[m·width + x] = f(mine[m·width + x], theirs[t·width + x])` for each customer t of
  /// `theirs` and m = `customerMap[t]`, over raw buffers (no per-element checks or copies).
  @inline(__always)
  private static func combine<T>(_ mine: inout [T], _ theirs: [T], _ customerMap: [Int], width: Int, _ f: (T, T) -> T) {
    precondition(theirs.count == customerMap.count * width, "merging \(theirs.count) values for \(customerMap.count) customers")
    mine.withUnsafeMutableBufferPointer { a in
      theirs.withUnsafeBufferPointer { b in
        customerMap.withUnsafeBufferPointer { map in
          for t in 0..<map.count {
            let m = map[t]
            precondition(m >= 0 && (m + 1) * width <= a.count, "customer \(m) is outside the merged aggregates")
            let into = a.baseAddress! + m * width, from = b.baseAddress! + t * width
            for x in 0..<width { into[x] = f(into[x], from[x]) }
          }
        }
      }
    }
  }
}
