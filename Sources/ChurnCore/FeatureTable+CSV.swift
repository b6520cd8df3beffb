import Foundation

extension FeatureTable {
  /// Writes the table as CSV: `idHeader`, `cutoff` (when present), every column, `label`
  /// (when present). Missing values and unknown labels are empty fields; numbers use Swift's
  /// shortest round-trip form (integers without a decimal point), so reading back is exact.
  ///
  /// - Throws: `FileError`; `TableError.infiniteValue` (nothing is written) when a value is
  ///   infinite: `inf` is no number a reader of the file should meet.
  public func writeCSV(to path: String, idHeader: String = "customer_id") throws {
    for (name, column) in zip(columnNames, columns) {
      if case .numeric(let values) = column, let row = values.firstIndex(where: \.isInfinite) {
        throw TableError.infiniteValue(path: path, column: name, id: ids[row])
      }
    }
    if let labels, let row = labels.firstIndex(where: \.isInfinite) {
      throw TableError.infiniteValue(path: path, column: "label", id: ids[row])
    }
    let file = try OutputFile(path: path)
    var line: [UInt8] = []
    var header = [idHeader]
    if cutoffs != nil { header.append("cutoff") }
    header.append(contentsOf: columnNames)
    if labels != nil { header.append("label") }
    line.append(contentsOf: header.map(CSVField.escape).joined(separator: ",").utf8)
    line.append(0x0A)
    for row in 0..<rowCount {
      line.append(contentsOf: CSVField.escape(ids[row]).utf8)
      if let cutoffs {
        line.append(0x2C)
        let ms = cutoffs[row]
        if ms % UTCTime.millisecondsPerDay == 0 {
          UTCTime.appendDate(milliseconds: ms, to: &line)
        } else {
          UTCTime.appendDateTime(milliseconds: ms, to: &line)
        }
      }
      for column in columns {
        line.append(0x2C)
        switch column {
        case .numeric(let values): CSVField.appendNumber(values[row], to: &line)
        case .categorical(let values): if let v = values[row] { line.append(contentsOf: CSVField.escape(v).utf8) }
        }
      }
      if let labels {
        line.append(0x2C)
        CSVField.appendNumber(labels[row], to: &line)
      }
      line.append(0x0A)
      if line.count > 1 << 20 {
        try file.write(line)
        line.removeAll(keepingCapacity: true)
      }
    }
    try file.write(line)
    try file.commit()
  }
}

/// Formatting of single CSV fields.
public enum CSVField {
  /// The field quoted when it holds a comma, quote, newline or surrounding space.
  public static func escape(_ text: String) -> String {
    let needsQuotes = text.utf8.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
      || text.first == " " || text.last == " "
    guard needsQuotes else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// Appends a number: integers below 2⁵³ without a decimal point, other values below 10⁹
  /// rounded to 9 decimal places with trailing zeros dropped (`102095.16000000002` is written
  /// `102095.16`), anything larger in Swift's shortest round-trip form; NaN as nothing (an
  /// empty field).
  @inline(__always)
  public static func appendNumber(_ value: Double, to out: inout [UInt8]) {
    if value.isNaN { return }
    if value == value.rounded(), abs(value) < 9.007_199_254_740_992e15 {
      DecimalFormatting.appendInteger(Int(value), to: &out)
    } else if abs(value) < 1e9 {
      DecimalFormatting.appendFixed(value, fractionDigits: 9, to: &out)
      while out.last == 0x30 { out.removeLast() }
      if out.last == 0x2E { out.removeLast() }
    } else {
      out.append(contentsOf: value.description.utf8)
    }
  }
}
