import Foundation

/// A hand-built event log and customer table for the monthly analysis, small enough that every
/// rate, share, difference and NPS is worked out by hand in the tests.
///
/// Eight customers signed up 2024-06-01, each with a login on 2025-01-10; churn dates make the
/// labels contractual. Cutoffs 2025-02-01 and 2025-03-01 with a one-month horizon (the last
/// event, 2025-04-05, puts the end of the data after 2025-04-01):
///
/// | customer | industry   | size  | churn date | at 2025-02-01 | at 2025-03-01     |
/// |----------|------------|-------|------------|---------------|-------------------|
/// | c1       | retail     | small |            | 0             | 0                 |
/// | c2       | retail     | small | 2025-02-10 | 1             | gone (not a row)  |
/// | c3       | retail     | large | 2025-03-15 | 0             | 1                 |
/// | c4       | technology | small |            | 0             | 0                 |
/// | c5       | technology | large | 2025-02-20 | 1             | gone              |
/// | c6       | technology | large |            | 0             | 0                 |
/// | c7       | (blank)    | small |            | 0             | 0                 |
/// | c8       | finance    | mid   | 2025-05-01 | 0             | 0                 |
///
/// 14 rows, 3 churned. Surveys: January 80 and 60 (and one blank), March 90. NPS answers:
/// January 10, 9, 7, 6, 0; February 9, 8.5, 11, −1 and a blank; April 6.
public enum MonthlyFixture {
  public static let events = """
    customer_id,timestamp,event_type,value
    c1,2025-01-10T09:00:00Z,login,
    c2,2025-01-10T09:00:00Z,login,
    c3,2025-01-10T09:00:00Z,login,
    c4,2025-01-10T09:00:00Z,login,
    c5,2025-01-10T09:00:00Z,login,
    c6,2025-01-10T09:00:00Z,login,
    c7,2025-01-10T09:00:00Z,login,
    c8,2025-01-10T09:00:00Z,login,
    c1,2025-01-15T10:00:00Z,survey,80
    c2,2025-01-20T10:00:00Z,survey,60
    c3,2025-01-25T10:00:00Z,survey,
    c4,2025-03-05T10:00:00Z,survey,90
    c1,2025-01-11T10:00:00Z,nps,10
    c2,2025-01-12T10:00:00Z,nps,9
    c3,2025-01-13T10:00:00Z,nps,7
    c4,2025-01-14T10:00:00Z,nps,6
    c5,2025-01-31T23:59:59Z,nps,0
    c1,2025-02-01T00:00:00Z,nps,9
    c6,2025-02-11T10:00:00Z,nps,8.5
    c7,2025-02-12T10:00:00Z,nps,11
    c8,2025-02-13T10:00:00Z,nps,-1
    c6,2025-02-14T10:00:00Z,nps,
    c1,2025-04-05T10:00:00Z,nps,6

    """

  public static let customers = """
    customer_id,industry,size,monthly_revenue,account_manager,signup_date,churn_date
    c1,retail,small,100,m1,2024-06-01,
    c2,retail,small,200,m2,2024-06-01,2025-02-10
    c3,retail,large,300,m3,2024-06-01,2025-03-15
    c4,technology,small,400,m4,2024-06-01,
    c5,technology,large,500,m5,2024-06-01,2025-02-20
    c6,technology,large,600,m6,2024-06-01,
    c7,,small,700,m7,2024-06-01,
    c8,finance,mid,800,m8,2024-06-01,2025-05-01

    """

  public static let cutoffs = "2025-02-01:2025-03-01:1m"
  public static let horizon = "1m"

  /// Writes events.csv and customers.csv into `directory`.
  public static func write(to directory: TemporaryDirectory) throws {
    try events.write(toFile: directory.file("events.csv"), atomically: true, encoding: .utf8)
    try customers.write(toFile: directory.file("customers.csv"), atomically: true, encoding: .utf8)
  }
}
