import ChurnCore

/// The scalar measurements of predictions against outcomes on one set of rows, as a model file
/// keeps them: each named field is one metric, nil when it was not measured or is undefined
/// (an AUC with one class). Stored as a JSON object of numbers (`"auc": 0.79, ...`).
public struct MetricSet: Sendable, Equatable, Codable {
  public var auc: Double?
  /// The 95% bootstrap interval of the AUC.
  public var aucLower: Double?
  public var aucUpper: Double?
  /// Churn rate among the top 10% by score over the overall rate, with its 95% interval.
  public var liftTopDecile: Double?
  public var liftLower: Double?
  public var liftUpper: Double?
  public var averagePrecision: Double?
  public var logLoss: Double?
  public var brier: Double?
  /// Expected calibration error over 10 quantile bins, before and after a calibration map.
  public var ece: Double?
  public var eceCalibrated: Double?
  public var churnRate: Double?
  public var meanPredicted: Double?

  public init(auc: Double? = nil, aucLower: Double? = nil, aucUpper: Double? = nil, liftTopDecile: Double? = nil, liftLower: Double? = nil,
              liftUpper: Double? = nil, averagePrecision: Double? = nil, logLoss: Double? = nil, brier: Double? = nil, ece: Double? = nil,
              eceCalibrated: Double? = nil, churnRate: Double? = nil, meanPredicted: Double? = nil) {
    (self.auc, self.aucLower, self.aucUpper) = (auc, aucLower, aucUpper)
    (self.liftTopDecile, self.liftLower, self.liftUpper) = (liftTopDecile, liftLower, liftUpper)
    (self.averagePrecision, self.logLoss, self.brier, self.ece, self.eceCalibrated) = (averagePrecision, logLoss, brier, ece, eceCalibrated)
    (self.churnRate, self.meanPredicted) = (churnRate, meanPredicted)
  }

  /// The JSON names, one per field (key paths are immutable values: safe to share).
  nonisolated(unsafe) static let names: [(name: String, field: WritableKeyPath<MetricSet, Double?>)] = [
    ("auc", \.auc), ("auc_lower", \.aucLower), ("auc_upper", \.aucUpper), ("lift_top_decile", \.liftTopDecile), ("lift_lower", \.liftLower),
    ("lift_upper", \.liftUpper), ("average_precision", \.averagePrecision), ("log_loss", \.logLoss), ("brier", \.brier), ("ece", \.ece),
    ("ece_calibrated", \.eceCalibrated), ("churn_rate", \.churnRate), ("mean_predicted", \.meanPredicted),
  ]

  /// The metrics of a flat dictionary keyed by the JSON names (after `prefix`), such as
  /// `Evaluation.metrics`; other keys are ignored.
  public init(_ values: [String: Double], prefix: String = "") {
    for (name, field) in Self.names { self[keyPath: field] = values[prefix + name] }
  }

  /// The measured, finite metrics keyed by JSON name with `prefix`.
  func flat(prefix: String = "") -> [String: Double] {
    var out: [String: Double] = [:]
    for (name, field) in Self.names { if let v = self[keyPath: field], v.isFinite { out[prefix + name] = v } }
    return out
  }

  /// Whether nothing was measured.
  public var isEmpty: Bool { flat().isEmpty }

  public init(from decoder: Decoder) throws { self.init(try [String: Double](from: decoder)) }
  public func encode(to encoder: Encoder) throws { try flat().encode(to: encoder) }
}

/// How well a model did on rows it did not see, as its file keeps it: on the holdout (the last
/// cutoff with a purge gap, or holdout ids), out of fold (cross-validation of a table), and on
/// its own training rows (optimistic). Stored as one JSON object, `"holdout_auc"`, `"cv_auc"`,
/// `"training_auc"`, `"holdout_cutoff_ms"`.
public struct ValidationMetrics: Sendable, Equatable, Codable {
  public var holdout: MetricSet
  public var crossValidation: MetricSet
  public var trainingAUC: Double?
  /// The holdout cutoff (ms), for a model trained from events.
  public var holdoutCutoff: Int64?

  public init(holdout: MetricSet = MetricSet(), crossValidation: MetricSet = MetricSet(), trainingAUC: Double? = nil, holdoutCutoff: Int64? = nil) {
    self.holdout = holdout
    self.crossValidation = crossValidation
    self.trainingAUC = trainingAUC
    self.holdoutCutoff = holdoutCutoff
  }

  public init(from decoder: Decoder) throws {
    let values = try [String: Double](from: decoder)
    self.init(holdout: MetricSet(values, prefix: "holdout_"), crossValidation: MetricSet(values, prefix: "cv_"), trainingAUC: values["training_auc"],
              holdoutCutoff: values["holdout_cutoff_ms"].flatMap { $0.isFinite && abs($0) < 1e15 ? Int64($0) : nil })
  }

  public func encode(to encoder: Encoder) throws {
    var values = holdout.flat(prefix: "holdout_").merging(crossValidation.flat(prefix: "cv_")) { a, _ in a }
    if let trainingAUC, trainingAUC.isFinite { values["training_auc"] = trainingAUC }
    if let holdoutCutoff { values["holdout_cutoff_ms"] = Double(holdoutCutoff) }
    try values.encode(to: encoder)
  }
}
