import ChurnCore
import Foundation

/// One customer's line in the weekly risk list.
public struct RiskRow: Sendable, Equatable {
  public var id: String
  public var probability: Double
  public var band: String?
  /// Up to three reasons, strongest first (see `ReasonText`).
  public var reasons: [String]
  /// Probability × revenue over the horizon, when a revenue column was named.
  public var revenueAtRisk: Double?
  public var segment: String?
  /// Against the previous list: "new", or the change in points with any band move.
  public var change: String?
  /// With warning rules: the names of the rules that fired, red first, then in file order.
  public var warnings: [String]?
  /// With warning rules: what decided `band`, "model" (the model's band, no rule raised it),
  /// "rules" (a rule's severity raised it) or "both" (a rule of the model's band fired).
  public var bandSource: String?
  /// With an owner column: who looks after this customer (nil when the table leaves it blank).
  public var owner: String?
  /// The health score and its dimensions (`CustomerHealth`), when the list shows them.
  public var health: CustomerHealth?
  /// With contact economics: S × `valueAtStake` − C (`ContactEconomics`); nil when the value is unknown.
  public var netValueOfContact: Double?

  /// What this customer's leaving would cost, for value ranking and contact economics:
  /// `valueAtRisk` when the row has one (a survival model scored with a revenue column), else
  /// `revenueAtRisk`; nil when unknown. The one place both read it.
  public var valueAtStake: Double? { (valueAtRisk ?? revenueAtRisk).flatMap { $0.isNaN ? nil : $0 } }

  /// The predicted survival curve, from a survival model (`churn train --survival`).
  public var survival: SurvivalCurve?
  /// With a survival curve and a revenue value: Σ_k S(k) × r × δ^k (`SurvivalCurve.lifetimeValue`).
  public var lifetimeValue: Double?
  /// With a survival curve and a revenue value: Σ_k (1 − S(k)) × r × δ^k (`SurvivalCurve.valueAtRisk`).
  public var valueAtRisk: Double?

  /// Sets `survival`, and with a revenue per period r (not NaN) `lifetimeValue` and
  /// `valueAtRisk` from it discounted by `discount`; without r both are nil.
  public mutating func setSurvival(_ curve: SurvivalCurve, revenuePerPeriod r: Double?, discount: PeriodDiscount = .none) {
    survival = curve
    guard let r, !r.isNaN else {
      (lifetimeValue, valueAtRisk) = (nil, nil)
      return
    }
    lifetimeValue = curve.lifetimeValue(revenuePerPeriod: r, discount: discount.factor)
    valueAtRisk = curve.valueAtRisk(revenuePerPeriod: r, discount: discount.factor)
  }

  public init(id: String, probability: Double, band: String? = nil, reasons: [String] = [], revenueAtRisk: Double? = nil,
              segment: String? = nil, change: String? = nil) {
    self.change = change
    self.id = id
    self.probability = probability
    self.band = band
    self.reasons = reasons
    self.revenueAtRisk = revenueAtRisk
    self.segment = segment
  }
}

/// Customers ordered by churn probability, highest first (ties by id), or by value at stake
/// (`RankOrder`), with percentiles.
public struct RankedList: Sendable {
  public private(set) var rows: [RiskRow]
  /// Customers of the previous list who are not scored now, with their previous probability and band.
  public private(set) var vanished: [(id: String, probability: Double, band: String?)] = []
  /// Percent of scored customers ranked below with a different sort key, per row of `rows`:
  /// with a lower probability under `.risk` (see `RankOrder`).
  public let percentiles: [Double]
  /// The list's order.
  public let order: RankOrder
  /// Whether the outputs carry `expected_net_value_of_contact` (each row's `netValueOfContact`).
  public var showsNetValue = false
  /// Whether warning rules were applied: the outputs then carry `warnings` and `band_from`.
  public var showsWarnings = false
  /// Whether an owner column was read: the outputs then end with `owner`.
  public var showsOwners = false
  /// The health dimensions' names when the outputs carry `health`, `health_baseline` and one
  /// `health_<dimension>` column each (every row's `health` then has them in this order).
  public var healthDimensions: [String]?
  /// K, when the outputs end with `survival_1` … `survival_K`, `expected_periods_remaining` and
  /// `median_periods_to_churn` (a survival model's list: every row's `survival` has K periods).
  public var survivalPeriods: Int?
  /// Whether the list ends with `lifetime_value` and `value_at_risk` (after the survival
  /// columns, if any): a survival model scored with a revenue column (blank for a customer
  /// without a revenue value), or purchase data scored with BTYD values (blank for a customer
  /// without a purchase before the as-of date).
  public var showsLifetimeValue = false

  /// - Complexity: O(n log n) comparisons of an index array (the rows move once), then one
  ///   pass for the percentiles.
  public init(_ unordered: [RiskRow], order rankOrder: RankOrder = .risk) {
    let p = unordered.map(\.probability)
    let v = rankOrder == .value ? unordered.map { $0.valueAtStake ?? .nan } : []
    let order = Self.order(of: unordered, by: rankOrder)
    rows = order.map { unordered[$0] }
    self.order = rankOrder
    // Rows are in descending order: those below a run of equal keys are the lower ones.
    let n = rows.count
    var percentiles = [Double](repeating: 0, count: n)
    var start = 0
    while start < n {
      var end = start
      while end + 1 < n && rankOrder.tied(order[end + 1], order[start], probabilities: p, values: v) { end += 1 }
      let lower = 100 * Double(n - end - 1) / Double(n)
      for k in start...end { percentiles[k] = lower }
      start = end + 1
    }
    self.percentiles = percentiles
  }

  /// The indices of `rows` in the order of a list ranked `order` (as `init(_:order:)` orders them).
  public static func order(of rows: [RiskRow], by order: RankOrder) -> [Int] {
    order.order(ids: rows.map(\.id), probabilities: rows.map(\.probability), values: order == .value ? rows.map { $0.valueAtStake ?? .nan } : [])
  }

  /// Sets every row's `netValueOfContact` under `economics` (nil where the value at stake is
  /// unknown) and shows the column.
  public mutating func price(_ economics: ContactEconomics) {
    for k in rows.indices { rows[k].netValueOfContact = rows[k].valueAtStake.map { economics.netValue(ofContacting: $0) } }
    showsNetValue = true
  }

  /// Who is worth a call under `economics`, from the rows' values at stake (`ContactCut`).
  public func contactCut(_ economics: ContactEconomics) -> ContactCut { ContactCut(rows, economics: economics) }

  /// A change in probability points to one decimal: `+3.2 pts`, `-1.0 pts`, or `0.0 pts` (no
  /// sign) for a change under 0.05 points, so an unchanged customer never reads `+0.0` or `-0.0`.
  public static func change(points: Double) -> String {
    // A non-finite probability is refused when the list is written (`checkFinite`).
    guard points.isFinite else { return "unknown" }
    let tenths = (points * 10).rounded()
    return tenths == 0 ? "0.0 pts" : String(format: "%+.1f pts", tenths / 10)
  }

  /// Marks each row against last week's list: `new`, or `+3.2 pts` / `-1.0 pts` / `0.0 pts` (see
  /// `change(points:)`), with ` (yellow→red)` when the band moved; customers who left the list
  /// are kept in `vanished`.
  public mutating func compare(previous: [String: (probability: Double, band: String?)]) {
    var seen = Set<String>()
    for k in rows.indices {
      seen.insert(rows[k].id)
      guard let before = previous[rows[k].id] else {
        rows[k].change = "new"
        continue
      }
      var text = Self.change(points: 100 * (rows[k].probability - before.probability))
      if let old = before.band, let now = rows[k].band, old != now { text += " (\(old)→\(now))" }
      rows[k].change = text
    }
    vanished = previous.filter { !seen.contains($0.key) }.map { ($0.key, $0.value.probability, $0.value.band) }.sorted { $0.id < $1.id }
  }

  /// `rank, <id>, churn_probability, percentile, risk_band, reason_1, reason_2, reason_3,
  /// expected_revenue_at_risk, segment, change` (then `expected_net_value_of_contact` when
  /// `showsNetValue`; then `warnings, band_from` when
  /// `showsWarnings`: fired rule names joined by `;`; then `owner` when `showsOwners`; then
  /// `health, health_baseline, health_<dimension>...` when `healthDimensions` is set: integers,
  /// baseline + dimensions = health, see `CustomerHealth`; then `survival_1..K,
  /// expected_periods_remaining, median_periods_to_churn` when `survivalPeriods` is set; then
  /// `lifetime_value, value_at_risk` when `showsLifetimeValue`), written atomically. Customers who vanished
  /// since the previous list follow, with an empty rank and `vanished (was P, BAND)`.
  ///
  /// - Throws: `ScoringOutputError.nonFiniteProbability` for a row whose probability is not a
  ///   finite number (checked before anything is written); `FileError` when the file cannot be written.
  ///
  /// With `partial`, the file is one part of a list for `merge(_:reasons:previous:)` (`churn
  /// score --shard` or `--partial`): the same columns, the first named `part_rank`
  /// (`part_rank_by_value` under `RankOrder.value`: the rank within the part, as is the
  /// percentile), and `churn_probability`, `expected_revenue_at_risk`,
  /// `expected_net_value_of_contact`, the survival columns, `lifetime_value` and `value_at_risk` with every digit (the shortest decimal that reads back as the
  /// same number), so that the merge ranks and writes exactly as one run over every customer.
  public func write(to path: String, idHeader: String, top: Int? = nil, partial: Bool = false) throws {
    try checkFinite()
    let file = try OutputFile(path: path)
    try file.write((partial ? PartialList.rankHeader(order) : "rank") + ",\(CSVField.escape(idHeader)),churn_probability,percentile,risk_band,reason_1,reason_2,reason_3,expected_revenue_at_risk,segment,change"
      + (showsNetValue ? ",expected_net_value_of_contact" : "") + (showsWarnings ? ",warnings,band_from" : "") + (showsOwners ? ",owner" : "") + healthHeader + survivalHeader + "\n")
    var line: [UInt8] = []
    for (rank, row) in rows.prefix(top ?? rows.count).enumerated() {
      line.removeAll(keepingCapacity: true)
      DecimalFormatting.appendInteger(rank + 1, to: &line)
      line.append(0x2C)
      line.append(contentsOf: CSVField.escape(row.id).utf8)
      line.append(0x2C)
      Self.appendNumber(row.probability, fractionDigits: 6, partial: partial, to: &line)
      line.append(0x2C)
      DecimalFormatting.appendFixed(percentiles[rank], fractionDigits: 1, to: &line)
      line.append(0x2C)
      line.append(contentsOf: (row.band ?? "").utf8)
      for k in 0..<3 {
        line.append(0x2C)
        if k < row.reasons.count { line.append(contentsOf: CSVField.escape(row.reasons[k]).utf8) }
      }
      line.append(0x2C)
      if let revenue = row.revenueAtRisk, !revenue.isNaN {
        Self.appendNumber(revenue, fractionDigits: 2, partial: partial, to: &line)
      }
      line.append(0x2C)
      line.append(contentsOf: CSVField.escape(row.segment ?? "").utf8)
      line.append(0x2C)
      line.append(contentsOf: CSVField.escape(row.change ?? "").utf8)
      if showsNetValue {
        line.append(0x2C)
        if let net = row.netValueOfContact {
          Self.appendNumber(net, fractionDigits: 2, partial: partial, to: &line)
        }
      }
      if showsWarnings {
        line.append(0x2C)
        line.append(contentsOf: CSVField.escape((row.warnings ?? []).joined(separator: ";")).utf8)
        line.append(0x2C)
        line.append(contentsOf: (row.bandSource ?? "").utf8)
      }
      if showsOwners {
        line.append(0x2C)
        line.append(contentsOf: CSVField.escape(row.owner ?? "").utf8)
      }
      if let names = healthDimensions { appendHealth(row.health, dimensions: names, to: &line) }
      if let periods = survivalPeriods { appendSurvival(row.survival, periods: periods, partial: partial, to: &line) }
      if showsLifetimeValue {
        for value in [row.lifetimeValue, row.valueAtRisk] {
          line.append(0x2C)
          guard let value else { continue }
          Self.appendNumber(value, fractionDigits: 2, partial: partial, to: &line)
        }
      }
      line.append(0x0A)
      try file.write(line)
    }
    for gone in vanished {
      let was = String(format: "vanished (was %.6f%@)", gone.probability, gone.band.map { ", " + $0 } ?? "")
      let health = String(repeating: ",", count: healthDimensions.map { 2 + $0.count } ?? 0)
      let survival = String(repeating: ",", count: (survivalPeriods.map { 2 + $0 } ?? 0) + (showsLifetimeValue ? 2 : 0))
      try file.write(",\(CSVField.escape(gone.id)),,,,,,,,,\(CSVField.escape(was))\(showsNetValue ? "," : "")\(showsWarnings ? ",," : "")\(showsOwners ? "," : "")\(health)\(survival)\n")
    }
    try file.commit()
  }

  /// The list as a JSON array of objects: the CSV's fields, the id under `id`, reasons as an array.
  ///
  /// - Throws: as `write(to:idHeader:top:)`.
  public func writeJSON(to path: String, top: Int? = nil) throws {
    try checkFinite()
    struct Entry: Encodable {
      var rank: Int?
      var id: String
      var churn_probability: Double?
      var percentile: Double?
      var risk_band: String?
      var reasons: [String]
      var expected_revenue_at_risk: Double?
      var segment: String?
      var change: String?
      var expected_net_value_of_contact: Double?
      var warnings: [String]?
      var band_from: String?
      var owner: String?
      var health: Int?
      var health_baseline: Int?
      var health_by_dimension: [String: Int]?
      var survival: [Double]?
      var expected_periods_remaining: Double?
      var median_periods_to_churn: Int?
      var lifetime_value: Double?
      var value_at_risk: Double?
    }
    var entries: [Entry] = []
    for (rank, row) in rows.prefix(top ?? rows.count).enumerated() {
      entries.append(Entry(rank: rank + 1, id: row.id, churn_probability: row.probability, percentile: percentiles[rank],
                           risk_band: row.band, reasons: row.reasons,
                           expected_revenue_at_risk: row.revenueAtRisk.flatMap { $0.isNaN ? nil : $0 }, segment: row.segment,
                           change: row.change, expected_net_value_of_contact: showsNetValue ? row.netValueOfContact : nil,
                           warnings: showsWarnings ? row.warnings ?? [] : nil, band_from: showsWarnings ? row.bandSource : nil,
                           owner: showsOwners ? row.owner : nil,
                           health: healthDimensions == nil ? nil : row.health?.score, health_baseline: healthDimensions == nil ? nil : row.health?.baseline,
                           health_by_dimension: healthDimensions == nil ? nil : row.health.map { h in
                             Dictionary(uniqueKeysWithValues: h.dimensions.map { ($0.name, $0.points) }) },
                           survival: row.survival?.survival, expected_periods_remaining: row.survival?.expectedPeriodsRemaining,
                           median_periods_to_churn: row.survival?.medianPeriodsToChurn,
                           lifetime_value: showsLifetimeValue ? row.lifetimeValue : nil, value_at_risk: showsLifetimeValue ? row.valueAtRisk : nil))
    }
    for gone in vanished {
      entries.append(Entry(rank: nil, id: gone.id, churn_probability: nil, percentile: nil, risk_band: nil, reasons: [],
                           expected_revenue_at_risk: nil, segment: nil,
                           change: String(format: "vanished (was %.6f%@)", gone.probability, gone.band.map { ", " + $0 } ?? "")))
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try OutputFile.write(String(decoding: try encoder.encode(entries), as: UTF8.self) + "\n", to: path)
  }

  /// Throws for the first row whose probability (or revenue at risk) cannot be shown as a number.
  func checkFinite() throws {
    if let bad = rows.first(where: { !$0.probability.isFinite || $0.revenueAtRisk?.isInfinite == true || $0.netValueOfContact?.isFinite == false
      || $0.survival?.survival.contains(where: { !$0.isFinite }) == true || $0.lifetimeValue?.isFinite == false || $0.valueAtRisk?.isFinite == false }) {
      let value = !bad.probability.isFinite ? bad.probability
        : [bad.revenueAtRisk, bad.netValueOfContact, bad.lifetimeValue, bad.valueAtRisk].compactMap { $0 }.first { !$0.isFinite && !$0.isNaN }
          ?? bad.survival?.survival.first { !$0.isFinite } ?? .nan
      throw ScoringOutputError.nonFiniteProbability(id: bad.id, value: value)
    }
  }

  /// The top rows as a terminal table, reasons on the following lines.
  public func text(top: Int, idHeader: String) -> String {
    var lines = ["rank  " + pad(idHeader, 14) + "  churn   band    revenue at risk" + (showsNetValue ? "  net value of a call" : "") + "  segment"]
    for (rank, row) in rows.prefix(top).enumerated() {
      let revenue = row.revenueAtRisk.map { $0.isNaN ? "" : SignedNumber.unsigned($0, decimals: 2) } ?? ""
      let net = showsNetValue ? pad(row.netValueOfContact.map { SignedNumber.text($0, decimals: 2) } ?? "", 21, right: true) : ""
      lines.append(pad(String(rank + 1), 6) + pad(row.id, 14) + String(format: "  %5.1f%%  ", 100 * row.probability)
        + pad(row.band ?? "", 6) + pad(revenue, 17, right: true) + net + "  " + (row.segment ?? ""))
      if let change = row.change { lines.append("        change: " + change) }
      if showsOwners { lines.append("        owner: " + (row.owner ?? "(none)")) }
      if let warnings = row.warnings, !warnings.isEmpty {
        lines.append("        warnings: " + warnings.joined(separator: "; ") + (row.bandSource == "rules" ? " (band from the rules)" : ""))
      }
      if healthDimensions != nil, let health = row.health { lines.append("        health: " + health.text) }
      if let s = row.survival {
        lines.append("        survival: " + s.survival.map { String(format: "%.0f%%", 100 * $0) }.joined(separator: " ")
          + String(format: "; expected %.1f of %d periods; median ", s.expectedPeriodsRemaining, s.periods)
          + (s.medianPeriodsToChurn.map { "period \($0)" } ?? "beyond \(s.periods)"))
      }
      if showsLifetimeValue, let ltv = row.lifetimeValue, let risk = row.valueAtRisk {
        lines.append("        lifetime value: " + SignedNumber.unsigned(ltv, decimals: 2) + "; value at risk: " + SignedNumber.unsigned(risk, decimals: 2))
      }
      for reason in row.reasons { lines.append("        - " + reason) }
    }
    return lines.joined(separator: "\n")
  }

  /// `,health,health_baseline,health_<dimension>...` when the list shows health, else "".
  var healthHeader: String {
    guard let names = healthDimensions else { return "" }
    return ",health,health_baseline" + names.map { "," + CSVField.escape("health_" + $0) }.joined()
  }

  /// `,survival_1,…,survival_K,expected_periods_remaining,median_periods_to_churn` when the list shows survival,
  /// then `,lifetime_value,value_at_risk` when it shows them; "" without either.
  var survivalHeader: String {
    (survivalPeriods.map { k in (1...k).map { ",survival_\($0)" }.joined() + ",expected_periods_remaining,median_periods_to_churn" } ?? "")
      + (showsLifetimeValue ? ",lifetime_value,value_at_risk" : "")
  }

  /// `x` as a list shows it (`fractionDigits` decimals) or, in a part, with every digit (the
  /// shortest decimal that reads back as the same Double), so that a merge ranks and writes the
  /// very numbers one run would.
  static func appendNumber(_ x: Double, fractionDigits: Int, partial: Bool, to line: inout [UInt8]) {
    if partial { line.append(contentsOf: "\(x)".utf8) } else { DecimalFormatting.appendFixed(x, fractionDigits: fractionDigits, to: &line) }
  }

  /// `,S(1),…,S(K),expected,median` of `survival` (6 decimals; every digit in a part, so that a
  /// merge writes the same bytes as one run), blank cells without; the median blank when S
  /// stays above ½.
  func appendSurvival(_ survival: SurvivalCurve?, periods: Int, partial: Bool, to line: inout [UInt8]) {
    guard let survival else {
      line.append(contentsOf: [UInt8](repeating: 0x2C, count: 2 + periods))
      return
    }
    precondition(survival.periods == periods, "a survival curve of \(survival.periods) periods in a list of \(periods)")
    func number(_ x: Double) {
      line.append(0x2C)
      Self.appendNumber(x, fractionDigits: 6, partial: partial, to: &line)
    }
    for s in survival.survival { number(s) }
    number(survival.expectedPeriodsRemaining)
    line.append(0x2C)
    if let median = survival.medianPeriodsToChurn { DecimalFormatting.appendInteger(median, to: &line) }
  }

  /// `,score,baseline,points...` of `health` (blank cells without), in `dimensions` order.
  func appendHealth(_ health: CustomerHealth?, dimensions: [String], to line: inout [UInt8]) {
    guard let health else {
      line.append(contentsOf: [UInt8](repeating: 0x2C, count: 2 + dimensions.count))
      return
    }
    // The names are the list's by construction (`Scorer`): counted here, not compared per row.
    precondition(health.dimensions.count == dimensions.count, "\(health.dimensions.count) health dimensions, list \(dimensions)")
    line.append(0x2C)
    DecimalFormatting.appendInteger(health.score, to: &line)
    line.append(0x2C)
    DecimalFormatting.appendInteger(health.baseline, to: &line)
    for d in health.dimensions {
      line.append(0x2C)
      DecimalFormatting.appendInteger(d.points, to: &line)
    }
  }

  func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    guard s.count < width else { return s }
    let padding = String(repeating: " ", count: width - s.count)
    return right ? padding + s : s + padding
  }
}

extension RankedList {
  /// The ranked list one run over every customer writes, from its parts (`PartialList`): the
  /// customers of all parts ranked together in the parts' order (`RankOrder`: by probability,
  /// highest first, ties by id; or by value at stake), with
  /// percentiles among all of them; reasons kept for the riskiest `reasons` customers only, as
  /// one run gives them; with `previous`, each row's change and the vanished customers against
  /// last week's whole list (a part cannot know who vanished).
  ///
  /// Bands, reasons, revenue at risk, net value of contact, segments, warnings, owners and
  /// health are each customer's own and are taken from the parts as they are.
  ///
  /// - Parameters:
  ///   - parts: every part of the list, in any order; each customer in exactly one.
  ///   - reasons: the `--reasons` the parts were scored with (10,000 by default).
  ///   - previous: last week's list (`PreviousList.entries`), or nil.
  /// - Throws: `PartialListError.noParts`, `.differentColumns` for parts of different lists,
  ///   `.duplicateCustomer` for a customer in two parts (or twice in one).
  /// - Complexity: O(n log n) for n customers.
  public static func merge(_ parts: [PartialList], reasons: Int = 10_000,
                           previous: [String: (probability: Double, band: String?)]? = nil) throws -> RankedList {
    guard let first = parts.first else { throw PartialListError.noParts }
    var all: [RiskRow] = []
    all.reserveCapacity(parts.reduce(0) { $0 + $1.rows.count })
    var place: [String: (part: Int, line: Int)] = [:]
    place.reserveCapacity(all.capacity)
    for (p, part) in parts.enumerated() {
      guard part.header == first.header else {
        let k = zip(part.header, first.header).prefix { $0 == $1 }.count
        throw PartialListError.differentColumns(path: part.path, column: k + 1, found: k < part.header.count ? part.header[k] : nil,
                                                firstPath: first.path, expected: k < first.header.count ? first.header[k] : nil)
      }
      for (row, line) in zip(part.rows, part.lines) {
        if let seen = place[row.id] {
          throw PartialListError.duplicateCustomer(id: row.id, path: part.path, line: line, firstPath: parts[seen.part].path, firstLine: seen.line)
        }
        place[row.id] = (p, line)
        all.append(row)
      }
    }
    var list = RankedList(all, order: first.order)
    list.showsNetValue = first.showsNetValue
    list.showsWarnings = first.showsWarnings
    list.showsOwners = first.showsOwners
    list.healthDimensions = first.healthDimensions
    list.survivalPeriods = first.survivalPeriods
    list.showsLifetimeValue = first.showsLifetimeValue
    for k in list.rows.indices.dropFirst(max(0, reasons)) { list.rows[k].reasons = [] }
    if let previous { list.compare(previous: previous) }
    return list
  }
}

/// A value the list or the report cannot show.
public enum ScoringOutputError: Error, Equatable, CustomStringConvertible {
  /// A customer's churn probability (or revenue at risk) is NaN or infinite.
  case nonFiniteProbability(id: String, value: Double)
  /// The report's `scores[index]` is NaN or infinite.
  case nonFiniteScore(index: Int, value: Double)

  public var description: String {
    switch self {
    case .nonFiniteProbability(let id, let value):
      return "customer \"\(id)\": churn probability \(value.isNaN ? "nan" : "\(value)") cannot be written; "
        + "expected a number from 0 to 1; fix: check this customer's input values for huge numbers"
    case .nonFiniteScore(let index, let value):
      return "score \(index + 1) of the report is \(value.isNaN ? "nan" : "\(value)"); expected a number from 0 to 1; "
        + "fix: check the scored customers' input values for huge numbers"
    }
  }
}
