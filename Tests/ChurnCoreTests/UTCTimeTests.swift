import ChurnCore
import Foundation
import Testing

@Suite("UTC calendar arithmetic and timestamp parsing")
struct UTCTimeTests {
  @Test("Days from civil round-trips over 1900–2200 and agrees with Foundation")
  func civilRoundTrip() {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    var day = UTCTime.days(year: 1900, month: 1, day: 1)
    let last = UTCTime.days(year: 2200, month: 12, day: 31)
    while day <= last {
      let (y, m, d) = UTCTime.civil(days: day)
      #expect(UTCTime.days(year: y, month: m, day: d) == day)
      day += 37
    }
    let reference = calendar.date(from: DateComponents(year: 2024, month: 2, day: 29))!
    #expect(Double(UTCTime.days(year: 2024, month: 2, day: 29) * 86_400) == reference.timeIntervalSince1970)
    #expect(UTCTime.days(year: 1970, month: 1, day: 1) == 0)
    #expect(UTCTime.civil(days: -1) == (1969, 12, 31))
  }

  @Test("Accepted timestamp forms", arguments: [
    ("2024-03-05", "2024-03-05T00:00:00Z"),
    ("2024/03/05", "2024-03-05T00:00:00Z"),
    ("2024-03-05T14:22:10Z", "2024-03-05T14:22:10Z"),
    ("2024-03-05 14:22:10", "2024-03-05T14:22:10Z"),
    ("2024-03-05T14:22", "2024-03-05T14:22:00Z"),
    ("2024-03-05T14:22:10.5Z", "2024-03-05T14:22:10.500Z"),
    ("2024-03-05T14:22:10.123456789Z", "2024-03-05T14:22:10.123Z"),
    ("2024-03-05T14:22:10+08:00", "2024-03-05T06:22:10Z"),
    ("2024-03-05T01:00:00+0200", "2024-03-04T23:00:00Z"),
    ("2024-03-05T22:00:00-05", "2024-03-06T03:00:00Z"),
    ("  2024-03-05T14:22:10z \r", "2024-03-05T14:22:10Z"),
    ("1709648530", "2024-03-05T14:22:10Z"),
    ("1709648530.25", "2024-03-05T14:22:10.250Z"),
    ("+1709648530", "2024-03-05T14:22:10Z"),
    ("100000000", "1973-03-03T09:46:40Z"),  // the smallest number read as seconds (9 digits)
    ("20250105", "2025-01-05T00:00:00Z"),  // ISO 8601 basic date, not Unix seconds (1970-08-23)
    (" 19991231 ", "1999-12-31T00:00:00Z"),
    ("99999999999", "5138-11-16T09:46:39Z"),  // the largest number read as seconds
    ("100000000000", "1973-03-03T09:46:40Z"),  // the smallest read as milliseconds
    ("173000000000", "1975-06-26T07:33:20Z"),  // 12 digits: milliseconds (was seconds, year 7452)
    ("1709648530250", "2024-03-05T14:22:10.250Z"),
    ("1709648530250.9", "2024-03-05T14:22:10.250Z"),
    ("99999999999999", "5138-11-16T09:46:39.999Z"),
  ])
  func accepted(input: String, expected: String) throws {
    let ms = try #require(UTCTime.parseMilliseconds(input))
    #expect(UTCTime.formatDateTime(milliseconds: ms) == expected)
  }

  @Test("The one-pass reading of YYYY-MM-DDTHH:MM:SSZ equals the general one ('z', '+00:00') on 200,000 valid and invalid texts")
  func zulu() {
    var rng = SeededGenerator(seed: 20, stream: 0)
    func pick(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.uniform() * Double(range.count)) }
    var valid = 0
    for _ in 0..<200_000 {
      var text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", pick(1000...2999), pick(0...13), pick(0...32), pick(0...25), pick(0...61), pick(0...61))
      if rng.uniform() < 0.05 {
        var bytes = Array(text.utf8)
        bytes[pick(0...18)] = [UInt8(ascii: "x"), 0x2F, 0x3A, 0x20][pick(0...3)]
        text = String(decoding: bytes, as: UTF8.self)
      }
      let fast = UTCTime.parseMilliseconds(text + "Z")
      #expect(fast == UTCTime.parseMilliseconds(text + "z") && fast == UTCTime.parseMilliseconds(text + "+00:00"), "\(text)Z")
      if fast != nil { valid += 1 }
    }
    #expect(valid > 50_000)
  }

  @Test("YYYY-MM-DDTHH:MM:SSZ with any one byte replaced by any other reads as the general reading does")
  func zuluAnyByte() {
    var rng = SeededGenerator(seed: 21, stream: 0)
    func pick(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.uniform() * Double(range.count)) }
    for _ in 0..<100_000 {
      var bytes = Array(String(format: "%04d-%02d-%02dT%02d:%02d:%02d", pick(1890...2210), pick(1...12), pick(1...28), pick(0...23),
                               pick(0...59), pick(0...59)).utf8)
      bytes[pick(0...18)] = UInt8(pick(0...255))
      let z = bytes + [UInt8(ascii: "Z")], offset = bytes + Array("+00:00".utf8)
      let viaZ = z.withUnsafeBufferPointer { UTCTime.parseMilliseconds($0) }
      let viaOffset = offset.withUnsafeBufferPointer { UTCTime.parseMilliseconds($0) }
      #expect(viaZ == viaOffset, "\(String(decoding: z, as: UTF8.self))")
    }
  }

  @Test("Rejected timestamps", arguments: [
    "", "   ", "2024-13-01", "2023-02-29", "2024-04-31", "2024-03-05T24:00:00Z", "2024-03-05T12:60",
    "2024-03-05T12:00:00+25:00", "2024-03-05T12:00:00Zjunk", "2024-03-05X12:00", "03/05/2024",
    "yesterday", "1709648530x", "2024-03-05T12:00:00.Z", "2024-3-5", "12.5.3",
    "20251301", "20250230", "12345678", "2025010", "0", "-86400", "99999999",
    // A negative Unix time is a sign slip, not an event before 1970 (it read as 1916, exit 0).
    "-100000000", "-1700000000", "-1700000000000", "-0", "-1709648530.5", "100000000000000", "1709648530250000",
  ])
  func rejected(input: String) {
    #expect(UTCTime.parseMilliseconds(input) == nil)
  }

  @Test("The plausible range is 1900-01-01 to 2200-01-01, exclusive")
  func plausibleRange() {
    #expect(UTCTime.plausibleRange.lowerBound == UTCTime.parseMilliseconds("1900-01-01"))
    #expect(UTCTime.plausibleRange.upperBound == UTCTime.parseMilliseconds("2200-01-01"))
  }

  @Test("Formatting negative and pre-epoch instants")
  func formatting() {
    #expect(UTCTime.formatDate(milliseconds: -1) == "1969-12-31")
    #expect(UTCTime.formatDateTime(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
    #expect(UTCTime.formatDate(milliseconds: 1_709_648_530_000) == "2024-03-05")
  }

  @Test("Adding months crosses years both ways")
  func months() {
    #expect(UTCTime.addMonths(year: 2024, month: 11, 3) == (2025, 2))
    #expect(UTCTime.addMonths(year: 2024, month: 1, -1) == (2023, 12))
    #expect(UTCTime.addMonths(year: 2024, month: 1, -13) == (2022, 12))
    #expect(UTCTime.daysInMonth(year: 2100, month: 2) == 28)
    #expect(UTCTime.daysInMonth(year: 2000, month: 2) == 29)
  }
}
