import ChurnCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// glibc's `strtod` over the whole text (the test oracle), or nil when it does not consume all of it.
func strtodReference(_ text: String) -> Double? {
  text.withCString { start in
    var end: UnsafeMutablePointer<CChar>?
    let value = strtod(start, &end)
    return end.map { start.distance(to: UnsafePointer($0)) } == text.utf8.count && !text.isEmpty ? value : nil
  }
}

@Suite("Number parsing: the accepted grammar and correct rounding")
struct NumberParsingTests {
  // The grammar as the strtod-backed parser accepted it (pinned against that implementation):
  // spaces/tabs around, trailing CRs, then [+-] (digits [. digits*] | . digits) [(e|E) [+-] digits].
  @Test("Accepted syntax: signs, bare points, exponents, surrounding spaces and trailing CRs", arguments: [
    ("5.", 5.0), ("+.5e3", 500), ("1e+5", 1e5), ("1E5", 1e5), ("-.5", -0.5), ("+5.", 5), ("5.e3", 5000),
    (".5e-3", 0.0005), ("00012", 12), ("+0", 0), ("0.", 0), ("1.5E+03", 1500), ("0000.000123", 0.000123),
    ("0e999999999999999999999", 0), ("1e0000000000000000000000000000001", 10), (" 1", 1), ("1\r", 1),
    ("\t1 \r", 1), ("1\r\r", 1), ("1 \r", 1), ("1e-400", 0), ("1e400", .infinity), ("3e-324", 5e-324),
    ("2e-324", 0), ("1.7976931348623159e308", .infinity),
  ] as [(String, Double)])
  func accepted(text: String, value: Double) {
    #expect(NumberParsing.double(text)?.bitPattern == value.bitPattern)
  }

  @Test("Negative zero keeps its sign", arguments: ["-0", "-0.0", "-0e5", "-.0", "-1e-400", "-0000.000e-99999"])
  func negativeZero(text: String) {
    #expect(NumberParsing.double(text)?.bitPattern == (-0.0).bitPattern)
  }

  @Test("Rejected syntax: lone signs and points, dangling exponents, doubled marks, inner spaces, leading CR", arguments: [
    "1e", "-", "1.2.3", "+", ".", ".e1", "e1", "1e+", "1e-", "--1", "+-1", "1-", "1e5.", "1.e", "1..", "\r1",
    "1 2", "1e+-5", "1ee5", "e", "E", "  ", "-.", "+.e", "1e5e", ". 5", "5 .", "0x1p3", "1_0", "١", "1e5+",
    "infinity", "-nan", "1d5", "1f", "+ 1", "1\n", "1,0", "\u{0}1", "1\u{0}",
  ])
  func rejected(text: String) {
    #expect(NumberParsing.double(text) == nil)
  }
}
