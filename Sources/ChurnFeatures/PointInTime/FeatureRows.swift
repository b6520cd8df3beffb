import ChurnCore

/// Computes the feature values of each output row from the accumulators, column by column, in
/// the documented order; RFM scores and segments are filled per cutoff once its rows are in.
struct FeatureRows {
  let spec: FeatureSpec
  let accumulators: EventAccumulators
  let trackedTypes: [Int]
  let purchaseTypes: [Int]
  private(set) var names: [String] = []
  private var values: [[Double]] = []
  private var segments: [String?] = []
  // Column positions of the RFM inputs and outputs (−1 when absent).
  private var recency = -1, frequency = -1, monetary = -1, rScore = -1, fScore = -1, mScore = -1
  /// Which families the spec includes, looked up once (not once per row and event type).
  private let families: Families

  struct Families {
    let daysSinceLastEvent, tenure, activeDays, meanGap, rfm, count, sum, mean, daysSinceLast, pctChange: Bool

    init(_ spec: FeatureSpec) {
      daysSinceLastEvent = spec.includes("days_since_last_event")
      tenure = spec.includes("tenure")
      activeDays = spec.includes("active_days")
      meanGap = spec.includes("mean_gap")
      rfm = spec.includes("rfm")
      count = spec.includes("count")
      sum = spec.includes("sum")
      mean = spec.includes("mean")
      daysSinceLast = spec.includes("days_since_last")
      pctChange = spec.includes("pct_change")
    }
  }

  init(spec: FeatureSpec, accumulators: EventAccumulators, trackedTypes: [Int], purchaseTypes: [Int]) {
    self.spec = spec
    self.accumulators = accumulators
    self.trackedTypes = trackedTypes
    self.purchaseTypes = purchaseTypes
    families = Families(spec)
    let r = spec.rfmWindowDays
    func add(_ name: String) -> Int {
      names.append(name)
      return names.count - 1
    }
    if spec.includes("days_since_last_event") { _ = add("days_since_last_event") }
    if spec.includes("tenure") { _ = add("tenure_days") }
    if spec.includes("active_days") { for w in spec.windows { _ = add("active_days_\(w)d") } }
    if spec.includes("mean_gap") { _ = add("mean_gap_days_\(r)d") }
    if spec.includes("rfm") {
      recency = add("recency_days")
      frequency = add("frequency_\(r)d")
      monetary = add("monetary_\(r)d")
      rScore = add("r_score")
      fScore = add("f_score")
      mScore = add("m_score")
    }
    for type in spec.eventTypes {
      let t = type.token
      if spec.includes("count") { for w in spec.windows { _ = add("count_\(t)_\(w)d") } }
      if type.valued && spec.includes("sum") { for w in spec.windows { _ = add("sum_\(t)_\(w)d") } }
      if type.valued && spec.includes("mean") { for w in spec.windows { _ = add("mean_\(t)_\(w)d") } }
      if spec.includes("days_since_last") { _ = add("days_since_last_\(t)") }
      if spec.includes("pct_change") { _ = add("pct_change_count_\(t)_30d") }
    }
    values = Array(repeating: [], count: names.count)
    precondition(names == spec.builtInNames().filter { $0 != "rfm_segment" } + spec.eventTypes.flatMap(spec.names(of:)),
                 "FeatureRows' columns \(names) differ from the spec's names")
  }

  mutating func appendRow(slot: Int, reference: Int64, signup: Int64?) {
    let a = accumulators
    let day = Double(UTCTime.millisecondsPerDay)
    let w = a.windowCount
    var column = 0
    func put(_ v: Double) {
      values[column].append(v)
      column += 1
    }
    let last = a.lastAny[slot]
    let daysSinceLast = last == .min ? Double.nan : Double(reference - last) / day
    if families.daysSinceLastEvent { put(daysSinceLast) }
    if families.tenure {
      let customer = slot / a.slotsPerCustomer
      if let signup, signup < reference {
        put(Double(reference - signup) / day)
      } else if a.firstEver[customer] < reference {
        put(Double(reference - a.firstEver[customer]) / day)
      } else {
        put(.nan)
      }
    }
    if families.activeDays { for days in spec.windows { put(Double(a.activeDays(slot: slot, days: days))) } }
    let rfm = a.rfmWindow
    if families.meanGap {
      let n = a.anyCount[slot * w + rfm]
      put(n >= 2 ? Double(last - a.firstInRFM[slot]) / Double(n - 1) / day : .nan)
    }
    if families.rfm {
      if purchaseTypes.isEmpty {
        put(daysSinceLast)
        put(Double(a.anyCount[slot * w + rfm]))
        put(.nan)
      } else {
        var latest = Int64.min
        var count = 0
        var money = 0.0
        var anyValued = false
        for t in purchaseTypes {
          latest = max(latest, a.types[t].last[slot])
          count += Int(a.types[t].count[slot * w + rfm])
          if a.types[t].hasValues {
            anyValued = true
            money += a.types[t].sum[slot * w + rfm]
          }
        }
        put(latest == .min ? .nan : Double(reference - latest) / day)
        put(Double(count))
        put(anyValued ? money : .nan)
      }
      put(.nan)  // scores and segment: filled by finishCutoff
      put(.nan)
      put(.nan)
      segments.append(nil)
    }
    let windows = spec.windows
    let thirty = windows.firstIndex(of: 30)
    for (position, type) in spec.eventTypes.enumerated() {
      let agg = a.types[trackedTypes[position]]
      if families.count { for j in 0..<w { put(Double(agg.count[slot * w + j])) } }
      if type.valued && families.sum {
        for j in 0..<w { put(agg.hasValues ? agg.sum[slot * w + j] : 0) }
      }
      if type.valued && families.mean {
        for j in 0..<w {
          let n = agg.hasValues ? agg.valued[slot * w + j] : 0
          put(n > 0 ? agg.sum[slot * w + j] / Double(n) : .nan)
        }
      }
      if families.daysSinceLast {
        let t = agg.last[slot]
        put(t == .min ? .nan : Double(reference - t) / day)
      }
      if families.pctChange, let thirty {
        let recent = Double(agg.count[slot * w + thirty])
        let before = Double(agg.previous30[slot])
        put(before > 0 ? (recent - before) / before : (recent > 0 ? 1 : 0))
      }
    }
    precondition(column == names.count, "feature row has \(column) values for \(names.count) names")
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
