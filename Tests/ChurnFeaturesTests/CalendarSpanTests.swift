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
    #expect(message("0d") == "--horizon \"0d\" is zero; expected a length of at least one day, for example 30d, 4w or 1m")
    #expect(message("000") == "--horizon \"000\" is zero; expected a length of at least one day, for example 30d, 4w or 1m")
    #expect(message("-5d") == "--horizon \"-5d\" is negative; expected a positive length of time, for example 30d, 4w or 1m")
    #expect(message("1.5m") == "--horizon \"1.5m\" is not a whole number; expected whole days, weeks or months, for example 45d rather than 1.5m")
    #expect(message("1y") == "--horizon \"1y\": unit \"y\" is not d (days), w (weeks) or m (months); expected for example 30d, 4w or 1m (a year is 12m)")
    #expect(message("12h") == "--horizon \"12h\": unit \"h\" is not d (days), w (weeks) or m (months); expected for example 30d, 4w or 1m (a year is 12m)")
    #expect(message("30x") == "--horizon \"30x\": unit \"x\" is not d (days), w (weeks) or m (months); expected for example 30d, 4w or 1m (a year is 12m)")
    #expect(message("soon") == "--horizon \"soon\" is not a length of time; expected for example 30d, 4w or 1m")
    #expect(message("d") == "--horizon \"d\" is not a length of time; expected for example 30d, 4w or 1m")
    #expect(message("") == "--horizon \"\" is not a length of time; expected for example 30d, 4w or 1m")
    #expect(message("1-2d") == "--horizon \"1-2d\" is not a length of time; expected for example 30d, 4w or 1m")
    #expect(throws: FeatureError.zeroSpan(option: "horizon", text: "0d")) { try ObservationDesign(cutoffs: [0], horizon: .days(0)) }
    #expect(throws: FeatureError.negativeSpan(option: "active window", text: "-1m")) {
      try ObservationDesign(cutoffs: [0], horizon: .days(30), activeWindow: .months(-1))
    }
    #expect(CalendarSpan.parse("200000000000d") == nil)
    #expect(throws: FeatureError.spanTooLong(option: "horizon", text: "40000d", months: false)) {
      try ObservationDesign(cutoffs: [0], horizon: .days(40_000))
    }
    #expect(throws: FeatureError.cutoffStepTooLong(range: "2024-01-01:2024-02-01:99999m", step: "99999m", months: true)) {
      try ObservationDesign.cutoffRange("2024-01-01:2024-02-01:99999m")
    }
  }

  @Test("Each malformed cutoff range gets its own message: parts, dates, order, step")
  func cutoffRanges() throws {
    func message(_ text: String) -> String {
      do { _ = try ObservationDesign.cutoffRange(text); return "" } catch { return "\(error)" }
    }
    #expect(message("2024-01-01:2024-12-01") == "cutoff range \"2024-01-01:2024-12-01\" has 2 parts separated by \":\"; expected three, "
      + "FROM:TO:STEP, for example 2024-01-01:2024-12-01:30d (dates without a time; steps in d, w or m)")
    #expect(message("2024-01-01T00:00:00Z:2024-12-01:1m").hasPrefix("cutoff range \"2024-01-01T00:00:00Z:2024-12-01:1m\" has 5 parts"))
    #expect(message("2024-13-01:2024-12-01:1m")
      == "cutoff range \"2024-13-01:2024-12-01:1m\": FROM \"2024-13-01\" is not a date; expected FROM:TO:STEP with dates such as 2024-01-01:2024-12-01:1m")
    #expect(message("2024-01-01::1m")
      == "cutoff range \"2024-01-01::1m\": TO \"\" is not a date; expected FROM:TO:STEP with dates such as 2024-01-01:2024-12-01:1m")
    #expect(message("2024-12-01:2024-01-01:1m")
      == "cutoff range \"2024-12-01:2024-01-01:1m\": TO 2024-01-01 is before FROM 2024-12-01; expected FROM on or before TO: swap them")
    #expect(message("2024-01-01:2024-12-01:0d")
      == "cutoff range \"2024-01-01:2024-12-01:0d\": step \"0d\" is zero; expected a length of at least one day, for example 30d, 4w or 1m")
    #expect(message("2024-01-01:2024-12-01:-1m")
      == "cutoff range \"2024-01-01:2024-12-01:-1m\": step \"-1m\" is negative; expected a positive length of time, for example 30d, 4w or 1m")
    #expect(message("2024-01-01:2024-12-01:1y")
      == "cutoff range \"2024-01-01:2024-12-01:1y\": step \"1y\": unit \"y\" is not d (days), w (weeks) or m (months); expected for example 30d, 4w or 1m (a year is 12m)")
    #expect(message("2024-01-01:2024-12-01:monthly")
      == "cutoff range \"2024-01-01:2024-12-01:monthly\": step \"monthly\" is not a length of time; expected for example 30d, 4w or 1m")
    #expect(try ObservationDesign.cutoffRange("2024-01-01:2024-01-01:1m").count == 1)
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
