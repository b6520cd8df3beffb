import ChurnCore
import Dispatch
import Foundation

/// Scores a feature table with a model file: probabilities, risk bands, and the reasons behind
/// each customer's risk.
///
/// Reasons are the input columns with the largest positive contributions in probability
/// points, additive so that a base probability plus all contributions is the customer's
/// probability: `LogisticModel.probabilityContributions` for the logistic model, exact TreeSHAP
/// values (`ForestModel.shapleyValues`) or path contributions for a forest. A column's value,
/// its missing indicator and all of its one-hot levels are summed into one contribution, shown
/// with the customer's own value (`ColumnContribution.group`, the grouping `churn explain`
/// uses too), so "internetservice is Fiber optic" is said only to a fiber-optic customer.
/// Reasons are computed for the first `reasonRows` customers of the ranked list (10,000 by
/// default; the riskiest, or those first by another `listOrder`), who are the ones a team calls. With a calibration the contributions are rescaled so that they still
/// add up to the calibrated probability (`ModelFile.explain`).
public struct RiskScorer: Sendable {
  public let model: ModelFile

  public init(model: ModelFile) { self.model = model }

  /// How a forest's reasons are computed.
  public enum Explanation: String, Sendable, CaseIterable {
    /// Exact TreeSHAP values (Lundberg et al. 2018), computed in O(nodes × depth) per tree.
    case exact
    /// Path contributions (Saabas): O(depth) per tree.
    case path
    /// Exact while the work is small: trees' nodes × customers explained ≤ `exactBudget`
    /// (measured 0.04 µs a node-customer on the demo's forest and on deep trees with one row at
    /// a time, about 0.02 µs with the block walk: under half a minute of one core); path
    /// contributions beyond.
    case auto
  }

  /// Node-visits of exact TreeSHAP that `.auto` allows.
  public static let exactBudget = 1_000_000_000

  /// Rows explained together by one call of `ModelFile.explain(_:rows:raw:exact:)`: exact
  /// TreeSHAP walks each tree once for them (`TreeEnsembleSHAP.blockRows`).
  static let explanationBlock = TreeEnsembleSHAP.blockRows

  /// Whether a forest's reasons for `rows` customers use exact TreeSHAP under `method`.
  public func usesExactShapley(rows: Int, method: Explanation) -> Bool {
    switch method {
    case .exact: return true
    case .path: return false
    case .auto: return model.model.exactExplanationCost * rows <= Self.exactBudget
    }
  }

  /// One scored customer, before ranking.
  public struct Scored: Sendable {
    public var id: String
    public var probability: Double
    public var band: String?
    /// Up to `reasons` input columns that raise this customer's risk most, with the customer's
    /// own value of each and its contribution in probability units; largest first, positive only.
    public var reasons: [ColumnContribution]
    public var revenueAtRisk: Double?
    public var segment: String?
    /// With `dimensions`: the customer's contributions summed per dimension (probability units),
    /// so that `base + Σ dimensionContributions = probability`; empty without.
    public var dimensionContributions: [Double] = []
    /// With `dimensions`: the base those contributions start from, the model's base rate with
    /// calibration (the same for every row, `ModelFile.explain`); nil without.
    public var base: Double?
  }

  /// Input columns grouped into dimensions, for `scoreRows(_:...:dimensions:)`: every
  /// customer's contributions summed per dimension.
  public struct Dimensions: Sendable, Equatable {
    /// Per input column of the model (`preprocessor.inputNames` order), its dimension in `0..<count`.
    public var ofColumn: [Int]
    /// The number of dimensions.
    public var count: Int

    public init(ofColumn: [Int], count: Int) {
      precondition(ofColumn.allSatisfy { (0..<count).contains($0) }, "dimensions \(ofColumn) outside 0..<\(count)")
      self.ofColumn = ofColumn
      self.count = count
    }
  }

  /// - Parameters:
  ///   - revenue: monthly revenue per row (NaN unknown), or nil.
  ///   - horizonMonths: the horizon in months, for revenue at risk = p × revenue × months.
  ///   - reasonRows: reasons are computed for the first this many rows of the list (the rest get none).
  ///   - listOrder: the ranked list's order of the scored rows (before reasons), row indices
  ///     first to last; nil: probability, highest first, ties by id.
  ///   - threads: explanations are computed on this many threads.
  ///   - method: how a forest's reasons are computed (see `Explanation`).
  ///   - timing: told the seconds each step took ("preprocess", "predict", "explain",
  ///     "dimensions").
  ///   - dimensions: when given, every row's contributions summed per dimension
  ///     (`Scored.dimensionContributions`), each input column's first (as `ColumnContribution.group`
  ///     sums them, so `churn explain` gets the same bits), then per dimension in input-column
  ///     order. Every row is explained for this, by the method `method` allows for all rows
  ///     (`usesExactShapley(rows: table.rowCount, method:)`), so that every customer's
  ///     dimensions come from one method; reasons keep theirs.
  /// - Throws: `PreprocessingError` when the table does not fit the model; `ScoringError` when
  ///   a customer's probability, or a contribution of one given reasons, is not a finite number.
  public func scoreRows(_ table: FeatureTable, revenue: [Double]?, horizonMonths: Double, reasons count: Int = 3,
                        reasonRows: Int = 10_000, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                        method: Explanation = .auto, dimensions: Dimensions? = nil, listOrder: (([Scored]) -> [Int])? = nil,
                        timing: ((String, Double) -> Void)? = nil) throws -> [Scored] {
    let clock = ContinuousClock()
    var mark = clock.now
    func lap(_ step: String) {
      let now = clock.now
      let d = (now - mark).components
      timing?(step, Double(d.seconds) + Double(d.attoseconds) * 1e-18)
      mark = now
    }
    let x = try model.preprocessor.transform(table)
    lap("preprocess")
    let raw = model.rawProbabilities(x)
    lap("predict")
    let p = model.calibration.apply(raw)
    if let bad = p.firstIndex(where: { !$0.isFinite }) { throw ScoringError.nonFiniteProbability(id: table.ids[bad], value: p[bad]) }
    let sources = model.outputSources
    var segments: [String?]?
    if let s = table.columnIndex("rfm_segment"), case .categorical(let values) = table.columns[s] { segments = values }
    var scored = (0..<table.rowCount).map { i in
      Scored(id: table.ids[i], probability: p[i], band: model.riskBands?.band(p[i]), reasons: [],
             revenueAtRisk: revenue.map { $0[i].isNaN ? .nan : (p[i] * $0[i] * horizonMonths) + 0 }, segment: segments?[i] ?? nil)
    }
    // The ranked list's order (by default probability, then id): reasons go to exactly its first
    // `reasonRows` rows, however the table's rows are ordered or split into parts.
    let ids = table.ids
    let riskiest = Array((listOrder?(scored) ?? p.indices.sorted { p[$0] != p[$1] ? p[$0] > p[$1] : ids[$0] < ids[$1] }).prefix(reasonRows))
    // The explanations (TreeSHAP is the cost) on every core, a block of rows at a time
    // (`explanationBlock`), each row's independent of the others and of its block.
    var contributions = [[Double]](repeating: [], count: riskiest.count)
    let file = model
    let exact = usesExactShapley(rows: riskiest.count, method: method)
    let block = Self.explanationBlock, blocks = (riskiest.count + block - 1) / block
    // Path contributions are cheap: a thread per 64 rows at least. Exact TreeSHAP walks whole
    // trees for each row: a thread per block is worth it.
    let workers = max(1, min(threads, exact ? blocks : riskiest.count / 64))
    contributions.withUnsafeMutableBufferPointer { buffer in
      nonisolated(unsafe) let out = buffer
      DispatchQueue.concurrentPerform(iterations: workers) { w in
        for b in stride(from: w, to: blocks, by: workers) {
          let rows = Array(riskiest[(b * block)..<min((b + 1) * block, riskiest.count)])
          for (k, e) in file.explain(x, rows: rows, raw: rows.map { raw[$0] }, exact: exact).enumerated() { out[b * block + k] = e.contributions }
        }
      }
    }
    lap("explain")
    var reasons = [[ColumnContribution]](repeating: [], count: table.rowCount)
    for (k, i) in riskiest.enumerated() {
      let columns = ColumnContribution.group(contributions[k], sources: sources, columns: model.preprocessor.inputNames, row: i, in: table)
      try ScoringError.checkFinite(columns, id: table.ids[i])
      // A survival model's period columns say which period is scored (period 1), not why: never a
      // reason; a period-1 copy of a column adds to that column's contribution.
      reasons[i] = ColumnContribution.reasons(model.survival?.foldingPeriodColumns(columns) ?? columns, count: count)
    }
    var byDimension: [[Double]] = []
    var base: Double?
    if let dimensions {
      lap("reasons")
      (base, byDimension) = try dimensionSums(x, raw: raw, table: table, dimensions: dimensions, method: method, threads: threads,
                                      reasonRows: exact == usesExactShapley(rows: table.rowCount, method: method) ? riskiest : [],
                                      reasonContributions: contributions)
      lap("dimensions")
    }
    for i in scored.indices {
      scored[i].reasons = reasons[i]
      if dimensions != nil { (scored[i].dimensionContributions, scored[i].base) = (byDimension[i], base) }
    }
    return scored
  }

  /// Every row's contributions summed per input column, then per dimension; rows of
  /// `reasonRows` reuse `reasonContributions` (computed by the same method), the others are
  /// explained here on `threads` threads.
  ///
  /// - Throws: `ScoringError.nonFiniteContribution` for the first row with a dimension that is not a finite number.
  func dimensionSums(_ x: Matrix, raw: [Double], table: FeatureTable, dimensions: Dimensions, method: Explanation, threads: Int,
                     reasonRows: [Int], reasonContributions: [[Double]]) throws -> (base: Double?, sums: [[Double]]) {
    let inputs = model.preprocessor.inputNames
    precondition(dimensions.ofColumn.count == inputs.count, "\(dimensions.ofColumn.count) dimensions for \(inputs.count) input columns")
    var position: [String: Int] = [:]
    for (k, name) in inputs.enumerated() where position[name] == nil { position[name] = k }
    let inputOf = model.outputSources.map { source in
      guard let k = position[source] else { preconditionFailure("output column source \(source) is not among the input columns \(inputs)") }
      return k
    }
    let n = x.rows
    var reasonIndex = [Int](repeating: -1, count: n)
    for (k, i) in reasonRows.enumerated() { reasonIndex[i] = k }
    let known = reasonIndex
    let ofColumn = dimensions.ofColumn, count = dimensions.count, inputCount = inputs.count
    let exact = usesExactShapley(rows: n, method: method)
    let file = model
    // Per input column in output order, then per dimension in input order: the additions
    // `ColumnContribution.group` and `explain` make, so both give the same bits. Into one flat
    // buffer, row i at i × count, with a scratch row of column sums per worker.
    var flat = [Double](repeating: 0, count: n * count)
    let block = Self.explanationBlock, blocks = (n + block - 1) / block
    let workers = max(1, min(threads, exact && file.model.exactExplanationCost > 0 ? blocks : n / 64))
    flat.withUnsafeMutableBufferPointer { buffer in
      nonisolated(unsafe) let out = buffer
      DispatchQueue.concurrentPerform(iterations: workers) { w in
        var columns = [Double](repeating: 0, count: inputCount)
        for b in stride(from: w, to: blocks, by: workers) {
          let rows = (b * block)..<min((b + 1) * block, n)
          let unknown = rows.filter { known[$0] < 0 }
          let explained = file.explain(x, rows: unknown, raw: unknown.map { raw[$0] }, exact: exact)
          var next = 0
          for i in rows {
            let c: [Double]
            if known[i] >= 0 {
              c = reasonContributions[known[i]]
            } else {
              c = explained[next].contributions
              next += 1
            }
            for k in 0..<inputCount { columns[k] = 0 }
            for (j, value) in c.enumerated() { columns[inputOf[j]] += value }
            for k in 0..<inputCount { out[i * count + ofColumn[k]] += columns[k] }
          }
        }
      }
    }
    let sums = (0..<n).map { i in Array(flat[(i * count)..<((i + 1) * count)]) }
    // A sum that is not finite has a column contribution that is not: named as the reasons name it.
    for i in 0..<n where sums[i].contains(where: { !$0.isFinite }) {
      let c = file.explain(x, row: i, raw: raw[i], exact: exact).contributions
      try ScoringError.checkFinite(ColumnContribution.group(c, sources: file.outputSources, columns: inputs, row: i, in: table), id: table.ids[i])
    }
    return (n > 0 ? file.explain(x, row: 0, raw: raw[0], exact: exact).base : nil, sums)
  }
}

/// A scored value the outputs cannot show, with where it came from.
public enum ScoringError: Error, Equatable, CustomStringConvertible {
  /// The model gave a customer a probability that is not a finite number.
  case nonFiniteProbability(id: String, value: Double)

  /// A column's contribution to a customer's probability is not a finite number (the model's
  /// log-odds overflowed although the probability itself is 0 or 1).
  case nonFiniteContribution(id: String, column: String, value: ColumnContribution.Value, contribution: Double)

  public var description: String {
    func text(_ x: Double) -> String { x.isNaN ? "nan" : "\(x)" }
    switch self {
    case .nonFiniteProbability(let id, let value):
      return "customer \"\(id)\": the model gives churn probability \(text(value)); expected a number from 0 to 1 "
        + "(an input value too large to compute with); fix: check this customer's values for huge numbers"
    case .nonFiniteContribution(let id, let column, let value, let contribution):
      let shown: String
      switch value {
      case .number(let v): shown = "\(v)"
      case .level(let level): shown = "\"\(level)\""
      case .missing: shown = "missing"
      }
      return "customer \"\(id)\": the contribution of \(column) (value \(shown)) is \(text(contribution)); expected a finite number "
        + "(an input value too large to compute with); fix: check this customer's values for huge numbers"
    }
  }

  /// Throws `nonFiniteContribution` for the first column whose contribution is NaN or infinite.
  static func checkFinite(_ columns: [ColumnContribution], id: String) throws {
    if let bad = columns.first(where: { !$0.contribution.isFinite }) {
      throw ScoringError.nonFiniteContribution(id: id, column: bad.column, value: bad.value, contribution: bad.contribution)
    }
  }
}

extension ModelFile {
  /// One row's additive explanation in probability units: `base + Σ contributions` equals
  /// the probability the model file gives the row (to rounding).
  ///
  /// The model's own contributions (logistic: rescaled log-odds terms; forest: exact
  /// TreeSHAP) add up to its raw probability p from its base b. A calibration g (prior
  /// correction, calibration map) is increasing, so the calibrated explanation keeps each
  /// feature's share: base g(b), contributions scaled by (g(p) − g(b)) / (p − b).
  ///
  /// A forest's contributions are exact TreeSHAP values, or with `exact: false` path
  /// contributions (Saabas: each split's change in node value credited to its feature), which
  /// cost O(depth) per tree instead of a walk of the whole tree, add up the same way, and rank
  /// features much like SHAP values but are not Shapley values.
  public func explain(_ x: Matrix, row: Int, raw: Double? = nil, exact: Bool = true) -> (base: Double, contributions: [Double]) {
    let (base, contributions) = model.contributions(x, row: row, exact: exact)
    guard calibration != nil else { return (base, contributions) }
    return calibrated(base: base, contributions: contributions, raw: raw ?? rawProbabilities(Matrix(rows: 1, columns: x.columns, storage: x.row(row)))[0])
  }

  /// `explain(_:row:raw:exact:)` of each of `rows`, in that order (the same values), the
  /// model's contributions computed for all of them at once (`ChurnModel.contributions(_:rows:exact:)`).
  ///
  /// - Parameter raw: the model's raw probability of each of `rows`, or nil.
  public func explain(_ x: Matrix, rows: [Int], raw: [Double]? = nil, exact: Bool = true) -> [(base: Double, contributions: [Double])] {
    precondition(raw == nil || raw!.count == rows.count, "\(raw?.count ?? 0) raw probabilities for \(rows.count) rows")
    let explained = model.contributions(x, rows: rows, exact: exact)
    guard calibration != nil else { return explained }
    return explained.indices.map { k in
      calibrated(base: explained[k].base, contributions: explained[k].contributions,
                 raw: raw?[k] ?? rawProbabilities(Matrix(rows: 1, columns: x.columns, storage: x.row(rows[k])))[0])
    }
  }

  /// The model's contributions from its raw base to its raw probability `raw`, rescaled to
  /// the calibration's (see `explain(_:row:raw:exact:)`).
  func calibrated(base: Double, contributions: [Double], raw p: Double) -> (base: Double, contributions: [Double]) {
    guard let calibration else { return (base, contributions) }
    let calibratedBase = calibration.apply(base)
    let span = p - base
    let scale = abs(span) > 1e-15 ? (calibration.apply(p) - calibratedBase) / span : 1
    return (calibratedBase, contributions.map { $0 * scale })
  }
}

extension ModelFile {
  /// The input column each output (design) column comes from, in output order.
  public var outputSources: [String] {
    (0..<preprocessor.outputNames.count).map { preprocessor.source(ofOutput: $0).column }
  }

  /// Row `row` of `table` explained per input column: the base, the probability, and one
  /// `ColumnContribution` per input column of the model (in the model's input order), each the
  /// sum over the column's value, missing indicator and one-hot levels, with the customer's own
  /// value. `base + Σ contributions = probability` (to rounding).
  ///
  /// - Parameter exact: a forest's contributions are exact TreeSHAP values, else path contributions.
  /// - Throws: `PreprocessingError` when the table does not fit the model; `ScoringError` when
  ///   the probability or a contribution is not a finite number.
  public func explainColumns(_ table: FeatureTable, row: Int, exact: Bool = true) throws
    -> (base: Double, probability: Double, columns: [ColumnContribution]) {
    let one = table.rows([row])
    let x = try preprocessor.transform(one)
    let raw = rawProbabilities(x)[0]
    let probability = calibration.apply([raw])[0]
    guard probability.isFinite else { throw ScoringError.nonFiniteProbability(id: table.ids[row], value: probability) }
    let (base, contributions) = explain(x, row: 0, raw: raw, exact: exact)
    let columns = ColumnContribution.group(contributions, sources: outputSources, columns: preprocessor.inputNames, row: 0, in: one)
    try ScoringError.checkFinite(columns, id: table.ids[row])
    return (base, probability, columns)
  }
}
