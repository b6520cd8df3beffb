import ChurnCore
import ChurnFeatures
import Testing

@Suite("Calendar spans: limits and overflow-free arithmetic")
struct CalendarSpanTests {
  @Test("Spans parse up to 100 years and name the option and the limit beyond")
  func limits() throws {
    #expect(try CalendarSpan.parse("36500d", option: "--horizon") == .days(36_500))
    #expect(try CalendarSpan.parse("5214w", option: "--horizon") == .days(36_498))
    #expect(try CalendarSpan.parse("1200m", option: "--horizon") == .months(1_200))
    #expect(try CalendarSpan.parse(" 30 ", option: "--horizon") == .days(30))
    func message(_ text: String) -> String {
      do { _ = try CalendarSpan.parse(text, option: "--horizon"); return "" } catch { return "\(error)" }
    }
    #expect(message("36501d") == "--horizon 36501d is too long; expected at most 36500 days (100 years)")
    #expect(message("1201m") == "--horizon 1201m is too long; expected at most 1200 months (100 years)")
    #expect(message("9223372036854775808d") == "--horizon 9223372036854775808d is too long; expected at most 36500 days (100 years)")
    #expect(message("0d") == "--horizon \"0d\" is not a length of time; expected for example 30d, 4w or 1m")
    #expect(message("-5d") == "--horizon \"-5d\" is not a length of time; expected for example 30d, 4w or 1m")
    #expect(message("30x") == "--horizon \"30x\" is not a length of time; expected for example 30d, 4w or 1m")
    #expect(CalendarSpan.parse("200000000000d") == nil)
    #expect(throws: FeatureError.spanTooLong(option: "horizon", text: "40000d", months: false)) {
      try ObservationDesign(cutoffs: [0], horizon: .days(40_000))
    }
    #expect(throws: FeatureError.cutoffStepTooLong(range: "2024-01-01:2024-02-01:99999m", step: "99999m", months: true)) {
      try ObservationDesign.cutoffRange("2024-01-01:2024-02-01:99999m")
    }
  }

  @Test("Adding spans saturates instead of overflowing; ordinary sums are exact")
  func saturation() {
    let day = UTCTime.millisecondsPerDay
    #expect(CalendarSpan.days(30).added(to: 0) == 30 * day)
    #expect(CalendarSpan.months(1).added(to: UTCTime.days(year: 2024, month: 1, day: 31) * day)
      == UTCTime.days(year: 2024, month: 2, day: 29) * day)
    #expect(CalendarSpan.days(Int.max).added(to: 0) == .max)
    #expect(CalendarSpan.days(Int.max).added(to: 0, times: -1) == .min)
    #expect(CalendarSpan.days(1).added(to: .max - 5) == .max)
    #expect(CalendarSpan.months(Int.max).added(to: 0, times: 2) == .max)
    #expect(CalendarSpan.months(1_000).added(to: 0, times: -1_000_000) == .min)
    #expect(CalendarSpan.months(1).added(to: .max) == .max)
    #expect(CalendarSpan.months(1).added(to: .min, times: -1) == .min)
  }
}
