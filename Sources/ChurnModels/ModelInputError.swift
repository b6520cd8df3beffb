/// Inputs of the wrong kind for a model: an event log for a model trained on a table, or a
/// table without the id column of a model trained from an event log. Each names how the model
/// was trained and what to pass instead.
public enum ModelInputError: Error, Equatable, CustomStringConvertible {
  /// A model trained from an event log, given `table`, which lacks the model's customer column.
  case eventModelGivenTable(model: String, table: String, customerColumn: String, horizon: String)
  /// A model trained on a table (id `idColumn`, label `labelColumn`), given an event log.
  case tableModelGivenEvents(model: String, idColumn: String, labelColumn: String)
  /// A model trained with customer-table `attributes`, given an event log without `--customers`.
  case customersNeeded(model: String, attributes: [String])

  public var description: String {
    switch self {
    case .eventModelGivenTable(let model, let table, let column, let horizon):
      return "\(model) was trained from an event log (customer column \(column), horizon \(horizon)), and \(table) has no column \(column); "
        + "expected the event log it was trained on, as of a date; fix: pass --events LOG.csv --as-of DATE (with --customers if it was trained with them) "
        + "instead of --table, or a table written by churn features for this model"
    case .tableModelGivenEvents(let model, let id, let label):
      return "\(model) was trained on a table (id column \(id), label \(label)), not an event log; expected a table with its feature columns; "
        + "fix: pass --table TABLE.csv instead of --events and --as-of"
    case .customersNeeded(let model, let attributes):
      let shown = attributes.prefix(4).joined(separator: ", ") + (attributes.count > 4 ? ", ..." : "")
      return "\(model) was trained with a customer table (attributes \(shown)); expected it again; fix: pass it with --customers CUSTOMERS.csv"
    }
  }
}
