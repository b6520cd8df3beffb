import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

@Suite("Backtest folds: purged time folds and stratified k-fold")
struct TrainingFoldsTests {
  func build(_ path: String, customers: String?, cutoffs: [Int64], horizon: CalendarSpan = .days(45)) throws -> FeatureTable {
    let design = try ObservationDesign(cutoffs: cutoffs, horizon: horizon)
    return try FeatureBuilder(design: design, customers: try customers.map { try CustomerTable(path: $0) })
      .build(events: EventLogReader(path: path)).table
  }

  /// With the customer table labels are contractual (churn dates); without it they are
  /// inactivity labels, which the moved events could change if a label window reached past c.
  @Test("Moving, changing or adding events on or after a test cutoff changes no training row of its fold", arguments: [true, false])
  func noLeakage(contractual: Bool) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try CustomerSimulator(settings: SimulationSettings(customerCount: 200, months: 10, seed: 5)).write(to: dir.path)
    let cutoffs = try ObservationDesign.cutoffRange("2024-03-01:2024-09-01:1m")
    // A 45-day horizon with monthly cutoffs: last month's rows are still in their label window at c.
    let horizon = CalendarSpan.days(45)
    let customers = contractual ? dir.file("customers.csv") : nil
    let base = try build(dir.file("events.csv"), customers: customers, cutoffs: cutoffs)
    let folds = Folds.timeOrdered(cutoffs: base.cutoffs!, labels: base.labels!, labelWindowEnd: { horizon.added(to: $0) })
    #expect(folds.count >= 4)
    for fold in folds {
      let c = fold.testCutoff!
      // Purge gap: every training row's label window closed by the test cutoff; the test rows are all at it.
      #expect(fold.train.allSatisfy { horizon.added(to: base.cutoffs![$0]) <= c })
      #expect(fold.test.allSatisfy { base.cutoffs![$0] == c })
    }
    let fold = folds[folds.count / 2]
    let c = fold.testCutoff!
    // Rewrite the log: every event on or after c moves 0–20 days later with a new value, and
    // customers get extra events of every type from c on.
    let text = try String(contentsOfFile: dir.file("events.csv"), encoding: .utf8)
    var rng = SeededGenerator(seed: 9)
    var out = ["customer_id,timestamp,event_type,value"]
    var ids = Set<String>()
    for line in text.split(separator: "\n").dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      ids.insert(f[0])
      let t = UTCTime.parseMilliseconds(f[1])!
      if t >= c {
        let moved = t + Int64(rng.integer(below: 21)) * UTCTime.millisecondsPerDay
        out.append("\(f[0]),\(UTCTime.formatDateTime(milliseconds: moved)),\(f[2]),\(f[3].isEmpty ? "" : String(rng.integer(below: 50)))")
      } else {
        out.append(String(line))
      }
    }
    // Every other customer gets new events (all of them would leave nobody inactive at c).
    for (k, id) in ids.sorted().enumerated() where k % 2 == 0 {
      for type in ["login", "complaint", "payment", "ticket", "order"] {
        out.append("\(id),\(UTCTime.formatDateTime(milliseconds: c + Int64(rng.integer(below: 60 * 86_400)) * 1000)),\(type),3")
      }
    }
    try (out.joined(separator: "\n") + "\n").write(toFile: dir.file("moved.csv"), atomically: true, encoding: .utf8)
    let moved = try build(dir.file("moved.csv"), customers: customers, cutoffs: cutoffs)
    let again = try #require(Folds.timeOrdered(cutoffs: moved.cutoffs!, labels: moved.labels!, labelWindowEnd: { horizon.added(to: $0) })
      .first { $0.testCutoff == c })
    let a = base.rows(fold.train), b = moved.rows(again.train)
    #expect(a.ids == b.ids && a.cutoffs == b.cutoffs)
    #expect(a.labels == b.labels)
    // Every column both have is identical on the training rows. The log's new values after c
    // can add columns (sum_T and mean_T for a type that had no values before): on the
    // training rows they are constant, so they carry nothing, and the preprocessing drops them.
    for (name, x) in zip(a.columnNames, a.columns) {
      guard let k = b.columnIndex(name) else { continue }
      switch (x, b.columns[k]) {
      case (.numeric(let u), .numeric(let v)):
        #expect(zip(u, v).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(name) of a training row changed")
      default: #expect(x == b.columns[k], "\(name) of a training row changed")
      }
    }
    for (name, column) in zip(b.columnNames, b.columns) where a.columnIndex(name) == nil {
      guard case .numeric(let v) = column else { Issue.record("new categorical column \(name)"); continue }
      #expect(v.allSatisfy { $0 == v[0] || ($0.isNaN && v[0].isNaN) }, "new column \(name) varies over the training rows")
    }
    #expect(Set(a.columnNames).isSubset(of: Set(b.columnNames)))
    // So the fold's model is the same model.
    let settings = ModelSettings(.logistic(LogisticSpec(l2Penalty: 10)))
    // One BLAS thread (process-wide, and tests run in parallel): with more, sums change order between fits.
    BLASThreads.set(1)
    let m1 = try settings.fit(a), m2 = try settings.fit(b)
    #expect(m1.preprocessor.outputNames == m2.preprocessor.outputNames)
    #expect((m1.model as! LogisticModel).coefficients == (m2.model as! LogisticModel).coefficients && (m1.model as! LogisticModel).intercept == (m2.model as! LogisticModel).intercept)
  }

  @Test("Stratified k-fold: every labelled row tested once, churn rate even across folds, seeded")
  func stratified() throws {
    let labels: [Double] = (0..<103).map { $0 % 5 == 0 ? 1 : 0 } + [.nan]
    let folds = try Folds.stratified(labels: labels, k: 4, seed: 3)
    #expect(folds.flatMap(\.test).sorted() == Array(0..<103))
    for f in folds {
      #expect(Set(f.train).isDisjoint(with: f.test) && f.train.count + f.test.count == 103)
      let churners = f.test.filter { labels[$0] == 1 }.count
      #expect(churners == 5 || churners == 6)
    }
    #expect(try Folds.stratified(labels: labels, k: 4, seed: 3) == folds)
    #expect(try Folds.stratified(labels: labels, k: 4, seed: 4) != folds)
  }
}
