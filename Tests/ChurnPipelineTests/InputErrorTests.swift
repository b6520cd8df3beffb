import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

@Suite("Library errors of features, describe and simulate")
struct InputErrorTests {
  @Test("Window lists: distinct ascending days; a bad item, an empty list and a long window are refused with their text")
  func windows() throws {
    #expect(try ObservationPlan.windowDays("30, 7,30,90") == [7, 30, 90])
    func message(_ text: String) -> String? {
      do { _ = try ObservationPlan.windowDays(text); return nil } catch { return "\(error)" }
    }
    #expect(message("7,0,30") == "--windows \"7,0,30\": \"0\" is not a whole number of days from 1 to 3660; expected a list such as 7,30,90")
    #expect(message("7.5") == "--windows \"7.5\": \"7.5\" is not a whole number of days from 1 to 3660; expected a list such as 7,30,90")
    #expect(message(" , ") == "--windows \" , \" is not a list of day counts; expected for example 7,30,90")
    #expect(message("3661") == FeatureError.windowOutOfRange(days: "3661").description)
  }

  @Test("A missing event log and a start that is not a month")
  func missing() {
    #expect(MissingInputError.noEventLog.description == "no event log given; use --events FILE.csv")
    #expect(throws: SimulationStartError.notAMonth("2024-13")) {
      try SimulationSettings(customerCount: 10, months: 6, start: "2024-13", seed: 1, threads: 1)
    }
    #expect(SimulationStartError.notAMonth("2024-13").description == "--start \"2024-13\" is not a month; expected YYYY-MM such as 2024-01")
    #expect((try? SimulationSettings(customerCount: 10, months: 6, start: "1999-02", seed: 1, threads: 1))
      == SimulationSettings(customerCount: 10, months: 6, seed: 1, startYear: 1999, startMonth: 2, threads: 1))
  }

  @Test("DataProfile reads the log and the table; a churn-date column that is not there is an error naming the header")
  func profile() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let settings = SimulationSettings(customerCount: 50, months: 4, seed: 2, startYear: 2024, startMonth: 1, threads: 1)
    let summary = try CustomerSimulator(settings: settings).write(to: dir.path)
    let profile = try DataProfile(EventData(events: dir.file("events.csv"), customers: dir.file("customers.csv")))
    #expect(profile.events.events == summary.events && profile.customers?.rows == 50)
    #expect(profile.customers?.churned == summary.churnedCustomers)
    // The customer table refuses a named churn-date column it lacks before the profile is made.
    do {
      _ = try DataProfile(EventData(events: dir.file("events.csv"), customers: dir.file("customers.csv"), churnDateColumn: "ended"))
      Issue.record("a missing churn-date column was accepted")
    } catch {
      #expect("\(error)".hasPrefix("\(dir.file("customers.csv")): no column \"ended\"; the header has customer_id, industry"))
    }
    #expect(DataProfileError.noChurnDateColumn(path: "c.csv", name: "ended", header: ["customer_id", "plan"]).description
      == "c.csv: no column \"ended\" for the churn date; the header has customer_id, plan. Name the right column with --churn-date-column")
  }
}
