import ArgumentParser
import ChurnPipeline
import Foundation

struct Simulate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Generate realistic B2B customer histories whose churn is caused by known signals.",
    discussion: """
      Writes DIR/events.csv (customer_id,timestamp,event_type,value) and DIR/customers.csv
      (customer_id,industry,size,region,tier,plan,monthly_revenue,signup_date,churn_date).
      The same seed gives byte-identical files whatever the thread count. The generating process
      is described in datasets/demo/README.md.
      """)

  @Option(name: .customLong("customers"), help: "Number of customers (1...10000000).")
  var customerCount: Int = 2000

  @Option(help: "Number of calendar months observed (3...600).")
  var months: Int = 24

  @Option(help: "First observed month, YYYY-MM (years 1900...2200).")
  var start: String = "2024-01"

  @Option(help: "Random seed; every draw flows from it.")
  var seed: UInt64 = 42

  @Option(help: "Worker threads, 1...1024 (the output does not depend on it).")
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  @Option(help: "Output directory (created if missing).")
  var out: String

  func settings() throws -> SimulationSettings {
    try SimulationSettings(customerCount: customerCount, months: months, start: start, seed: seed, threads: threads)
  }

  func validate() throws {
    let settings: SimulationSettings
    do {
      settings = try self.settings()
      try settings.validate()
    } catch let error as SimulationError {
      throw ValidationError(error.description)
    } catch let error as SimulationStartError {
      throw ValidationError(error.description)
    }
    // The readers refuse events after tomorrow (a future date would make labels "known"), so a
    // log that runs past it could not be read back.
    let tomorrowEnd = EventLogReader.endOfTomorrow() / UTCTime.millisecondsPerDay
    if settings.endDay > tomorrowEnd {
      let today = UTCTime.civil(days: tomorrowEnd - 2)
      let latest = UTCTime.addMonths(year: today.year, month: today.month, -settings.months)
      throw ValidationError(String(format: "--start %@ with --months %d runs to the end of %04d-%02d, after tomorrow; churn reads no events "
        + "after tomorrow, so it could not read this log back; expected a start no later than %04d-%02d", start, months,
        settings.lastMonth.year, settings.lastMonth.month, latest.year, latest.month))
    }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) && !isDirectory.boolValue {
      throw ValidationError("--out \(out) is a file; simulate writes events.csv and customers.csv into a directory (created if missing): give a directory")
    }
  }

  func run() throws {
    let clock = ContinuousClock()
    let began = clock.now
    let simulator = try CustomerSimulator(settings: settings())
    let progress = ProgressReporter(label: "simulate", total: customerCount, unit: "customers")
    let summary = try simulator.write(to: out) { progress.update($0) }
    progress.finish()
    let seconds = (clock.now - began).seconds
    StandardError.print(
      "simulate: \(summary.customers) customers (\(summary.churnedCustomers) churned, "
        + "\(TextTable.percent(Double(summary.churnedCustomers) / Double(summary.customers)))), "
        + "\(summary.events) events in \(String(format: "%.1f", seconds)) s")
    let types = summary.eventsByType.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }
    StandardError.print("simulate: events by type: " + types.joined(separator: ", "))
    print("\(out)/events.csv")
    print("\(out)/customers.csv")
  }
}

extension Duration {
  var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

