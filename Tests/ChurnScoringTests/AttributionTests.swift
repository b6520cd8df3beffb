import ChurnScoring
import Testing

@Suite("The attribution table")
struct AttributionTests {
  @Test("A column's category is the first rule its name contains; the rest are account", arguments: [
    ("count_complaint_30d", "service"), ("mean_resolution_hours_90d", "service"), ("count_ticket_response_30d", "service"),
    ("mean_payment_30d", "finance"), ("MonthlyCharges", "finance"), ("contract", "commercial"), ("frequency_365d", "commercial"),
    ("days_since_last_login", "engagement"), ("tenure_days", "engagement"), ("industry", "account"), ("region", "account"),
  ])
  func category(column: String, expected: String) {
    #expect(Attribution().category(of: column) == expected)
  }

  @Test("Shares are each category's summed weight over the total (negative weights count as 0), largest first, ties by name")
  func shares() {
    let groups = Attribution().grouped([
      ("count_complaint_30d", 0.3), ("mean_resolution_90d", 0.05), ("mean_payment_30d", 0.2), ("contract", 0.25),
      ("industry", 0.2), ("tenure", -0.1),
    ])
    // Total 0.3 + 0.05 + 0.2 + 0.25 + 0.2 = 1.0: service 0.35, commercial 0.25, account 0.2, finance 0.2, engagement 0.
    #expect(groups.map(\.category) == ["service", "commercial", "account", "finance", "engagement"])
    let expected = [0.35, 0.25, 0.2, 0.2, 0]
    for (g, share) in zip(groups, expected) { #expect(abs(g.share - share) < 1e-12, "\(g.category)") }
    #expect(abs(groups.reduce(0) { $0 + $1.share } - 1) < 1e-12)
    #expect(groups[0].columns.map(\.column) == ["count_complaint_30d", "mean_resolution_90d"])
    #expect(groups[4].columns.map(\.column) == ["tenure"] && groups[4].weight == 0)
    #expect(Attribution().grouped([("a", 0), ("b", -1)]).allSatisfy { $0.share == 0 })
  }

  @Test("Rules from a CSV replace the defaults; a bad line is an error naming it")
  func customRules() throws {
    let rules = try Attribution.rules(csv: "pattern,category\nSeat,product\n\nlogin,usage\n")
    #expect(rules == [.init(pattern: "seat", category: "product"), .init(pattern: "login", category: "usage")])
    let attribution = Attribution(rules: rules, fallback: "other")
    #expect(attribution.category(of: "seats_used") == "product" && attribution.category(of: "complaints") == "other")
    #expect(throws: AttributionError.badRule(path: "rules", line: 2, text: "seat")) {
      try Attribution.rules(csv: "pattern,category\nseat\n")
    }
    #expect("\(AttributionError.badRule(path: "rules", line: 2, text: "seat"))"
      == "rules line 2: \"seat\" is not pattern,category; expected two fields separated by a comma, such as ticket,service")
    #expect(throws: AttributionError.noRules(path: "my rules")) { try Attribution.rules(csv: "pattern,category\n\n", name: "my rules") }
    #expect(try Attribution.rules(csv: "\"a,b\",c") == [.init(pattern: "a,b", category: "c")])
  }
}
