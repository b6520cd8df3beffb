import ArgumentParser
import ChurnPipeline
import Foundation

struct CohortsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cohorts",
    abstract: "Churn rate by decile of each feature and by category level, with Wilson 95% intervals.",
    discussion: """
      The cohort analysis of Fighting Churn with Data: customers grouped by decile of a feature
      (repeated values merged, as pandas' qcut(duplicates="drop")), each cohort's churn rate with
      its Wilson 95% interval; categorical columns by level (churned against retained by
      industry, size, tier). Features are listed by how far apart their cohorts' churn rates
      are (Cramér's V of cohort against churn). From an event log the rows are the labelled (customer, cutoff) rows of --cutoffs;
      from a table, its labelled rows.
      """)

  @OptionGroup var events: EventLogOptions
  @OptionGroup var customers: CustomerTableOptions
  @OptionGroup var observation: ObservationOptions

  @Option(help: "A prepared table CSV instead of an event log.")
  var table: String?

  @Option(help: "Name of the label column (with --table).")
  var label: String?

  @Option(name: .customLong("id"), help: "Name of the id column (with --table; default customer_id).")
  var idFlag: String?

  @Option(help: "Comma-separated features to show (default: the --top features whose cohorts differ most).")
  var features: String?

  @Option(name: .customLong("top"), help: "Features to show when --features is not given (default 8).")
  var topFlag: Int?

  @Option(help: "Quantile groups per numeric feature (2...1000).")
  var groups = 10

  @Option(help: "Write every feature's cohorts as CSV here (- for standard output; the text then goes to standard error).")
  var out: String?

  var id: String { idFlag ?? "customer_id" }
  var top: Int { topFlag ?? 8 }

  func validate() throws {
    if (table == nil) == (events.events == nil) { throw ValidationError("give either --events (with cutoffs) or --table (with --label)") }
    if table != nil && label == nil { throw ValidationError("--table needs --label COLUMN") }
    guard groups >= 2 else { throw ValidationError("--groups must be at least 2 and --top at least 1") }
    guard groups <= 1000 else { throw ValidationError("--groups \(groups) is too many; expected 2...1000 quantile groups") }
    try FlagRules.check("--top", topFlag, atLeast: 1)
    if features != nil { try FlagRules.refuse(topFlag != nil ? ["--top"] : [], "applies only without --features (which names the features to show); drop one") }
    try customers.validate(table: table != nil)
    if table != nil {
      try FlagRules.refuse(events.givenFlags + observation.givenFlags, "applies to an event log (--events), not to --table; drop it")
    } else {
      try FlagRules.refuse(FlagRules.given([("--label", label != nil), ("--id", idFlag != nil)]), "applies only with --table; drop it")
    }
  }

  func run() throws {
    let outputs = try OutputTransaction(outputs: [("--out", out)], inputs: [("--events", events.events), ("--customers", customers.customers), ("--table", table)])
    // With --out -, the CSV owns standard output; the text goes to standard error.
    let print: (String) -> Void = outputs.writesToStandardOutput ? { StandardError.print($0) } : { Swift.print($0) }
    let data: FeatureTable
    if let table {
      data = try customers.preparedTable(table, idColumn: id, label: label!).table
    } else {
      let customerTable = try customers.load(eventCustomerColumn: events.customerColumn)
      let (reader, progress) = try events.reader(label: "cohorts")
      let result = try observation.build(events: reader, customers: customerTable, spec: nil)
      progress?.finish()
      FeatureReport.print(result, seconds: 0, label: "cohorts")
      data = result.table
    }
    let labels = data.labels!
    let labelled = labels.filter { !$0.isNaN }
    guard !labelled.isEmpty else { throw CohortsError.noLabels }
    // One class has one churn rate, 0% or 100%, in every cohort: nothing to compare.
    if labelled.allSatisfy({ $0 == labelled[0] }) { throw CohortsError.oneClass(rows: labelled.count, label: Int(labelled[0])) }
    let analyses = CohortAnalysis.all(data, groups: groups)
    var shown = analyses
    if let features {
      let wanted = commaList(features)
      guard !wanted.isEmpty else { throw CohortsError.noFeatures(features) }
      let roles = [(table != nil ? id : events.customerColumn, "id"), (table != nil ? label! : "label", "label"), ("cutoff", "cutoff")]
      for name in wanted where !analyses.contains(where: { $0.feature.lowercased() == name.lowercased() }) {
        if let role = roles.first(where: { $0.0.lowercased() == name.lowercased() })?.1 { throw CohortsError.notFeature(name: name, role: role) }
        guard let c = data.columnNames.firstIndex(where: { $0.lowercased() == name.lowercased() }) else {
          throw CohortsError.noColumn(name: name, columns: data.columnNames)
        }
        let cohorts: [Cohort]
        switch data.columns[c] {
        case .numeric(let v): cohorts = Cohorts.byQuantile(values: v, labels: labels, groups: groups)
        case .categorical(let v): cohorts = Cohorts.byLevel(levels: v, labels: labels)
        }
        throw CohortsError.noCohorts(name: data.columnNames[c], cohorts: cohorts.count, only: cohorts.first?.label)
      }
      shown = wanted.compactMap { name in analyses.first { $0.feature.lowercased() == name.lowercased() } }
    } else {
      shown = Array(analyses.prefix(top))
    }
    let rate = labelled.reduce(0, +) / Double(labelled.count)
    print("\(labelled.count) labelled rows, churn rate \(Percent.format(rate)); features by the association of their cohorts with churn:")
    for a in shown {
      print("\n\(a.feature) (Cramér's V \(String(format: "%.3f", a.association)); churn rate from \(Percent.format(a.lowestRate)) to \(Percent.format(a.highestRate)) in cohorts of 30 or more):")
      print(CohortAnalysis.text(a.cohorts))
    }
    if let out {
      var csv = "feature,cohort,lower,upper,mean_value,customers,churned,churn_rate,rate_lower_95,rate_upper_95\n"
      for a in analyses {
        for c in a.cohorts {
          let fields = [a.feature, c.label, c.lower.map { "\($0)" } ?? "", c.upper.map { "\($0)" } ?? "", c.meanValue.map { "\($0)" } ?? "",
                        "\(c.customers)", "\(c.churned)", "\(c.churnRate.value)", "\(c.churnRate.lower)", "\(c.churnRate.upper)"]
          csv += fields.map(CSVField.escape).joined(separator: ",") + "\n"
        }
      }
      try OutputFile.write(csv, to: outputs.path(for: "--out"))
      try outputs.commit()
      StandardError.print("cohorts: \(analyses.count) features written to \(out)")
    }
  }
}

/// One feature's cohorts and how much their churn rates differ.
struct CohortAnalysis {
  var feature: String
  var cohorts: [Cohort]
  var lowestRate: Double
  var highestRate: Double
  /// Cramér's V of cohort against churn: √(χ² / n), 0 when every cohort churns at the overall
  /// rate, 1 when the cohorts separate churners perfectly. Large cohorts weigh more, so a
  /// 40-customer cohort's noisy rate does not put a feature first.
  var association: Double

  /// Every column's cohorts, the strongest association first. The lowest and highest rates
  /// shown skip cohorts of fewer than 30 customers, whose rates are mostly noise.
  static func all(_ data: FeatureTable, groups: Int) -> [CohortAnalysis] {
    let labels = data.labels!
    var out: [CohortAnalysis] = []
    for (name, column) in zip(data.columnNames, data.columns) {
      let cohorts: [Cohort]
      switch column {
      case .numeric(let v): cohorts = Cohorts.byQuantile(values: v, labels: labels, groups: groups)
      case .categorical(let v): cohorts = Cohorts.byLevel(levels: v, labels: labels)
      }
      let counted = cohorts.filter { $0.customers >= 30 }.map(\.churnRate.value)
      guard cohorts.count >= 2, let lo = counted.min(), let hi = counted.max() else { continue }
      let n = Double(cohorts.reduce(0) { $0 + $1.customers }), rate = Double(cohorts.reduce(0) { $0 + $1.churned }) / n
      let chiSquare = rate > 0 && rate < 1
        ? cohorts.reduce(0.0) { $0 + Double($1.customers) * ($1.churnRate.value - rate) * ($1.churnRate.value - rate) } / (rate * (1 - rate)) : 0
      out.append(CohortAnalysis(feature: name, cohorts: cohorts, lowestRate: lo, highestRate: hi, association: (chiSquare / n).squareRoot()))
    }
    return out.sorted { ($0.association, $1.feature) > ($1.association, $0.feature) }
  }

  static func text(_ cohorts: [Cohort]) -> String {
    let width = min(28, max(8, cohorts.map(\.label.count).max() ?? 8))
    var lines = [DescribeReport.pad("cohort", width + 1) + " customers  churned   rate (95% CI)"]
    let highest = cohorts.map(\.churnRate.value).max() ?? 1
    for c in cohorts {
      let label = c.label.count > width ? String(c.label.prefix(width - 1)) + "…" : c.label
      let bar = String(repeating: "█", count: highest > 0 ? Int((20 * c.churnRate.value / highest).rounded()) : 0)
      lines.append(DescribeReport.pad(label, width + 1) + String(format: "%10d %8d  ", c.customers, c.churned)
        + DescribeReport.pad(String(format: "%5.1f%% (%.1f–%.1f%%)", 100 * c.churnRate.value, 100 * c.churnRate.lower, 100 * c.churnRate.upper), 21) + bar)
    }
    return lines.joined(separator: "\n")
  }
}

/// Why `churn cohorts` has nothing to show.
enum CohortsError: Error, CustomStringConvertible {
  case noLabels
  case noFeatures(String)
  case notFeature(name: String, role: String)
  case oneClass(rows: Int, label: Int)
  case noColumn(name: String, columns: [String])
  /// A column whose cohorts cannot be compared: one cohort, or none of 30 rows or more.
  case noCohorts(name: String, cohorts: Int, only: String?)

  var description: String {
    switch self {
    case .noLabels: return "no row has a known label: nothing to group"
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
