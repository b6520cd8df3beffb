import ChurnCore
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// What the preprocessor does with a scoring table that differs from training: headers that
/// differ only in case, missing columns, categorical levels never seen in training.
@Suite("Scoring columns: case, missing columns, unseen levels")
struct ScoringColumnsTests {
  /// 65 rows: contract Month (30), One (20), Two (15); usage 0...64.
  static func training() -> FeatureTable {
    let contract = (0..<65).map { $0 < 30 ? "Month" : $0 < 50 ? "One" : "Two" }
    return FeatureTable(ids: (0..<65).map { "c\($0)" }, columnNames: ["contract", "usage"],
                        columns: [.categorical(contract), .numeric((0..<65).map(Double.init))],
                        labels: (0..<65).map { $0 % 3 == 0 ? 1 : 0 })
  }

  static func scoring(_ contract: [String?], names: [String] = ["contract", "usage"]) -> FeatureTable {
    FeatureTable(ids: contract.indices.map { "s\($0)" }, columnNames: names,
                 columns: [.categorical(contract), .numeric(contract.indices.map { Double($0) })])
  }

  @Test("Levels never seen in training are listed per column with counts, most frequent first, and scored as the reference level")
  func unseenLevels() throws {
    let fitted = try Preprocessor().fit(Self.training())
    let table = Self.scoring(["Ten", "Month", "Ten", nil, "Two", "Ten", "Zero"])
    let unseen = fitted.unseenLevels(table)
    #expect(unseen == [UnseenLevels(column: "contract", levels: [("Ten", 3), ("(missing)", 1), ("Zero", 1)], scoredAs: .reference("Month"))])
    #expect(unseen.first?.rows == 5)
    #expect(unseen.first?.description == "contract has 5 customers with levels unseen in training (Ten: 3, (missing): 1, Zero: 1); "
      + "they are scored as the model's reference level Month")
    // Still scored (a new level must not stop the weekly job): as the reference level.
    let x = try fitted.transform(table)
    let month = try fitted.transform(Self.scoring(["Month", "Month", "Month", "Month", "Month", "Month", "Month"]))
    for row in [0, 2, 3, 5, 6] { #expect(x.row(row) == month.row(row)) }
    #expect(fitted.unseenLevels(Self.scoring(["One", "Two", "Month"])).isEmpty)
    let one = UnseenLevels(column: "plan", levels: [("gold", 1)], scoredAs: .noLevel)
    #expect(one.description == "plan has 1 customer with a level unseen in training (gold: 1); they are scored as no level of plan (every one of its columns 0)")
    let many = UnseenLevels(column: "city", levels: (1...7).map { ("c\($0)", 8 - $0) }, scoredAs: .reference("Paris"))
    #expect(many.description == "city has 28 customers with levels unseen in training (c1: 7, c2: 6, c3: 5, c4: 4, c5: 3, ... (7 levels)); "
      + "they are scored as the model's reference level Paris")
  }

  @Test("A column with a pooled level other is not reported: a value outside its levels is scored as other, as rare training levels are")
  func pooled() throws {
    var training = Self.training()
    guard case .categorical(var contract) = training.columns[0] else { return }
    contract[0] = "Rare"
    training.columns[0] = .categorical(contract)
    let fitted = try Preprocessor().fit(training)
    #expect(fitted.unseenLevels(Self.scoring(["Ten", "Rare"])).isEmpty)
  }

  @Test("Headers that differ from training only in case are the training columns (as the CSV readers match them)")
  func caseInsensitive() throws {
    let fitted = try Preprocessor().fit(Self.training())
    let levels: [String?] = ["Two", "One", "Month", "Ten"]
    let upper = Self.scoring(levels, names: ["CONTRACT", "Usage"])
    try fitted.checkColumns(upper)
    #expect(try fitted.transform(upper) == fitted.transform(Self.scoring(levels)))
    #expect(fitted.unseenLevels(upper).map(\.column) == ["contract"])
    let renamed = fitted.namingColumnsAsInTraining(upper)
    #expect(renamed.columnNames == ["contract", "usage"])
    // An exact name wins over one that differs in case, which keeps its own name.
    let both = FeatureTable(ids: ["a"], columnNames: ["Usage", "usage", "contract"], columns: [.numeric([1]), .numeric([2]), .categorical(["One"])])
    #expect(fitted.namingColumnsAsInTraining(both).columnNames == ["Usage", "usage", "contract"])
    #expect(try fitted.transform(both) == fitted.transform(FeatureTable(ids: ["a"], columnNames: ["usage", "contract"], columns: [.numeric([2]), .categorical(["One"])])))
  }

  @Test("Missing columns are counted among the model's columns only and named, with the file")
  func missingColumns() throws {
    let fitted = try Preprocessor().fit(Self.training())
    let table = FeatureTable(ids: ["a"], columnNames: ["usage", "churn", "id2"], columns: [.numeric([1]), .numeric([0]), .categorical(["x"])])
    #expect(throws: PreprocessingError.missingColumns(source: "s.csv", expected: 2, missing: ["contract"])) { try fitted.checkColumns(table, source: "s.csv") }
    #expect(PreprocessingError.missingColumns(source: "s.csv", expected: 2, missing: ["contract"]).description
      == "s.csv lacks 1 of the model's 2 feature columns: contract; expected every column the model was trained on (other columns are ignored, "
      + "case does not matter); fix: add it under the name used in training")
    #expect(throws: PreprocessingError.missingColumns(source: nil, expected: 2, missing: ["contract"])) { try fitted.transform(table) }
    let many = PreprocessingError.missingColumns(source: nil, expected: 19, missing: (1...10).map { "c\($0)" })
    #expect(many.description == "the input lacks 10 of the model's 19 feature columns: c1, c2, c3, c4, c5, c6, c7, c8, ... (10 in all); "
      + "expected every column the model was trained on (other columns are ignored, case does not matter); fix: add them under the names used in training")
  }

  @Test("Inputs of the wrong kind name how the model was trained and what to pass")
  func wrongKind() {
    #expect(ModelInputError.customersNeeded(model: "m.json", attributes: ["plan", "region", "seats", "size", "tier"]).description
      == "m.json was trained with a customer table (attributes plan, region, seats, size, ...); expected it again; fix: pass it with --customers CUSTOMERS.csv")
  }
}
