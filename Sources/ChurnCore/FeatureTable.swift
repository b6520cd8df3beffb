/// A table of observations: one row per (customer, cutoff), named numeric and categorical
/// columns, and an optional 0/1 label (NaN = unknown).
///
/// The shared currency between feature extraction, the trainers and scoring. Missing values
/// are explicit: NaN in a numeric column, `nil` in a categorical one.
public struct FeatureTable: Sendable, Equatable {
  /// One column of values, one per row.
  public enum Column: Sendable, Equatable {
    case numeric([Double])
    /// Levels as text; `nil` is missing.
    case categorical([String?])

    public var count: Int {
      switch self {
      case .numeric(let v): return v.count
      case .categorical(let v): return v.count
      }
    }

    public var isNumeric: Bool {
      if case .numeric = self { return true }
      return false
    }
  }

  /// Row identifiers (customer ids, kept exactly as text).
  public var ids: [String]
  /// The cutoff instant of each row in milliseconds since the epoch, or `nil` for a static table.
  public var cutoffs: [Int64]?
  public var columnNames: [String]
  public var columns: [Column]
  /// 1 churned, 0 retained, NaN unknown (the horizon has not passed), one per row.
  public var labels: [Double]?

  public init(ids: [String], cutoffs: [Int64]? = nil, columnNames: [String] = [], columns: [Column] = [],
              labels: [Double]? = nil) {
    precondition(columnNames.count == columns.count, "\(columnNames.count) names for \(columns.count) columns")
    for (name, column) in zip(columnNames, columns) {
      precondition(column.count == ids.count, "column \(name) has \(column.count) values for \(ids.count) rows")
    }
    precondition(cutoffs == nil || cutoffs!.count == ids.count, "cutoffs: \(cutoffs?.count ?? 0) for \(ids.count) rows")
    precondition(labels == nil || labels!.count == ids.count, "labels: \(labels?.count ?? 0) for \(ids.count) rows")
    self.ids = ids
    self.cutoffs = cutoffs
    self.columnNames = columnNames
    self.columns = columns
    self.labels = labels
  }

  public var rowCount: Int { ids.count }

  /// The index of the column named `name`, or `nil`.
  public func columnIndex(_ name: String) -> Int? { columnNames.firstIndex(of: name) }

  /// Appends a column.
  public mutating func append(_ name: String, _ column: Column) {
    precondition(column.count == ids.count, "column \(name) has \(column.count) values for \(ids.count) rows")
    precondition(!columnNames.contains(name), "column \(name) already exists")
    columnNames.append(name)
    columns.append(column)
  }
}

extension FeatureTable {
  /// The rows whose label is known (0 or 1; blank labels are NaN), in order; none without labels.
  public var labelledRows: [Int] {
    guard let labels else { return [] }
    return labels.indices.filter { !labels[$0].isNaN }
  }

  /// Rows labelled 1 (churned).
  public var churnedCount: Int { labels?.reduce(0) { $0 + ($1 == 1 ? 1 : 0) } ?? 0 }

  /// The rows at `indices`, in that order.
  ///
  /// - Complexity: O(1) when `indices` is every row in order (the table itself, its columns
  ///   shared, not copied); otherwise O(`indices.count` × columns).
  public func rows(_ indices: [Int]) -> FeatureTable {
    if indices.count == rowCount && indices.elementsEqual(0..<rowCount) { return self }
    return FeatureTable(ids: indices.map { ids[$0] }, cutoffs: cutoffs.map { c in indices.map { c[$0] } },
                 columnNames: columnNames,
                 columns: columns.map { column in
                   switch column {
                   case .numeric(let v): return .numeric(indices.map { v[$0] })
                   case .categorical(let v): return .categorical(indices.map { v[$0] })
                   }
                 },
                 labels: labels.map { l in indices.map { l[$0] } })
  }

  /// The table without the named columns.
  public func removing(columns names: Set<String>) -> FeatureTable {
    let keep = columnNames.indices.filter { !names.contains(columnNames[$0]) }
    return FeatureTable(ids: ids, cutoffs: cutoffs, columnNames: keep.map { columnNames[$0] }, columns: keep.map { columns[$0] },
                        labels: labels)
  }
}
