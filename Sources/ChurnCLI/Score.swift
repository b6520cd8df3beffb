import ArgumentParser
import ChurnCore
import ChurnFeatures
import ChurnModels
import ChurnScoring
import Foundation

struct Score: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Score customers with a trained model: a ranked risk list with reasons.",
    discussion: """
      With --events and --as-of, recomputes the model's features for every eligible customer as
      of that date (events before it only); with --table, reads prepared feature rows. Writes
      rank, id, churn_probability, percentile, risk_band, reason_1..3 (the features that push
      this customer's risk up most, with their values and contributions in probability points),
      expected_revenue_at_risk (with --revenue-column) and segment (the RFM segment); prints the
      top of the list without --out.
      """)

  @Option(help: "Model file written by churn train.")
  var model: String

  @Option(help: "Event log CSV (for a model trained from events); column names are the model's unless given.")
  var events: String?

  @Option(help: "Customer table CSV (for a model trained with one).")
  var customers: String?

  @Option(help: "Score as of this date (midnight UTC): features see only events before it.")
  var asOf: String?

  @Option(help: "Table CSV with the model's feature columns (other columns are ignored).")
  var table: String?

  @Option(help: "Name of the id column of --table (default: the model's).")
  var id: String?

  @Option(help: "Customer-table (or --table) column with monthly revenue, for expected revenue at risk over the horizon.")
  var revenueColumn: String?

  @Option(help: "Give reasons for this many of the riskiest customers (a forest's exact TreeSHAP costs about 12 ms a customer).")
  var reasons = 10_000

  @Flag(help: "Skip malformed event rows instead of stopping.")
  var skipBadRows = false

  @Option(help: "Rows to print (or write) when given; all rows are written to --out by default.")
  var top: Int?

  @Option(help: "Last week's ranked list (this command's CSV): adds the change in points, band moves, new and vanished customers.")
  var previous: String?

  @Option(help: "Output format of --out: csv or json.")
  var format = "csv"

  @Option(help: "Where to write the ranked list.")
  var out: String?

  func validate() throws {
    if (table == nil) == (events == nil) { throw ValidationError("give either --events (with --as-of) or --table") }
    if events != nil && asOf == nil { throw ValidationError("--events needs --as-of DATE, the day to score as of") }
    if let top, top < 1 { throw ValidationError("--top \(top) must be at least 1") }
    guard reasons >= 0 else { throw ValidationError("--reasons \(reasons) must be at least 0") }
    guard format == "csv" || format == "json" else { throw ValidationError("--format \"\(format)\" is not csv or json") }
  }

  func run() throws {
    let file = try ModelFile.read(path: model)
    let features: FeatureTable
    var revenue: [Double]?
    var horizonMonths = 1.0
    if let events {
      guard let spec = file.featureSpec, let settings = file.events else {
        throw ValidationError("\(model) was trained on a table, not an event log; score it with --table")
      }
      guard let day = UTCTime.parseMilliseconds(asOf!) else {
        throw ValidationError("--as-of \"\(asOf!)\" is not a date; expected ISO 8601 such as 2025-07-01")
      }
      let asOfDay = UTCTime.floorDiv(day, UTCTime.millisecondsPerDay) * UTCTime.millisecondsPerDay
      let horizon = CalendarSpan.parse(settings.horizon)!
      horizonMonths = Double(horizon.added(to: asOfDay) - asOfDay) / Double(UTCTime.millisecondsPerDay) / 30.4375
      let design = try ObservationDesign(cutoffs: [asOfDay], horizon: horizon,
                                         activeWindow: settings.activeWindow.flatMap(CalendarSpan.parse),
                                         activityTypes: settings.activityTypes)
      var table: CustomerTable?
      if let customers {
        var kinds: [String: TypedCSV.Kind] = [:]
        for attribute in spec.attributes { kinds[attribute.name] = attribute.kind }
        table = try CustomerTable(path: customers, idColumn: settings.customerColumn, signupColumn: settings.signupColumn,
                                  churnDateColumn: settings.churnDateColumn, kinds: kinds)
      } else if !spec.attributes.isEmpty {
        throw ValidationError("\(model) was trained with a customer table (attributes \(spec.attributes.map(\.name).prefix(4).joined(separator: ", ")), ...); give it with --customers")
      }
      var builder = FeatureBuilder(design: design, spec: spec, customers: table)
      builder.threads = ProcessInfo.processInfo.activeProcessorCount
      var reader = EventLogReader(path: events, columns: EventLogColumns(customer: settings.customerColumn, timestamp: settings.timestampColumn,
                                                                         eventType: settings.eventTypeColumn, value: settings.valueColumn),
                                  skipBadRows: skipBadRows)
      let progress = ProgressReporter.attach(to: &reader, label: "score")
      let result = try builder.build(events: reader)
      progress?.finish()
      if result.skipped.count > 0 { StandardError.print("score: skipped \(result.skipped.count) bad event rows; first: \(result.skipped.examples.first ?? "")") }
      features = result.table
      if let revenueColumn {
        guard let table, let index = table.attributes.firstIndex(where: { $0.name.lowercased() == revenueColumn.lowercased() }),
              case .numeric(let values) = table.attributeColumns[index]
        else { throw ValidationError("--revenue-column \(revenueColumn) is not a numeric column of the customer table") }
        revenue = features.ids.map { id in table.rowOf[id].map { values[$0] } ?? .nan }
      }
      StandardError.print("score: \(features.rowCount) eligible customers as of \(UTCTime.formatDate(milliseconds: asOfDay)) (events to \(UTCTime.formatDate(milliseconds: result.dataEnd)), exclusive)")
    } else {
      var kinds: [String: TypedCSV.Kind] = [:]
      for (name, numeric) in zip(file.preprocessor.inputNames, file.preprocessor.inputKinds) { kinds[name] = numeric ? .numeric : .categorical }
      let header = try CSVReader(path: table!).header
      kinds = kinds.filter { name, _ in header.contains { $0.lowercased() == name.lowercased() } }
      if let revenueColumn { kinds[revenueColumn] = .numeric }
      let csv = try TypedCSV(path: table!, idColumn: id ?? file.idColumn, kinds: kinds)
      features = try csv.featureTable(label: nil)
      if let revenueColumn {
        guard let index = features.columnIndex(revenueColumn), case .numeric(let values) = features.columns[index] else {
          throw ValidationError("--revenue-column \(revenueColumn) is not a column of \(table!)")
        }
        revenue = values
      }
    }
    let rows = try RiskScorer(model: file).score(features, revenue: revenue, horizonMonths: horizonMonths, reasonRows: reasons)
    var ranked = RankedList(rows)
    let idHeader = events != nil ? file.events!.customerColumn : (id ?? file.idColumn)
    reportDrift(file.drift(features, scores: rows.map(\.probability)))
    if let previous {
      let last = try TypedCSV(path: previous, idColumn: idHeader, kinds: ["churn_probability": .numeric, "risk_band": .categorical])
      guard let p = last.columnIndex("churn_probability"), case .numeric(let probabilities) = last.columns[p] else {
        throw ValidationError("--previous \(previous) has no churn_probability column; expected a list written by churn score")
      }
      var bands: [String?] = Array(repeating: nil, count: last.ids.count)
      if let b = last.columnIndex("risk_band"), case .categorical(let values) = last.columns[b] { bands = values }
      var before: [String: (probability: Double, band: String?)] = [:]
      for (k, id) in last.ids.enumerated() where !probabilities[k].isNaN { before[id] = (probabilities[k], bands[k]) }
      ranked.compare(previous: before)
      let moved = ranked.rows.filter { $0.change?.contains("→") == true }.count
      StandardError.print("score: against \(previous): \(ranked.rows.filter { $0.change == "new" }.count) new, \(ranked.vanished.count) vanished, \(moved) changed band")
    }
    if let out {
      if format == "json" { try ranked.writeJSON(to: out, top: top) } else { try ranked.write(to: out, idHeader: idHeader, top: top) }
      StandardError.print("score: \(features.rowCount) customers scored; ranked list written to \(out)")
      print(out)
    } else {
      print(ranked.text(top: top ?? 20, idHeader: idHeader))
    }
  }
}

/// Warns about input columns (and the score) whose distribution moved since training.
func reportDrift(_ drift: [(column: String, psi: Double)]) {
  let shifted = drift.filter { $0.psi > 0.2 }
  if shifted.isEmpty {
    if let largest = drift.first {
      StandardError.print(String(format: "score: drift check: no column shifted (largest population stability index %.3f, %@)", largest.psi, largest.column))
    }
  } else {
    let named = shifted.prefix(8).map { String(format: "%@ %.2f", $0.column, $0.psi) }.joined(separator: ", ")
    StandardError.print("score: WARNING: \(shifted.count) columns shifted since training (population stability index > 0.2): \(named)"
      + (shifted.count > 8 ? ", ..." : ""))
  }
}

extension RiskScorer {
  /// Scored rows as ranked-list rows with readable reasons.
  func score(_ table: FeatureTable, revenue: [Double]?, horizonMonths: Double, reasonRows: Int) throws -> [RiskRow] {
    try scoreRows(table, revenue: revenue, horizonMonths: horizonMonths, reasonRows: reasonRows).map { s in
      RiskRow(id: s.id, probability: s.probability, band: s.band,
              reasons: s.reasons.map { r in
                ReasonText.reason(feature: r.level.map { "\(r.column)=\($0)" } ?? r.column, value: r.value, points: 100 * r.points)
              },
              revenueAtRisk: s.revenueAtRisk, segment: s.segment)
    }
  }
}
