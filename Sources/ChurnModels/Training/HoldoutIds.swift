import ChurnCore

/// The customers held out of training (`churn train --table --holdout-ids FILE`), read and
/// checked against the table.
///
/// The file holds one customer id per line; a CSV's first column is read the same way (a
/// header line equal to the id column's name is skipped, quotes are removed). Ids are compared
/// exactly, leading zeros included. A file whose ids match no customer, that holds out every
/// labelled row, or whose held-out rows are of one class is an error: each would silently give
/// a model with no holdout measurement or a meaningless one.
public struct HoldoutIds: Sendable {
  public let path: String
  /// Ids with the line each was read from.
  public let ids: [(id: String, line: Int)]

  /// Reads `path`; `idColumn` is the table's id column, whose name as a header line is skipped.
  ///
  /// - Throws: `FileError`, `TextFileError`, `HoldoutError.noIds`.
  public init(path: String, idColumn: String) throws {
    try self.init(path: path, idColumn: idColumn, reading: path)
  }

  /// Reads the file at `file`, named `path` in messages.
  public init(path: String, idColumn: String, reading file: String) throws {
    self.path = path
    var ids: [(id: String, line: Int)] = []
    for line in try TextLines(path: file).lines {
      let first = (TextLines.fields(of: line.text)?.first ?? line.text).trimmingSpaces
      if ids.isEmpty && first.lowercased() == idColumn.lowercased() { continue }
      if !first.isEmpty { ids.append((first, line.number)) }
    }
    guard !ids.isEmpty else { throw HoldoutError.noIds(path: path, idColumn: idColumn) }
    self.ids = ids
  }

  /// Splits the labelled rows of a table into training and held-out rows.
  ///
  /// - Parameters:
  ///   - rowIds: every row's id (labelled or not), to tell an unknown id from an unlabelled one.
  ///   - labels: every row's label, NaN when unknown.
  ///   - table: the table's path, and `idColumn` its id column, for messages.
  /// - Returns: the training rows, the held-out rows (both labelled, in table order) and the
  ///   ids of the file that are in no row.
  /// - Throws: `HoldoutError.noneMatch`, `.noLabelled`, `.allRows`, `.oneClass`.
  public func split(rowIds: [String], labels: [Double], table: String, idColumn: String) throws
    -> (train: [Int], test: [Int], unknown: [(id: String, line: Int)]) {
    let held = Set(ids.map(\.id))
    let known = Set(rowIds)
    let unknown = ids.filter { !known.contains($0.id) }
    guard unknown.count < ids.count else {
      throw HoldoutError.noneMatch(path: path, count: ids.count, table: table, idColumn: idColumn, first: ids[0].id, line: ids[0].line)
    }
    let labelled = labels.indices.filter { !labels[$0].isNaN }
    let test = labelled.filter { held.contains(rowIds[$0]) }
    let train = labelled.filter { !held.contains(rowIds[$0]) }
    guard !test.isEmpty else { throw HoldoutError.noLabelled(path: path, count: ids.count - unknown.count, table: table) }
    guard !train.isEmpty else { throw HoldoutError.allRows(path: path, rows: test.count, table: table) }
    if let first = test.first, test.allSatisfy({ labels[$0] == labels[first] }) {
      throw HoldoutError.oneClass(path: path, rows: test.count, label: Int(labels[first]))
    }
    return (train, test, unknown)
  }
}

/// A holdout file that cannot measure a model.
public enum HoldoutError: Error, Equatable, CustomStringConvertible {
  case noIds(path: String, idColumn: String)
  case noneMatch(path: String, count: Int, table: String, idColumn: String, first: String, line: Int)
  case noLabelled(path: String, count: Int, table: String)
  case allRows(path: String, rows: Int, table: String)
  case oneClass(path: String, rows: Int, label: Int)

  public var description: String {
    switch self {
    case .noIds(let path, let idColumn):
      return "\(path) has no ids; expected the ids of the customers to hold out; fix: list one \(idColumn) per line, as in the table"
    case .noneMatch(let path, let count, let table, let idColumn, let first, let line):
      return "none of the \(count) ids in \(path) is in column \(idColumn) of \(table) "
        + "(line \(line): \"\(first)\"); expected the ids of the customers to hold out; fix: list one \(idColumn) per line, as in the table"
    case .noLabelled(let path, let count, let table):
      return "none of the \(count) ids in \(path) has a label in \(table) (their labels are blank); expected labelled customers to hold out; "
        + "fix: list customers whose label is known"
    case .allRows(let path, let rows, let table):
      return "\(path) holds out all \(rows) labelled rows of \(table): none is left to train on; fix: hold out a part of the customers, such as one in five"
    case .oneClass(let path, let rows, let label):
      return "the \(rows) held-out rows (ids in \(path)) all have label \(label); expected both churned and retained customers "
        + "to measure the model; fix: hold out a random sample of customers"
    }
  }
}
