import ChurnCore

/// Every record of the CSV file at `path` as strings, with each record's line, and the header:
/// what the CSV reader tests compare.
public func csvRecords(_ path: String, blockSize: Int = 4 << 20) throws -> (header: [String], rows: [[String]], lines: [Int]) {
  let reader = try CSVReader(path: path, blockSize: blockSize)
  var rows: [[String]] = []
  var lines: [Int] = []
  try reader.forEachRecord { r in
    rows.append((0..<r.count).map { r.string($0) })
    lines.append(r.line)
  }
  return (reader.header, rows, lines)
}
