import ArgumentParser
import ChurnPipeline
import Foundation

struct MonthlyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "monthly",
    abstract: "The monthly analysis: churn rate by segment over the cutoffs, churned against retained, satisfaction and NPS by month.",
    discussion: """
      Over the labelled (customer, cutoff) rows of --cutoffs: the churn rate at each cutoff by \
      level of each categorical column of the customer table (industry, size, tier, region ...), \
      with Wilson 95% intervals; churned against retained profiles (each level's share among \
      churned rows and among retained rows, the difference with Newcombe's hybrid score 95% \
      interval, largest first); and by calendar month the mean value of --survey-type events \
      (satisfaction) and the NPS of --nps-type events (answers 0-10: promoters 9-10, detractors \
      0-6, NPS = promoters% - detractors%; blank answers and answers outside 0-10 are left out \
      and counted), beside the churn rate of the rows whose cutoff falls in that month. Without \
      --attributes, a column with more than --max-levels levels is left out (with a note). \
      --out NAME.html writes the page (self-contained: inline SVG, no scripts), NAME.json all \
      the numbers, any other name a directory (created if missing) with monthly.html, \
      rates.csv, profiles.csv and months.csv.
      """)

  @OptionGroup var events: EventLogOptions
  @OptionGroup var customers: CustomerTableOptions
  @OptionGroup var observation: ObservationOptions
  @OptionGroup var database: DatabaseOptions

  @Option(help: "Comma-separated categorical customer-table columns to group by (default: every one with 2 to --max-levels levels).")
  var attributes: String?

  @Option(name: .customLong("max-levels"), help: "Without --attributes, leave out columns with more levels than this (default 12).")
  var maxLevelsFlag: Int?

  @Option(name: .customLong("survey-type"), help: "The event type of satisfaction surveys, whose value is the score.")
  var surveyType = "survey"

  @Option(name: .customLong("nps-type"), help: "The event type of NPS answers, whose value is the 0-10 answer.")
  var npsType = "nps"

  @Option(help: "Write the page (a .html name), all the numbers (a .json name) or a directory with the page and three CSV files.")
  var out: String?

  static let files = ["monthly.html", "rates.csv", "profiles.csv", "months.csv"]

  func validate() throws {
    try database.validate(files: FlagRules.given([("--events", events.events != nil), ("--customers", customers.customers != nil)]))
    guard events.events != nil || database.database != nil else {
      throw ValidationError("--events is required: the monthly analysis is made from an event log's labelled rows")
    }
    if observation.cutoffs == nil && observation.cutoff.isEmpty { throw ValidationError("give --cutoffs FROM:TO:STEP or --cutoff DATE: the rows analysed") }
    if database.database == nil || database.customersTable == nil { try customers.validate(table: false) }
    try FlagRules.check("--max-levels", maxLevelsFlag, atLeast: 2)
    if attributes != nil { try FlagRules.refuse(maxLevelsFlag != nil ? ["--max-levels"] : [], "applies only without --attributes (which names the columns); drop one") }
    if attributes.map({ commaList($0).isEmpty }) == true { throw ValidationError("--attributes \"\(attributes!)\" names no column; expected a list such as industry,size") }
    if surveyType.trimmingSpaces.isEmpty || npsType.trimmingSpaces.isEmpty { throw ValidationError("--survey-type and --nps-type must name event types") }
    if let out, out == "-" { throw ValidationError("--out - is not supported: the monthly analysis writes a page or files; give a .html or .json name or a directory") }
    var isDirectory: ObjCBool = false
    if let out, !Self.isFileName(out), FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), !isDirectory.boolValue {
      throw ValidationError("--out \(out) is a file; expected a .html or .json name, or a directory for monthly.html and the CSV files")
    }
  }

  /// Whether `--out` names one file (the page or the JSON) rather than a directory.
  static func isFileName(_ out: String) -> Bool {
    let lower = out.lowercased()
    return lower.hasSuffix(".html") || lower.hasSuffix(".htm") || lower.hasSuffix(".json")
  }

  /// Where each output goes: the page or the JSON file, or the files of a directory (made when
  /// missing: the second value says it was).
  func targets() throws -> (files: [(name: String, path: String)], madeDirectory: Bool) {
    guard let out else { return ([], false) }
    if Self.isFileName(out) { return ([("--out", out)], false) }
    let made = !FileManager.default.fileExists(atPath: out)
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    return (Self.files.map { ("--out \($0)", (out as NSString).appendingPathComponent($0)) }, made)
  }

  /// What the output `name` holds.
  func contents(_ name: String, _ monthly: MonthlyAnalysis) throws -> String {
    switch name {
    case "--out rates.csv": return monthly.ratesCSV
    case "--out profiles.csv": return monthly.profilesCSV
    case "--out months.csv": return monthly.monthsCSV
    default: return out?.lowercased().hasSuffix(".json") == true ? try monthly.json() : monthly.html()
    }
  }

  func run() throws {
    let (targets, madeDirectory) = try targets()
    do {
      try run(writing: targets)
    } catch {
      // A directory made for this run and left empty by its failure goes too.
      if let out, madeDirectory, (try? FileManager.default.contentsOfDirectory(atPath: out))?.isEmpty == true {
        try? FileManager.default.removeItem(atPath: out)
      }
      throw error
    }
  }

  func run(writing targets: [(name: String, path: String)]) throws {
    let outputs = try OutputTransaction(outputs: targets.map { ($0.name, Optional($0.path)) },
                                        inputs: [("--events", events.events), ("--customers", customers.customers)])
    let settings = MonthlyAnalysis.Settings(surveyType: surveyType.trimmingSpaces, npsType: npsType.trimmingSpaces,
                                            attributes: attributes.map(commaList), maximumLevels: maxLevelsFlag ?? 12)
    let monthly = if let source = database.source(events: events, customers: customers) {
      try MonthlyAnalysis(source, plan: try observation.plan(), settings: settings, log: .standardError("monthly"))
    } else {
      try MonthlyAnalysis(try events.data(customers: customers, threads: observation.threads), plan: try observation.plan(),
                          settings: settings, log: .standardError("monthly"))
    }
    if let summary = monthly.features { FeatureReport.print(summary, label: "monthly") }
    print(monthly.text)
    guard let out else { return }
    for target in targets { try OutputFile.write(try contents(target.name, monthly), to: outputs.path(for: target.name)) }
    try outputs.commit()
    StandardError.print("monthly: written to \(out)" + (targets.count > 1 ? " (\(Self.files.joined(separator: ", ")))" : ""))
  }
}
