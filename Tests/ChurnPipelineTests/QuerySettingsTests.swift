import ChurnPipeline
import Testing

/// `QuerySettings`: what is given wins, the defaults fill the rest, and the query it compiles
/// is the one `FeatureQuery` writes for the same values.
@Suite struct QuerySettingsTests {
  @Test func givenValuesWinAndDefaultsFillTheRest() throws {
    var settings = QuerySettings()
    settings.cutoff = ["2025-03-01"]
    let plain = try settings.plan(model: nil)
    #expect(plain.horizon == (try CalendarSpan.parse("30d", option: "--horizon")))
    #expect(settings.eventColumns(model: nil) == EventLogColumns(customer: "customer_id", timestamp: "timestamp", eventType: "event_type", value: "value"))
    #expect(settings.customerColumns(model: nil, events: settings.eventColumns(model: nil))
      == FeatureQuery.CustomerColumns(id: "customer_id", signup: "signup_date", churnDate: "churn_date"))

    settings.horizon = "2w"
    settings.customerColumn = "account"
    settings.noValueColumn = true
    settings.noChurnDateColumn = true
    settings.signupColumn = "joined"
    #expect(try settings.plan(model: nil).horizon == (try CalendarSpan.parse("2w", option: "--horizon")))
    let columns = settings.eventColumns(model: nil)
    #expect(columns.customer == "account" && columns.value == nil)
    // Without a churn date the labels are inactivity labels; the id defaults to the events' customer column.
    #expect(settings.customerColumns(model: nil, events: columns) == FeatureQuery.CustomerColumns(id: "account", signup: "joined", churnDate: nil))
  }

  @Test func theQueryIsFeatureQuerysForTheSameValues() throws {
    var settings = QuerySettings()
    settings.cutoffs = "2025-01-01:2025-03-01:1m"
    settings.windows = [7, 30]
    let query = try settings.query(.eventTypes(["login", "order"], valued: ["order"]), dialect: .duckdb, eventsTable: "events")
    let spec = try FeatureQuery.defaultSpec(eventTypes: ["login", "order"], valuedTypes: ["order"], windows: [7, 30])
    let expected = try FeatureQuery(spec: spec, observation: try ObservationPlan(cutoffs: "2025-01-01:2025-03-01:1m", windows: [7, 30]).design(),
                                    dialect: .duckdb, eventsTable: "events")
    #expect(query.text == expected.text)
    #expect(query.columnNames.contains("count_order_30d") && !query.columnNames.contains("count_order_90d"))
  }
}
