import ChurnCore
import ChurnFeatures

/// How a customer table is read, wherever it is stored (a CSV file of `EventData`, a table of a
/// `DatabaseSource`): the id, signup-date and churn-date columns, columns whose kind is forced
/// or that are left out, and the owner column.
public struct CustomerTableColumns: Sendable, Equatable {
  /// The id column (nil: the event log's customer column).
  public var idColumn: String?
  /// The signup-date column.
  public var signupColumn: String
  /// The churn-date column; its presence makes labels contractual.
  public var churnDateColumn: String
  /// Columns to read as categorical, or as numeric, whatever they look like.
  public var categorical: [String]
  public var numeric: [String]
  /// Columns to leave out (for example one that already says who churned).
  public var exclude: [String]
  /// The column naming each customer's owner (such as `account_manager`): read as text, never
  /// a feature, put on ranked lists and briefs.
  public var ownerColumn: String?

  public init(idColumn: String? = nil, signupColumn: String = CustomerTable.defaultSignupColumn,
              churnDateColumn: String = CustomerTable.defaultChurnDateColumn, categorical: [String] = [], numeric: [String] = [],
              exclude: [String] = [], ownerColumn: String? = nil) {
    self.idColumn = idColumn
    self.signupColumn = signupColumn
    self.churnDateColumn = churnDateColumn
    self.categorical = categorical
    self.numeric = numeric
    self.exclude = exclude
    self.ownerColumn = ownerColumn
  }

  /// Column kinds forced by `categorical` and `numeric`.
  var forcedKinds: [String: TypedCSV.Kind] {
    var kinds: [String: TypedCSV.Kind] = [:]
    for name in categorical { kinds[name] = .categorical }
    for name in numeric { kinds[name] = .numeric }
    return kinds
  }

  /// The customer table in the CSV file at `path`, read with the kinds of `spec`'s attributes
  /// (a model's) and those forced; `extraNumeric` (a revenue column) read as a number unless a
  /// kind is given; ids in `idColumn`, else in `eventCustomerColumn`.
  ///
  /// - Throws: `CustomerTableError`, `CSVError` and `FileError` for an unreadable or malformed
  ///   table; `OwnerColumnError` for an owner column the table lacks.
  func load(path: String, eventCustomerColumn: String, spec: FeatureSpec?, extraNumeric: String?) throws -> CustomerTable {
    var kinds: [String: TypedCSV.Kind] = [:]
    for attribute in spec?.attributes ?? [] { kinds[attribute.name] = attribute.kind }
    kinds.merge(forcedKinds) { _, forced in forced }
    if let extraNumeric { kinds[extraNumeric] = kinds[extraNumeric] ?? .numeric }
    return try CustomerTable(path: path, idColumn: idColumn ?? eventCustomerColumn, signupColumn: signupColumn,
                             churnDateColumn: churnDateColumn, kinds: kinds, exclude: Set(exclude), ownerColumn: ownerColumn)
  }
}
