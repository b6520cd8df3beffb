import ChurnCore
import ChurnModels
import ChurnScoring
import Testing

@Suite("Reasons go to the ranked list's first rows, ties by id")
struct ReasonOrderTests {
  @Test("Tied probabilities at the --reasons cut: the rows the list ranks first (lower ids) get reasons, whatever the table's order")
  func tiesAtTheCut() throws {
    let (file, _) = try ScoredListTests.model()
    // Three customers with the same row (the same probability), in descending id order, and a safer one.
    let customers = FeatureTable(ids: ["d", "c", "b", "a"], columnNames: ["x", "rfm_segment"],
                                 columns: [.numeric([2, 2, 2, -2]), .categorical(["potential", "potential", "potential", "potential"])])
    let scored = try RiskScorer(model: file).scoreRows(customers, revenue: nil, horizonMonths: 1, reasonRows: 2)
    #expect(scored[0].probability == scored[2].probability)
    let list = RankedList(scored.map { RiskRow(id: $0.id, probability: $0.probability, reasons: $0.reasons.map(ReasonText.reason)) })
    #expect(list.rows.map(\.id) == ["b", "c", "d", "a"])
    #expect(list.rows.map { !$0.reasons.isEmpty } == [true, true, false, false], "\(list.rows.map(\.reasons))")
  }
}
