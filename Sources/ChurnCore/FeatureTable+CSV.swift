import Dispatch
import Foundation

extension FeatureTable {
  /// Writes the table as CSV: `idHeader`, `cutoff` (when present), every column, `label`
  /// (when present). Missing values and unknown labels are empty fields; numbers use Swift's
  /// shortest round-trip form (integers without a decimal point), so reading back is exact.
  ///
  /// Rows are formatted in blocks, on the machine's threads unless `threads` is 1, and written
  /// in order: the file's bytes do not depend on `threads`.
  ///
  /// - Throws: `FileError`; `TableError.infiniteValue` (nothing is written) when a value is
  ///   infinite: `inf` is no number a reader of the file should meet.
  public func writeCSV(to path: String, idHeader: String = "customer_id",
                       threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
    for (name, column) in zip(columnNames, columns) {
      if case .numeric(let values) = column, let row = values.firstIndex(where: \.isInfinite) {
        throw TableError.infiniteValue(path: path, column: name, id: ids[row])
      }
    }
    if let labels, let row = labels.firstIndex(where: \.isInfinite) {
      throw TableError.infiniteValue(path: path, column: "label", id: ids[row])
    }
    let file = try OutputFile(path: path)
    var header = [idHeader]
    if cutoffs != nil { header.append("cutoff") }
    header.append(contentsOf: columnNames)
    if labels != nil { header.append("label") }
    try file.write(header.map(CSVField.escape).joined(separator: ",") + "\n")
    let blocks = (rowCount + Self.csvBlockRows - 1) / Self.csvBlockRows
    let workers = max(1, min(threads, blocks))
    // Blocks are formatted a wave at a time (a few per thread), so memory stays bounded.
    let wave = workers == 1 ? 1 : 4 * workers
    var buffers = [[UInt8]](repeating: [], count: wave)
    let rows = rowCount, blockRows = Self.csvBlockRows
    try withExtendedLifetime(self) {
      let writer = CSVRowWriter(self)
      var first = 0
      while first < blocks {
        let count = min(wave, blocks - first), base = first
        buffers.withUnsafeMutableBufferPointer { slots in
          nonisolated(unsafe) let slots = slots
          let format = { @Sendable (i: Int) in
            let start = (base + i) * blockRows
            slots[i] = writer.lines(rows: start..<min(rows, start + blockRows))
          }
          if count == 1 { format(0) } else { DispatchQueue.concurrentPerform(iterations: count, execute: format) }
        }
        for i in 0..<count { try file.write(buffers[i]) }
        first += count
      }
    }
    try file.commit()
  }

  /// Rows per block of `writeCSV`.
  static let csvBlockRows = 2048
}

/// Formats rows of a `FeatureTable` as CSV lines. Holds raw pointers into the table's numeric
/// columns: use it only while the table is alive and unchanged (`withExtendedLifetime`).
private struct CSVRowWriter: @unchecked Sendable {
  enum Field {
    case numeric(UnsafePointer<Double>)
    case categorical([String?])
  }

  let ids: [String]
  let cutoffs: UnsafePointer<Int64>?
  let fields: [Field]
  let labels: UnsafePointer<Double>?
  /// Bytes of a row besides its id and categorical values, at most.
  let fixedBytes: Int

  init(_ table: FeatureTable) {
    // The arrays are the table's own storage, which outlives the writer and is not mutated.
    func pointer<T>(_ values: [T]) -> UnsafePointer<T> { values.withUnsafeBufferPointer { $0.baseAddress ?? UnsafePointer(bitPattern: 8)! } }
    ids = table.ids
    cutoffs = table.cutoffs.map(pointer)
    fields = table.columns.map { column in
      switch column {
      case .numeric(let values): return .numeric(pointer(values))
      case .categorical(let values): return .categorical(values)
      }
    }
    labels = table.labels.map(pointer)
    // A comma and a number or a date each; the newline.
    fixedBytes = (1 + fields.count + 1) * (1 + CSVField.maximumNumberBytes) + 1
  }

  /// The lines of `rows`.
  func lines(rows: Range<Int>) -> [UInt8] {
    // An upper bound on the block's bytes: an escaped field is at most twice its length plus quotes.
    var bound = 0
    for row in rows {
      bound += fixedBytes + 2 * ids[row].utf8.count + 2
      for case .categorical(let values) in fields { bound += 2 * (values[row]?.utf8.count ?? 0) + 2 }
    }
    return [UInt8](unsafeUninitializedCapacity: bound) { buffer, written in
      var p = buffer.baseAddress!
      var lastCutoff: Int64?
      var cutoffText: [UInt8] = []
      for row in rows {
        CSVField.write(escaped: ids[row], at: &p)
        if let cutoffs {
          p.pointee = 0x2C
          p += 1
          let ms = cutoffs[row]
          if ms != lastCutoff {
            cutoffText.removeAll(keepingCapacity: true)
            if ms % UTCTime.millisecondsPerDay == 0 {
              UTCTime.appendDate(milliseconds: ms, to: &cutoffText)
            } else {
              UTCTime.appendDateTime(milliseconds: ms, to: &cutoffText)
            }
            precondition(cutoffText.count <= CSVField.maximumNumberBytes, "cutoff \(ms) formats to \(cutoffText.count) bytes")
            lastCutoff = ms
          }
          cutoffText.withUnsafeBufferPointer { p.update(from: $0.baseAddress!, count: $0.count) }
          p += cutoffText.count
        }
        for field in fields {
          p.pointee = 0x2C
          p += 1
          switch field {
          case .numeric(let values): CSVField.write(number: values[row], at: &p)
          case .categorical(let values): if let v = values[row] { CSVField.write(escaped: v, at: &p) }
          }
        }
        if let labels {
          p.pointee = 0x2C
          p += 1
          CSVField.write(number: labels[row], at: &p)
        }
        p.pointee = 0x0A
        p += 1
      }
      written = p - buffer.baseAddress!
      precondition(written <= bound, "CSV block of \(written) bytes overran its bound of \(bound)")
    }
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

  /// Writes the bytes of `escape(text)` at `p` and moves `p` past them (at most 2 × the
  /// text's bytes + 2); no string is made when the field needs no quotes.
  @inline(__always)
  static func write(escaped text: String, at p: inout UnsafeMutablePointer<UInt8>) {
    var text = text
    let done = text.withUTF8 { bytes -> Bool in
      guard let first = bytes.first, let last = bytes.last else { return true }
      if first == 0x20 || last == 0x20 { return false }
      for b in bytes where b == 0x2C || b == 0x22 || b == 0x0A || b == 0x0D { return false }
      p.update(from: bytes.baseAddress!, count: bytes.count)
      p += bytes.count
      return true
    }
    if !done {
      for b in escape(text).utf8 {
        p.pointee = b
        p += 1
      }
    }
  }

  /// Most bytes `write(number:at:)` writes (Swift's longest `description` of a Double is 24).
  static let maximumNumberBytes = 32

  /// Appends a number: integers below 2⁵³ without a decimal point, other values below 10⁹
  /// rounded to 9 decimal places with trailing zeros dropped (`102095.16000000002` is written
  /// `102095.16`), anything larger in Swift's shortest round-trip form; NaN as nothing (an
  /// empty field).
  @inline(__always)
  public static func appendNumber(_ value: Double, to out: inout [UInt8]) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumNumberBytes) { scratch in
      var p = scratch.baseAddress!
      write(number: value, at: &p)
      out.append(contentsOf: UnsafeBufferPointer(start: scratch.baseAddress!, count: p - scratch.baseAddress!))
    }
  }

  /// Writes `value` as `appendNumber` does at `p` (at most `maximumNumberBytes`) and moves `p`
  /// past it.
  @inline(__always)
  static func write(number value: Double, at p: inout UnsafeMutablePointer<UInt8>) {
    if value.isNaN { return }
    let magnitude = abs(value)
    if value == value.rounded(), magnitude < 9.007_199_254_740_992e15 {
      if value < 0 {
        p.pointee = UInt8(ascii: "-")
        p += 1
      }
      writeDigits(UInt64(magnitude), at: &p)
    } else if magnitude < 1e9 {
      // As DecimalFormatting.appendFixed(value, fractionDigits: 9) with trailing zeros and a
      // bare point dropped: the same rounding of the same scaled value.
      let units = UInt64((magnitude * 1e9).rounded(.toNearestOrAwayFromZero))
      if value < 0 && units != 0 {
        p.pointee = UInt8(ascii: "-")
        p += 1
      }
      writeDigits(units / 1_000_000_000, at: &p)
      var fraction = units % 1_000_000_000
      if fraction != 0 {
        var digits = 9
        while fraction % 10 == 0 {
          fraction /= 10
          digits -= 1
        }
        p.pointee = UInt8(ascii: ".")
        for i in stride(from: digits, through: 1, by: -1) {
          p[i] = UInt8(truncatingIfNeeded: 0x30 + fraction % 10)
          fraction /= 10
        }
        p += digits + 1
      }
    } else {
      for b in value.description.utf8 {
        p.pointee = b
        p += 1
      }
    }
  }

  /// Writes the decimal digits of `value` at `p` and moves `p` past them.
  @inline(__always)
  static func writeDigits(_ value: UInt64, at p: inout UnsafeMutablePointer<UInt8>) {
    var digits = 1
    var probe = value
    while probe >= 10 {
      probe /= 10
      digits += 1
    }
    var rest = value
    for i in stride(from: digits - 1, through: 0, by: -1) {
      p[i] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
      rest /= 10
    }
    p += digits
  }
}
