/// Checks that scored rows name each customer once.
///
/// A ranked list has one row per customer: a feature table with several cutoffs (the rows
/// `churn features --cutoffs` writes for training) would otherwise rank the same customer
/// twice, count them twice in "customers scored", and make a list that next week's
/// `--previous` cannot compare with.
public enum CustomerRows {
  /// - Throws: `CustomerRowsError.repeated` for the first id on two rows.
  public static func checkUnique(_ ids: [String], path: String, idColumn: String) throws {
    var first: [String: Int] = [:]
    for (row, id) in ids.enumerated() {
      if let earlier = first[id] { throw CustomerRowsError.repeated(path: path, idColumn: idColumn, id: id, first: earlier + 1, second: row + 1) }
      first[id] = row
    }
  }
}

/// Rows that cannot make one ranked list.
public enum CustomerRowsError: Error, Equatable, CustomStringConvertible {
  case repeated(path: String, idColumn: String, id: String, first: Int, second: Int)

  public var description: String {
    switch self {
    case .repeated(let path, let idColumn, let id, let first, let second):
      return "\(path): \(idColumn) \"\(id)\" is on rows \(first) and \(second) (counted after the header); a ranked list has one row per customer; "
        + "fix: score one cutoff's rows (churn features --cutoff DATE), or score --events with --as-of"
    }
  }
}
