/// A SQL engine `FeatureQuery` writes for: the few places where engines spell the same thing
/// differently (identifier quoting, string escapes, type names, epoch milliseconds, inline tables).
///
/// Runnable and proven equal to `churn features` here: PostgreSQL 15, DuckDB and Spark SQL
/// (local mode). BigQuery and Snowflake are not among them (no engine to run on this machine).
public enum SQLDialect: String, CaseIterable, Sendable, Equatable, CustomStringConvertible {
  case postgres
  case duckdb
  case spark

  public var description: String { rawValue }

  /// `name` as a quoted identifier: `"name"` (PostgreSQL, DuckDB) or `` `name` `` (Spark).
  func identifier(_ name: String) -> String {
    switch self {
    case .postgres, .duckdb: return "\"" + name.replacingAll("\"", with: "\"\"") + "\""
    case .spark: return "`" + name.replacingAll("`", with: "``") + "`"
    }
  }

  /// `text` as a string literal (Spark's literals treat a backslash as an escape).
  func literal(_ text: String) -> String {
    switch self {
    case .postgres, .duckdb: return "'" + text.replacingAll("'", with: "''") + "'"
    case .spark: return "'" + text.replacingAll("\\", with: "\\\\").replacingAll("'", with: "\\'") + "'"
    }
  }

  var textType: String { self == .spark ? "STRING" : "VARCHAR" }
  var doubleType: String { self == .postgres ? "DOUBLE PRECISION" : "DOUBLE" }

  func text(_ expression: String) -> String { "CAST(\(expression) AS \(textType))" }
  func double(_ expression: String) -> String { "CAST(\(expression) AS \(doubleType))" }

  /// Whole milliseconds since 1970-01-01 UTC of a TIMESTAMP, TIMESTAMPTZ or DATE column.
  func epochMilliseconds(_ expression: String, castToTimestamp: Bool = false) -> String {
    switch self {
    case .postgres:
      let value = castToTimestamp ? "CAST(\(expression) AS TIMESTAMP)" : expression
      return "CAST(FLOOR(EXTRACT(EPOCH FROM \(value)) * 1000) AS BIGINT)"
    case .duckdb: return "epoch_ms(CAST(\(expression) AS TIMESTAMP))"
    case .spark: return "unix_millis(CAST(\(expression) AS TIMESTAMP))"
    }
  }

  /// ⌊a / b⌋ for BIGINT `a` and a positive constant `b`, exact in every dialect (DuckDB and
  /// Spark divide integers into doubles: the division here is exact, so the cast is too).
  func floorDivision(_ a: String, by b: Int64) -> String {
    "CAST((\(a) - (((\(a)) % \(b)) + \(b)) % \(b)) / \(b) AS BIGINT)"
  }

  /// An inline table of literal rows with named columns, usable after FROM.
  func inlineTable(rows: [[String]], alias: String, columns: [String]) -> String {
    let body = rows.map { "(" + $0.joined(separator: ", ") + ")" }.joined(separator: ",\n    ")
    switch self {
    case .postgres, .duckdb: return "(VALUES\n    \(body)) AS \(alias)(\(columns.joined(separator: ", ")))"
    case .spark: return "VALUES\n    \(body) AS \(alias)(\(columns.joined(separator: ", ")))"
    }
  }
}

extension String {
  func replacingAll(_ target: String, with replacement: String) -> String {
    split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
  }
}
