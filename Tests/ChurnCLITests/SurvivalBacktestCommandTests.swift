import ChurnFeatures
import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

/// `churn backtest --survival` prints what the library computes: each fold's concordance,
/// integrated Brier score and the last fold's predicted against Kaplan–Meier survival per risk
/// decile, read back from standard output and compared with `SurvivalEvaluation` called on the
/// same folds' curves and observed times (the library's backtest, run in this process on the same
/// data and settings), and with Harrell's C and Kaplan–Meier recomputed here by brute force.
@Suite("churn backtest --survival: the printed tables")
struct SurvivalBacktestCommandTests {
  /// Harrell's C over every pair, as the definition reads (`ConcordanceIndex`'s doc comment).
  static func bruteForceConcordance(predicted: [Double], periods: [Int], churned: [Bool]) -> Double {
    var comparable = 0.0, agree = 0.0
    for i in predicted.indices where churned[i] {
      for j in predicted.indices where j != i && (periods[i] < periods[j] || (periods[i] == periods[j] && !churned[j])) {
        comparable += 1
        agree += predicted[i] < predicted[j] ? 1 : (predicted[i] == predicted[j] ? 0.5 : 0)
      }
    }
    return agree / comparable
  }

  /// The product-limit estimate S(1) … S(K), nil where no one is at risk.
  static func bruteForceKaplanMeier(periods: [Int], churned: [Bool], k: Int) -> [Double?] {
    var s = 1.0
    return (1...k).map { period in
      let atRisk = periods.filter { $0 >= period }.count
      guard atRisk > 0 else { return nil }
      let events = periods.indices.filter { periods[$0] == period && churned[$0] }.count
      s *= 1 - Double(events) / Double(atRisk)
      return s
    }
  }

  @Test("Every fold's customers, churned, C, pairs and IBS, and the last fold's deciles equal SurvivalEvaluation of the fold's curves; C and KM by brute force")
  func printedTables() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try CustomerSimulator(settings: SimulationSettings(customerCount: 200, months: 12, seed: 31)).write(to: dir.path)
    let (cutoffs, periods) = ("2024-08-01:2024-11-01:1m", 3)
    let run = try runChurn(["backtest", "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"), "--cutoffs", cutoffs,
                            "--horizon", "30d", "--survival", "--periods", "\(periods)", "--l2", "10", "--bootstrap", "0", "--threads", "2"])
    #expect(run.status == 0, "\(run.stderr)")
    let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

    // The library, on the same data and settings.
    var trainer = Trainer(settings: ModelSettings(.logistic(LogisticSpec(l2Penalty: 10)), threads: 2), tuning: .defaultSearch(fixed: ["l2Penalty"]))
    trainer.survival = try SurvivalSettings(periods: periods, encoding: .standard(for: .logistic))
    let result = try trainer.backtest(EventData(events: dir.file("events.csv"), customers: dir.file("customers.csv")),
                                      plan: try ObservationPlan(cutoffs: cutoffs, horizon: "30d"), bootstrap: 0)
    #expect(result.folds.count == 3, "\(result.folds.map(\.fold))")
    // Each fold's evaluation, recomputed from its curves and observed times.
    let evaluations = try result.folds.map { fold -> (name: String, SurvivalEvaluation, curves: [[Double]], observed: ObservedTimes) in
      let (curves, observed) = try #require(fold.survivalPredictions)
      let e = SurvivalEvaluation(survival: curves, observed: observed)
      #expect(e == fold.survival, "\(fold.fold)")
      return (fold.fold, e, curves, observed)
    }
    // A printed number equals the computed one to its printed digits (half a unit of the last, with room for the last bits of BLAS).
    func agrees(_ printed: String, _ value: Double, decimals: Int) -> Bool {
      guard let x = Double(printed) else { return false }
      return abs(x - value) <= 0.5 * pow(10, -Double(decimals)) + 1e-9
    }

    // The fold table: fold, customers, churned, C, pairs, IBS.
    let tableStart = try #require(lines.firstIndex { $0.hasPrefix("time to churn (observed times with censoring") })
    #expect(lines[tableStart + 1] == "fold         customers  churned   C       pairs        IBS")
    let foldRows = lines[(tableStart + 2)...].prefix { !$0.isEmpty }.map { $0.split(separator: " ").map(String.init) }
    #expect(foldRows.map { $0[0] } == evaluations.map(\.name))
    for (row, (name, e, curves, observed)) in zip(foldRows, evaluations) {
      #expect(row.count == 6, "\(row)")
      #expect(row[1] == "\(e.customers)" && row[2] == "\(e.churned)" && row[4] == "\(e.comparablePairs)", "\(name): \(row)")
      #expect(e.customers == curves.count && e.churned == observed.churned.filter { $0 }.count)
      #expect(agrees(row[3], e.concordance, decimals: 4), "\(name): C printed \(row[3]), computed \(e.concordance)")
      let brute = Self.bruteForceConcordance(predicted: curves.map { $0.reduce(0, +) }, periods: observed.periods, churned: observed.churned)
      #expect(abs(brute - e.concordance) < 1e-12, "\(name): \(brute) against \(e.concordance)")
      #expect(agrees(row[5], e.integratedBrierScore, decimals: 4), "\(name): IBS printed \(row[5]), computed \(e.integratedBrierScore)")
    }

    // The last fold's deciles: decile, customers, then predicted/observed S(k) for k = 1…K ("  —  " where no one was at risk).
    let (lastName, last, curves, observed) = try #require(evaluations.last)
    let decileStart = try #require(lines.firstIndex { $0.hasPrefix("predicted survival against Kaplan–Meier per risk decile on \(lastName) ") })
    #expect(lines[decileStart].hasSuffix("S(k) predicted / observed, k = 1…\(periods)):"))
    let decileRows = lines[(decileStart + 1)...].prefix { !$0.isEmpty }.map { $0.replacingOccurrences(of: "/  —  ", with: "/—").split(separator: " ").map(String.init) }
    #expect(decileRows.count == 10 && last.deciles.count == 10)
    // Deciles recomputed here: risk 1 − S(1), highest first, ties in input order, groups of ⌊n(d + 1)/10⌋ − ⌊nd/10⌋.
    let n = curves.count
    let order = curves.indices.sorted { (1 - curves[$0][0], -$0) > (1 - curves[$1][0], -$1) }
    for (d, (row, decile)) in zip(decileRows, last.deciles).enumerated() {
      let members = Array(order[(n * d / 10)..<(n * (d + 1) / 10)])
      #expect(row.count == 2 + periods, "\(row)")
      #expect(row[0] == "\(d + 1)" && row[1] == "\(members.count)" && decile.customers == members.count, "decile \(d + 1): \(row)")
      let km = Self.bruteForceKaplanMeier(periods: members.map { observed.periods[$0] }, churned: members.map { observed.churned[$0] }, k: periods)
      for k in 0..<periods {
        let parts = row[2 + k].split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let mean = members.reduce(0.0) { $0 + curves[$1][k] } / Double(members.count)
        #expect(abs(mean - decile.predicted[k]) < 1e-12)
        #expect(agrees(parts[0], decile.predicted[k], decimals: 3), "decile \(d + 1), S(\(k + 1)) predicted: printed \(parts[0]), computed \(decile.predicted[k])")
        #expect((km[k] == nil) == (decile.kaplanMeier[k] == nil) && zip([km[k]].compactMap { $0 }, [decile.kaplanMeier[k]].compactMap { $0 }).allSatisfy { abs($0 - $1) < 1e-12 },
                "decile \(d + 1), S(\(k + 1)): \(String(describing: km[k])) against \(String(describing: decile.kaplanMeier[k]))")
        if let observedS = decile.kaplanMeier[k] {
          #expect(agrees(parts[1], observedS, decimals: 3), "decile \(d + 1), S(\(k + 1)) Kaplan–Meier: printed \(parts[1]), computed \(observedS)")
        } else {
          #expect(parts[1] == "—", "decile \(d + 1), S(\(k + 1)): \(parts)")
        }
      }
    }
  }
}
