import ChurnTestSupport
import Foundation
import Testing

@Suite("churn features")
struct FeaturesCommandTests {
  @Test("Writes one row per eligible (customer, cutoff) with labels, and reports per cutoff on stderr")
  func output() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try """
      customer_id,timestamp,event_type,value
      007,2024-01-10T08:00:00Z,order,12.5
      007,2024-02-03,order,7.5
      008,2024-01-20,login,
      008,2024-01-21,login,
      009,2024-02-28,login,
      """.write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let r = try runChurn(["features", "--events", dir.file("e.csv"), "--cutoff", "2024-02-01", "--horizon", "14d",
                          "--windows", "30", "--active-window", "30d", "--out", dir.file("f.csv"), "--save-spec", dir.file("spec.json")])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout == dir.file("f.csv") + "\n")
    let csv = try String(contentsOfFile: dir.file("f.csv"), encoding: .utf8)
    #expect(csv == """
      customer_id,cutoff,days_since_last_event,tenure_days,active_days_30d,mean_gap_days_30d,recency_days,frequency_30d,monetary_30d,r_score,f_score,m_score,rfm_segment,count_login_30d,days_since_last_login,rising_months_login,pct_change_count_login_30d,count_order_30d,sum_order_30d,mean_order_30d,days_since_last_order,rising_months_order,pct_change_sum_order_90d,pct_change_count_order_30d,label
      007,2024-02-01,21.666666667,21.666666667,1,,21.666666667,1,12.5,3,3,3,high_value,0,,0,0,1,12.5,12.5,21.666666667,1,1,1,0
      008,2024-02-01,11,12,2,1,,0,0,1,1,1,needs_attention,2,11,1,1,0,0,,,0,0,0,1

      """)
    // rising_months: 008's two logins and 007's order of January 10 make their last 30 days a
    // rise on the 30 before (empty); pct_change_sum_order_90d: 007's 12.5 against nothing → +1.
    #expect(r.stderr.contains("features: cutoff 2024-02-01: 2 customers, 2 labelled, 1 churned, churn rate 50.0%"))
    #expect(r.stderr.contains("features: 2 rows × 22 features in "))
    // The saved spec reproduces the same file.
    let again = try runChurn(["features", "--events", dir.file("e.csv"), "--cutoff", "2024-02-01", "--horizon", "14d",
                              "--active-window", "30d", "--spec", dir.file("spec.json"), "--out", dir.file("g.csv")])
    #expect(again.status == 0)
    #expect(try String(contentsOfFile: dir.file("g.csv"), encoding: .utf8) == csv)
  }

  @Test("A failing run leaves no output file behind")
  func noPartialOutput() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try "customer_id,timestamp,event_type,value\n1,2024-01-01,login,\n2,not-a-date,login,\n"
      .write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let r = try runChurn(["features", "--events", dir.file("e.csv"), "--cutoff", "2024-01-02", "--out", dir.file("f.csv")])
    #expect(r.status != 0)
    #expect(r.stderr == "Error: \(dir.file("e.csv")) line 3: timestamp \"not-a-date\" is not a valid date; expected ISO 8601 such as 2024-03-05 or 2024-03-05T14:22:10Z, 20240305, or Unix seconds (9–11 digits) or milliseconds (12–14 digits)\n")
    #expect(dir.contents() == ["e.csv"])
    let skip = try runChurn(["features", "--events", dir.file("e.csv"), "--cutoff", "2024-01-02", "--skip-bad-rows", "--out", dir.file("f.csv")])
    #expect(skip.status == 0)
    #expect(skip.stderr.contains("features: skipped 1 bad rows (1 bad timestamp); first ones:"))
  }

  @Test("Flag errors name the flag, the value and an example")
  func flagErrors() throws {
    let r = try runChurn(["features", "--events", "x.csv", "--cutoff", "2024-01-02", "--horizon", "soon", "--out", "f.csv"])
    #expect(r.stderr.contains("Error: --horizon \"soon\" is not a length of time; expected for example 30d, 4w or 1m"))
    let s = try runChurn(["features", "--events", "x.csv", "--out", "f.csv"])
    #expect(s.stderr.contains("Error: no cutoff given; use --cutoff 2024-07-01 (repeatable) or --cutoffs 2024-01-01:2024-12-01:1m"))
  }

  @Test("Column names never repeat: event types are renumbered with a note, customer columns are refused with the fix")
  func nameCollisions() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try "customer_id,timestamp,event_type,value\n1,2024-01-01,event,\n1,2024-01-20,gap_days,4\n2,2024-01-10,login,\n2,2024-02-20,login,\n"
      .write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let r = try runChurn(["features", "--events", dir.file("e.csv"), "--cutoff", "2024-02-01", "--windows", "30", "--out", dir.file("f.csv")])
    #expect(r.status == 0, "\(r.stderr)")
    let header = try String(contentsOfFile: dir.file("f.csv"), encoding: .utf8).split(separator: "\n")[0].split(separator: ",")
    #expect(Set(header).count == header.count)
    #expect(header.contains("days_since_last_event_2") && header.contains("mean_gap_days_2_30d"))
    #expect(r.stderr.contains("features: note: event type \"event\" would repeat the name days_since_last_event; its features are named with event_2 instead (for example pct_change_count_event_2_30d)\n"))
    for column in ["label", "cutoff", "tenure_days"] {
      try "customer_id,\(column)\n1,5\n2,6\n".write(toFile: dir.file("c.csv"), atomically: true, encoding: .utf8)
      let c = try runChurn(["features", "--events", dir.file("e.csv"), "--customers", dir.file("c.csv"), "--cutoff", "2024-02-01", "--out", dir.file("g.csv")])
      let first = column == "tenure_days" ? "the built-in feature tenure_days" : "the features file's \(column) column"
      #expect(c.status == 1)
      #expect(c.stderr == "Error: two columns would be named \"\(column)\": \(first) and customer table column \"\(column)\"; "
        + "rename the column in the customer table, or leave it out with --exclude \(column)\n")
      #expect(!FileManager.default.fileExists(atPath: dir.file("g.csv")))
      let excluded = try runChurn(["features", "--events", dir.file("e.csv"), "--customers", dir.file("c.csv"), "--exclude", column,
                                   "--cutoff", "2024-02-01", "--out", dir.file("g.csv")])
      #expect(excluded.status == 0, "\(excluded.stderr)")
      try FileManager.default.removeItem(atPath: dir.file("g.csv"))
    }
  }
}
