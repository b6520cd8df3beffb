import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

@Suite("CohortStudy")
struct CohortStudyTests {
  /// The planted table written as a prepared table with a `label` column.
  func writeTable(_ dir: TemporaryDirectory, _ table: FeatureTable = plantedTable()) throws -> TableData {
    try table.writeCSV(to: dir.file("t.csv"))
    return TableData(path: dir.file("t.csv"), label: "label")
  }

  @Test("From a table: every labelled row in one cohort of each feature; the planted features first; the rest of the study adds up")
  func table() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let source = plantedTable()
    let study = try CohortStudy(.table(try writeTable(dir)), selection: .strongest(2), groups: 5)
    let labels = source.labels!
    #expect(study.features == nil)
    #expect(study.labelledRows == labels.count)
    #expect(abs(study.churnRate - labels.reduce(0, +) / Double(labels.count)) < 1e-12)
    #expect(study.analyses.count == 4 && study.shown.map(\.feature) == Array(study.analyses.prefix(2).map(\.feature)))
    #expect(Set(study.shown.map(\.feature)) == ["tickets", "logins"])
    #expect(study.analyses.map(\.association) == study.analyses.map(\.association).sorted(by: >))
    for analysis in study.analyses {
      #expect(analysis.cohorts.reduce(0) { $0 + $1.customers } == labels.count, "\(analysis.feature)")
      #expect(analysis.lowestRate <= analysis.highestRate)
    }
    #expect(study.analyses.first { $0.feature == "tickets" }?.cohorts.count == 5)
    #expect(study.analyses.first { $0.feature == "plan" }?.cohorts.map(\.label).sorted() == ["basic", "pro"])
    #expect(study.csv.split(separator: "\n").count == 1 + study.analyses.reduce(0) { $0 + $1.cohorts.count })
    let named = try CohortStudy(.table(try writeTable(dir)), selection: .named("PLAN, noise"))
    #expect(named.shown.map(\.feature) == ["plan", "noise"])
  }

  @Test("The library's CSV and text are what churn cohorts writes (the text on standard error with --out -)")
  func sameAsCLI() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let study = try CohortStudy(.table(try writeTable(dir)), selection: .strongest(3), groups: 4)
    let run = try runChurn(["cohorts", "--table", dir.file("t.csv"), "--label", "label", "--top", "3", "--groups", "4", "--out", "-"])
    #expect(run.status == 0)
    #expect(run.stdout == study.csv)
    #expect(run.stderr == study.text + "\ncohorts: 4 features written to -\n")
  }

  @Test("From an event log: the labelled rows of the plan's cutoffs, with the feature run's summary; the CSV is the CLI's")
  func events() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let settings = SimulationSettings(customerCount: 300, months: 8, seed: 5, startYear: 2024, startMonth: 1, threads: 1)
    _ = try CustomerSimulator(settings: settings).write(to: dir.path)
    let data = EventData(events: dir.file("events.csv"), customers: dir.file("customers.csv"), threads: 1)
    let plan = try ObservationPlan(cutoffs: "2024-04-01:2024-07-01:1m", horizon: "30d")
    let study = try CohortStudy(.events(data, plan), groups: 10)
    let summary = try #require(study.features)
    #expect(summary.cutoffs.count == 4)
    #expect(summary.cutoffs.reduce(0) { $0 + $1.labelled } == study.labelledRows)
    #expect(summary.lines.last == "\(summary.rows) rows × \(summary.columns) features")
    let run = try runChurn(["cohorts", "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                                      "--cutoffs", "2024-04-01:2024-07-01:1m", "--threads", "1", "--out", "-"])
    #expect(run.status == 0 && run.stdout == study.csv)
    #expect(run.stderr.hasPrefix(summary.lines.map { "cohorts: " + $0 }.joined(separator: "\n") + "\n" + study.text))
  }

  @Test("Each reason there is nothing to compare is a CohortsError with its exact text")
  func errors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = try writeTable(dir)
    func message(_ selection: CohortStudy.Selection, _ table: TableData) -> String? {
      do { _ = try CohortStudy(.table(table), selection: selection); return nil } catch { return "\(error)" }
    }
    #expect(message(.named(" , "), data) == "--features \" , \" names no column; expected a comma-separated list such as contract,tenure")
    #expect(message(.named("customer_id"), data) == "--features: customer_id is the id column, not a feature")
    #expect(message(.named("Label"), data) == "--features: Label is the label column, not a feature")
    #expect(message(.named("tenure"), data) == "--features: no column tenure; columns are tickets, logins, noise, plan")
    var table = plantedTable(rows: 40)
    table.columnNames.append("region")
    table.columns.append(.categorical([String?](repeating: "north", count: 40)))
    #expect(message(.named("region"), try writeTable(dir, table)) == "--features: region has one cohort in the labelled rows (north); nothing to compare")
    table.labels = [Double](repeating: 0, count: 40)
    #expect(message(.strongest(8), try writeTable(dir, table))
      == "all 40 labelled rows have label 0; cohorts compare churn rates, which needs both churned and retained customers")
    // A library caller's mistakes are errors too, not traps: no label column, groups out of range.
    var unlabelled = data
    unlabelled.label = nil
    #expect(message(.strongest(8), unlabelled)
      == "no label column named for \(data.path); cohorts compare churn rates: give the label column (--label COLUMN)")
    for groups in [1, 1001] {
      #expect(throws: CohortsError.groups(groups)) { try CohortStudy(.table(data), groups: groups) }
    }
    #expect(CohortsError.groups(1).description == "--groups 1 is out of range; expected 2...1000 quantile groups per numeric feature")
    #expect(CohortsError.noLabels.description == "no row has a known label: nothing to group")
    #expect(CohortsError.noCohorts(name: "x", cohorts: 0, only: nil).description == "--features: x is blank in every labelled row; nothing to compare")
    #expect(CohortsError.noCohorts(name: "x", cohorts: 3, only: "a").description
      == "--features: x has no cohort of 30 or more labelled rows (3 cohorts); its churn rates would be noise")
  }
}
