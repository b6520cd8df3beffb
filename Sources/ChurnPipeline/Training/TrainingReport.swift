import ChurnCore
import ChurnFeatures
import ChurnModels
import ChurnScoring
import Foundation

/// What `Trainer.train` did and measured, as values: the rows it learned from, the backtest
/// folds and holdout, the tuning, the fit, the calibration, the risk bands and where the
/// permutation importance was measured. The model file holds the model and the numbers a
/// scorer needs; this report holds the story of the run (each part has the `text` the CLI
/// prints).
public struct TrainingReport: Sendable {
  /// From an event log: what the feature build read and made.
  public var features: FeatureRunSummary?
  /// From a prepared table: the rows trained on.
  public var table: TableRows?
  /// With tuning: the candidates compared and the one chosen.
  public var tuning: ModelFile.TuningRecord?
  /// The measuring folds (out-of-time with a purge gap, or stratified k-fold), when any ran.
  public var backtest: BacktestFolds?
  /// The holdout measurement: the last out-of-time fold, or the held-out ids of a table.
  public var holdout: Holdout?
  /// With calibration: the expected calibration error of the last fold before and after.
  public var calibration: CalibrationChange?
  /// The rows the final model was fitted on.
  public var finalRows: Int = 0
  public var finalChurned: Int = 0
  /// The fit's one-line report (solver, iterations or trees, training AUC).
  public var fit: String = ""
  /// The prior correction of balanced class weights, in log-odds (0 without).
  public var priorShift: Double = 0
  /// Where permutation importance was measured and how long it took (nil with one class).
  public var importance: Importance?
  /// The final model's mean predicted probability on its training rows, and their churn rate.
  public var meanPredicted: Double = 0
  public var observedChurnRate: Double = 0
  /// The risk bands, with the churn rates observed on held-out rows (or training rows without).
  public var bands = RiskBands(red: 1, yellow: 1)
  /// Set when tied scores made the bands hold other shares than asked.
  public var bandsNote: String?
  /// Notes on the data and the preprocessing (columns dropped, rows left out).
  public var notes: [String] = []

  /// An empty report, filled in by `Trainer.train`.
  public init() {}

  /// The rows of a prepared table trained on.
  public struct TableRows: Sendable, Equatable {
    /// Labelled rows trained on (less the held-out ones), churned among them, and input columns.
    public var rows: Int
    public var churned: Int
    public var inputColumns: Int
    /// Labelled rows held out by an ids file, and its path.
    public var heldOut: Int
    public var holdoutIds: String?

    /// Row counts of a table trained on.
    public init(rows: Int, churned: Int, inputColumns: Int, heldOut: Int, holdoutIds: String?) {
      (self.rows, self.churned, self.inputColumns, self.heldOut, self.holdoutIds) = (rows, churned, inputColumns, heldOut, holdoutIds)
    }
  }

  /// Measuring folds and each one's evaluation.
  public struct BacktestFolds: Sendable {
    /// Out-of-time folds (with a purge gap), or stratified k-fold of `k` folds.
    public var outOfTime: Bool
    public var k: Int
    /// The settings the folds' models were fitted with.
    public var settings: String
    public var folds: [FoldEvaluation]

    /// The heading line.
    public var title: String { "backtest (\(outOfTime ? "out-of-time, purge gap" : "stratified \(k)-fold")), \(settings):" }
  }

  /// One fold's evaluation (200 bootstrap replicates) and, with calibration, its calibrated ECE.
  public struct FoldEvaluation: Sendable {
    /// The fold's name: its test cutoff, or "fold k of n".
    public var fold: String
    public var trainingRows: Int
    public var evaluation: Evaluation
    public var calibratedECE: Double?
  }

  /// The holdout: the last out-of-time fold (`cutoff`) or the rows of a holdout ids file.
  public struct Holdout: Sendable {
    /// The cutoff's date, or "holdout" for held-out ids.
    public var name: String
    public var cutoff: Int64?
    public var trainingRows: Int
    public var evaluation: Evaluation

    /// The line `churn train` prints.
    public var text: String {
      cutoff != nil
        ? "holdout cutoff \(name): AUC \(String(format: "%.4f", evaluation.auc.value)) on \(evaluation.rows) rows (model fitted on the \(trainingRows) rows whose label window closed by then)"
        : "holdout AUC \(String(format: "%.4f", evaluation.auc.value)) on \(evaluation.rows) rows; in full:"
    }
  }

  /// Calibration measured on the last fold: a map fitted on the folds before it (or the other folds).
  public struct CalibrationChange: Sendable, Equatable {
    /// Platt or isotonic.
    public var method: Calibration.Method
    /// The last fold, and its expected calibration error before and after its map.
    public var fold: String
    public var before: Double
    public var after: Double
    /// The folds whose predictions the model's own map was fitted on.
    public var folds: Int
    public var outOfTime: Bool

    /// The line `churn train` prints.
    public var text: String {
      "\(method.rawValue) calibration: expected calibration error on \(fold) \(String(format: "%.4f", before)) → "
        + "\(String(format: "%.4f", after)) (map fitted on \(outOfTime ? "the folds before it" : "the other folds")); the model's map uses all \(folds) folds"
    }
  }

  /// Where permutation importance was measured and its time.
  public struct Importance: Sendable, Equatable {
    public var source: String
    public var seconds: Double

    /// The line `churn train` prints.
    public var text: String {
      "permutation importance (drop in AUC, 5 shuffles per column) on \(source) in \(String(format: "%.2f", seconds)) s"
    }
  }

  /// "N rows, K churned (R%)".
  static func rowSummary(rows: Int, churned: Int) -> String {
    "\(rows) rows, \(churned) churned (\(TextTable.percent(Double(churned) / Double(max(rows, 1)))))"
  }

  /// The final model's line.
  public var meanText: String {
    "final model: mean predicted probability \(TextTable.percent(meanPredicted)) against an observed churn rate of \(TextTable.percent(observedChurnRate))"
  }

  /// The balanced-class-weights line, nil without a prior correction.
  public var priorShiftText: String? {
    priorShift == 0 ? nil : "balanced class weights: probabilities corrected by \(String(format: "%+.3f", priorShift)) log-odds "
      + "(King & Zeng's prior correction) so they average to the real churn rate"
  }

  /// The risk bands' line.
  public var bandsText: String {
    let parts = ["red", "yellow", "green"].map { band -> String in
      let rate = bands.observedChurnRate[band].map { TextTable.percent($0) } ?? "-"
      return "\(band) \(rate) of \(bands.observedRows[band] ?? 0)"
    }
    return "risk bands: red ≥ \(String(format: "%.3f", bands.red)), yellow ≥ \(String(format: "%.3f", bands.yellow)); observed churn: " + parts.joined(separator: ", ")
  }
}


extension Duration {
  /// The duration in seconds.
  var secondsValue: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
