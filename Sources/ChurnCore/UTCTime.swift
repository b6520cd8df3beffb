/// Calendar arithmetic and timestamp parsing in UTC, without Foundation's formatters.
///
/// Instants are `Int64` milliseconds since 1970-01-01T00:00:00Z. Calendar conversion uses
/// Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar), which are exact
/// for every date in ±5 million years and cost a few nanoseconds.
public enum UTCTime {
  public static let millisecondsPerDay: Int64 = 86_400_000

  /// Days since 1970-01-01 of the civil date `year-month-day`.
  @inline(__always)
  public static func days(year: Int, month: Int, day: Int) -> Int64 {
    let y = Int64(month <= 2 ? year - 1 : year)
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let m = Int64(month)
    let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  /// The civil date of `days` since 1970-01-01.
  @inline(__always)
  public static func civil(days: Int64) -> (year: Int, month: Int, day: Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    return (Int(y), Int(m), Int(d))
  }

  public static func isLeapYear(_ year: Int) -> Bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
  }

  public static func daysInMonth(year: Int, month: Int) -> Int {
    switch month {
    case 2: return isLeapYear(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// The instant `months` calendar months after midnight UTC of the first day of
  /// `year-month`, as (year, month).
  public static func addMonths(year: Int, month: Int, _ months: Int) -> (year: Int, month: Int) {
    let total = year * 12 + (month - 1) + months
    let y = total >= 0 ? total / 12 : (total - 11) / 12
    return (y, total - y * 12 + 1)
  }

  // MARK: Parsing

  /// Parses a timestamp into milliseconds since the Unix epoch, UTC.
  ///
  /// Accepted forms (a timestamp with no zone is taken to be UTC):
  /// ```
  /// 2024-03-05                      midnight UTC (also 2024/03/05)
  /// 2024-03-05T14:22                date and time, 'T' or one space between them
  /// 2024-03-05T14:22:10.123Z        seconds and up to 9 fraction digits (kept to the millisecond)
  /// 2024-03-05T14:22:10+08:00       offsets ±HH:MM, ±HHMM or ±HH; 'Z' or 'z' for UTC
  /// 20240305                        ISO 8601 basic date (exactly 8 digits): midnight UTC
  /// 1709648530   1709648530.25      Unix seconds (9–11 digits, optional + and fraction; never negative)
  /// 1709648530250                   Unix milliseconds (12–14 digits)
  /// ```
  /// Unix time is told apart by magnitude: an integer part of 9 to 11 digits is seconds
  /// (below 10¹¹ s, the year 5138), of 12 to 14 digits milliseconds (10¹¹ ms is 1973-03-03);
  /// longer numbers (microseconds, nanoseconds) are rejected, and so are numbers of 1 to 7
  /// digits (at most 116 days after 1970-01-01: a zero or a truncated value, not a real
  /// time). Eight digits are always a date, never seconds (8-digit seconds fall in 1970–1973). Returns `nil` for anything else, including
  /// out-of-range fields (month 13, February 30). No range check on the year: see
  /// `plausibleRange` for the one the event log applies.
  public static func parseMilliseconds(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
    var start = 0
    var end = bytes.count
    while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
    while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 || bytes[end - 1] == 0x0D { end -= 1 }
    guard end > start else { return nil }
    if end - start == 20, let ms = parseZulu(bytes, start) { return ms }
    if end - start >= 10, bytes[start + 4] == UInt8(ascii: "-") || bytes[start + 4] == UInt8(ascii: "/") {
      return parseISO(bytes, start, end)
    }
    if end - start == 8, digit(bytes[start]) != nil { return parseBasicDate(bytes, start) }
    return parseUnixTime(bytes, start, end)
  }

  /// Instants an event log may hold: 1900-01-01 (inclusive) to 2200-01-01 (exclusive), UTC.
  /// Anything outside is a unit or typing mistake (a zero timestamp, seconds read as days).
  public static let plausibleRange: Range<Int64> =
    days(year: 1900, month: 1, day: 1) * millisecondsPerDay..<days(year: 2200, month: 1, day: 1) * millisecondsPerDay

  /// `YYYYMMDD` at `start`: midnight UTC, or nil when not 8 digits of a valid date.
  private static func parseBasicDate(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int64? {
    guard let year = number(b, start, 4), let month = number(b, start + 4, 2), let day = number(b, start + 6, 2),
          month >= 1, month <= 12, day >= 1, day <= daysInMonth(year: year, month: month)
    else { return nil }
    return days(year: year, month: month, day: day) * millisecondsPerDay
  }

  /// Parses a timestamp string; see `parseMilliseconds(_:)` for the accepted forms.
  public static func parseMilliseconds(_ text: String) -> Int64? {
    var copy = text
    return copy.withUTF8 { parseMilliseconds($0) }
  }

  @inline(__always)
  private static func digit(_ b: UInt8) -> Int? {
    b >= 0x30 && b <= 0x39 ? Int(b &- 0x30) : nil
  }

  @inline(__always)
  private static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int, _ count: Int) -> Int? {
    var value = 0
    for i in at..<(at + count) {
      guard let d = digit(bytes[i]) else { return nil }
      value = value * 10 + d
    }
    return value
  }

  /// The most common form, `YYYY-MM-DDTHH:MM:SSZ` (20 bytes at `start`), read as three
  /// words whose separators and digits are checked all at once; nil for anything else (which
  /// `parseISO` then reads, with the same result for this form).
  @inline(__always)
  private static func parseZulu(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int64? {
    let raw = UnsafeRawPointer(b.baseAddress! + start)
    let a = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))  // YYYY-MM-
    let c = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))  // DDTHH:MM
    let e = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self)))  // :SSZ
    // Separator bytes (byte i is bits 8i..8i+7) and what they must hold.
    let separatorsA: UInt64 = 0xFF00_00FF_0000_0000, expectedA: UInt64 = 0x2D00_002D_0000_0000  // '-' at 4 and 7
    let separatorsC: UInt64 = 0x0000_FF00_00FF_0000, expectedC: UInt64 = 0x0000_3A00_0054_0000  // 'T' at 2, ':' at 5
    let separatorsE: UInt64 = 0xFF00_00FF, expectedE: UInt64 = 0x5A00_003A  // ':' at 0, 'Z' at 3
    guard a & separatorsA == expectedA, c & separatorsC == expectedC, e & separatorsE == expectedE else { return nil }
    // Digits become 0...9, every other byte a value over 9; separators are cleared to 0.
    let zeros: UInt64 = 0x3030_3030_3030_3030
    let da = (a ^ zeros) & ~separatorsA, dc = (c ^ zeros) & ~separatorsC, de = (e ^ 0x3030_3030) & ~separatorsE
    // A byte over 9 (or with its top bit set) sets its top bit here: + 0x76 carries no further.
    let high: UInt64 = 0x8080_8080_8080_8080, bias: UInt64 = 0x7676_7676_7676_7676
    guard ((da &+ bias) | da | (dc &+ bias) | dc | (de &+ bias) | de) & high == 0 else { return nil }
    @inline(__always) func d(_ word: UInt64, _ i: Int) -> Int { Int(truncatingIfNeeded: (word >> UInt64(8 * i)) & 0xFF) }
    let year = d(da, 0) * 1000 + d(da, 1) * 100 + d(da, 2) * 10 + d(da, 3)
    let month = d(da, 5) * 10 + d(da, 6), day = d(dc, 0) * 10 + d(dc, 1)
    let hour = d(dc, 3) * 10 + d(dc, 4), minute = d(dc, 6) * 10 + d(dc, 7), second = d(de, 1) * 10 + d(de, 2)
    guard month >= 1, month <= 12, day >= 1, day <= daysInMonth(year: year, month: month), hour <= 23, minute <= 59, second <= 60
    else { return nil }
    return days(year: year, month: month, day: day) * millisecondsPerDay + Int64(hour * 3_600_000 + minute * 60_000 + min(second, 59) * 1000)
  }

  private static func parseISO(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int64? {
    let separator = b[start + 4]
    guard b[start + 7] == separator,
          let year = number(b, start, 4), let month = number(b, start + 5, 2), let day = number(b, start + 8, 2),
          month >= 1, month <= 12, day >= 1, day <= daysInMonth(year: year, month: month)
    else { return nil }
    var ms = days(year: year, month: month, day: day) * millisecondsPerDay
    var i = start + 10
    if i == end { return ms }
    guard b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == 0x20, end - i >= 6,
          let hour = number(b, i + 1, 2), b[i + 3] == UInt8(ascii: ":"), let minute = number(b, i + 4, 2),
          hour <= 23, minute <= 59
    else { return nil }
    ms += Int64(hour * 3_600_000 + minute * 60_000)
    i += 6
    if i < end, b[i] == UInt8(ascii: ":") {
      guard end - i >= 3, let second = number(b, i + 1, 2), second <= 60 else { return nil }
      ms += Int64(min(second, 59) * 1000)
      i += 3
      if i < end, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
        i += 1
        var fraction = 0
        var scale = 100
        let fractionStart = i
        while i < end, let d = digit(b[i]) {
          fraction += d * scale
          scale /= 10
          i += 1
        }
        guard i > fractionStart, i - fractionStart <= 9 else { return nil }
        ms += Int64(fraction)
      }
    }
    if i == end { return ms }
    let zone = b[i]
    if zone == UInt8(ascii: "Z") || zone == UInt8(ascii: "z") { return i + 1 == end ? ms : nil }
    guard zone == UInt8(ascii: "+") || zone == UInt8(ascii: "-") else { return nil }
    let sign: Int64 = zone == UInt8(ascii: "+") ? 1 : -1
    i += 1
    guard end - i >= 2, let offsetHours = number(b, i, 2), offsetHours <= 23 else { return nil }
    i += 2
    var offsetMinutes = 0
    if i < end {
      if b[i] == UInt8(ascii: ":") { i += 1 }
      guard end - i == 2, let m = number(b, i, 2), m <= 59 else { return nil }
      offsetMinutes = m
      i += 2
    }
    guard i == end else { return nil }
    // Local time = UTC + offset, so UTC = local − offset.
    return ms - sign * Int64(offsetHours * 3_600_000 + offsetMinutes * 60_000)
  }

  /// Unix seconds (integer part of 9 to 11 digits, optional fraction) or milliseconds (12 to
  /// 14 digits, optional fraction dropped), with an optional `+`; a minus sign is refused.
  private static func parseUnixTime(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int64? {
    var i = start
    // A negative Unix time is a sign slip, not an event before 1970: refused (it read as 1916).
    if b[i] == UInt8(ascii: "-") { return nil }
    if b[i] == UInt8(ascii: "+") { i += 1 }
    let integerStart = i
    var whole: Int64 = 0
    while i < end, let d = digit(b[i]) {
      guard i - integerStart < 14 else { return nil }  // microseconds or beyond: not a timestamp we read
      whole = whole * 10 + Int64(d)
      i += 1
    }
    guard i - integerStart >= 9 else { return nil }
    let isMilliseconds = whole >= 100_000_000_000
    var millis: Int64 = 0
    if i < end {
      guard b[i] == UInt8(ascii: ".") else { return nil }
      i += 1
      var scale: Int64 = 100
      while i < end, let d = digit(b[i]) {
        millis += Int64(d) * scale
        scale /= 10
        i += 1
      }
      guard i == end else { return nil }
    }
    let total = isMilliseconds ? whole : whole * 1000 + millis
    return total
  }

  // MARK: Formatting

  /// `YYYY-MM-DD` for the UTC day containing `milliseconds`.
  public static func formatDate(milliseconds: Int64) -> String {
    var bytes: [UInt8] = []
    appendDate(milliseconds: milliseconds, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// `YYYY-MM-DDTHH:MM:SSZ` (milliseconds dropped when zero, else `.mmm`).
  public static func formatDateTime(milliseconds: Int64) -> String {
    var bytes: [UInt8] = []
    appendDateTime(milliseconds: milliseconds, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Appends `YYYY-MM-DD` (UTC) to a byte buffer.
  @inline(__always)
  public static func appendDate(milliseconds: Int64, to out: inout [UInt8]) {
    let day = floorDiv(milliseconds, millisecondsPerDay)
    let (y, m, d) = civil(days: day)
    appendPadded(y, width: 4, to: &out)
    out.append(UInt8(ascii: "-"))
    appendPadded(m, width: 2, to: &out)
    out.append(UInt8(ascii: "-"))
    appendPadded(d, width: 2, to: &out)
  }

  /// Appends `YYYY-MM-DDTHH:MM:SSZ` (UTC; `.mmm` before the `Z` when milliseconds are not zero).
  @inline(__always)
  public static func appendDateTime(milliseconds: Int64, to out: inout [UInt8]) {
    appendDate(milliseconds: milliseconds, to: &out)
    let inDay = Int(milliseconds - floorDiv(milliseconds, millisecondsPerDay) * millisecondsPerDay)
    out.append(UInt8(ascii: "T"))
    appendPadded(inDay / 3_600_000, width: 2, to: &out)
    out.append(UInt8(ascii: ":"))
    appendPadded(inDay / 60_000 % 60, width: 2, to: &out)
    out.append(UInt8(ascii: ":"))
    appendPadded(inDay / 1000 % 60, width: 2, to: &out)
    if inDay % 1000 != 0 {
      out.append(UInt8(ascii: "."))
      appendPadded(inDay % 1000, width: 3, to: &out)
    }
    out.append(UInt8(ascii: "Z"))
  }

  @inline(__always)
  static func appendPadded(_ value: Int, width: Int, to out: inout [UInt8]) {
    if value < 0 {
      out.append(UInt8(ascii: "-"))
      appendPadded(-value, width: width, to: &out)
      return
    }
    var digits = 1
    var probe = value
    while probe >= 10 { probe /= 10; digits += 1 }
    if digits < width { for _ in digits..<width { out.append(UInt8(ascii: "0")) } }
    var divisor = 1
    for _ in 1..<digits { divisor *= 10 }
    var rest = value
    while divisor > 0 {
      out.append(UInt8(truncatingIfNeeded: 0x30 + rest / divisor))
      rest %= divisor
      divisor /= 10
    }
  }

  @inlinable @inline(__always)
  public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
  }
}
