import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

/// The report's "Time to churn" section of a survival model: its Kaplan–Meier survival by band
/// recomputed here from the customer table's churn dates and the model's curves at the held-out
/// cutoff, and its plotted and tabled values read back from the page.
@Suite("The report's time to churn")
struct TimeToChurnReportTests {
  @Test("Bands: customers, churned, mean predicted S(k) and Kaplan–Meier S(k) of the held-out cutoff's customers, by hand; the page plots and tables them; the riskiest customers' curves")
  func section() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = try SurvivalTrainerTests.simulated(dir)
    let model = try SurvivalTrainerTests.trainer().train(data, plan: SurvivalTrainerTests.plan).model
    let held = try #require(model.events?.holdoutCutoff)
    #expect(held == "2024-11-01")
    let scorer = Scorer(model: model)
    let report = try scorer.report(.events(data, asOf: "2024-12-01"), top: 5, health: false)
    let t = try #require(report.timeToChurn)
    #expect(t.periods == 3 && t.horizon == "30d")

    // The riskiest 5 customers as of the scoring date: the list's first 5 by probability, their curves.
    let now = try scorer.score(data, asOf: "2024-12-01").list.rows
    let riskiest = now.sorted { ($0.probability, $1.id) > ($1.probability, $0.id) }.prefix(5)
    #expect(t.customers == riskiest.map { .init(id: $0.id, survival: $0.survival!.survival) })

    // The held-out cutoff's customers: their curves as of that date, their observed times from the churn dates.
    let atCutoff = try scorer.score(data, asOf: held).list.rows
    let (header, customers, _) = try csvRecords(dir.file("customers.csv"))
    let (idAt, churnAt) = (header.firstIndex(of: "customer_id")!, header.firstIndex(of: "churn_date")!)
    let day: Int64 = 86_400_000
    let churnDate = Dictionary(uniqueKeysWithValues: customers.map { ($0[idAt], $0[churnAt].isEmpty ? nil : UTCTime.parseMilliseconds($0[churnAt])) })
    // The data end: the day after the last event.
    let (eventHeader, events, _) = try csvRecords(dir.file("events.csv"))
    let timeAt = eventHeader.firstIndex(of: "timestamp")!
    let last = events.map { UTCTime.parseMilliseconds(String($0[timeAt].prefix(10)))! }.max()!
    let dataEnd = last + day
    let cutoff = UTCTime.parseMilliseconds(held)!
    var groups: [String: [(curve: [Double], time: Int, churned: Bool)]] = [:]
    for row in atCutoff {
      // Period k is [cutoff + 30(k − 1) days, cutoff + 30k days), followed while it ends by the data end.
      var time = 0, churned = false
      for k in 1...3 {
        let (start, end) = (cutoff + Int64(30 * (k - 1)) * day, cutoff + Int64(30 * k) * day)
        guard end <= dataEnd else { break }
        time = k
        if let c = churnDate[row.id] ?? nil, c >= start && c < end { churned = true; break }
      }
      guard time >= 1 else { continue }
      let curve = row.survival!.survival
      groups[model.riskBands!.band(1 - curve[0]), default: []].append((curve, time, churned))
    }
    #expect(t.bands.map(\.band) == ["red", "yellow", "green"].filter { groups[$0] != nil })
    #expect(t.bands.count >= 2 && t.source.contains("\(groups.values.map(\.count).reduce(0, +)) customers at the model's held-out cutoff 2024-11-01"))
    let longest = groups.values.flatMap { $0.map(\.time) }.max()!
    #expect(longest == 2)
    #expect(t.source.contains("censored by the end of the data (\(UTCTime.formatDate(milliseconds: dataEnd))): followed at most \(longest) of 3 periods"), "\(t.source)")
    for b in t.bands {
      let g = groups[b.band]!
      #expect(b.customers == g.count && b.churned == g.filter(\.churned).count, "\(b.band)")
      var s = 1.0
      for k in 1...3 {
        let mean = g.reduce(0) { $0 + $1.curve[k - 1] } / Double(g.count)
        #expect(abs(b.predicted[k - 1] - mean) < 1e-12, "\(b.band) S(\(k)) predicted")
        let atRisk = g.filter { $0.time >= k }.count
        if atRisk == 0 {
          #expect(b.kaplanMeier[k - 1] == nil, "\(b.band) S(\(k))")
        } else {
          s *= 1 - Double(g.filter { $0.time == k && $0.churned }.count) / Double(atRisk)
          #expect(b.kaplanMeier[k - 1].map { abs($0 - s) < 1e-12 } == true, "\(b.band) S(\(k)) Kaplan–Meier: \(String(describing: b.kaplanMeier[k - 1])) against \(s)")
        }
      }
    }

    // The page: well formed; both plots' lines read back equal the values (to the drawing's 0.1 px), the tables to 3 decimals.
    let html = try report.html()
    #expect(!html.contains("<script"))
    let curves = try SVGLines(svg: try #require(SVGLines.svg(html, section: "time-to-churn", index: 0)), xRange: 0...3)
    #expect(curves.names == t.customers.map(\.id))
    for (line, c) in zip(curves.points, t.customers) {
      let expected = [1] + c.survival
      #expect(line.count == 4 && zip(line, expected).enumerated().allSatisfy { k, p in abs(p.0.x - Double(k)) < 0.01 && abs(p.0.y - p.1) < 0.002 },
              "\(c.id): \(line) against \(expected)")
    }
    let bandLines = try SVGLines(svg: try #require(SVGLines.svg(html, section: "time-to-churn", index: 1)), xRange: 0...3)
    #expect(bandLines.names == t.bands.flatMap { ["\($0.band): Kaplan–Meier (\($0.customers))", "\($0.band): model"] })
    for (k, b) in t.bands.enumerated() {
      let observed = [1] + b.kaplanMeier.compactMap { $0 }, predicted = [1] + b.predicted
      #expect(bandLines.points[2 * k].map(\.y).count == observed.count && zip(bandLines.points[2 * k], observed).allSatisfy { abs($0.y - $1) < 0.002 },
              "\(b.band) Kaplan–Meier: \(bandLines.points[2 * k])")
      #expect(zip(bandLines.points[2 * k + 1], predicted).allSatisfy { abs($0.y - $1) < 0.002 } && bandLines.points[2 * k + 1].count == 4, "\(b.band) model")
    }
    let three = { (x: Double) in String(format: "%.3f", x) }
    let tableRows = html.components(separatedBy: "<section id=\"time-to-churn\">")[1].components(separatedBy: "</section>")[0]
      .components(separatedBy: "<tr>").dropFirst(2).map { $0.replacingOccurrences(of: "<[^>]*>", with: "|", options: .regularExpression)
        .split(separator: "|").map(String.init) }
    let customerRows = tableRows.prefix(t.customers.count), bandRows = tableRows.dropFirst(t.customers.count + 1)
    #expect(customerRows.map { Array($0.prefix(4)) } == t.customers.map { [$0.id] + $0.survival.map(three) })
    #expect(bandRows.map { $0 } == t.bands.map { b in
      [b.band, "\(b.customers)", "\(b.churned)"] + zip(b.predicted, b.kaplanMeier).map { three($0) + " / " + ($1.map(three) ?? "—") }
    })

    // The text names each plot by its title (a browser at 1,240 pixels puts the second below the
    // first, so "left" and "right" were wrong), and each title is a plot's.
    let section = html.components(separatedBy: "<section id=\"time-to-churn\">")[1]
    let text = section.components(separatedBy: "</p>")[0]
    for (index, title) in ["Survival of the \(t.customers.count) riskiest customers", "Observed (Kaplan–Meier) against predicted, by band"].enumerated() {
      #expect(text.contains(title + ": "), "\(text)")
      #expect(try #require(SVGLines.svg(html, section: "time-to-churn", index: index)).contains(">\(title)</text>"))
    }
    #expect(!text.contains("Left") && !text.contains("Right"))

    // (A fixed-horizon model's report has no such section: ReportNumberTests checks it through the CLI.)
    #expect(html.contains("<section id=\"time-to-churn\">"))
  }
}
