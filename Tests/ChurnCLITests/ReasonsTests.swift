import ChurnCore
import ChurnTestSupport
import Foundation
import Testing

/// Splits one CSV line into fields (double-quoted fields may hold commas and doubled quotes).
func csvFields(_ line: Substring) -> [String] {
  var fields: [String] = [], field = "", quoted = false
  var chars = line.makeIterator()
  while let c = chars.next() {
    if quoted {
      if c == "\"" {
        // A doubled quote is a quote; a single one closes the field.
        if let next = chars.next() {
          if next == "\"" { field.append("\"") } else {
            quoted = false
            if next == "," { fields.append(field); field = "" } else { field.append(next) }
          }
        } else { quoted = false }
      } else { field.append(c) }
    } else if c == "\"" { quoted = true } else if c == "," { fields.append(field); field = "" } else { field.append(c) }
  }
  fields.append(field)
  return fields
}

@Suite("Reasons in the ranked list name the customer's own values")
struct ReasonsTests {
  /// The telco table as the test reads it: customer id → column → raw text.
  static func telcoRows() throws -> (header: [String], rows: [String: [String: String]]) {
    let lines = try String(contentsOfFile: TrainScoreCommandTests.telco, encoding: .utf8).split(separator: "\n")
    let header = csvFields(lines[0])
    var rows: [String: [String: String]] = [:]
    for line in lines.dropFirst() {
      let f = csvFields(line)
      rows[f[0]] = Dictionary(uniqueKeysWithValues: zip(header, f))
    }
    return (header, rows)
  }

  /// Every reason of every scored customer, checked against the customer's row of the CSV:
  /// "COLUMN is LEVEL (+x pts)" names their level, "COLUMN = N (+x pts)" their number,
  /// "COLUMN is missing (+x pts)" an empty field. Returns the number of reasons checked.
  static func checkReasons(_ path: String, reasonColumns: Range<Int>, idColumn: Int) throws -> (categorical: Int, numeric: Int) {
    let (header, rows) = try telcoRows()
    let columns = Set(header)
    var categorical = 0, numeric = 0
    var wrong: [String] = []
    defer { #expect(wrong.count == 0, "\(wrong.count) of \(categorical + numeric) reasons are not the customer's own value, such as:\n\(wrong.prefix(6).joined(separator: "\n"))") }
    for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst() {
      let f = csvFields(line)
      let id = f[idColumn]
      guard let row = rows[id] else {
        Issue.record("customer \(id) is not in the table")
        continue
      }
      for reason in f[reasonColumns] where !reason.isEmpty {
        guard let open = reason.range(of: " (+", options: .backwards), reason.hasSuffix(" pts)") else {
          Issue.record("customer \(id): reason \"\(reason)\" has no positive points")
          continue
        }
        let claim = String(reason[..<open.lowerBound])
        if let r = claim.range(of: " = "), columns.contains(String(claim[..<r.lowerBound])) {
          let column = String(claim[..<r.lowerBound]), shown = String(claim[r.upperBound...])
          let own = Double(row[column]!.trimmingCharacters(in: .whitespaces))
          if own == nil || abs(own! - (Double(shown) ?? .infinity)) > 0.01 * max(1, abs(own!)) {
            wrong.append("customer \(id): reason \"\(reason)\" but \(column) is \"\(row[column]!)\"")
          }
          numeric += 1
        } else if let r = claim.range(of: " is "), columns.contains(String(claim[..<r.lowerBound])) {
          let column = String(claim[..<r.lowerBound]), shown = String(claim[r.upperBound...])
          let own = row[column]!.trimmingCharacters(in: .whitespaces)
          if shown != (own.isEmpty ? "missing" : own) { wrong.append("customer \(id): reason \"\(reason)\" but \(column) is \"\(own)\"") }
          if Double(own) == nil && !own.isEmpty { categorical += 1 }
        } else {
          Issue.record("customer \(id): reason \"\(reason)\" names no column of the table")
        }
      }
    }
    return (categorical, numeric)
  }

  @Test("Telco: every reason names the customer's own level or value (logistic and forest)", arguments: ["logistic", "forest"])
  func telco(family: String) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var arguments = ["train", "--table", TrainScoreCommandTests.telco, "--id", "customerid", "--label", "churn", "--threads", "2",
                     "--out", dir.file("m.json")]
    if family == "forest" { arguments += ["--model", "forest", "--trees", "20", "--seed", "5"] }
    let train = try runChurn(arguments)
    #expect(train.status == 0, "\(train.stderr)")
    let score = try runChurn(["score", "--model", dir.file("m.json"), "--table", TrainScoreCommandTests.telco, "--reasons", "4930",
                              "--explain", "path", "--out", dir.file("p.csv")])
    #expect(score.status == 0, "\(score.stderr)")
    let checked = try Self.checkReasons(dir.file("p.csv"), reasonColumns: 5..<8, idColumn: 1)
    // Most customers have a categorical reason: the check is not vacuous.
    #expect(checked.categorical > 3000 && checked.numeric > 1000, "\(checked)")
    // The issue's example: a fiber-optic customer is not told "internetservice is No".
    let lines = try String(contentsOfFile: dir.file("p.csv"), encoding: .utf8)
    #expect(!lines.contains(",9300-AGZNL,") || !lines.split(separator: "\n").first { $0.contains(",9300-AGZNL,") }!.contains("internetservice is No"))
  }
}
