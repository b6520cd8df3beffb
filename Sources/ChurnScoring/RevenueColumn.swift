/// Checks the monthly revenue that expected revenue at risk multiplies.
///
/// Expected revenue at risk is `probability × monthly revenue × horizon in months`: a negative
/// revenue (a refund, a credit, a sign error) would subtract from the total at risk, so it is
/// refused rather than summed. A blank value (NaN) is unknown: that customer's revenue at risk is
/// left empty and the total counts the customers whose revenue is known.
public enum RevenueColumn {
  /// - Parameters:
  ///   - values: monthly revenue per row (NaN for blank).
  ///   - ids: the customer id of each row, for the message.
  ///   - path: the file the column was read from; `column` its name.
  /// - Throws: `RevenueColumnError.negative` for the first negative value.
  public static func check(_ values: [Double], ids: [String], path: String, column: String) throws {
    precondition(values.count == ids.count, "\(values.count) revenue values for \(ids.count) customers")
    if let row = values.firstIndex(where: { $0 < 0 }) {
      throw RevenueColumnError.negative(path: path, column: column, id: ids[row], value: values[row])
    }
  }
}

/// A revenue column that cannot give revenue at risk.
public enum RevenueColumnError: Error, Equatable, CustomStringConvertible {
  /// A customer's monthly revenue is below zero.
  case negative(path: String, column: String, id: String, value: Double)
  /// The column is not a numeric column of the file the customers come from.
  case notNumeric(path: String, column: String)
  /// `--revenue-column` with an event log but no customer table to read it from.
  case noCustomerTable(column: String)

  public var description: String {
    switch self {
    case .negative(let path, let column, let id, let value):
      return "\(path): \(column) of customer \"\(id)\" is \(value); expected a monthly revenue of 0 or more "
        + "(blank when unknown); fix: correct the value, or leave it blank"
    case .notNumeric(let path, let column):
      return "\(path): --revenue-column \(column) is not a numeric column (the model reads it as a category); "
        + "expected a column of monthly revenue; fix: name a numeric column"
    case .noCustomerTable(let column):
      return "--revenue-column \(column) is read from the customer table; expected --customers FILE.csv with that column; "
        + "fix: give --customers, or drop --revenue-column"
    }
  }
}
