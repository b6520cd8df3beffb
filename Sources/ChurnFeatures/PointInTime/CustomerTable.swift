import ChurnCore

/// The optional customer table: one row per customer, attribute columns, and the signup and
/// churn dates when it has them.
///
/// Attribute kinds are inferred (see `TypedCSV`) unless forced. Date columns other than the
/// signup and churn dates are left out: a snapshot date (a "last order date" exported today)
/// would leak the future into every past cutoff.
///
/// Two kinds of columns are read but are not attributes (features):
/// - the owner column (`ownerColumn`, such as `account_manager`): who looks after each
///   customer, put on the ranked lists and the briefs, never a predictor;
/// - a categorical column that reads as a name or an id: more than `nameLikeLevels` (20)
///   levels and fewer than `nameLikeCustomersPerLevel` (100) customers a level on average
///   (50 account managers over 2,000 customers). One-hot columns of 40 customers each learn
///   noise, and a column like that is usually an owner, a contact or a code, so it is left out
///   with a note; a column forced by `kinds` (`--categorical`, or a model's spec) is kept.
public struct CustomerTable: Sendable {
  public let path: String
  public let ids: [String]
  /// The 1-based file line of each row, for messages.
  public let lines: [Int]
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
  /// The owner column's name as the header spells it, when one was asked for.
  public let ownerColumn: String?
  /// Each row's owner (trimmed; nil when blank), when an owner column was asked for.
  public let owners: [String?]?

  /// A categorical column with more levels than this, and fewer than
  /// `nameLikeCustomersPerLevel` customers a level, reads as a name or an id.
  public static let nameLikeLevels = 20
  public static let nameLikeCustomersPerLevel = 100

  public static let defaultSignupColumn = "signup_date"
  public static let defaultChurnDateColumn = "churn_date"

  /// What a customer table should hold, for the error about an empty file.
  public static func expectedHeader(idColumn: String) -> String {
    "a customer table: a header line such as \(idColumn),signup_date,churn_date,plan then one row per customer"
  }

  /// Reads the table. The signup and churn-date columns may be missing when they have their
  /// default names; a name other than the default must be in the header, and so must every
  /// column named in `kinds` and `exclude`, and `ownerColumn` (read as text, kept out of the
  /// attributes unless `kinds` names it).
  ///
  /// - Throws: `FileError`, `CSVError`, `TableError`, `FeatureError.duplicateCustomer`,
  ///   `OwnerColumnError` for an owner column the header lacks or that is the id, signup or
  ///   churn-date column.
  public init(path: String, idColumn: String = "customer_id", signupColumn: String = defaultSignupColumn,
              churnDateColumn: String = defaultChurnDateColumn, kinds: [String: TypedCSV.Kind] = [:], exclude: Set<String> = [],
              ownerColumn: String? = nil) throws {
    let expected = Self.expectedHeader(idColumn: idColumn)
    let names = try CSVReader(path: path, expected: expected).header
    let header = names.map { $0.lowercased() }
    var forced = kinds
    let owner = try ownerColumn.map {
      try OwnerColumnError.check($0, path: path, header: names, reserved: [(idColumn, "the customer id column"), (signupColumn, "the signup-date column"),
                                                                           (churnDateColumn, "the churn-date column")])
    }
    // The owner is text whatever it looks like (employee numbers are names, not quantities).
    if let owner, !kinds.keys.contains(where: { $0.lowercased() == owner.lowercased() }) { forced[owner] = .categorical }
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
    let table = try TypedCSV(path: path, idColumn: idColumn, kinds: forced, exclude: exclude.filter { $0.lowercased() != owner?.lowercased() },
                             expected: expected)
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
    guard !table.ids.isEmpty else { throw FeatureError.noCustomers(path: path) }
    func dates(_ name: String, present: Bool) -> [Int64?] {
      guard present, let index = table.columnIndex(name), case .numeric(let values) = table.columns[index] else {
        return Array(repeating: nil, count: table.ids.count)
      }
      return values.map { $0.isNaN ? nil : Int64($0) }
    }
    signup = dates(signupColumn, present: hasSignup)
    churn = dates(churnDateColumn, present: hasChurn)
    hasChurnDates = hasChurn
    for row in table.ids.indices {
      if let churned = churn[row], let signed = signup[row], churned < signed {
        let column = { (name: String) in table.names.first { $0.lowercased() == name.lowercased() } ?? name }
        throw FeatureError.churnBeforeSignup(path: path, line: table.lines[row], id: table.ids[row],
                                             churn: UTCTime.formatDate(milliseconds: churned), signup: UTCTime.formatDate(milliseconds: signed),
                                             churnColumn: column(churnDateColumn), signupColumn: column(signupColumn))
      }
    }
    lines = table.lines
    var attributes: [FeatureSpec.Attribute] = []
    var columns: [FeatureTable.Column] = []
    var notes: [String] = []
    let reserved = Set([signupColumn.lowercased(), churnDateColumn.lowercased()])
    let forcedNames = Set(kinds.keys.map { $0.lowercased() })
    var owners: [String?]?
    for (index, name) in table.names.enumerated() where !reserved.contains(name.lowercased()) {
      if table.kinds[index] == .date {
        notes.append("date column \(name) left out of the features (a snapshot date can leak the future)")
        continue
      }
      if name.lowercased() == owner?.lowercased(), case .categorical(let values) = table.columns[index] {
        owners = values.map { $0.map { $0.trimmingSpaces }.flatMap { $0.isEmpty ? nil : $0 } }
        if !forcedNames.contains(name.lowercased()) { continue }
      }
      if !forcedNames.contains(name.lowercased()), case .categorical(let values) = table.columns[index],
         let levels = Self.nameLikeLevelCount(values) {
        notes.append("column \(name) left out of the features: \(levels) levels for \(values.count) customers "
          + "(\(values.count / levels) a level on average) reads as a name or an id; name it in --categorical to use it as a feature, "
          + "or --owner-column to put it on the lists")
        continue
      }
      attributes.append(FeatureSpec.Attribute(name: name, kind: table.kinds[index]))
      columns.append(table.columns[index])
    }
    self.attributes = attributes
    attributeColumns = columns
    self.notes = notes
    self.ownerColumn = owner
    self.owners = owners
  }

  /// The number of distinct levels of `values` when they read as a name or an id (more than
  /// `nameLikeLevels` levels and fewer than `nameLikeCustomersPerLevel` rows a level), else nil.
  static func nameLikeLevelCount(_ values: [String?]) -> Int? {
    var levels = Set<String>()
    for case let value? in values {
      levels.insert(value)
    }
    let count = levels.count
    return count > nameLikeLevels && count * nameLikeCustomersPerLevel > values.count ? count : nil
  }
}
