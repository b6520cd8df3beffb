import ChurnCore
import ChurnTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Number parsing: the accepted grammar and correct rounding")
struct NumberParsingTests {
  // The grammar as the strtod-backed parser accepted it (pinned against that implementation):
  // spaces/tabs around, trailing CRs, then [+-] (digits [. digits*] | . digits) [(e|E) [+-] digits].
  @Test("Accepted syntax: signs, bare points, exponents, surrounding spaces and trailing CRs", arguments: [
    ("5.", 5.0), ("+.5e3", 500), ("1e+5", 1e5), ("1E5", 1e5), ("-.5", -0.5), ("+5.", 5), ("5.e3", 5000),
    (".5e-3", 0.0005), ("00012", 12), ("+0", 0), ("0.", 0), ("1.5E+03", 1500), ("0000.000123", 0.000123),
    ("0e999999999999999999999", 0), ("1e0000000000000000000000000000001", 10), (" 1", 1), ("1\r", 1),
    ("\t1 \r", 1), ("1\r\r", 1), ("1 \r", 1), ("1e-400", 0), ("1e400", .infinity), ("3e-324", .leastNonzeroMagnitude),
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

  static let long = "1" + String(repeating: "0", count: 200)
  static let halfway53 = "9007199254740993"  // 2^53 + 1: halfway between 2^53 and 2^53 + 2

  // Each compared bit for bit with glibc's strtod.
  @Test("Hard cases round as strtod does", arguments: [
    // Smallest subnormal, its neighbours and the point halfway below it.
    "4.9406564584124654e-324", "4.9406564584124655e-324", "2.4703282292062327e-324", "2.4703282292062328e-324",
    "2.47032822920623272088284396434110686182529901307162382212792841250337753635104375932649918180817996189898282347722858865463328355177969898199387398005390939063150356595155702263922908583924491051844359318028499365361525003193704576782492193656236698636584807570015857692699037063119282795585513329278343384093519780155312465972635795746227664652728272200563740064854999770965994704540208281662262378573934507363390079677619305775067401763246736009689513405355374585166611342237666786041621596804619144672918403005300575308490487653917113865916462395249126236538818796362393732804238910186723484976682350898633885879256283027559956575244555072551893136908362547791869486679949683240497058210285131854513962138377228261454376934125320985913276672363281255e-324",
    "1e-324", "3e-324", "5e-324", "7.4109846876186982e-324",
    // Largest subnormal and smallest normal.
    "2.2250738585072009e-308", "2.2250738585072011e-308", "2.2250738585072012e-308", "2.2250738585072014e-308",
    "2.225073858507201136057409796709131975934819546351645648e-308",
    // Largest finite and the overflow boundary.
    "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "1.797693134862315807937289714053e308",
    "1.797693134862315807937289714054e308", "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791.9999999999999999999999999999999999999999999999999999999999999999999999",
    "8.98846567431158e307", "1e308", "1e309", "-1e309",
    // 2^53 + 1 (a tie that goes to even, down) in many forms, and its neighbours.
    "9007199254740993", "9007199254740993.0", "9007199254740993.000000000000000000000000000001", "9.007199254740993e15",
    "900719925474099.3e1", "0.9007199254740993e16", "9007199254740993e0", "90071992547409930e-1", "9007199254740995",
    "9007199254740994.9999999999999999999", "9007199254740995.0000000000000000001", "18014398509481987", "18014398509481986",
    // 0.1, 0.2, 0.3 with 17 to 25 digits, 1e23 and its neighbours.
    "0.1", "0.10000000000000001", "0.1000000000000000055511151231257827", "0.1000000000000000055511151231257828",
    "0.2", "0.20000000000000001", "0.2000000000000000111022302462515654", "0.3", "0.29999999999999998890", "0.30000000000000004",
    "0.3000000000000000444089209850062616169452667236328125", "1e23", "9.9999999999999991611392e22", "1.00000000000000008388608e23",
    "8.3886080000000000000001e6", "4.5035996273704955e15", "4.5035996273704965e15",
    // Exponents far outside the range, written with many digits.
    "1e-325", "1e-340", "1e-342", "1e-343", "9e-343", "1e-400", "123456789e-400", "1e325", "1e-350", "0.00000000000000000000000000000000000000001e-300",
    "1000000000000000000000000000000000000000e-364", "1e400", "-1e-400", "-0.0", "0000.000123", "000000000000000000000000000000001",
    // Long mantissas whose last nonzero digit, far out, decides a tie.
    "9007199254740993" + String(repeating: "0", count: 500) + "1e-500", "9007199254740993" + String(repeating: "0", count: 900) + "e-900",
    "9007199254740993" + String(repeating: "0", count: 900) + "1e-901", "0." + String(repeating: "0", count: 400) + "12345678901234567890123456789e420",
    long, "0." + long + "e-150", "2.2250738585072011" + String(repeating: "0", count: 1000) + "1e-308",
    // Ordinary values.
    "-0.38493712345678912", "-0.384937", "123456.789012", "3.141592653589793238462643383279502884197", "1.5e-5", "100",
  ])
  func hardCases(text: String) {
    let reference = NumberTexts.strtodReference(Array(text.utf8))
    #expect(reference != nil)
    #expect(NumberParsing.double(text)?.bitPattern == reference?.bitPattern, "\(text)")
  }

  @Test("Fields of any length parse: the 64-byte limit is gone")
  func longFields() {
    #expect(NumberParsing.double(String(repeating: "1", count: 64)) == 1111111111111111111111111111111111111111111111111111111111111111.0)
    #expect(NumberParsing.double("0." + String(repeating: "0", count: 100_000) + "5e100001") == 5)
    #expect(NumberParsing.double(String(repeating: "9", count: 5000) + "e-5000") == 1)
  }

  @Test("Random texts of every kind parse bit for bit as strtod does (seeded)", arguments: [UInt64(1), 2])
  func randomTexts(seed: UInt64) {
    let (count, examples) = NumberTexts.differences(count: 500_000, seed: seed)
    #expect(count == 0, "seed \(seed): \(count) differences, e.g. \(examples)")
  }
}
