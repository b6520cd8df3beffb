import ChurnCore
import ChurnFeatures

extension MonthlyAnalysis {
  /// The analysis of the labelled rows at the plan's cutoffs and of the survey and NPS events
  /// of the tables of a PostgreSQL database: the server computes the feature rows
  /// (`ObservationPlan.features(_:spec:extraNumeric:log:)` with a `DatabaseSource`) and sends
  /// the events of the two types. What `init(_:plan:settings:log:)` makes from the same data as files.
  ///
  /// - Throws: `DatabaseError`, and the errors of `init(_:plan:settings:log:)`.
  public init(_ source: DatabaseSource, plan: ObservationPlan, settings: Settings = Settings(), log: JobLog = .silent) throws {
    try Self.checkTypes(settings)
    let result = try plan.features(source, log: log).result
    let categorical = result.spec.attributes.filter { $0.kind == .categorical }.map(\.name)
    let responses = try SurveyResponses(source, surveyType: settings.surveyType, npsType: settings.npsType)
    try self.init(rows: result.table, categorical: categorical, hasCustomerTable: source.customersTable != nil, responses: responses,
                  settings: settings, features: FeatureRunSummary(result))
  }
}

extension SurveyResponses {
  /// The events of `surveyType` and `npsType` in the events table of `source` (types compared
  /// exactly, as text), in time order (ties by value): one query. A table without a value
  /// column gives blank answers, as a log without one does.
  ///
  /// A month's mean satisfaction adds its answers in this order, a file's in file order: with
  /// whole-number answers (the usual 0-100 or 0-10 scores) the sums are exact either way.
  ///
  /// - Throws: `DatabaseError` when the server cannot be reached or refuses the query.
  public init(_ source: DatabaseSource, surveyType: String, npsType: String) throws {
    let connection = try PostgresConnection(url: source.url)
    let type = "CAST(\(DatabaseSource.identifier(source.columns.eventType)) AS TEXT)"
    let timestamp = DatabaseSource.identifier(source.columns.timestamp)
    let value = try source.valueColumn(connection).map { "CAST(\(DatabaseSource.identifier($0)) AS DOUBLE PRECISION)" } ?? "CAST(NULL AS DOUBLE PRECISION)"
    let sql = """
      SELECT CAST(floor(extract(epoch FROM \(timestamp)) * 1000) AS BIGINT) AS t, \(value) AS v, \(type) = \(DatabaseSource.literal(npsType)) AS nps
        FROM \(DatabaseSource.table(source.eventsTable))
       WHERE \(type) IN (\(DatabaseSource.literal(surveyType)), \(DatabaseSource.literal(npsType)))
       ORDER BY 1, 2
      """
    var surveys: [(time: Int64, value: Double)] = [], nps: [(time: Int64, value: Double)] = []
    try connection.query(sql) { row in
      guard let time = row.string(0).flatMap({ Int64($0) }) else { return }
      let answer = (time, row.double(1) ?? .nan)
      if row.string(2) == "t" { nps.append(answer) } else { surveys.append(answer) }
    }
    self.init(surveys: surveys, nps: nps)
  }
}
