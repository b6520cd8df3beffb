import ChurnCore
import ChurnFeatures
import ChurnModels
import ChurnScoring
import Foundation

/// A team's own warning rules measured against what happened: for each rule, over the labelled
/// (customer, cutoff) rows of an event log, how many rows it flagged, how many of those churned
/// within the horizon, its precision (with a Wilson 95% interval), recall and lift; then the same
/// for all red rules together and all rules together. With a model, the model's precision when
/// it flags as many rows, so the team sees whether the rule or the model finds more leavers.
/// What `churn rules` shows.
///
/// ```swift
/// let rules = try WarningRules.read(path: "rules.csv")
/// let plan = try ObservationPlan(cutoffs: "2025-01-01:2025-11-01:1m", horizon: "30d")
/// let study = try RuleStudy(rules, data: EventData(events: "events.csv", customers: "customers.csv"), plan: plan)
/// print(study.text)
/// ```
///
/// The features are those `churn features` writes for the same flags (or, with a model, for the
/// model's spec and observation rules at the plan's cutoffs), compared as written (9 decimals).
public struct RuleStudy: Sendable {
  /// What the feature builder found (nil when measured on a table).
  public var features: FeatureRunSummary?
  /// Rows with a known label (the rows measured), and how many churned.
  public var labelledRows: Int
  public var churned: Int
  /// churned / labelledRows.
  public var churnRate: Double
  /// One per rule in file order, then "(any red rule)" (when there are red rules) and "(any rule)".
  public var measures: [RuleMeasure]
  /// Whether a model's precision at the same count flagged is in `measures`.
  public var withModel: Bool
  /// How many of `measures` are rules (the rest are the groups).
  public var ruleCount: Int

  /// Measures `rules` on the labelled rows of `data` at the plan's cutoffs.
  ///
  /// - Parameters:
  ///   - rules: the warning rules to measure.
  ///   - data: the event log and its customer table.
  ///   - plan: the cutoffs, horizon and feature windows (without `model`).
  ///   - model: a trained model (from events): features are built with its spec, column names
  ///     and observation rules (horizon, eligibility) at `plan`'s cutoffs, which are all of
  ///     `plan` that is used; its probabilities give `modelPrecision`.
  ///   - modelPath: where the model came from, for error messages.
  ///   - log: gets the feature run's progress lines.
  /// - Throws: `WarningRulesError` for a rule naming a column the features lack (or of the other
  ///   kind); `RuleStudyError.noLabels` when no row's horizon has passed; the errors of building
  ///   the features (`ObservationPlan.features`, `Scorer`'s for a model trained on a table) and
  ///   of scoring them (`PreprocessingError`).
  public init(_ rules: WarningRules, data: EventData, plan: ObservationPlan, model: ModelFile? = nil, modelPath: String = "the model",
              log: JobLog = .silent) throws {
    let result: FeatureBuilder.Result
    if let model {
      var scorer = Scorer(model: model, log: log)
      scorer.modelPath = modelPath
      result = try scorer.build(data, cutoffs: plan.cutoffs).0
    } else {
      result = try plan.features(data, log: log)
    }
    try rules.check(result.table)
    let table = result.table.rows(result.table.labelledRows)
    guard table.rowCount > 0 else { throw RuleStudyError.noLabels(rows: result.table.rowCount) }
    let labels = table.labels ?? []
    let probabilities = try model.map { try $0.probabilities(try $0.scoringRows(table)) }
    try self.init(rules, table: table, labels: labels, probabilities: probabilities, features: FeatureRunSummary(result))
  }

  /// Measures `rules` on the rows of `table` whose label is known; `probabilities` (one per row
  /// of `table`), when given, are a model's.
  ///
  /// - Throws: `WarningRulesError` as above; `RuleStudyError.noLabels`.
  public init(_ rules: WarningRules, table: FeatureTable, probabilities: [Double]? = nil) throws {
    precondition(probabilities == nil || probabilities!.count == table.rowCount, "\(probabilities!.count) probabilities for \(table.rowCount) rows")
    let rows = table.labelledRows
    guard !rows.isEmpty else { throw RuleStudyError.noLabels(rows: table.rowCount) }
    let labelled = table.rows(rows)
    try self.init(rules, table: labelled, labels: labelled.labels ?? [], probabilities: probabilities.map { p in rows.map { p[$0] } },
                  features: nil)
  }

  private init(_ rules: WarningRules, table: FeatureTable, labels: [Double], probabilities: [Double]?, features: FeatureRunSummary?) throws {
    self.features = features
    ruleCount = rules.rules.count
    labelledRows = labels.count
    churned = labels.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }
    churnRate = Double(churned) / Double(labelledRows)
    withModel = probabilities != nil
    measures = RuleMeasure.all(rules, fired: try rules.fired(in: table), labels: labels, probabilities: probabilities)
  }

  /// The CSV columns, in order.
  public static let csvHeader = ["rule", "severity", "flagged", "share_flagged", "churned", "precision", "precision_lower_95", "precision_upper_95",
                                 "recall", "lift", "model_precision", "model_lift", "condition"]

  /// Every measure as CSV (`csvHeader`), numbers in Swift's shortest round-trip form, NaN (an
  /// undefined ratio) and the model's columns without a model as empty fields.
  public var csv: String {
    func number(_ x: Double?) -> String { x.map { $0.isNaN ? "" : "\($0)" } ?? "" }
    var csv = Self.csvHeader.joined(separator: ",") + "\n"
    for m in measures {
      let fields = [m.rule, m.severity, "\(m.flagged)", number(m.shareFlagged), "\(m.churned)", number(m.precision.value), number(m.precision.lower),
                    number(m.precision.upper), number(m.recall), number(m.lift), number(m.modelPrecision), number(m.modelLift), m.condition]
      csv += fields.map(CSVField.escape).joined(separator: ",") + "\n"
    }
    return csv
  }

  /// The study as JSON: rows, churned, churn rate and the measures (NaN as "nan").
  public func json() throws -> String {
    struct Document: Encodable {
      var labelledRows: Int
      var churned: Int
      var churnRate: Double
      var rules: [RuleMeasure]
    }
    return try TextTable.json(Document(labelledRows: labelledRows, churned: churned, churnRate: churnRate, rules: measures)) + "\n"
  }

  /// The measures as a text table: one line per rule, then the groups.
  public var text: String {
    let width = min(32, max(12, measures.map(\.rule.count).max() ?? 12))
    func percent(_ x: Double) -> String { x.isNaN ? "-" : String(format: "%.1f%%", 100 * x) }
    func ratio(_ x: Double) -> String { x.isNaN ? "-" : String(format: "%.2f", x) }
    var header = TextTable.pad("rule", width + 1) + TextTable.pad("severity", 9) + TextTable.pad("flagged", 8, right: true)
      + TextTable.pad("churned", 9, right: true) + "  " + TextTable.pad("precision (95% CI)", 23) + TextTable.pad("recall", 7, right: true)
      + TextTable.pad("lift", 7, right: true)
    if withModel { header += TextTable.pad("model precision", 17, right: true) }
    var lines = ["\(labelledRows) labelled rows, \(churned) churned (churn rate \(TextTable.percent(churnRate))); "
      + "rules by what they flagged and who then churned:", header]
    for (k, m) in measures.enumerated() {
      if k == ruleCount { lines.append(String(repeating: "-", count: header.count)) }
      let interval = m.flagged > 0 ? "\(percent(m.precision.value)) (\(percent(m.precision.lower))–\(percent(m.precision.upper)))" : "-"
      var line = TextTable.pad(TextTable.cut(m.rule, width), width + 1) + TextTable.pad(m.severity, 9) + TextTable.pad("\(m.flagged)", 8, right: true)
        + TextTable.pad("\(m.churned)", 9, right: true) + "  " + TextTable.pad(interval, 23) + TextTable.pad(percent(m.recall), 7, right: true)
        + TextTable.pad(ratio(m.lift), 7, right: true)
      if withModel { line += TextTable.pad(percent(m.modelPrecision ?? .nan), 17, right: true) }
      lines.append(line)
    }
    if withModel {
      lines.append("model precision: the model's precision among as many rows as the rule flagged, its riskiest (rows tied at the cut shared).")
    }
    return lines.joined(separator: "\n")
  }
}

/// Why rules cannot be measured.
public enum RuleStudyError: Error, Equatable, CustomStringConvertible {
  /// No row has a known label (every horizon runs past the data).
  case noLabels(rows: Int)

  public var description: String {
    switch self {
    case .noLabels(let rows):
      return "none of the \(rows) rows has a known label (their horizons run past the end of the data); "
        + "expected cutoffs at least one horizon before the last event: choose earlier --cutoffs"
    }
  }
}
