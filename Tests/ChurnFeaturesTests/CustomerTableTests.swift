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

  /// A table of `n` customers whose `rep` column has `levels` levels (and `plan` two).
  func table(customers n: Int, levels: Int, in dir: TemporaryDirectory) throws -> String {
    let path = dir.file("reps.csv")
    let rows = (0..<n).map { "C\($0),\($0 % 2 == 0 ? "basic" : "pro"),Rep \($0 % levels),\($0 % 3 == 0 ? "" : "x")" }
    try ("customer_id,plan,rep,blanks\n" + rows.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test("A categorical column with more than 20 levels and fewer than 100 customers a level is left out with a note, unless forced")
  func nameLikeColumns() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    // 50 levels on 2,000 customers (40 a level): a name.
    var t = try CustomerTable(path: try table(customers: 2000, levels: 50, in: dir))
    #expect(t.attributes.map(\.name) == ["plan", "blanks"])
    #expect(t.notes == ["column rep left out of the features: 50 levels for 2000 customers (40 a level on average) reads as a name or an id; "
      + "name it in --categorical to use it as a feature, or --owner-column to put it on the lists"])
    // Forced categorical (the user's --categorical, or a model's spec): kept.
    t = try CustomerTable(path: try table(customers: 2000, levels: 50, in: dir), kinds: ["rep": .categorical])
    #expect(t.attributes.map(\.name) == ["plan", "rep", "blanks"] && t.notes.isEmpty)
    // 20 levels, or 100 customers a level: a category.
    t = try CustomerTable(path: try table(customers: 2000, levels: 20, in: dir))
    #expect(t.attributes.map(\.name) == ["plan", "rep", "blanks"])
    t = try CustomerTable(path: try table(customers: 2100, levels: 21, in: dir))
    #expect(t.attributes.map(\.name) == ["plan", "rep", "blanks"])
    t = try CustomerTable(path: try table(customers: 2099, levels: 21, in: dir))
    #expect(t.attributes.map(\.name) == ["plan", "blanks"])
  }

  @Test("The owner column is read as text per customer and is never an attribute; an unknown or reserved one is refused")
  func ownerColumn() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("c.csv")
    try "customer_id,plan,Owner,churn_date\n1,a, Ann Lee ,\n2,b,,2024-03-01\n3,a,0042,\n".write(toFile: path, atomically: true, encoding: .utf8)
    let t = try CustomerTable(path: path, ownerColumn: "owner")
    #expect(t.ownerColumn == "Owner")
    #expect(t.owners == ["Ann Lee", nil, "0042"])
    #expect(t.attributes.map(\.name) == ["plan"])
    #expect(try CustomerTable(path: path).owners == nil)
    #expect(throws: OwnerColumnError.missing(path: path, name: "ownr", near: ["Owner"], header: ["customer_id", "plan", "Owner", "churn_date"])) {
      _ = try CustomerTable(path: path, ownerColumn: "ownr")
    }
    #expect("\(OwnerColumnError.missing(path: "c.csv", name: "ownr", near: ["Owner"], header: ["customer_id", "Owner"]))"
      == "c.csv: no owner column \"ownr\" (near: Owner); the header has customer_id, Owner; fix: pass --owner-column with the column "
      + "that names each customer's owner, such as account_manager")
    #expect("\(OwnerColumnError.missing(path: "c.csv", name: "zzz", near: [], header: ["customer_id"]))"
      == "c.csv: no owner column \"zzz\"; the header has customer_id; fix: pass --owner-column with the column "
      + "that names each customer's owner, such as account_manager")
    #expect(throws: OwnerColumnError.reserved(path: path, name: "churn_date", role: "the churn-date column")) {
      _ = try CustomerTable(path: path, ownerColumn: "churn_date")
    }
    #expect("\(OwnerColumnError.noCustomerTable(name: "rep"))" == "--owner-column rep is read from the customer table; "
      + "expected --customers FILE.csv with that column; fix: give --customers, or drop --owner-column")
  }
}
