import ChurnCore
import ChurnFeatures
import ChurnModels
import ChurnScoring
import Foundation

/// The Monday-morning brief: for each owner (an account manager), their new warnings since last
/// week's list, the customers whose risk rose most, and their key accounts with a trend.
///
/// Built by `Scorer.brief(_:asOf:options:)` from one scoring of the event log as of a date
/// (the same ranked list `churn score` writes, with the model's or the given warning rules),
/// last week's list (`BriefOptions.previous`) and the model's probabilities at a few earlier
/// cutoffs (the trend). Written by `write(to:)` as one HTML page and one CSV per owner.
///
/// - A *warning* is a customer whose band is red or yellow, by the model's band cut points or
///   by a warning rule (whichever is worse, as in `churn score --rules`).
/// - A *new warning* is a warned customer who was not warned on last week's list: absent from
///   it, or green there. Red ones come first. Without a previous list every warning is listed.
/// - A *mover* is a customer on both lists whose probability rose; the largest rises first.
/// - *Key accounts* are the owner's customers with the highest monthly revenue
///   (`BriefOptions.revenueColumn`), each with the model's probability at the trend cutoffs.
///
/// Customers whose owner is blank are briefed under "unassigned".
public struct WeeklyBrief: Sendable {
  /// One customer as the brief shows it.
  public struct Account: Sendable, Equatable {
    public var id: String
    public var owner: String?
    public var probability: Double
    /// red, yellow or green (after the rules).
    public var band: String?
    /// With rules: "model", "rules" or "both" (see `RiskRow.bandSource`).
    public var bandSource: String?
    /// The warning rules that fired, red first.
    public var warnings: [String]
    /// The reasons in words (`ReasonText`), strongest first.
    public var reasons: [String]
    /// Monthly revenue, when a revenue column was given and the customer has a value.
    public var monthlyRevenue: Double?
    /// Probability and band on last week's list; nil when the customer was not on it.
    public var previousProbability: Double?
    public var previousBand: String?
    /// The model's probability at each of `WeeklyBrief.trendCutoffs` (nil where the customer
    /// was not eligible then), ending with `probability`.
    public var trend: [Double?]
    /// With contact economics: the value at stake (`RiskRow.valueAtStake`) and the expected net
    /// value of a contact, S × value at stake − C (nil when the revenue is unknown).
    public var valueAtStake: Double?
    public var netValueOfContact: Double?
    /// A survival model scored with a revenue column: the customer's lifetime value and value
    /// at risk over the model's K periods, discounted by `BriefOptions.discount` (the ranked
    /// list's `lifetime_value` and `value_at_risk`, `RiskRow.lifetimeValue`); nil otherwise or
    /// without a revenue value.
    public var lifetimeValue: Double? = nil
    public var valueAtRisk: Double? = nil

    /// Whether the band is red or yellow.
    public var isWarned: Bool { Self.warns(band) }
    /// The change since last week's list in probability points (nil when not on it).
    public var risePoints: Double? { previousProbability.map { 100 * (probability - $0) } }

    static func warns(_ band: String?) -> Bool { band == "red" || band == "yellow" }
  }

  /// One owner's part of the brief.
  public struct OwnerBrief: Sendable, Equatable {
    /// The owner as the customer table writes it; nil for customers with no owner.
    public var owner: String?
    /// The owner, or "unassigned".
    public var title: String { owner ?? "unassigned" }
    /// The file name without extension, safe on every file system (`BriefFileNames`).
    public var fileStem: String
    /// Every scored customer of this owner.
    public var customers: Int
    public var red: Int
    public var yellow: Int
    /// Warned customers not warned on last week's list (all warned customers without one):
    /// red first, then yellow, each by probability, highest first.
    public var newWarnings: [Account]
    /// Customers on both lists whose probability rose, largest rise first (at most
    /// `BriefOptions.movers`).
    public var movers: [Account]
    /// The highest monthly revenue first (at most `BriefOptions.keyAccounts`).
    public var keyAccounts: [Account]
    /// With contact economics: who of this owner's customers is worth a call (`ContactCut` of
    /// their rows), and those customers, highest net value first.
    public var contactCut: ContactCut? = nil
    public var calls: [Account] = []
    /// With lifetime values (`WeeklyBrief.lifetimeValue`): the sums of `lifetimeValue` and
    /// `valueAtRisk` over every customer of this owner with a revenue value, and how many
    /// customers that is.
    public var lifetimeValue: Double? = nil
    public var valueAtRisk: Double? = nil
    public var valuedCustomers = 0
  }

  /// What the brief's lifetime values are: a survival model's, over `periods` periods of the
  /// model's horizon, discounted at a monthly rate (`BriefOptions.discount`).
  public struct LifetimeValues: Sendable, Equatable {
    /// K.
    public var periods: Int
    /// The horizon, such as "30d".
    public var horizon: String
    /// The monthly discount rate d (0: none).
    public var monthlyDiscount: Double
  }

  /// "2025-12-01".
  public var asOf: String
  /// The owner column as the customer table names it.
  public var ownerColumn: String
  /// The model's id column ("customer_id").
  public var idHeader: String
  /// Last week's list, when one was given.
  public var previous: String?
  /// The revenue column, when one was given.
  public var revenueColumn: String?
  /// Whether warning rules were applied (the model's or given ones).
  public var usesRules: Bool
  /// The dates of the trend's points, oldest first, ending with `asOf`.
  public var trendCutoffs: [String]
  /// One brief per owner, by owner name, "unassigned" last.
  public var owners: [OwnerBrief]
  /// What the build noted (trend cutoffs left out before the data, ...).
  public var notes: [String] = []
  /// The monthly analysis of the months before `asOf` (`BriefOptions.monthlyCutoffs`), the
  /// page `monthly.html` the index links to; nil when none was asked for or no month qualified.
  public var monthly: MonthlyAnalysis?
  /// With contact economics: who is worth a call over every owner's customers, the cut
  /// `churn score` prints for the same list.
  public var contactCut: ContactCut?
  /// A survival model scored with a revenue column: every listed customer's lifetime value and
  /// value at risk, and each owner's totals; nil otherwise.
  public var lifetimeValue: LifetimeValues? = nil
}

/// What `Scorer.brief` needs beyond the data: the owner and revenue columns, last week's
/// list, rules, and how much each section shows.
public struct BriefOptions: Sendable {
  /// The customer-table column naming each customer's owner; nil: the model's.
  public var ownerColumn: String?
  /// The customer-table column of monthly revenue, for key accounts.
  public var revenueColumn: String?
  /// Last week's ranked list (the CSV `churn score --out` wrote).
  public var previous: String?
  /// Warning rules; nil: the model's stored rules, if any.
  public var rules: WarningRules?
  /// Movers and key accounts listed per owner.
  public var movers: Int
  public var keyAccounts: Int
  /// Points of the key accounts' trend (the as-of date included), `trendStep` apart.
  public var trendPoints: Int
  public var trendStep: CalendarSpan
  /// Reasons are computed for this many of the riskiest customers (all by default).
  public var reasons: Int
  /// The monthly analysis in the brief (`monthly.html`): churn rate by segment, churned against
  /// retained, satisfaction and NPS, over the last this many month starts whose label window
  /// (the model's horizon) closed by the as-of date; 0 leaves it out.
  public var monthlyCutoffs: Int
  /// The event types of satisfaction surveys and NPS answers for the monthly analysis.
  public var monthlySettings: MonthlyAnalysis.Settings
  /// The economics of a retention contact: each owner's calls and totals (`ContactCut`).
  /// Needs `revenueColumn` or `purchaseValue`.
  public var contact: ContactEconomics?
  /// For purchase data: each customer's BTYD lifetime value and value at risk
  /// (`ScoringOptions.purchaseValue`), the value at stake of `contact`. Not with `revenueColumn`.
  public var purchaseValue: PurchaseValue.Settings?
  /// The monthly discount rate of a survival model's lifetime value and value at risk, as
  /// `ScoringOptions.discount` (`churn brief --discount`); needs `revenueColumn` and a survival model.
  public var discount = DiscountRate.none

  public init(ownerColumn: String? = nil, revenueColumn: String? = nil, previous: String? = nil, rules: WarningRules? = nil,
              movers: Int = 10, keyAccounts: Int = 5, trendPoints: Int = 6, trendStep: CalendarSpan = .months(1), reasons: Int = .max,
              monthlyCutoffs: Int = 12, monthlySettings: MonthlyAnalysis.Settings = MonthlyAnalysis.Settings(), contact: ContactEconomics? = nil) {
    self.contact = contact
    self.monthlyCutoffs = monthlyCutoffs
    self.monthlySettings = monthlySettings
    self.ownerColumn = ownerColumn
    self.revenueColumn = revenueColumn
    self.previous = previous
    self.rules = rules
    self.movers = movers
    self.keyAccounts = keyAccounts
    self.trendPoints = trendPoints
    self.trendStep = trendStep
    self.reasons = reasons
  }

  /// The most trend points (two years of months).
  public static let maximumTrendPoints = 24
  /// The most months of the monthly analysis (five years).
  public static let maximumMonthlyCutoffs = 60
  /// The most movers or key accounts per owner.
  public static let maximumListed = 1000
}

/// A brief that cannot be made.
public enum BriefError: Error, Equatable, CustomStringConvertible {
  /// Neither the options nor the model name an owner column.
  case noOwnerColumn(model: String)
  /// A count out of its range: movers, key accounts or trend points.
  case badCount(option: String, value: Int, range: ClosedRange<Int>)

  public var description: String {
    switch self {
    case .noOwnerColumn(let model):
      return "\(model) names no owner column and none was given; expected the customer-table column that names each customer's owner; "
        + "fix: pass --owner-column COLUMN (such as account_manager), or train the model with --owner-column"
    case .badCount(let option, let value, let range):
      return "\(option) \(value) is out of range; expected \(range.lowerBound) to \(range.upperBound); fix: pass a count in that range"
    }
  }
}

extension Scorer {
  /// The weekly brief as of `asOf`, per owner (see `WeeklyBrief`).
  ///
  /// Scores every eligible customer as `score(_:asOf:options:)` does (rules: the given ones,
  /// else the model's), reads last week's list, and recomputes the model's probabilities at
  /// the trend cutoffs (`asOf` minus 1...`trendPoints − 1` steps, in one pass over the log;
  /// cutoffs before the first event are left out with a note).
  ///
  /// - Throws: `BriefError` for no owner column or a count out of range; `OwnerColumnError`;
  ///   the errors of `score(_:asOf:options:)` (`PreviousListError`, `RevenueColumnError`, ...).
  public func brief(_ data: EventData, asOf: String, options: BriefOptions = BriefOptions()) throws -> WeeklyBrief {
    try brief(.events(data, asOf: asOf), options: options)
  }

  /// The brief from an event log's files or a database's tables (`source` is `.events` or `.database`).
  func brief(_ source: CustomerSource, options: BriefOptions) throws -> WeeklyBrief {
    for (option, value, range) in [("--movers", options.movers, 0...BriefOptions.maximumListed),
                                   ("--key-accounts", options.keyAccounts, 0...BriefOptions.maximumListed),
                                   ("--trend-points", options.trendPoints, 1...BriefOptions.maximumTrendPoints),
                                   ("--monthly-cutoffs", options.monthlyCutoffs, 0...BriefOptions.maximumMonthlyCutoffs)]
    where !range.contains(value) {
      throw BriefError.badCount(option: option, value: value, range: range)
    }
    guard let ownerColumn = options.ownerColumn ?? model.ownerColumn else { throw BriefError.noOwnerColumn(model: modelPath) }
    var scoring = ScoringOptions(revenueColumn: options.revenueColumn, reasons: options.reasons, previous: options.previous,
                                 rules: options.rules, ownerColumn: ownerColumn)
    (scoring.contact, scoring.purchaseValue, scoring.discount) = (options.contact, options.purchaseValue, options.discount)
    let scored = try score(source, options: scoring)
    let asOfInstant = scored.asOf!  // scoring from events or a database always sets it
    let last = try options.previous.map { try PreviousList(path: $0, idColumn: scored.idHeader) }

    // The trend: the model's probabilities at earlier cutoffs, and monthly revenue, in one pass.
    var notes: [String] = []
    var earlier = (1..<options.trendPoints).reversed().map { options.trendStep.added(to: asOfInstant, times: -$0) }
    var trendByCutoff: [Int64: [String: Double]] = [:]
    var revenue: [String: Double] = [:]
    while !earlier.isEmpty || options.revenueColumn != nil {
      do {
        let (result, table) = try build(source, cutoffs: earlier.isEmpty ? [asOfInstant] : earlier, extraNumeric: options.revenueColumn)
        if !earlier.isEmpty {
          let p = try model.probabilities(try model.scoringRows(result.table))
          for (k, id) in result.table.ids.enumerated() { trendByCutoff[result.table.cutoffs![k], default: [:]][id] = p[k] }
        }
        if let column = options.revenueColumn, let table,
           let index = table.attributes.firstIndex(where: { $0.name.lowercased() == column.lowercased() }),
           case .numeric(let values) = table.attributeColumns[index] {
          for (row, id) in table.ids.enumerated() where !values[row].isNaN { revenue[id] = values[row] }
        }
        break
      } catch FeatureError.cutoffBeforeData(let cutoff, let firstEvent) where !earlier.isEmpty {
        // A trend reaching back before the log starts: keep the points after its start.
        guard let instant = UTCTime.parseMilliseconds(cutoff) else { throw FeatureError.cutoffBeforeData(cutoff: cutoff, firstEvent: firstEvent) }
        earlier.removeAll { $0 <= instant }
        notes.append("trend cutoff \(cutoff) is not after the first event (\(firstEvent)); the trend starts later")
      }
    }
    let cutoffs = earlier + [asOfInstant]

    var byOwner: [String?: [WeeklyBrief.Account]] = [:]
    var rowsByOwner: [String?: [RiskRow]] = [:]
    for row in scored.list.rows {
      rowsByOwner[row.owner, default: []].append(row)
      let before = last?.entries[row.id]
      var trend: [Double?] = earlier.map { trendByCutoff[$0]?[row.id] }
      trend.append(row.probability)
      let account = WeeklyBrief.Account(id: row.id, owner: row.owner, probability: row.probability, band: row.band, bandSource: row.bandSource,
                                        warnings: row.warnings ?? [], reasons: row.reasons, monthlyRevenue: revenue[row.id],
                                        previousProbability: before?.probability, previousBand: before?.band, trend: trend,
                                        valueAtStake: options.contact == nil ? nil : row.valueAtStake, netValueOfContact: row.netValueOfContact,
                                        lifetimeValue: row.lifetimeValue, valueAtRisk: row.valueAtRisk)
      byOwner[row.owner, default: []].append(account)
    }
    let names = BriefFileNames(owners: byOwner.keys.compactMap { $0 }.sorted(), unassigned: byOwner[nil] != nil)
    var owners: [WeeklyBrief.OwnerBrief] = []
    for owner in byOwner.keys.sorted(by: { ($0 == nil ? 1 : 0, $0 ?? "") < ($1 == nil ? 1 : 0, $1 ?? "") }) {
      let accounts = byOwner[owner]!  // in rank order: probability, highest first
      let warned = accounts.filter { $0.isWarned && (last == nil || !WeeklyBrief.Account.warns($0.previousBand)) }
      let newWarnings = warned.filter { $0.band == "red" } + warned.filter { $0.band == "yellow" }
      let movers = accounts.filter { ($0.risePoints ?? 0) >= 0.05 }
        .sorted { a, b in a.risePoints! != b.risePoints! ? a.risePoints! > b.risePoints! : a.id < b.id }
      let keyAccounts = accounts.filter { $0.monthlyRevenue != nil }
        .sorted { a, b in a.monthlyRevenue! != b.monthlyRevenue! ? a.monthlyRevenue! > b.monthlyRevenue! : a.id < b.id }
      var brief = WeeklyBrief.OwnerBrief(owner: owner, fileStem: names.stem(for: owner), customers: accounts.count,
                                         red: accounts.filter { $0.band == "red" }.count, yellow: accounts.filter { $0.band == "yellow" }.count,
                                         newWarnings: newWarnings, movers: Array(movers.prefix(options.movers)),
                                         keyAccounts: Array(keyAccounts.prefix(options.keyAccounts)))
      if scored.list.showsLifetimeValue {
        let valued = accounts.filter { $0.lifetimeValue != nil }
        brief.valuedCustomers = valued.count
        brief.lifetimeValue = valued.reduce(0) { $0 + $1.lifetimeValue! }
        brief.valueAtRisk = valued.reduce(0) { $0 + $1.valueAtRisk! }
      }
      if let contact = scored.contact {  // options.contact, naming who has no value as the scoring does
        let cut = ContactCut(rowsByOwner[owner]!, economics: contact)
        let account = Dictionary(uniqueKeysWithValues: accounts.map { ($0.id, $0) })
        (brief.contactCut, brief.calls) = (cut, cut.calls.map { account[$0.id]! })
      }
      owners.append(brief)
    }
    let monthly = try monthlyAnalysis(source, asOf: asOfInstant, options: options, notes: &notes)
    for note in notes { log.note(note) }
    var brief = WeeklyBrief(asOf: UTCTime.formatDate(milliseconds: asOfInstant), ownerColumn: ownerColumn, idHeader: scored.idHeader,
                            previous: options.previous, revenueColumn: options.revenueColumn, usesRules: scored.list.showsWarnings,
                            trendCutoffs: cutoffs.map { UTCTime.formatDate(milliseconds: $0) }, owners: owners, notes: notes, monthly: monthly,
                            contactCut: scored.contactCut)
    if scored.list.showsLifetimeValue, let periods = scored.list.survivalPeriods {
      brief.lifetimeValue = WeeklyBrief.LifetimeValues(periods: periods, horizon: model.events?.horizon ?? "", monthlyDiscount: options.discount.monthly)
    }
    return brief
  }

  /// The brief's monthly analysis: `MonthlyAnalysis` of the log read as the model reads it, with
  /// the model's observation rules, at the last `options.monthlyCutoffs` month starts before
  /// `asOf` whose label window closed by `asOf`, those after the first event. Nil (with a note)
  /// when none qualifies; nil without a note when none was asked for.
  func monthlyAnalysis(_ source: CustomerSource, asOf: Int64, options: BriefOptions, notes: inout [String]) throws -> MonthlyAnalysis? {
    guard options.monthlyCutoffs > 0 else { return nil }
    let (settings, _) = try eventSettings()
    let horizon = try settings.design(cutoffs: [asOf]).horizon
    // Month starts (midnight UTC on the 1st) at or before the as-of date, latest first.
    let day = UTCTime.millisecondsPerDay
    let (year, month, _) = UTCTime.civil(days: UTCTime.floorDiv(asOf, day))
    var cutoffs: [Int64] = []
    for k in 0..<(12 * 100) where cutoffs.count < options.monthlyCutoffs {
      let (y, m) = UTCTime.addMonths(year: year, month: month, -k)
      let start = UTCTime.days(year: y, month: m, day: 1) * day
      if horizon.added(to: start) <= asOf { cutoffs.append(start) }
    }
    let analyse: (ObservationPlan) throws -> MonthlyAnalysis
    switch source {
    case .events(let data, _):
      let modelData = try modelEventData(data)
      analyse = { try MonthlyAnalysis(modelData, plan: $0, settings: options.monthlySettings, log: self.log) }
    case .database(let database, _):
      let modelSource = try modelSource(database)
      analyse = { try MonthlyAnalysis(modelSource, plan: $0, settings: options.monthlySettings, log: self.log) }
    case .table:
      return nil
    }
    while !cutoffs.isEmpty {
      do {
        return try analyse(ObservationPlan(design: try settings.design(cutoffs: cutoffs.reversed())))
      } catch FeatureError.cutoffBeforeData(let cutoff, _) {
        guard let instant = UTCTime.parseMilliseconds(cutoff) else { throw FeatureError.cutoffBeforeData(cutoff: cutoff, firstEvent: "") }
        cutoffs.removeAll { $0 <= instant }
      } catch MonthlyAnalysisError.noLabels {
        break
      }
    }
    notes.append("no month start before \(UTCTime.formatDate(milliseconds: asOf)) has a closed label window and events before it: no monthly analysis")
    return nil
  }
}

/// File names for owners: lower-case ASCII letters and digits, other characters as single
/// hyphens ("María Keller" → "mar-a-keller"; accents are not transliterated), "owner" when
/// nothing is left, a number added when two owners would share a name, and never `index` or
/// `unassigned` (the index page and the page of customers with no owner).
struct BriefFileNames {
  private var stems: [String: String] = [:]
  let unassigned = "unassigned"

  init(owners: [String], unassigned: Bool) {
    var taken: Set<String> = ["index", self.unassigned]
    for owner in owners {
      let base = Self.slug(owner)
      var stem = base, k = 2
      while taken.contains(stem) {
        stem = "\(base)-\(k)"
        k += 1
      }
      taken.insert(stem)
      stems[owner] = stem
    }
  }

  func stem(for owner: String?) -> String { owner.map { stems[$0]! } ?? unassigned }

  static func slug(_ name: String) -> String {
    var out = "", hyphen = false
    for scalar in name.unicodeScalars {
      if scalar.isASCII, let c = Character(scalar).lowercased().first, c.isLetter || c.isNumber {
        if hyphen && !out.isEmpty { out.append("-") }
        hyphen = false
        out.append(c)
      } else {
        hyphen = true
      }
      if out.count >= 60 { break }
    }
    return out.isEmpty ? "owner" : out
  }
}
