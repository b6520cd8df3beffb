import ChurnCore
import Foundation
import Testing
@testable import ChurnFeatures

/// The query's shape and its errors (its values are proven on the engines in SQLEqualityTests).
struct FeatureQueryTests {
  static func design(horizon: CalendarSpan = .days(30)) throws -> ObservationDesign {
    try ObservationDesign(cutoffs: [UTCTime.parseMilliseconds("2025-01-31")!, UTCTime.parseMilliseconds("2025-03-01")!], horizon: horizon)
  }

  static func spec() throws -> FeatureSpec {
    try FeatureQuery.defaultSpec(eventTypes: ["login", "order", "upsell_declined", "upsell_accepted"], valuedTypes: ["order"])
  }

  @Test func cutoffGridIsValuesWithCalendarMonthsComputedHere() throws {
    let query = try FeatureQuery(spec: try Self.spec(), observation: try Self.design(horizon: .months(1)), dialect: .duckdb, eventsTable: "events")
    // 2025-01-31 + 1 month = 2025-02-28 (clamped), 1740700800000 ms, day 20147; 2025-03-01 + 1m = 2025-04-01.
    #expect(query.text.contains("(0, '2025-01-31', 1738281600000, 20119, 1738281600000, 20119, 1740700800000, 20147, 20088)"))
    #expect(query.text.contains("(1, '2025-03-01', 1740787200000, 20148, 1740787200000, 20148, 1743465600000, 20179, 20120)"))
    #expect(!query.text.lowercased().contains("generate_series"))
    #expect(query.text.contains("daily AS (") && query.text.contains("GROUP BY cid, etype, d"))
  }

  @Test func columnNamesAreTheFeatureFilesInOrder() throws {
    let spec = try Self.spec()
    let query = try FeatureQuery(spec: spec, observation: try Self.design(), dialect: .postgres, eventsTable: "crm.events")
    #expect(query.columnNames.first == "customer_id" && query.columnNames[1] == "cutoff" && query.columnNames.last == "label")
    #expect(query.columnNames.contains("streak_upsell_declined") && query.columnNames.contains("pct_change_sum_order_90d"))
    #expect(query.columnNames.count == 3 + spec.builtInNames().count + spec.eventTypes.flatMap(spec.names(of:)).count)
    for name in query.columnNames { #expect(query.text.contains("AS \"\(name)\""), "\(name) is not an output column") }
  }

  @Test func dialectsQuoteAndConvertTimesTheirOwnWay() throws {
    let spec = try Self.spec()
    let spark = try FeatureQuery(spec: spec, observation: try Self.design(), dialect: .spark, eventsTable: "events").text
    #expect(spark.contains("unix_millis(CAST(`timestamp` AS TIMESTAMP))") && spark.contains("AS `r_score`") && spark.contains("FROM VALUES"))
    let postgres = try FeatureQuery(spec: spec, observation: try Self.design(), dialect: .postgres, eventsTable: "events").text
    #expect(postgres.contains("CAST(FLOOR(EXTRACT(EPOCH FROM \"timestamp\") * 1000) AS BIGINT)") && postgres.contains("COLLATE \"C\""))
    let duckdb = try FeatureQuery(spec: spec, observation: try Self.design(), dialect: .duckdb, eventsTable: "events").text
    #expect(duckdb.contains("epoch_ms(CAST(\"timestamp\" AS TIMESTAMP))"))
    #expect(SQLDialect.spark.literal("it's a \\ b") == "'it\\'s a \\\\ b'")
    #expect(SQLDialect.postgres.literal("it's") == "'it''s'")
  }

  @Test func errorsSayWhatWasFoundAndTheFix() throws {
    let spec = try Self.spec()
    #expect(throws: FeatureQueryError.badTableName(option: "events table", name: "events; drop table x")) {
      try FeatureQuery(spec: spec, observation: try Self.design(), dialect: .duckdb, eventsTable: "events; drop table x")
    }
    #expect(FeatureQueryError.badTableName(option: "events table", name: "a b").description
      == "events table \"a b\" is not a table name; expected letters, digits and _ in dot-separated parts such as crm.events")
    var withAttributes = spec
    withAttributes.attributes = [FeatureSpec.Attribute(name: "plan", kind: .categorical)]
    #expect(throws: FeatureQueryError.attributesWithoutCustomersTable(attribute: "plan")) {
      try FeatureQuery(spec: withAttributes, observation: try Self.design(), dialect: .duckdb, eventsTable: "events")
    }
    #expect(FeatureQueryError.attributesWithoutCustomersTable(attribute: "plan").description
      == "the feature spec uses customer attributes (such as plan) but no customers table is given; add --customers-table NAME")
    #expect(throws: FeatureQueryError.unknownPurchaseType(name: "sale", types: ["login", "order"])) {
      try FeatureQuery.defaultSpec(eventTypes: ["login", "order"], valuedTypes: [], purchaseTypes: ["sale"])
    }
    #expect(FeatureQueryError.unknownPurchaseType(name: "sale", types: ["login", "order"]).description
      == "purchase type \"sale\" is not one of the event types login, order; add it to --event-types or fix --purchase-types")
    _ = try FeatureQuery(spec: spec, observation: try Self.design(), dialect: .duckdb, eventsTable: "crm.events_2024")
  }

  @Test func defaultSpecIsTheDerivedOnesShape() throws {
    let spec = try FeatureQuery.defaultSpec(eventTypes: ["event", "login", "Order"], valuedTypes: ["Order"], windows: [60, 7])
    // Tokens as churn features makes them: "event" would repeat days_since_last_event.
    #expect(spec.eventTypes.map(\.token) == ["order", "event_2", "login"])
    #expect(spec.purchaseTypes == ["Order"] && spec.rfmWindowDays == 60 && spec.windows == [7, 60])
    #expect(spec.excludedFamilies == ["pct_change"])  // no 30-day window
  }
}
