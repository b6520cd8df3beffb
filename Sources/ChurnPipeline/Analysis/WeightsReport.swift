/// A model's feature weights with the grouped view: what `churn weights` shows.
///
/// The grouped view sums each input column's weight (`FeatureWeights.groupWeights`) into the
/// category of signal it measures (`Attribution`): the default rules, or `pattern,category`
/// rules read from a file.
public struct WeightsReport: Sendable {
  /// The weights per feature, strongest first.
  public var weights: FeatureWeights
  /// The rules that place columns in categories.
  public var attribution: Attribution
  /// The categories, largest share first.
  public var groups: [Attribution.Group]

  /// The weights of `file`, grouped by `attribution`.
  public init(_ file: ModelFile, attribution: Attribution = Attribution()) {
    weights = FeatureWeights(file)
    self.attribution = attribution
    groups = attribution.grouped(weights.groupWeights)
  }

  /// Reads the model file at `model` and, when `rules` is given, the grouping rules there.
  ///
  /// A rule that places no column is noted on `log` ("RULES line N: no column name contains
  /// \"seat\""), for it is usually a typo or listed after a broader rule.
  ///
  /// - Parameters:
  ///   - model: a model file written by `churn train`.
  ///   - rules: a CSV of `pattern,category` lines (first match wins), or nil for the default rules.
  ///   - log: where the notes on unused rules go.
  /// - Throws: `ModelFileError` for a model that cannot be read; `AttributionError`, `FileError`
  ///   and `TextFileError` for a rules file that cannot be used.
  public init(model: String, rules: String? = nil, log: JobLog = .silent) throws {
    let file = try ModelFile.read(path: model)
    guard let rules else { self.init(file); return }
    self.init(file, attribution: try Attribution.read(path: rules, columns: FeatureWeights(file).groupWeights.map(\.column), log: log))
  }

  /// The first `top` weights and the grouped view as text tables, separated by a blank line.
  public func table(top: Int = 20) -> String {
    weights.table(top: top) + "\n\n" + FeatureWeights.groupTable(groups, basis: weights.groupBasis)
  }

  /// The first `top` weights (all when nil) as CSV, each with its category.
  public func csv(top: Int? = nil) -> String { weights.csv(top: top, attribution: attribution) }

  /// The first `top` weights (all when nil) and the grouped view as JSON.
  ///
  /// - Throws: `EncodingError` (not expected).
  public func json(top: Int? = nil) throws -> String { try weights.json(top: top, grouped: groups) }
}
