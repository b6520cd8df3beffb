import ChurnTestSupport
import Foundation
import Testing

/// `--features btyd` run as a program on the CDNOW log: the columns are `churn lifetime`'s
/// values at the cutoff, a model stores the family, and `churn score` recomputes the columns at
/// the as-of date exactly as `churn features` writes them.
@Suite("churn features --features btyd")
struct BTYDFeaturesCommandTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
  static let events = root + "/datasets/cdnow/events.csv"

  @Test("features -> train -> score: churn lifetime's P(alive) and expected purchases at the cutoff; score from the log = score from the features")
  func endToEnd() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let features = try runChurn(["features", "--events", Self.events, "--cutoff", "1998-04-01", "--horizon", "90d", "--features", "btyd",
                                 "--out", dir.file("f.csv")])
    #expect(features.status == 0, "\(features.stderr)")
    let table = try csvRecords(dir.file("f.csv"))
    #expect(Array(table.header.suffix(3)) == ["btyd_p_alive", "btyd_expected_purchases", "label"])
    #expect(table.rows.count == 384)
    // The same values from churn lifetime as of the cutoff, over the same 90 days.
    let lifetime = try runChurn(["lifetime", "--events", Self.events, "--as-of", "1998-04-01", "--horizon", "90d", "--out", dir.file("l.csv")])
    #expect(lifetime.status == 0, "\(lifetime.stderr)")
    let reference = try csvRecords(dir.file("l.csv"))
    let byId = Dictionary(uniqueKeysWithValues: reference.rows.map { ($0[0], (Double($0[5])!, Double($0[6])!)) })
    let n = table.header.count
    for row in table.rows {
      let (pAlive, purchases) = byId[row[0]]!
      // churn features writes 9 significant digits.
      #expect(relativeDifference(Double(row[n - 3])!, pAlive) < 1e-8 && relativeDifference(Double(row[n - 2])!, purchases) < 1e-8, "\(row[0])")
    }

    let train = try runChurn(["train", "--events", Self.events, "--cutoffs", "1997-05-01:1997-08-01:1m", "--horizon", "90d", "--features", "btyd",
                              "--l2", "1", "--importance", "none", "--threads", "1", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    let model = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("m.json")))) as! [String: Any]
    let spec = model["featureSpec"] as? [String: Any]
    #expect((spec?["btyd"] as? [String: Any])?["horizonDays"] as? Int == 90)
    let fromLog = try runChurn(["score", "--model", dir.file("m.json"), "--events", Self.events, "--as-of", "1998-04-01", "--out", dir.file("r1.csv")])
    let fromTable = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("f.csv"), "--out", dir.file("r2.csv")])
    #expect(fromLog.status == 0 && fromTable.status == 0, "\(fromLog.stderr) \(fromTable.stderr)")
    // The same probabilities (the CSV's 9 digits can move a reason's last shown digit, not a probability's 6).
    let (scored, rescored) = (try csvRecords(dir.file("r1.csv")), try csvRecords(dir.file("r2.csv")))
    #expect(scored.rows.count == 384)
    let probability = Dictionary(uniqueKeysWithValues: rescored.rows.map { ($0[1], $0[2]) })
    #expect(scored.rows.allSatisfy { probability[$0[1]] == $0[2] })
    #expect(scored.rows.contains { $0[5...7].contains { $0.hasPrefix("expected purchases in the horizon (BG/NBD) = ") } })
  }

  @Test("errors: an unknown family, a default family, --features with --spec, churn sql")
  func errors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    func error(_ arguments: [String]) throws -> (Int32, String) {
      let run = try runChurn(arguments)
      return (run.status, run.stderr.split(separator: "\n").first.map(String.init) ?? "")
    }
    let features = ["features", "--events", Self.events, "--cutoff", "1998-01-01", "--out", dir.file("f.csv")]
    #expect(try error(features + ["--features", "bytd"]) == (64, "Error: --features \"bytd\" is not a feature family to add; expected btyd"))
    #expect(try error(features + ["--features", "rfm"])
      == (64, "Error: --features rfm: rfm is a default family, always computed; --features adds the families that are off by default: btyd"))
    #expect(try runChurn(features + ["--save-spec", dir.file("s.json")]).status == 0)
    #expect(try error(features + ["--spec", dir.file("s.json"), "--features", "btyd"])
      == (64, "Error: --features comes from the spec when --spec is given; drop it or edit the spec"))
    #expect(try error(["sql", "--dialect", "duckdb", "--events-table", "events", "--event-types", "purchase", "--features", "btyd", "--cutoff", "1998-01-01"])
      == (1, "Error: the btyd features (btyd_p_alive, btyd_expected_purchases) come from a BG/NBD model fitted on the purchases before each cutoff, "
        + "which SQL cannot compute; compute them from an event log file (--events), or use features without --features btyd (a spec or model made without it)"))
    #expect(try error(["sql", "--dialect", "duckdb", "--events-table", "events", "--spec", dir.file("s.json"), "--features", "btyd", "--cutoff", "1998-01-01"])
      == (64, "Error: --features comes from the spec when --spec or --model is given; drop it"))
  }
}
