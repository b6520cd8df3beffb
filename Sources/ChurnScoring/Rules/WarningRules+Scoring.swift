import ChurnCore

extension WarningRules {
  /// The rules that fire on each row of `table`: their names, red rules first, then in file
  /// order; and the worst severity among them (nil when none fired).
  ///
  /// - Throws: as `check(_:)`.
  public func warnings(in table: FeatureTable) throws -> [(names: [String], severity: WarningSeverity?)] {
    let fired = try fired(in: table)
    // Red first, each severity in file order.
    let order = rules.indices.filter { rules[$0].severity == .red } + rules.indices.filter { rules[$0].severity == .yellow }
    return (0..<table.rowCount).map { i in
      let hits = order.filter { fired[$0][i] }
      return (hits.map { rules[$0].name }, hits.first.map { rules[$0].severity })
    }
  }

  /// The worse of a model's band and a rule's severity, and which decided:
  ///
  /// ```
  /// red > yellow > green (> no band)
  /// "rules"  the rule's severity is worse than the model's band
  /// "both"   a rule fired with the model's own band
  /// "model"  otherwise (no rule fired, or only milder ones)
  /// ```
  public static func band(model: String?, rules severity: WarningSeverity?) -> (band: String?, source: String) {
    func rank(_ band: String?) -> Int { band == "red" ? 3 : band == "yellow" ? 2 : band == "green" ? 1 : 0 }
    guard let severity else { return (model, "model") }
    let ruled = rank(severity.rawValue), modelled = rank(model)
    if ruled > modelled { return (severity.rawValue, "rules") }
    return (model, ruled == modelled ? "both" : "model")
  }
}
