import ChurnCore

/// One part of a ranked list (`churn score --shard i/n` or `--partial`), read back for
/// `RankedList.merge(_:reasons:previous:)`.
///
/// The file is what `RankedList.write(to:idHeader:top:partial:)` writes with `partial`: the
/// ranked list's columns, the first named `part_rank` (`part_rank_by_value` for a list ranked
/// by value at stake), with `churn_probability`, `expected_revenue_at_risk` and
/// `expected_net_value_of_contact` carrying every digit, so that the merge ranks by the very
/// numbers one unsharded run ranks by. Anything else (a finished ranked list, a hand-edited file, a
/// part of another kind of list) is an error naming the file and the line.
public struct PartialList: Sendable {
  /// The header's first column in a part of a list ranked by risk (a finished list has `rank`).
  public static let rankHeader = "part_rank"
  /// The header's first column in a part of a list ranked by value at stake (`RankOrder.value`).
  public static let valueRankHeader = "part_rank_by_value"

  /// The header's first column in a part of a list in `order`.
  public static func rankHeader(_ order: RankOrder) -> String { order == .value ? valueRankHeader : rankHeader }
  /// The columns after the id that every list has, in order.
  static let fixedColumns = ["churn_probability", "percentile", "risk_band", "reason_1", "reason_2", "reason_3",
                             "expected_revenue_at_risk", "segment", "change"]

  public let path: String
  /// The header as written.
  public let header: [String]
  /// The id column's name (the header's second column).
  public let idHeader: String
  /// The list's order, from the first column's name.
  public let order: RankOrder
  /// Whether the part has `expected_net_value_of_contact` (scored with contact economics).
  public let showsNetValue: Bool
  /// Whether the part has `warnings` and `band_from` (scored with warning rules).
  public let showsWarnings: Bool
  /// Whether the part has `owner`.
  public let showsOwners: Bool
  /// The health dimensions, when the part has the health columns.
  public let healthDimensions: [String]?
  /// K, when the part ends with a survival model's columns (`survival_1` … `survival_K`,
  /// `expected_periods_remaining`, `median_periods_to_churn`).
  public let survivalPeriods: Int?
  /// Whether the part ends with `lifetime_value` and `value_at_risk` (after the survival
  /// columns, if any).
  public let showsLifetimeValue: Bool
  /// The part's customers, in its order.
  public let rows: [RiskRow]
  /// Each row's 1-based line in the file.
  public let lines: [Int]

  /// Reads the part at `path`.
  ///
  /// - Throws: `FileError`; `CSVError` for a broken quote; `PartialListError` for a file that
  ///   is not a part or a value that cannot be read; `TableError.fieldCount`/`.blankId`.
  public init(path: String) throws {
    self.path = path
    let csv: CSVReader
    do { csv = try CSVReader(path: path, expected: "a part of a ranked list, from churn score --shard i/n or --partial") }
    catch CSVError.emptyFile { throw PartialListError.empty(path: path) }
    let h = csv.header
    header = h
    if h.first == "rank" { throw PartialListError.finishedList(path: path) }
    let fixed = Self.fixedColumns
    guard h.count >= 2 + fixed.count, h[0] == Self.rankHeader || h[0] == Self.valueRankHeader, Array(h[2..<(2 + fixed.count)]) == fixed else {
      throw PartialListError.badHeader(path: path, header: h)
    }
    idHeader = h[1]
    order = h[0] == Self.valueRankHeader ? .value : .risk
    var k = 2 + fixed.count
    showsNetValue = h.count > k && h[k] == "expected_net_value_of_contact"
    if showsNetValue { k += 1 }
    showsWarnings = h.count >= k + 2 && h[k] == "warnings" && h[k + 1] == "band_from"
    if showsWarnings { k += 2 }
    showsOwners = h.count > k && h[k] == "owner"
    if showsOwners { k += 1 }
    let healthStart = k
    // `lifetime_value,value_at_risk` end the header when present (health columns all begin `health_`).
    let values = ["lifetime_value", "value_at_risk"]
    showsLifetimeValue = h.count >= k + 2 && Array(h.suffix(2)) == values
    let end = h.count - (showsLifetimeValue ? 2 : 0)
    // A survival model's columns come next to last: `survival_1` starts them.
    let survivalStart = h[k..<end].firstIndex(of: "survival_1") ?? end
    if survivalStart >= k + 2 && h[k] == "health" && h[k + 1] == "health_baseline" {
      let names = h[(k + 2)..<survivalStart]
      guard names.allSatisfy({ $0.hasPrefix("health_") }) else { throw PartialListError.badHeader(path: path, header: h) }
      healthDimensions = names.map { String($0.dropFirst("health_".count)) }
      k = survivalStart
    } else {
      healthDimensions = nil
    }
    let healthEnd = k
    if survivalStart < end {
      let periods = end - survivalStart - 2
      let expected = (1...max(1, periods)).map { "survival_\($0)" } + ["expected_periods_remaining", "median_periods_to_churn"]
      guard k == survivalStart, periods >= 2, Array(h[survivalStart..<end]) == expected else { throw PartialListError.badHeader(path: path, header: h) }
      survivalPeriods = periods
      k = end
    } else {
      survivalPeriods = nil
    }
    guard k == end else { throw PartialListError.badHeader(path: path, header: h) }

    let width = h.count, net = showsNetValue, warnings = showsWarnings, owners = showsOwners, dimensions = healthDimensions, periods = survivalPeriods
    let lifetimeValues = showsLifetimeValue
    var rows: [RiskRow] = [], lines: [Int] = []
    try csv.forEachRecord { record in
      guard record.count == width else { throw TableError.fieldCount(path: path, line: record.line, found: record.count, expected: width) }
      func text(_ i: Int) -> String? {
        let s = record.string(i)
        return s.isEmpty ? nil : s
      }
      func number(_ i: Int) throws -> Double {
        guard let s = text(i), let x = Double(s), x.isFinite else {
          throw PartialListError.badValue(path: path, line: record.line, column: h[i], value: record.string(i))
        }
        return x
      }
      /// A number, or nil for a blank cell.
      func optionalNumber(_ i: Int) throws -> Double? { text(i) == nil ? nil : try number(i) }
      guard text(0) != nil else { throw PartialListError.badValue(path: path, line: record.line, column: h[0], value: "") }
      guard let id = text(1) else { throw TableError.blankId(path: path, line: record.line, column: h[1]) }
      let p = try number(2)
      guard (0...1).contains(p) else { throw PartialListError.badValue(path: path, line: record.line, column: h[2], value: record.string(2)) }
      var row = RiskRow(id: id, probability: p, band: text(4), reasons: (5...7).compactMap(text),
                        revenueAtRisk: try optionalNumber(8), segment: text(9), change: text(10))
      var c = 2 + fixed.count
      if net {
        row.netValueOfContact = try optionalNumber(c)
        c += 1
      }
      if warnings {
        row.warnings = record.string(c).split(separator: ";").map(String.init)
        row.bandSource = text(c + 1)
        c += 2
      }
      if owners {
        row.owner = text(c)
        c += 1
      }
      if let dimensions {
        let cells = (healthStart..<healthEnd).map { record.string($0) }
        if !cells.allSatisfy(\.isEmpty) {
          let values = try (healthStart..<healthEnd).map { i -> Int in
            guard let v = Int(record.string(i)) else {
              throw PartialListError.badValue(path: path, line: record.line, column: h[i], value: record.string(i))
            }
            return v
          }
          row.health = CustomerHealth(score: values[0], exactScore: Double(values[0]), baseline: values[1], exactBaseline: Double(values[1]),
                                      dimensions: zip(dimensions, values.dropFirst(2)).map { .init(name: $0, points: $1, exact: Double($1)) })
        }
      }
      if let periods {
        // S(1) … S(K), each a probability, non-increasing; the expected and median columns are derived from them.
        let start = healthEnd
        let survival = try (start..<(start + periods)).map { i -> Double in
          let s = try number(i)
          guard (0...1).contains(s) else { throw PartialListError.badValue(path: path, line: record.line, column: h[i], value: record.string(i)) }
          return s
        }
        if let k = survival.indices.dropLast().first(where: { survival[$0] < survival[$0 + 1] }) {
          throw PartialListError.badValue(path: path, line: record.line, column: h[start + k + 1], value: record.string(start + k + 1))
        }
        row.survival = SurvivalCurve(survival: survival)
      }
      if lifetimeValues {
        // Each customer's own, taken as written (every digit in a part), blank without a value.
        row.lifetimeValue = try optionalNumber(width - 2)
        row.valueAtRisk = try optionalNumber(width - 1)
      }
      rows.append(row)
      lines.append(record.line)
    }
    self.rows = rows
    self.lines = lines
  }
}

extension ContactEconomics {
  /// These economics, checked against the parts of a list: every part shows
  /// `expected_net_value_of_contact` and every row's value there is S × its value at stake − C
  /// to the last digit (blank where the value at stake is blank), so the parts were priced with
  /// exactly this C and S. `ContactCut` of the merged list is then the cut one unsharded
  /// `churn score` run reports.
  ///
  /// The result names the customers without a value at stake as `churn score` does: "without a
  /// purchase before the as-of date" when the values are BTYD values (`--lifetime-value btyd`:
  /// the parts end with `lifetime_value,value_at_risk`, some row has a value at risk and no row
  /// an `expected_revenue_at_risk`), else "without a revenue value". (Parts in which no customer
  /// has any value at stake cannot tell the two apart and read as the latter.)
  ///
  /// - Throws: `PartialListError.noNetValue` for a part scored without contact economics;
  ///   `.netValueDiffers` for a row priced with another C or S.
  /// - Complexity: O(n) for n customers.
  public func checked(against parts: [PartialList]) throws(PartialListError) -> ContactEconomics {
    var named = self, purchase = false, revenue = false
    for part in parts {
      guard part.showsNetValue else { throw .noNetValue(path: part.path) }
      for (row, line) in zip(part.rows, part.lines) {
        let expected = row.valueAtStake.map(netValue(ofContacting:))
        guard row.netValueOfContact == expected else {
          throw .netValueDiffers(path: part.path, line: line, found: row.netValueOfContact, expected: expected, formula: formula)
        }
        revenue = revenue || row.revenueAtRisk != nil
        purchase = purchase || (part.showsLifetimeValue && row.valueAtRisk != nil)
      }
    }
    if purchase && !revenue { named.unknownValue = "without a purchase before the as-of date" }
    return named
  }
}

/// A part of a ranked list that cannot be merged.
public enum PartialListError: Error, Equatable, CustomStringConvertible {
  case noParts
  case empty(path: String)
  /// A finished ranked list (first column `rank`) given as a part.
  case finishedList(path: String)
  case badHeader(path: String, header: [String])
  case badValue(path: String, line: Int, column: String, value: String)
  /// Column `column` (1-based) of the part at `path` is `found` (nil: the header ends) where the first part has `expected`.
  case differentColumns(path: String, column: Int, found: String?, firstPath: String, expected: String?)
  case duplicateCustomer(id: String, path: String, line: Int, firstPath: String, firstLine: Int)
  /// Contact economics given to the merge, and the part at `path` has no `expected_net_value_of_contact`.
  case noNetValue(path: String)
  /// The row at `line` has net value `found` where the merge's economics (`formula`) give `expected` (nil: blank).
  case netValueDiffers(path: String, line: Int, found: Double?, expected: Double?, formula: String)

  static let expected = "expected a part written by churn score --shard i/n or --partial (first column \(PartialList.rankHeader))"

  public var description: String {
    func shown(_ header: [String]) -> String { header.prefix(6).joined(separator: ",") + (header.count > 6 ? ",..." : "") }
    switch self {
    case .noParts:
      return "no parts to merge; expected the files written by churn score --shard i/n (or --partial), one per part"
    case .empty(let path):
      return "\(path) is empty; \(Self.expected)"
    case .finishedList(let path):
      return "\(path) is a finished ranked list (first column rank), not a part; its probabilities are rounded to 6 digits, "
        + "too few to rank ties exactly; \(Self.expected); fix: score each part with --shard i/n or --partial"
    case .badHeader(let path, let header):
      return "\(path): header \(shown(header)) is not a part's; \(Self.expected) and the ranked list's columns"
    case .badValue(let path, let line, let column, let value):
      return "\(path) line \(line): \(column) \"\(value)\" cannot be read; \(Self.expected), unedited"
    case .differentColumns(let path, let column, let found, let firstPath, let expected):
      func named(_ name: String?) -> String { name.map { "\"\($0)\"" } ?? "no column" }
      return "\(path): column \(column) is \(named(found)) where \(firstPath) has \(named(expected)); "
        + "expected parts of one list, scored with the same model and options; fix: score every part the same way"
    case .duplicateCustomer(let id, let path, let line, let firstPath, let firstLine):
      return "\(path) line \(line): customer \"\(id)\" is also in \(firstPath) line \(firstLine); expected each customer in exactly one part; "
        + "fix: give each part once, with disjoint customers (--shard i/n for i from 0 to n − 1)"
    case .noNetValue(let path):
      return "\(path) has no expected_net_value_of_contact: its customers were scored without --contact-cost and --save-rate; "
        + "expected parts scored with the --contact-cost and --save-rate given to churn merge; fix: score every part with them, or drop them from churn merge"
    case .netValueDiffers(let path, let line, let found, let expected, let formula):
      func shown(_ x: Double?) -> String { x.map { "\"\($0)\"" } ?? "blank" }
      return "\(path) line \(line): expected_net_value_of_contact is \(shown(found)) where \(formula) gives \(shown(expected)); "
        + "expected parts scored with the --contact-cost and --save-rate given to churn merge; fix: give churn merge the ones the parts were scored with"
    }
  }
}
