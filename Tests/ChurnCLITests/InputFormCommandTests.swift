import ChurnTestSupport
import Foundation
import Testing

/// The input-form refusals of issue 14 as a user meets them through every command that reads
/// events: a typo in an event type stops the run (exit 1) instead of writing wrong labels.
@Suite("CLI: event-type typos, separators, invalid UTF-8, empty tables")
struct InputFormCommandTests {
  let log = "customer_id,timestamp,event_type,value\n"
    + (1...6).map { k in "c\(k),2024-0\(k)-10,login,\nc\(k),2024-0\(k)-20,order,5\n" }.joined()
    + "c1,2024-07-02,login,\nc2,2024-07-03,order,3\n"

  @Test("--activity-types with a type the log lacks is exit 1 with the same message in features, train, backtest and cohorts")
  func activityTypeTypo() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try log.write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let message = "Error: --activity-types: event type \"logn\" never occurs in the log (did you mean \"login\"?); the log's types are "
      + "login, order; expected types as written in the log (case matters)\n"
    let common = ["--events", dir.file("e.csv"), "--cutoffs", "2024-03-01:2024-06-01:1m", "--activity-types", "logn"]
    for command in [["features", "--out", dir.file("f.csv")], ["train", "--out", dir.file("m.json")], ["backtest"], ["cohorts"]] {
      let r = try runChurn(command + common)
      #expect(r.status == 1, "\(command[0])")
      #expect(r.stderr.hasSuffix(message), "\(command[0]): \(r.stderr)")
      #expect(!FileManager.default.fileExists(atPath: dir.file("f.csv")) && !FileManager.default.fileExists(atPath: dir.file("m.json")))
    }
    let purchase = try runChurn(["features", "--events", dir.file("e.csv"), "--cutoff", "2024-05-01", "--purchase-types", "ordr", "--out", dir.file("f.csv")])
    #expect(purchase.status == 1)
    #expect(purchase.stderr.hasSuffix("Error: --purchase-types: event type \"ordr\" never occurs in the log (did you mean \"order\"?); "
      + "the log's types are login, order; expected types as written in the log (case matters)\n"))
  }

  @Test("A ;-separated customer table, a table with invalid UTF-8 and a header-only table stop features with exit 1")
  func customerTables() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try log.write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    func run(_ table: [UInt8]) throws -> (status: Int32, stdout: String, stderr: String) {
      try Data(table).write(to: URL(fileURLWithPath: dir.file("c.csv")))
      return try runChurn(["features", "--events", dir.file("e.csv"), "--customers", dir.file("c.csv"), "--cutoff", "2024-05-01",
                           "--out", dir.file("f.csv")])
    }
    let semicolons = try run(Array("customer_id;plan\nc1;pro\n".utf8))
    #expect(semicolons.status == 1)
    #expect(semicolons.stderr.hasPrefix("Error: \(dir.file("c.csv")) line 1: the header \"customer_id;plan\" has no comma but 1 semicolon: the file looks ;-separated;"))
    let latin1 = try run(Array("customer_id,plan\nc1,pro\nc2,caf".utf8) + [0xE9] + Array("\n".utf8))
    #expect(latin1.status == 1)
    #expect(latin1.stderr == "Error: \(dir.file("c.csv")) line 3: plan \"caf\u{FFFD}\" is not valid UTF-8 (byte 0xE9 at byte 4 of the value); "
      + "expected UTF-8 text: save the file as UTF-8 (\"CSV UTF-8\" in a spreadsheet) or convert it, for example with iconv -f WINDOWS-1252 -t UTF-8\n")
    let headerOnly = try run(Array("customer_id,plan,churn_date\n".utf8))
    #expect(headerOnly.status == 1)
    #expect(headerOnly.stderr == "Error: \(dir.file("c.csv")) has a header but no rows; expected one row per customer: add the customers, "
      + "or leave out --customers (labels then come from inactivity)\n")
    let empty = try run([])
    #expect(empty.stderr == "Error: \(dir.file("c.csv")) is empty; expected a customer table: a header line such as "
      + "customer_id,signup_date,churn_date,plan then one row per customer\n")
    #expect(!FileManager.default.fileExists(atPath: dir.file("f.csv")))
  }
}

extension InputFormCommandTests {
  @Test("--windows names the item that is not a day count; --horizon and --cutoffs name their own mistake")
  func spansAndWindows() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try log.write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    func stderr(_ extra: [String]) throws -> String {
      let r = try runChurn(["features", "--events", dir.file("e.csv"), "--cutoff", "2024-05-01", "--out", dir.file("f.csv")] + extra)
      #expect(r.status != 0)
      return r.stderr.split(separator: "\n").first.map(String.init) ?? ""
    }
    #expect(try stderr(["--windows", "7,0,30"]) == "Error: --windows \"7,0,30\": \"0\" is not a whole number of days from 1 to 3660; expected a list such as 7,30,90")
    #expect(try stderr(["--windows", "7.5"]) == "Error: --windows \"7.5\": \"7.5\" is not a whole number of days from 1 to 3660; expected a list such as 7,30,90")
    #expect(try stderr(["--horizon", "0d"]) == "Error: --horizon \"0d\" is zero; expected a length of at least one day, for example 30d, 4w or 1m")
    #expect(try stderr(["--horizon", "1y"]) == "Error: --horizon \"1y\": unit \"y\" is not d (days), w (weeks) or m (months); expected for example 30d, 4w or 1m (a year is 12m)")
    #expect(try stderr(["--cutoffs", "2024-05-01:2024-03-01:1m"]) == "Error: cutoff range \"2024-05-01:2024-03-01:1m\": TO 2024-03-01 is before FROM 2024-05-01; expected FROM on or before TO: swap them")
    #expect(try stderr(["--cutoffs", "2024-03-01:2024-05-01:-1m"]) == "Error: cutoff range \"2024-03-01:2024-05-01:-1m\": step \"-1m\" is negative; expected a positive length of time, for example 30d, 4w or 1m")
    #expect(!FileManager.default.fileExists(atPath: dir.file("f.csv")))
  }
}
