import ChurnTestSupport
import Foundation
import Testing

@Suite("The churn executable")
struct CLITests {
  @Test("simulate writes both files, byte-identical for a seed, and names them on stdout")
  func simulate() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let a = try runChurn(["simulate", "--customers", "150", "--months", "6", "--seed", "9", "--threads", "1", "--out", dir.file("a")])
    let b = try runChurn(["simulate", "--customers", "150", "--months", "6", "--seed", "9", "--threads", "2", "--out", dir.file("b")])
    #expect(a.status == 0 && b.status == 0)
    #expect(a.stdout == "\(dir.file("a"))/events.csv\n\(dir.file("a"))/customers.csv\n")
    #expect(a.stderr.contains("simulate: 150 customers ("))
    for name in ["events.csv", "customers.csv"] {
      let x = try Data(contentsOf: URL(fileURLWithPath: dir.file("a/" + name)))
      let y = try Data(contentsOf: URL(fileURLWithPath: dir.file("b/" + name)))
      #expect(x == y && x.count > 1000)
    }
  }

  @Test("Invalid flags fail with a message and write nothing")
  func invalidFlags() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let r = try runChurn(["simulate", "--customers", "0", "--out", dir.file("x")])
    #expect(r.status != 0)
    #expect(r.stderr.contains("Error: invalid simulation setting: customers must be at least 1, got 0"))
    let s = try runChurn(["simulate", "--start", "2024-13", "--out", dir.file("x")])
    #expect(s.stderr.contains("Error: --start \"2024-13\" is not a month; expected YYYY-MM such as 2024-01"))
    #expect(dir.contents().isEmpty)
  }

  @Test("describe profiles a log and a customer table")
  func describe() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try "customer_id,timestamp,event_type,value\n001,2024-01-01,order,10\n002,2024-01-03T12:00:00Z,order,20\n001,2024-01-02,login,\n"
      .write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    try "customer_id,plan,churn_date\n001,basic,\n002,pro,2024-02-01\n003,pro,\n"
      .write(toFile: dir.file("c.csv"), atomically: true, encoding: .utf8)
    let r = try runChurn(["describe", "--events", dir.file("e.csv"), "--customers", dir.file("c.csv")])
    #expect(r.status == 0)
    #expect(r.stdout == """
      \(dir.file("e.csv")): 3 events, 2 customers, from 2024-01-01T00:00:00Z to 2024-01-03T12:00:00Z (2 days)
      event type               events  customers    valued        min       mean        max
      order                         2          2         2      10.00      15.00      20.00
      login                         1          1         0
      \(dir.file("c.csv")): 3 customers; columns: customer_id, plan, churn_date
      churn_date: 1 customers churned (33.3%), from 2024-02-01 to 2024-02-01

      """)
  }

  @Test("describe names a missing column and the flag that fixes it")
  func describeMissingColumn() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try "id,ts,kind\n1,2024-01-01,login\n".write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let r = try runChurn(["describe", "--events", dir.file("e.csv")])
    #expect(r.status != 0)
    #expect(r.stderr == "Error: \(dir.file("e.csv")): no column \"customer_id\" for the customer id; the header has id, ts, kind. Name the right column with --customer-column\n")
    let ok = try runChurn(["describe", "--events", dir.file("e.csv"), "--customer-column", "id", "--timestamp-column", "ts", "--event-type-column", "kind"])
    #expect(ok.status == 0 && ok.stdout.hasPrefix("\(dir.file("e.csv")): 1 events, 1 customers"))
  }
}
