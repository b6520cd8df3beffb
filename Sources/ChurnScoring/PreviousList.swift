import ChurnCore

/// Last week's ranked list (`churn score --previous`), read and checked before it is compared.
///
/// The file is the CSV that `churn score --out` wrote: a header with the model's id column,
/// `churn_probability` and `risk_band`. Each scored customer appears once with a probability
/// from 0 to 1 and a band of red, yellow, green (or blank); rows of customers who had already
/// vanished (blank probability) are skipped. Anything else is an error naming the line, so a
/// list from another model, a hand-edited file or a typo never turns into invented band moves.
public struct PreviousList: Sendable {
  public let path: String
  /// Probability and band per customer id.
  public let entries: [String: (probability: Double, band: String?)]

  /// Reads `path`, whose customer ids are in column `idColumn` (case-insensitive).
  ///
  /// - Throws: `FileError`; `CSVError` for a broken quote or header; `TableError.fieldCount` or
  ///   `.blankId`; `PreviousListError` for a missing column, a value out of place, a repeated
  ///   customer, or a list with no customers.
  public init(path: String, idColumn: String) throws {
    self.path = path
    let csv: CSVReader
    do { csv = try CSVReader(path: path) } catch CSVError.emptyFile { throw PreviousListError.empty(path: path, idColumn: idColumn) }
    func column(_ name: String) throws -> Int {
      guard let index = csv.columnIndex(name) else {
        throw PreviousListError.missingColumn(path: path, name: name, idColumn: idColumn, header: csv.header)
      }
      return index
    }
    let idIndex = try column(idColumn), probabilityIndex = try column("churn_probability"), bandIndex = try column("risk_band")
    let width = csv.header.count
    var entries: [String: (probability: Double, band: String?)] = [:]
    var lineOf: [String: Int] = [:]
    try csv.forEachRecord { record in
      guard record.count == width else {
        throw TableError.fieldCount(path: path, line: record.line, found: record.count, expected: width)
      }
      guard !record.isBlank(idIndex) else { throw TableError.blankId(path: path, line: record.line, column: csv.header[idIndex]) }
      let id = record.string(idIndex).trimmingSpaces
      if let first = lineOf[id] { throw PreviousListError.duplicateCustomer(path: path, line: record.line, id: id, firstLine: first) }
      lineOf[id] = record.line
      // A customer who had already vanished last week: no probability to compare with.
      if record.isBlank(probabilityIndex) { return }
      let text = record.string(probabilityIndex).trimmingSpaces
      guard let p = NumberParsing.double(record.field(probabilityIndex)), p >= 0, p <= 1 else {
        throw PreviousListError.badProbability(path: path, line: record.line, value: text)
      }
      var band: String?
      if !record.isBlank(bandIndex) {
        let name = record.string(bandIndex).trimmingSpaces
        guard ["red", "yellow", "green"].contains(name) else { throw PreviousListError.badBand(path: path, line: record.line, value: name) }
        band = name
      }
      entries[id] = (p, band)
    }
    guard !lineOf.isEmpty else { throw PreviousListError.noCustomers(path: path) }
    self.entries = entries
  }
}

/// Last week's list cannot be compared with this week's.
public enum PreviousListError: Error, Equatable, CustomStringConvertible {
  case empty(path: String, idColumn: String)
  case missingColumn(path: String, name: String, idColumn: String, header: [String])
  case badProbability(path: String, line: Int, value: String)
  case badBand(path: String, line: Int, value: String)
  case duplicateCustomer(path: String, line: Int, id: String, firstLine: Int)
  case noCustomers(path: String)

  static let fix = "fix: pass the CSV that churn score --out wrote last week with this model"

  public var description: String {
    switch self {
    case .empty(let path, let idColumn):
      return "\(path) is empty; expected last week's ranked list with a header rank,\(idColumn),churn_probability,risk_band,...; \(Self.fix)"
    case .missingColumn(let path, let name, let idColumn, let header):
      let shown = header.prefix(8).joined(separator: ", ") + (header.count > 8 ? ", ..." : "")
      return "\(path): no column \"\(name)\" (the header has \(shown)); expected last week's ranked list from this model, "
        + "with columns \(idColumn), churn_probability and risk_band; \(Self.fix)"
    case .badProbability(let path, let line, let value):
      return "\(path) line \(line): churn_probability \"\(value)\" is not a probability; expected a number from 0 to 1 (blank for a vanished customer); \(Self.fix)"
    case .badBand(let path, let line, let value):
      return "\(path) line \(line): risk_band \"\(value)\" is not a band; expected red, yellow, green or blank; \(Self.fix)"
    case .duplicateCustomer(let path, let line, let id, let firstLine):
      return "\(path) line \(line): customer \"\(id)\" already appeared on line \(firstLine); expected one row per customer; \(Self.fix)"
    case .noCustomers(let path):
      return "\(path) has a header but no customers; expected last week's ranked list; \(Self.fix)"
    }
  }
}
