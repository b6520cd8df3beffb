import ChurnCore
import ChurnTestSupport
import Foundation
import Testing

/// Pass 1 of TypedCSV on several byte ranges at once gives the table of one thread, and the
/// same first error with its true line.
@Suite("Typed tables read on 1, 2 or 3 threads are the same, errors included")
struct TypedCSVThreadsTests {
  func read(_ path: String, threads: Int, kinds: [String: TypedCSV.Kind]) -> Result<TypedCSV, Error> {
    Result { try TypedCSV(path: path, idColumn: "id", kinds: kinds, threads: threads, minimumPartitionBytes: 100) }
  }

  func expectSame(_ text: String, kinds: [String: TypedCSV.Kind] = [:], _ comment: String) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("t.csv")
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let one = read(path, threads: 1, kinds: kinds)
    for threads in [2, 3] {
      switch (one, read(path, threads: threads, kinds: kinds)) {
      case (.success(let a), .success(let b)):
        #expect(a.ids == b.ids && a.lines == b.lines && a.names == b.names && a.kinds == b.kinds, "\(comment), \(threads) threads")
        #expect(a.columns.count == b.columns.count, "\(comment)")
        for (x, y) in zip(a.columns, b.columns) {
          switch (x, y) {
          case (.numeric(let u), .numeric(let v)): #expect(u.map(\.bitPattern) == v.map(\.bitPattern), "\(comment), \(threads) threads")
          default: #expect(x == y, "\(comment), \(threads) threads")
          }
        }
      case (.failure(let a), .failure(let b)):
        #expect("\(a)" == "\(b)", "\(comment), \(threads) threads")
      case (let a, let b):
        Issue.record("\(comment), \(threads) threads: one thread \(a), more \(b)")
      }
    }
  }

  @Test("Pass 1 splits a large file into many more ranges than threads, and one thread reads it whole")
  func ranges() {
    // The 948 MB bench table on 2 threads: 28 ranges of 32 MB, taken in turn as threads finish.
    #expect(TypedCSV.rangeCount(bytes: 948_000_000, threads: 2, minimumPartitionBytes: 32 << 20) == 28)
    #expect(TypedCSV.rangeCount(bytes: 10_000_000_000, threads: 2, minimumPartitionBytes: 32 << 20) == 2 * TypedCSV.rangesPerThread)
    #expect(TypedCSV.rangeCount(bytes: 948_000_000, threads: 1, minimumPartitionBytes: 32 << 20) == 1)
    #expect(TypedCSV.rangeCount(bytes: 40_000_000, threads: 2, minimumPartitionBytes: 32 << 20) == 1)
  }

  @Test("The records counted in a byte range are those a range reader reads: blank lines, CRLF, a last line without newline")
  func recordCounts() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("t.csv")
    let texts = ["a,1\nb,2\n", "a,1\n\nb,2\r\n\r\n\r\r\nc,3", "\n\n", "", "x", "\r", "a,1\r\n\rb\n", String(repeating: "c,1234\n", count: 400_000)]
    for text in texts {
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      let size = text.utf8.count
      var read = 0
      if size > 0 {
        try CSVReader(path: path, header: ["k", "v"], byteRange: 0..<size).forEachRecord { _ in read += 1 }
      }
      #expect(try TypedCSV.recordCount(path: path, range: 0..<size) == read, "\(text.prefix(20).debugDescription)")
    }
  }

  @Test("A gzip table is read on one stream whatever the threads (a compressed file has no byte ranges)")
  func gzip() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try rows(3_000) { "c\($0),\($0 % 17).5,x\($0 % 3),2024-01-0\($0 % 9 + 1),p\n" }.write(toFile: dir.file("t.csv"), atomically: true, encoding: .utf8)
    try gzipFile(dir.file("t.csv"), to: dir.file("t.csv.gz"))
    let plain = try read(dir.file("t.csv"), threads: 1, kinds: [:]).get()
    let packed = try read(dir.file("t.csv.gz"), threads: 3, kinds: [:]).get()
    #expect(packed.ids == plain.ids && packed.lines == plain.lines && packed.kinds == plain.kinds && packed.columns == plain.columns)
  }

  func rows(_ n: Int, _ row: (Int) -> String) -> String {
    "id,amount,code,joined,plan\n" + (0..<n).map(row).joined()
  }

  func plain(_ i: Int) -> String {
    "C\(i),\(i % 9 == 0 ? "" : "\(Double(i) * 0.25)"),\(i + 1),2024-03-\(String(format: "%02d", 1 + i % 28)),\(["a", "b", "NA"][i % 3])\n"
  }

  @Test("Clean tables, and every error placed in a later range: the same table or the same message with its true line")
  func sameResults() throws {
    try expectSame(rows(900, plain), "clean")
    try expectSame(rows(900) { $0 == 700 ? "C700,1,2,2024-03-01,a,extra\n" : plain($0) }, "field count")
    try expectSame(rows(900) { $0 == 650 ? " ,1,2,2024-03-01,a\n" : plain($0) }, "blank id")
    try expectSame(rows(900) { $0 == 800 ? "C800,1e300,2,2024-03-01,a\n" : plain($0) }, "out of range")
    try expectSame(rows(900) { $0 == 610 ? "C610,twelve,2,2024-03-01,a\n" : plain($0) }, "stray text")
    try expectSame(rows(900) { $0 >= 600 ? "C\($0),$\($0).50,2,2024-03-01,a\n" : "C\($0),,2,2024-03-01,a\n" }, "formatted numbers")
    try expectSame(rows(900) { $0 == 750 ? "C750,1,0123,2024-03-01,a\n" : plain($0) }, "a code with a leading zero late")
    try expectSame(rows(900) { $0 == 620 ? "C620,1,2,soon,a\n" : plain($0) }, kinds: ["joined": .date], "bad date")
    try expectSame(rows(900) { $0 == 680 ? "C680,1,x,2024-03-01,a\n" : plain($0) }, kinds: ["code": .numeric], "forced numeric")
    try expectSame(rows(900) { $0 == 640 ? "C640,1,2,2024-03-01,caf\u{E9}\n" : plain($0) }, "non-ASCII")
    try expectSame(rows(900) { $0 == 630 ? "C630,1,2,2024-03-01,\"a\nb\"\n" : plain($0) }, "quoted newline")
    // Ranges of about 400 bytes in lines of 1,000: some ranges hold no record at all.
    try expectSame(rows(20) { "C\($0),\($0),2,2024-03-01,\(String(repeating: "p", count: 1_000))\n" }, "lines longer than a range")
    // Invalid UTF-8 late in the file.
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var bytes = Array(rows(900, plain).utf8)
    let at = bytes.count - 40
    bytes[at] = 0xFF
    let path = dir.file("bad.csv")
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let one = read(path, threads: 1, kinds: [:]), two = read(path, threads: 2, kinds: [:])
    guard case .failure(let a) = one, case .failure(let b) = two else { Issue.record("no UTF-8 error: \(one), \(two)"); return }
    #expect("\(a)" == "\(b)")
  }
}
