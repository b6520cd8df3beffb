import ChurnCore
import ChurnFeatures
import ChurnModels
import ChurnScoring
import Foundation

/// Scores customers with a trained model: the weekly list of who is likely to churn and why.
///
/// As of a date, the model's features are recomputed from the event log with the model's
/// feature spec and observation rules (events before the date only); or a prepared table with
/// the model's feature columns is read. Every customer gets a churn probability, a risk band,
/// up to three reasons (the input columns that raise their risk most, with their own values,
/// `RiskScorer`), revenue at risk over the horizon and an RFM segment; the list is ranked and
/// checked for drift against the training distributions.
///
/// ```swift
/// let scorer = Scorer(model: try ModelFile.read(path: "model.json"))
/// let scored = try scorer.score(EventData(events: "events.csv", customers: "customers.csv"), asOf: "2025-12-01")
/// try scored.write(to: "risk.csv")
/// ```
public struct Scorer: Sendable {
  /// The trained model.
  public var model: ModelFile
  /// Where the job's progress lines and notes go.
  public var log: JobLog
  /// Where the model was read from, named in errors about inputs of the wrong kind ("the model"
  /// for a model built in memory).
  public var modelPath: String
  /// Seconds taken to read the model file (`init(contentsOf:log:)`), the first of the timings.
  var readSeconds: Double?

  /// A scorer of an in-memory model.
  public init(model: ModelFile, log: JobLog = .silent) {
    self.model = model
    self.log = log
    modelPath = "the model"
  }

  /// A scorer of the model file at `path`.
  ///
  /// - Throws: the errors of `ModelFile.read(path:)` for a missing, damaged, foreign or newer file.
  public init(contentsOf path: String, log: JobLog = .silent) throws {
    var watch = Stopwatch()
    self.init(model: try ModelFile.read(path: path), log: log)
    readSeconds = watch.lap()
    modelPath = path
  }

  /// Every eligible customer as of `asOf` (a date such as "2025-12-01", midnight UTC), ranked.
  ///
  /// Features are recomputed from the log with the model's spec and observation rules; then
  /// probabilities, bands, reasons, revenue at risk, segments and drift; with
  /// `options.previous`, the comparison with last week's list.
  ///
  /// - Parameters:
  ///   - data: the event log and customer table; their column names are the model's.
  ///   - asOf: the day to score as of.
  ///   - options: revenue column, reasons, explanation method, last week's list.
  /// - Returns: the ranked list and what was found on the way.
  /// - Throws: `ScorerError` (a bad date, negative reasons, a damaged model file);
  ///   `ModelInputError` for a model trained on a table or without the customer table it needs;
  ///   `RevenueColumnError`; `PreviousListError`; `PeriodDiscountError.needsSurvivalModel` for a discount
  ///   of a model without survival curves; the errors of reading the log and the table
  ///   and of scoring (`ScoringError`).
  public func score(_ data: EventData, asOf: String, options: ScoringOptions = ScoringOptions()) throws -> ScoredCustomers {
    try score(.events(data, asOf: asOf), options: options)
  }

  /// Every customer of a prepared table with the model's feature columns, ranked.
  ///
  /// - Throws: as `score(_:asOf:options:)`, and `ModelInputError.eventModelGivenTable` for a
  ///   table without the id column of a model trained from events; `PreprocessingError` for a
  ///   missing feature column; `CustomerRowsError` for an id on two rows.
  public func score(_ table: TableData, options: ScoringOptions = ScoringOptions()) throws -> ScoredCustomers {
    try score(.table(table), options: options)
  }

  /// The customers of `source`, ranked (see `score(_:asOf:options:)`).
  public func score(_ source: CustomerSource, options: ScoringOptions = ScoringOptions()) throws -> ScoredCustomers {
    guard options.reasons >= 0 else { throw ScorerError.negativeReasons(options.reasons) }
    try options.checkValueInputs()
    if options.purchaseValue != nil { _ = try Self.purchaseEvents(source) }
    if options.discount != .none && model.survival == nil { throw PeriodDiscountError.needsSurvivalModel(model: modelPath) }
    var timings = readSeconds.map { [ScoringTiming(step: "model", seconds: $0)] } ?? []
    var watch = Stopwatch()
    let rows = keeping(options.shard, of: try self.rows(source, revenueColumn: options.revenueColumn, ownerColumn: options.ownerColumn ?? model.ownerColumn))
    let explanation = try partExplanation(options, population: rows.population)
    // Last week's list is checked before the work, so a wrong file costs nothing.
    let last = try options.previous.map { try PreviousList(path: $0, idColumn: rows.idHeader) }
    timings.append(ScoringTiming(step: "input", seconds: watch.lap()))
    let purchase = try options.purchaseValue.map { try purchaseValue(source, asOf: rows.asOf, settings: $0) }
    if purchase != nil { timings.append(ScoringTiming(step: "lifetime value", seconds: watch.lap())) }
    let (scored, list) = try rank(rows, reasons: options.reasons, explanation: explanation, announce: true, timings: &timings,
                                  rules: try options.rules ?? model.storedRules(path: modelPath), health: options.health ? options.groups : nil,
                                  order: options.rankBy, contact: options.contact, discount: options.discount, purchase: purchase)
    watch = Stopwatch()
    var result = ScoredCustomers(list: list, idHeader: rows.idHeader, asOf: rows.asOf, described: rows.described, notes: rows.notes,
                                 drift: (rows.features.rowCount == 0 ? [] : model.drift(rows.features, scores: scored.map(\.probability))).map { ColumnDrift(column: $0.column, psi: $0.psi) })
    result.contact = options.contact.map { Self.naming($0, purchase: purchase) }
    for line in result.driftLines { log.line(line) }
    timings.append(ScoringTiming(step: "drift check", seconds: watch.lap()))
    if let last {
      result.list.compare(previous: last.entries)
      let comparison = PreviousComparison(path: last.path, new: result.list.rows.filter { $0.change == "new" }.count, vanished: result.list.vanished.count,
                                          changedBand: result.list.rows.filter { $0.change?.contains("→") == true }.count)
      log.line("against \(comparison.path): \(comparison.new) new, \(comparison.vanished) vanished, \(comparison.changedBand) changed band")
      result.previous = comparison
    }
    result.timings = timings
    return result
  }

  /// The explanation method of `options`, for a part of a list (a shard, or `options.part`)
  /// the one a run over all `population` customers would use: `.auto` of a tree model decides
  /// by the number of customers, which a shard knows and a part without one does not.
  ///
  /// - Throws: `ScorerError.partNeedsExplanation` when the part cannot decide as the whole list would.
  func partExplanation(_ options: ScoringOptions, population: Int) throws -> RiskScorer.Explanation {
    guard options.part || options.shard != nil, options.explanation == .auto, model.model.exactExplanationCost > 0 else { return options.explanation }
    guard options.shard != nil else { throw ScorerError.partNeedsExplanation }
    let scorer = RiskScorer(model: model)
    let reasonsExact = scorer.usesExactShapley(rows: min(options.reasons, population), method: .auto)
    let healthExact = options.health ? scorer.usesExactShapley(rows: population, method: .auto) : reasonsExact
    guard reasonsExact == healthExact else { throw ScorerError.partNeedsExplanation }
    return reasonsExact ? .exact : .path
  }

  /// Scores `rows` and ranks them in `order`, reasons for the first `reasons` rows of the list,
  /// with `health` every row's health by the dimensions of those rules (`HealthDimensions`),
  /// with `contact` every row's net value of a contact; with `announce`, says on `log` how a
  /// forest's reasons are computed. A survival model's rows get their survival curve and, with
  /// a revenue column, their lifetime value and value at risk discounted by `discount`, which
  /// become the value at stake (`RiskRow.valueAtStake`) the order and the economics read.
  /// With `purchase`, every row's lifetime value and value at risk are its BTYD values
  /// (`PurchaseValue`; none for a customer without a purchase before the as-of date).
  func rank(_ rows: ScoringRows, reasons: Int, explanation: RiskScorer.Explanation, announce: Bool,
            timings: inout [ScoringTiming], rules: WarningRules? = nil, health: Attribution? = nil,
            order: RankOrder = .risk, contact: ContactEconomics? = nil, discount: DiscountRate = .none,
            purchase: PurchaseValue? = nil) throws -> (scored: [RiskRow], list: RankedList) {
    // The rules' columns are checked before the scoring work.
    let warnings = try rules?.warnings(in: rows.features)
    let scorer = RiskScorer(model: model)
    let features = try model.scoringRows(rows.features)
    let cost = model.model.exactExplanationCost
    if announce && cost > 0 && reasons > 0 {
      let count = min(reasons, features.rowCount)
      log.line("reasons for the \(count) riskiest customers from " + (scorer.usesExactShapley(rows: count, method: explanation) ? "exact TreeSHAP values"
        : "path contributions (Saabas; --explain exact for TreeSHAP values, which cost about 0.02 µs per tree node per customer: \(cost) nodes here)"))
    }
    let dimensions = health.map { HealthDimensions(columns: model.preprocessor.inputNames, attribution: $0) }
    if announce, dimensions != nil, cost > 0, scorer.usesExactShapley(rows: min(reasons, features.rowCount), method: explanation),
       !scorer.usesExactShapley(rows: features.rowCount, method: explanation) {
      log.line("health dimensions of all \(features.rowCount) customers from path contributions (over the exact budget; --explain exact for TreeSHAP values)")
    }
    // Survival curves before the reasons: a value order reads the value at risk they give.
    let curves = try model.survivalCurves(rows.features)
    let (revenue, months) = (rows.revenue, rows.horizonMonths)
    func riskRow(_ s: RiskScorer.Scored, _ i: Int) -> RiskRow {
      var row = Self.riskRow(s)
      // Revenue per period: monthly revenue × the horizon in months, as expected_revenue_at_risk's.
      if let curves {
        row.setSurvival(SurvivalCurve(survival: curves[i]), revenuePerPeriod: revenue.map { $0[i] * months }, discount: discount.perPeriod(months: months))
      }
      if let purchase {
        let values = purchase.values(of: row.id)
        (row.lifetimeValue, row.valueAtRisk) = (values?.lifetimeValue, values?.valueAtRisk)
      }
      return row
    }
    var steps: [ScoringTiming] = []
    let scored = try scorer.scoreRows(features, revenue: rows.revenue, horizonMonths: rows.horizonMonths, reasonRows: reasons, method: explanation,
                                      dimensions: dimensions.map { RiskScorer.Dimensions(ofColumn: $0.dimensionOfColumn, count: $0.names.count) },
                                      listOrder: order == .risk ? nil : { RankedList.order(of: $0.enumerated().map { riskRow($1, $0) }, by: order) }) {
      steps.append(ScoringTiming(step: $0, seconds: $1))
    }
    var watch = Stopwatch()
    var riskRows = scored.enumerated().map { i, s in
      var row = riskRow(s, i)
      if let dimensions, let base = s.base {
        row.health = dimensions.health(probability: s.probability, base: base, dimensionContributions: s.dimensionContributions)
      }
      return row
    }
    if let warnings {
      for (i, w) in warnings.enumerated() {
        let (band, source) = WarningRules.band(model: riskRows[i].band, rules: w.severity)
        (riskRows[i].band, riskRows[i].bandSource, riskRows[i].warnings) = (band, source, w.names)
      }
    }
    if let owners = rows.owners {
      for i in riskRows.indices { riskRows[i].owner = owners[i] }
    }
    var list = RankedList(riskRows, order: order)
    if let contact { list.price(contact) }
    list.survivalPeriods = model.survival?.periods
    list.showsLifetimeValue = (curves != nil && revenue != nil) || purchase != nil
    list.showsWarnings = warnings != nil
    list.showsOwners = rows.owners != nil
    list.healthDimensions = dimensions?.names
    timings += steps + [ScoringTiming(step: "reasons in words and ranking", seconds: watch.lap())]
    return (riskRows, list)
  }

  /// The BTYD values of the customers of `source` as of `asOf` (`PurchaseValue`), from the
  /// event log read with the model's column names.
  ///
  /// - Throws: `PurchaseValueError.needsEventLog` for a table or a database; the errors of `PurchaseValue.init`.
  func purchaseValue(_ source: CustomerSource, asOf: Int64?, settings: PurchaseValue.Settings) throws -> PurchaseValue {
    let value = try PurchaseValue(try modelEventData(try Self.purchaseEvents(source)), asOf: asOf!, settings: settings)  // events always set the as-of date
    log.line(value.summary)
    return value
  }

  /// `contact`, naming the customers without a value at stake as those without a purchase when
  /// the values are `purchase`'s.
  static func naming(_ contact: ContactEconomics, purchase: PurchaseValue?) -> ContactEconomics {
    var named = contact
    if purchase != nil { named.unknownValue = "without a purchase before the as-of date" }
    return named
  }

  /// The event log of `source`, where purchase values come from.
  ///
  /// - Throws: `PurchaseValueError.needsEventLog` for a table or a database.
  static func purchaseEvents(_ source: CustomerSource) throws -> EventData {
    switch source {
    case .events(let events, _): return events
    case .table(let table): throw PurchaseValueError.needsEventLog(source: "--table \(table.path)")
    case .database(let database, _): throw PurchaseValueError.needsEventLog(source: "--database table \(database.eventsTable)")
    }
  }

  /// The list's row of a scored customer: reasons in words (`ReasonText`), no health, rules or owner yet.
  static func riskRow(_ s: RiskScorer.Scored) -> RiskRow {
    RiskRow(id: s.id, probability: s.probability, band: s.band, reasons: s.reasons.map(ReasonText.reason), revenueAtRisk: s.revenueAtRisk,
            segment: s.segment)
  }
}

/// How `Scorer` scores: the revenue column, how many customers get reasons and how, last week's list.
public struct ScoringOptions: Sendable {
  /// Customer-table (or table) column with monthly revenue, for expected revenue at risk over the horizon.
  public var revenueColumn: String?
  /// Reasons are given to this many of the riskiest customers (0 or more).
  public var reasons: Int
  /// How a forest's reasons are computed.
  public var explanation: RiskScorer.Explanation
  /// Last week's ranked list (a CSV `ScoredCustomers.write` wrote): adds the change in points,
  /// band moves, new and vanished customers.
  public var previous: String?
  /// Warning rules: each customer's fired rules go in `warnings` (red first), and the band
  /// becomes the worse of the model's and the rules' severity (`WarningRules.band`). Without
  /// them, the rules the model stores (`ModelFile.carrying`), if any.
  public var rules: WarningRules?
  /// The customer-table (or table) column naming each customer's owner: adds `owner` to every
  /// row. Without it, the model's (`churn train --owner-column`), if any.
  public var ownerColumn: String?
  /// Whether every customer gets a health score and its dimensions (`CustomerHealth`, the
  /// list's `health` columns); computing them explains every customer, not only the riskiest.
  public var health: Bool
  /// The rules that place input columns in health dimensions: the default categories
  /// (service, engagement, finance, commercial, account), or a `--groups` file's.
  public var groups: Attribution
  /// Score only the customers whose id hashes into this shard (`CustomerShard`); a part of the
  /// list for `RankedList.merge(_:reasons:previous:)`.
  public var shard: CustomerShard?
  /// Whether the customers are one part of a larger list (a shard, or a partition scored
  /// elsewhere, `churn score --partial`): `.auto` explanations of a tree model then decide as
  /// the whole list would, or are refused when the part cannot know its size.
  public var part = false
  /// The list's order: by churn probability (`.risk`, the default) or by value at stake
  /// (`.value`, which needs `revenueColumn`); see `RankOrder`.
  public var rankBy = RankOrder.risk
  /// The economics of a retention contact: every row gets `netValueOfContact` (the list's
  /// `expected_net_value_of_contact`) and `ScoredCustomers.contactCut` says who is worth a
  /// call. Needs `revenueColumn`.
  public var contact: ContactEconomics?
  /// The monthly discount rate of a survival model's `lifetime_value` and `value_at_risk`
  /// (per period δ = (1 + d)^−(horizon in months), `SurvivalCurve.lifetimeValue`); none by default.
  public var discount = DiscountRate.none
  /// For purchase data: each customer's lifetime value and value at risk from the BTYD models
  /// fitted on the event log's purchases before the as-of date (`PurchaseValue`; the settings
  /// carry their own discount). They fill `lifetime_value` and `value_at_risk` and are the
  /// value at stake of `rankBy` `.value` and `contact`. Not with `revenueColumn`.
  public var purchaseValue: PurchaseValue.Settings?

  /// Throws `PurchaseValueError.withRevenueColumn` for two sources of value;
  /// `ContactEconomicsError.needsRevenue` for value ranking or contact economics, `PeriodDiscountError.needsRevenue`
  /// for a discount, without a source of value.
  func checkValueInputs() throws {
    if let revenueColumn, purchaseValue != nil { throw PurchaseValueError.withRevenueColumn(column: revenueColumn) }
    if purchaseValue != nil && discount != .none { throw PeriodDiscountError.needsRevenue }
    guard revenueColumn == nil && purchaseValue == nil else { return }
    if contact != nil { throw ContactEconomicsError.needsRevenue(flag: "--contact-cost") }
    if rankBy == .value { throw ContactEconomicsError.needsRevenue(flag: "--rank-by value") }
    if discount != .none { throw PeriodDiscountError.needsRevenue }
  }

  /// Options with the defaults of `churn score`: no revenue, reasons for the riskiest 10,000, `.auto` explanations.
  public init(revenueColumn: String? = nil, reasons: Int = 10_000, explanation: RiskScorer.Explanation = .auto, previous: String? = nil,
              rules: WarningRules? = nil, ownerColumn: String? = nil, health: Bool = true, groups: Attribution = Attribution()) {
    self.ownerColumn = ownerColumn
    self.health = health
    self.groups = groups
    self.revenueColumn = revenueColumn
    self.reasons = reasons
    self.explanation = explanation
    self.previous = previous
    self.rules = rules
  }
}

/// A file format of the ranked list.
public enum ListFormat: String, Sendable, CaseIterable {
  /// rank, id, churn_probability, percentile, risk_band, reason_1..3, expected_revenue_at_risk, segment, change
  /// (warnings, band_from with rules; health, health_baseline, health_<dimension>... with health).
  case csv
  /// An array of objects with the CSV's fields, the id under `id`, the reasons as an array and
  /// the health dimensions as `health_by_dimension`, an object of dimension → points.
  case json
}

/// One step of a scoring job and the seconds it took.
public struct ScoringTiming: Sendable, Equatable {
  /// "input", "preprocess", "predict", "explain", "drift check"...
  public var step: String
  public var seconds: Double

  /// A step and its seconds.
  public init(step: String, seconds: Double) {
    self.step = step
    self.seconds = seconds
  }

  /// "predict 0.3 s".
  public var text: String { String(format: "%@ %.1f s", step, seconds) }
}

/// The population stability index of one input column (or "(churn score)") against training.
public struct ColumnDrift: Sendable, Equatable {
  /// The input column, or "(churn score)".
  public var column: String
  /// The population stability index: Σ (a − e) ln(a / e) over bins; above 0.2 is a shift.
  public var psi: Double
}

/// This week's list against last week's.
public struct PreviousComparison: Sendable, Equatable {
  /// Last week's list.
  public var path: String
  /// Customers not on last week's list.
  public var new: Int
  /// Customers on last week's list who are not scored now.
  public var vanished: Int
  /// Customers whose risk band changed.
  public var changedBand: Int
}

/// The scored customers, ranked by churn probability, with what the job found on the way.
public struct ScoredCustomers: Sendable {
  /// The ranked list: probability, band, reasons, revenue at risk, segment, change per customer.
  public var list: RankedList
  /// The name of the id column (the model's customer column, or the table's id column).
  public var idHeader: String
  /// The as-of instant (midnight UTC, ms) when scored from events.
  public var asOf: Int64?
  /// "as of 2025-12-01" or "from TABLE.csv".
  public var described: String
  /// Each input column's drift since training, and the score's, largest first.
  public var drift: [ColumnDrift]
  /// The comparison with last week's list, when one was given.
  public var previous: PreviousComparison?
  /// The seconds each step took.
  public var timings: [ScoringTiming] = []
  /// What the job noted on the data, as logged: skipped event rows, and per categorical column
  /// the levels the model never saw (scored as its reference level).
  public var notes: [String]

  /// The economics of a contact the list was priced with (`ScoringOptions.contact`).
  public var contact: ContactEconomics?

  /// The number of customers scored.
  public var count: Int { list.rows.count }

  /// Who is worth a call (`ContactCut`), when the list was priced with contact economics.
  public var contactCut: ContactCut? { contact.map(list.contactCut) }

  init(list: RankedList, idHeader: String, asOf: Int64?, described: String, notes: [String], drift: [ColumnDrift]) {
    self.notes = notes
    self.list = list
    self.idHeader = idHeader
    self.asOf = asOf
    self.described = described
    self.drift = drift
  }

  /// The columns whose population stability index exceeds 0.2 (a shift worth a look).
  public var shifted: [ColumnDrift] { drift.filter { $0.psi > 0.2 } }

  /// The drift check in words: a warning naming the shifted columns, or the largest index.
  public var driftLines: [String] {
    let shifted = self.shifted
    if shifted.isEmpty {
      return drift.first.map { [String(format: "drift check: no column shifted (largest population stability index %.3f, %@)", $0.psi, $0.column)] } ?? []
    }
    let named = shifted.prefix(8).map { String(format: "%@ %.2f", $0.column, $0.psi) }.joined(separator: ", ")
    return ["WARNING: \(shifted.count) columns shifted since training (population stability index > 0.2): \(named)" + (shifted.count > 8 ? ", ..." : "")]
  }

  /// Writes the list (the riskiest `top` rows, or all) to `path`: exactly the file `churn score --out` writes.
  ///
  /// - Throws: `ScoringOutputError` for a probability that is not a finite number; `FileError`
  ///   when the file cannot be written.
  ///
  /// With `partial`, writes one part of a list for `RankedList.merge(_:reasons:previous:)`
  /// (CSV only; see `RankedList.write(to:idHeader:top:partial:)`).
  public func write(to path: String, format: ListFormat = .csv, top: Int? = nil, partial: Bool = false) throws {
    precondition(!partial || format == .csv, "a part of a list is written as CSV, not \(format)")
    switch format {
    case .csv: try list.write(to: path, idHeader: idHeader, top: top, partial: partial)
    case .json: try list.writeJSON(to: path, top: top)
    }
  }
}

/// Seconds since the last lap.
struct Stopwatch {
  let clock = ContinuousClock()
  var mark: ContinuousClock.Instant

  init() { mark = clock.now }

  mutating func lap() -> Double {
    let now = clock.now
    let d = (now - mark).components
    mark = now
    return Double(d.seconds) + Double(d.attoseconds) * 1e-18
  }
}
