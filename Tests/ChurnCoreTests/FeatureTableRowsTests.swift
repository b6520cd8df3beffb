import ChurnCore
import Testing

@Suite("FeatureTable.rows")
struct FeatureTableRowsTests {
  let table = FeatureTable(ids: ["a", "b", "c", "d"], columnNames: ["x", "plan"],
                           columns: [.numeric([1, 2, .nan, 4]), .categorical(["p", nil, "q", "p"])], labels: [1, 0, .nan, 0])

  func address(_ column: FeatureTable.Column) -> UnsafeRawPointer? {
    guard case .numeric(let v) = column else { return nil }
    return v.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
  }

  @Test("Every row in order is the table itself, its columns shared, not copied")
  func everyRowShares() {
    let all = table.rows([0, 1, 2, 3])
    #expect(all.ids == table.ids && all.columnNames == table.columnNames)
    #expect(address(all.columns[0]) == address(table.columns[0]))
    #expect(all.labels!.withUnsafeBufferPointer { $0.baseAddress } == table.labels!.withUnsafeBufferPointer { $0.baseAddress })
  }

  @Test("Other selections copy the rows asked for, in that order")
  func selections() {
    for indices in [[3, 2, 1, 0], [0, 1, 2], [1, 3], [], [0, 0, 1, 2]] {
      let t = table.rows(indices)
      #expect(t.ids == indices.map { table.ids[$0] })
      guard case .numeric(let x) = t.columns[0], case .categorical(let plan) = t.columns[1] else { Issue.record("kinds"); return }
      #expect(x.map(\.bitPattern) == indices.map { [1.0, 2, .nan, 4][$0].bitPattern })
      #expect(plan == indices.map { ["p", nil, "q", "p"][$0] })
      #expect(t.labels!.map(\.bitPattern) == indices.map { [1.0, 0, .nan, 0][$0].bitPattern })
    }
  }
}
