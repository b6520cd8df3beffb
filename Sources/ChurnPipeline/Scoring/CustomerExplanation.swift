import ChurnCore
import ChurnModels
import ChurnScoring

/// One customer's additive explanation, per input column: base + Σ contributions = probability.
///
/// The grouping is the ranked list's reasons' (`ModelFile.explainColumns`): a column's value,
/// its missing indicator and its one-hot levels count as one term, shown with the customer's
/// own value. The same contributions summed by category of signal give the health score and its
/// dimensions (`health`, <doc:HealthByDimension>). Encodes as `churn explain --format json` writes it.
public struct CustomerExplanation: Sendable, Encodable, Equatable {
  /// One input column's term.
  public struct Term: Sendable, Encodable, Equatable {
    public var feature: String
    /// The customer's value as text (a number, a level, or "missing").
    public var value: String
    /// In probability units (0.05 = 5 points).
    public var contribution: Double
    /// The health dimension the column belongs to (`HealthDimensions`).
    public var dimension: String
  }

  public var customer: String
  /// The model family's name ("logistic", "forest").
  public var model: String
  /// The churn probability of the model's reference customer, calibration included.
  public var base: Double
  public var probability: Double
  public var band: String?
  /// Strongest first (by |contribution|, then by name).
  public var terms: [Term]
  /// The health score and its dimensions, from the same contributions: the ranked list's
  /// `health` columns for this customer (`CustomerHealth`).
  public var health: CustomerHealth
  /// The name of the id column (not encoded).
  public var idHeader: String

  enum CodingKeys: String, CodingKey { case customer, model, base, probability, band, terms, health }

  /// Row `row` of `table` explained by `file`.
  ///
  /// - Throws: `PreprocessingError` when the table does not fit the model; `ScoringError` when
  ///   the probability or a contribution is not a finite number.
  init(_ file: ModelFile, table: FeatureTable, row: Int, idHeader: String, groups: Attribution = Attribution()) throws {
    let explained = try file.explainColumns(try file.scoringRows(table), row: row)
    let dimensions = HealthDimensions(columns: file.preprocessor.inputNames, attribution: groups)
    terms = zip(explained.columns, dimensions.dimensionOfColumn).map { c, dimension in
      let value: String
      switch c.value {
      case .number(let v): value = ReasonText.number(v)
      case .level(let level): value = level
      case .missing: value = "missing"
      }
      // + 0 turns a -0.0 (a zero coefficient times a negative value) into 0, which JSON writes as 0, not -0.
      return Term(feature: c.column, value: value, contribution: c.contribution + 0, dimension: dimensions.names[dimension])
    }
    terms.sort { (abs($0.contribution), $1.feature) > (abs($1.contribution), $0.feature) }
    customer = table.ids[row]
    model = file.family.rawValue
    base = explained.base
    probability = explained.probability
    band = file.riskBands?.band(probability)
    health = dimensions.health(probability: probability, base: base, columnContributions: explained.columns.map(\.contribution))
    self.idHeader = idHeader
  }
}

extension Scorer {
  /// One customer's full breakdown as of `asOf`: base rate, every input column's value and
  /// contribution, the probability and band, the health score by dimension (`groups`: the
  /// rules that place columns in dimensions, as `churn weights --groups` reads them).
  ///
  /// - Throws: `ScorerError.customerNotFound` when the customer is not eligible as of the date
  ///   (suggesting an id that differs in case or leading zeros); the errors of `score(_:asOf:options:)`.
  public func explain(customer: String, in data: EventData, asOf: String, groups: Attribution = Attribution()) throws -> CustomerExplanation {
    try explain(customer: customer, in: .events(data, asOf: asOf), groups: groups)
  }

  /// One customer of a prepared table, explained.
  ///
  /// - Throws: `ScorerError.customerNotFound` when no row has the id; the errors of `score(_:options:)`.
  public func explain(customer: String, in table: TableData, groups: Attribution = Attribution()) throws -> CustomerExplanation {
    try explain(customer: customer, in: .table(table), groups: groups)
  }

  /// One customer of `source`, explained.
  public func explain(customer: String, in source: CustomerSource, groups: Attribution = Attribution()) throws -> CustomerExplanation {
    let rows = try self.rows(source, revenueColumn: nil)
    guard let row = rows.features.ids.firstIndex(of: customer) else {
      let place: String
      switch source {
      case .table(let table): place = "in \(table.path)"
      case .events, .database: place = rows.described + " (not in the log, not yet started, already churned, or inactive over the active window)"
      }
      throw ScorerError.notFound(customer, ids: rows.features.ids, source: place)
    }
    return try CustomerExplanation(model, table: rows.features, row: row, idHeader: rows.idHeader, groups: groups)
  }
}
