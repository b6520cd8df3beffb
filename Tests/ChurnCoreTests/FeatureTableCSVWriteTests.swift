import ChurnCore
import ChurnTestSupport
import Foundation
import Testing

@Suite("Writing a feature table as CSV")
struct FeatureTableCSVWriteTests {
  /// `appendNumber`'s documented form, spelled out with `DecimalFormatting.appendFixed`.
  func reference(_ value: Double) -> String {
    if value.isNaN { return "" }
    if value == value.rounded(), abs(value) < 9.007_199_254_740_992e15 { return String(Int(value)) }
    guard abs(value) < 1e9 else { return value.description }
    var bytes: [UInt8] = []
    DecimalFormatting.appendFixed(value, fractionDigits: 9, to: &bytes)
    var text = String(decoding: bytes, as: UTF8.self)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
  }

  func number(_ value: Double) -> String {
    var bytes: [UInt8] = []
    CSVField.appendNumber(value, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  @Test("Numbers: integers bare, up to 9 decimals without trailing zeros, large ones in Swift's form, NaN empty")
  func numbers() {
    let pinned: [(Double, String)] = [
      (0, "0"), (-0.0, "0"), (3, "3"), (-3, "-3"), (0.5, "0.5"), (-0.5, "-0.5"), (102095.16000000002, "102095.16"),
      (1e-10, "0"), (-1e-10, "0"), (2.9999999999, "3"), (0.000000001, "0.000000001"), (-123.4560001, "-123.4560001"),
      (999_999_999.5, "999999999.5"), (1e9 + 0.5, "1000000000.5"), (9.007_199_254_740_992e15, "9007199254740992.0"),
      (-4503599627370497, "-4503599627370497"), (1e300, "1e+300"), (.nan, ""),
    ]
    for (value, text) in pinned { #expect(number(value) == text, "\(value)") }
    var generator = SeededGenerator(seed: 3)
    for _ in 0..<20_000 {
      let magnitude = Double.random(in: -12...12, using: &generator)
      let value = (Bool.random(using: &generator) ? 1 : -1) * Foundation.pow(10, magnitude)
      #expect(number(value) == reference(value), "\(value)")
      let cents = (value * 100).rounded() / 100
      #expect(number(cents) == reference(cents), "\(cents)")
    }
  }

  /// A table of `rows` rows with every kind of field: ids that need quotes, dates and
  /// date-times, numbers, missing values, categories, unknown labels.
  func table(rows: Int) -> FeatureTable {
    let day = UTCTime.millisecondsPerDay
    let ids = (0..<rows).map { (i: Int) -> String in
      if i % 97 == 0 { return "c,\(i)" }
      return i % 89 == 0 ? " c\"\(i)\"" : "c\(i)"
    }
    let cutoffs = (0..<rows).map { (i: Int) -> Int64 in
      let midnight = Int64(19_900 + i / 3000) * day
      return i % 2 == 0 ? midnight : midnight + Int64(i % 1000) * 1001
    }
    let x = (0..<rows).map { (i: Int) -> Double in i % 7 == 0 ? .nan : Double(i) / 7 - 100 }
    let n = (0..<rows).map { (i: Int) -> Double in Double(i % 13) }
    let levels = ["basic", "pro, yearly", "\"max\""]
    let plan = (0..<rows).map { (i: Int) -> String? in i % 5 == 0 ? nil : levels[i % 3] }
    let labels = (0..<rows).map { (i: Int) -> Double in i % 11 == 0 ? .nan : Double(i % 2) }
    return FeatureTable(ids: ids, cutoffs: cutoffs, columnNames: ["x", "plan", "n"],
                        columns: [.numeric(x), .categorical(plan), .numeric(n)], labels: labels)
  }

  @Test("The file's bytes do not depend on the thread count, across many blocks of rows", arguments: [1, 2, 3, 8])
  func threads(threads: Int) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let t = table(rows: 20_000)
    try t.writeCSV(to: dir.file("one.csv"), threads: 1)
    try t.writeCSV(to: dir.file("many.csv"), threads: threads)
    let one = try Data(contentsOf: URL(fileURLWithPath: dir.file("one.csv")))
    #expect(one == (try Data(contentsOf: URL(fileURLWithPath: dir.file("many.csv")))))
    let lines = String(decoding: one, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 20_002 && lines.last == "")
    #expect(lines[0] == "customer_id,cutoff,x,plan,n,label")
    #expect(lines[1] == "\"c,0\",2024-06-26,,,0,")
    #expect(lines[2] == "c1,2024-06-26T00:00:01.001Z,-99.857142857,\"pro, yearly\",1,1")
    #expect(lines[3] == "c2,2024-06-26,-99.714285714,\"\"\"max\"\"\",2,0")
    #expect(lines[4] == "c3,2024-06-26T00:00:03.003Z,-99.571428571,basic,3,1")
    #expect(lines[90] == "\" c\"\"89\"\"\",2024-06-26T00:01:29.089Z,-87.285714286,\"\"\"max\"\"\",11,1")
    #expect(lines[20_000] == "c19999,2024-07-02T00:16:39.999Z,,\"pro, yearly\",5,1")
  }

  @Test("An empty table is its header line")
  func empty() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try table(rows: 0).writeCSV(to: dir.file("e.csv"), threads: 4)
    #expect(try String(contentsOfFile: dir.file("e.csv"), encoding: .utf8) == "customer_id,cutoff,x,plan,n,label\n")
  }
}
