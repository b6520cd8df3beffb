import ChurnCore
import ChurnScoring
import ChurnTestSupport
import Foundation
import Testing

/// `churn score --previous`: last week's list is checked line by line before it is compared, so a
/// wrong file never becomes invented band moves (it was read as any table: a band "purple", a
/// probability 1.7, a repeated customer or another model's list passed with exit 0).
@Suite("Last week's ranked list")
struct PreviousListTests {
  static let header = "rank,customerid,churn_probability,percentile,risk_band,reason_1,reason_2,reason_3,expected_revenue_at_risk,segment,change\n"

  func read(_ text: String, id: String = "customerid") throws -> PreviousList {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try text.write(toFile: dir.file("last.csv"), atomically: true, encoding: .utf8)
    return try PreviousList(path: dir.file("last.csv"), idColumn: id)
  }

  func message(_ text: String, id: String = "customerid") -> String {
    do {
      _ = try read(text, id: id)
      return "no error"
    } catch {
      return "\(error)".replacingOccurrences(of: #"^.*/last\.csv"#, with: "last.csv", options: .regularExpression)
    }
  }

  @Test("A list written by churn score is read: ids exactly (leading zeros kept), probability, band; vanished rows skipped")
  func reads() throws {
    let list = try read(Self.header + "1,007,0.912345,100.0,red,\"a, b\",,,,,\n2,B,0.100000,50.0,green,,,,,,new\n,C,,,,,,,,,\"vanished (was 0.2, yellow)\"\n")
    #expect(list.entries.count == 2)
    #expect(list.entries["007"]?.probability == 0.912345 && list.entries["007"]?.band == "red")
    #expect(list.entries["B"]?.band == "green" && list.entries["C"] == nil)
  }

  @Test("Each kind of wrong file is an error naming the file, the line and the value")
  func errors() {
    let fix = "fix: pass the CSV that churn score --out wrote last week with this model"
    #expect(message(Self.header + "1,A,0.9,99.0,purple,,,,,,\n")
      == "last.csv line 2: risk_band \"purple\" is not a band; expected red, yellow, green or blank; \(fix)")
    #expect(message(Self.header + "1,A,0.9,99.0,red,,,,,,\n2,B,1.7,98.0,red,,,,,,\n")
      == "last.csv line 3: churn_probability \"1.7\" is not a probability; expected a number from 0 to 1 (blank for a vanished customer); \(fix)")
    #expect(message(Self.header + "1,A,abc,99.0,red,,,,,,\n").hasPrefix("last.csv line 2: churn_probability \"abc\" is not a probability"))
    #expect(message(Self.header + "1,A,nan,99.0,red,,,,,,\n").hasPrefix("last.csv line 2: churn_probability \"nan\" is not a probability"))
    #expect(message(Self.header + "1,A,0.9,99.0,red,,,,,,\n2,A,0.8,98.0,red,,,,,,\n")
      == "last.csv line 3: customer \"A\" already appeared on line 2; expected one row per customer; \(fix)")
    #expect(message(Self.header)
      == "last.csv has a header but no customers; expected last week's ranked list; \(fix)")
    #expect(message("")
      == "last.csv is empty; expected last week's ranked list with a header rank,customerid,churn_probability,risk_band,...; \(fix)")
    // Another model's list (its id column is customer_id).
    #expect(message(Self.header.replacingOccurrences(of: "customerid", with: "customer_id") + "1,A,0.9,99.0,red,,,,,,\n")
      == "last.csv: no column \"customerid\" (the header has rank, customer_id, churn_probability, percentile, risk_band, reason_1, reason_2, reason_3, ...); "
      + "expected last week's ranked list from this model, with columns customerid, churn_probability and risk_band; \(fix)")
    #expect(message(Self.header + "1,A,0.9,99.0\n") == "last.csv line 2: 4 fields; expected 11 as in the header")
  }
}
