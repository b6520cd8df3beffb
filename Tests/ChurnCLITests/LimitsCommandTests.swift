import ChurnTestSupport
import Foundation
import Testing

/// Huge spans, counts and windows: every one is a clear error naming the flag, the value and
/// the limit, never an arithmetic overflow (which traps: "Illegal instruction", exit 132).
@Suite("Limits on spans, windows and counts")
struct LimitsCommandTests {
  static let events = "customer_id,timestamp,event_type,value\n1,2024-01-01,login,\n1,2024-03-01,login,\n2,2024-02-01,order,5\n"

  /// Runs `arguments` (with `{E}` and `{O}` replaced by an event log and an output path) and
  /// expects a failure with exactly `message` and no output file.
  func refuse(_ arguments: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.events.write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let args = arguments.map { $0.replacingOccurrences(of: "{E}", with: dir.file("e.csv")).replacingOccurrences(of: "{O}", with: dir.file("o")) }
    let r = try runChurn(args)
    #expect(r.status == 1 || r.status == 64, "status \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.hasPrefix("Error: " + message + "\n"), "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(dir.contents() == ["e.csv"], sourceLocation: sourceLocation)
  }

  @Test("Horizon, active window and cutoff steps longer than 100 years are refused by every command that takes them",
        arguments: ["features", "train", "backtest", "cohorts"])
  func spans(command: String) throws {
    let base = [command, "--events", "{E}", "--out", "{O}"]
    try refuse(base + ["--cutoff", "2024-02-15", "--horizon", "200000000000d"],
               "--horizon 200000000000d is too long; expected at most 36500 days (100 years)")
    try refuse(base + ["--cutoff", "2024-02-15", "--horizon", "10000000000m"],
               "--horizon 10000000000m is too long; expected at most 1200 months (100 years)")
    try refuse(base + ["--cutoff", "2024-02-15", "--horizon", "99999999999999999999999w"],
               "--horizon 99999999999999999999999w is too long; expected at most 36500 days (100 years)")
    try refuse(base + ["--cutoff", "2024-02-15", "--horizon", "5215w"],
               "--horizon 5215w is too long; expected at most 36500 days (100 years)")
    try refuse(base + ["--cutoff", "2024-02-15", "--active-window", "200000000000000d"],
               "--active-window 200000000000000d is too long; expected at most 36500 days (100 years)")
    try refuse(base + ["--cutoff", "2024-02-15", "--active-window", "2000000000000m"],
               "--active-window 2000000000000m is too long; expected at most 1200 months (100 years)")
    try refuse(base + ["--cutoffs", "2024-02-01:2024-03-01:200000000000d"],
               "cutoff range \"2024-02-01:2024-03-01:200000000000d\": step 200000000000d is too long; expected at most 36500 days (100 years)")
    try refuse(base + ["--cutoff", "2024-02-15", "--lead", "200000000000000"],
               "--lead 200000000000000 is too long; expected at most 3660 days (10 years)")
    try refuse(base + ["--cutoff", "2024-02-15", "--windows", "7,200000000000000"],
               "--windows: a window of 200000000000000 days is too long; expected at most 3660 days (10 years)")
    try refuse(base + ["--cutoff", "2024-02-15", "--windows", "99999999999999999999999"],
               "--windows: a window of 99999999999999999999999 days is too long; expected at most 3660 days (10 years)")
    try refuse(base + ["--cutoff", "2024-02-15", "--threads", "1000000000000"],
               "--threads 1000000000000 is too many; expected 1...1024")
  }

  @Test("The longest spans allowed run: 100 years of horizon label nothing, and say so")
  func longestAllowed() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.events.write(toFile: dir.file("e.csv"), atomically: true, encoding: .utf8)
    let r = try runChurn(["features", "--events", dir.file("e.csv"), "--cutoff", "2024-02-15", "--horizon", "1200m", "--active-window", "36500d",
                          "--lead", "3660", "--windows", "3660", "--out", dir.file("f.csv")])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("labels unknown (horizon past the data)"))
  }

  @Test("Negative or huge counts of rows and groups are refused before any work")
  func counts() throws {
    try refuse(["report", "--model", "{O}", "--table", "{E}", "--top=-1", "--out", "{O}"],
               "--top -1 is too small; expected the number of customers to list, 1 or more")
    try refuse(["cohorts", "--events", "{E}", "--cutoff", "2024-02-15", "--groups", "9223372036854775807"],
               "--groups 9223372036854775807 is too many; expected 2...1000 quantile groups")
  }

  @Test("simulate refuses counts it cannot generate")
  func simulate() throws {
    try refuse(["simulate", "--customers", "9223372036854775807", "--out", "{O}"],
               "invalid simulation setting: customers must be between 1 and 10000000, got 9223372036854775807")
    try refuse(["simulate", "--months", "9223372036854775807", "--out", "{O}"],
               "invalid simulation setting: months must be between 3 and 600, got 9223372036854775807")
    try refuse(["simulate", "--start", "9999-01", "--out", "{O}"],
               "invalid simulation setting: start year must be between 1900 and 2200, got 9999")
    try refuse(["simulate", "--threads", "1000000000000", "--out", "{O}"],
               "invalid simulation setting: threads must be between 1 and 1024, got 1000000000000")
  }
}
