import ChurnCore
import ChurnFeatures
import ChurnTestSupport
import Foundation
import Testing

/// A parsed event, for the reference computation.
struct Event {
  var customer: String
  var time: Int64
  var type: String
  var value: Double
}

func readEvents(_ path: String) throws -> [Event] {
  var events: [Event] = []
  try EventLogReader(path: path).read { e in
    events.append(Event(customer: String(decoding: e.customer, as: UTF8.self), time: e.time,
                        type: String(decoding: e.eventType, as: UTF8.self), value: e.value))
  }
  return events
}

/// The obviously correct reference: every feature of one row by filtering the whole log.
func referenceFeatures(events all: [Event], customer: String, reference r: Int64, spec: FeatureSpec,
                       signup: Int64?) -> [String: Double] {
  let day = Double(UTCTime.millisecondsPerDay)
  let mine = all.filter { $0.customer == customer }
  let before = mine.filter { $0.time < r }
  func inWindow(_ e: Event, _ w: Int) -> Bool { e.time >= r - Int64(w) * UTCTime.millisecondsPerDay && e.time < r }
  var f: [String: Double] = [:]
  f["days_since_last_event"] = before.map { Double(r - $0.time) / day }.min() ?? .nan
  if let signup, signup < r { f["tenure_days"] = Double(r - signup) / day } else {
    f["tenure_days"] = mine.map(\.time).min().map { $0 < r ? Double(r - $0) / day : .nan } ?? .nan
  }
  for w in spec.windows {
    f["active_days_\(w)d"] = Double(Set(before.filter { inWindow($0, w) }.map { UTCTime.floorDiv($0.time, UTCTime.millisecondsPerDay) }).count)
  }
  let rfm = before.filter { inWindow($0, spec.rfmWindowDays) }.map(\.time).sorted()
  if rfm.count >= 2 {
    let gaps = zip(rfm.dropFirst(), rfm).map { Double($0 - $1) / day }
    f["mean_gap_days_\(spec.rfmWindowDays)d"] = gaps.reduce(0, +) / Double(gaps.count)
  } else {
    f["mean_gap_days_\(spec.rfmWindowDays)d"] = .nan
  }
  for type in spec.eventTypes {
    let t = type.token
    let ofType = before.filter { $0.type == type.name }
    for w in spec.windows {
      let inW = ofType.filter { inWindow($0, w) }
      f["count_\(t)_\(w)d"] = Double(inW.count)
      if type.valued {
        let valued = inW.filter { !$0.value.isNaN }
        f["sum_\(t)_\(w)d"] = valued.reduce(0) { $0 + $1.value }
        f["mean_\(t)_\(w)d"] = valued.isEmpty ? .nan : valued.reduce(0) { $0 + $1.value } / Double(valued.count)
      }
    }
    f["days_since_last_\(t)"] = ofType.map { Double(r - $0.time) / day }.min() ?? .nan
    let recent = Double(ofType.filter { inWindow($0, 30) }.count)
    let previous = Double(ofType.filter { $0.time >= r - 60 * UTCTime.millisecondsPerDay && $0.time < r - 30 * UTCTime.millisecondsPerDay }.count)
    f["pct_change_count_\(t)_30d"] = previous > 0 ? (recent - previous) / previous : (recent > 0 ? 1 : 0)
    // rising_months_T: period p = [r − 30p d, r − 30(p − 1) d), each count above the one before.
    let d = UTCTime.millisecondsPerDay
    if spec.includes("rising_months") {
      let months = (1...FeatureSpec.risingPeriods).map { (p: Int) -> Int in
        let start: Int64 = r - Int64(30 * p) * d, end: Int64 = start + 30 * d
        return ofType.filter { $0.time >= start && $0.time < end }.count
      }
      var rises = 0
      while rises + 1 < months.count && months[rises] > months[rises + 1] { rises += 1 }
      f["rising_months_\(t)"] = Double(rises)
    }
    // streak_T: T's events strictly after the latest event of the other types of its group.
    let siblings = Set(spec.streakSiblings(of: type).map(\.name))
    if !siblings.isEmpty {
      let since = before.filter { siblings.contains($0.type) }.map(\.time).max() ?? .min
      f["streak_\(t)"] = Double(min(FeatureSpec.streakCap, ofType.filter { $0.time > since }.count))
    }
    // pct_change_sum_T_90d: values in [r − 90d, r) against [r − 180d, r − 90d).
    if spec.hasQuarterChange(type) {
      let valued = ofType.filter { !$0.value.isNaN }
      let quarter: Int64 = 90 * d
      let a: Double = valued.filter { $0.time >= r - quarter }.reduce(0) { $0 + $1.value }
      let b: Double = valued.filter { $0.time >= r - 2 * quarter && $0.time < r - quarter }.reduce(0) { $0 + $1.value }
      let change: Double = b != 0 ? (a - b) / abs(b) : (a > 0 ? 1 : (a < 0 ? -1 : 0))
      f["pct_change_sum_\(t)_90d"] = change
    }
  }
  return f
}

func numeric(_ table: FeatureTable, _ name: String) -> [Double] {
  guard let index = table.columnIndex(name), case .numeric(let values) = table.columns[index] else { return [] }
  return values
}

func simulated(_ dir: TemporaryDirectory, customers: Int = 150, months: Int = 10, seed: UInt64 = 8) throws {
  try CustomerSimulator(settings: SimulationSettings(customerCount: customers, months: months, seed: seed)).write(to: dir.path)
}

@Suite("Point-in-time features and labels")
struct FeatureBuilderTests {
  @Test("Every feature of every row equals a plain reference computation, with and without a lead")
  func reference() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try simulated(dir)
    let events = try readEvents(dir.file("events.csv"))
    let customers = try CustomerTable(path: dir.file("customers.csv"))
    for lead in [0, 10] {
      let cutoffs = [UTCTime.parseMilliseconds("2024-06-01")!, UTCTime.parseMilliseconds("2024-09-15")!]
      var builder = FeatureBuilder(design: try ObservationDesign(cutoffs: cutoffs, horizon: .days(30)), customers: customers)
      builder.defaultLeadDays = lead
      let result = try builder.build(events: EventLogReader(path: dir.file("events.csv")))
      let table = result.table
      #expect(table.rowCount > 150)
      // The reference covers the seed-signal families too (the simulator logs upsell offers and orders).
      #expect(["rising_months_complaint", "streak_upsell_declined", "streak_upsell_accepted", "pct_change_sum_order_90d"]
        .allSatisfy { table.columnIndex($0) != nil })
      var checked = 0
      for row in 0..<table.rowCount {
        let r = table.cutoffs![row] - Int64(lead) * UTCTime.millisecondsPerDay
        let signup = customers.rowOf[table.ids[row]].flatMap { customers.signup[$0] }
        let expected = referenceFeatures(events: events, customer: table.ids[row], reference: r, spec: result.spec, signup: signup)
        for (name, value) in expected {
          let actual = try #require(numeric(table, name).indices.contains(row) ? numeric(table, name)[row] : nil, "missing \(name)")
          let same = (actual.isNaN && value.isNaN) || relativeDifference(actual, value) < 1e-12
          #expect(same, "\(name) of \(table.ids[row]) at \(UTCTime.formatDate(milliseconds: table.cutoffs![row])), lead \(lead): \(actual) vs reference \(value)")
          checked += 1
        }
      }
      #expect(checked > 10_000)
    }
  }

  @Test("Events at or after the cutoff change no feature (they may change labels)", arguments: [0, 7])
  func noLeakage(lead: Int) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try simulated(dir, customers: 120, months: 8)
    let cutoff = UTCTime.parseMilliseconds("2024-05-01")!
    let featureEnd: Int64 = cutoff - Int64(lead) * UTCTime.millisecondsPerDay
    func build(_ path: String) throws -> FeatureTable {
      var builder = FeatureBuilder(design: try ObservationDesign(cutoffs: [cutoff], horizon: .days(30)),
                                   customers: try CustomerTable(path: dir.file("customers.csv")))
      builder.defaultLeadDays = lead
      return try builder.build(events: EventLogReader(path: path)).table
    }
    let base = try build(dir.file("events.csv"))
    // Append, for every customer, events of every type at the reference instant and after it,
    // plus a brand-new event type, and events exactly at the cutoff.
    var extra = try String(contentsOfFile: dir.file("events.csv"), encoding: .utf8)
    var rng = SeededGenerator(seed: 3)
    for id in Set(base.ids) {
      for type in ["login", "order", "complaint", "payment", "survey", "brand_new"] {
        let offsets: [Int64] = [0, 1, 3_600_000, 86_400_000 * 40]
        for offset in offsets {
          let jitter = Int64(rng.integer(below: 1000))
          let t: Int64 = featureEnd + offset + jitter
          extra += "\(id),\(UTCTime.formatDateTime(milliseconds: t)),\(type),\(rng.integer(below: 100))\n"
        }
        extra += "\(id),\(UTCTime.formatDateTime(milliseconds: cutoff)),\(type),5\n"
      }
    }
    try extra.write(toFile: dir.file("more.csv"), atomically: true, encoding: .utf8)
    let more = try build(dir.file("more.csv"))
    #expect(more.ids == base.ids)
    for (index, name) in base.columnNames.enumerated() {
      let other = try #require(more.columnIndex(name), "\(name) missing after appending future events")
      switch (base.columns[index], more.columns[other]) {
      case (.numeric(let a), .numeric(let b)):
        for row in a.indices { #expect(a[row] == b[row] || (a[row].isNaN && b[row].isNaN), "\(name) of \(base.ids[row]) changed: \(a[row]) → \(b[row])") }
      case (.categorical(let a), .categorical(let b)): #expect(a == b, "\(name) changed")
      default: Issue.record("\(name) changed kind")
      }
    }
  }

  /// Writes a small log and table and returns the built result.
  func build(events: String, customers: String? = nil, cutoffs: [String], horizon: CalendarSpan = .days(30),
             activeWindow: CalendarSpan? = nil, activityTypes: [String]? = nil) throws -> FeatureBuilder.Result {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try ("customer_id,timestamp,event_type,value\n" + events).write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    var table: CustomerTable?
    if let customers {
      try customers.write(toFile: dir.file("c.csv"), atomically: true, encoding: .utf8)
      table = try CustomerTable(path: dir.file("c.csv"))
    }
    let design = try ObservationDesign(cutoffs: try cutoffs.map(ObservationDesign.cutoff), horizon: horizon,
                                       activeWindow: activeWindow, activityTypes: activityTypes)
    return try FeatureBuilder(design: design, customers: table).build(events: EventLogReader(path: dir.file("e.csv")))
  }

  @Test("Inactivity labels: churned when no activity in [c, c + h); eligible when active in the window before")
  func inactivityLabels() throws {
    let r = try build(events: """
      a,2024-01-10,login,
      a,2024-02-05,login,
      b,2024-01-20,login,
      b,2024-03-15,login,
      c,2023-11-01,login,
      d,2024-01-31T23:59:59Z,login,
      d,2024-03-02,visit,
      e,2024-05-01,login,
      """, cutoffs: ["2024-02-01"], horizon: .days(30), activityTypes: ["login"])
    // a: active before (Jan 10), active after (Feb 5) → 0. b: active before, next login Mar 15 → 1.
    // c: no activity in the 30 days before → not observed. d: active at 23:59:59 the day before,
    // only a visit (not activity) after → 1. e: starts later → not observed.
    #expect(r.table.ids == ["a", "b", "d"])
    #expect(r.table.labels == [0, 1, 1])
    #expect(r.summaries.map { [$0.eligible, $0.labelled, $0.churned] } == [[3, 3, 2]])
  }

  @Test("Contractual labels from churn dates; customers without events are still customers; unknown past the data")
  func contractualLabels() throws {
    let r = try build(events: """
      a,2024-01-10,login,
      b,2024-01-20,login,
      c,2024-01-05,login,
      a,2024-04-20,login,
      """, customers: """
      customer_id,plan,signup_date,churn_date
      a,pro,2023-06-01,
      b,basic,2023-01-01,2024-02-10
      c,pro,2023-01-01,2024-01-25
      d,basic,2023-09-01,
      e,basic,2024-03-01,
      """, cutoffs: ["2024-02-01", "2024-04-01"], horizon: .days(30))
    // At 2024-02-01: a (0), b churns on Feb 10 (1), c churned before (out), d without events (0), e not yet signed up.
    // At 2024-04-01: the data ends 2024-04-21, before 2024-05-01: labels unknown; b has churned.
    #expect(r.table.ids == ["a", "b", "d", "a", "d", "e"])
    let labels = r.table.labels!
    #expect(Array(labels[0..<3]) == [0, 1, 0])
    #expect(labels[3...].allSatisfy { $0.isNaN })
    let tenure: Int64 = UTCTime.days(year: 2024, month: 2, day: 1) - UTCTime.days(year: 2023, month: 9, day: 1)
    #expect(numeric(r.table, "tenure_days")[2] == Double(tenure))
    #expect(numeric(r.table, "days_since_last_event")[2].isNaN)
    #expect(numeric(r.table, "count_login_30d")[2] == 0)
    guard case .categorical(let plan) = r.table.columns[r.table.columnIndex("plan")!] else { Issue.record("plan not categorical"); return }
    #expect(plan == ["pro", "basic", "basic", "pro", "basic", "basic"])
  }

  @Test("RFM scores are quintiles across the customers of a cutoff, and segments follow them")
  func rfm() throws {
    var log = ""
    // Ten customers: customer k bought k times, the last one k days before the cutoff, each for $10·k.
    for k in 1...10 {
      for j in 0..<k { log += "c\(k),\(UTCTime.formatDate(milliseconds: UTCTime.parseMilliseconds("2024-03-01")! - Int64(k + j) * 86_400_000)),order,\(10 * k)\n" }
    }
    let r = try build(events: log, cutoffs: ["2024-03-01"], horizon: .days(30), activeWindow: .days(90))
    #expect(r.table.ids == ["c1", "c10", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"])
    #expect(numeric(r.table, "recency_days") == [1, 10, 2, 3, 4, 5, 6, 7, 8, 9])
    #expect(numeric(r.table, "frequency_90d") == [1, 10, 2, 3, 4, 5, 6, 7, 8, 9])
    #expect(numeric(r.table, "monetary_90d") == [10, 1000, 40, 90, 160, 250, 360, 490, 640, 810])
    #expect(numeric(r.table, "r_score") == [5, 1, 5, 4, 4, 3, 3, 2, 2, 1])
    #expect(numeric(r.table, "f_score") == [1, 5, 1, 2, 2, 3, 3, 4, 4, 5])
    guard case .categorical(let segments) = r.table.columns[r.table.columnIndex("rfm_segment")!] else { Issue.record("no segment"); return }
    #expect(segments == ["potential", "needs_retention", "potential", "potential", "potential", "high_value", "high_value",
                         "needs_retention", "needs_retention", "needs_retention"])
  }

  @Test("Cutoffs outside the data, empty logs and bad event types are clear errors")
  func errors() throws {
    #expect(throws: FeatureError.cutoffBeforeData(cutoff: "2023-01-01", firstEvent: "2024-01-10T00:00:00Z")) {
      _ = try build(events: "a,2024-01-10,login,\n", cutoffs: ["2023-01-01"])
    }
    #expect(throws: FeatureError.cutoffAfterData(cutoff: "2024-03-01", dataEnd: "2024-01-11")) {
      _ = try build(events: "a,2024-01-10,login,\n", cutoffs: ["2024-03-01"])
    }
    #expect(FeatureError.cutoffAfterData(cutoff: "2024-03-01", dataEnd: "2024-01-11").description
      == "cutoff 2024-03-01 is after the end of the data (2024-01-11); features would see silence that is only missing data. Use an earlier cutoff, or --data-end if the log really runs until then")
    do {
      _ = try build(events: "", cutoffs: ["2024-01-01"])
      Issue.record("an empty log was accepted")
    } catch let error as FeatureError {
      guard case .emptyEventLog = error else { Issue.record("unexpected \(error)"); return }
    }
    #expect(throws: FeatureError.cutoffNotMidnight("2024-01-11T12:00:00Z")) {
      _ = try ObservationDesign(cutoffs: [UTCTime.parseMilliseconds("2024-01-11T12:00:00Z")!], horizon: .days(30))
    }
    #expect(throws: FeatureError.cutoffRangeReversed(range: "2024-01-01:2023-01-01:1m", from: "2024-01-01", to: "2023-01-01")) {
      _ = try ObservationDesign.cutoffRange("2024-01-01:2023-01-01:1m")
    }
    let monthly = try ObservationDesign.cutoffRange("2024-01-31:2024-05-31:1m").map { UTCTime.formatDate(milliseconds: $0) }
    #expect(monthly == ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31"])
    let weekly = try ObservationDesign.cutoffRange("2024-01-01:2024-01-20:1w")
    #expect(weekly.count == 3)
  }

  @Test("Event type names become feature tokens")
  func tokens() throws {
    #expect(try FeatureSpec.token(for: "Support Ticket") == "support_ticket")
    #expect(try FeatureSpec.token(for: "  login/portal  ") == "login_portal")
    #expect(try FeatureSpec.token(for: "NPS") == "nps")
    #expect(try FeatureSpec.token(for: "€€") == "type_e282ace282ac")
    #expect(try FeatureSpec.token(for: "???") == "type_3f3f3f")
    #expect(throws: FeatureSpecError.badEventTypeName("")) { try FeatureSpec.token(for: "") }
  }

  @Test("A sum of event values past ±1.8e308 is an error naming the feature, the customer and the cutoff, never inf")
  func featureOverflow() throws {
    // The reader refuses values past ±1e15, so the log cannot reach this check; the message is
    // pinned here, and the reader's refusal of the same log.
    #expect(throws: EventLogError.self) {
      _ = try build(events: "a,2024-01-09,payment,1e308\na,2024-01-10,payment,1e308\nb,2024-01-10,payment,1\n", cutoffs: ["2024-01-11"])
    }
    #expect(FeatureError.featureOverflow(feature: "sum_order_7d", customer: "a", cutoff: "2024-01-11").description
      == "sum_order_7d of customer \"a\" at cutoff 2024-01-11 is infinite: its events' values add up beyond ±1.8e308; "
      + "check the value column of that customer's events (a unit slip or a misread field?)")
  }

  @Test("Aggregates that would outgrow the memory budget stop the run with the sizes and the fixes, before memory runs out")
  func memoryBudget() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try "customer_id,timestamp,event_type,value\na,2024-01-01,login,\nb,2024-01-02,order,5\nc,2024-01-03,login,\nc,2024-01-20,login,\n"
      .write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let design = try ObservationDesign(cutoffs: try ObservationDesign.cutoffRange("2024-01-04:2024-01-13:1d"), horizon: .days(30))
    var builder = FeatureBuilder(design: design)
    builder.memoryBudget = 2_000
    // Per (customer, cutoff): 46 bytes + 24 per event type (3 windows, 2 day words) + 14 for its
    // 7 rising_months periods + 16 for the purchase type order's 90-day sums; 3 customers × 10 cutoffs × 138.
    #expect(throws: FeatureError.tooMuchMemory(customers: 3, cutoffs: 10, eventTypes: 2, bytes: 4_140, budget: 2_000)) {
      try builder.build(events: EventLogReader(path: dir.file("e.csv")))
    }
    #expect(FeatureError.tooMuchMemory(customers: 2000, cutoffs: 9132, eventTypes: 15, bytes: 17_400_000_000, budget: 11_700_000_000).description
      == "features for 2000 customers × 9132 cutoffs × 15 event types need about 17.4 GB so far, more than the 11.7 GB this run may use "
      + "(by default half the machine's memory); use fewer cutoffs (a longer --cutoffs step), fewer or shorter --windows, or fewer event types (a --spec listing them)")
    builder.memoryBudget = 1_000_000
    #expect(try builder.build(events: EventLogReader(path: dir.file("e.csv"))).table.rowCount > 0)
  }

  @Test("A damaged spec file names the field, what was expected and what it holds")
  func damagedSpec() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let spec = FeatureSpec(eventTypes: [.init(name: "login", token: "login", valued: false)], purchaseTypes: [])
    let good = String(decoding: try spec.jsonData(), as: UTF8.self)
    func message(_ text: String) throws -> String {
      try text.write(toFile: dir.file("s.json"), atomically: true, encoding: .utf8)
      do { _ = try FeatureSpec.read(path: dir.file("s.json")); return "loaded" } catch { return "\(error)" }
    }
    #expect(try message(good) == "loaded")
    #expect(try message(good.replacingOccurrences(of: "\"leadDays\" : 0", with: "\"leadDays\" : \"soon\""))
      == "invalid feature spec: \(dir.file("s.json")): field leadDays: expected a whole number, found the string \"soon\"")
    #expect(try message(good.replacingOccurrences(of: "\"valued\" : false", with: "\"valued\" : 3"))
      == "invalid feature spec: \(dir.file("s.json")): field eventTypes[0].valued: expected true or false, found the number 3")
    #expect(try message(String(good.prefix(20)))
      == "invalid feature spec: \(dir.file("s.json")) (20 bytes) is not valid JSON: truncated or corrupt; write it again with --save-spec")
    #expect(throws: FileError(path: dir.path, action: "read", reason: "it is a directory; expected a feature spec JSON file (from --save-spec)")) {
      try FeatureSpec.read(path: dir.path)
    }
    #expect(throws: FileError(path: dir.file("none.json"), action: "read", reason: "no such file; expected a feature spec JSON file (from --save-spec)")) {
      try FeatureSpec.read(path: dir.file("none.json"))
    }
  }

  @Test("Event types whose features would repeat a column get numbered tokens; every column name is distinct")
  func eventTypeCollisions() throws {
    let types = ["event", "gap_days", "Support Ticket", "support-ticket", "???", "!!!", "event_2", "customer_id", "Tenure"]
    let events = types.map { "a,2024-01-10,\($0),\($0 == "gap_days" ? "3" : "")\n" }.joined() + "b,2024-01-05,login,\n"
    let result = try build(events: events, cutoffs: ["2024-01-11"])
    let names = ["customer_id", "cutoff", "label"] + result.table.columnNames
    #expect(Set(names.map { $0.lowercased() }).count == names.count, "\(names)")
    let tokens = Dictionary(uniqueKeysWithValues: result.spec.eventTypes.map { ($0.name, $0.token) })
    #expect(tokens == ["event": "event_2", "gap_days": "gap_days_2", "Support Ticket": "support_ticket", "support-ticket": "support_ticket_2",
                       "???": "type_3f3f3f", "!!!": "type_212121", "event_2": "event_2_2", "customer_id": "customer_id",
                       "Tenure": "tenure", "login": "login"])
    #expect(names.contains("days_since_last_event_2") && names.contains("mean_gap_days_2_90d") && names.contains("count_support_ticket_2_30d"))
    #expect(result.notes.contains(
      "event type \"event\" would repeat the name days_since_last_event; its features are named with event_2 instead (for example pct_change_count_event_2_30d)"))
    #expect(result.notes.contains(
      "event type \"support-ticket\" would repeat the name support_ticket; its features are named with support_ticket_2 instead (for example pct_change_count_support_ticket_2_30d)"))
    // The spec round-trips through its own validation, and the renamed feature counts the right events.
    try result.spec.validate()
    #expect(numeric(result.table, "count_event_2_7d") == [1, 0])
    #expect(numeric(result.table, "count_event_2_2_7d") == [1, 0])
  }

  @Test("Customer columns that repeat a built-in or reserved column are errors naming both and the fix")
  func attributeCollisions() throws {
    func message(_ column: String) -> String {
      do {
        _ = try build(events: "a,2024-01-10,login,\n", customers: "customer_id,\(column)\na,1\n", cutoffs: ["2024-01-11"])
        return "accepted"
      } catch { return "\(error)" }
    }
    #expect(message("tenure_days") == "two columns would be named \"tenure_days\": the built-in feature tenure_days and customer table column \"tenure_days\"; "
      + "rename the column in the customer table, or leave it out with --exclude tenure_days")
    #expect(message("R_Score") == "two columns would be named \"R_Score\": the built-in feature r_score and customer table column \"R_Score\"; "
      + "rename the column in the customer table, or leave it out with --exclude R_Score")
    #expect(message("rfm_segment") == "two columns would be named \"rfm_segment\": the built-in feature rfm_segment and customer table column \"rfm_segment\"; "
      + "rename the column in the customer table, or leave it out with --exclude rfm_segment")
    for reserved in ["label", "cutoff"] {
      #expect(message(reserved) == "two columns would be named \"\(reserved)\": the features file's \(reserved) column and customer table column \"\(reserved)\"; "
        + "rename the column in the customer table, or leave it out with --exclude \(reserved)")
    }
    // An event type named like a customer column yields to it.
    let result = try build(events: "a,2024-01-10,plan,\n", customers: "customer_id,count_plan_7d\na,1\n", cutoffs: ["2024-01-11"])
    #expect(result.table.columnNames.contains("count_plan_2_7d") && result.table.columnNames.contains("count_plan_7d"))
  }

  @Test("A saved spec reproduces the same columns on other data, types it lacks included")
  func specRoundTrip() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try simulated(dir, customers: 100, months: 8)
    let design = try ObservationDesign(cutoffs: [UTCTime.parseMilliseconds("2024-06-01")!], horizon: .days(30))
    let customers = try CustomerTable(path: dir.file("customers.csv"))
    let first = try FeatureBuilder(design: design, customers: customers).build(events: EventLogReader(path: dir.file("events.csv")))
    try first.spec.jsonData().write(to: URL(fileURLWithPath: dir.file("spec.json")))
    let spec = try FeatureSpec.read(path: dir.file("spec.json"))
    #expect(spec == first.spec)
    // Only logins and orders this time: every other type's columns still appear, as zeros or missing.
    let lines = try String(contentsOfFile: dir.file("events.csv"), encoding: .utf8).split(separator: "\n")
    let kept = [String(lines[0])] + lines.dropFirst().filter { $0.contains(",login,") || $0.contains(",order,") }.map(String.init)
    try (kept.joined(separator: "\n") + "\n").write(toFile: dir.file("few.csv"), atomically: true, encoding: .utf8)
    let second = try FeatureBuilder(design: design, spec: spec, customers: customers).build(events: EventLogReader(path: dir.file("few.csv")))
    #expect(second.table.columnNames == first.table.columnNames)
    #expect(numeric(second.table, "count_complaint_90d").allSatisfy { $0 == 0 })
    #expect(numeric(second.table, "count_login_90d") == numeric(first.table, "count_login_90d").enumerated().compactMap { i, v in
      second.table.ids.contains(first.table.ids[i]) ? v : nil })
  }
}

@Suite("Reading an event log on several threads")
struct PartitionedReadTests {
  @Test("1, 2 and 3 threads give the same rows and values", arguments: [2, 3])
  func sameAsOneThread(threads: Int) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try simulated(dir, customers: 300, months: 10, seed: 4)
    let design = try ObservationDesign(cutoffs: [UTCTime.parseMilliseconds("2024-06-01")!, UTCTime.parseMilliseconds("2024-09-01")!],
                                       horizon: .days(30))
    let customers = try CustomerTable(path: dir.file("customers.csv"))
    var one = FeatureBuilder(design: design, customers: customers)
    one.threads = 1
    var many = one
    many.threads = threads
    many.minimumBytesPerThread = 1000
    let a = try one.build(events: EventLogReader(path: dir.file("events.csv")))
    let b = try many.build(events: EventLogReader(path: dir.file("events.csv")))
    #expect(a.table.ids == b.table.ids && a.table.labels == b.table.labels && a.table.columnNames == b.table.columnNames)
    #expect(a.spec == b.spec && a.events == b.events && a.summaries == b.summaries)
    for (index, name) in a.table.columnNames.enumerated() {
      switch (a.table.columns[index], b.table.columns[index]) {
      case (.numeric(let x), .numeric(let y)):
        #expect(zip(x, y).allSatisfy { ($0.isNaN && $1.isNaN) || relativeDifference($0, $1) < 1e-12 }, "\(name)")
      case (.categorical(let x), .categorical(let y)): #expect(x == y, "\(name)")
      default: Issue.record("\(name) changed kind")
      }
    }
  }

  @Test("Errors in a later range report their true file line; skipped rows keep file order")
  func errorLines() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var text = "customer_id,timestamp,event_type,value\n"
    for i in 0..<4000 { text += "c\(i % 50),2024-01-\(String(format: "%02d", 1 + i % 28)),login,\n" }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    lines[3500] = "c1,2024-02-31,login,"  // line 3501 of the file
    lines[100] = "c1,2024-01-02,order,lots"  // line 101
    try lines.joined(separator: "\n").write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let reader = EventLogReader(path: dir.file("e.csv"))
    #expect(throws: EventLogError.badValue(path: dir.file("e.csv"), line: 101, column: "value", value: "lots")) {
      _ = try reader.readBatches(partitions: 2, minimumPartitionBytes: 100, reset: {}) { _, _, _, _ in }
    }
    lines[100] = "c1,2024-01-02,order,1"
    try lines.joined(separator: "\n").write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    #expect(throws: EventLogError.badTimestamp(path: dir.file("e.csv"), line: 3501, value: "2024-02-31")) {
      _ = try reader.readBatches(partitions: 3, minimumPartitionBytes: 100, reset: {}) { _, _, _, _ in }
    }
    lines[10] = "c1,never,login,"
    try lines.joined(separator: "\n").write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let skipping = EventLogReader(path: dir.file("e.csv"), skipBadRows: true)
    let results = try skipping.readBatches(partitions: 2, minimumPartitionBytes: 100, reset: {}) { _, _, _, _ in }
    #expect(results.count == 2)
    var skipped = EventLogReader.SkippedRows()
    for r in results { skipped.append(r.skipped, shiftedBy: 0) }
    #expect(skipped.errors.map { error -> Int in
      if case .badTimestamp(_, let line, _) = error { return line }
      return -1
    } == [11, 3501])
  }

  @Test("A file with quoted fields is read again on one thread")
  func quotedFallback() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var text = "customer_id,timestamp,event_type,value\n"
    for i in 0..<2000 { text += "\"c\(i % 7)\",2024-01-\(String(format: "%02d", 1 + i % 28)),\"a,b\",\(i)\n" }
    try text.write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    /// One counter per range, each touched only by its range's thread.
    final class Counter: @unchecked Sendable { var events = 0, wrongTypes = 0 }
    var resets = 0
    var counters = [Counter(), Counter(), Counter()]
    let results = try EventLogReader(path: dir.file("e.csv")).readBatches(partitions: 3, minimumPartitionBytes: 100, reset: {
      resets += 1
      counters = [Counter(), Counter(), Counter()]
    }) { p, batch, _, types in
      counters[p].events += batch.count
      for t in batch.typeIndex where types.string(Int(t)) != "a,b" { counters[p].wrongTypes += 1 }
    }
    #expect(resets == 1 && results.count == 1)
    #expect(counters.map(\.events) == [2000, 0, 0] && counters[0].wrongTypes == 0)
  }
}

@Suite("Features on the real CDNOW purchase log")
struct CDNOWFeatureTests {
  static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("datasets/cdnow/events.csv").path

  @Test("Every feature equals the reference computation at two cutoffs; inactivity labels match a direct count")
  func reference() throws {
    let events = try readEvents(Self.path)
    #expect(events.count == 6919)
    let cutoffs = [UTCTime.parseMilliseconds("1997-07-01")!, UTCTime.parseMilliseconds("1998-01-01")!]
    let design = try ObservationDesign(cutoffs: cutoffs, horizon: .days(90), activeWindow: .days(180))
    let result = try FeatureBuilder(design: design).build(events: EventLogReader(path: Self.path))
    let table = result.table
    #expect(result.spec.purchaseTypes == ["purchase"])
    #expect(table.rowCount > 1000)
    let byCustomer = Dictionary(grouping: events, by: \.customer)
    for row in stride(from: 0, to: table.rowCount, by: 7) {
      let id = table.ids[row]
      let cutoff = table.cutoffs![row]
      let expected = referenceFeatures(events: byCustomer[id]!, customer: id, reference: cutoff, spec: result.spec, signup: nil)
      for (name, value) in expected {
        let actual = numeric(table, name)[row]
        #expect((actual.isNaN && value.isNaN) || relativeDifference(actual, value) < 1e-12, "\(name) of \(id): \(actual) vs \(value)")
      }
      let horizonEnd = cutoff + 90 * UTCTime.millisecondsPerDay
      let boughtAgain = byCustomer[id]!.contains { $0.time >= cutoff && $0.time < horizonEnd }
      #expect(table.labels![row] == (boughtAgain ? 0 : 1), "label of \(id)")
    }
    // Leading zeros are kept: ids are text.
    #expect(table.ids.allSatisfy { $0.count == 5 } && table.ids.contains("00004"))
  }
}

@Suite("Merging the ranges of a log read on several threads")
struct PartitionMergeTests {
  /// A log whose customers recur in every byte range, in no id order, with whole-number values
  /// (sums exact in any order), an activity-only type and a customer table for RFM and tenure.
  func write(_ dir: TemporaryDirectory) throws {
    var text = "customer_id,timestamp,event_type,value\n"
    let day = UTCTime.millisecondsPerDay
    let start = UTCTime.parseMilliseconds("2024-01-01")!
    for i in 0..<6000 {
      let customer = "k\((i * 7919) % 211)"
      let time = start + Int64(i % 300) * day + Int64(i % 17) * 3_600_000
      let type = ["login", "order", "ticket"][i % 3]
      let value = type == "order" ? String(i % 50) : ""
      text += "\(customer),\(UTCTime.formatDateTime(milliseconds: time)),\(type),\(value)\n"
    }
    try text.write(toFile: dir.file("events.csv"), atomically: true, encoding: .utf8)
    try "customer_id,signup_date,plan\nk5,2023-06-01,pro\nk17,2023-07-01,basic\n".write(toFile: dir.file("customers.csv"),
                                                                                          atomically: true, encoding: .utf8)
  }

  @Test("1 to 4 threads write byte-identical feature files", arguments: [2, 3, 4])
  func sameFile(threads: Int) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try write(dir)
    let design = try ObservationDesign(cutoffs: ["2024-05-01", "2024-08-01", "2024-10-01"].map { UTCTime.parseMilliseconds($0)! },
                                       horizon: .days(30))
    var one = FeatureBuilder(design: design, customers: try CustomerTable(path: dir.file("customers.csv")))
    one.threads = 1
    one.defaultWindows = [7, 30, 90]
    one.purchaseTypes = ["order"]
    var many = one
    many.threads = threads
    many.minimumBytesPerThread = 1000
    let a = try one.build(events: EventLogReader(path: dir.file("events.csv")))
    let b = try many.build(events: EventLogReader(path: dir.file("events.csv")))
    try a.table.writeCSV(to: dir.file("one.csv"), threads: 1)
    try b.table.writeCSV(to: dir.file("many.csv"), threads: threads)
    let first = try String(contentsOfFile: dir.file("one.csv"), encoding: .utf8)
    #expect(first == (try String(contentsOfFile: dir.file("many.csv"), encoding: .utf8)))
    // Every customer at every cutoff where it was active, in id order; RFM and sums present.
    #expect(a.table.rowCount == 3 * 211 && a.table.ids.prefix(3) == ["k0", "k1", "k10"])
    #expect(a.table.columnNames.contains("monetary_90d") && a.table.columnNames.contains("sum_order_30d"))
    #expect(a.events == 6000 && b.events == 6000 && a.summaries == b.summaries)
  }

  @Test("With 4,096 rows or more the columns are computed on several threads: the same file as on one")
  func columnsOnThreads() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try simulated(dir, customers: 2500, months: 10, seed: 5)
    let design = try ObservationDesign(cutoffs: ["2024-04-01", "2024-06-01", "2024-08-01"].map { UTCTime.parseMilliseconds($0)! },
                                       horizon: .days(30))
    var one = FeatureBuilder(design: design, customers: try CustomerTable(path: dir.file("customers.csv")))
    one.threads = 1
    var many = one
    many.threads = 2
    many.minimumBytesPerThread = 1000
    let a = try one.build(events: EventLogReader(path: dir.file("events.csv")))
    let b = try many.build(events: EventLogReader(path: dir.file("events.csv")))
    #expect(a.table.rowCount >= 4096 && a.table.columnNames.contains("r_score"))
    try a.table.writeCSV(to: dir.file("one.csv"), threads: 1)
    try b.table.writeCSV(to: dir.file("many.csv"), threads: 1)
    #expect(try String(contentsOfFile: dir.file("one.csv"), encoding: .utf8) == (try String(contentsOfFile: dir.file("many.csv"), encoding: .utf8)))
  }
}
