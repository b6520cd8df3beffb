import ChurnCore
import ChurnTestSupport
import Foundation
import Testing

@Suite("gzip-compressed CSV read as a stream")
struct GzipInputTests {
  /// Every record's fields and line, and the header.
  func read(_ path: String, blockSize: Int = 4 << 20) throws -> (header: [String], rows: [[String]], lines: [Int]) {
    try csvRecords(path, blockSize: blockSize)
  }

  /// A CSV of `rows` rows with quoted fields, embedded newlines, CRLF and blank lines (seeded).
  static func text(rows: Int, seed: UInt64 = 7) -> String {
    var rng = SeededGenerator(seed: seed)
    var out = "\u{FEFF}id,name,note\r\n"
    for i in 0..<rows {
      switch rng.next() % 10 {
      case 0: out += "\(i),\"Smith, J\",\"two\nlines\"\n"
      case 1: out += "\n"
      case 2: out += "\(i),plain,\"said \"\"hi\"\"\"\r\n"
      default: out += "\(i),name\(rng.next() % 1000),\(rng.next() % 100_000)\n"
      }
    }
    return out
  }

  @Test("A .csv.gz gives the same header, records and line numbers as the plain file", arguments: [1024, 4 << 20])
  func sameAsPlain(blockSize: Int) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    // About 2.5 MB: several read-ahead blocks past the first buffer.
    try Self.text(rows: 100_000).write(toFile: dir.file("f.csv"), atomically: true, encoding: .utf8)
    try gzipFile(dir.file("f.csv"), to: dir.file("f.csv.gz"))
    let plain = try read(dir.file("f.csv"), blockSize: blockSize)
    let compressed = try read(dir.file("f.csv.gz"), blockSize: blockSize)
    #expect(plain.rows.count > 90_000)
    #expect(compressed.header == plain.header)
    #expect(compressed.rows == plain.rows)
    #expect(compressed.lines == plain.lines)
  }

  @Test("A gzip file is read as such whatever its name; a plain one named .gz is read as plain text")
  func byMagicNotName() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try gzipped(Data("a,b\n1,2\n".utf8)).write(to: URL(fileURLWithPath: dir.file("data.csv")))
    try "a,b\n3,4\n".write(toFile: dir.file("plain.csv.gz"), atomically: true, encoding: .utf8)
    #expect(try read(dir.file("data.csv")).rows == [["1", "2"]])
    #expect(try CSVReader(path: dir.file("data.csv")).isGzip)
    #expect(try read(dir.file("plain.csv.gz")).rows == [["3", "4"]])
    #expect(try !CSVReader(path: dir.file("plain.csv.gz")).isGzip)
  }

  @Test("Members joined as by cat a.gz b.gz are read one after the other, as zcat does")
  func multiMember() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let joined = try gzipped(Data("id,x\n1,a\n2,b\n".utf8)) + gzipped(Data()) + gzipped(Data("3,c\n\n4,d".utf8))
    try joined.write(to: URL(fileURLWithPath: dir.file("joined.csv.gz")))
    let r = try read(dir.file("joined.csv.gz"))
    #expect(r.header == ["id", "x"])
    #expect(r.rows == [["1", "a"], ["2", "b"], ["3", "c"], ["4", "d"]])
    #expect(r.lines == [2, 3, 4, 6])
  }

  @Test("An empty file compressed is an empty file")
  func empty() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try gzipped(Data()).write(to: URL(fileURLWithPath: dir.file("e.csv.gz")))
    #expect(throws: CSVError.emptyFile(path: dir.file("e.csv.gz"))) { _ = try CSVReader(path: dir.file("e.csv.gz")) }
  }

  /// 1,470 bytes in 41 lines: a header and 40 events.
  static let events = "customer_id,timestamp,event_type,value\n"
    + (1...40).map { "C\(String(1000 + $0)),2024-03-\(String(format: "%02d", $0 % 28 + 1))T10:00:00Z,login,\($0)\n" }.joined()

  @Test("A file cut short is a typed error giving the bytes of data and the line where it stops")
  func truncated() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("events.csv.gz")
    let whole = try gzipped(Data(Self.events.utf8))
    #expect(Self.events.utf8.count == 1470)
    // Without its 8-byte trailer (CRC and size): every byte of data, and no end.
    try whole.dropLast(8).write(to: URL(fileURLWithPath: path))
    let error = GzipError.truncated(path: path, bytes: 1470, line: 41)
    #expect(throws: error) { _ = try read(path) }
    #expect(GzipError.truncated(path: "events.csv.gz", bytes: 12_345_678, line: 40_000).description
      == "events.csv.gz is cut short: the gzip stream ends after 12,345,678 bytes of data (line 40,000); expected the "
      + "complete file: it was probably copied or downloaded only in part, so copy it again (gzip -t events.csv.gz checks a file)")
    #expect(GzipError.truncated(path: "e.gz", bytes: 0, line: 0).description
      == "e.gz is cut short: the gzip stream ends before its first byte of data; expected the complete file: it was "
      + "probably copied or downloaded only in part, so copy it again (gzip -t e.gz checks a file)")
    // Only the magic bytes.
    try Data([0x1F, 0x8B]).write(to: URL(fileURLWithPath: path))
    #expect(throws: GzipError.truncated(path: path, bytes: 0, line: 0)) { _ = try read(path) }
  }

  @Test("Cut anywhere, the error's line is the line of the last byte of data it gives", arguments: [1024, 4 << 20])
  func truncatedAnywhere(blockSize: Int) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("f.csv.gz")
    let text = Array(Self.text(rows: 60_000, seed: 3).utf8)
    let whole = try gzipped(Data(text))
    for fraction in [0.1, 0.5, 0.9] {
      try whole.prefix(Int(Double(whole.count) * fraction)).write(to: URL(fileURLWithPath: path))
      do {
        _ = try read(path, blockSize: blockSize)
        Issue.record("no error at \(fraction)")
      } catch let GzipError.truncated(_, bytes, line) {
        #expect(bytes > 0 && bytes < text.count)
        let newlines = text[0..<(bytes - 1)].filter { $0 == 0x0A }.count
        #expect(line == newlines + 1, "cut at \(fraction): \(bytes) bytes")
      }
    }
  }

  @Test("Regression (found by fuzzing): output zlib still holds when the input runs out is handed out before the error",
        arguments: [1024, 16 << 10])
  func outputHeldAtTheEnd(blockSize: Int) throws {
    // A member cut inside a long match: the last input byte is read before the last 3 bytes of
    // data are written, and a reader with a 1,024-byte buffer lost them.
    let bytes: [UInt8] = [
      0x1F, 0x8B, 0x08, 0x00, 0x00, 0x09, 0x00, 0x00, 0x02, 0x03, 0x4B, 0x2E, 0x2D, 0x2E, 0xC9, 0xCF, 0x4D, 0x2D, 0x8A, 0xCF,
      0x4C, 0xD1, 0x29, 0xC9, 0xCC, 0xCD, 0x2B, 0x89, 0x2F, 0xA9, 0x2C, 0x48, 0x4B, 0x29, 0x4D, 0xE5, 0x72, 0x72, 0x72, 0x72,
      0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x72, 0x36, 0xD4, 0x31,
      0x3B, 0x30, 0x32, 0xD1, 0x35, 0x53, 0x30, 0xD6, 0x72, 0x72, 0x72, 0x36, 0xD4, 0x31, 0x3B, 0x30, 0x32, 0xD1, 0x35, 0x53,
      0x2E, 0xD6, 0x35, 0x70, 0x9B, 0x85, 0x18, 0x72, 0x36, 0xD4, 0x31, 0xC9, 0xC9, 0x4F, 0xE5, 0x72, 0x36, 0xD4, 0x31, 0x32,
      0x1A, 0x52, 0x42, 0x08, 0x9B, 0x85, 0x18, 0x72, 0x36, 0xD4, 0x31, 0x32, 0x1A, 0x52, 0x42, 0x08, 0x9B, 0x85, 0x18, 0x1A,
      0x58, 0x19, 0x80, 0x50, 0xCC, 0x29, 0x4D, 0xCD, 0x2B, 0x89, 0x2F, 0xA9, 0x2C, 0x48, 0x4B, 0x32,
    ]
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("f.csv.gz")
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    #expect(throws: GzipError.truncated(path: path, bytes: 1027, line: 14)) { _ = try read(path, blockSize: blockSize) }
  }

  struct Stop: Error {}

  @Test("Regression (found by fuzzing): a reader given up early, blocks still in flight, ends its read-ahead thread",
        arguments: [1, 100, 20_000])
  func stopEarly(after records: Int) throws {
    // A thrown error dropped the reader while the thread held blocks: libdispatch trapped on
    // freeing a semaphore below its starting value.
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try Self.text(rows: 200_000).write(toFile: dir.file("f.csv"), atomically: true, encoding: .utf8)
    try gzipFile(dir.file("f.csv"), to: dir.file("f.csv.gz"))
    for blockSize in [1024, 4 << 20] {
      var seen = 0
      #expect(throws: Stop.self) {
        try CSVReader(path: dir.file("f.csv.gz"), blockSize: blockSize).forEachRecord { _ in
          seen += 1
          if seen == records { throw Stop() }
        }
      }
    }
  }

  @Test("Damaged data is a typed error with zlib's reason")
  func corrupt() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("events.csv.gz")
    var bytes = try gzipped(Data(Self.events.utf8))
    bytes[bytes.count - 8] ^= 0xFF  // the CRC: every byte inflates, the check fails
    try bytes.write(to: URL(fileURLWithPath: path))
    #expect(throws: GzipError.corrupt(path: path, bytes: 1470, line: 41, reason: "incorrect data check")) { _ = try read(path) }
    // Bytes after the last member that are not another member.
    try (gzipped(Data(Self.events.utf8)) + Data("trailing text".utf8)).write(to: URL(fileURLWithPath: path))
    #expect(throws: GzipError.corrupt(path: path, bytes: 1470, line: 41, reason: "incorrect header check")) { _ = try read(path) }
    #expect(GzipError.corrupt(path: "e.csv.gz", bytes: 1470, line: 41, reason: "incorrect data check").description
      == "e.csv.gz is damaged: its gzip data cannot be decompressed after 1,470 bytes of data (line 41) (zlib: incorrect "
      + "data check); expected intact gzip data: copy or export the file again (gzip -t e.csv.gz checks a file)")
  }

  @Test("The checks for binary and UTF-16 text concern the decompressed bytes")
  func binaryInside() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("events.csv.gz")
    try gzipped(Data(Array("id,na".utf8) + [0, 0, 0x41] + Array(",x\n1,2\n".utf8))).write(to: URL(fileURLWithPath: path))
    #expect(throws: CSVError.binary(path: path, reason: "its first line holds NUL bytes")) { _ = try CSVReader(path: path) }
    try gzipped(Data([0xFF, 0xFE, 0x61, 0x00, 0x2C, 0x00])).write(to: URL(fileURLWithPath: path))
    #expect(throws: CSVError.binary(path: path, reason: "it is UTF-16 text; save it as UTF-8")) { _ = try CSVReader(path: path) }
    try gzipped(Data([0x28, 0xB5, 0x2F, 0xFD, 1, 2, 3])).write(to: URL(fileURLWithPath: path))
    #expect(throws: CSVError.compressed(path: path, format: "zstd")) { _ = try CSVReader(path: path) }
  }
}
