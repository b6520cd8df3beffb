import Foundation
import Synchronization

/// A CSV table read into typed columns, for customer tables and prepared feature tables.
///
/// Each column's kind is inferred in a first pass, which also keeps the values of the columns
/// that are numbers (each parsed once); a second pass reads only the columns that are not (and
/// every column when the first error in the file is one only that pass reports). Kinds:
/// - `numeric` when every non-missing value is a number and none is a digit string with a
///   leading zero (`007`, `02134`: codes, not quantities);
/// - `date` when every non-missing value is an ISO 8601 date or date-time;
/// - `categorical` otherwise, except that a column whose values are mostly numbers with a
///   few that are not (`$12.50`, `inf`, `n.a.`) is an error naming the first such value: a
///   column's type never changes silently because of one bad cell. Pass it as categorical
///   (`--categorical`), or correct the values. So is a column of numbers written with a
///   currency sign, percent sign or thousands separators (`$12.50`, `12%`, `"1,200"`), which
///   would otherwise become a categorical with a level per amount.
/// Blank cells are missing (NaN or `nil`); so are the usual missing-value tokens (`NA`,
/// `N/A`, `NaN`, `null`, `None`, `#N/A`, `<NA>`, any case) in numeric and date columns; in
/// categorical columns they are kept as written. Numbers must be within
/// ±`NumberParsing.magnitudeLimit` (10¹⁵). Kinds can be forced per column.
public struct TypedCSV: Sendable {
  public enum Kind: String, Codable, Sendable, Equatable {
    case numeric, categorical, date
  }

  public let path: String
  /// Row ids from the id column, exactly as written.
  public let ids: [String]
  /// The 1-based file line of each row, for error messages.
  public let lines: [Int]
  public let names: [String]
  public let kinds: [Kind]
  /// `numeric` and `date` columns are `.numeric` (dates in milliseconds since the epoch).
  public let columns: [FeatureTable.Column]

  /// Reads `path`.
  ///
  /// - Parameters:
  ///   - idColumn: the column with row ids (case-insensitive); required and never blank.
  ///   - kinds: forced kinds by column name (case-insensitive).
  ///   - exclude: columns to leave out (case-insensitive).
  ///   - expected: what the file should hold, for the error about an empty file (default: a
  ///     header line naming the columns, one of them `idColumn`, then one row per id).
  ///   - threads: threads for pass 1, which take in turn byte ranges of at least
  ///     `minimumPartitionBytes` (default 32 MB), up to `rangesPerThread` per thread; the
  ///     result, errors included, does not depend on it.
  /// - Throws: `FileError`, `CSVError` (among them `invalidUTF8` for an id or a kept column's
  ///   value that is not valid UTF-8: a categorical level is never repaired into U+FFFD),
  ///   `TableError`.
  public init(path: String, idColumn: String, kinds forced: [String: Kind] = [:], exclude: Set<String> = [],
              expected: String? = nil, threads: Int = 2, minimumPartitionBytes: Int = 32 << 20) throws {
    self.path = path
    let forcedKinds = Dictionary(forced.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
    let excluded = Set(exclude.map { $0.lowercased() })

    // Pass 1: the header, each column's kind, the ids, and the values of every column that is
    // numeric so far, parsed once: a column is parsed again in pass 2 only when it turns out not
    // to be (categorical, date, or a forced numeric column with text in it).
    let expected = expected ?? Self.expectedHeader(idColumn: idColumn)
    let first = try CSVReader(path: path, expected: expected)
    guard let idIndex = first.columnIndex(idColumn) else {
      throw TableError.missingColumn(path: path, name: idColumn, header: first.header)
    }
    for name in forcedKinds.keys.sorted() where first.columnIndex(name) == nil {
      throw TableError.missingColumn(path: path, name: name, header: first.header)
    }
    for name in exclude.sorted() where first.columnIndex(name) == nil {
      throw TableError.missingColumn(path: path, name: name, header: first.header)
    }
    let selected = first.header.indices.filter { $0 != idIndex && !excluded.contains(first.header[$0].lowercased()) }
    let initialStoring = selected.map { c in forcedKinds[first.header[c].lowercased()].map { $0 == .numeric } ?? true }
    let headerEnd = first.offset, size = first.fileSize
    // A gzip file is one stream: it has no byte ranges to split.
    let ranges = first.isGzip ? 1 : Self.rangeCount(bytes: size - headerEnd, threads: threads, minimumPartitionBytes: minimumPartitionBytes)
    let scanned: Scan
    if ranges > 1, let merged = Self.scanInParallel(path: path, first: first, ranges: ranges, threads: threads, idIndex: idIndex,
                                                    selected: selected, storing: initialStoring) {
      scanned = merged
    } else {
      scanned = try Self.scan(first, path: path, header: first.header, idIndex: idIndex, selected: selected, storing: initialStoring,
                              rangeStart: headerEnd, rangeEnd: size)
    }
    let couldBeNumeric = scanned.couldBeNumeric, couldBeDate = scanned.couldBeDate, firstText = scanned.firstText
    let allFormatted = scanned.allFormatted, nonBlank = scanned.nonBlank, numberCount = scanned.numberCount
    let storing = scanned.storing, outOfRange = scanned.outOfRange, sawBlankId = scanned.sawBlankId
    var numbers = scanned.numbers, ids = scanned.ids, lines = scanned.lines
    let width = first.header.count
    var kinds: [Kind] = []
    for (k, c) in selected.enumerated() {
      if let kind = forcedKinds[first.header[c].lowercased()] {
        kinds.append(kind)
      } else if nonBlank[k] > 0 && couldBeNumeric[c] {
        kinds.append(.numeric)
      } else if nonBlank[k] > 0 && couldBeDate[c] {
        kinds.append(.date)
      } else if let text = firstText[c], allFormatted[c] {
        throw TableError.formattedNumber(path: path, line: text.line, column: first.header[c], value: text.value)
      } else if let text = firstText[c], numberCount[k] * 2 > nonBlank[k] {
        throw TableError.strayText(path: path, line: text.line, column: first.header[c], value: text.value,
                                   numbers: numberCount[k], others: nonBlank[k] - numberCount[k])
      } else {
        kinds.append(nonBlank[k] == 0 ? .numeric : .categorical)
      }
    }

    // Pass 2: the values of the columns pass 1 did not keep. A blank id or a number beyond the
    // limit in a kept column is an error whose place in the file decides which error is
    // reported first, so then every column is read again, as if none had been kept.
    var kept = kinds.indices.map { kinds[$0] == .numeric && storing[$0] }
    if sawBlankId || kinds.indices.contains(where: { kept[$0] && outOfRange[$0] }) {
      kept = kinds.map { _ in false }
      ids = []
      lines = []
    }
    for k in kinds.indices where !kept[k] { numbers[k] = [] }
    var texts = [[String?]](repeating: [], count: selected.count)
    let reread = kinds.indices.filter { !kept[$0] }
    if !reread.isEmpty {
      let readIds = ids.isEmpty
      let rows = readIds ? 0 : ids.count
      for k in reread {
        if kinds[k] == .categorical { texts[k].reserveCapacity(rows) } else { numbers[k].reserveCapacity(rows) }
      }
      let second = try CSVReader(path: path, expected: expected)
      try second.forEachRecord { record in
        guard record.count == width else {
          throw TableError.fieldCount(path: path, line: record.line, found: record.count, expected: width)
        }
        guard !record.isBlank(idIndex) else {
          throw TableError.blankId(path: path, line: record.line, column: second.header[idIndex])
        }
        if readIds {
          ids.append(record.string(idIndex).trimmingSpaces)
          lines.append(record.line)
        }
        for k in reread {
          let c = selected[k]
          let blank = record.isBlank(c)
          switch kinds[k] {
          case .numeric:
            if blank || Self.isMissingToken(record.trimmedField(c)) { numbers[k].append(.nan); continue }
            guard let v = NumberParsing.double(record.field(c)) else {
              throw TableError.notNumeric(path: path, line: record.line, column: second.header[c], value: record.string(c))
            }
            guard NumberParsing.isWithinLimit(v) else {
              throw TableError.outOfRange(path: path, line: record.line, column: second.header[c], value: record.string(c))
            }
            numbers[k].append(v)
          case .date:
            if blank || Self.isMissingToken(record.trimmedField(c)) { numbers[k].append(.nan); continue }
            guard let ms = UTCTime.parseMilliseconds(record.field(c)) else {
              throw TableError.notDate(path: path, line: record.line, column: second.header[c], value: record.string(c))
            }
            numbers[k].append(Double(ms))
          case .categorical:
            texts[k].append(blank ? nil : record.string(c).trimmingSpaces)
          }
        }
      }
    }
    self.ids = ids
    self.lines = lines
    names = selected.map { first.header[$0] }
    self.kinds = kinds
    var columns: [FeatureTable.Column] = []
    columns.reserveCapacity(kinds.count)
    for k in kinds.indices {
      // Moved out of `numbers` and `texts`, so each column's buffer has one owner and is never copied.
      if kinds[k] == .categorical {
        columns.append(.categorical(texts[k]))
        texts[k] = []
      } else {
        columns.append(.numeric(numbers[k]))
        numbers[k] = []
      }
    }
    self.columns = columns
  }

  /// What pass 1 learned from a run of records: per header column c, whether its values could
  /// be numbers or dates, its first value that is not a number, whether every such value is a
  /// formatted amount; per selected column k, counts, and the values while every one is a number.
  struct Scan {
    var couldBeNumeric: [Bool], couldBeDate: [Bool], firstText: [(line: Int, value: String)?], allFormatted: [Bool]
    var nonBlank: [Int], numberCount: [Int], numbers: [[Double]], storing: [Bool], outOfRange: [Bool]
    var sawBlankId: Bool
    var ids: [String], lines: [Int]

    /// A run of no records over a header of `width` columns, storing the values of the selected
    /// columns `storing` says.
    static func empty(width: Int, storing: [Bool]) -> Scan {
      Scan(couldBeNumeric: Array(repeating: true, count: width), couldBeDate: Array(repeating: true, count: width),
           firstText: Array(repeating: nil, count: width), allFormatted: Array(repeating: true, count: width),
           nonBlank: Array(repeating: 0, count: storing.count), numberCount: Array(repeating: 0, count: storing.count),
           numbers: Array(repeating: [], count: storing.count), storing: storing,
           outOfRange: Array(repeating: false, count: storing.count), sawBlankId: false, ids: [], lines: [])
    }

  }

  /// The records of `parts` one after another, the lines of part p moved down by `shifts[p]`,
  /// with the stored columns `columns` (the parts wrote their values there and kept none).
  /// The flags and counts are combined in file order; the ids and lines are copied once,
  /// straight to their final place, by up to `threads` threads.
  static func concatenated(_ parts: [Scan], shiftingLinesBy shifts: [Int], threads: Int, columns: [[Double]]) -> Scan {
    var merged = parts[0]
    for c in merged.firstText.indices { merged.firstText[c] = merged.firstText[c].map { ($0.line + shifts[0], $0.value) } }
    for (next, shift) in zip(parts, shifts).dropFirst() {
      for c in merged.couldBeNumeric.indices {
        merged.couldBeNumeric[c] = merged.couldBeNumeric[c] && next.couldBeNumeric[c]
        merged.couldBeDate[c] = merged.couldBeDate[c] && next.couldBeDate[c]
        merged.allFormatted[c] = merged.allFormatted[c] && next.allFormatted[c]
        if merged.firstText[c] == nil, let text = next.firstText[c] { merged.firstText[c] = (text.line + shift, text.value) }
      }
      for k in merged.numbers.indices {
        merged.nonBlank[k] += next.nonBlank[k]
        merged.numberCount[k] += next.numberCount[k]
        merged.storing[k] = merged.storing[k] && next.storing[k]
        merged.outOfRange[k] = merged.storing[k] && (merged.outOfRange[k] || next.outOfRange[k])
      }
      merged.sawBlankId = merged.sawBlankId || next.sawBlankId
    }
    var offsets = [0]
    for part in parts { offsets.append(offsets.last! + part.ids.count) }
    merged.ids = concatenated(parts.map(\.ids), offsets: offsets, threads: threads)
    merged.lines = concatenated(parts.map(\.lines), offsets: offsets, threads: threads) { p, line in line + shifts[p] }
    for k in merged.numbers.indices { merged.numbers[k] = merged.storing[k] ? columns[k] : [] }
    return merged
  }

  /// `pieces` joined into one array, piece p copied to `offsets[p]` by up to `threads` threads
  /// at once (each value of piece p passed through `adjust(p, value)` when given): the memory
  /// of the result is written (and first touched) once, in parallel.
  static func concatenated<T: Sendable>(_ pieces: [[T]], offsets: [Int], threads: Int,
                                        adjust: (@Sendable (Int, T) -> T)? = nil) -> [T] {
    let rows = offsets.last!
    return [T](unsafeUninitializedCapacity: rows) { buffer, count in
      nonisolated(unsafe) let target = buffer
      let workers = max(1, min(threads, pieces.count))
      DispatchQueue.concurrentPerform(iterations: workers) { w in
        for p in stride(from: w, to: pieces.count, by: workers) {
          let slot = UnsafeMutableBufferPointer(rebasing: target[offsets[p]..<offsets[p + 1]])
          if let adjust {
            for (i, value) in pieces[p].enumerated() { (slot.baseAddress! + i).initialize(to: adjust(p, value)) }
          } else {
            pieces[p].withUnsafeBufferPointer { _ = slot.initialize(fromContentsOf: $0) }
          }
        }
      }
      count = rows
    }
  }


  /// The byte ranges pass 1 splits `bytes` of records into for `threads` threads: up to
  /// `rangesPerThread` per thread, each of at least `minimumPartitionBytes`; 1 (one thread, no
  /// split) when `threads` is 1 or the file is small.
  public static func rangeCount(bytes: Int, threads: Int, minimumPartitionBytes: Int) -> Int {
    guard threads > 1 else { return 1 }
    return max(1, min(threads * rangesPerThread, bytes / max(1, minimumPartitionBytes)))
  }

  /// Byte ranges per thread in pass 1. The threads take the ranges in turn as they finish, so a
  /// thread held back by other work (two cores shared with other processes) delays the end by
  /// at most one small range instead of half the file.
  public static let rangesPerThread = 16

  /// Where a range's scan writes the values of the stored columns: `columns[k]` (nil for a
  /// column not stored) from row `firstRow`, at most `rows` rows.
  struct Destination: @unchecked Sendable {
    var columns: [UnsafeMutablePointer<Double>?]
    var firstRow: Int
    var rows: Int
  }

  /// Pass 1 on `ranges` byte ranges, taken in turn by up to `threads` threads, merged in file
  /// order; `nil` when any range throws or holds a double quote (a newline inside quotes could
  /// sit at a range boundary): the file is then read on one thread, which finds the same first
  /// error as before.
  ///
  /// The records of each range are counted first (`recordCount`), so every range writes its
  /// numbers straight into the table's columns at its first row: no range keeps columns of its
  /// own that would then be copied (400 MB of new memory for a 1M × 50 table).
  static func scanInParallel(path: String, first: CSVReader, ranges: Int, threads: Int, idIndex: Int, selected: [Int],
                             storing: [Bool]) -> Scan? {
    let headerEnd = first.offset, size = first.fileSize
    let targets = (1..<ranges).map { headerEnd + $0 * (size - headerEnd) / ranges }
    guard let starts = try? first.lineStarts(after: targets) else { return nil }
    let bounds = [headerEnd] + starts + [size]
    final class Outcome: @unchecked Sendable {
      var scan: Scan?
      var records = -1
      var lines = 0
      var sawQuotes = false
    }
    let outcomes = (0..<ranges).map { _ in Outcome() }
    let header = first.header
    let workers = max(1, min(threads, ranges))
    // Each worker takes the next range not yet taken until none is left or one has failed.
    func forEachRange(_ body: @escaping @Sendable (Int) -> Bool) -> Bool {
      let next = Atomic<Int>(0)
      let failed = Atomic<Bool>(false)
      DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while !failed.load(ordering: .relaxed) {
          let p = next.add(1, ordering: .relaxed).oldValue
          guard p < ranges else { return }
          if !body(p) { failed.store(true, ordering: .relaxed) }
        }
      }
      return !failed.load(ordering: .relaxed)
    }
    guard forEachRange({ p in
      outcomes[p].records = (try? recordCount(path: path, range: bounds[p]..<bounds[p + 1])) ?? -1
      return outcomes[p].records >= 0
    }) else { return nil }
    var offsets = [0]
    for outcome in outcomes { offsets.append(offsets.last! + outcome.records) }
    let rows = offsets.last!, firstRows = offsets
    let (columns, complete) = withColumns(rows: rows, storing: storing) { pointers in
      nonisolated(unsafe) let pointers = pointers
      return forEachRange { p in
        let outcome = outcomes[p]
        if bounds[p] >= bounds[p + 1] {
          // Two targets inside one long line: nothing between them.
          outcome.scan = .empty(width: header.count, storing: storing)
          return outcome.records == 0
        }
        // Blocks of 1 MB (records are short): a range's reader is one of many.
        guard let reader = try? CSVReader(path: path, header: header, byteRange: bounds[p]..<bounds[p + 1], blockSize: 1 << 20)
        else { return false }
        let destination = Destination(columns: pointers, firstRow: firstRows[p], rows: outcome.records)
        outcome.scan = try? scan(reader, path: path, header: header, idIndex: idIndex, selected: selected, storing: storing,
                                 rangeStart: bounds[p], rangeEnd: bounds[p + 1], destination: destination)
        outcome.lines = reader.linesRead
        outcome.sawQuotes = reader.sawQuotes
        return outcome.scan?.ids.count == outcome.records && !outcome.sawQuotes
      }
    }
    guard complete else { return nil }
    var lineOffsets: [Int] = []
    var before = first.linesRead
    for outcome in outcomes {
      lineOffsets.append(before)
      before += outcome.lines
    }
    return concatenated(outcomes.map { $0.scan! }, shiftingLinesBy: lineOffsets, threads: threads, columns: columns)
  }

  /// Runs `body` with, for each selected column that `storing` marks, the buffer of a new
  /// column of `rows` values (nil for the others); returns the columns, complete when `body`
  /// returns true (it must then have written every value of every column it went on storing)
  /// and empty otherwise.
  static func withColumns(rows: Int, storing: [Bool], _ body: ([UnsafeMutablePointer<Double>?]) -> Bool) -> (columns: [[Double]], complete: Bool) {
    var columns = [[Double]](repeating: [], count: storing.count)
    var pointers = [UnsafeMutablePointer<Double>?](repeating: nil, count: storing.count)
    // Column k's buffer is open while columns k + 1 ... are opened: one nested initializer each.
    func open(_ k: Int) -> Bool {
      guard k < storing.count else { return body(pointers) }
      guard storing[k] else { return open(k + 1) }
      var complete = false
      let column = [Double](unsafeUninitializedCapacity: rows) { buffer, count in
        pointers[k] = buffer.baseAddress
        complete = open(k + 1)
        pointers[k] = nil
        count = complete ? rows : 0
      }
      columns[k] = column
      return complete
    }
    let complete = open(0)
    return (complete ? columns : [], complete)
  }

  /// The records `CSVReader(path:header:byteRange:)` reads from `range` of a file without
  /// quotes: its lines (the last one may lack its newline) that hold more than a carriage return.
  /// The range is mapped, not copied: the file's cached pages are counted where they lie.
  public static func recordCount(path: String, range: Range<Int>) throws -> Int {
    guard !range.isEmpty else { return 0 }
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    if descriptor < 0 { throw FileError.fromErrno(path: path, action: "open") }
    defer { close(descriptor) }
    let page = max(1, sysconf(Int32(_SC_PAGESIZE)))
    let start = range.lowerBound / page * page
    let length = range.upperBound - start
    guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, off_t(start)), mapped != MAP_FAILED else {
      throw FileError.fromErrno(path: path, action: "map")
    }
    defer { munmap(mapped, length) }
    _ = madvise(mapped, length, MADV_SEQUENTIAL)
    let bytes = mapped.assumingMemoryBound(to: UInt8.self) + (range.lowerBound - start)
    let n = range.count
    var records = 0
    var lineStart = 0
    // A line holds a record unless it is empty or a lone carriage return.
    func isRecord(_ lineEnd: Int) -> Bool { lineEnd - lineStart > 1 || (lineEnd - lineStart == 1 && bytes[lineStart] != 0x0D) }
    while lineStart < n {
      guard let found = memchr(bytes + lineStart, 0x0A, n - lineStart) else { break }
      let newline = bytes.distance(to: found.assumingMemoryBound(to: UInt8.self))
      if isRecord(newline) { records += 1 }
      lineStart = newline + 1
    }
    if lineStart < n, isRecord(n) { records += 1 }
    return records
  }

  /// With a `destination`, the values of the stored columns go straight to its buffers (row
  /// `firstRow` on) and the returned scan keeps none; past `destination.rows` records nothing
  /// more is written (the caller compares the records read with it).
  static func scan(_ reader: CSVReader, path: String, header: [String], idIndex: Int, selected: [Int], storing: [Bool],
                   rangeStart: Int, rangeEnd: Int, destination: Destination? = nil) throws -> Scan {
    var couldBeNumeric = [Bool](repeating: true, count: header.count)
    var couldBeDate = [Bool](repeating: true, count: header.count)
    var firstText = [(line: Int, value: String)?](repeating: nil, count: header.count)  // first that does not
    var allFormatted = [Bool](repeating: true, count: header.count)  // every non-number is "$1,200.50"-like
    let width = header.count
    // Per selected column k (counts in raw buffers: the loop runs once per cell).
    let nonBlank = UnsafeMutableBufferPointer<Int>.allocate(capacity: selected.count)
    let numberCount = UnsafeMutableBufferPointer<Int>.allocate(capacity: selected.count)  // values that parse as numbers
    nonBlank.initialize(repeating: 0)
    numberCount.initialize(repeating: 0)
    defer { nonBlank.deallocate(); numberCount.deallocate() }
    // Per selected column: its values while every one so far is a number, blank or missing
    // (NaN); emptied at its first other value. Forced categorical and date columns keep none.
    // Values go to `block` first (column k's at k · blockRecords), then to `numbers` a block at a time.
    var numbers = [[Double]](repeating: [], count: selected.count)
    var storing = storing
    var outOfRange = [Bool](repeating: false, count: selected.count)  // a stored value beyond ±1e15
    let blockRecords = Self.blockRecords
    let block = UnsafeMutablePointer<Double>.allocate(capacity: max(1, selected.count * blockRecords))
    defer { block.deallocate() }
    var inBlock = 0
    var written = 0
    func flush() {
      if let destination {
        if written + inBlock <= destination.rows {
          for k in numbers.indices where storing[k] {
            (destination.columns[k]! + destination.firstRow + written).initialize(from: block + k * blockRecords, count: inBlock)
          }
        }
        written += inBlock
      } else {
        for k in numbers.indices where storing[k] { numbers[k].append(contentsOf: UnsafeBufferPointer(start: block + k * blockRecords, count: inBlock)) }
      }
      inBlock = 0
    }
    var sawBlankId = false
    var ids: [String] = []
    var lines: [Int] = []
    try reader.forEachRecord { record in
      guard record.count == width else {
        throw TableError.fieldCount(path: path, line: record.line, found: record.count, expected: width)
      }
      if !record.isASCII {
        if let error = record.utf8Error(idIndex, path: path, column: header[idIndex]) { throw error }
        for c in selected { if let error = record.utf8Error(c, path: path, column: header[c]) { throw error } }
      }
      if ids.count == Self.sizingRecords {
        // Room for the whole file at the first records' size, so the columns are not copied as they grow.
        let rows = Self.estimatedRows(fileSize: rangeEnd, headerBytes: rangeStart, readBytes: reader.offset, records: ids.count)
        ids.reserveCapacity(rows)
        lines.reserveCapacity(rows)
        if destination == nil { for k in numbers.indices where storing[k] { numbers[k].reserveCapacity(rows) } }
      }
      if record.isBlank(idIndex) {
        sawBlankId = true
        ids.append("")
      } else {
        ids.append(record.string(idIndex).trimmingSpaces)
      }
      lines.append(record.line)
      let slot = block + inBlock
      for k in 0..<selected.count {
        let c = selected[k]
        // Most cells are plain numbers: first byte a digit (or a minus and a digit), last byte a
        // digit. Such a field is not blank, has no spaces to trim and is no missing token, so
        // it goes straight to the parser; only the others are checked and trimmed first.
        var field = record.field(c)
        let plainNumber = (field.count >= 2 || (field.count == 1 && field[0] &- 0x30 < 10)) && field[field.count - 1] &- 0x30 < 10
          && (field[0] &- 0x30 < 10 || (field[0] == 0x2D && field[1] &- 0x30 < 10))
        if !plainNumber {
          if record.isBlank(c) {
            slot[k * blockRecords] = .nan
            continue
          }
          field = record.trimmedField(c)
          if Self.isMissingToken(field) {
            slot[k * blockRecords] = .nan
            continue
          }
        }
        nonBlank[k] += 1
        if let v = NumberParsing.double(field) {
          numberCount[k] += 1
          if couldBeNumeric[c] && Self.hasLeadingZero(field) { couldBeNumeric[c] = false }
          slot[k * blockRecords] = v
          if !NumberParsing.isWithinLimit(v) && storing[k] { outOfRange[k] = true }
        } else {
          couldBeNumeric[c] = false
          if storing[k] {
            storing[k] = false
            numbers[k] = []
          }
          if firstText[c] == nil { firstText[c] = (record.line, record.string(c)) }
          if allFormatted[c] && !Self.isFormattedNumber(field) { allFormatted[c] = false }
        }
        if couldBeDate[c] && (field.count < 10 || field[4] != 0x2D || UTCTime.parseMilliseconds(field) == nil) {
          couldBeDate[c] = false
        }
      }
      inBlock += 1
      if inBlock == blockRecords { flush() }
    }
    flush()
    return Scan(couldBeNumeric: couldBeNumeric, couldBeDate: couldBeDate, firstText: firstText, allFormatted: allFormatted,
                nonBlank: Array(nonBlank), numberCount: Array(numberCount), numbers: numbers, storing: storing, outOfRange: outOfRange,
                sawBlankId: sawBlankId, ids: ids, lines: lines)
  }

  /// Records whose numbers are gathered before they are appended to their columns.
  static let blockRecords = 256

  /// Records read before the columns' capacity is set from their size.
  static let sizingRecords = 1_000

  /// The rows a file of `fileSize` bytes holds when its records are as long as the first
  /// `records` (`readBytes` − `headerBytes` bytes), with a margin of a quarter: capacity that
  /// is never written costs address space, not memory.
  static func estimatedRows(fileSize: Int, headerBytes: Int, readBytes: Int, records: Int) -> Int {
    let perRecord = max(1, Double(readBytes - headerBytes) / Double(max(records, 1)))
    // A pipe reports size 0: then no more than the records already read.
    return Int(min(max(0, Double(fileSize - readBytes)) / perRecord * 1.25, 1e10)) + records
  }

  /// What a table read by id should hold: "a header line naming its columns, one of them
  /// customer_id, then one row per customer_id".
  public static func expectedHeader(idColumn: String) -> String {
    "a header line naming its columns, one of them \(idColumn), then one row per \(idColumn)"
  }

  /// The tokens read as missing in numeric and date columns (compared without case).
  public static let missingTokens: Set<String> = ["na", "n/a", "nan", "-nan", "null", "none", "#n/a", "<na>"]

  /// Whether `field` (already trimmed) is one of `missingTokens`.
  static func isMissingToken(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
    guard field.count >= 2, field.count <= 4 else { return false }
    // Every token starts with n, #, < or - : most cells are decided without making a string.
    switch field[0] | 0x20 {
    case UInt8(ascii: "n"), UInt8(ascii: "#"), UInt8(ascii: "<"), UInt8(ascii: "-"): break
    default: return false
    }
    return missingTokens.contains(String(decoding: field, as: UTF8.self).lowercased())
  }

  /// A number written with a currency sign, percent sign or thousands separators (`$12.50`,
  /// `-€3`, `1,200`, `12%`): the digits of a quantity, but not a plain number.
  static func isFormattedNumber(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
    var text = String(decoding: field, as: UTF8.self)
    if text.hasPrefix("-") || text.hasPrefix("+") { text.removeFirst() }
    if let first = text.first, "$€£¥".contains(first) { text.removeFirst() } else if text.hasSuffix("%") { text.removeLast() }
    if text.contains(",") {
      // Thousands separators: groups of three digits after the first comma.
      let integer = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)[0]
      let groups = integer.split(separator: ",", omittingEmptySubsequences: false)
      guard groups.count > 1, (1...3).contains(groups[0].count), groups.dropFirst().allSatisfy({ $0.count == 3 }) else { return false }
      text.removeAll { $0 == "," }
    }
    return NumberParsing.double(text) != nil
  }

  /// A digit string of two or more characters that starts with 0 (an id-like code).
  static func hasLeadingZero(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
    var s = 0
    while s < field.count, field[s] == 0x20 { s += 1 }
    guard field.count - s >= 2, field[s] == 0x30 else { return false }
    return field[s + 1] >= 0x30 && field[s + 1] <= 0x39
  }

  /// The index of the column named `name` (case-insensitive), or `nil`.
  public func columnIndex(_ name: String) -> Int? {
    let key = name.lowercased()
    return names.firstIndex { $0.lowercased() == key }
  }
}

extension CSVRecord {
  /// Whether every byte of the record is ASCII (then every field is valid UTF-8), checked
  /// eight bytes at a time.
  var isASCII: Bool {
    guard count > 0 else { return true }
    var i = bounds[0]
    let end = bounds[2 * count - 1]
    guard end > i, let base = bytes.baseAddress else { return true }
    while i + 8 <= end {
      if UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
      i += 8
    }
    while i < end {
      if base[i] >= 0x80 { return false }
      i += 1
    }
    return true
  }
}

/// A table that cannot be read as asked.
public enum TableError: Error, Equatable, CustomStringConvertible {
  case missingColumn(path: String, name: String, header: [String])
  case fieldCount(path: String, line: Int, found: Int, expected: Int)
  case blankId(path: String, line: Int, column: String)
  case duplicateId(path: String, line: Int, id: String, firstLine: Int)
  case notNumeric(path: String, line: Int, column: String, value: String)
  /// A number beyond ±`NumberParsing.magnitudeLimit`.
  case outOfRange(path: String, line: Int, column: String, value: String)
  /// A value that is not a number in a column where most are (`numbers` against `others`).
  case strayText(path: String, line: Int, column: String, value: String, numbers: Int, others: Int)
  /// A number with a currency sign, percent sign or thousands separators in a column whose
  /// values are all numbers written so.
  case formattedNumber(path: String, line: Int, column: String, value: String)
  /// An infinite value about to be written to a table file.
  case infiniteValue(path: String, column: String, id: String)
  case notDate(path: String, line: Int, column: String, value: String)
  case badLabel(path: String, column: String, values: [String])

  public var description: String {
    switch self {
    case .missingColumn(let path, let name, let header):
      let nearest = MessageText.nearest(name, in: header).map { " (did you mean \"\($0)\"?)" } ?? ""
      return "\(path): no column \"\(MessageText.excerpt(name))\"\(nearest); the header has \(MessageText.list(header))"
    case .fieldCount(let path, let line, let found, let expected):
      return "\(path) line \(line): \(found) fields; expected \(expected) as in the header"
    case .blankId(let path, let line, let column):
      return "\(path) line \(line): \(MessageText.excerpt(column)) is blank; every row needs an id"
    case .duplicateId(let path, let line, let id, let firstLine):
      return "\(path) line \(line): id \"\(MessageText.excerpt(id))\" already appeared on line \(firstLine); expected one row per customer"
    case .notNumeric(let path, let line, let column, let value):
      return "\(path) line \(line): \(MessageText.excerpt(column)) \"\(MessageText.excerpt(value))\" is not a number; "
        + "expected a number or blank (or declare the column categorical)"
    case .outOfRange(let path, let line, let column, let value):
      return "\(path) line \(line): \(MessageText.excerpt(column)) \"\(MessageText.excerpt(value))\" is beyond ±1e15; "
        + "expected a magnitude of at most 1e15 (larger values are typing or unit mistakes): correct the value"
    case .strayText(let path, let line, let column, let value, let numbers, let others):
      let name = MessageText.excerpt(column)
      return "\(path) line \(line): \(name) \"\(MessageText.excerpt(value))\" is not a number, but \(numbers) of the column's "
        + "\(numbers + others) values are (\(others) not); expected a number, blank or NA: correct the value, or pass "
        + "--categorical \(name) to read the column as categories"
    case .formattedNumber(let path, let line, let column, let value):
      let name = MessageText.excerpt(column)
      return "\(path) line \(line): \(name) \"\(MessageText.excerpt(value))\" is a number with a currency sign, percent sign or "
        + "thousands separator; expected a plain number such as 1200.50: remove the signs, or pass --categorical \(name) "
        + "to read the column as categories"
    case .infiniteValue(let path, let column, let id):
      return "cannot write \(path): \(MessageText.excerpt(column)) is infinite for \"\(MessageText.excerpt(id))\"; expected finite "
        + "values (an input value too large for the arithmetic: check the inputs for values near ±1e308)"
    case .badLabel(let path, let column, let values):
      let shown = values.prefix(5).map { MessageText.excerpt($0) }.joined(separator: ", ") + (values.count > 5 ? ", ..." : "")
      return "\(path): label column \(MessageText.excerpt(column)) has \(shown); expected 0/1 or yes/no (blank = unknown)"
    case .notDate(let path, let line, let column, let value):
      return "\(path) line \(line): \(MessageText.excerpt(column)) \"\(MessageText.excerpt(value))\" is not a valid date; "
        + "expected ISO 8601 such as 2024-03-05"
    }
  }
}
