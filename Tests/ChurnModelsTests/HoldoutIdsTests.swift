import ChurnCore
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

@Suite("Holdout ids")
struct HoldoutIdsTests {
  func holdout(_ text: String) throws -> HoldoutIds {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try text.write(toFile: dir.file("ho.txt"), atomically: true, encoding: .utf8)
    return try HoldoutIds(path: "ho.txt", idColumn: "id", reading: dir.file("ho.txt"))
  }

  let ids = ["007", "7", "B", "C", "D"]
  let labels: [Double] = [1, 0, .nan, 0, 1]

  @Test("Ids are exact (007 is not 7); a header line and quotes are skipped; unknown ids come back with their lines")
  func split() throws {
    let h = try holdout("id\n\"007\"\n7\nZ\n")
    #expect(h.ids.map(\.id) == ["007", "7", "Z"] && h.ids.map(\.line) == [2, 3, 4])
    let s = try h.split(rowIds: ids, labels: labels, table: "t.csv", idColumn: "id")
    #expect(s.test == [0, 1] && s.train == [3, 4] && s.unknown.map(\.id) == ["Z"] && s.unknown.map(\.line) == [4])
  }

  @Test("Each holdout that cannot measure a model is an error with its text")
  func errors() throws {
    #expect(throws: HoldoutError.noIds(path: "ho.txt", idColumn: "id")) { try holdout("id\n\n") }
    #expect(throws: HoldoutError.noneMatch(path: "ho.txt", count: 1, table: "t.csv", idColumn: "id", first: "X", line: 1)) {
      try holdout("X\n").split(rowIds: ids, labels: labels, table: "t.csv", idColumn: "id")
    }
    #expect(throws: HoldoutError.noLabelled(path: "ho.txt", count: 1, table: "t.csv")) {
      try holdout("B\n").split(rowIds: ids, labels: labels, table: "t.csv", idColumn: "id")
    }
    #expect(throws: HoldoutError.allRows(path: "ho.txt", rows: 4, table: "t.csv")) {
      try holdout("007\n7\nC\nD\n").split(rowIds: ids, labels: labels, table: "t.csv", idColumn: "id")
    }
    #expect(throws: HoldoutError.oneClass(path: "ho.txt", rows: 2, label: 0)) {
      try holdout("7\nC\n").split(rowIds: ids, labels: labels, table: "t.csv", idColumn: "id")
    }
    #expect("\(HoldoutError.noLabelled(path: "ho.txt", count: 1, table: "t.csv"))"
      == "none of the 1 ids in ho.txt has a label in t.csv (their labels are blank); expected labelled customers to hold out; fix: list customers whose label is known")
  }
}
