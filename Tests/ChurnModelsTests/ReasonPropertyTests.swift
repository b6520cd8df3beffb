import ChurnCore
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// A random table of categorical columns (2–6 levels, a few missing values, some levels rare
/// enough to be pooled into "other") and one numeric column with missing values, labelled by a
/// logistic rule over the levels.
func randomCategoricalTable(seed: UInt64, rows: Int = 600) -> FeatureTable {
  var rng = SeededGenerator(seed: seed, stream: 0xCA7)
  let columnCount = 2 + rng.integer(below: 3)
  var names: [String] = [], columns: [FeatureTable.Column] = []
  var logit = [Double](repeating: -0.5, count: rows)
  for c in 0..<columnCount {
    let levels = (0..<(2 + rng.integer(below: 5))).map { "L\(c)_\($0)" + ($0 % 2 == 0 ? " x" : "") }
    // Uneven level shares, the last one rare.
    var weights = levels.indices.map { _ in 0.3 + rng.uniform() }
    weights[weights.count - 1] = 0.02
    let effect = levels.map { _ in rng.normal(standardDeviation: 1.2) }
    var values: [String?] = []
    for i in 0..<rows {
      if rng.bernoulli(0.04) {
        values.append(nil)
        logit[i] += 0.5
      } else {
        let k = rng.categorical(weights)
        values.append(levels[k])
        logit[i] += effect[k]
      }
    }
    names.append("c\(c)")
    columns.append(.categorical(values))
  }
  var numeric: [Double] = []
  for i in 0..<rows {
    let v = rng.normal()
    logit[i] += 0.8 * v
    numeric.append(rng.bernoulli(0.05) ? .nan : v)
  }
  names.append("n")
  columns.append(.numeric(numeric))
  let labels = logit.map { rng.bernoulli(1 / (1 + exp(-$0))) ? 1.0 : 0.0 }
  return FeatureTable(ids: (0..<rows).map { "id\($0)" }, columnNames: names, columns: columns, labels: labels)
}

@Suite("Reasons on random categorical tables")
struct ReasonPropertyTests {
  static let seeds: [UInt64] = [1, 2, 3, 4, 5, 6]

  @Test("Every reason's value is the customer's own; contributions add up to the probability (1e-9); reason 1 is the largest positive column",
        arguments: [ModelFamily.logistic, .forest])
  func ownLevels(family: ModelFamily) throws {
    for seed in Self.seeds {
      let table = randomCategoricalTable(seed: seed)
      let trained = try testSettings(family, trees: 25, minLeaf: 5, seed: seed).fit(table)
      var file = ModelFile(churnVersion: "test", idColumn: "id", labelColumn: "y", trained: trained,
                           training: .init(rows: table.rowCount, churned: 0, dataFingerprint: "", notes: []))
      if seed % 2 == 0 {
        // A calibration rescales the contributions: they must still add up.
        var calibration = Calibration()
        try calibration.fit(.platt, probabilities: trained.rawProbabilities(trained.x), labels: table.labels!, source: "training")
        file.calibration = calibration
      }
      let scored = try RiskScorer(model: file).scoreRows(table, revenue: nil, horizonMonths: 1, reasonRows: table.rowCount,
                                                         method: seed % 3 == 0 ? .path : .exact)
      let probabilities = try file.probabilities(table)
      var checkedLevels = 0
      // One issue per seed, naming it, rather than one per row.
      var failures: [String] = []
      func check(_ ok: Bool, _ what: @autoclosure () -> String) { if !ok { failures.append(what()) } }
      for (i, s) in scored.enumerated() {
        check(s.id == table.ids[i], "row \(i): id \(s.id)")
        for reason in s.reasons {
          let k = table.columnIndex(reason.column)!
          switch (table.columns[k], reason.value) {
          case (.categorical(let v), .level(let level)):
            check(v[i] == level, "seed \(seed) \(family) row \(i): reason \(reason) but \(reason.column) is \(v[i] ?? "missing")")
            checkedLevels += 1
          case (.categorical(let v), .missing):
            check(v[i] == nil, "seed \(seed) \(family) row \(i): reason \(reason) but \(reason.column) is \(v[i] ?? "missing")")
          case (.numeric(let v), .number(let x)):
            check(v[i] == x, "seed \(seed) \(family) row \(i): reason \(reason) but \(reason.column) is \(v[i])")
          case (.numeric(let v), .missing):
            check(v[i].isNaN, "seed \(seed) \(family) row \(i): reason \(reason) but \(reason.column) is \(v[i])")
          default:
            check(false, "seed \(seed) \(family) row \(i): reason \(reason) has a value of the wrong kind")
          }
        }
        guard i % 7 == 0 else { continue }
        // The explanation per column: additive, and its largest positive columns are the reasons, in order.
        let e = try file.explainColumns(table, row: i, exact: seed % 3 != 0)
        check(e.columns.map(\.column) == table.columnNames, "row \(i): columns \(e.columns.map(\.column))")
        check(abs(e.probability - probabilities[i]) < 1e-12, "row \(i): explain gives \(e.probability), the model \(probabilities[i])")
        check(abs(e.base + e.columns.reduce(0) { $0 + $1.contribution } - s.probability) < 1e-9, "seed \(seed) \(family) row \(i)")
        let positive = e.columns.filter { $0.contribution > 0 }.sorted { $0.contribution > $1.contribution }
        check(s.reasons.map(\.column) == positive.prefix(3).map(\.column), "seed \(seed) \(family) row \(i)")
        check(s.reasons.allSatisfy { $0.contribution > 0 }, "row \(i): a reason that is not positive: \(s.reasons)")
        if let first = s.reasons.first {
          check(abs(first.contribution - e.columns.map(\.contribution).max()!) < 1e-12, "row \(i): reason 1 \(first) is not the largest column \(e.columns)")
        }
        for (r, c) in zip(s.reasons, positive) { check(abs(r.contribution - c.contribution) < 1e-12 && r.value == c.value, "row \(i): reason \(r), explained \(c)") }
      }
      #expect(failures.isEmpty, "seed \(seed) \(family): \(failures.count) failures, such as \(failures.prefix(3))")
      #expect(checkedLevels > table.rowCount / 4, "seed \(seed) \(family): only \(checkedLevels) categorical reasons")
    }
  }
}
