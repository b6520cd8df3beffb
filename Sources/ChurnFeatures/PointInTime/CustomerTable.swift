import ChurnCore

/// The optional customer table: one row per customer, attribute columns, and the signup and
/// churn dates when it has them.
///
/// Attribute kinds are inferred (see `TypedCSV`) unless forced. Date columns other than the
/// signup and churn dates are left out: a snapshot date (a "last order date" exported today)
/// would leak the future into every past cutoff.
public struct CustomerTable: Sendable {
  public let path: String
  public let ids: [String]
  /// Row of each customer id.
  public let rowOf: [String: Int]
  /// Signup instant per row (milliseconds), `nil` when blank or the table has no such column.
  public let signup: [Int64?]
  /// Churn instant per row, `nil` when blank (still a customer) or no such column.
  public let churn: [Int64?]
  /// Whether the table has a churn-date column: labels are then contractual.
  public let hasChurnDates: Bool
  public let attributes: [FeatureSpec.Attribute]
  public let attributeColumns: [FeatureTable.Column]
  /// What was left out and why, for the user.
  public let notes: [String]

  public static let defaultSignupColumn = "signup_date"
  public static let defaultChurnDateColumn = "churn_date"

  /// Reads the table. The signup and churn-date columns may be missing when they have their
  /// default names; a name other than the default must be in the header, and so must every
  /// column named in `kinds` and `exclude`.
  ///
  /// - Throws: `FileError`, `CSVError`, `TableError`, `FeatureError.duplicateCustomer`.
  public init(path: String, idColumn: String = "customer_id", signupColumn: String = defaultSignupColumn,
              churnDateColumn: String = defaultChurnDateColumn, kinds: [String: TypedCSV.Kind] = [:], exclude: Set<String> = []) throws {
    let names = try CSVReader(path: path).header
    let header = names.map { $0.lowercased() }
    var forced = kinds
    let hasSignup = header.contains(signupColumn.lowercased())
    let hasChurn = header.contains(churnDateColumn.lowercased())
    // The default names may be absent; a name the caller chose must be there (a misspelled
    // --churn-date-column would otherwise turn contractual labels into inactivity labels).
    for (name, present, standard) in [(signupColumn, hasSignup, Self.defaultSignupColumn),
                                      (churnDateColumn, hasChurn, Self.defaultChurnDateColumn)]
    where !present && name.lowercased() != standard {
      throw TableError.missingColumn(path: path, name: name, header: names)
    }
    if hasSignup { forced[signupColumn] = .date }
    if hasChurn { forced[churnDateColumn] = .date }
    let table = try TypedCSV(path: path, idColumn: idColumn, kinds: forced, exclude: exclude)
    self.path = path
    ids = table.ids
    var rowOf: [String: Int] = [:]
    for (row, id) in table.ids.enumerated() {
      if let first = rowOf[id] {
        throw FeatureError.duplicateCustomer(path: path, line: table.lines[row], id: id, firstLine: table.lines[first])
      }
      rowOf[id] = row
    }
    self.rowOf = rowOf
    func dates(_ name: String, present: Bool) -> [Int64?] {
      guard present, let index = table.columnIndex(name), case .numeric(let values) = table.columns[index] else {
        return Array(repeating: nil, count: table.ids.count)
      }
      return values.map { $0.isNaN ? nil : Int64($0) }
    }
    signup = dates(signupColumn, present: hasSignup)
    churn = dates(churnDateColumn, present: hasChurn)
    hasChurnDates = hasChurn
    var attributes: [FeatureSpec.Attribute] = []
    var columns: [FeatureTable.Column] = []
    var notes: [String] = []
    let reserved = Set([signupColumn.lowercased(), churnDateColumn.lowercased()])
    for (index, name) in table.names.enumerated() where !reserved.contains(name.lowercased()) {
      if table.kinds[index] == .date {
        notes.append("date column \(name) left out of the features (a snapshot date can leak the future)")
        continue
      }
      attributes.append(FeatureSpec.Attribute(name: name, kind: table.kinds[index]))
      columns.append(table.columns[index])
    }
    self.attributes = attributes
    attributeColumns = columns
    self.notes = notes
  }
}
