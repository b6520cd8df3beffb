/// Reads a churn label column: 0/1 numbers, or two text levels such as Yes/No.
public enum LabelColumn {
  static let positive: Set<String> = ["1", "yes", "y", "true", "t", "churn", "churned", "left"]
  static let negative: Set<String> = ["0", "no", "n", "false", "f", "stayed", "retained", "active"]

  /// 1, 0 or NaN (blank: unknown) per row.
  ///
  /// - Throws: `TableError.badLabel` naming the values when they are not 0/1 or a yes/no pair.
  public static func values(_ column: FeatureTable.Column, name: String, path: String) throws -> [Double] {
    switch column {
    case .numeric(let v):
      if let bad = v.first(where: { !$0.isNaN && $0 != 0 && $0 != 1 }) {
        throw TableError.badLabel(path: path, column: name, values: [String(bad)])
      }
      return v
    case .categorical(let v):
      var out: [Double] = []
      out.reserveCapacity(v.count)
      var unknown = Set<String>()
      for value in v {
        guard let value else {
          out.append(.nan)
          continue
        }
        let key = value.lowercased()
        if positive.contains(key) { out.append(1) } else if negative.contains(key) { out.append(0) } else {
          unknown.insert(value)
          out.append(.nan)
        }
      }
      if !unknown.isEmpty { throw TableError.badLabel(path: path, column: name, values: unknown.sorted()) }
      return out
    }
  }
}

extension TypedCSV {
  /// The table as a `FeatureTable`, with the label column (if named) moved into the labels.
  public func featureTable(label: String?) throws -> FeatureTable {
    var table = FeatureTable(ids: ids, columnNames: names, columns: columns)
    if let label {
      guard let index = columnIndex(label) else {
        throw TableError.missingColumn(path: path, name: label, header: names)
      }
      table.labels = try LabelColumn.values(columns[index], name: names[index], path: path)
      table = table.removing(columns: [names[index]])
    }
    return table
  }
}
