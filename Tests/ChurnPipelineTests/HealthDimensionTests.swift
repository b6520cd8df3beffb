import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

/// Health by dimension against numbers computed here: a logistic model's terms by hand, the
/// demo scored by all three families, the CLI's columns against the library's values.
@Suite("Health by dimension, scored")
struct HealthDimensionTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
  static let demo = ["--events", root + "/datasets/demo/events.csv", "--customers", root + "/datasets/demo/customers.csv"]
  static let demoData = EventData(events: root + "/datasets/demo/events.csv", customers: root + "/datasets/demo/customers.csv")

  /// The planted table with columns named as the default rules place them: complaints
  /// (service), logins (engagement), noise (account), plan (categorical, commercial).
  static func table() -> FeatureTable {
    let planted = plantedTable()
    return FeatureTable(ids: planted.ids, columnNames: ["count_complaint_90d", "count_login_30d", "noise", "plan"], columns: planted.columns,
                        labels: planted.labels)
  }

  /// `table` without labels, written as CSV for `--table`.
  static func write(_ table: FeatureTable, to path: String) throws {
    try FeatureTable(ids: table.ids, columnNames: table.columnNames, columns: table.columns).writeCSV(to: path)
  }

  /// The values of a CSV's header-named columns, per customer id (the second column).
  static func columns(_ path: String) throws -> (header: [String], rows: [String: [String: String]]) {
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    var rows: [String: [String: String]] = [:]
    // Reasons may hold quoted commas: the health columns are read from the right.
    let header = lines[0]
    for line in lines.dropFirst() where !line[0].isEmpty {
      var row: [String: String] = [:]
      for k in 0..<(header.count - 11) { row[header[header.count - 1 - k]] = line[line.count - 1 - k] }
      rows[line[1]] = row
    }
    return (header, rows)
  }

  @Test("Logistic, by hand: health = round(100(1 − σ(b + η))), each dimension −100 × its terms β·x × (p − p₀)/η; the plan's one-hot levels in commercial")
  func logisticByHand() throws {
    let table = Self.table()
    let file = try modelFile(table, ModelSettings(.logistic(LogisticSpec(l2Penalty: 1, fatTailTransform: false))))
    #expect(file.calibration == nil)
    let model = file.model as! LogisticModel
    // The design columns' dimensions, by hand from their names.
    let owner = model.featureNames.map { name -> String in
      if name.hasPrefix("count_complaint") { return "service" }
      if name.hasPrefix("count_login") { return "engagement" }
      if name.hasPrefix("plan") { return "commercial" }
      return "account"
    }
    #expect(model.featureNames.filter { $0.hasPrefix("plan=") }.count >= 1 && owner.filter { $0 == "commercial" }.count >= 1)
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.write(table, to: dir.file("t.csv"))
    let scored = try Scorer(model: file).score(TableData(path: dir.file("t.csv")))
    #expect(scored.list.healthDimensions == ["service", "commercial", "engagement", "account"])
    let rows = Dictionary(uniqueKeysWithValues: scored.list.rows.map { ($0.id, $0) })

    let x = try file.preprocessor.transform(table)
    let b = model.intercept
    func sigma(_ z: Double) -> Double { 1 / (1 + exp(-z)) }
    var checked = 0
    for i in 0..<table.rowCount {
      let terms = (0..<model.coefficients.count).map { j in model.coefficients[j] * x[i, j] }
      let eta = terms.reduce(0, +)
      let p = sigma(b + eta)
      let scale = (p - sigma(b)) / eta
      let health = try #require(rows[table.ids[i]]?.health)
      #expect(health.score == Int((100 * (1 - p)).rounded()) && health.baseline == Int((100 * (1 - sigma(b))).rounded()))
      for d in health.dimensions {
        let expected = -100 * scale * zip(terms, owner).filter { $0.1 == d.name }.reduce(0) { $0 + $1.0 }
        // 1e-7 health points = 1e-9 in probability: (p − p₀)/η magnifies the last bits of p when η is small.
        #expect(abs(d.exact - expected) < 1e-7, "\(table.ids[i]) \(d.name): \(d.exact), expected \(expected)")
      }
      #expect(health.baseline + health.dimensions.reduce(0) { $0 + $1.points } == health.score)
      checked += 1
    }
    #expect(checked == 600)

    // Every customer gets health whether or not they get reasons; health: false leaves it out.
    let noReasons = try Scorer(model: file).score(TableData(path: dir.file("t.csv")), options: ScoringOptions(reasons: 0))
    #expect(noReasons.list.rows.allSatisfy { $0.reasons.isEmpty && $0.health == rows[$0.id]!.health })
    let without = try Scorer(model: file).score(TableData(path: dir.file("t.csv")), options: ScoringOptions(health: false))
    #expect(without.list.healthDimensions == nil && without.list.rows.allSatisfy { $0.health == nil })
    try without.write(to: dir.file("without.csv"))
    #expect(try String(contentsOfFile: dir.file("without.csv"), encoding: .utf8).hasPrefix(
      "rank,customer_id,churn_probability,percentile,risk_band,reason_1,reason_2,reason_3,expected_revenue_at_risk,segment,change\n"))
  }

  @Test("A customer with many complaints has a negative service dimension: every one above the mean (exact), the top tenth in points")
  func complaintsCostService() throws {
    let table = Self.table()
    let file = try modelFile(table, ModelSettings(.logistic(LogisticSpec(l2Penalty: 1, fatTailTransform: false))))
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.write(table, to: dir.file("t.csv"))
    let scored = try Scorer(model: file).score(TableData(path: dir.file("t.csv")))
    guard case .numeric(let complaints) = table.columns[0] else { Issue.record("complaints are not numeric"); return }
    let mean = complaints.reduce(0, +) / Double(complaints.count)
    let tenth = complaints.sorted()[complaints.count * 9 / 10]
    let byID = Dictionary(uniqueKeysWithValues: zip(table.ids, complaints))
    var above = 0, top = 0
    for row in scored.list.rows {
      let service = try #require(row.health?.dimensions.first { $0.name == "service" })
      if byID[row.id]! > mean {
        above += 1
        #expect(service.exact < 0, "\(row.id): complaints \(byID[row.id]!), service \(service.exact)")
      }
      if byID[row.id]! >= tenth {
        top += 1
        #expect(service.points < 0, "\(row.id): complaints \(byID[row.id]!), service \(service.points)")
      }
    }
    #expect(above > 200 && top >= 60)

    // On the demo, the customer with the most complaints in 90 days: service is their worst dimension.
    let fixture = try ModelFile.read(path: Self.root + "/Tests/ChurnPipelineTests/Fixtures/v1-logistic-demo.json")
    let demo = try Scorer(model: fixture).score(Self.demoData, asOf: "2025-12-01")
    let features = try ObservationPlan(cutoff: ["2025-12-01"], horizon: "30d").features(Self.demoData).table
    guard let k = features.columnIndex("count_complaint_90d"), case .numeric(let counts) = features.columns[k] else {
      Issue.record("no count_complaint_90d on the demo"); return
    }
    let most = features.ids[counts.indices.max { counts[$0] < counts[$1] }!]
    let health = try #require(demo.list.rows.first { $0.id == most }?.health)
    #expect(counts.max()! >= 5)
    #expect(health.points("service")! < 0 && health.dimensions.min { $0.points < $1.points }?.name == "service", "\(most): \(health.text)")
  }

  @Test("The demo scored by all three families: baseline + dimensions = health for every customer, and the CLI's columns are the library's")
  func demoThreeFamilies() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let train = Self.demo + ["--cutoffs", "2025-08-01:2025-11-01:1m", "--horizon", "30d", "--importance", "none", "--threads", "2"]
    let forest = try runChurn(["train"] + train + ["--model", "forest", "--trees", "20", "--max-depth", "8", "--calibrate", "platt", "--out", dir.file("forest.json")])
    #expect(forest.status == 0, "\(forest.stderr)")
    let boosting = try runChurn(["train"] + train + ["--model", "boosting", "--trees", "20", "--out", dir.file("boosting.json")])
    #expect(boosting.status == 0, "\(boosting.stderr)")
    let models = [Self.root + "/Tests/ChurnPipelineTests/Fixtures/v1-logistic-demo.json", dir.file("forest.json"), dir.file("boosting.json")]
    for (family, path) in zip(["logistic", "forest", "boosting"], models) {
      let file = try ModelFile.read(path: path)
      #expect(file.family.rawValue == family)
      let scored = try Scorer(model: file).score(Self.demoData, asOf: "2025-12-01")
      #expect(scored.count == 1218)
      let names = try #require(scored.list.healthDimensions)
      #expect(names == ["service", "finance", "commercial", "engagement", "account"], "\(family)")
      for row in scored.list.rows {
        let h = try #require(row.health)
        #expect(h.dimensions.map(\.name) == names)
        #expect(h.score == Int((100 * (1 - row.probability)).rounded()) && (0...100).contains(h.score))
        #expect(h.baseline + h.dimensions.reduce(0) { $0 + $1.points } == h.score, "\(family) \(row.id): \(h.text)")
        #expect(abs(h.exactBaseline + h.dimensions.reduce(0) { $0 + $1.exact } - h.exactScore) < 1e-7, "\(family) \(row.id)")
        #expect(h.dimensions.allSatisfy { abs(Double($0.points) - $0.exact) <= 1.5 }, "\(family) \(row.id): \(h)")
      }
      #expect(Set(scored.list.rows.map { $0.health!.baseline }).count == 1)
      #expect(scored.list.rows.contains { $0.health!.dimensions.contains { $0.points != 0 } })

      // The CLI's columns, read back, are the library's integers.
      let cli = try runChurn(["score", "--model", path] + Self.demo + ["--as-of", "2025-12-01", "--out", dir.file("\(family).csv")])
      #expect(cli.status == 0, "\(cli.stderr)")
      let (header, values) = try Self.columns(dir.file("\(family).csv"))
      #expect(header.suffix(7) == ["health", "health_baseline"] + names.map { "health_" + $0 })
      #expect(values.count == 1218)
      for row in scored.list.rows {
        let h = row.health!
        let written = values[row.id]!
        #expect(Int(written["health"]!) == h.score && Int(written["health_baseline"]!) == h.baseline, "\(family) \(row.id)")
        #expect(h.dimensions.allSatisfy { Int(written["health_" + $0.name]!) == $0.points }, "\(family) \(row.id)")
      }

      // churn explain of the riskiest customer gives the list's health.
      let first = scored.list.rows[0]
      let explained = try Scorer(model: file).explain(customer: first.id, in: Self.demoData, asOf: "2025-12-01")
      #expect(explained.health.score == first.health!.score && explained.health.dimensions.map(\.points) == first.health!.dimensions.map(\.points))
      #expect(zip(explained.health.dimensions, first.health!.dimensions).allSatisfy { abs($0.exact - $1.exact) < 1e-9 }, "\(family)")
      for term in explained.terms { #expect(term.dimension == Attribution().category(of: term.feature)) }
    }
  }

  @Test("--groups places columns in the user's dimensions for score and explain, as for weights; an unused rule is noted")
  func userGroups() throws {
    let table = Self.table()
    let file = try modelFile(table, ModelSettings(.logistic(LogisticSpec(l2Penalty: 1, fatTailTransform: false))))
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try file.write(to: dir.file("m.json"))
    try Self.write(table, to: dir.file("t.csv"))
    try "pattern,category\nplan,pricing\ncomplaint,care\nseat,pricing\n".write(toFile: dir.file("groups.csv"), atomically: true, encoding: .utf8)
    let score = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("t.csv"), "--groups", dir.file("groups.csv"), "--out", dir.file("s.csv")])
    #expect(score.status == 0, "\(score.stderr)")
    #expect(score.stderr.contains("score: note: \(dir.file("groups.csv")) line 4: no column name contains \"seat\"\n"), "\(score.stderr)")
    let (header, values) = try Self.columns(dir.file("s.csv"))
    #expect(header.suffix(5) == ["health", "health_baseline", "health_pricing", "health_care", "health_account"])

    // The library with the same rules; the commercial points of the default rules are now pricing's.
    let attribution = Attribution(rules: try Attribution.rules(path: dir.file("groups.csv")).map(\.rule))
    let own = try Scorer(model: file).score(TableData(path: dir.file("t.csv")), options: ScoringOptions(groups: attribution))
    let plain = try Scorer(model: file).score(TableData(path: dir.file("t.csv")))
    let before = Dictionary(uniqueKeysWithValues: plain.list.rows.map { ($0.id, $0.health!) })
    for row in own.list.rows {
      #expect(Int(values[row.id]!["health_pricing"]!) == row.health!.points("pricing"))
      #expect(row.health!.dimensions.first { $0.name == "pricing" }!.exact == before[row.id]!.dimensions.first { $0.name == "commercial" }!.exact)
      #expect(row.health!.dimensions.first { $0.name == "care" }!.exact == before[row.id]!.dimensions.first { $0.name == "service" }!.exact)
    }

    let explain = try runChurn(["explain", "--model", dir.file("m.json"), "--table", dir.file("t.csv"), "--customer", "c5", "--groups", dir.file("groups.csv"),
                                "--format", "json"])
    #expect(explain.status == 0, "\(explain.stderr)")
    let json = try JSONSerialization.jsonObject(with: Data(explain.stdout.utf8)) as! [String: Any]
    let health = json["health"] as! [String: Any]
    let dimensions = (health["dimensions"] as! [[String: Any]])
    #expect(dimensions.map { $0["name"] as! String } == ["pricing", "care", "account"])
    let c5 = own.list.rows.first { $0.id == "c5" }!.health!
    #expect(dimensions.map { $0["points"] as! Int } == c5.dimensions.map(\.points) && health["score"] as? Int == c5.score)
    #expect((json["terms"] as! [[String: Any]]).first { $0["feature"] as? String == "plan" }?["dimension"] as? String == "pricing")

    // --no-health: the list without the health columns; --groups with it is refused.
    let none = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("t.csv"), "--no-health", "--out", dir.file("n.csv")])
    #expect(none.status == 0, "\(none.stderr)")
    #expect(try String(contentsOfFile: dir.file("n.csv"), encoding: .utf8).hasPrefix(
      "rank,customer_id,churn_probability,percentile,risk_band,reason_1,reason_2,reason_3,expected_revenue_at_risk,segment,change\n"))
    let both = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("t.csv"), "--no-health", "--groups", dir.file("groups.csv")])
    #expect(both.status == 64 && both.stderr.split(separator: "\n").first == "Error: --groups places columns in health dimensions; --no-health leaves them out",
            "\(both.stderr)")

    let bad = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("t.csv"), "--groups", dir.file("t.csv"), "--out", dir.file("x.csv")])
    #expect(bad.status != 0 && !FileManager.default.fileExists(atPath: dir.file("x.csv")))
    let firstLine = try String(contentsOfFile: dir.file("t.csv"), encoding: .utf8).split(separator: "\n")[0]
    #expect(bad.stderr == "Error: \(dir.file("t.csv")) line 1: \"\(firstLine)\" is not pattern,category; expected two fields separated by a comma, such as ticket,service\n",
            "\(bad.stderr)")
  }

  @Test("churn explain prints the health lines: the score, the baseline, each dimension's points adding up")
  func explainText() throws {
    let table = Self.table()
    let file = try modelFile(table, ModelSettings(.logistic(LogisticSpec(l2Penalty: 1, fatTailTransform: false))))
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try file.write(to: dir.file("m.json"))
    try Self.write(table, to: dir.file("t.csv"))
    let explained = try Scorer(model: file).explain(customer: "c5", in: TableData(path: dir.file("t.csv")))
    let h = explained.health
    let text = try runChurn(["explain", "--model", dir.file("m.json"), "--table", dir.file("t.csv"), "--customer", "c5"])
    #expect(text.status == 0, "\(text.stderr)")
    let lines = text.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let start = try #require(lines.firstIndex { $0.hasPrefix("health ") })
    #expect(lines[start] == "health \(h.score) of 100 = baseline \(h.baseline) (the health of the model's average customer) + the dimensions below")
    #expect(lines[start + 1] == "dimension       health pts   exact    strongest features")
    for (k, d) in h.dimensions.enumerated() {
      let line = lines[start + 2 + k]
      #expect(line.hasPrefix(d.name.padding(toLength: 16, withPad: " ", startingAt: 0)), "\(line)")
      let fields = line.split(separator: " ")
      #expect(Int(fields[1].replacingOccurrences(of: "+", with: "")) == d.points, "\(line)")
    }
    #expect(h.dimensions.map(\.name) == ["service", "commercial", "engagement", "account"])
  }
}
