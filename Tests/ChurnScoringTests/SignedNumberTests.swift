import ChurnScoring
import Testing

@Suite("Numbers a reader sees: no +0.0, -0.0, nan or inf")
struct SignedNumberTests {
  @Test("Signed numbers", arguments: [
    (3.14159, 1, "+3.1"), (-2.96, 1, "-3.0"), (0.05, 1, "+0.1"), (-0.05, 1, "-0.1"), (0.04, 1, "+<0.1"), (-0.0004, 2, "-<0.01"),
    (0.0, 1, "0.0"), (-0.0, 2, "0.00"), (1e-300, 3, "+<0.001"), (.nan, 1, "n/a"), (.infinity, 2, "n/a"), (-.infinity, 0, "n/a"),
    (7.5, 0, "+8"), (0.2, 0, "+<1"), (-12.345, 4, "-12.3450"),
  ] as [(Double, Int, String)])
  func signed(value: Double, decimals: Int, text: String) {
    #expect(SignedNumber.text(value, decimals: decimals) == text)
  }

  @Test("Unsigned quantities", arguments: [
    (246.0, 2, "246.00"), (-0.0, 2, "0.00"), (-0.001, 2, "0.00"), (0.004, 2, "0.00"), (12.345, 1, "12.3"), (.nan, 2, "n/a"),
  ] as [(Double, Int, String)])
  func unsigned(value: Double, decimals: Int, text: String) {
    #expect(SignedNumber.unsigned(value, decimals: decimals) == text)
  }
}
