import ChurnCore

/// An owner column (`--owner-column`: who looks after each customer) that cannot be read.
public enum OwnerColumnError: Error, Equatable, CustomStringConvertible {
  /// The customer table (or prepared table) has no such column.
  case missing(path: String, name: String, near: [String], header: [String])
  /// The column is the table's id, signup or churn-date column.
  case reserved(path: String, name: String, role: String)
  /// An event log with no customer table to read the owner from.
  case noCustomerTable(name: String)

  /// The header's spelling of `name` (case-insensitive), after checking that it is none of the
  /// `reserved` columns (the id, a date, the label), each with its role in words.
  ///
  /// - Throws: `.missing` (listing the near names) or `.reserved`.
  public static func check(_ name: String, path: String, header: [String], reserved: [(column: String, role: String)]) throws -> String {
    guard let found = header.first(where: { $0.lowercased() == name.lowercased() }) else {
      throw OwnerColumnError.missing(path: path, name: name, near: MessageText.near(name, in: header), header: header)
    }
    if let taken = reserved.first(where: { $0.column.lowercased() == found.lowercased() }) {
      throw OwnerColumnError.reserved(path: path, name: found, role: taken.role)
    }
    return found
  }

  public var description: String {
    switch self {
    case .missing(let path, let name, let near, let header):
      let shown = near.isEmpty ? "" : " (near: \(near.joined(separator: ", ")))"
      return "\(path): no owner column \"\(MessageText.excerpt(name))\"\(shown); the header has \(MessageText.list(header)); "
        + "fix: pass --owner-column with the column that names each customer's owner, such as account_manager"
    case .reserved(let path, let name, let role):
      return "\(path): --owner-column \(MessageText.excerpt(name)) is \(role); expected a column naming each customer's owner; "
        + "fix: pass the owner's column, such as account_manager"
    case .noCustomerTable(let name):
      return "--owner-column \(MessageText.excerpt(name)) is read from the customer table; expected --customers FILE.csv with that column; "
        + "fix: give --customers, or drop --owner-column"
    }
  }
}
