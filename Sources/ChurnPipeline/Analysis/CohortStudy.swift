import Foundation

/// The cohort analysis of *Fighting Churn with Data*: labelled customers grouped by decile of each
/// feature (repeated values merged, as pandas' `qcut(duplicates="drop")`) and by category level,
/// each cohort's churn rate with its Wilson 95% interval; features ranked by how far apart their
/// cohorts' churn rates are (Cramér's V of cohort against churn). What `churn cohorts` shows.
public struct CohortStudy: Sendable {
  /// Where the labelled rows come from.
  public enum Source: Sendable {
    /// The labelled (customer, cutoff) rows of an event log at the plan's cutoffs.
    case events(EventData, ObservationPlan)
    /// The labelled rows of a prepared table (its `label` must be set).
    case table(TableData)
    /// The labelled (customer, cutoff) rows of the tables of a PostgreSQL database at the plan's
    /// cutoffs, computed by the server: the rows `events` gives for the same data as files.
    case database(DatabaseSource, ObservationPlan)
  }

  /// Which features to show.
  public enum Selection: Sendable, Equatable {
    /// The `count` features whose cohorts differ most.
    case strongest(Int)
    /// The features named in a comma-separated list such as `contract,tenure` (case-insensitive), in that order.
    case named(String)
  }

  /// From an event log: what the feature builder found (nil from a table).
  public var features: FeatureRunSummary?
  /// Rows with a known label.
  public var labelledRows: Int
  /// The churn rate over those rows.
  public var churnRate: Double
  /// Every feature whose cohorts can be compared, the strongest association first.
  public var analyses: [CohortAnalysis]
  /// The features selected, in the order shown.
  public var shown: [CohortAnalysis]

  /// Groups the labelled rows of `source` into cohorts per feature.
  ///
  /// - Parameters:
  ///   - source: an event log (files or database tables) with an observation plan, or a prepared table with a label.
  ///   - selection: the strongest features, or features by name.
  ///   - groups: quantile groups per numeric feature (2...1000).
  ///   - log: where the progress of reading an event log goes.
  /// - Throws: `CohortsError` when there is nothing to compare (no labelled row, one class, a
  ///   named feature that is not one or has a single cohort); the errors of reading the inputs
  ///   (`ObservationPlan.features`, `TableData.load`) and `DatabaseError`.
  public init(_ source: Source, selection: Selection = .strongest(8), groups: Int = 10, log: JobLog = .silent) throws {
    guard (2...1000).contains(groups) else { throw CohortsError.groups(groups) }
    let data: FeatureTable
    let roles: [(name: String, role: String)]
    switch source {
    case .events(let events, let plan):
      let result = try plan.features(events, spec: nil, log: log)
      features = FeatureRunSummary(result)
      data = result.table
      roles = [(events.columns.customer, "id"), ("label", "label"), ("cutoff", "cutoff")]
    case .database(let database, let plan):
      let result = try plan.features(database, log: log).result
      features = FeatureRunSummary(result)
      data = result.table
      roles = [(database.columns.customer, "id"), ("label", "label"), ("cutoff", "cutoff")]
    case .table(let table):
      guard table.label != nil else { throw CohortsError.noLabelColumn(path: table.path) }
      data = try table.load().table
      roles = [(table.idColumn, "id"), (table.label ?? "label", "label"), ("cutoff", "cutoff")]
    }
    let labels = data.labels ?? []
    let labelled = labels.filter { !$0.isNaN }
    guard !labelled.isEmpty else { throw CohortsError.noLabels }
    // One class has one churn rate, 0% or 100%, in every cohort: nothing to compare.
    if labelled.allSatisfy({ $0 == labelled[0] }) { throw CohortsError.oneClass(rows: labelled.count, label: Int(labelled[0])) }
    labelledRows = labelled.count
    churnRate = labelled.reduce(0, +) / Double(labelled.count)
    analyses = CohortAnalysis.all(data, groups: groups)
    switch selection {
    case .strongest(let count): shown = Array(analyses.prefix(count))
    case .named(let text): shown = try Self.named(text, in: analyses, data: data, roles: roles, groups: groups)
    }
  }

  /// The analyses of the features named in `text`, or why one cannot be shown.
  private static func named(_ text: String, in analyses: [CohortAnalysis], data: FeatureTable, roles: [(name: String, role: String)],
                            groups: Int) throws -> [CohortAnalysis] {
    let wanted = text.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
    guard !wanted.isEmpty else { throw CohortsError.noFeatures(text) }
    for name in wanted where !analyses.contains(where: { $0.feature.lowercased() == name.lowercased() }) {
      if let role = roles.first(where: { $0.name.lowercased() == name.lowercased() })?.role { throw CohortsError.notFeature(name: name, role: role) }
      guard let c = data.columnNames.firstIndex(where: { $0.lowercased() == name.lowercased() }) else {
        throw CohortsError.noColumn(name: name, columns: data.columnNames)
      }
      let cohorts = CohortAnalysis.cohorts(data.columns[c], labels: data.labels ?? [], groups: groups)
      throw CohortsError.noCohorts(name: data.columnNames[c], cohorts: cohorts.count, only: cohorts.first?.label)
    }
    return wanted.compactMap { name in analyses.first { $0.feature.lowercased() == name.lowercased() } }
  }

  /// Every feature's cohorts as CSV: `feature,cohort,lower,upper,mean_value,customers,churned,
  /// churn_rate,rate_lower_95,rate_upper_95`, one line per cohort (blank bounds and mean for a
  /// category level).
  public var csv: String {
    var csv = "feature,cohort,lower,upper,mean_value,customers,churned,churn_rate,rate_lower_95,rate_upper_95\n"
    for a in analyses {
      for c in a.cohorts {
        let fields = [a.feature, c.label, c.lower.map { "\($0)" } ?? "", c.upper.map { "\($0)" } ?? "", c.meanValue.map { "\($0)" } ?? "",
                      "\(c.customers)", "\(c.churned)", "\(c.churnRate.value)", "\(c.churnRate.lower)", "\(c.churnRate.upper)"]
        csv += fields.map(CSVField.escape).joined(separator: ",") + "\n"
      }
    }
    return csv
  }

  /// The shown features' cohorts as text: a heading with the rows and churn rate, then per
  /// feature its association, its range of churn rates and a table of its cohorts.
  public var text: String {
    var lines = ["\(labelledRows) labelled rows, churn rate \(TextTable.percent(churnRate)); features by the association of their cohorts with churn:"]
    for a in shown {
      lines.append("\n\(a.feature) (Cramér's V \(String(format: "%.3f", a.association)); churn rate from \(TextTable.percent(a.lowestRate)) "
        + "to \(TextTable.percent(a.highestRate)) in cohorts of 30 or more):")
      lines.append(CohortAnalysis.text(a.cohorts))
    }
    return lines.joined(separator: "\n")
  }
}

/// One feature's cohorts and how much their churn rates differ.
public struct CohortAnalysis: Sendable, Equatable {
  /// The feature's column name.
  public var feature: String
  /// Quantile groups (numeric) or levels (categorical); missing values last.
  public var cohorts: [Cohort]
  /// The lowest and highest churn rates among cohorts of 30 customers or more.
  public var lowestRate: Double
  public var highestRate: Double
  /// Cramér's V of cohort against churn: √(χ² / n), 0 when every cohort churns at the overall
  /// rate, 1 when the cohorts separate churners perfectly. Large cohorts weigh more, so a
  /// 40-customer cohort's noisy rate does not put a feature first.
  ///
  /// ```
  /// χ² = Σ_cohorts n_c (r_c − r)² / (r (1 − r))
  /// ```
  public var association: Double

  /// The cohorts of one column: by quantile (numeric) or by level (categorical).
  static func cohorts(_ column: FeatureTable.Column, labels: [Double], groups: Int) -> [Cohort] {
    switch column {
    case .numeric(let v): return Cohorts.byQuantile(values: v, labels: labels, groups: groups)
    case .categorical(let v): return Cohorts.byLevel(levels: v, labels: labels)
    }
  }

  /// Every column's cohorts, the strongest association first (ties by name). The lowest and
  /// highest rates skip cohorts of fewer than 30 customers, whose rates are mostly noise; a
  /// column with one cohort, or none of 30 or more, is left out.
  ///
  /// A table without labels has no cohorts to compare: none.
  ///
  /// - Complexity: O(rows · log rows) per numeric column.
  public static func all(_ data: FeatureTable, groups: Int) -> [CohortAnalysis] {
    guard let labels = data.labels else { return [] }
    var out: [CohortAnalysis] = []
    for (name, column) in zip(data.columnNames, data.columns) {
      let cohorts = cohorts(column, labels: labels, groups: groups)
      let counted = cohorts.filter { $0.customers >= 30 }.map(\.churnRate.value)
      guard cohorts.count >= 2, let lo = counted.min(), let hi = counted.max() else { continue }
      let n = Double(cohorts.reduce(0) { $0 + $1.customers }), rate = Double(cohorts.reduce(0) { $0 + $1.churned }) / n
      let chiSquare = rate > 0 && rate < 1
        ? cohorts.reduce(0.0) { $0 + Double($1.customers) * ($1.churnRate.value - rate) * ($1.churnRate.value - rate) } / (rate * (1 - rate)) : 0
      out.append(CohortAnalysis(feature: name, cohorts: cohorts, lowestRate: lo, highestRate: hi, association: (chiSquare / n).squareRoot()))
    }
    return out.sorted { ($0.association, $1.feature) > ($1.association, $0.feature) }
  }

  /// Cohorts as a text table: label, customers, churned, rate with its interval, and a bar.
  public static func text(_ cohorts: [Cohort]) -> String {
    let width = min(28, max(8, cohorts.map(\.label.count).max() ?? 8))
    var lines = [TextTable.pad("cohort", width + 1) + " customers  churned   rate (95% CI)"]
    let highest = cohorts.map(\.churnRate.value).max() ?? 1
    for c in cohorts {
      let bar = String(repeating: "█", count: highest > 0 ? Int((20 * c.churnRate.value / highest).rounded()) : 0)
      lines.append(TextTable.pad(TextTable.cut(c.label, width), width + 1) + String(format: "%10d %8d  ", c.customers, c.churned)
        + TextTable.pad(String(format: "%5.1f%% (%.1f–%.1f%%)", 100 * c.churnRate.value, 100 * c.churnRate.lower, 100 * c.churnRate.upper), 21) + bar)
    }
    return lines.joined(separator: "\n")
  }
}

/// Why a cohort study has nothing to show.
public enum CohortsError: Error, Equatable, CustomStringConvertible {
  /// Every row's label is unknown (horizons past the data).
  case noLabels
  /// A list of features that names none.
  case noFeatures(String)
  /// A name of the id, label or cutoff column, not a feature.
  case notFeature(name: String, role: String)
  /// Every labelled row has the same label.
  case oneClass(rows: Int, label: Int)
  /// A name no column has.
  case noColumn(name: String, columns: [String])
  /// A column whose cohorts cannot be compared: one cohort, or none of 30 rows or more.
  case noCohorts(name: String, cohorts: Int, only: String?)
  /// A prepared table given without its label column.
  case noLabelColumn(path: String)
  /// Quantile groups outside 2...1000.
  case groups(Int)

  public var description: String {
    switch self {
    case .noLabels: return "no row has a known label: nothing to group"
    case .noLabelColumn(let path): return "no label column named for \(path); cohorts compare churn rates: give the label column (--label COLUMN)"
    case .groups(let groups): return "--groups \(groups) is out of range; expected 2...1000 quantile groups per numeric feature"
    case .noFeatures(let text): return "--features \"\(text)\" names no column; expected a comma-separated list such as contract,tenure"
    case .notFeature(let name, let role): return "--features: \(name) is the \(role) column, not a feature"
    case .oneClass(let rows, let label):
      return "all \(rows) labelled rows have label \(label); cohorts compare churn rates, which needs both churned and retained customers"
    case .noColumn(let name, let columns):
      return "--features: no column \(name); columns are \(columns.prefix(8).joined(separator: ", "))\(columns.count > 8 ? ", ..." : "")"
    case .noCohorts(let name, let cohorts, let only):
      if cohorts == 0 { return "--features: \(name) is blank in every labelled row; nothing to compare" }
      if cohorts == 1 { return "--features: \(name) has one cohort in the labelled rows (\(only ?? "")); nothing to compare" }
      return "--features: \(name) has no cohort of 30 or more labelled rows (\(cohorts) cohorts); its churn rates would be noise"
    }
  }
}
