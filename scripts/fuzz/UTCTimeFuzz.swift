// libFuzzer harness for UTCTime.parseMilliseconds (Sources/ChurnCore/UTCTime.swift); built by
// scripts/fuzz-parsers.
//
// Property: for any bytes the parser returns an instant or nil, never traps; the String and
// byte entry points agree; a parsed instant formats without trapping, and one inside the
// plausible range (1900–2199) parses back from its own ISO 8601 form to the same millisecond.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUTCTime(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeBufferPointer(start: data, count: size)
  let parsed = UTCTime.parseMilliseconds(bytes)
  if let text = String(validating: bytes, as: UTF8.self) {
    precondition(UTCTime.parseMilliseconds(text) == parsed, "String and byte parsers disagree on \(text.debugDescription)")
  }
  if let ms = parsed {
    let date = UTCTime.formatDate(milliseconds: ms)
    let dateTime = UTCTime.formatDateTime(milliseconds: ms)
    if UTCTime.plausibleRange.contains(ms) {
      precondition(UTCTime.parseMilliseconds(dateTime) == ms, "\(dateTime) does not parse back to \(ms)")
      let day = UTCTime.floorDiv(ms, UTCTime.millisecondsPerDay) * UTCTime.millisecondsPerDay
      precondition(UTCTime.parseMilliseconds(date) == day, "\(date) does not parse back to \(day)")
    }
  }
  return 0
}
