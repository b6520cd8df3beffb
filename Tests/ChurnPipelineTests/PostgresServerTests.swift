import ChurnTestSupport
import Foundation
import Testing

/// The private PostgreSQL cluster of the test support: it starts, serves a fresh database per
/// test, loads CSV, and does not outlive its owner.
@Suite struct PostgresServerTests {
  @Test func sharedServerServesFreshDatabases() throws {
    let server = try PostgresServer.shared()
    #expect(server.version.contains("PostgreSQL"))
    #expect(server.isRunning)
    let first = try server.makeDatabase("a"), second = try server.makeDatabase("a")
    #expect(first.name != second.name)
    try first.run("CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2);")
    #expect(try first.run("SELECT sum(x) FROM t") == "3\n")
    // The second database is empty: the table exists only in the first.
    #expect(throws: PostgresServerError.self) { try second.run("SELECT * FROM t") }
    #expect(try first.run("SHOW timezone") == "UTC\n")
  }

  @Test func copiesCSVAndQuotesPaths() throws {
    let database = try PostgresServer.shared().makeDatabase("copy")
    let directory = try TemporaryDirectory("it's a folder")
    defer { directory.remove() }
    let csv = directory.file("events.csv")
    try "customer_id,value\nc1,1.5\n\"c,2\",2.5\n".write(toFile: csv, atomically: true, encoding: .utf8)
    try database.run("CREATE TABLE events (customer_id text, value double precision)")
    try database.copy("events", fromCSV: csv)
    #expect(try database.run("SELECT customer_id, value FROM events ORDER BY customer_id") == "c,2|2.5\nc1|1.5\n")
  }

  @Test func errorsCarryPsqlsMessage() throws {
    let database = try PostgresServer.shared().makeDatabase("errors")
    let error = try #require(throws: PostgresServerError.self) { try database.run("SELECT nope FROM nowhere") }
    #expect(error.description.contains("psql on \(database.name) failed (exit status 3)"))
    #expect(error.description.contains("ERROR:  relation \"nowhere\" does not exist"))
  }

  @Test func passwordRolesMustLogIn() throws {
    let database = try PostgresServer.shared().makeDatabase("roles")
    let role = "reader_\(database.name)"  // roles are cluster-wide: one of this database's
    try database.run("CREATE ROLE \(role) LOGIN PASSWORD 'opensesame'")
    let server = database.server
    let psql = [server.binDirectory + "/psql", "-X", "-A", "-t", "-h", server.socketDirectory, "-U", role, "-d", database.name, "-c", "SELECT 7"]
    let wrong = try runProcess(psql, environment: ["PGPASSWORD": "wrong"])
    #expect(wrong.status != 0)
    #expect(wrong.stderr.contains("password authentication failed for user \"\(role)\""))
    let right = try runProcess(psql, environment: ["PGPASSWORD": "opensesame"])
    #expect(right.status == 0)
    #expect(right.stdout == "7\n")
  }

  /// The watchdog stops the server and removes its folder once the owner process dies without a
  /// chance to clean up (SIGKILL).
  @Test func watchdogStopsTheServerWhenItsOwnerDies() throws {
    let owner = Process()
    owner.executableURL = URL(fileURLWithPath: "/bin/sleep")
    owner.arguments = ["60"]
    try owner.run()
    let server = try PostgresServer.start(watching: owner.processIdentifier)
    defer { server.stop() }
    #expect(server.isRunning)
    let database = try server.makeDatabase()
    #expect(try database.run("SELECT 1") == "1\n")
    kill(owner.processIdentifier, SIGKILL)
    owner.waitUntilExit()
    var waited = 0.0
    while (server.isRunning || FileManager.default.fileExists(atPath: server.rootDirectory)) && waited < 20 {
      usleep(100_000)
      waited += 0.1
    }
    #expect(!server.isRunning)
    #expect(!FileManager.default.fileExists(atPath: server.rootDirectory))
  }

  @Test func stopStopsAndRemoves() throws {
    let server = try PostgresServer.start(watching: getpid())
    #expect(server.isRunning)
    server.stop()
    #expect(!server.isRunning)
    #expect(!FileManager.default.fileExists(atPath: server.rootDirectory))
    server.stop()  // twice is fine
  }
}

/// Runs a command with `environment` added, returning its status and outputs.
func runProcess(_ command: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: command[0])
  process.arguments = Array(command.dropFirst())
  process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
  let out = Pipe(), err = Pipe()
  process.standardOutput = out
  process.standardError = err
  process.standardInput = FileHandle.nullDevice
  try process.run()
  let errData = err.fileHandleForReading.readDataToEndOfFile()  // small outputs: no deadlock
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}
