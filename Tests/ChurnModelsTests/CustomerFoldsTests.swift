import ChurnCore
import ChurnModels
import Testing

@Suite("Folds of whole customers")
struct CustomerFoldsTests {
  @Test("Each customer's rows fall in one fold; every labelled row is tested once; the seed decides")
  func wholeCustomers() {
    let ids = (0..<300).map { "c\($0 % 60)" }
    let labels = (0..<300).map { i -> Double in i % 7 == 0 ? .nan : (i % 60 < 20 ? 1 : 0) }
    let folds = Folds.byCustomer(ids: ids, labels: labels, k: 3, seed: 5)
    #expect(folds.map(\.name) == ["customers 1 of 3", "customers 2 of 3", "customers 3 of 3"])
    #expect(folds.flatMap(\.test).sorted() == labels.indices.filter { !labels[$0].isNaN })
    for fold in folds {
      #expect(Set(fold.train.map { ids[$0] }).isDisjoint(with: Set(fold.test.map { ids[$0] })))
      #expect(Set(fold.train + fold.test).count == fold.train.count + fold.test.count)
    }
    #expect(Folds.byCustomer(ids: ids, labels: labels, k: 3, seed: 5) == folds && Folds.byCustomer(ids: ids, labels: labels, k: 3, seed: 6) != folds)
    // A class too small for every fold: no folds.
    let rare = (0..<300).map { i -> Double in i == 0 ? 1 : 0 }
    #expect(Folds.byCustomer(ids: ids, labels: rare, k: 3, seed: 5).isEmpty)
  }
}
