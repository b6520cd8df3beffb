import ChurnPipeline
import Testing

@Suite("ObservationPlan")
struct ObservationPlanTests {
  @Test("Cutoffs from a range and single dates, sorted and distinct; the horizon parsed")
  func cutoffs() throws {
    let plan = try ObservationPlan(cutoffs: "2025-01-01:2025-03-01:1m", cutoff: ["2025-02-01", "2024-12-01"], horizon: "30d")
    #expect(plan.cutoffs.map { UTCTime.formatDate(milliseconds: $0) } == ["2024-12-01", "2025-01-01", "2025-02-01", "2025-03-01"])
    #expect(plan.horizon.description == "30d")
  }

  @Test("Each unusable value is refused with its text")
  func errors() {
    func message(_ make: () throws -> ObservationPlan) -> String? {
      do { _ = try make(); return nil } catch { return "\(error)" }
    }
    #expect(message { try ObservationPlan(cutoff: ["2025-01-01"], dataEnd: "soon") }
      == "--data-end \"soon\" is not a date; expected ISO 8601 such as 2025-01-01")
    #expect(message { try ObservationPlan(cutoff: ["2025-01-01"], leadDays: -1) } == "--lead -1 is negative; expected a number of days ≥ 0")
    #expect(message { try ObservationPlan(cutoff: ["2025-01-01"], windows: []) } == "no feature window given; expected day counts such as 7,30,90")
    #expect(message { try ObservationPlan() } == FeatureError.noCutoffs.description)
  }
}
