#if canImport(Glibc)
import Glibc
#endif

/// A streaming reader of comma-separated files (RFC 4180): a header line, then records.
///
/// Reads the file in 4 MiB blocks, so memory stays bounded whatever the file size. A file that
/// starts with the gzip magic bytes (`1f 8b`), whatever its name, is decompressed as it is read
/// (`GzipStream`, on a thread of its own past the first block): every check below and every line
/// number then concern the decompressed text, as if the file had been decompressed first. Handles
/// quoted fields (with `""` escapes and embedded commas or newlines), CRLF line ends, a UTF-8
/// byte-order mark and blank lines (skipped). Field bytes are handed out without copying;
/// they are valid only inside the callback.
///
/// As in RFC 4180 and Python's `csv` module, a double quote opens a quoted field only as the
/// field's first byte; inside an unquoted field (`12" screen`) it is an ordinary character, so
/// a stray quote cannot swallow the lines after it. A quote that opens a field and is never
/// closed is an error naming the line and the field. Other compressed files (zip, bzip2, xz,
/// zstd), UTF-16 and binary files are refused by their first bytes, before any byte is echoed.
///
/// Fuzzed with libFuzzer and AddressSanitizer: `scripts/fuzz-parsers`.
public final class CSVReader {
  // The reader's state is read and written on every record by this class alone (it is not
  // Sendable, and no closure it hands out can reach it): the runtime's dynamic exclusivity
  // checks on these properties cost a twentieth of reading an event log, and are turned off.
  public let path: String
  /// The header's column names, trimmed of surrounding spaces.
  public private(set) var header: [String] = []
  private let descriptor: Int32
  @exclusivity(unchecked) private var buffer: ByteBuffer
  @exclusivity(unchecked) private var start = 0  // first unread byte in buffer
  @exclusivity(unchecked) private var end = 0  // one past the last valid byte in buffer
  @exclusivity(unchecked) private var atEOF = false
  @exclusivity(unchecked) private var lineNumber = 0  // line of the last byte consumed (1-based lines)
  @exclusivity(unchecked) private var fieldBounds = FieldBounds()  // start, end pairs into buffer
  @exclusivity(unchecked) private var bufferFileOffset = 0  // file offset of buffer[0]
  @exclusivity(unchecked) private var limit = Int.max  // file offset where this reader's byte range ends
  private var gzip: GzipStream?  // set for a gzip file: offsets then count decompressed bytes
  private var gzipFilledBlock = false  // the first refill of a gzip file filled the buffer
  /// Whether any record so far held a double quote.
  @exclusivity(unchecked) public private(set) var sawQuotes = false

  /// Opens `path` and reads its header line.
  ///
  /// - Throws: `FileError` when the file cannot be opened; `CSVError` when it is empty,
  ///   compressed (other than with gzip) or binary, or the header has an empty or duplicate
  ///   column name; `GzipError` when a gzip file ends or breaks before its header does.
  /// - Parameter expected: what the file should hold, for the errors about an empty or binary
  ///   file (default: an event log's header).
  public init(path: String, expected: String = CSVError.eventLogHeader, blockSize: Int = 4 << 20) throws {
    self.path = path
    descriptor = open(path, O_RDONLY | O_CLOEXEC)
    if descriptor < 0 { throw FileError.fromErrno(path: path, action: "open") }
    buffer = ByteBuffer(count: max(blockSize, 1024))
    if Self.startsWithGzipMagic(descriptor) { gzip = GzipStream(path: path, descriptor: descriptor) }
    try checkText(expected: expected)
    var names: [String] = []
    var invalid: CSVError?
    let found = try nextRecord { record in
      for i in 0..<record.count {
        names.append(record.string(i).trimmingSpaces)
        if invalid == nil, let error = record.utf8Error(i, path: path, column: "column \(i + 1) of the header") { invalid = error }
      }
    }
    guard found else { throw CSVError.emptyFile(path: path, expected: expected) }
    if names.contains(where: { $0.utf8.contains(0) }) {
      throw CSVError.binary(path: path, reason: "its first line holds NUL bytes", expected: expected)
    }
    if let invalid { throw invalid }
    if names.count == 1 && names[0].isEmpty { throw CSVError.emptyFile(path: path, expected: expected) }
    // A header with no comma but other separators: a ;- or tab-separated export, which would
    // otherwise read as one column and fail later with "no column customer_id".
    if names.count == 1 {
      let counts = CSVError.otherSeparators.map { separator in (separator, names[0].filter { $0 == separator.character }.count) }
      if let (separator, count) = counts.max(by: { $0.1 < $1.1 }), count > 0 {
        throw CSVError.otherSeparator(path: path, name: separator.name, character: String(separator.character), count: count,
                                      header: names[0])
      }
    }
    var seen: [String: Int] = [:]
    for (index, name) in names.enumerated() {
      if name.isEmpty { throw CSVError.emptyColumnName(path: path, column: index + 1) }
      let key = name.lowercased()
      if let first = seen[key] { throw CSVError.duplicateColumn(path: path, name: name, first: first + 1, second: index + 1) }
      seen[key] = index
    }
    header = names
  }

  /// A reader of the records in `byteRange` of `path`, which must start at the beginning of a
  /// record; `header` is the file's header, read by another reader. Line numbers count from
  /// the start of the range (the first record there is line 1).
  public init(path: String, header: [String], byteRange: Range<Int>, blockSize: Int = 4 << 20) throws {
    self.path = path
    self.header = header
    descriptor = open(path, O_RDONLY | O_CLOEXEC)
    if descriptor < 0 { throw FileError.fromErrno(path: path, action: "open") }
    buffer = ByteBuffer(count: max(blockSize, 1024))
    precondition(!Self.startsWithGzipMagic(descriptor), "\(path) is gzip-compressed: it cannot be read by byte ranges")
    if lseek(descriptor, off_t(byteRange.lowerBound), SEEK_SET) < 0 { throw FileError.fromErrno(path: path, action: "seek in") }
    bufferFileOffset = byteRange.lowerBound
    limit = byteRange.upperBound
    lineNumber = 1  // no header and no byte-order mark to look for
    lineBase = 1
  }

  @exclusivity(unchecked) private var lineBase = 0

  /// Whether the file at `descriptor` starts with the gzip magic bytes (read without moving its offset).
  private static func startsWithGzipMagic(_ descriptor: Int32) -> Bool {
    var head: [UInt8] = [0, 0]
    let n = head.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, 2, 0) }
    return n == 2 && head == GzipStream.magic
  }

  /// Whether the file is gzip-compressed and read through its decompression: it can then be
  /// read only from start to end, not by byte ranges (`lineStarts`, `init(path:header:byteRange:)`).
  public var isGzip: Bool { gzip != nil }

  /// Refuses compressed and binary files by their first bytes, before any of it is echoed as
  /// a "header".
  private func checkText(expected: String) throws {
    while end - start < 8, try refill() {}
    let head = Array(buffer[start..<min(end, start + 8)])
    func starts(_ magic: [UInt8]) -> Bool { head.count >= magic.count && Array(head.prefix(magic.count)) == magic }
    let formats: [(magic: [UInt8], name: String)] = [
      ([0x1F, 0x8B], "gzip"), ([0x50, 0x4B, 0x03, 0x04], "zip"), ([0x42, 0x5A, 0x68], "bzip2"),
      ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz"), ([0x28, 0xB5, 0x2F, 0xFD], "zstd"),
    ]
    for format in formats where starts(format.magic) { throw CSVError.compressed(path: path, format: format.name) }
    if starts([0xFF, 0xFE]) || starts([0xFE, 0xFF]) {
      throw CSVError.binary(path: path, reason: "it is UTF-16 text; save it as UTF-8", expected: expected)
    }
  }

  /// The file offset of the first byte not yet consumed (after `init(path:)`, the end of the
  /// header); for a gzip file, the offset in the decompressed data.
  public var offset: Int { bufferFileOffset + start }

  /// The bytes of the file read so far, to show progress against `fileSize`: `offset`, or for a
  /// gzip file the compressed bytes behind the data read.
  public var fileBytesRead: Int { gzip?.compressedBytesRead ?? offset }

  /// Lines consumed so far (for a range reader, since the start of its range).
  public var linesRead: Int { lineNumber - lineBase }

  /// The size of the file in bytes (compressed, for a gzip file).
  public var fileSize: Int {
    var info = stat()
    return fstat(descriptor, &info) == 0 ? Int(info.st_size) : 0
  }

  /// The file offsets just after the first newline at or after each of `targets` (or the file
  /// size when there is none), for splitting a file into byte ranges at line ends.
  public func lineStarts(after targets: [Int]) throws -> [Int] {
    precondition(gzip == nil, "\(path) is gzip-compressed: it cannot be split by byte ranges")
    let size = fileSize
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    return try targets.map { target in
      var position = target
      while position < size {
        let n = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, off_t(position)) }
        if n < 0 { throw FileError.fromErrno(path: path, action: "read") }
        if n == 0 { break }
        if let k = chunk[0..<n].firstIndex(of: 0x0A) { return position + k + 1 }
        position += n
      }
      return size
    }
  }

  deinit {
    gzip?.stop()  // its thread may be reading the descriptor
    close(descriptor)
    fieldBounds.deallocate()
    buffer.deallocate()
  }

  /// The index of the column named `name` (case-insensitive), or `nil`.
  public func columnIndex(_ name: String) -> Int? {
    let key = name.lowercased()
    return header.firstIndex { $0.lowercased() == key }
  }

  /// Reads every remaining record, in order.
  ///
  /// - Throws: whatever `body` throws; `CSVError` for an unterminated quote; `FileError` on a
  ///   read failure; `GzipError` when a gzip file is cut short or damaged (after every record
  ///   before the break).
  public func forEachRecord(_ body: (CSVRecord) throws -> Void) throws {
    while try nextRecord(body) {}
  }

  /// Refills the buffer, keeping the unread tail. Returns false at end of file with nothing new.
  private func refill() throws -> Bool {
    if atEOF { return false }
    if start > 0 {
      let tail = end - start
      if tail > 0 {
        buffer.withUnsafeMutableBytes { raw in
          _ = memmove(raw.baseAddress!, raw.baseAddress! + start, tail)
        }
      }
      end = tail
      bufferFileOffset += start
      start = 0
    }
    if end == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
    let capacity = min(buffer.count - end, limit - (bufferFileOffset + end))
    if capacity <= 0 {
      atEOF = true
      return false
    }
    let n: Int
    if let gzip {
      // Past a first full block the file is large: decompress ahead on another thread.
      if gzipFilledBlock { gzip.startReadingAhead() }
      n = try readGzip(gzip, capacity: capacity)
      if bufferFileOffset == 0 && n == capacity { gzipFilledBlock = true }
    } else {
      n = buffer.withUnsafeMutableBytes { raw in read(descriptor, raw.baseAddress! + end, capacity) }
    }
    if n < 0 { throw FileError.fromErrno(path: path, action: "read") }
    if n == 0 {
      atEOF = true
      return false
    }
    end += n
    return true
  }

  /// Decompresses up to `capacity` bytes to the end of the buffer; a broken stream becomes a
  /// `GzipError` naming how far the data goes and on which line it stops.
  private func readGzip(_ gzip: GzipStream, capacity: Int) throws -> Int {
    do {
      return try buffer.withUnsafeMutableBufferPointer { b throws(GzipStream.Failure) in
        try gzip.read(into: b.baseAddress! + end, capacity: capacity)
      }
    } catch {
      // Lines consumed, plus the newlines in the bytes not yet consumed; a last line without
      // its newline is one more.
      let bytes = bufferFileOffset + end
      var line = lineNumber + buffer[start..<end].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
      if end > start && buffer[end - 1] != 0x0A { line += 1 }
      if bytes > 0 { line = max(line, 1) }
      switch error {
      case .truncated: throw GzipError.truncated(path: path, bytes: bytes, line: line)
      case .corrupt(let reason): throw GzipError.corrupt(path: path, bytes: bytes, line: line, reason: reason)
      case .unreadable(let error): throw error
      }
    }
  }

  /// Where the scan of a record stands (RFC 4180): a double quote opens a quoted field only
  /// as a field's first byte; anywhere else it is an ordinary character, so a stray quote in
  /// the middle of a value (`12" screen`) can never swallow the lines after it.
  private enum ScanState {
    case fieldStart, unquoted, quoted, quoteInQuoted
  }

  /// Finds the end of the record starting at `start`: the index of its terminating newline
  /// (or `end` at end of file), refilling as needed, the number of newlines inside quotes, and
  /// whether a quoted field was opened. Returns nil when the file has no more bytes.
  private func findRecordEnd() throws -> (end: Int, innerNewlines: Int, quoted: Bool)? {
    var scanned = 0  // bytes after start already scanned
    var state = ScanState.fieldStart
    var sawQuote = false
    var innerNewlines = 0
    var field = 1  // 1-based field the scan is in
    var openedField = 0  // field whose opening quote is still open
    while true {
      let found: Int? = buffer.withUnsafeBufferPointer { b -> Int? in
        let base = b.baseAddress!
        var i = start + scanned
        defer { scanned = i - start }
        while i < end {
          if state != .quoted {
            // Fast path: jump to the next newline; with no quote before it, that ends the record.
            let newline = memchr(base + i, 0x0A, end - i).map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) }
            let stop = newline ?? end
            if memchr(base + i, 0x22, stop - i) == nil {
              if let newline {
                i = newline
                return newline
              }
              // The record runs past the buffer: carry the state and field number over.
              if stop > i {
                var k = i
                while let comma = memchr(base + k, 0x2C, stop - k) {
                  field += 1
                  k = base.distance(to: comma.assumingMemoryBound(to: UInt8.self)) + 1
                }
                state = b[stop - 1] == 0x2C ? .fieldStart : .unquoted
              }
              i = stop
              return nil
            }
          }
          // Byte by byte to the end of the record.
          while i < end {
            let c = b[i]
            switch state {
            case .fieldStart:
              if c == 0x22 {
                state = .quoted
                sawQuote = true
                openedField = field
              } else if c == 0x2C {
                field += 1
              } else if c == 0x0A {
                return i
              } else {
                state = .unquoted
              }
            case .unquoted:
              if c == 0x2C {
                state = .fieldStart
                field += 1
              } else if c == 0x0A {
                return i
              }
            case .quoted:
              if c == 0x22 { state = .quoteInQuoted } else if c == 0x0A { innerNewlines += 1 }
            case .quoteInQuoted:
              if c == 0x22 {
                state = .quoted
              } else if c == 0x2C {
                state = .fieldStart
                field += 1
              } else if c == 0x0A {
                return i
              } else {
                state = .unquoted  // text after a closing quote: the split reports it
              }
            }
            i += 1
          }
        }
        return nil
      }
      if let found { return (found, innerNewlines, sawQuote) }
      let consumed = end - start
      if try !refill() {
        if end == start { return nil }
        if state == .quoted {
          sawQuotes = true  // a range reader may have cut a quoted field: its caller reads again
          throw CSVError.unterminatedQuote(path: path, line: lineNumber + 1 - lineBase, field: openedField)
        }
        return (end, innerNewlines, sawQuote)
      }
      scanned = consumed
    }
  }

  /// Parses one record and hands it to `body`; false when the file has no more records.
  private func nextRecord(_ body: (CSVRecord) throws -> Void) throws -> Bool {
    while true {
      // Skip a UTF-8 BOM at the very beginning.
      if lineNumber == 0 {
        while end - start < 3, try refill() {}
        if end - start >= 3, buffer[start] == 0xEF, buffer[start + 1] == 0xBB, buffer[start + 2] == 0xBF { start += 3 }
      }
      guard let (recordEnd, newlines, quoted) = try findRecordEnd() else { return false }
      let recordLine = lineNumber + 1 - lineBase
      lineNumber += 1 + newlines
      var contentEnd = recordEnd
      if contentEnd > start, buffer[contentEnd - 1] == 0x0D { contentEnd -= 1 }
      let recordStart = start
      start = min(recordEnd + 1, end)
      if contentEnd == recordStart { continue }  // blank line
      if quoted { sawQuotes = true }
      var bounds = fieldBounds
      bounds.count = 0
      // Registered before the split: appending may move the buffer and the split may throw,
      // and the reader must keep the live buffer either way (else deinit frees the old one twice).
      defer { fieldBounds = bounds }
      if quoted {
        try splitQuotedFields(from: recordStart, to: contentEnd, line: recordLine, into: &bounds)
      } else {
        buffer.withUnsafeBufferPointer { b in
          // Eight bytes at a time (little-endian: the lowest set bit is the first byte): a byte
          // is a comma exactly when it XORs to zero with 0x2C, and ((x & 0x7F…) + 0x7F…) | x
          // has the top bit of each byte set exactly when that byte of x is nonzero (no carry
          // crosses a byte, unlike the shorter (x − 0x01…) & ~x test, which also flags a '-'
          // after a comma).
          bounds.append(recordStart)
          let base = UnsafeRawPointer(b.baseAddress!)
          var i = recordStart
          while i + 8 <= contentEnd {
            let x = base.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ 0x2C2C_2C2C_2C2C_2C2C
            var commas = ~(((x & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | x) & 0x8080_8080_8080_8080
            while commas != 0 {
              let at = i + commas.trailingZeroBitCount / 8
              bounds.append(at)
              bounds.append(at + 1)
              commas &= commas &- 1
            }
            i += 8
          }
          while i < contentEnd {
            if b[i] == 0x2C {
              bounds.append(i)
              bounds.append(i + 1)
            }
            i += 1
          }
          bounds.append(contentEnd)
        }
      }
      try buffer.withUnsafeBufferPointer { b in
        try body(CSVRecord(bytes: b, bounds: UnsafeBufferPointer(start: bounds.pointer, count: bounds.count), line: recordLine,
                           lineSpan: 1 + newlines))
      }
      return true
    }
  }

  /// Splits a record that holds quotes; unquotes quoted fields in place (the unescaped text is
  /// never longer).
  private func splitQuotedFields(from: Int, to: Int, line: Int, into bounds: inout FieldBounds) throws {
    try buffer.withUnsafeMutableBufferPointer { b in
      var i = from
      while true {
        if i < to, b[i] == 0x22 {
          // Quoted field: copy unescaped bytes down over the opening quote.
          var write = i
          var read = i + 1
          while true {
            guard read < to else { throw CSVError.unterminatedQuote(path: path, line: line, field: bounds.count / 2 + 1) }
            if b[read] == 0x22 {
              if read + 1 < to, b[read + 1] == 0x22 {
                b[write] = 0x22
                write += 1
                read += 2
                continue
              }
              read += 1
              break
            }
            b[write] = b[read]
            write += 1
            read += 1
          }
          bounds.append(i)
          bounds.append(write)
          // Allow spaces after the closing quote; anything else is malformed.
          while read < to, b[read] == 0x20 { read += 1 }
          if read == to { return }
          guard b[read] == 0x2C else {
            let closingLine = line + UnsafeBufferPointer(rebasing: b[from..<read]).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw CSVError.textAfterQuote(path: path, line: line, field: bounds.count / 2, closingLine: closingLine)
          }
          i = read + 1
          if i == to {
            bounds.append(to)
            bounds.append(to)
            return
          }
        } else {
          var j = i
          while j < to, b[j] != 0x2C { j += 1 }
          bounds.append(i)
          bounds.append(j)
          if j == to { return }
          i = j + 1
          if i == to {
            bounds.append(to)
            bounds.append(to)
            return
          }
        }
      }
    }
  }
}

/// One record's fields, valid only inside the `forEachRecord` callback.
public struct CSVRecord {
  let bytes: UnsafeBufferPointer<UInt8>
  let bounds: UnsafeBufferPointer<Int>
  /// The 1-based line of the file where the record starts.
  public let line: Int
  /// The number of file lines the record covers: more than 1 when a quoted field holds newlines.
  public let lineSpan: Int

  /// Number of fields.
  public var count: Int { bounds.count / 2 }

  /// The raw bytes of field `i`.
  @inline(__always)
  public func field(_ i: Int) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(rebasing: bytes[bounds[2 * i]..<bounds[2 * i + 1]])
  }

  /// Field `i` as a string (invalid UTF-8 repaired with U+FFFD; use `validString` to reject it).
  public func string(_ i: Int) -> String { String(decoding: field(i), as: UTF8.self) }

  /// Field `i` as a string, or `nil` when its bytes are not valid UTF-8.
  public func validString(_ i: Int) -> String? { String(validating: field(i), as: UTF8.self) }

  /// The 0-based offset in field `i` of its first byte that is not part of valid UTF-8, or
  /// `nil` when the field is valid UTF-8 (checked byte by byte only when it is not all ASCII).
  public func invalidUTF8Offset(_ i: Int) -> Int? {
    let bytes = field(i)
    guard bytes.contains(where: { $0 >= 0x80 }) else { return nil }
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var offset = 0
    while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let encoded): offset += encoded.count
      case .error: return offset
      case .emptyInput: return nil
      }
    }
  }

  /// `CSVError.invalidUTF8` for field `i`, named `column`, when its bytes are not valid UTF-8.
  public func utf8Error(_ i: Int, path: String, column: String) -> CSVError? {
    guard let offset = invalidUTF8Offset(i) else { return nil }
    return .invalidUTF8(path: path, line: line, column: column, value: string(i), position: offset + 1, byte: field(i)[offset])
  }

  /// Field `i` without surrounding spaces and tabs.
  @inline(__always)
  public func trimmedField(_ i: Int) -> UnsafeBufferPointer<UInt8> {
    var s = bounds[2 * i]
    var e = bounds[2 * i + 1]
    while s < e, bytes[s] == 0x20 || bytes[s] == 0x09 { s += 1 }
    while e > s, bytes[e - 1] == 0x20 || bytes[e - 1] == 0x09 { e -= 1 }
    return UnsafeBufferPointer(rebasing: bytes[s..<e])
  }

  /// Whether field `i` is empty or only spaces.
  public func isBlank(_ i: Int) -> Bool { field(i).allSatisfy { $0 == 0x20 || $0 == 0x09 } }
}

/// The reader's block of file bytes: a pointer and a size, so the per-record scanning takes no
/// reference count (an array in a class property is retained and released around each use,
/// which cost a seventh of `churn features` on a 20-million-event log). Freed by the reader.
struct ByteBuffer {
  private(set) var base: UnsafeMutablePointer<UInt8>
  private(set) var count: Int

  init(count: Int) {
    base = .allocate(capacity: count)
    base.initialize(repeating: 0, count: count)
    self.count = count
  }

  subscript(i: Int) -> UInt8 { base[i] }

  subscript(range: Range<Int>) -> [UInt8] { Array(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)) }

  func withUnsafeBufferPointer<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
    try body(UnsafeBufferPointer(start: base, count: count))
  }

  func withUnsafeMutableBufferPointer<R, E: Error>(_ body: (UnsafeMutableBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
    try body(UnsafeMutableBufferPointer(start: base, count: count))
  }

  func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
    try body(UnsafeMutableRawBufferPointer(start: base, count: count))
  }

  /// Grows by `more` zero bytes, keeping the contents (the base moves).
  mutating func append(contentsOf more: Repeated<UInt8>) {
    let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: count + more.count)
    larger.moveInitialize(from: base, count: count)
    (larger + count).initialize(repeating: 0, count: more.count)
    base.deallocate()
    base = larger
    count += more.count
  }

  func deallocate() { base.deallocate() }
}

/// A growable buffer of field offsets, reused for every record without reference counting.
struct FieldBounds {
  private(set) var pointer: UnsafeMutablePointer<Int>
  private var capacity: Int
  var count = 0

  init() {
    capacity = 64
    pointer = .allocate(capacity: capacity)
  }

  @inline(__always)
  mutating func append(_ value: Int) {
    if count == capacity {
      let larger = UnsafeMutablePointer<Int>.allocate(capacity: capacity * 2)
      larger.update(from: pointer, count: count)
      pointer.deallocate()
      pointer = larger
      capacity *= 2
    }
    pointer[count] = value
    count += 1
  }

  func deallocate() { pointer.deallocate() }
}

/// A file that is not well-formed CSV.
public enum CSVError: Error, Equatable, CustomStringConvertible {
  /// An empty file; `expected` says what it should hold (an event log's header by default).
  case emptyFile(path: String, expected: String = CSVError.eventLogHeader)
  case emptyColumnName(path: String, column: Int)
  case duplicateColumn(path: String, name: String, first: Int, second: Int)
  case unterminatedQuote(path: String, line: Int, field: Int)
  /// Text after the closing quote of field `field` (1-based), which closed on `closingLine`.
  case textAfterQuote(path: String, line: Int, field: Int, closingLine: Int)
  case compressed(path: String, format: String)
  case binary(path: String, reason: String, expected: String = CSVError.eventLogHeader)
  /// Bytes that are not UTF-8 in `column` (a column name, or "column 2 of the header") on
  /// `line`: `byte` at 1-based `position` of the field; `value` is the field with it replaced by U+FFFD.
  case invalidUTF8(path: String, line: Int, column: String, value: String, position: Int, byte: UInt8)
  /// A header with no comma but `count` of another separator (`name`: "semicolon", "tab", "|").
  case otherSeparator(path: String, name: String, character: String, count: Int, header: String)

  /// What an event log should hold, for the errors about an empty or binary file.
  public static let eventLogHeader = "a header line such as customer_id,timestamp,event_type,value"

  /// The separators recognized in a header that has no comma, in order of preference.
  static let otherSeparators: [(name: String, character: Character)] = [("semicolon", ";"), ("tab", "\t"), ("|", "|")]

  public var description: String {
    switch self {
    case .emptyFile(let path, let expected): return "\(path) is empty; expected \(expected)"
    case .emptyColumnName(let path, let column): return "\(path) line 1: column \(column) of the header has no name"
    case .duplicateColumn(let path, let name, let first, let second):
      return "\(path) line 1: column name \"\(MessageText.excerpt(name))\" appears twice (columns \(first) and \(second)); rename one"
    case .unterminatedQuote(let path, let line, let field):
      return "\(path) line \(line): field \(field) opens a quote that is never closed (it runs to the end of the file); "
        + "expected a closing \" — remove the stray \" or double it (\"\") inside a quoted field"
    case .compressed(let path, let format):
      return "\(path) is \(format)-compressed; expected a plain-text CSV file or one compressed with gzip (.csv.gz): "
        + "decompress it first, or recompress it with gzip"
    case .binary(let path, let reason, let expected):
      return "\(path) is not a text CSV file (\(reason)); expected UTF-8 text with \(expected)"
    case .invalidUTF8(let path, let line, let column, let value, let position, let byte):
      let hex = String(byte, radix: 16, uppercase: true)
      return "\(path) line \(line): \(MessageText.excerpt(column)) \"\(MessageText.excerpt(value))\" is not valid UTF-8 (byte 0x\(hex.count < 2 ? "0" : "")\(hex) "
        + "at byte \(position) of the value); expected UTF-8 text: save the file as UTF-8 (\"CSV UTF-8\" in a spreadsheet) "
        + "or convert it, for example with iconv -f WINDOWS-1252 -t UTF-8"
    case .otherSeparator(let path, let name, let character, let count, let header):
      let kind = name == "|" ? "|" : character == "\t" ? "tab" : character
      let plural = name == "|" ? "| characters" : count == 1 ? name : name + "s"
      let delimiter = character == "\t" ? "\\t" : character
      return "\(path) line 1: the header \"\(MessageText.excerpt(header))\" has no comma but \(count) \(plural): the file looks "
        + "\(kind)-separated; churn reads comma-separated CSV: convert it, for example with python3 -c 'import csv,sys; "
        + "csv.writer(sys.stdout).writerows(csv.reader(sys.stdin, delimiter=\"\(delimiter)\"))' < \(path) > converted.csv, "
        + "or save it from a spreadsheet as \"CSV UTF-8 (comma delimited)\""
    case .textAfterQuote(let path, let line, let field, let closingLine) where closingLine == line:
      return "\(path) line \(line): field \(field) has text after its closing quote; expected a comma or the end of the line "
        + "after a quoted field (a quote inside one is written \"\")"
    case .textAfterQuote(let path, let line, let field, let closingLine):
      return "\(path) line \(line): field \(field) opens a quote that closes on line \(closingLine) and is followed by text; "
        + "expected a comma or the end of the line after a closing quote: look for a stray \" at the start of field \(field) on line \(line)"
    }
  }
}

extension String {
  /// The string without leading and trailing spaces and tabs.
  public var trimmingSpaces: String {
    var s = Substring(self)
    while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
    while let c = s.last, c == " " || c == "\t" { s.removeLast() }
    return String(s)
  }
}

extension CSVError {
  /// The same error with its line number moved by `lines` (for records read from a byte range).
  public func shifted(by lines: Int) -> CSVError {
    switch self {
    case .unterminatedQuote(let path, let line, let field): return .unterminatedQuote(path: path, line: line + lines, field: field)
    case .textAfterQuote(let path, let line, let field, let closingLine):
      return .textAfterQuote(path: path, line: line + lines, field: field, closingLine: closingLine + lines)
    default: return self
    }
  }
}
