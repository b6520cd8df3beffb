import Foundation
import Synchronization

/// A private PostgreSQL cluster for the test process: `initdb` in a temporary folder, a server that
/// listens only on a Unix socket in that folder, and a fresh database per test.
///
/// ```swift
/// let database = try PostgresServer.shared().makeDatabase("features")
/// try database.run("CREATE TABLE events (customer_id text, timestamp timestamptz, event_type text, value double precision)")
/// try database.copy("events", fromCSV: eventsPath)
/// let url = database.url   // postgresql://churn@/t3_features?host=/tmp/churn-pg-.../s
/// ```
///
/// One cluster serves every test in the process (`shared()` starts it once, the first time a test
/// asks). It is stopped (immediate shutdown) and its folder removed by an `atexit` handler when the
/// process exits normally, and by a watchdog shell, in a session of its own, that polls the test
/// process and does the same if the process dies without running `atexit` (a crash, `kill -9`,
/// Ctrl-C): no server outlives `swift test`.
///
/// The server runs PostgreSQL 15 from Debian (`/usr/lib/postgresql/15/bin`; another version or
/// place is found through `CHURN_PG_BINDIR`, `pg_config --bindir`, `/usr/lib/postgresql/*/bin` or
/// `PATH`). PostgreSQL refuses to run as root: under root the cluster is created and run as the
/// `postgres` user (`runuser -u postgres --`), and the folder belongs to that user. The superuser
/// is `churn`, trusted on the socket without a password; any other role must log in with its
/// password (`scram-sha-256`), so password handling can be tested. Settings: `fsync=off`,
/// `timezone=UTC`, locale C (English error messages), UTF-8.
public final class PostgresServer: Sendable {
  /// The folder holding the cluster (`data/`), the socket folder (`s/`) and the server's log.
  public let rootDirectory: String
  /// The folder of the server's Unix socket: libpq's `host` for this server.
  public let socketDirectory: String
  /// The folder of `initdb`, `pg_ctl`, `postgres` and `psql`.
  public let binDirectory: String
  /// The superuser's name (trusted on the socket, no password).
  public let superuser = "churn"
  /// The server's version line, such as `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`.
  public let version: String

  var dataDirectory: String { rootDirectory + "/data" }
  var logFile: String { rootDirectory + "/log" }

  private static let sharedServer: Result<PostgresServer, PostgresServerError> = {
    do {
      let server = try PostgresServer.start(watching: getpid())
      sharedForExit.withLock { $0 = server }
      atexit { PostgresServer.sharedForExit.withLock { $0 }?.stop() }
      return .success(server)
    } catch let error as PostgresServerError {
      return .failure(error)
    } catch {
      return .failure(PostgresServerError("could not start the test PostgreSQL server: \(error)"))
    }
  }()
  private static let sharedForExit = Mutex<PostgresServer?>(nil)

  /// The process's cluster, started on the first call (about a second) and shared afterwards.
  ///
  /// - Throws: `PostgresServerError` when PostgreSQL is not installed or does not start (the
  ///   same error on every later call).
  public static func shared() throws -> PostgresServer {
    try sharedServer.get()
  }

  private static let databaseCounter = Atomic<Int>(0)

  private init(rootDirectory: String, binDirectory: String, version: String) {
    self.rootDirectory = rootDirectory
    self.socketDirectory = rootDirectory + "/s"
    self.binDirectory = binDirectory
    self.version = version
  }

  /// Starts a new cluster in a new temporary folder, with a watchdog that stops it and removes
  /// the folder once process `owner` is gone (or the folder was removed by `stop()`).
  ///
  /// Tests use `shared()`; this is for tests of the server's own lifetime.
  public static func start(watching owner: pid_t) throws -> PostgresServer {
    let bin = try findBinaries()
    let versionLine = try runChecked([bin + "/postgres", "--version"], what: "postgres --version")
      .trimmingCharacters(in: .whitespacesAndNewlines)
    // The socket path must fit in sockaddr_un (107 bytes): keep the folder short.
    var temporary = NSTemporaryDirectory()
    if temporary.utf8.count > 40 { temporary = "/tmp/" }
    if !temporary.hasSuffix("/") { temporary += "/" }
    let root = temporary + "churn-pg-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
    let runAs = try serverUser()
    do {
      try FileManager.default.createDirectory(atPath: root + "/s", withIntermediateDirectories: true)
      try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: root)
      if let (uid, gid) = runAs?.ids {
        for path in [root, root + "/s"] {
          guard chown(path, uid, gid) == 0 else {
            throw PostgresServerError("could not give \(path) to user \(runAs!.name): \(String(cString: strerror(errno)))")
          }
        }
      }
    } catch let error as PostgresServerError { throw error } catch {
      throw PostgresServerError("could not create the cluster folder \(root): \(error)")
    }
    let server = PostgresServer(rootDirectory: root, binDirectory: bin, version: versionLine)
    // The watchdog first, so that a failure below still leaves nothing behind once we are gone.
    try server.startWatchdog(owner: owner)
    do {
      _ = try runChecked(
        server.asServerUser([
          bin + "/initdb", "-D", server.dataDirectory, "-U", server.superuser, "-A", "trust",
          "--locale=C", "-E", "UTF8", "--no-sync", "--no-instructions",
        ]), what: "initdb")
      let hba = "local all \(server.superuser) trust\nlocal all all scram-sha-256\n"
      try server.writeServerFile(server.dataDirectory + "/pg_hba.conf", hba, owner: runAs)
      let options = [
        "-k", server.socketDirectory, "-c", "listen_addresses=''", "-c", "fsync=off",
        "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "timezone=UTC",
        "-c", "log_timezone=UTC", "-c", "lc_messages=C",
      ].joined(separator: " ")  // pg_ctl hands this to /bin/sh: '' is an empty value
      _ = try runChecked(
        withoutInheritedDescriptors(server.asServerUser([
          bin + "/pg_ctl", "start", "-D", server.dataDirectory, "-l", server.logFile, "-w", "-s", "-t", "60",
          "-o", options,
        ])), what: "pg_ctl start", logFile: server.logFile)
    } catch {
      server.stop()
      throw error
    }
    return server
  }

  /// Stops the server at once (PostgreSQL's immediate shutdown, `SIGQUIT` to the postmaster)
  /// and removes its folder. Safe to call twice, and from an `atexit` handler.
  public func stop() {
    let pidFile = dataDirectory + "/postmaster.pid"
    if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
      let first = text.split(separator: "\n").first, let pid = pid_t(first.trimmingCharacters(in: .whitespaces)), pid > 0
    {
      kill(pid, SIGQUIT)
      // The postmaster removes its pid file on the way out; a zombie waiting to be reaped counts as gone.
      for _ in 0..<200 where FileManager.default.fileExists(atPath: pidFile) && Self.isRunning(pid) {
        usleep(25_000)
      }
    }
    try? FileManager.default.removeItem(atPath: rootDirectory)
  }

  /// Whether the server's postmaster is running (for tests of the lifetime).
  public var isRunning: Bool {
    guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8),
      let first = text.split(separator: "\n").first, let pid = pid_t(first)
    else { return false }
    return Self.isRunning(pid)
  }

  static func isRunning(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return kill(pid, 0) == 0 }
    // Field 3, after the parenthesised command name, is the state; Z is a zombie.
    guard let close = stat.lastIndex(of: ")") else { return true }
    return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
  }

  /// Creates a new, empty database with a name unique in this process (`t<n>_<label>`), owned
  /// by the superuser.
  public func makeDatabase(_ label: String = "test") throws -> PostgresDatabase {
    let number = Self.databaseCounter.wrappingAdd(1, ordering: .relaxed).newValue
    let cleaned = String(label.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" }.prefix(40))
    let name = "t\(number)_\(cleaned)"
    let database = PostgresDatabase(server: self, name: name)
    _ = try PostgresDatabase(server: self, name: "postgres").run("CREATE DATABASE \"\(name)\"")
    return database
  }

  // MARK: - Processes

  private func startWatchdog(owner: pid_t) throws {
    let script = """
      while kill -0 \(owner) 2>/dev/null && [ -d '\(rootDirectory)' ]; do sleep 0.5; done
      pid=$(head -n 1 '\(dataDirectory)/postmaster.pid' 2>/dev/null) && kill -QUIT "$pid" 2>/dev/null
      i=0; while [ -f '\(dataDirectory)/postmaster.pid' ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
      rm -rf '\(rootDirectory)'
      """
    // setsid -f: a new session, so a Ctrl-C to the test's process group does not stop the watchdog;
    // standard streams on /dev/null and other descriptors closed, so nobody waits for it.
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
    process.arguments = ["-f"] + Self.withoutInheritedDescriptors(["/bin/sh", "-c", script])
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do {
      try process.run()
      process.waitUntilExit()
    } catch {
      throw PostgresServerError("could not start the watchdog of the test PostgreSQL server (/usr/bin/setsid): \(error)")
    }
  }

  /// `command`, run by bash after it closed every descriptor above 2 it inherited.
  ///
  /// Foundation's `Process` learns that a child exited when a socket it shares with the child
  /// closes; a long-lived descendant (the postmaster, the watchdog) that inherits that socket
  /// would make `waitUntilExit()` of the short-lived command wait for the descendant.
  static func withoutInheritedDescriptors(_ command: [String]) -> [String] {
    let closeAll = #"for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null; exec "$@""#
    return ["/bin/bash", "-c", closeAll, "bash"] + command
  }

  struct ServerUser { let name: String; let ids: (uid_t, gid_t)? }

  /// Who runs initdb and postgres: `postgres` under root (PostgreSQL refuses root), else nobody
  /// in particular (the current user, directly).
  private static func serverUser() throws -> ServerUser? {
    guard getuid() == 0 else { return nil }
    guard let entry = getpwnam("postgres") else {
      throw PostgresServerError(
        "the tests run as root and PostgreSQL refuses to run as root, but there is no user 'postgres' to run it as; fix: run scripts/setup (Debian's postgresql-15 creates the user)")
    }
    return ServerUser(name: "postgres", ids: (entry.pointee.pw_uid, entry.pointee.pw_gid))
  }

  private func asServerUser(_ command: [String]) -> [String] {
    getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + command : command
  }

  private func writeServerFile(_ path: String, _ text: String, owner: ServerUser?) throws {
    do {
      try text.write(toFile: path, atomically: false, encoding: .utf8)
      if let (uid, gid) = owner?.ids { chown(path, uid, gid) }
    } catch {
      throw PostgresServerError("could not write \(path): \(error)")
    }
  }

  /// The folder of the PostgreSQL server binaries: `CHURN_PG_BINDIR`, then Debian's 15, then
  /// `pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin`, then `PATH`.
  static func findBinaries() throws -> String {
    let needed = ["initdb", "pg_ctl", "postgres", "psql"]
    func complete(_ directory: String) -> Bool {
      needed.allSatisfy { FileManager.default.isExecutableFile(atPath: directory + "/" + $0) }
    }
    var candidates: [String] = []
    if let explicit = ProcessInfo.processInfo.environment["CHURN_PG_BINDIR"], !explicit.isEmpty {
      guard complete(explicit) else {
        throw PostgresServerError(
          "CHURN_PG_BINDIR is \(explicit), which does not hold \(needed.joined(separator: ", ")); fix: point it at PostgreSQL's bin folder or unset it")
      }
      return explicit
    }
    candidates.append("/usr/lib/postgresql/15/bin")
    if let output = try? run(["pg_config", "--bindir"], searchPath: true), output.status == 0 {
      candidates.append(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
      .compactMap { Int($0) }.sorted(by: >)
    candidates += versions.map { "/usr/lib/postgresql/\($0)/bin" }
    candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
    if let found = candidates.first(where: complete) { return found }
    throw PostgresServerError(
      "no PostgreSQL server binaries (\(needed.joined(separator: ", "))) in /usr/lib/postgresql/15/bin, pg_config --bindir, /usr/lib/postgresql/*/bin or PATH; fix: run scripts/setup (installs Debian's postgresql-15), or set CHURN_PG_BINDIR")
  }

  @discardableResult
  static func runChecked(_ command: [String], what: String, input: String? = nil, logFile: String? = nil) throws -> String {
    let result: (status: Int32, stdout: String, stderr: String)
    do { result = try run(command, input: input) } catch {
      throw PostgresServerError("\(what) could not be run (\(command[0])): \(error)")
    }
    guard result.status == 0 else {
      var message = "\(what) failed (exit status \(result.status)): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
      if let logFile, let log = try? String(contentsOfFile: logFile, encoding: .utf8) {
        message += "\nserver log (last lines):\n" + log.split(separator: "\n").suffix(15).joined(separator: "\n")
      }
      throw PostgresServerError(message)
    }
    return result.stdout
  }

  /// Runs a command to completion; both outputs are drained concurrently so neither pipe fills.
  static func run(_ command: [String], input: String? = nil, searchPath: Bool = false) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    if searchPath {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = command
    } else {
      process.executableURL = URL(fileURLWithPath: command[0])
      process.arguments = Array(command.dropFirst())
    }
    let out = Pipe(), err = Pipe(), inPipe = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
    try process.run()
    let errorData = Mutex(Data())
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) {
      let data = err.fileHandleForReading.readDataToEndOfFile()
      errorData.withLock { $0 = data }
    }
    if let input {
      DispatchQueue.global().async(group: group) {
        inPipe.fileHandleForWriting.write(Data(input.utf8))
        try? inPipe.fileHandleForWriting.close()
      }
    }
    let outputData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData.withLock { $0 }, as: UTF8.self))
  }
}

/// One database of the test cluster: its connection URL, and `psql` to fill and query it.
public struct PostgresDatabase: Sendable {
  public let server: PostgresServer
  public let name: String

  /// A libpq connection URL as the superuser over the server's socket:
  /// `postgresql://churn@/NAME?host=/tmp/churn-pg-.../s`.
  public var url: String { "postgresql://\(server.superuser)@/\(name)?host=\(server.socketDirectory)" }

  /// The libpq environment variables that select this database (`PGHOST`, `PGUSER`,
  /// `PGDATABASE`, `PGPORT`), for tests of connecting without a URL.
  public var environment: [String: String] {
    ["PGHOST": server.socketDirectory, "PGUSER": server.superuser, "PGDATABASE": name, "PGPORT": "5432"]
  }

  /// Runs SQL (several statements, and psql meta-commands such as `\copy`, one per line) with
  /// `psql`, stopping at the first error, and returns its unaligned, tuples-only output (`|`
  /// between columns, one row per line).
  ///
  /// - Throws: `PostgresServerError` with psql's message when a statement fails.
  @discardableResult
  public func run(_ sql: String) throws -> String {
    try PostgresServer.runChecked(
      [
        server.binDirectory + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", server.socketDirectory,
        "-U", server.superuser, "-d", name, "-f", "-",
      ], what: "psql on \(name)", input: sql)
  }

  /// Loads a CSV file with a header line into an existing table (`\copy ... FROM ... CSV HEADER`,
  /// columns matched by position).
  public func copy(_ table: String, fromCSV path: String) throws {
    let quoted = "'" + path.replacingOccurrences(of: "'", with: "''") + "'"
    try run("\\copy \(table) FROM \(quoted) WITH (FORMAT csv, HEADER true)\n")
  }
}

/// The test cluster could not be started or a `psql` command failed; the message says which and why.
public struct PostgresServerError: Error, CustomStringConvertible, Sendable {
  public let description: String
  init(_ description: String) { self.description = description }
}
