import ChurnTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The churn executable, as `runChurn` finds it.
func churnExecutable() -> URL {
  let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  let executable = directory.appendingPathComponent("churn")
  return FileManager.default.fileExists(atPath: executable.path) ? executable : directory.deletingLastPathComponent().appendingPathComponent("churn")
}

@Suite("No input destroyed, no partial or stray output")
struct OutputSafetyTests {
  /// A small event log (two months, 40 customers) and a prepared table with a label.
  static func fixtures(_ dir: TemporaryDirectory) throws {
    var events = "customer_id,timestamp,event_type,value\n"
    var table = "id,usage,plan,churned\n"
    for c in 0..<40 {
      let days = c % 2 == 0 ? 55 : 20
      for d in stride(from: 1, to: days, by: 3) { events += "C\(c),2024-01-\(String(format: "%02d", min(d, 28)))T10:00:00Z,login,\n" }
      if c % 2 == 0 { events += "C\(c),2024-02-25T10:00:00Z,order,\(10 + c)\n" }
      table += "U\(c),\(c % 7),\(c % 3 == 0 ? "pro" : "basic"),\(c % 2 == 0 ? "no" : "yes")\n"
    }
    try events.write(toFile: dir.file("events.csv"), atomically: true, encoding: .utf8)
    try "customer_id,plan\n".appending((0..<40).map { "C\($0),\($0 % 3 == 0 ? "pro" : "basic")\n" }.joined())
      .write(toFile: dir.file("customers.csv"), atomically: true, encoding: .utf8)
    try table.write(toFile: dir.file("table.csv"), atomically: true, encoding: .utf8)
  }

  func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

  static func sameFile(_ flag: String, _ out: String, _ inputFlag: String, _ input: String) -> String {
    "Error: \(flag) \(out) is the same file as \(inputFlag) \(input), an input of this run; writing it would destroy that input. Choose another path for \(flag)\n"
  }

  @Test("features refuses an --out or --save-spec that is its event log, under any spelling, and leaves it intact")
  func featuresOverItsEvents() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.fixtures(dir)
    try FileManager.default.linkItem(atPath: dir.file("events.csv"), toPath: dir.file("hard.csv"))
    try FileManager.default.createSymbolicLink(atPath: dir.file("soft.csv"), withDestinationPath: "events.csv")
    let before = try read(dir.file("events.csv"))
    let events = dir.file("events.csv")
    for out in [events, dir.path + "/./events.csv", dir.file("hard.csv"), dir.file("soft.csv")] {
      let r = try runChurn(["features", "--events", events, "--cutoff", "2024-02-01", "--out", out])
      #expect(r.status == 1)
      #expect(r.stderr == Self.sameFile("--out", out, "--events", events))
      let s = try runChurn(["features", "--events", events, "--cutoff", "2024-02-01", "--out", dir.file("f.csv"), "--save-spec", out])
      #expect(s.stderr == Self.sameFile("--save-spec", out, "--events", events))
    }
    let c = try runChurn(["features", "--events", events, "--customers", dir.file("customers.csv"), "--cutoff", "2024-02-01",
                          "--out", dir.file("customers.csv")])
    #expect(c.stderr == Self.sameFile("--out", dir.file("customers.csv"), "--customers", dir.file("customers.csv")))
    #expect(try read(events) == before)
    #expect(dir.contents() == ["customers.csv", "events.csv", "hard.csv", "soft.csv", "table.csv"])
  }

  @Test("train, score, report and backtest refuse to write over their customer table, table or model")
  func otherCommands() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.fixtures(dir)
    let table = dir.file("table.csv")
    let t = try runChurn(["train", "--table", table, "--id", "id", "--label", "churned", "--out", table])
    #expect(t.stderr == Self.sameFile("--out", table, "--table", table))
    let e = try runChurn(["train", "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"), "--cutoff", "2024-02-01",
                          "--out", dir.file("customers.csv")])
    #expect(e.stderr == Self.sameFile("--out", dir.file("customers.csv"), "--customers", dir.file("customers.csv")))
    let ok = try runChurn(["train", "--table", table, "--id", "id", "--label", "churned", "--out", dir.file("m.json")])
    #expect(ok.status == 0, "\(ok.stderr)")
    let model = try read(dir.file("m.json"))
    let s = try runChurn(["score", "--model", dir.file("m.json"), "--table", table, "--out", dir.path + "/./m.json"])
    #expect(s.stderr == Self.sameFile("--out", dir.path + "/./m.json", "--model", dir.file("m.json")))
    try "rank,id,churn_probability\n".write(toFile: dir.file("last.csv"), atomically: true, encoding: .utf8)
    let p = try runChurn(["score", "--model", dir.file("m.json"), "--table", table, "--previous", dir.file("last.csv"), "--out", dir.file("last.csv")])
    #expect(p.stderr == Self.sameFile("--out", dir.file("last.csv"), "--previous", dir.file("last.csv")))
    try FileManager.default.removeItem(atPath: dir.file("last.csv"))
    let r = try runChurn(["report", "--model", dir.file("m.json"), "--table", table, "--out", dir.file("m.json")])
    #expect(r.stderr == Self.sameFile("--out", dir.file("m.json"), "--model", dir.file("m.json")))
    let b = try runChurn(["backtest", "--table", table, "--id", "id", "--label", "churned", "--folds", "2", "--out", table])
    #expect(b.stderr == Self.sameFile("--out", table, "--table", table))
    let c = try runChurn(["cohorts", "--table", table, "--id", "id", "--label", "churned", "--out", table])
    #expect(c.stderr == Self.sameFile("--out", table, "--table", table))
    #expect(try read(dir.file("m.json")) == model)
    #expect(dir.contents() == ["customers.csv", "events.csv", "m.json", "table.csv"])
  }

  @Test("A bad --save-spec fails before any work, and --out is not written")
  func lateFailure() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.fixtures(dir)
    let r = try runChurn(["features", "--events", dir.file("events.csv"), "--cutoff", "2024-02-01", "--out", dir.file("f.csv"),
                          "--save-spec", "/nonexistent-churn/s.json"])
    #expect(r.status == 1)
    #expect(r.stderr == "Error: --save-spec /nonexistent-churn/s.json: directory /nonexistent-churn does not exist; create it first or choose another path\n")
    let d = try runChurn(["features", "--events", dir.file("events.csv"), "--cutoff", "2024-02-01", "--out", dir.file("f.csv"),
                          "--save-spec", dir.path])
    #expect(d.stderr == "Error: --save-spec \(dir.path) is a directory; expected a file path, such as \(dir.path)/NAME\n")
    let same = try runChurn(["features", "--events", dir.file("events.csv"), "--cutoff", "2024-02-01", "--out", dir.file("f.csv"),
                             "--save-spec", dir.file("f.csv")])
    #expect(same.stderr == "Error: --out \(dir.file("f.csv")) and --save-spec \(dir.file("f.csv")) are the same file; give each output its own path\n")
    let sim = try runChurn(["simulate", "--customers", "10", "--out", dir.file("table.csv")])
    #expect(sim.stderr.hasPrefix("Error: --out \(dir.file("table.csv")) is a file; simulate writes events.csv and customers.csv into a directory (created if missing): give a directory\n"))
    #expect(dir.contents() == ["customers.csv", "events.csv", "table.csv"])
  }

  @Test("--out onto a symbolic link replaces the file it names and keeps the link; - writes to standard output only the data")
  func linksAndStandardOutput() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.fixtures(dir)
    try "old\n".write(toFile: dir.file("v1.csv"), atomically: true, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: dir.file("current.csv"), withDestinationPath: "v1.csv")
    let r = try runChurn(["features", "--events", dir.file("events.csv"), "--cutoff", "2024-02-01", "--out", dir.file("current.csv")])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.file("current.csv")) == "v1.csv")
    #expect(try read(dir.file("v1.csv")).hasPrefix("customer_id,cutoff,"))
    let s = try runChurn(["features", "--events", dir.file("events.csv"), "--cutoff", "2024-02-01", "--out", "-"])
    #expect(s.status == 0)
    #expect(s.stdout == (try read(dir.file("v1.csv"))))
    // train --out -: the model file is all of standard output (the weights table is left out).
    let t = try runChurn(["train", "--table", dir.file("table.csv"), "--id", "id", "--label", "churned", "--out", "-"])
    #expect(t.status == 0, "\(t.stderr)")
    #expect(t.stdout.hasPrefix("{") && t.stdout.hasSuffix("}\n") && !t.stdout.contains("odds ratio"))
    #expect(dir.contents() == ["current.csv", "customers.csv", "events.csv", "table.csv", "v1.csv"])
  }

  @Test("train with its standard output closed (as under | head) still writes the model and exits 0")
  func brokenPipe() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.fixtures(dir)
    let process = Process()
    process.executableURL = churnExecutable()
    process.arguments = ["train", "--table", dir.file("table.csv"), "--id", "id", "--label", "churned", "--out", dir.file("m.json")]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try out.fileHandleForReading.close()
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    #expect(try read(dir.file("m.json")).contains("\"format\""))
  }

  /// Starts `arguments` with SIGINT and SIGTERM at their default actions (a test runner
  /// started in the background inherits SIGINT ignored, and a program keeps an inherited
  /// "ignore"), waits until a temporary file shows up in `watch`, sends `signal`, and returns
  /// the signal that ended the process (nil when it exited).
  func interrupt(_ arguments: [String], watch: String, signal: Int32) throws -> Int32? {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t(), none = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGINT)
    sigaddset(&defaults, SIGTERM)
    sigemptyset(&none)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = ([churnExecutable().path] + arguments).map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, churnExecutable().path, &actions, &attributes, argv, environ)
    #expect(spawned == 0)
    let deadline = Date().addingTimeInterval(60)
    var status: Int32 = 0
    var ended = false
    while Date() < deadline {
      if waitpid(pid, &status, WNOHANG) == pid {
        ended = true
        break
      }
      if ((try? FileManager.default.contentsOfDirectory(atPath: watch)) ?? []).contains(where: { $0.contains(".tmp-") }) { break }
      usleep(2_000)
    }
    #expect(!ended, "the job ended before the signal")
    if !ended {
      kill(pid, signal)
      let limit = Date().addingTimeInterval(30)
      while waitpid(pid, &status, WNOHANG) != pid {
        if Date() > limit {
          kill(pid, SIGKILL)
          waitpid(pid, &status, 0)
          Issue.record("the job outlived the signal by 30 s")
          break
        }
        usleep(2_000)
      }
    }
    // WIFSIGNALED / WTERMSIG, which Swift does not import.
    return (status & 0x7f) != 0 && (status & 0x7f) != 0x7f ? status & 0x7f : nil
  }

  @Test("SIGINT and SIGTERM remove the temporary files of a running job and still end it by that signal")
  func signals() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    // features blocks reading an event log that is a FIFO nobody writes: still running, --out's
    // temporary file made.
    #expect(mkfifo(dir.file("events.fifo"), 0o600) == 0)
    let interrupted = try interrupt(["features", "--events", dir.file("events.fifo"), "--cutoff", "2024-02-01", "--out", dir.file("f.csv"),
                                     "--save-spec", dir.file("s.json")], watch: dir.path, signal: SIGINT)
    #expect(interrupted == SIGINT)
    #expect(dir.contents() == ["events.fifo"])
    // simulate, killed while it writes its two files.
    let terminated = try interrupt(["simulate", "--customers", "400000", "--out", dir.file("sim")], watch: dir.file("sim"), signal: SIGTERM)
    #expect(terminated == SIGTERM)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("sim")) == [])
  }
}
