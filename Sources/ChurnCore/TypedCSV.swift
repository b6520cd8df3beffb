/// A CSV table read into typed columns, for customer tables and prepared feature tables.
///
/// Each column's kind is inferred in a first pass and values are parsed in a second, so memory
/// holds only the typed result:
/// - `numeric` when every non-blank value is a number and none is a digit string with a
///   leading zero (`007`, `02134`: codes, not quantities);
/// - `date` when every non-blank value is an ISO 8601 date or date-time;
/// - `categorical` otherwise.
/// Blank cells are missing (NaN or `nil`). Kinds can be forced per column.
public struct TypedCSV: Sendable {
  public enum Kind: String, Codable, Sendable, Equatable {
    case numeric, categorical, date
  }

  public let path: String
  /// Row ids from the id column, exactly as written.
  public let ids: [String]
  /// The 1-based file line of each row, for error messages.
  public let lines: [Int]
  public let names: [String]
  public let kinds: [Kind]
  /// `numeric` and `date` columns are `.numeric` (dates in milliseconds since the epoch).
  public let columns: [FeatureTable.Column]

  /// Reads `path`.
  ///
  /// - Parameters:
  ///   - idColumn: the column with row ids (case-insensitive); required and never blank.
  ///   - kinds: forced kinds by column name (case-insensitive).
  ///   - exclude: columns to leave out (case-insensitive).
  /// - Throws: `FileError`, `CSVError`, `TableError`.
  public init(path: String, idColumn: String, kinds forced: [String: Kind] = [:], exclude: Set<String> = []) throws {
    self.path = path
    let forcedKinds = Dictionary(forced.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
    let excluded = Set(exclude.map { $0.lowercased() })

    // Pass 1: the header and each column's kind.
    let first = try CSVReader(path: path)
    guard let idIndex = first.columnIndex(idColumn) else {
      throw TableError.missingColumn(path: path, name: idColumn, header: first.header)
    }
    for name in forcedKinds.keys where first.columnIndex(name) == nil {
      throw TableError.missingColumn(path: path, name: name, header: first.header)
    }
    let selected = first.header.indices.filter { $0 != idIndex && !excluded.contains(first.header[$0].lowercased()) }
    var couldBeNumeric = [Bool](repeating: true, count: first.header.count)
    var couldBeDate = [Bool](repeating: true, count: first.header.count)
    var nonBlank = [Int](repeating: 0, count: first.header.count)
    let width = first.header.count
    try first.forEachRecord { record in
      guard record.count == width else {
        throw TableError.fieldCount(path: path, line: record.line, found: record.count, expected: width)
      }
      for c in selected where !record.isBlank(c) {
        nonBlank[c] += 1
        let field = record.field(c)
        if couldBeNumeric[c] && (NumberParsing.double(field) == nil || Self.hasLeadingZero(field)) { couldBeNumeric[c] = false }
        if couldBeDate[c] && (field.count < 10 || field[4] != 0x2D || UTCTime.parseMilliseconds(field) == nil) {
          couldBeDate[c] = false
        }
      }
    }
    var kinds: [Kind] = []
    for c in selected {
      if let kind = forcedKinds[first.header[c].lowercased()] {
        kinds.append(kind)
      } else if nonBlank[c] > 0 && couldBeNumeric[c] {
        kinds.append(.numeric)
      } else if nonBlank[c] > 0 && couldBeDate[c] {
        kinds.append(.date)
      } else {
        kinds.append(nonBlank[c] == 0 ? .numeric : .categorical)
      }
    }

    // Pass 2: the values.
    let second = try CSVReader(path: path)
    var ids: [String] = []
    var lines: [Int] = []
    var numbers = [[Double]](repeating: [], count: selected.count)
    var texts = [[String?]](repeating: [], count: selected.count)
    try second.forEachRecord { record in
      guard record.count == width else {
        throw TableError.fieldCount(path: path, line: record.line, found: record.count, expected: width)
      }
      guard !record.isBlank(idIndex) else {
        throw TableError.blankId(path: path, line: record.line, column: second.header[idIndex])
      }
      ids.append(record.string(idIndex).trimmingSpaces)
      lines.append(record.line)
      for (k, c) in selected.enumerated() {
        let blank = record.isBlank(c)
        switch kinds[k] {
        case .numeric:
          if blank { numbers[k].append(.nan); continue }
          guard let v = NumberParsing.double(record.field(c)), v.isFinite else {
            throw TableError.notNumeric(path: path, line: record.line, column: second.header[c], value: record.string(c))
          }
          numbers[k].append(v)
        case .date:
          if blank { numbers[k].append(.nan); continue }
          guard let ms = UTCTime.parseMilliseconds(record.field(c)) else {
            throw TableError.notDate(path: path, line: record.line, column: second.header[c], value: record.string(c))
          }
          numbers[k].append(Double(ms))
        case .categorical:
          texts[k].append(blank ? nil : record.string(c).trimmingSpaces)
        }
      }
    }
    self.ids = ids
    self.lines = lines
    names = selected.map { first.header[$0] }
    self.kinds = kinds
    columns = kinds.indices.map { kinds[$0] == .categorical ? .categorical(texts[$0]) : .numeric(numbers[$0]) }
  }

  /// A digit string of two or more characters that starts with 0 (an id-like code).
  static func hasLeadingZero(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
    var s = 0
    while s < field.count, field[s] == 0x20 { s += 1 }
    guard field.count - s >= 2, field[s] == 0x30 else { return false }
    return field[s + 1] >= 0x30 && field[s + 1] <= 0x39
  }

  /// The index of the column named `name` (case-insensitive), or `nil`.
  public func columnIndex(_ name: String) -> Int? {
    let key = name.lowercased()
    return names.firstIndex { $0.lowercased() == key }
  }
}

/// A table that cannot be read as asked.
public enum TableError: Error, Equatable, CustomStringConvertible {
  case missingColumn(path: String, name: String, header: [String])
  case fieldCount(path: String, line: Int, found: Int, expected: Int)
  case blankId(path: String, line: Int, column: String)
  case duplicateId(path: String, line: Int, id: String, firstLine: Int)
  case notNumeric(path: String, line: Int, column: String, value: String)
  case notDate(path: String, line: Int, column: String, value: String)
  case badLabel(path: String, column: String, values: [String])

  public var description: String {
    switch self {
    case .missingColumn(let path, let name, let header):
      return "\(path): no column \"\(name)\"; the header has \(header.joined(separator: ", "))"
    case .fieldCount(let path, let line, let found, let expected):
      return "\(path) line \(line): \(found) fields; expected \(expected) as in the header"
    case .blankId(let path, let line, let column):
      return "\(path) line \(line): \(column) is blank; every row needs an id"
    case .duplicateId(let path, let line, let id, let firstLine):
      return "\(path) line \(line): id \"\(id)\" already appeared on line \(firstLine); expected one row per customer"
    case .notNumeric(let path, let line, let column, let value):
      return "\(path) line \(line): \(column) \"\(value)\" is not a number; expected a number or blank (or declare the column categorical)"
    case .badLabel(let path, let column, let values):
      let shown = values.prefix(5).joined(separator: ", ") + (values.count > 5 ? ", ..." : "")
      return "\(path): label column \(column) has \(shown); expected 0/1 or yes/no (blank = unknown)"
    case .notDate(let path, let line, let column, let value):
      return "\(path) line \(line): \(column) \"\(value)\" is not a valid date; expected ISO 8601 such as 2024-03-05"
    }
  }
}
