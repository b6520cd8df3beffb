import ChurnCore
import ChurnModels
import ChurnTestSupport
import Testing

@Suite("The training data's fingerprint: the same data gives the same value on any thread count, other data another")
struct FingerprintTests {
  /// Numeric, categorical (with a missing level) and labels, enough columns to spread over threads.
  static func table(rows: Int = 300) -> FeatureTable {
    var columns: [FeatureTable.Column] = (0..<6).map { (j: Int) -> FeatureTable.Column in
      let values: [Double] = (0..<rows).map { (i: Int) -> Double in Double(i * (j + 3) % 17) / 7 - 1 }
      return .numeric(values)
    }
    columns.append(.categorical((0..<rows).map { $0 % 11 == 0 ? nil : ["basic", "pro", "team"][$0 % 3] }))
    return FeatureTable(ids: (0..<rows).map { "c\($0)" }, columnNames: (0..<6).map { "x\($0)" } + ["plan"], columns: columns,
                        labels: (0..<rows).map { Double($0 % 4 == 0 ? 1 : 0) })
  }

  @Test("The thread count never changes the fingerprint", arguments: [1, 2, 3, 8, 64])
  func threadCount(threads: Int) {
    let t = Self.table()
    #expect(ModelFile.fingerprint(t, threads: threads) == ModelFile.fingerprint(t, threads: 1))
    #expect(ModelFile.fingerprint(Self.table(), threads: threads) == ModelFile.fingerprint(t))
  }

  @Test("A value, a label, an id, a column name, a level or the column order changed gives another fingerprint")
  func differentData() {
    let t = Self.table()
    var changes: [(String, FeatureTable)] = []
    var value = t
    if case .numeric(var v) = value.columns[2] { v[150] = v[150].nextUp; value.columns[2] = .numeric(v) }
    changes.append(("a value's last bit", value))
    var label = t
    label.labels![7] = 1 - label.labels![7]
    changes.append(("a label", label))
    var noLabels = t
    noLabels.labels = nil
    changes.append(("labels left out", noLabels))
    var id = t
    id.ids[299] = "c2999"
    changes.append(("an id", id))
    var name = t
    name.columnNames[0] = "x9"
    changes.append(("a column name", name))
    var level = t
    if case .categorical(var v) = level.columns[6] { v[1] = "Pro"; level.columns[6] = .categorical(v) }
    changes.append(("a level", level))
    var swapped = t
    swapped.columns.swapAt(0, 1)
    swapped.columnNames.swapAt(0, 1)
    changes.append(("two columns swapped", swapped))
    let print = ModelFile.fingerprint(t)
    for (what, changed) in changes {
      #expect(ModelFile.fingerprint(changed, threads: 2) != print, "\(what) left the fingerprint at \(print)")
    }
  }

  @Test("Text is hashed with its boundaries: ids \"ab\", \"c\" differ from \"a\", \"bc\", and a missing level from \"\\0\"")
  func boundaries() {
    func ids(_ ids: [String]) -> FeatureTable { FeatureTable(ids: ids, columnNames: [], columns: []) }
    #expect(ModelFile.fingerprint(ids(["ab", "c"])) != ModelFile.fingerprint(ids(["a", "bc"])))
    #expect(ModelFile.fingerprint(ids(["12345678", ""])) != ModelFile.fingerprint(ids(["1234567", "8"])))
    func level(_ v: String?) -> FeatureTable { FeatureTable(ids: ["a"], columnNames: ["plan"], columns: [.categorical([v])]) }
    #expect(ModelFile.fingerprint(level(nil)) != ModelFile.fingerprint(level("\u{0}")))
    #expect(ModelFile.fingerprint(level("")) != ModelFile.fingerprint(level(nil)))
  }

  /// The value was checked against an independent implementation of the documented words (Python).
  @Test("The value is pinned: a change to what is hashed is deliberate (it is recorded in model files)")
  func pinned() {
    #expect(ModelFile.fingerprint(Self.table()) == ModelFile.fingerprint(Self.table(), threads: 5))
    #expect(ModelFile.fingerprint(FeatureTable(ids: ["a"], columnNames: ["x"], columns: [.numeric([1])], labels: [0])) == "89c02e2ba7937de3")
  }
}
