import ChurnPipeline
import ChurnTestSupport
import Foundation
import Testing

/// The libpq client against the private test cluster: rows stream back with their types,
/// errors carry the server's message and the query's first line, and passwords never show.
@Suite struct PostgresConnectionTests {
  @Test func streamsRowsWithTheirTypes() throws {
    let database = try PostgresServer.shared().makeDatabase("stream")
    try database.run("""
      CREATE TABLE t (id text, n bigint, x double precision, flag boolean, note text);
      INSERT INTO t VALUES ('c1', 3, 0.1::float8 + 0.2::float8, true, 'é'), ('c2', NULL, NULL, false, NULL), ('c3', -7, 1e-300, NULL, 'a|b');
      """)
    let connection = try PostgresConnection(url: database.url)
    #expect(connection.serverVersion / 10000 == 15)
    var seen: [String] = []
    var described: [PostgresColumn] = []
    let columns = try connection.query("SELECT id, n, x, flag, note FROM t ORDER BY id", columns: { described = $0 }) { row in
      #expect(row.count == 5)
      let numbers: [String] = [1, 2, 3].map { "\(row.double($0)!)" }
      let texts: [String] = [row.string(0) ?? "NULL"] + numbers + [row.string(4) ?? "NULL"]
      seen.append(texts.joined(separator: ","))
    }
    #expect(columns == described)
    #expect(columns.map(\.name) == ["id", "n", "x", "flag", "note"])
    #expect(columns.map(\.typeOID) == [25, 20, 701, 16, 25])
    #expect(columns.map(\.isNumeric) == [false, true, true, true, false])
    // Doubles come back exactly (PostgreSQL prints the shortest text that reads back the same).
    let sum: Double = 0.1 + 0.2
    let expected: [String] = ["c1,3.0,\(sum),1.0,é", "c2,nan,nan,0.0,NULL", "c3,-7.0,1e-300,nan,a|b"]
    #expect(seen == expected)
  }

  @Test func streamsAManyRowResultOneRowAtATime() throws {
    let database = try PostgresServer.shared().makeDatabase("many")
    let connection = try PostgresConnection(url: database.url)
    var count = 0, sum = 0.0
    try connection.query("SELECT g, g * 0.5 FROM generate_series(1, 200000) AS g") { row in
      count += 1
      sum += row.double(1)!
    }
    #expect(count == 200_000)
    let expectedSum: Double = 0.5 * 200_000 * 200_001 / 2
    #expect(sum == expectedSum)
    // An empty result still describes its columns.
    var names: [String] = []
    try connection.query("SELECT 1 AS one WHERE false", columns: { names = $0.map(\.name) }) { _ in Issue.record("no row expected") }
    #expect(names == ["one"])
  }

  @Test func queryErrorsNameTheServersMessageAndTheFirstLine() throws {
    let database = try PostgresServer.shared().makeDatabase("qerr")
    let connection = try PostgresConnection(url: database.url)
    let error = try #require(throws: DatabaseError.self) {
      try connection.query("\n  SELECT nope\n  FROM generate_series(1, 3) AS g") { _ in }
    }
    let expected = "PostgreSQL at \(database.url) refused the query beginning \"SELECT nope\": column \"nope\" does not exist (SQLSTATE 42703)"
    #expect(error.description == expected)
    // The connection is usable afterwards.
    var one: String?
    try connection.query("SELECT 1") { one = $0.string(0) }
    #expect(one == "1")
  }

  @Test func aThrowingRowHandlerStopsTheQueryAndKeepsTheConnection() throws {
    struct Enough: Error {}
    let database = try PostgresServer.shared().makeDatabase("stop")
    let connection = try PostgresConnection(url: database.url)
    var count = 0
    #expect(throws: Enough.self) {
      try connection.query("SELECT g FROM generate_series(1, 1000000) AS g") { _ in
        count += 1
        if count == 10 { throw Enough() }
      }
    }
    #expect(count == 10)
    var two: String?
    try connection.query("SELECT 2") { two = $0.string(0) }
    #expect(two == "2")
  }

  @Test func aWrongPasswordIsNeverPrinted() throws {
    let database = try PostgresServer.shared().makeDatabase("pw")
    // Roles belong to the whole cluster, which other tests share: a name of this database's.
    let role = "reader_\(database.name)"
    try database.run("CREATE ROLE \(role) LOGIN PASSWORD 'Hunter2-secret'")
    let socket = database.server.socketDirectory
    let good = "postgresql://\(role):Hunter2-secret@/\(database.name)?host=\(socket)"
    var answer: String?
    try PostgresConnection(url: good).query("SELECT current_user") { answer = $0.string(0) }
    #expect(answer == role)

    let bad = "postgresql://\(role):Wrong%2Dsecret@/\(database.name)?host=\(socket)"
    let error = try #require(throws: DatabaseError.self) { try PostgresConnection(url: bad) }
    var expected = "could not connect to PostgreSQL at postgresql://\(role):***@/\(database.name)?host=\(socket): "
    expected += "connection to server on socket \"\(socket)/.s.PGSQL.5432\" failed: FATAL:  password authentication failed for user \"\(role)\"; "
    expected += "expected a reachable server and valid credentials; fix: check the URL (postgresql://user@host:port/database, a socket folder as ?host=/path) "
    expected += "or PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD"
    #expect(error.description == expected)
    #expect(!error.description.contains("Wrong"))

    // libpq echoes a URL it cannot parse: the password is hidden there too.
    let malformed = try #require(throws: DatabaseError.self) { try PostgresConnection(url: "postgresql://reader:Hunter2-secret@[::1/db") }
    #expect(malformed.description.hasPrefix(
      "could not connect to PostgreSQL at postgresql://reader:***@[::1/db: end of string reached when looking for matching \"]\" in IPv6 host address in URI: \"postgresql://reader:***@[::1/db\"; "))
    #expect(!malformed.description.contains("Hunter2"))
  }

  @Test func redactsPasswordsInEveryForm() {
    #expect(PostgresURL.redacted("postgresql://ann:s3cret@db.example.com:5432/crm") == "postgresql://ann:***@db.example.com:5432/crm")
    #expect(PostgresURL.redacted("postgres://ann:p%40ss@h/crm?sslmode=require") == "postgres://ann:***@h/crm?sslmode=require")
    #expect(PostgresURL.redacted("postgresql://ann@h/crm?password=xyz&sslmode=require") == "postgresql://ann@h/crm?password=***&sslmode=require")
    #expect(PostgresURL.redacted("host=h dbname=crm password='a b' user=ann") == "host=h dbname=crm password='***' user=ann")
    #expect(PostgresURL.redacted("host=h password=plain user=ann") == "host=h password=*** user=ann")
    #expect(PostgresURL.redacted("postgresql://ann@h/crm") == "postgresql://ann@h/crm")
  }
}

/// A streamed result becomes the pipeline's `FeatureTable`: id first, `cutoff` dates, a last
/// `label`, numeric and categorical features by type (or by name).
@Suite struct PostgresFeatureTableTests {
  @Test func aHandWrittenQueryBecomesAFeatureTable() throws {
    let database = try PostgresServer.shared().makeDatabase("table")
    try database.run("""
      CREATE TABLE rows (id text, cutoff date, logins bigint, spend double precision, plan text, zip integer, label integer);
      INSERT INTO rows VALUES ('c2', '2025-02-01', 3, 1.25, 'pro', 75001, 1), ('c1', '2025-01-01', NULL, NULL, NULL, NULL, NULL),
                              ('c3', '2025-02-01', 0, 'NaN', 'basic', 10115, 0);
      """)
    let connection = try PostgresConnection(url: database.url)
    let table = try connection.featureTable("SELECT id AS customer_id, cutoff, logins, spend, plan, zip, label FROM rows ORDER BY cutoff, id",
                                            categorical: ["zip"])
    let january: Int64 = 1_735_689_600_000, february: Int64 = 1_738_368_000_000
    let expected = FeatureTable(ids: ["c1", "c2", "c3"], cutoffs: [january, february, february], columnNames: ["logins", "spend", "plan", "zip"],
                                columns: [.numeric([.nan, 3, 0]), .numeric([.nan, 1.25, .nan]), .categorical([nil, "pro", "basic"]),
                                          .categorical([nil, "75001", "10115"])],
                                labels: [.nan, 1, 0])
    // NaN != NaN: compare the texts.
    #expect("\(table)" == "\(expected)")
    #expect(table.ids == expected.ids && table.cutoffs == expected.cutoffs && table.columnNames == expected.columnNames)
    // Without cutoff and label columns: a static table.
    let plain = try connection.featureTable("SELECT id, logins FROM rows ORDER BY id")
    #expect(plain.cutoffs == nil && plain.labels == nil && plain.columnNames == ["logins"])
  }

  @Test func resultsOfTheWrongShapeAreRefused() throws {
    let database = try PostgresServer.shared().makeDatabase("shape")
    let connection = try PostgresConnection(url: database.url)
    let columns = try #require(throws: DatabaseError.self) {
      try connection.featureTable("SELECT 'c1' AS customer_id, 2 AS x", expecting: ["customer_id", "cutoff", "x", "label"])
    }
    #expect(columns.description == "the query's result from PostgreSQL at \(database.url) has the columns customer_id, x; expected customer_id, cutoff, x, label")
    let label = try #require(throws: DatabaseError.self) { try connection.featureTable("SELECT 'c1' AS customer_id, 2 AS label") }
    #expect(label.description == "the query's result from PostgreSQL at \(database.url) has label \"2\" for id c1; expected 0, 1 or NULL")
    let cutoff = try #require(throws: DatabaseError.self) { try connection.featureTable("SELECT 'c1' AS customer_id, 'soon' AS cutoff") }
    #expect(cutoff.description == "the query's result from PostgreSQL at \(database.url) has cutoff \"soon\" for id c1; expected a date such as 2025-07-01")
  }
}
