internal import CLibpq
import ChurnCore
import Foundation

/// A connection to a PostgreSQL server through libpq, PostgreSQL's own client library, that runs
/// a query and streams its rows back one at a time.
///
/// ```swift
/// let connection = try PostgresConnection(url: "postgresql://churn@/crm?host=/var/run/postgresql")
/// let columns = try connection.query("SELECT customer_id, tenure FROM customers") { row in
///   print(row.string(0) ?? "NULL", row.double(1) ?? .nan)
/// }
/// ```
///
/// The target is a libpq connection URL, `postgresql://user:password@host:port/database?options`
/// (a Unix socket folder as `?host=/path`), or a `key=value` connection string; an empty target
/// uses the standard libpq environment variables alone (`PGHOST`, `PGPORT`, `PGUSER`,
/// `PGDATABASE`, `PGPASSWORD`, `PGSSLMODE` ...), which also fill whatever a URL leaves out, and
/// `~/.pgpass` supplies passwords as usual. No error and no log line ever carries the password:
/// errors name the target with its password replaced by `***`.
///
/// Rows arrive in libpq's single-row mode, in text format: the whole result is never held by the
/// client, one row at a time is. Not thread-safe: one query at a time per connection.
public final class PostgresConnection {
  private let connection: OpaquePointer
  /// The target as errors show it: the URL with its password replaced by `***`, or
  /// "the PG* environment variables".
  public let redactedTarget: String
  private let secrets: [String]

  /// Connects to the server at `url` (or, for an empty `url`, the one the PG* environment
  /// variables name).
  ///
  /// - Throws: `DatabaseError.connection` with the server's or libpq's reason and the redacted target.
  public init(url: String) throws(DatabaseError) {
    redactedTarget = url.isEmpty ? "the PG* environment variables" : PostgresURL.redacted(url)
    secrets = PostgresURL.passwords(in: url)
    guard let connection = PQconnectdb(url) else {
      throw DatabaseError.connection(target: redactedTarget, message: "libpq could not allocate a connection")
    }
    self.connection = connection
    guard PQstatus(connection) == CONNECTION_OK else {
      let message = PostgresURL.scrub(String(cString: PQerrorMessage(connection)), secrets: secrets)
      // No PQfinish here: every stored property is set, so deinit runs and frees the connection.
      throw DatabaseError.connection(target: redactedTarget, message: message)
    }
  }

  deinit { PQfinish(connection) }

  /// The server's version as a number, such as 150018 for 15.18.
  public var serverVersion: Int { Int(PQserverVersion(connection)) }

  /// Runs `sql` (one statement) and calls `row` for each result row as it arrives.
  ///
  /// - Parameters:
  ///   - sql: one SQL statement.
  ///   - columns: called once with the result's columns, before the first row (also for an empty result).
  ///   - row: called for each row; the row's values are valid only during the call.
  /// - Returns: the result's columns.
  /// - Throws: `DatabaseError.query` with the server's message and the statement's first line;
  ///   whatever `columns` or `row` throws (the rest of the result is then discarded).
  /// - Complexity: memory for one row at a time.
  @discardableResult
  public func query(_ sql: String, columns: ([PostgresColumn]) throws -> Void = { _ in },
                    row: (PostgresRow) throws -> Void) throws -> [PostgresColumn] {
    guard PQsendQuery(connection, sql) == 1 else {
      throw queryError(sql, message: String(cString: PQerrorMessage(connection)), result: nil)
    }
    guard PQsetSingleRowMode(connection) == 1 else {
      drain()
      throw queryError(sql, message: "libpq could not switch to single-row mode", result: nil)
    }
    var described: [PostgresColumn]?
    var failure: (any Error)?
    while let result = PQgetResult(connection) {
      defer { PQclear(result) }
      if failure != nil { continue }  // drain what is left after an error
      switch PQresultStatus(result) {
      case PGRES_SINGLE_TUPLE, PGRES_TUPLES_OK:
        do {
          if described == nil {
            let list = Self.columns(of: result)
            described = list
            try columns(list)
          }
          let rows = PQntuples(result)
          for index in 0..<rows { try row(PostgresRow(result: result, row: index, count: Int(PQnfields(result)))) }
        } catch {
          failure = error
          // Stop the server's work: the rest of the rows are not wanted.
          if let cancel = PQgetCancel(connection) {
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancel, &buffer, 256)
            PQfreeCancel(cancel)
          }
        }
      case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
        if described == nil { described = []; do { try columns([]) } catch { failure = error } }
      default:
        failure = queryError(sql, message: String(cString: PQresultErrorMessage(result)), result: result)
      }
    }
    if let failure { throw failure }
    return described ?? []
  }

  private func drain() {
    while let result = PQgetResult(connection) { PQclear(result) }
  }

  private static func columns(of result: OpaquePointer) -> [PostgresColumn] {
    (0..<PQnfields(result)).map { PostgresColumn(name: String(cString: PQfname(result, $0)), typeOID: UInt32(PQftype(result, $0))) }
  }

  private func queryError(_ sql: String, message: String, result: OpaquePointer?) -> DatabaseError {
    func field(_ code: Character) -> String? {
      guard let result, let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
      return String(cString: value)
    }
    let primary = field("M") ?? message.trimmingCharacters(in: .whitespacesAndNewlines)
    let firstLine = sql.split(separator: "\n", omittingEmptySubsequences: true)
      .first { !$0.allSatisfy { $0 == " " || $0 == "\t" } }.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
    return DatabaseError.query(target: redactedTarget, message: PostgresURL.scrub(primary, secrets: secrets),
                               sqlState: field("C"), detail: field("D").map { PostgresURL.scrub($0, secrets: secrets) },
                               firstLine: String(firstLine.prefix(120)))
  }
}

/// A result column: its name and PostgreSQL type (an OID from `pg_type`).
public struct PostgresColumn: Sendable, Equatable {
  public let name: String
  public let typeOID: UInt32

  public init(name: String, typeOID: UInt32) {
    self.name = name
    self.typeOID = typeOID
  }

  /// Whether the type is a number: smallint, integer, bigint, real, double precision, numeric
  /// (`int2`, `int4`, `int8`, `float4`, `float8`, `numeric`), or boolean as 0/1.
  public var isNumeric: Bool { [20, 21, 23, 700, 701, 1700, 16].contains(typeOID) }
}

/// One row of a result, valid only during the `row` callback of `PostgresConnection.query`.
public struct PostgresRow {
  private let result: OpaquePointer
  private let row: Int32
  /// The number of columns.
  public let count: Int

  fileprivate init(result: OpaquePointer, row: Int32, count: Int) {
    self.result = result
    self.row = row
    self.count = count
  }

  /// Whether the value in `column` is SQL NULL.
  public func isNull(_ column: Int) -> Bool { PQgetisnull(result, row, Int32(column)) == 1 }

  /// The value in `column` as text, or nil for NULL.
  public func string(_ column: Int) -> String? {
    isNull(column) ? nil : String(cString: PQgetvalue(result, row, Int32(column)))
  }

  /// Calls `body` with the bytes of the value's text in `column` (empty for NULL: check `isNull`).
  public func withBytes<T>(_ column: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
    let length = Int(PQgetlength(result, row, Int32(column)))
    let pointer = UnsafeRawPointer(PQgetvalue(result, row, Int32(column))!)
    return try body(UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: UInt8.self), count: length))
  }

  /// The value in `column` as a number, NaN for NULL or PostgreSQL's `NaN`, nil when the text is
  /// not a number; booleans `t`/`f` read as 1 and 0.
  public func double(_ column: Int) -> Double? {
    if isNull(column) { return .nan }
    return withBytes(column) { bytes in
      if let value = NumberParsing.double(bytes) { return value }
      switch String(decoding: bytes, as: UTF8.self) {
      case "NaN": return .nan
      case "Infinity": return .infinity
      case "-Infinity": return -.infinity
      case "t": return 1
      case "f": return 0
      default: return nil
      }
    }
  }
}

/// Connection targets with their passwords hidden.
public enum PostgresURL {
  /// `url` with its password (`user:password@` in a URL, `password=` in its options or in a
  /// `key=value` string) replaced by `***`.
  public static func redacted(_ url: String) -> String {
    scrub(url, secrets: passwords(in: url), patterns: true)
  }

  /// The passwords written in `url`, as written and percent-decoded.
  static func passwords(in url: String) -> [String] {
    var found: [String] = []
    if let scheme = url.range(of: "://") {
      let rest = url[scheme.upperBound...]
      let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
      let authority = rest[..<authorityEnd]
      if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
        found.append(String(authority[authority.index(after: colon)..<at]))
      }
      if let query = url.firstIndex(of: "?") {
        for pair in url[url.index(after: query)...].split(separator: "&") where pair.hasPrefix("password=") {
          found.append(String(pair.dropFirst("password=".count)))
        }
      }
    } else {
      // key=value form: password=secret or password='se cret'
      var rest = Substring(url)
      while let range = rest.range(of: "password") {
        var after = rest[range.upperBound...].drop { $0 == " " }
        guard after.first == "=" else { rest = rest[range.upperBound...]; continue }
        after = after.dropFirst().drop { $0 == " " }
        let value: Substring
        if after.first == "'" {
          let body = after.dropFirst()
          value = body.prefix { $0 != "'" }
        } else {
          value = after.prefix { $0 != " " }
        }
        found.append(String(value))
        rest = after
      }
    }
    let decoded = found.compactMap { $0.removingPercentEncoding }
    return Array(Set(found + decoded)).filter { !$0.isEmpty }.sorted { $0.count > $1.count }
  }

  /// `text` with every occurrence of each secret replaced by `***`.
  static func scrub(_ text: String, secrets: [String], patterns: Bool = false) -> String {
    var text = text
    for secret in secrets where !secret.isEmpty { text = text.replacingOccurrences(of: secret, with: "***") }
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
  }
}

/// A database could not be reached or a query failed; the message never contains a password.
public enum DatabaseError: Error, Equatable, CustomStringConvertible {
  /// The connection failed: libpq's or the server's reason.
  case connection(target: String, message: String)
  /// A query failed: the server's message, its SQLSTATE code, its detail, and the query's first line.
  case query(target: String, message: String, sqlState: String?, detail: String?, firstLine: String)
  /// The result lacks a column the job needs, or has one of the wrong type.
  case resultShape(target: String, message: String)
  /// A table lacks a column a flag named.
  case missingColumn(target: String, table: String, column: String, columns: [String], flag: String)

  public var description: String {
    switch self {
    case .connection(let target, let message):
      return "could not connect to PostgreSQL at \(target): \(message); expected a reachable server and valid credentials; "
        + "fix: check the URL (postgresql://user@host:port/database, a socket folder as ?host=/path) or PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD"
    case .query(let target, let message, let sqlState, let detail, let firstLine):
      return "PostgreSQL at \(target) refused the query beginning \"\(firstLine)\": \(message)"
        + (sqlState.map { " (SQLSTATE \($0))" } ?? "") + (detail.map { "; \($0)" } ?? "")
    case .resultShape(let target, let message):
      return "the query's result from PostgreSQL at \(target) \(message)"
    case .missingColumn(let target, let table, let column, let columns, let flag):
      return "table \(table) at \(target) has no column \(column) (its columns: \(MessageText.excerpt(columns.joined(separator: ", ")))); "
        + "expected the column \(flag) names; fix: \(flag) NAME with one of them"
    }
  }
}
