import ChurnCore
import Foundation

extension PostgresConnection {
  /// Runs `sql` and collects its rows into a `FeatureTable`, one row at a time: the first
  /// column is the id (text), a column named `cutoff` holds each row's cutoff date
  /// (`YYYY-MM-DD`, or a `DATE`), a last column named `label` the label (0/1, NULL unknown), and
  /// every other column is a feature: categorical (text, NULL missing) when its name is in
  /// `categorical` or its type is not a number, else numeric (NULL and `NaN` are NaN).
  ///
  /// - Parameters:
  ///   - sql: the query, such as `FeatureQuery.text` or a hand-written one.
  ///   - expecting: the column names the result must have, in order (nil: any).
  ///   - categorical: feature columns to read as text whatever their type.
  /// - Throws: `DatabaseError.query` when the server refuses the query; `DatabaseError.resultShape`
  ///   for other columns than `expecting`, a cutoff that is not a date, a number column value
  ///   that is not a number, a label other than 0, 1 or NULL.
  /// - Complexity: the table's memory plus one row of the result.
  public func featureTable(_ sql: String, expecting: [String]? = nil, categorical: Set<String> = []) throws -> FeatureTable {
    var collector: FeatureTableCollector?
    try query(sql, columns: { columns in
      if let expecting, columns.map(\.name) != expecting {
        throw DatabaseError.resultShape(target: redactedTarget, message: "has the columns \(MessageText.excerpt(columns.map(\.name).joined(separator: ", "))); "
          + "expected \(MessageText.excerpt(expecting.joined(separator: ", ")))")
      }
      collector = try FeatureTableCollector(columns, categorical: categorical, target: redactedTarget)
    }) { row in try collector!.append(row) }
    return collector?.table() ?? FeatureTable(ids: [])
  }
}

/// Column arrays filled from a streamed result, one row at a time.
struct FeatureTableCollector {
  enum Role { case cutoff, label, numeric(Int), categorical(Int) }
  let names: [String]
  let roles: [Role]
  let target: String
  var ids: [String] = []
  var cutoffs: [Int64]?
  var labels: [Double]?
  var numeric: [[Double]]
  var categorical: [[String?]]
  var featureOrder: [Role] = []

  init(_ columns: [PostgresColumn], categorical forced: Set<String>, target: String) throws {
    guard !columns.isEmpty else { throw DatabaseError.resultShape(target: target, message: "has no column; expected an id column first") }
    names = columns.map(\.name)
    self.target = target
    var roles: [Role] = []
    var numericCount = 0, categoricalCount = 0
    for (index, column) in columns.enumerated().dropFirst() {
      if column.name == "cutoff" {
        roles.append(.cutoff)
      } else if column.name == "label" && index == columns.count - 1 {
        roles.append(.label)
      } else if forced.contains(column.name) || !column.isNumeric {
        roles.append(.categorical(categoricalCount))
        categoricalCount += 1
      } else {
        roles.append(.numeric(numericCount))
        numericCount += 1
      }
    }
    self.roles = roles
    numeric = Array(repeating: [], count: numericCount)
    categorical = Array(repeating: [], count: categoricalCount)
    if roles.contains(where: { if case .cutoff = $0 { return true } else { return false } }) { cutoffs = [] }
    if roles.contains(where: { if case .label = $0 { return true } else { return false } }) { labels = [] }
  }

  mutating func append(_ row: PostgresRow) throws {
    let id = row.string(0) ?? ""
    ids.append(id)
    for (offset, role) in roles.enumerated() {
      let column = offset + 1
      switch role {
      case .cutoff:
        guard let text = row.string(column), let instant = UTCTime.parseMilliseconds(text) else {
          throw bad(column, row: row, expected: "a date such as 2025-07-01")
        }
        cutoffs!.append(instant)
      case .label:
        let value = row.double(column)
        guard let value, value.isNaN || value == 0 || value == 1 else { throw bad(column, row: row, expected: "0, 1 or NULL") }
        labels!.append(value)
      case .numeric(let index):
        guard let value = row.double(column) else { throw bad(column, row: row, expected: "a number or NULL") }
        numeric[index].append(value)
      case .categorical(let index):
        categorical[index].append(row.string(column))
      }
    }
  }

  func bad(_ column: Int, row: PostgresRow, expected: String) -> DatabaseError {
    .resultShape(target: target, message: "has \(names[column]) \"\(MessageText.excerpt(row.string(column) ?? "NULL"))\" for id \(MessageText.excerpt(row.string(0) ?? "NULL")); expected \(expected)")
  }

  func table() -> FeatureTable {
    var columnNames: [String] = []
    var columns: [FeatureTable.Column] = []
    for (offset, role) in roles.enumerated() {
      switch role {
      case .numeric(let index): columnNames.append(names[offset + 1]); columns.append(.numeric(numeric[index]))
      case .categorical(let index): columnNames.append(names[offset + 1]); columns.append(.categorical(categorical[index]))
      case .cutoff, .label: break
      }
    }
    return FeatureTable(ids: ids, cutoffs: cutoffs, columnNames: columnNames, columns: columns, labels: labels)
  }
}
