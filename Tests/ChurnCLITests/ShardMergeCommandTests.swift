import ChurnFeatures
import ChurnScoring
import ChurnTestSupport
import Foundation
import Testing

/// Runs the built `churn` with `input` (a file) as its standard input, through a pipe when
/// `pipe` (so the reader cannot seek), else as the file itself.
private func runChurn(_ arguments: [String], standardInput input: String, pipe: Bool) throws -> (status: Int32, stdout: String, stderr: String) {
  let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  var executable = directory.appendingPathComponent("churn")
  if !FileManager.default.fileExists(atPath: executable.path) { executable = directory.deletingLastPathComponent().appendingPathComponent("churn") }
  let process = Process()
  process.executableURL = executable
  process.arguments = arguments
  let out = Pipe(), err = Pipe()
  process.standardOutput = out
  process.standardError = err
  let feed = Pipe()
  if pipe { process.standardInput = feed } else { process.standardInput = FileHandle(forReadingAtPath: input)! }
  try process.run()
  if pipe {
    let data = try Data(contentsOf: URL(fileURLWithPath: input))
    // Written from another thread: the pipe's buffer is smaller than the table.
    let writer = Thread {
      feed.fileHandleForWriting.write(data)
      try? feed.fileHandleForWriting.close()
    }
    writer.start()
  }
  let stdout = out.fileHandleForReading.readDataToEndOfFile()
  let stderr = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

private func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

/// The "worth a call" line of a command's terminal summary, without its `prefix` ("score: "), or nil.
func cutLine(_ stderr: String, _ prefix: String) -> String? {
  stderr.split(separator: "\n").first { $0.hasPrefix(prefix) && $0.contains("worth a call") }.map { String($0.dropFirst(prefix.count)) }
}

@Suite("Scoring in parts: score --shard i/n and --partial, churn merge, score --table -")
struct ShardMergeCommandTests {
  /// Simulated customers, a model trained on them (`train` extra flags), and the score
  /// arguments as of 2025-02-01.
  static func setUp(_ dir: TemporaryDirectory, train extra: [String] = [], model: [String] = ["--l2", "100"]) throws -> [String] {
    try CustomerSimulator(settings: SimulationSettings(customerCount: 700, months: 14, seed: 19)).write(to: dir.path)
    let train = try runChurn(["train", "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                              "--cutoffs", "2024-06-01:2025-01-01:1m", "--horizon", "30d", "--threads", "2",
                              "--out", dir.file("m.json")] + model + extra)
    #expect(train.status == 0, "\(train.stderr)")
    return ["score", "--model", dir.file("m.json"), "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv")]
  }

  /// Scores `score` whole and in 4 shards, merges the shards, and expects the same bytes, as
  /// CSV and as JSON, without and with last month's list (given to the merge).
  static func expectShardsMergeToOneRun(_ dir: TemporaryDirectory, score: [String], options: [String], reasons: [String] = []) throws {
    let previous = try runChurn(score + ["--as-of", "2025-01-01", "--out", dir.file("previous.csv")])
    #expect(previous.status == 0, "\(previous.stderr)")
    let asOf = ["--as-of", "2025-02-01"] + options + reasons
    var shardCounts: [Int] = []
    for i in 0..<4 {
      let part = try runChurn(score + asOf + ["--shard", "\(i)/4", "--out", dir.file("part\(i).csv")])
      #expect(part.status == 0, "\(part.stderr)")
      shardCounts.append(try String(contentsOfFile: dir.file("part\(i).csv"), encoding: .utf8).split(separator: "\n").count - 1)
    }
    let parts = (0..<4).map { dir.file("part\($0).csv") }
    // Contact economics go to the merge too: its summary says who is worth a call, as the whole run's does.
    let contact = options.indices.filter { ["--contact-cost", "--save-rate"].contains(options[$0]) }.flatMap { options[$0...($0 + 1)] }
    for (format, withPrevious) in [("csv", false), ("csv", true), ("json", false), ("json", true)] {
      let last = withPrevious ? ["--previous", dir.file("previous.csv")] : []
      let whole = try runChurn(score + asOf + last + ["--format", format, "--out", dir.file("whole.\(format)")])
      #expect(whole.status == 0, "\(whole.stderr)")
      let merged = try runChurn(["merge"] + parts + reasons + contact + last + ["--format", format, "-o", dir.file("merged.\(format)")])
      #expect(merged.status == 0, "\(merged.stderr)")
      #expect(merged.stdout == dir.file("merged.\(format)") + "\n")
      #expect(try bytes(dir.file("merged.\(format)")) == bytes(dir.file("whole.\(format)")), "\(format), previous \(withPrevious)")
      #expect(cutLine(merged.stderr, "merge: ") == cutLine(whole.stderr, "score: "), "\(merged.stderr)")
      #expect((cutLine(whole.stderr, "score: ") != nil) == !contact.isEmpty, "\(whole.stderr)")
    }
    // Each shard holds the customers whose id hashes into it, and only those.
    let lines = try String(contentsOfFile: dir.file("whole.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
    let ids = lines.map { String($0.split(separator: ",", omittingEmptySubsequences: false)[1]) }
    let scored = lines.filter { !$0.hasPrefix(",") }.map { String($0.split(separator: ",", omittingEmptySubsequences: false)[1]) }
    #expect(ids.count > scored.count, "the previous list should have vanished customers")
    #expect(shardCounts == (0..<4).map { i in scored.filter { CustomerShard.shard(of: $0, count: 4) == i }.count })
    #expect(shardCounts.allSatisfy { $0 > 100 }, "\(shardCounts)")
  }

  @Test("4 shards merged equal one run, byte for byte: CSV and JSON, without and with --previous, with contact economics")
  func shardsOfThePlainModel() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let score = try Self.setUp(dir)
    // With contact economics: the net value of a contact travels in the parts, under the risk order.
    try Self.expectShardsMergeToOneRun(dir, score: score, options: ["--revenue-column", "monthly_revenue", "--contact-cost", "30", "--save-rate", "0.2"])
  }

  @Test("A model with an owner column, scored with warning rules and 50 reasons: 4 shards merged equal one run")
  func shardsWithRulesAndOwners() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let score = try Self.setUp(dir, train: ["--owner-column", "account_manager"])
    try "name,severity,condition\ncomplaints,red,count_complaint_90d >= 1\nquiet,yellow,count_login_30d < 3\n"
      .write(toFile: dir.file("rules.csv"), atomically: true, encoding: .utf8)
    try Self.expectShardsMergeToOneRun(dir, score: score, options: ["--rules", dir.file("rules.csv")], reasons: ["--reasons", "50"])
    let header = try String(contentsOfFile: dir.file("whole.csv"), encoding: .utf8).prefix { $0 != "\n" }
    #expect(header.contains(",warnings,band_from,owner,health,"), "\(header)")
  }

  @Test("Ranked by value with contact economics and 50 reasons: 4 shards merged equal one run; reasons for the first 50 by value")
  func shardsRankedByValue() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let score = try Self.setUp(dir)
    let value = ["--revenue-column", "monthly_revenue", "--contact-cost", "30", "--save-rate", "0.2"]
    try Self.expectShardsMergeToOneRun(dir, score: score, options: value + ["--rank-by", "value"], reasons: ["--reasons", "50"])
    let lines = try String(contentsOfFile: dir.file("whole.csv"), encoding: .utf8).split(separator: "\n")
    #expect(lines[0].contains(",change,expected_net_value_of_contact,health,"), "\(lines[0])")
    #expect(try String(contentsOfFile: dir.file("part0.csv"), encoding: .utf8).hasPrefix("part_rank_by_value,"))
    // The list is in value order, and reasons went to its first 50 rows (those with any).
    let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }.filter { !$0[0].isEmpty }
    let values = rows.map { Double($0[8]) ?? -1 }
    #expect(zip(values, values.dropFirst()).allSatisfy { $0 >= $1 })
    #expect(rows.dropFirst(50).allSatisfy { $0[5].isEmpty } && rows.prefix(50).contains { !$0[5].isEmpty })
  }

  @Test("--table - reads the rows from standard input (a file or a pipe); partitions scored with --partial merge into one run")
  func tableFromStandardInput() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    _ = try Self.setUp(dir)
    let features = try runChurn(["features", "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                                 "--cutoff", "2025-02-01", "--horizon", "30d", "--out", dir.file("features.csv")])
    #expect(features.status == 0, "\(features.stderr)")
    let score = ["score", "--model", dir.file("m.json")]
    let whole = try runChurn(score + ["--table", dir.file("features.csv"), "--out", dir.file("whole.csv")])
    #expect(whole.status == 0, "\(whole.stderr)")
    for pipe in [false, true] {
      let piped = try runChurn(score + ["--table", "-", "--out", dir.file("stdin.csv")], standardInput: dir.file("features.csv"), pipe: pipe)
      #expect(piped.status == 0, "\(piped.stderr)")
      #expect(try bytes(dir.file("stdin.csv")) == bytes(dir.file("whole.csv")), "pipe \(pipe)")
    }
    // As a Spark job cuts them: consecutive rows, each partition with the header.
    let text = try String(contentsOfFile: dir.file("features.csv"), encoding: .utf8)
    let lines = text.split(separator: "\n")
    let rows = Array(lines.dropFirst()), size = (rows.count + 3) / 4
    var parts: [String] = []
    for k in 0..<4 {
      let slice = rows[(k * size)..<min(rows.count, (k + 1) * size)]
      try ([lines[0]] + slice).joined(separator: "\n").appending("\n").write(toFile: dir.file("rows\(k).csv"), atomically: true, encoding: .utf8)
      let part = try runChurn(score + ["--table", "-", "--partial", "--out", "-"], standardInput: dir.file("rows\(k).csv"), pipe: true)
      #expect(part.status == 0, "\(part.stderr)")
      try part.stdout.write(toFile: dir.file("partition\(k).csv"), atomically: true, encoding: .utf8)
      parts.append(dir.file("partition\(k).csv"))
    }
    let merged = try runChurn(["merge"] + parts + ["-o", dir.file("merged.csv")])
    #expect(merged.status == 0, "\(merged.stderr)")
    #expect(try bytes(dir.file("merged.csv")) == bytes(dir.file("whole.csv")))
    // --shard on --table - too.
    var shards: [String] = []
    for i in 0..<4 {
      let part = try runChurn(score + ["--table", "-", "--shard", "\(i)/4", "--out", dir.file("s\(i).csv")], standardInput: dir.file("features.csv"), pipe: true)
      #expect(part.status == 0, "\(part.stderr)")
      shards.append(dir.file("s\(i).csv"))
    }
    let mergedShards = try runChurn(["merge"] + shards + ["-o", dir.file("merged-shards.csv")])
    #expect(mergedShards.status == 0, "\(mergedShards.stderr)")
    #expect(try bytes(dir.file("merged-shards.csv")) == bytes(dir.file("whole.csv")))

    // The report reads a labelled table twice: a file, not standard input.
    let report = try runChurn(["report"] + score.dropFirst() + ["--table", "-", "--label", "label", "--out", dir.file("r.html")],
                              standardInput: dir.file("features.csv"), pipe: true)
    #expect(report.status == 1)
    #expect(report.stderr.hasSuffix("Error: --table - with --label: the report reads the table twice (to score, then for the cohorts) and standard input "
      + "can be read once; expected a file; fix: save the rows to a file and pass --table FILE\n"), "\(report.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.file("r.html")))

    // An error in the rows names standard input and the line.
    let broken = lines.prefix(3).joined(separator: "\n") + "\nC9,1,2\n"
    try broken.write(toFile: dir.file("broken.csv"), atomically: true, encoding: .utf8)
    let bad = try runChurn(score + ["--table", "-", "--out", dir.file("bad.csv")], standardInput: dir.file("broken.csv"), pipe: true)
    let width = lines[0].split(separator: ",").count
    #expect(bad.status == 1)
    #expect(bad.stderr == "Error: standard input line 4: 3 fields; expected \(width) as in the header\n", "\(bad.stderr)")
  }

  @Test("A forest: shards with --explain auto choose as one run and merge equal; a --partial part needs --explain exact or path")
  func forestParts() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let score = try Self.setUp(dir, model: ["--model", "forest", "--trees", "12", "--min-leaf", "10", "--features-per-split", "8", "--importance", "none"])
    try Self.expectShardsMergeToOneRun(dir, score: score, options: [])
    let features = try runChurn(["features", "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"),
                                 "--cutoff", "2025-02-01", "--horizon", "30d", "--out", dir.file("features.csv")])
    #expect(features.status == 0, "\(features.stderr)")
    let part = try runChurn(["score", "--model", dir.file("m.json"), "--table", "-", "--partial", "--out", "-"],
                            standardInput: dir.file("features.csv"), pipe: true)
    #expect(part.status == 1)
    #expect(part.stderr.hasSuffix("Error: --explain auto chooses exact TreeSHAP or path contributions by the number of customers in the whole list, "
      + "which one part cannot know; expected --explain exact or --explain path with --partial; "
      + "fix: give one of them (the same to every part and to an unsharded run)\n"), "\(part.stderr)")
    let exact = try runChurn(["score", "--model", dir.file("m.json"), "--table", "-", "--partial", "--explain", "exact", "--out", "-"],
                             standardInput: dir.file("features.csv"), pipe: true)
    #expect(exact.status == 0, "\(exact.stderr)")
  }

  @Test("Errors of --shard, --partial and churn merge, exactly")
  func errors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let score = try Self.setUp(dir)
    let asOf = ["--as-of", "2025-02-01"]
    func refused(_ arguments: [String]) throws -> String {
      let run = try runChurn(arguments)
      #expect(run.status != 0)
      return run.stderr.split(separator: "\n").first.map(String.init) ?? ""
    }
    #expect(try refused(score + asOf + ["--shard", "4/4", "--out", dir.file("p.csv")])
      == "Error: --shard 4/4: expected i/n with 0 ≤ i < n (shards are numbered from 0: 0/4, 1/4, 2/4, 3/4); fix: give a shard from 0 to n − 1")
    #expect(try refused(score + asOf + ["--shard", "1of4", "--out", dir.file("p.csv")])
      == "Error: --shard 1of4: expected i/n, two whole numbers such as 0/4 (shard 0 of 4); fix: give the shard as i/n")
    #expect(try refused(score + asOf + ["--shard", "0/4"])
      == "Error: --shard writes a part for churn merge; expected --out PART.csv (or - for standard output)")
    #expect(try refused(score + asOf + ["--partial", "--previous", dir.file("x.csv"), "--out", dir.file("p.csv")])
      == "Error: --previous applies to the whole list, not to a part (--partial); give it to churn merge")
    #expect(try refused(score + asOf + ["--shard", "0/2", "--format", "json", "--out", dir.file("p.json")])
      == "Error: --format applies to the whole list, not to a part (--shard); give it to churn merge")

    // A finished list is not a part; a customer in two parts; parts of different lists.
    #expect(try runChurn(score + asOf + ["--out", dir.file("whole.csv")]).status == 0)
    #expect(try runChurn(score + asOf + ["--shard", "0/2", "--out", dir.file("a.csv")]).status == 0)
    #expect(try runChurn(score + asOf + ["--shard", "0/2", "--no-health", "--out", dir.file("c.csv")]).status == 0)
    #expect(try refused(["merge", dir.file("whole.csv"), "-o", dir.file("m.csv")])
      == "Error: \(dir.file("whole.csv")) is a finished ranked list (first column rank), not a part; its probabilities are rounded to 6 digits, "
      + "too few to rank ties exactly; expected a part written by churn score --shard i/n or --partial (first column part_rank); "
      + "fix: score each part with --shard i/n or --partial")
    let firstId = try String(contentsOfFile: dir.file("a.csv"), encoding: .utf8).split(separator: "\n")[1].split(separator: ",")[1]
    #expect(try refused(["merge", dir.file("a.csv"), dir.file("a.csv"), "-o", dir.file("m.csv")])
      == "Error: \(dir.file("a.csv")) line 2: customer \"\(firstId)\" is also in \(dir.file("a.csv")) line 2; expected each customer in exactly one part; "
      + "fix: give each part once, with disjoint customers (--shard i/n for i from 0 to n − 1)")
    #expect(try refused(["merge", dir.file("a.csv"), dir.file("c.csv"), "-o", dir.file("m.csv")])
      == "Error: \(dir.file("c.csv")): column 12 is no column where \(dir.file("a.csv")) has \"health\"; "
      + "expected parts of one list, scored with the same model and options; fix: score every part the same way")
    #expect(!FileManager.default.fileExists(atPath: dir.file("m.csv")))

    // Contact economics: parts scored without them, with another cost, one flag of the two.
    #expect(try refused(["merge", dir.file("a.csv"), "--contact-cost", "30", "--save-rate", "0.2", "-o", dir.file("m.csv")])
      == "Error: \(dir.file("a.csv")) has no expected_net_value_of_contact: its customers were scored without --contact-cost and --save-rate; "
      + "expected parts scored with the --contact-cost and --save-rate given to churn merge; fix: score every part with them, or drop them from churn merge")
    let priced = ["--revenue-column", "monthly_revenue", "--contact-cost", "30", "--save-rate", "0.2"]
    #expect(try runChurn(score + asOf + priced + ["--shard", "0/2", "--out", dir.file("d.csv")]).status == 0)
    let (header, rows, _) = try csvRecords(dir.file("d.csv"))
    let net = try #require(header.firstIndex(of: "expected_net_value_of_contact")), value = Double(rows[0][8])!
    #expect(Double(rows[0][net]) == 0.2 * value - 30)
    #expect(try refused(["merge", dir.file("d.csv"), "--contact-cost", "31", "--save-rate", "0.2", "-o", dir.file("m.csv")])
      == "Error: \(dir.file("d.csv")) line 2: expected_net_value_of_contact is \"\(rows[0][net])\" where 20% × value at stake − 31.00 gives \"\(0.2 * value - 31)\"; "
      + "expected parts scored with the --contact-cost and --save-rate given to churn merge; fix: give churn merge the ones the parts were scored with")
    let oneFlag = try runChurn(["merge", dir.file("d.csv"), "--contact-cost", "30", "-o", dir.file("m.csv")])
    #expect(oneFlag.status == 64)
    #expect(oneFlag.stderr.hasPrefix("Error: --contact-cost needs --save-rate: the net value of a contact is save rate × value at stake − contact cost; fix: give both\n"),
            "\(oneFlag.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.file("m.csv")))

    // Nothing on standard input.
    try "".write(toFile: dir.file("nothing.csv"), atomically: true, encoding: .utf8)
    let nothing = try runChurn(["score", "--model", dir.file("m.json"), "--table", "-", "--out", dir.file("n.csv")],
                               standardInput: dir.file("nothing.csv"), pipe: true)
    #expect(nothing.status == 1)
    #expect(nothing.stderr == "Error: standard input is empty; expected a header line naming its columns, one of them customer_id, "
      + "then one row per customer_id\n", "\(nothing.stderr)")
  }
}
