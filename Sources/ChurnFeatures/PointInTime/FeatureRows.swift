import ChurnCore
import Dispatch

/// Computes the feature values of the output rows from the accumulators, in the documented
/// column order: each column on its own (columns spread over threads), so the values do not
/// depend on the thread count; RFM scores and segments are filled per cutoff once its rows are in.
struct FeatureRows {
  let spec: FeatureSpec
  let accumulators: EventAccumulators
  let trackedTypes: [Int]
  let purchaseTypes: [Int]
  private(set) var names: [String] = []
  private var recipes: [Recipe] = []
  private var values: [[Double]] = []
  private var segments: [String?] = []
  // Column positions of the RFM inputs and outputs (−1 when absent).
  private var recency = -1, frequency = -1, monetary = -1, rScore = -1, fScore = -1, mScore = -1

  /// How one column's value comes from a row's slot and reference instant.
  enum Recipe: Sendable {
    case daysSinceLastEvent
    case tenure
    case activeDays(days: Int)
    case meanGap
    case recency, frequency, monetary
    /// Filled later (RFM scores).
    case pending
    /// Per tracked type t (accumulator index) and window position j.
    case count(type: Int, window: Int)
    case sum(type: Int, window: Int)
    case mean(type: Int, window: Int)
    case daysSinceLast(type: Int)
    case pctChange(type: Int, thirty: Int)
    case risingMonths(type: Int)
    /// T's events after the latest event of any sibling type.
    case streak(type: Int, siblings: [Int])
    case quarterChange(type: Int)
  }

  /// - Parameter typeIndex: the accumulator index of an event type of the spec, by name.
  init(spec: FeatureSpec, accumulators: EventAccumulators, trackedTypes: [Int], typeIndex: (String) -> Int, purchaseTypes: [Int]) {
    self.spec = spec
    self.accumulators = accumulators
    self.trackedTypes = trackedTypes
    self.purchaseTypes = purchaseTypes
    let r = spec.rfmWindowDays
    func add(_ name: String, _ recipe: Recipe) -> Int {
      names.append(name)
      recipes.append(recipe)
      return names.count - 1
    }
    if spec.includes("days_since_last_event") { _ = add("days_since_last_event", .daysSinceLastEvent) }
    if spec.includes("tenure") { _ = add("tenure_days", .tenure) }
    if spec.includes("active_days") { for w in spec.windows { _ = add("active_days_\(w)d", .activeDays(days: w)) } }
    if spec.includes("mean_gap") { _ = add("mean_gap_days_\(r)d", .meanGap) }
    if spec.includes("rfm") {
      recency = add("recency_days", .recency)
      frequency = add("frequency_\(r)d", .frequency)
      monetary = add("monetary_\(r)d", .monetary)
      rScore = add("r_score", .pending)
      fScore = add("f_score", .pending)
      mScore = add("m_score", .pending)
    }
    let thirty = spec.windows.firstIndex(of: 30)
    for (position, type) in spec.eventTypes.enumerated() {
      let t = type.token
      let index = trackedTypes[position]
      if spec.includes("count") { for (j, w) in spec.windows.enumerated() { _ = add("count_\(t)_\(w)d", .count(type: index, window: j)) } }
      if type.valued && spec.includes("sum") { for (j, w) in spec.windows.enumerated() { _ = add("sum_\(t)_\(w)d", .sum(type: index, window: j)) } }
      if type.valued && spec.includes("mean") { for (j, w) in spec.windows.enumerated() { _ = add("mean_\(t)_\(w)d", .mean(type: index, window: j)) } }
      if spec.includes("days_since_last") { _ = add("days_since_last_\(t)", .daysSinceLast(type: index)) }
      if spec.includes("rising_months") { _ = add("rising_months_\(t)", .risingMonths(type: index)) }
      let siblings = spec.streakSiblings(of: type)
      if !siblings.isEmpty { _ = add("streak_\(t)", .streak(type: index, siblings: siblings.map { typeIndex($0.name) })) }
      if spec.hasQuarterChange(type) { _ = add("pct_change_sum_\(t)_90d", .quarterChange(type: index)) }
      if spec.includes("pct_change") {
        // Without a 30-day window the builder leaves the family out before building rows.
        _ = add("pct_change_count_\(t)_30d", thirty.map { .pctChange(type: index, thirty: $0) } ?? .pending)
      }
    }
    precondition(names == spec.builtInNames().filter { $0 != "rfm_segment" } + spec.eventTypes.flatMap(spec.names(of:)),
                 "FeatureRows' columns \(names) differ from the spec's names")
  }

  /// Computes every column for the rows whose accumulator slots are `slots`, row r seen at
  /// `references[r]` with signup instant `signups[r]` (from the customer table, if any):
  /// on one thread when `threads` is 1 or the rows are few, otherwise one column per task on
  /// the machine's threads. Each value is computed alone, so the thread count changes none.
  mutating func fill(slots: [Int], references: [Int64], signups: [Int64?], threads: Int) {
    precondition(slots.count == references.count && slots.count == signups.count, "row inputs of different lengths")
    var columns = [[Double]](repeating: [], count: recipes.count)
    let parallel = threads > 1 && recipes.count > 1 && slots.count >= 4096
    let this = self
    columns.withUnsafeMutableBufferPointer { out in
      nonisolated(unsafe) let out = out  // each column written by one thread only
      let make = { @Sendable (c: Int) in out[c] = this.column(this.recipes[c], slots: slots, references: references, signups: signups) }
      if !parallel {
        for c in 0..<out.count { make(c) }
      } else {
        // Columns handed out one at a time: each is a task, the threads take the next free one.
        DispatchQueue.concurrentPerform(iterations: out.count, execute: make)
      }
    }
    values = columns
    segments = rScore >= 0 ? Array(repeating: nil, count: slots.count) : []
  }

  /// One column's values for the rows, in row order.
  private func column(_ recipe: Recipe, slots: [Int], references: [Int64], signups: [Int64?]) -> [Double] {
    let a = accumulators
    let day = Double(UTCTime.millisecondsPerDay)
    let w = a.windowCount
    let n = slots.count
    /// The column from `value(row, slot)`, written straight into its storage.
    func build(_ value: (Int, Int) -> Double) -> [Double] {
      Array(unsafeUninitializedCapacity: n) { out, initialized in
        slots.withUnsafeBufferPointer { slots in
          for r in 0..<n { out[r] = value(r, slots[r]) }
        }
        initialized = n
      }
    }
    switch recipe {
    case .pending:
      return Array(repeating: .nan, count: n)
    case .daysSinceLastEvent:
      return a.lastAny.withUnsafeBufferPointer { last in
        build { r, slot in last[slot] == .min ? .nan : Double(references[r] - last[slot]) / day }
      }
    case .tenure:
      return build { r, slot in
        let customer = slot / a.slotsPerCustomer
        let reference = references[r]
        if let signup = signups[r], signup < reference { return Double(reference - signup) / day }
        if a.firstEver[customer] < reference { return Double(reference - a.firstEver[customer]) / day }
        return .nan
      }
    case .activeDays(let days):
      return build { _, slot in Double(a.activeDays(slot: slot, days: days)) }
    case .meanGap:
      let rfm = a.rfmWindow
      return build { _, slot in
        let count = a.anyCount[slot * w + rfm]
        return count >= 2 ? Double(a.lastAny[slot] - a.firstInRFM[slot]) / Double(count - 1) / day : .nan
      }
    case .recency:
      if purchaseTypes.isEmpty { return column(.daysSinceLastEvent, slots: slots, references: references, signups: signups) }
      return build { r, slot in
        var latest = Int64.min
        for t in purchaseTypes { latest = max(latest, a.types[t].last[slot]) }
        return latest == .min ? .nan : Double(references[r] - latest) / day
      }
    case .frequency:
      let rfm = a.rfmWindow
      if purchaseTypes.isEmpty { return build { _, slot in Double(a.anyCount[slot * w + rfm]) } }
      return build { _, slot in
        var count = 0
        for t in purchaseTypes { count += Int(a.types[t].count[slot * w + rfm]) }
        return Double(count)
      }
    case .monetary:
      let rfm = a.rfmWindow
      guard purchaseTypes.contains(where: { a.types[$0].hasValues }) else { return Array(repeating: .nan, count: n) }
      return build { _, slot in
        var money = 0.0
        for t in purchaseTypes where a.types[t].hasValues { money += a.types[t].sum[slot * w + rfm] }
        return money
      }
    case .count(let t, let j):
      return a.types[t].count.withUnsafeBufferPointer { count in build { _, slot in Double(count[slot * w + j]) } }
    case .sum(let t, let j):
      guard a.types[t].hasValues else { return Array(repeating: 0, count: n) }
      return a.types[t].sum.withUnsafeBufferPointer { sum in build { _, slot in sum[slot * w + j] } }
    case .mean(let t, let j):
      guard a.types[t].hasValues else { return Array(repeating: .nan, count: n) }
      return a.types[t].sum.withUnsafeBufferPointer { sum in
        a.types[t].valued.withUnsafeBufferPointer { valued in
          build { _, slot in
            let count = valued[slot * w + j]
            return count > 0 ? sum[slot * w + j] / Double(count) : .nan
          }
        }
      }
    case .daysSinceLast(let t):
      return a.types[t].last.withUnsafeBufferPointer { last in
        build { r, slot in last[slot] == .min ? .nan : Double(references[r] - last[slot]) / day }
      }
    case .pctChange(let t, let thirty):
      return a.types[t].count.withUnsafeBufferPointer { count in
        a.types[t].previous30.withUnsafeBufferPointer { previous in
          build { _, slot in
            let recent = Double(count[slot * w + thirty])
            let before = Double(previous[slot])
            return before > 0 ? (recent - before) / before : (recent > 0 ? 1 : 0)
          }
        }
      }
    case .risingMonths(let t):
      let periods = a.risingPeriods
      return a.types[t].months.withUnsafeBufferPointer { months in
        build { _, slot in
          let m = months.baseAddress! + slot * periods
          var rises = 0
          while rises + 1 < periods && m[rises] > m[rises + 1] { rises += 1 }
          return Double(rises)
        }
      }
    case .streak(let t, let siblings):
      let cap = a.streakCap
      return a.types[t].recent.withUnsafeBufferPointer { recent in
        build { _, slot in
          var since = Int64.min
          for s in siblings { since = max(since, a.types[s].last[slot]) }
          var streak = 0
          for x in 0..<cap where recent[slot * cap + x] != .min && recent[slot * cap + x] > since { streak += 1 }
          return Double(streak)
        }
      }
    case .quarterChange(let t):
      guard a.types[t].hasValues else { return Array(repeating: 0, count: n) }
      return a.types[t].quarterSum.withUnsafeBufferPointer { sums in
        build { _, slot in
          let recent = sums[slot * 2], before = sums[slot * 2 + 1]
          return before != 0 ? (recent - before) / abs(before) : (recent > 0 ? 1 : (recent < 0 ? -1 : 0))
        }
      }
    }
  }

  /// Fills the RFM quintile scores (1–5 across the rows of one cutoff, ties sharing a score)
  /// and the RFM segment of the rows in `range`.
  ///
  /// ```
  /// score = 1 + ⌊5 · (midrank − 1) / n⌋      midrank ∈ [1, n], higher value → higher score
  /// ```
  /// Recency ranks the other way (more recent → higher score); a missing recency or monetary
  /// value ranks lowest. Segments (users' names): high_value (R ≥ 3 and FM ≥ 3),
  /// needs_retention (R < 3, FM ≥ 3), potential (R ≥ 3, FM < 3), needs_attention (both < 3),
  /// where FM is the mean of the F and M scores (F alone when monetary is missing).
  mutating func finishCutoff(rows range: Range<Int>) {
    guard rScore >= 0, !range.isEmpty else { return }
    func scores(_ column: Int, higherIsBetter: Bool) -> [Double] {
      let keys = range.map { row -> Double in
        let v = values[column][row]
        if v.isNaN { return -.infinity }
        return higherIsBetter ? v : -v
      }
      return Self.quintiles(keys)
    }
    let r = scores(recency, higherIsBetter: false)
    let f = scores(frequency, higherIsBetter: true)
    let monetaryKnown = range.contains { !values[monetary][$0].isNaN }
    let m = monetaryKnown ? scores(monetary, higherIsBetter: true) : Array(repeating: Double.nan, count: range.count)
    for (i, row) in range.enumerated() {
      values[rScore][row] = r[i]
      values[fScore][row] = f[i]
      values[mScore][row] = m[i]
      let fm = m[i].isNaN ? f[i] : (f[i] + m[i]) / 2
      switch (r[i] >= 3, fm >= 3) {
      case (true, true): segments[row] = "high_value"
      case (false, true): segments[row] = "needs_retention"
      case (true, false): segments[row] = "potential"
      case (false, false): segments[row] = "needs_attention"
      }
    }
  }

  static func quintiles(_ keys: [Double]) -> [Double] {
    let n = keys.count
    let order = keys.indices.sorted { keys[$0] < keys[$1] }
    var result = [Double](repeating: 0, count: n)
    var start = 0
    while start < n {
      var end = start + 1
      while end < n && keys[order[end]] == keys[order[start]] { end += 1 }
      let midrank = Double(start + 1 + end) / 2
      let score = min(5, 1 + (5 * (midrank - 1) / Double(n)).rounded(.down))
      for k in start..<end { result[order[k]] = score }
      start = end
    }
    return result
  }

  /// The finished columns in order, the RFM segment after the scores.
  func columns() -> [(String, FeatureTable.Column)] {
    var out: [(String, FeatureTable.Column)] = []
    for (index, name) in names.enumerated() {
      out.append((name, .numeric(values[index])))
      if index == mScore { out.append(("rfm_segment", .categorical(segments))) }
    }
    return out
  }
}
