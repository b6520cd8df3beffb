import ChurnCore
import ChurnFeatures
import ChurnTestSupport
import Foundation
import Testing

@Suite("Customer table")
struct CustomerTableTests {
  @Test("Signup and churn-date columns may be absent under their default names, not under a name the user gave")
  func dateColumnNames() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("c.csv")
    try "customer_id,plan,churn_date\n1,a,2024-03-01\n2,b,\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try CustomerTable(path: path).hasChurnDates)
    #expect(throws: TableError.missingColumn(path: path, name: "churn_dat", header: ["customer_id", "plan", "churn_date"])) {
      _ = try CustomerTable(path: path, churnDateColumn: "churn_dat")
    }
    #expect(throws: TableError.missingColumn(path: path, name: "signed_up", header: ["customer_id", "plan", "churn_date"])) {
      _ = try CustomerTable(path: path, signupColumn: "signed_up")
    }
    try "customer_id,plan\n1,a\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try !CustomerTable(path: path).hasChurnDates)
  }

  @Test("A stray $12.50 in a numeric attribute is an error, not a new categorical")
  func strayText() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("c.csv")
    try "customer_id,monthly\n1,10\n2,NaN\n3,$12.50\n4,12\n5,13\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: TableError.formattedNumber(path: path, line: 4, column: "monthly", value: "$12.50")) {
      _ = try CustomerTable(path: path)
    }
  }
}
