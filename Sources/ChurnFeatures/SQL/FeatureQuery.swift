import ChurnCore

/// The feature spec and observation design compiled to one SQL query whose result is the
/// table `churn features` writes for the same data: the same columns, names, order, rows and
/// values (`customer_id`, `cutoff`, the features, the customer-table attributes, `label`).
///
/// The events table holds one row per event with the columns named by `columns`: the customer
/// id and event type (any type cast to text), the timestamp as a `TIMESTAMP` holding UTC
/// (or `TIMESTAMPTZ`, or `DATE`), and the value as a number (NULL for none). The optional
/// customers table holds one row per customer: its id, optionally a signup and a churn date
/// (`DATE` or `TIMESTAMP`), and the spec's attribute columns.
///
/// How the query works (the same in every dialect):
/// ```
/// events  -> (customer, event type, UTC day) roll-up: count, value sum, valued count, first and last ms
/// cutoffs -> an inline VALUES table: cutoff, reference (cutoff − lead), horizon end, active start,
///            as epoch milliseconds and epoch days, computed here (calendar months included)
/// roll-up ⋈ cutoffs on the days a window reads -> per (customer, cutoff[, type]) aggregates;
///            older days, in a second grouping, give only the last event and activity
/// eligibility and labels from the roll-up of activity types on [active start, horizon end)
/// RFM scores by window functions over each cutoff's rows
/// ```
/// Timestamps become integer epoch milliseconds once; every window is an integer comparison
/// of UTC days (each cutoff, lead, window and horizon is whole days from a midnight, so the day
/// comparison is the millisecond one). The join's cost grows with active customer-days ×
/// cutoffs, not events × cutoffs. `streak_T` alone reads its types' events by timestamp (it
/// compares times within a day).
///
/// Values: counts, days, scores and labels are computed exactly as churn computes them, so
/// they are equal; sums and means of event values add in another order than churn's (day by
/// day), so they agree to rounding (1e-9 relative for values that do not cancel; exactly
/// when the values are, like money in cents, exactly representable sums).
///
/// What the query does not check that `churn features` does: cutoffs outside the data,
/// duplicate customers in the customers table, bad rows. Ids and types are taken as stored
/// (churn trims spaces around CSV fields).
public struct FeatureQuery: Sendable {
  /// Names of the events table's columns (the event log's column names; `value` nil when
  /// events carry no value).
  public typealias Columns = EventLogColumns

  /// Names of the customers table's columns: the id, and the signup and churn dates when the
  /// table has them (a churn date makes labels contractual, as in `churn features`).
  public struct CustomerColumns: Sendable, Equatable {
    public var id: String
    public var signup: String?
    public var churnDate: String?

    public init(id: String = "customer_id", signup: String? = CustomerTable.defaultSignupColumn,
                churnDate: String? = CustomerTable.defaultChurnDateColumn) {
      self.id = id
      self.signup = signup
      self.churnDate = churnDate
    }
  }

  public let spec: FeatureSpec
  public let observation: ObservationDesign
  public let columns: Columns
  public let dialect: SQLDialect
  public let eventsTable: String
  public let customersTable: String?
  public let customerColumns: CustomerColumns
  /// The query, ending with a newline (no semicolon).
  public let text: String

  /// Compiles the query.
  ///
  /// - Parameters:
  ///   - spec: the features (a saved spec, a model's, or a default spec for known event types).
  ///   - observation: cutoffs, horizon, eligibility and the data end.
  ///   - columns: the events table's column names.
  ///   - dialect: the engine.
  ///   - eventsTable: the events table, as the engine names it (`events`, `crm.events`).
  ///   - customersTable: the customers table, if any; its attribute columns are the spec's.
  ///   - customerColumns: the customers table's id, signup and churn-date columns.
  /// - Throws: `FeatureQueryError` for a table name that is not a plain (dotted) name, a spec
  ///   with attributes but no customers table, a spec with the `btyd` family (a model fitted at
  ///   each cutoff, which one query cannot compute); `FeatureSpecError` for an invalid spec.
  public init(spec: FeatureSpec, observation: ObservationDesign, columns: Columns = Columns(), dialect: SQLDialect,
              eventsTable: String, customersTable: String? = nil, customerColumns: CustomerColumns = CustomerColumns()) throws {
    try spec.validate()
    if spec.includes("btyd") { throw FeatureQueryError.fittedFamily("btyd") }
    try Self.checkTableName(eventsTable, option: "events table")
    if let customersTable { try Self.checkTableName(customersTable, option: "customers table") }
    if customersTable == nil, let first = spec.attributes.first {
      throw FeatureQueryError.attributesWithoutCustomersTable(attribute: first.name)
    }
    self.spec = spec
    self.observation = observation
    self.columns = columns
    self.dialect = dialect
    self.eventsTable = eventsTable
    self.customersTable = customersTable
    self.customerColumns = customerColumns
    var writer = QueryWriter(spec: spec, observation: observation, columns: columns, dialect: dialect, eventsTable: eventsTable,
                             customersTable: customersTable, customerColumns: customerColumns)
    text = writer.write()
  }

  /// The output's column names in order, as `churn features` writes them.
  public var columnNames: [String] {
    ["customer_id", "cutoff"] + spec.builtInNames() + spec.eventTypes.flatMap(spec.names(of:)) + spec.attributes.map(\.name) + ["label"]
  }

  /// A table name is inserted into the query as written: letters, digits, `_`, `$` and dots only.
  static func checkTableName(_ name: String, option: String) throws {
    let parts = name.split(separator: ".", omittingEmptySubsequences: false)
    let ok = !name.isEmpty && parts.allSatisfy { part in
      !part.isEmpty && part.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "$") }
        && !("0"..."9").contains(part.unicodeScalars.first!)
    }
    guard ok else { throw FeatureQueryError.badTableName(option: option, name: name) }
  }
}

/// A query that cannot be written.
public enum FeatureQueryError: Error, Equatable, CustomStringConvertible {
  case badTableName(option: String, name: String)
  case attributesWithoutCustomersTable(attribute: String)
  case unknownPurchaseType(name: String, types: [String])
  /// A family whose features come from a model fitted at each cutoff (`btyd`), not from SQL.
  case fittedFamily(String)

  public var description: String {
    switch self {
    case .badTableName(let option, let name):
      return "\(option) \"\(name)\" is not a table name; expected letters, digits and _ in dot-separated parts such as crm.events"
    case .attributesWithoutCustomersTable(let attribute):
      return "the feature spec uses customer attributes (such as \(attribute)) but no customers table is given; add --customers-table NAME"
    case .unknownPurchaseType(let name, let types):
      return "purchase type \"\(name)\" is not one of the event types \(types.joined(separator: ", ")); add it to --event-types or fix --purchase-types"
    case .fittedFamily(let family):
      return "the \(family) features (btyd_p_alive, btyd_expected_purchases) come from a BG/NBD model fitted on the purchases before each cutoff, "
        + "which SQL cannot compute; compute them from an event log file (--events), or use features without --features \(family) "
        + "(a spec or model made without it)"
    }
  }
}

/// Writes the query text, one common table expression at a time.
struct QueryWriter {
  let spec: FeatureSpec
  let observation: ObservationDesign
  let columns: EventLogColumns
  let d: SQLDialect
  let eventsTable: String
  let customersTable: String?
  let customerColumns: FeatureQuery.CustomerColumns
  private var ctes: [(String, String)] = []

  static let day = UTCTime.millisecondsPerDay

  init(spec: FeatureSpec, observation: ObservationDesign, columns: EventLogColumns, dialect: SQLDialect, eventsTable: String,
       customersTable: String?, customerColumns: FeatureQuery.CustomerColumns) {
    self.spec = spec
    self.observation = observation
    self.columns = columns
    self.d = dialect
    self.eventsTable = eventsTable
    self.customersTable = customersTable
    self.customerColumns = customerColumns
  }

  private func q(_ name: String) -> String { d.identifier(name) }
  private func lit(_ text: String) -> String { d.literal(text) }
  private func dbl(_ e: String) -> String { d.double(e) }
  private var dayMs: String { String(Self.day) }
  private func floorDay(_ ms: Int64) -> Int64 { UTCTime.floorDiv(ms, Self.day) }

  var contractual: Bool { customersTable != nil && customerColumns.churnDate != nil }
  var hasSignup: Bool { customersTable != nil && customerColumns.signup != nil }

  mutating func write() -> String {
    let typeNames = spec.eventTypes.map(\.name)
    let windows = spec.windows
    let r = spec.rfmWindowDays
    let lead = Int64(spec.leadDays)

    // 1. The cutoff grid.
    var rows: [[String]] = []
    for (k, c) in observation.cutoffs.enumerated() {
      let reference = c - lead * Self.day
      let horizonEnd = observation.horizon.added(to: c)
      let activeStart = (observation.activeWindow ?? observation.horizon).added(to: c, times: -1)
      rows.append([String(k), lit(UTCTime.formatDate(milliseconds: c)), String(c), String(floorDay(c)), String(reference), String(floorDay(reference)),
                   String(horizonEnd), String(floorDay(horizonEnd) + (horizonEnd % Self.day == 0 ? 0 : 1)), String(floorDay(activeStart))])
    }
    ctes.append(("cutoffs", "SELECT * FROM " + d.inlineTable(rows: rows, alias: "grid", columns: [
      "k", "cutoff", "cutoff_ms", "cutoff_day", "ref_ms", "ref_day", "horizon_end_ms", "horizon_end_day", "active_start_day"])))

    // 2. Events: epoch milliseconds once, and the UTC day.
    let t = d.epochMilliseconds(q(columns.timestamp))
    let value = columns.value.map { dbl(q($0)) } ?? dbl("NULL")
    ctes.append(("ev", """
      SELECT \(d.text(q(columns.customer))) AS cid, \(d.text(q(columns.eventType))) AS etype, \(value) AS v, \(t) AS t
        FROM \(eventsTable)
      """))
    ctes.append(("evd", "SELECT cid, etype, v, t, \(d.floorDivision("t", by: Self.day)) AS d FROM ev"))

    // 3. The daily roll-up. PostgreSQL sums BIGINT counts as NUMERIC, an arbitrary-precision
    //    type: a (customer, type, day) count fits INTEGER, whose sums are BIGINT (demo, 10
    //    cutoffs: the per-type aggregate 8.3 s against 6.1 s).
    let postgres = d == .postgres
    let count = { (expression: String) in postgres ? "CAST(\(expression) AS INTEGER)" : expression }
    ctes.append(("daily", """
      SELECT cid, etype, d, \(count("COUNT(*)")) AS n, SUM(v) AS s, \(count("COUNT(v)")) AS nv, MIN(t) AS tmin, MAX(t) AS tmax
        FROM evd GROUP BY cid, etype, d
      """))
    ctes.append(("dayall", "SELECT cid, d, SUM(n) AS n, MIN(tmin) AS tmin, MAX(tmax) AS tmax FROM daily GROUP BY cid, d"))
    ctes.append(("firsts", "SELECT cid, MIN(tmin) AS first_t FROM daily GROUP BY cid"))

    // 4. The end of the data, and whether the purchase types carry values (monetary).
    let purchases = spec.purchaseTypes.filter(typeNames.contains)
    let dataEnd = observation.dataEnd.map { "MAX(\($0))" } ?? "(MAX(d) + 1) * \(dayMs)"
    let purchaseValues = purchases.isEmpty ? "MAX(0)"
      : "MAX(CASE WHEN etype IN (\(purchases.map(lit).joined(separator: ", "))) AND nv > 0 THEN 1 ELSE 0 END)"
    ctes.append(("bounds", "SELECT \(dataEnd) AS data_end_ms, \(purchaseValues) AS purchase_values FROM daily"))

    // 5. Per (customer, cutoff, event type): the roll-up joined to the cutoffs on the days
    //    before the horizon end, the window sums as conditional sums; then one row per
    //    (customer, cutoff), the spec's types pivoted into columns. Two grouped steps, not a
    //    join per event type (planners misjudge chains of joins), and the wide pivot runs on
    //    the small per-type table, not on every customer-day.
    func before(_ condition: String = "") -> String { "a.d < c.ref_day" + (condition.isEmpty ? "" : " AND " + condition) }
    var typ = ["a.cid", "c.k", "a.etype", "MAX(CASE WHEN \(before()) THEN a.tmax END) AS last_t"]
    for w in windows {
      typ.append("SUM(CASE WHEN \(before("a.d >= c.ref_day - \(w)")) THEN a.n ELSE 0 END) AS n_\(w)")
      typ.append("SUM(CASE WHEN \(before("a.d >= c.ref_day - \(w)")) THEN a.s END) AS s_\(w)")
      typ.append("SUM(CASE WHEN \(before("a.d >= c.ref_day - \(w)")) THEN a.nv ELSE 0 END) AS nv_\(w)")
    }
    typ.append("MIN(CASE WHEN \(before("a.d >= c.ref_day - \(r)")) THEN a.tmin END) AS first_rfm")
    typ.append("SUM(CASE WHEN \(before("a.d >= c.ref_day - 60 AND a.d < c.ref_day - 30")) THEN a.n ELSE 0 END) AS prev30")
    let rising = spec.includes("rising_months")
    if rising {
      for p in 0..<FeatureSpec.risingPeriods {
        typ.append("SUM(CASE WHEN \(before("a.d >= c.ref_day - \(30 * (p + 1)) AND a.d < c.ref_day - \(30 * p)")) THEN a.n ELSE 0 END) AS m\(p)")
      }
    }
    let quarters = spec.eventTypes.contains(where: spec.hasQuarterChange)
    if quarters {
      typ.append("SUM(CASE WHEN \(before("a.d >= c.ref_day - 90")) THEN a.s END) AS q0")
      typ.append("SUM(CASE WHEN \(before("a.d >= c.ref_day - 180 AND a.d < c.ref_day - 90")) THEN a.s END) AS q1")
    }
    typ.append("MAX(CASE WHEN a.d >= c.active_start_day AND a.d < c.cutoff_day THEN 1 ELSE 0 END) AS active_before")
    typ.append("MAX(CASE WHEN a.d >= c.cutoff_day THEN 1 ELSE 0 END) AS active_after")
    // The conditional sums read only the last `lookback` days before the reference; older
    // days matter only for the last event and for activity in a long active window. Those
    // rows, most of a long history, go through a second grouping with two aggregates, not
    // through every window's (PostgreSQL, demo, 10 cutoffs: the per-type step 7.6 s to 3.6 s).
    // Its rows have the first step's columns: counts 0, sums NULL, as the first step gives a
    // type with no event in the window.
    var lookback = max(windows.max()!, r, 60)
    if rising { lookback = max(lookback, 30 * FeatureSpec.risingPeriods) }
    if quarters { lookback = max(lookback, 180) }
    let older = typ.enumerated().map { j, item -> String in
      guard j >= 3, let alias = item.components(separatedBy: " AS ").last else { return item }
      switch alias {
      case "last_t": return "MAX(a.tmax) AS last_t"
      case "active_before": return "MAX(CASE WHEN a.d >= c.active_start_day THEN 1 ELSE 0 END) AS active_before"
      case "active_after": return "0 AS active_after"
      default: return (item.hasSuffix("ELSE 0 END) AS \(alias)") ? "0" : "NULL") + " AS \(alias)"
      }
    }
    ctes.append(("typ", """
      SELECT \(typ.joined(separator: ",\n         "))
        FROM daily a JOIN cutoffs c ON a.d < c.horizon_end_day AND a.d >= c.ref_day - \(lookback)
       GROUP BY a.cid, c.k, a.etype
      UNION ALL
      SELECT \(older.joined(separator: ", "))
        FROM daily a JOIN cutoffs c ON a.d < c.ref_day - \(lookback)
       GROUP BY a.cid, c.k, a.etype
      """))
    let isActivity: String
    if let activity = observation.activityTypes {
      isActivity = activity.isEmpty ? "1 = 0" : "etype IN (\(activity.map(lit).joined(separator: ", ")))"
    } else {
      isActivity = "1 = 1"
    }
    var base = ["cid", "k", "MAX(last_t) AS last_any", "MIN(first_rfm) AS first_rfm",
                "MAX(CASE WHEN \(isActivity) THEN active_before ELSE 0 END) AS active_before",
                "MAX(CASE WHEN \(isActivity) THEN active_after ELSE 0 END) AS active_after"]
    for w in windows { base.append("SUM(n_\(w)) AS n_\(w)") }
    for (i, name) in typeNames.enumerated() {
      func pick(_ column: String, as alias: String) { base.append("MAX(CASE WHEN etype = \(lit(name)) THEN \(column) END) AS t\(i)_\(alias)") }
      pick("last_t", as: "last")
      for w in windows {
        pick("n_\(w)", as: "n_\(w)")
        pick("s_\(w)", as: "s_\(w)")
        pick("nv_\(w)", as: "nv_\(w)")
      }
      pick("prev30", as: "prev30")
      if rising { for p in 0..<FeatureSpec.risingPeriods { pick("m\(p)", as: "m\(p)") } }
      if spec.hasQuarterChange(spec.eventTypes[i]) {
        pick("q0", as: "q0")
        pick("q1", as: "q1")
      }
    }
    ctes.append(("base", "SELECT \(base.joined(separator: ",\n         "))\n    FROM typ\n   GROUP BY cid, k"))
    // Distinct active days per window, from the customer-level roll-up.
    var dayColumns = ["a.cid", "c.k"]
    for w in windows { dayColumns.append("SUM(CASE WHEN a.d >= c.ref_day - \(w) THEN 1 ELSE 0 END) AS days_\(w)") }
    ctes.append(("actdays", """
      SELECT \(dayColumns.joined(separator: ", "))
        FROM dayall a JOIN cutoffs c ON a.d < c.ref_day AND a.d >= c.ref_day - \(windows.max()!)
       GROUP BY a.cid, c.k
      """))

    // 6. Streaks: a type's events after its siblings' latest, by timestamp.
    var streaks: [Int: [Int]] = [:]
    for (i, type) in spec.eventTypes.enumerated() {
      let siblings = spec.streakSiblings(of: type)
      guard !siblings.isEmpty else { continue }
      streaks[i] = siblings.compactMap { sibling in typeNames.firstIndex(of: sibling.name) }
    }
    if !streaks.isEmpty {
      let names = streaks.keys.sorted().map { lit(typeNames[$0]) }.joined(separator: ", ")
      ctes.append(("stamps", "SELECT cid, etype, t, COUNT(*) AS n FROM evd WHERE etype IN (\(names)) GROUP BY cid, etype, t"))
      for i in streaks.keys.sorted() {
        // The siblings' latest event before the reference, from the narrow per-type table.
        let siblings = streaks[i]!.map { lit(typeNames[$0]) }.joined(separator: ", ")
        ctes.append(("since_\(i)", "SELECT cid, k, MAX(last_t) AS since FROM typ WHERE etype IN (\(siblings)) GROUP BY cid, k"))
        ctes.append(("streak_\(i)", """
          SELECT s.cid, c.k, SUM(s.n) AS n
            FROM stamps s JOIN cutoffs c ON s.t < c.ref_ms
            LEFT JOIN since_\(i) x ON x.cid = s.cid AND x.k = c.k
           WHERE s.etype = \(lit(typeNames[i])) AND (x.since IS NULL OR s.t > x.since)
           GROUP BY s.cid, c.k
          """))
      }
    }

    // 9. The customers table.
    if let customersTable {
      var fields = ["\(d.text(q(customerColumns.id))) AS cid"]
      fields.append(hasSignup ? "\(d.epochMilliseconds(q(customerColumns.signup!), castToTimestamp: true)) AS signup_ms" : "CAST(NULL AS BIGINT) AS signup_ms")
      fields.append(contractual ? "\(d.epochMilliseconds(q(customerColumns.churnDate!), castToTimestamp: true)) AS churn_ms" : "CAST(NULL AS BIGINT) AS churn_ms")
      for (j, attribute) in spec.attributes.enumerated() {
        let column = q(attribute.name)
        switch attribute.kind {
        case .numeric, .date: fields.append("\(dbl(column)) AS attr_\(j)")
        case .categorical: fields.append("\(d.text(column)) AS attr_\(j)")
        }
      }
      ctes.append(("custtable", "SELECT \(fields.joined(separator: ", ")) FROM \(customersTable)"))
    }

    // 10. The rows: eligible (customer, cutoff) pairs and their labels.
    if contractual {
      ctes.append(("universe", "SELECT cid FROM firsts UNION SELECT cid FROM custtable"))
      ctes.append(("obs", """
        SELECT u.cid, c.k,
               CASE WHEN c.horizon_end_ms <= b.data_end_ms THEN
                 CASE WHEN ct.churn_ms >= c.cutoff_ms AND ct.churn_ms < c.horizon_end_ms THEN 1 ELSE 0 END END AS label
          FROM universe u CROSS JOIN cutoffs c CROSS JOIN bounds b
          LEFT JOIN firsts f ON f.cid = u.cid
          LEFT JOIN custtable ct ON ct.cid = u.cid
         WHERE (f.first_t < c.cutoff_ms OR ct.signup_ms < c.cutoff_ms)
           AND (ct.churn_ms IS NULL OR ct.churn_ms >= c.cutoff_ms)
        """))
    } else {
      // "> 0", not "= 1": PostgreSQL estimates an equality on a computed column at 0.5% of the
      // rows and then nests loops over every later join (165 s against 12 s on the demo, 11 cutoffs).
      ctes.append(("obs", """
        SELECT a.cid, a.k,
               CASE WHEN c.horizon_end_ms <= b.data_end_ms THEN 1 - a.active_after END AS label
          FROM base a JOIN cutoffs c ON c.k = a.k CROSS JOIN bounds b
         WHERE a.active_before > 0
        """))
    }

    // 11. The feature values.
    var features: [(String, String)] = []  // (name, expression) in column order, before the RFM scores
    func days(since: String) -> String { "\(dbl("c.ref_ms - \(since)")) / \(dbl(dayMs))" }
    if spec.includes("days_since_last_event") { features.append(("days_since_last_event", days(since: "x.last_any"))) }
    if spec.includes("tenure") {
      let signup = hasSignup ? "WHEN ct.signup_ms < c.ref_ms THEN \(days(since: "ct.signup_ms")) " : ""
      features.append(("tenure_days", "CASE \(signup)WHEN f.first_t < c.ref_ms THEN \(days(since: "f.first_t")) END"))
    }
    if spec.includes("active_days") { for w in windows { features.append(("active_days_\(w)d", "COALESCE(y.days_\(w), 0)")) } }
    if spec.includes("mean_gap") {
      features.append(("mean_gap_days_\(r)d",
                       "CASE WHEN x.n_\(r) >= 2 THEN \(dbl("x.last_any - x.first_rfm")) / \(dbl("x.n_\(r) - 1")) / \(dbl(dayMs)) END"))
    }
    let alias = { (i: Int) in "x.t\(i)" }
    let purchaseIndices = purchases.compactMap { typeNames.firstIndex(of: $0) }
    if spec.includes("rfm") {
      if purchaseIndices.isEmpty {
        features.append(("recency_days", days(since: "x.last_any")))
        features.append(("frequency_\(r)d", "COALESCE(x.n_\(r), 0)"))
      } else {
        let latest = purchaseIndices.count == 1 ? "\(alias(purchaseIndices[0]))_last"
          : "GREATEST(" + purchaseIndices.map { "COALESCE(\(alias($0))_last, -9223372036854775807)" }.joined(separator: ", ") + ")"
        let recency = purchaseIndices.count == 1 ? days(since: latest)
          : "CASE WHEN \(latest) > -9223372036854775807 THEN \(days(since: latest)) END"
        features.append(("recency_days", recency))
        features.append(("frequency_\(r)d", purchaseIndices.map { "COALESCE(\(alias($0))_n_\(r), 0)" }.joined(separator: " + ")))
      }
      // Every purchase type that carries values in the data adds (one without has a NULL sum).
      let money = purchaseIndices.isEmpty ? "0" : purchaseIndices.map { "COALESCE(\(alias($0))_s_\(r), 0)" }.joined(separator: " + ")
      features.append(("monetary_\(r)d", "CASE WHEN b.purchase_values = 1 THEN \(dbl(money)) END"))
    }
    for (i, type) in spec.eventTypes.enumerated() {
      let a = alias(i)
      let token = type.token
      if spec.includes("count") { for w in windows { features.append(("count_\(token)_\(w)d", "COALESCE(\(a)_n_\(w), 0)")) } }
      if type.valued && spec.includes("sum") { for w in windows { features.append(("sum_\(token)_\(w)d", "COALESCE(\(a)_s_\(w), \(dbl("0")))")) } }
      if type.valued && spec.includes("mean") {
        for w in windows { features.append(("mean_\(token)_\(w)d", "CASE WHEN \(a)_nv_\(w) > 0 THEN \(a)_s_\(w) / \(dbl("\(a)_nv_\(w)")) END")) }
      }
      if spec.includes("days_since_last") { features.append(("days_since_last_\(token)", days(since: "\(a)_last"))) }
      if spec.includes("rising_months") {
        var cases = "CASE"
        for p in 0..<(FeatureSpec.risingPeriods - 1) { cases += " WHEN NOT (COALESCE(\(a)_m\(p), 0) > COALESCE(\(a)_m\(p + 1), 0)) THEN \(p)" }
        features.append(("rising_months_\(token)", cases + " ELSE \(FeatureSpec.risingPeriods - 1) END"))
      }
      if streaks[i] != nil { features.append(("streak_\(token)", "LEAST(\(FeatureSpec.streakCap), COALESCE(s\(i).n, 0))")) }
      if spec.hasQuarterChange(type) {
        let recent = "COALESCE(\(a)_q0, \(dbl("0")))", before = "COALESCE(\(a)_q1, \(dbl("0")))"
        features.append(("pct_change_sum_\(token)_90d", "CASE WHEN \(before) <> 0 THEN (\(recent) - \(before)) / ABS(\(before)) "
          + "WHEN \(recent) > 0 THEN \(dbl("1")) WHEN \(recent) < 0 THEN \(dbl("-1")) ELSE \(dbl("0")) END"))
      }
      if spec.includes("pct_change") && windows.contains(30) {
        let recent = dbl("COALESCE(\(a)_n_30, 0)"), before = dbl("COALESCE(\(a)_prev30, 0)")
        features.append(("pct_change_count_\(token)_30d",
                         "CASE WHEN \(before) > 0 THEN (\(recent) - \(before)) / \(before) WHEN \(recent) > 0 THEN \(dbl("1")) ELSE \(dbl("0")) END"))
      }
    }
    var joins = ["JOIN cutoffs c ON c.k = o.k", "CROSS JOIN bounds b", "LEFT JOIN firsts f ON f.cid = o.cid",
                 "LEFT JOIN base x ON x.cid = o.cid AND x.k = o.k", "LEFT JOIN actdays y ON y.cid = o.cid AND y.k = o.k"]
    for i in streaks.keys.sorted() { joins.append("LEFT JOIN streak_\(i) s\(i) ON s\(i).cid = o.cid AND s\(i).k = o.k") }
    if customersTable != nil { joins.append("LEFT JOIN custtable ct ON ct.cid = o.cid") }
    var select = ["o.cid", "o.k", "c.cutoff", "o.label"]
    for (j, (_, expression)) in features.enumerated() { select.append("\(expression) AS f\(j)") }
    for j in spec.attributes.indices { select.append("ct.attr_\(j) AS attr_\(j)") }
    ctes.append(("feat", "SELECT \(select.joined(separator: ",\n         "))\n    FROM obs o\n    \(joins.joined(separator: "\n    "))"))

    // 12. RFM scores: quintiles of each cutoff's rows by midrank, ties sharing a score.
    var output: [String] = ["cid AS \(q("customer_id"))", "cutoff AS \(q("cutoff"))"]
    let last: String
    if spec.includes("rfm") {
      let index = { (name: String) in features.firstIndex { $0.0 == name }! }
      let recency = "f\(index("recency_days"))", frequency = "f\(index("frequency_\(r)d"))", monetary = "f\(index("monetary_\(r)d"))"
      func score(_ key: String) -> String {
        let rank = "RANK() OVER (PARTITION BY k ORDER BY \(key) ASC NULLS FIRST)"
        let ties = "COUNT(*) OVER (PARTITION BY k, \(key))"
        let n = "COUNT(*) OVER (PARTITION BY k)"
        let midrank = "\(dbl("2 * \(rank) + \(ties) - 1")) / \(dbl("2"))"
        return "LEAST(\(dbl("5")), \(dbl("1")) + FLOOR(\(dbl("5")) * (\(midrank) - \(dbl("1"))) / \(dbl(n))))"
      }
      var scoredSelect = ["*", "\(score("-\(recency)")) AS r_score", "\(score(frequency)) AS f_score",
                          "CASE WHEN COUNT(\(monetary)) OVER (PARTITION BY k) > 0 THEN \(score(monetary)) END AS m_score"]
      scoredSelect[0] = "feat.*"
      ctes.append(("scored", "SELECT \(scoredSelect.joined(separator: ",\n         "))\n    FROM feat"))
      last = "scored"
    } else {
      last = "feat"
    }
    for (j, (name, _)) in features.enumerated() {
      output.append("f\(j) AS \(q(name))")
      if name == "monetary_\(r)d" {
        output.append("r_score AS \(q("r_score"))")
        output.append("f_score AS \(q("f_score"))")
        output.append("m_score AS \(q("m_score"))")
        let fm = "CASE WHEN m_score IS NULL THEN f_score ELSE (f_score + m_score) / \(dbl("2")) END"
        output.append("CASE WHEN r_score >= 3 AND \(fm) >= 3 THEN 'high_value' WHEN r_score < 3 AND \(fm) >= 3 THEN 'needs_retention' "
          + "WHEN r_score >= 3 THEN 'potential' ELSE 'needs_attention' END AS \(q("rfm_segment"))")
      }
    }
    for (j, attribute) in spec.attributes.enumerated() { output.append("attr_\(j) AS \(q(attribute.name))") }
    output.append("label AS \(q("label"))")
    let order = d == .postgres ? "k, cid COLLATE \"C\"" : "k, cid"
    let with = ctes.map { "\($0.0) AS (\n  \($0.1.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n  "))\n)" }
    return "WITH " + with.joined(separator: ",\n") + "\nSELECT " + output.joined(separator: ",\n       ") + "\n  FROM \(last)\n ORDER BY \(order)\n"
  }
}

extension FeatureQuery {
  /// The spec `churn features` derives for a log whose event types are `eventTypes` (those
  /// in `valuedTypes` carrying values), without reading the log: the default families over
  /// `windows`, RFM over 90 days (or the longest window), purchase types as given or the
  /// recognized names (order, purchase, ...), colliding tokens numbered as churn numbers them.
  /// No attributes (a spec with the customer table's attributes comes from `--save-spec`).
  ///
  /// - Throws: `FeatureSpecError` for an event type that makes no feature name or an invalid
  ///   spec; `FeatureQueryError.unknownPurchaseType` for a purchase type not in `eventTypes`.
  public static func defaultSpec(eventTypes: [String], valuedTypes: Set<String>, windows: [Int] = [7, 30, 90], leadDays: Int = 0,
                                 purchaseTypes: [String]? = nil) throws -> FeatureSpec {
    let names = Array(Set(eventTypes)).sorted()
    let types = try names.map { FeatureSpec.EventType(name: $0, token: try FeatureSpec.token(for: $0), valued: valuedTypes.contains($0)) }
    for name in purchaseTypes ?? [] where !names.contains(name) {
      throw FeatureQueryError.unknownPurchaseType(name: name, types: names)
    }
    let purchases = (purchaseTypes ?? names.filter { FeatureSpec.defaultPurchaseNames.contains($0.lowercased()) }).sorted()
    let sortedWindows = Array(Set(windows)).sorted()
    var spec = FeatureSpec(windows: sortedWindows, leadDays: leadDays, eventTypes: types, purchaseTypes: purchases,
                           rfmWindowDays: sortedWindows.contains(90) ? 90 : sortedWindows.max() ?? 90)
    _ = spec.renameCollidingTokens()
    if spec.includes("pct_change") && !sortedWindows.contains(30) { spec.excludedFamilies.append("pct_change") }
    try spec.validate()
    return spec
  }
}
