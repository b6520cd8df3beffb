import ChurnCore
import ChurnScoring
import ChurnTestSupport
import Foundation
import Testing

@Suite("Warning rules: the condition language")
struct RuleParserTests {
  func parse(_ text: String) throws -> RuleCondition { try RuleParser.parse(text) }

  @Test("not binds tighter than and, and tighter than or; parentheses override; keywords in any case")
  func precedence() throws {
    let a = RuleCondition.compare(column: "a", op: .greater, value: 1, position: 1)
    #expect(try parse("a > 1") == a)
    // a or b and c  =  a or (b and c)
    guard case .or(let left, .and(.compare("b", .less, 2, _), .compare("c", .equal, 3, _))) = try parse("a > 1 or b < 2 and c == 3") else {
      Issue.record("or of and expected: \(try parse("a > 1 or b < 2 and c == 3"))")
      return
    }
    #expect(left == a)
    // not a and b  =  (not a) and b
    guard case .and(.not(.compare("a", .greater, 1, _)), .compare("b", .less, 2, _)) = try parse("NOT a > 1 AND b < 2") else {
      Issue.record("and of not expected")
      return
    }
    guard case .and(.or, .compare("c", .equal, 3, _)) = try parse("(a > 1 or b < 2) and c == 3") else {
      Issue.record("parentheses should group the or")
      return
    }
    // and and or associate to the left.
    guard case .or(.or(.compare("a", _, _, _), .compare("b", _, _, _)), .compare("c", _, _, _)) = try parse("a>1 or b<2 or c==3") else {
      Issue.record("left association expected")
      return
    }
    #expect(try parse("not not a > 1") == .not(.not(.compare(column: "a", op: .greater, value: 1, position: 9))))
    #expect(try parse("((a > 1))") == .compare(column: "a", op: .greater, value: 1, position: 3))
    #expect(try parse("a > 1 or b < 2 and c == 3").text == "a > 1 or b < 2 and c == 3")
    #expect(try parse("(a > 1 or b < 2) and not (c == 3 and d != 4)").text == "(a > 1 or b < 2) and not (c == 3 and d != 4)")
  }

  @Test("Numbers: integers, decimals, negatives, a leading point, exponents; every operator; levels and backticked names")
  func numbers() throws {
    for (text, value) in [("2", 2.0), ("-0.5", -0.5), ("3.5", 3.5), (".25", 0.25), ("-.5", -0.5), ("+4", 4), ("1e3", 1000), ("2.5E-2", 0.025), ("-17", -17)] {
      #expect(try parse("x >= \(text)") == .compare(column: "x", op: .greaterOrEqual, value: value, position: 1), "\(text)")
    }
    for op in RuleComparison.allCases {
      #expect(try parse("x\(op.rawValue)1") == .compare(column: "x", op: op, value: 1, position: 1))
    }
    #expect(try parse("  tier == \"gold\"") == .level(column: "tier", equal: true, level: "gold", position: 3))
    #expect(try parse("tier != \"gold, or not\"") == .level(column: "tier", equal: false, level: "gold, or not", position: 1))
    #expect(try parse("`monthly revenue` < 500") == .compare(column: "monthly revenue", op: .less, value: 500, position: 1))
    #expect(try parse("tier == 'gold'") == .level(column: "tier", equal: true, level: "gold", position: 1))
    // A number first is the comparison mirrored.
    #expect(try parse("2 <= x") == .compare(column: "x", op: .greaterOrEqual, value: 2, position: 6))
    #expect(try parse("-0.5 > x") == .compare(column: "x", op: .less, value: -0.5, position: 8))
    #expect(try parse("1 == `a b`") == .compare(column: "a b", op: .equal, value: 1, position: 6))
    #expect(try parse("3 != x").text == "x != 3")
    #expect(try parse("`and` < 5").columns.map(\.name) == ["and"])
    #expect(try parse("`and` < 5").text == "`and` < 5")
  }

  /// The message of the error thrown for a rule named r with `condition`.
  func message(_ condition: String) -> String {
    do {
      _ = try WarningRule(name: "r", severity: .red, condition: condition)
      return "no error"
    } catch { return "\(error)" }
  }

  @Test("A condition that does not parse: the position, what was expected and what was found, with a caret")
  func syntaxErrors() throws {
    #expect(message("count >= and 2") == """
      rule "r", character 10: expected a number after >=, found "and"
        count >= and 2
                 ^
      """)
    #expect(message("") == "rule \"r\", character 1: expected a column name, not or (, found the end of the condition\n  \n  ^")
    #expect(message("a > 1 and") == """
      rule "r", character 10: expected a column name, not or (, found the end of the condition
        a > 1 and
                 ^
      """)
    #expect(message("(a > 1 or b < 2") == """
      rule "r", character 16: expected ")" to close the "(" at character 1, found the end of the condition
        (a > 1 or b < 2
                       ^
      """)
    #expect(message("a = 1") == """
      rule "r", character 3: expected a comparison: <, <=, >, >=, == or !=, found "="
        a = 1
          ^
      """)
    #expect(message("a > 1 && b < 2") == """
      rule "r", character 7: expected and, or or the end of the condition, found "&&"
        a > 1 && b < 2
              ^
      """)
    #expect(message("tier < \"gold\"") == """
      rule "r", character 8: expected a number after <, found "gold"
        tier < "gold"
               ^
      """)
    #expect(message("tier == gold") == """
      rule "r", character 9: expected a number or a quoted level such as "gold" after ==, found "gold"
        tier == gold
                ^
      """)
    #expect(message("tier == \"gold") == """
      rule "r", character 9: expected a closing ", found "gold
        tier == "gold
                ^
      """)
    #expect(message("2 <= 3") == """
      rule "r", character 6: expected a column name after <=, found "3"
        2 <= 3
             ^
      """)
    #expect(message("2 x") == """
      rule "r", character 3: expected a comparison: <, <=, >, >=, == or !=, found "x"
        2 x
          ^
      """)
    #expect(message("tier == 'gold") == """
      rule "r", character 9: expected a closing ', found 'gold
        tier == 'gold
                ^
      """)
    // Hostile depth and length are refused before the recursion could exhaust the stack.
    // The condition shown around the position: 60 characters before, 20 after, cut ends as ….
    #expect(message(String(repeating: "(", count: 100_000) + "x > 1") == """
      rule "r", character 101: expected at most 100 nested parentheses and nots, found "("
        …\(String(repeating: "(", count: 80))…
         \(String(repeating: " ", count: 60))^
      """)
    #expect(message("a > 1 and\n(b > 2 and\tc)") == """
      rule "r", character 23: expected a comparison: <, <=, >, >=, == or !=, found ")"
        a > 1 and (b > 2 and c)
                              ^
      """)
    #expect(try parse(String(repeating: "(", count: 100) + "x > 1" + String(repeating: ")", count: 100)).text == "x > 1")
    #expect(message(String(repeating: "not ", count: 101) + "x > 1").hasPrefix("rule \"r\", character 401: expected at most 100 nested parentheses and nots, found \"not\""))
    #expect(message(Array(repeating: "x > 1", count: 1001).joined(separator: " or ")).hasPrefix(
      "rule \"r\", character 9001: expected at most 1000 comparisons in a condition, found \"x\""))
    #expect(try parse(Array(repeating: "x > 1", count: 1000).joined(separator: " and ")).columns.count == 1000)
    #expect(message("x > " + String(repeating: "y", count: 500)).hasPrefix(
      "rule \"r\", character 5: expected a number after >, found \"\(String(repeating: "y", count: 40))…\"\n"))
    #expect(message("x > 30d") == """
      rule "r", character 5: expected a number after >, found "30d"
        x > 30d
            ^
      """)
    #expect(message("(a > 1) b") == """
      rule "r", character 9: expected and, or or the end of the condition, found "b"
        (a > 1) b
                ^
      """)
    #expect(message("(a > 1 b") == """
      rule "r", character 8: expected and, or or ")", found "b"
        (a > 1 b
               ^
      """)
  }

  /// A table with a numeric column x, one y, and a categorical tier; NaN / nil missing.
  static let table = FeatureTable(
    ids: ["a", "b", "c", "d", "e"], columnNames: ["x", "y", "tier"],
    columns: [.numeric([1, .nan, 5, 0.1 + 0.2, 7]), .numeric([4, 4, .nan, 0, 2]), .categorical(["gold", "silver", nil, "gold", "silver"])],
    labels: [1, 0, 1, 0, 0])

  func fires(_ text: String) throws -> [Bool] {
    try WarningRules([WarningRule(name: "r", severity: .yellow, condition: text)]).fired(in: Self.table)[0]
  }

  @Test("A missing value never fires a rule: its comparison is unknown, and not of unknown is unknown (Kleene's logic)")
  func missingNeverFires() throws {
    #expect(try fires("x > 2") == [false, false, true, false, true])
    #expect(try fires("not x > 2") == [true, false, false, true, false])
    #expect(try fires("not not x > 2") == [false, false, true, false, true])
    #expect(try fires("x > 2 or x <= 2") == [true, false, true, true, true])
    #expect(try fires("not (x > 2 or x <= 2)") == [false, false, false, false, false])
    // Known comparisons still decide: true or unknown is true, false and unknown is false.
    #expect(try fires("x > 2 or y > 3") == [true, true, true, false, true])
    #expect(try fires("not (x > 2 and y > 3)") == [true, false, false, true, true])
    #expect(try fires("not (x < 2 and y < 3)") == [true, true, true, false, true])
    #expect(try fires("tier == \"gold\"") == [true, false, false, true, false])
    #expect(try fires("tier != \"gold\"") == [false, true, false, false, true])
    #expect(try fires("not tier == \"gold\"") == [false, true, false, false, true])
  }

  @Test("Numbers are compared as churn features writes them (9 decimals): 0.1 + 0.2 is 0.3")
  func writtenValues() throws {
    #expect(0.1 + 0.2 != 0.3)
    #expect(try fires("x == 0.3") == [false, false, false, true, false])
    #expect(try fires("x <= 0.3") == [false, false, false, true, false])
    #expect(FeatureTable.writtenValue(3.4999999999999996) == 3.5)
    #expect(FeatureTable.writtenValue(-0.1234567894) == -0.123456789)
    #expect(FeatureTable.writtenValue(1e12 + 0.5) == 1e12 + 0.5)
    // The same Double a parser reads back from the writer's text, on seeded values.
    var rng = SeededGenerator(seed: 18)
    for _ in 0..<2000 {
      let x = (rng.uniform() - 0.5) * pow(10, Double(rng.integer(below: 12)) - 3)
      var bytes: [UInt8] = []
      CSVField.appendNumber(x, to: &bytes)
      #expect(FeatureTable.writtenValue(x) == Double(String(decoding: bytes, as: UTF8.self)), "\(x)")
    }
  }
}

@Suite("Warning rules: the rules file")
struct WarningRulesFileTests {
  func read(_ text: String) throws -> (WarningRules, String) {
    let dir = try TemporaryDirectory()
    let path = dir.file("rules.csv")
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return (try WarningRules.read(path: path), path)
  }

  func message(_ text: String, columns: [String] = [], numeric: [Bool] = []) throws -> String {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("rules.csv")
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    do {
      try WarningRules.read(path: path).check(columns: columns, numeric: numeric.isEmpty ? columns.map { _ in true } : numeric)
      return "no error"
    } catch {
      return "\(error)".replacingOccurrences(of: dir.path + "/", with: "")
    }
  }

  @Test("CSV quoting: a quoted name with a comma, a condition with quotes doubled, spaces trimmed, blank lines skipped, any case")
  func quoting() throws {
    let (rules, path) = try read("Name,Severity,Condition\n\"late, small\",RED,\"mean_payment_30d > 15 and size == \"\"small\"\"\"\n\n"
      + " two complaints , yellow , count_complaint_90d >= 2\n")
    #expect(rules.path == path)
    #expect(rules.rules.map(\.name) == ["late, small", "two complaints"])
    #expect(rules.rules.map(\.severity) == [.red, .yellow])
    #expect(rules.rules.map(\.line) == [2, 4])
    #expect(rules.rules[0].text == "mean_payment_30d > 15 and size == \"small\"")
    #expect(rules.rules[0].condition == .and(.compare(column: "mean_payment_30d", op: .greater, value: 15, position: 1),
                                             .level(column: "size", equal: true, level: "small", position: 27)))
  }

  @Test("Every error of a rules file, with its exact text")
  func errors() throws {
    let columns = ["count_complaint_7d", "count_complaint_30d", "count_complaint_90d", "days_since_last_complaint", "count_login_30d", "tier"]
    let numeric = [true, true, true, true, true, false]
    let unknown = try message("name,severity,condition\nc,red,complaints_90d >= 2\n", columns: columns, numeric: numeric)
    #expect(unknown == """
      rules.csv line 2 (rule "c"), character 1: no feature column "complaints_90d"; near names: count_complaint_90d, count_complaint_30d, \
      count_complaint_7d, days_since_last_complaint
        complaints_90d >= 2
        ^
      """)
    let unknown2 = try message("name,severity,condition\nc,red,count_login_30d < 2 or count_complaint_60d >= 2\n", columns: columns, numeric: numeric)
    #expect(unknown2 == """
      rules.csv line 2 (rule "c"), character 24: no feature column "count_complaint_60d"; near names: count_complaint_30d, count_complaint_90d, \
      count_complaint_7d, count_login_30d, days_since_last_complaint
        count_login_30d < 2 or count_complaint_60d >= 2
                               ^
      """)
    #expect(try message("name,severity,condition\nc,red,zzz > 1\n", columns: columns, numeric: numeric) == """
      rules.csv line 2 (rule "c"), character 1: no feature column "zzz"; columns are those of churn features (run it with --out to see them)
        zzz > 1
        ^
      """)
    #expect(try message("name,severity,condition\nc,red,tier > 1\n", columns: columns, numeric: numeric) == """
      rules.csv line 2 (rule "c"), character 1: column "tier" holds categories, not numbers; expected a quoted level with == or !=, such as tier == "gold"
        tier > 1
        ^
      """)
    #expect(try message("name,severity,condition\nc,red,\"not count_login_30d == \"\"x\"\"\"\n", columns: columns, numeric: numeric) == """
      rules.csv line 2 (rule "c"), character 5: column "count_login_30d" holds numbers, not categories; expected a number, such as count_login_30d >= 2
        not count_login_30d == "x"
            ^
      """)
    #expect(try message("name,severity,condition\nc,orange,x > 1\n") == "rules.csv line 2 (rule \"c\"): severity \"orange\" is not one; expected red or yellow")
    #expect(try message("name,severity,condition\nc,red,x > 1\nd,red,x > 2\nc,yellow,x > 3\n") ==
      "rules.csv line 4: rule name \"c\" is already used on line 2; give each rule its own name")
    #expect(try message("") == "rules.csv has no rules; expected a header name,severity,condition and one rule per line, such as two complaints,red,count_complaint_90d >= 2")
    #expect(try message("name,severity,condition\n") == "rules.csv has no rules; expected a header name,severity,condition and one rule per line, such as two complaints,red,count_complaint_90d >= 2")
    #expect(try message("rule,level,when\nc,red,x > 1\n") == "rules.csv line 1: header \"rule,level,when\"; expected name,severity,condition")
    #expect(try message("name,severity,condition\nc,red,x > 1, y < 2\n") ==
      "rules.csv line 2: 4 fields; expected 3 (name,severity,condition): quote a field that holds a comma")
    #expect(try message("name,severity,condition\nc,red\n") ==
      "rules.csv line 2: 2 fields; expected 3 (name,severity,condition): quote a field that holds a comma")
    #expect(try message("name,severity,condition\n,red,x > 1\n") ==
      "rules.csv line 2: the rule has no name; expected a name in the first field, such as two complaints,red,count_complaint_90d >= 2")
    #expect(try message("name,severity,condition\nc,red,x >\n") == """
      rules.csv line 2 (rule "c"), character 4: expected a number after >, found the end of the condition
        x >
           ^
      """)
    #expect(throws: WarningRulesError.noRules(path: "the rules")) { try WarningRules([]) }
    #expect(try message("name,severity,condition\nlate;small,red,x > 1\n") == "rules.csv line 2: rule name \"late;small\" holds a ;, which "
      + "separates rule names in the ranked list's warnings; expected a name without ;, such as late,small")
  }
}

@Suite("Warning rules: measured against labels")
struct RuleMeasureTests {
  @Test("Counts, precision with its Wilson interval, recall and lift equal a computation by hand; the groups are any-of")
  func againstHand() throws {
    var rng = SeededGenerator(seed: 1818)
    let n = 3000
    let x = (0..<n).map { _ in rng.uniform() < 0.1 ? Double.nan : Double(rng.integer(below: 10)) }
    let y = (0..<n).map { _ in rng.uniform() * 4 - 2 }
    let labels = (0..<n).map { i in rng.uniform() < (x[i].isNaN ? 0.1 : 0.02 + 0.03 * x[i] / 9) ? 1.0 : 0.0 }
    let table = FeatureTable(ids: (0..<n).map { "c\($0)" }, columnNames: ["x", "y"], columns: [.numeric(x), .numeric(y)], labels: labels)
    let rules = try WarningRules([WarningRule(name: "high x", severity: .red, condition: "x >= 7"),
                                  WarningRule(name: "low y", severity: .yellow, condition: "y < -1.5 and not x == 0"),
                                  WarningRule(name: "never", severity: .red, condition: "x > 100")])
    let measures = RuleMeasure.all(rules, fired: try rules.fired(in: table), labels: labels)
    #expect(measures.map(\.rule) == ["high x", "low y", "never", "(any red rule)", "(any rule)"])
    #expect(measures.map(\.severity) == ["red", "yellow", "red", "red", "any"])
    #expect(measures[3].condition == "high x or never" && measures[4].condition == "high x or low y or never")
    let hand: [(Int) -> Bool] = [{ !x[$0].isNaN && x[$0] >= 7 }, { y[$0] < -1.5 && !x[$0].isNaN && x[$0] != 0 }, { _ in false },
                                 { !x[$0].isNaN && x[$0] >= 7 }, { (!x[$0].isNaN && x[$0] >= 7) || (y[$0] < -1.5 && !x[$0].isNaN && x[$0] != 0) }]
    let churners = labels.filter { $0 == 1 }.count
    let rate = Double(churners) / Double(n)
    for (m, rule) in zip(measures, hand) {
      let flagged = (0..<n).filter(rule), churned = flagged.filter { labels[$0] == 1 }.count
      #expect(m.flagged == flagged.count && m.churned == churned, "\(m.rule)")
      #expect(m.shareFlagged == Double(flagged.count) / Double(n))
      if flagged.isEmpty {
        #expect(m.precision.value.isNaN && m.lift.isNaN && m.recall == 0)
      } else {
        let p = Double(churned) / Double(flagged.count)
        #expect(abs(m.precision.value - p) < 1e-12 && abs(m.recall - Double(churned) / Double(churners)) < 1e-12 && abs(m.lift - p / rate) < 1e-12)
        #expect(m.precision == wilsonInterval(successes: churned, trials: flagged.count))
      }
      #expect(m.modelPrecision == nil)
    }
  }

  @Test("The model's precision at k: the k riskiest rows, a tie at the cut shared in proportion")
  func topPrecision() {
    // Sorted: 0.9 (1), 0.8 (0), 0.5 (1), 0.5 (0), 0.5 (0), 0.5 (1), 0.1 (0).
    let p = [0.5, 0.9, 0.1, 0.5, 0.8, 0.5, 0.5], y = [1.0, 1, 0, 0, 0, 0, 1]
    let top = RuleMeasure.TopPrecision(probabilities: p, labels: y)
    #expect(top.precision(at: 1) == 1)
    #expect(top.precision(at: 2) == 0.5)
    // k = 3 takes 1 of the 4 tied rows, 2 of which churned: (1 + 1 · 2/4) / 3.
    #expect(abs(top.precision(at: 3) - 1.5 / 3) < 1e-15)
    #expect(abs(top.precision(at: 4) - 2.0 / 4) < 1e-15)
    #expect(abs(top.precision(at: 6) - 3.0 / 6) < 1e-15)
    #expect(abs(top.precision(at: 7) - 3.0 / 7) < 1e-15)
    // The same wherever the tied rows sit.
    let shuffled = RuleMeasure.TopPrecision(probabilities: [0.5, 0.5, 0.5, 0.5, 0.9, 0.8, 0.1], labels: [0, 1, 1, 0, 1, 0, 0])
    #expect((1...7).map(shuffled.precision) == (1...7).map(top.precision))
    let rules = try! WarningRules([WarningRule(name: "r", severity: .red, condition: "x > 0")])
    let table = FeatureTable(ids: (0..<7).map { "\($0)" }, columnNames: ["x"], columns: [.numeric([1, 1, 1, 0, 0, 0, 0])], labels: y)
    let m = RuleMeasure.all(rules, fired: try! rules.fired(in: table), labels: y, probabilities: p)
    #expect(m[0].flagged == 3 && m[0].modelPrecision == top.precision(at: 3))
    #expect(m[0].modelLift == top.precision(at: 3) / (3.0 / 7))
  }
}
