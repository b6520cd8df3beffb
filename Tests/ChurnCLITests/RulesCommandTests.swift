import ChurnTestSupport
import Foundation
import Testing

@Suite("churn rules")
struct RulesCommandTests {
  /// Six customers observed at 2025-02-01 with a 30-day horizon: c1, c2 and c5 churn in it.
  /// c1, c2, c3 complained; c1 (27 days) and c5 (43 days) have not logged in for 20 days.
  func fixture(_ dir: TemporaryDirectory) throws {
    try """
      customer_id,timestamp,event_type,value
      c1,2025-01-05T00:00:00Z,login,
      c1,2025-01-10T00:00:00Z,complaint,
      c2,2025-01-20T00:00:00Z,complaint,
      c2,2025-01-25T00:00:00Z,login,
      c3,2025-01-15T00:00:00Z,complaint,
      c3,2025-01-28T00:00:00Z,login,
      c3,2025-03-10T00:00:00Z,login,
      c4,2025-01-30T00:00:00Z,login,
      c4,2025-03-12T00:00:00Z,login,
      c5,2024-12-20T00:00:00Z,login,
      c6,2025-01-29T00:00:00Z,login,
      c6,2025-03-05T00:00:00Z,login,

      """.write(toFile: dir.file("events.csv"), atomically: true, encoding: .utf8)
    try """
      customer_id,plan,signup_date,churn_date
      c1,basic,2024-06-01,2025-02-10
      c2,pro,2024-06-01,2025-02-20
      c3,basic,2024-06-01,
      c4,pro,2024-06-01,
      c5,basic,2024-06-01,2025-02-15
      c6,pro,2024-06-01,

      """.write(toFile: dir.file("customers.csv"), atomically: true, encoding: .utf8)
    try ("name,severity,condition\ncomplained,red,count_complaint_90d >= 1\nquiet,yellow,days_since_last_login > 20\n"
      + #"quiet basic,yellow,"days_since_last_login > 20 and plan == ""basic""""# + "\n")
      .write(toFile: dir.file("rules.csv"), atomically: true, encoding: .utf8)
  }

  func run(_ dir: TemporaryDirectory, _ extra: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    try runChurn(["rules", "--rules", dir.file("rules.csv"), "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                  "--cutoff", "2025-02-01", "--threads", "1"] + extra)
  }

  @Test("The table on a small log, exactly; --out CSV and JSON")
  func table() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try fixture(dir)
    let printed = try run(dir, [])
    #expect(printed.status == 0, "\(printed.stderr)")
    #expect(printed.stdout == """
      6 labelled rows, 3 churned (churn rate 50.0%); rules by what they flagged and who then churned:
      rule           severity  flagged  churned  precision (95% CI)      recall   lift
      complained     red             3        2  66.7% (20.8%–93.9%)      66.7%   1.33
      quiet          yellow          2        2  100.0% (34.2%–100.0%)    66.7%   2.00
      quiet basic    yellow          2        2  100.0% (34.2%–100.0%)    66.7%   2.00
      --------------------------------------------------------------------------------
      (any red rule) red             3        2  66.7% (20.8%–93.9%)      66.7%   1.33
      (any rule)     any             4        3  75.0% (30.1%–95.4%)     100.0%   1.50

      """)
    let csv = try run(dir, ["--out", dir.file("r.csv")])
    #expect(csv.status == 0 && csv.stdout == printed.stdout)
    #expect(csv.stderr.hasSuffix("rules: 5 rows written to \(dir.file("r.csv"))\n"))
    let lines = try String(contentsOfFile: dir.file("r.csv"), encoding: .utf8).split(separator: "\n")
    #expect(lines.first == "rule,severity,flagged,share_flagged,churned,precision,precision_lower_95,precision_upper_95,recall,lift,model_precision,model_lift,condition")
    #expect(lines.count == 6)
    #expect(lines[1].hasPrefix("complained,red,3,0.5,2,0.6666666666666666,"))
    #expect(lines[1].hasSuffix(",0.6666666666666666,1.3333333333333333,,,count_complaint_90d >= 1"))
    #expect(lines[3].hasSuffix(#",,,"days_since_last_login > 20 and plan == ""basic""""#))
    #expect(lines[4].hasSuffix(",,,complained"))
    #expect(lines[5].hasPrefix("(any rule),any,4,0.6666666666666666,3,0.75,") && lines[5].hasSuffix(",,,complained or quiet or quiet basic"))
    let json = try run(dir, ["--out", dir.file("r.json")])
    #expect(json.status == 0)
    let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("r.json")))) as! [String: Any]
    #expect(document["labelledRows"] as? Int == 6 && document["churned"] as? Int == 3)
    let rules = document["rules"] as! [[String: Any]]
    #expect(rules.map { $0["rule"] as! String } == ["complained", "quiet", "quiet basic", "(any red rule)", "(any rule)"])
    #expect(rules[1]["flagged"] as? Int == 2 && rules[1]["churned"] as? Int == 2 && rules[1]["lift"] as? Double == 2)
  }

  @Test("A bad rules file stops with its message; flags that do not apply are refused")
  func errors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try fixture(dir)
    try "name,severity,condition\nc,red,count_complaint_60d >= 1\n".write(toFile: dir.file("rules.csv"), atomically: true, encoding: .utf8)
    let bad = try run(dir, [])
    #expect(bad.status == 1 && bad.stdout == "")
    #expect(bad.stderr.hasSuffix("""
      Error: \(dir.file("rules.csv")) line 2 (rule "c"), character 1: no feature column "count_complaint_60d"; near names: count_complaint_30d, \
      count_complaint_90d, count_complaint_7d, pct_change_count_complaint_30d, count_login_30d
        count_complaint_60d >= 1
        ^

      """))
    let noCutoffs = try runChurn(["rules", "--rules", dir.file("rules.csv"), "--events", dir.file("events.csv")])
    #expect(noCutoffs.status == 64 && noCutoffs.stderr.hasPrefix("Error: give --cutoffs FROM:TO:STEP or --cutoff DATE: the rows measured\n"))
    let withHorizon = try runChurn(["rules", "--rules", dir.file("rules.csv"), "--events", dir.file("events.csv"), "--cutoff", "2025-02-01",
                                    "--model", dir.file("m.json"), "--horizon", "60d"])
    #expect(withHorizon.status == 64)
    #expect(withHorizon.stderr.hasPrefix("Error: --horizon comes from the model when --model is given (its spec and observation rules); drop it\n"))
    let withColumn = try runChurn(["rules", "--rules", dir.file("rules.csv"), "--events", dir.file("events.csv"), "--cutoff", "2025-02-01",
                                   "--model", dir.file("m.json"), "--customer-column", "id"])
    #expect(withColumn.status == 64)
    #expect(withColumn.stderr.hasPrefix("Error: --customer-column comes from the model when --model is given (its column names); drop it\n"))
    let noEvents = try runChurn(["rules", "--rules", dir.file("rules.csv"), "--cutoff", "2025-02-01"])
    #expect(noEvents.status == 64 && noEvents.stderr.hasPrefix("Error: --events is required: the rules are measured on an event log's labelled rows\n"))
  }
}
