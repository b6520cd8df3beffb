import Foundation
import ChurnCore
import ChurnModels
import ChurnScoring

/// What `Trainer` tunes hyperparameters by.
public enum TuneMetric: String, Sendable, Equatable, CaseIterable {
  /// Mean log loss over the folds, lower is better.
  case logLoss = "log_loss"
  /// Mean ROC AUC over the folds, higher is better.
  case auc
}

/// How to choose hyperparameters: every candidate of the family's grid (`ModelSettings.grid`)
/// is backtested on the latest `folds` folds and the best mean `metric` wins.
public struct Tuning: Sendable, Equatable {
  /// What the candidates are compared by.
  public var metric: TuneMetric
  /// How many of the latest backtest folds the candidates are compared on.
  public var folds: Int

  /// - Parameters:
  ///   - metric: log loss (default) or AUC.
  ///   - folds: the number of latest folds to compare on (default 3).
  public init(metric: TuneMetric = .logLoss, folds: Int = 3) {
    self.metric = metric
    self.folds = folds
  }

  /// Backtests every candidate of `settings.grid` on the latest `self.folds` of `allFolds` and
  /// returns the winner and the record of the comparison.
  ///
  /// - Parameters:
  ///   - table: the labelled rows the folds index.
  ///   - allFolds: out-of-time or k-fold folds; the latest `self.folds` are used.
  ///   - settings: the family, class weight, seed and threads; its grid gives the candidates.
  ///   - log: gets the comparison, one line per candidate (nil: says nothing).
  /// - Returns: the chosen settings and the record stored in the model file.
  /// - Throws: `TrainerError.noTuningFolds` without a fold; the fitting errors of the candidates.
  public func choose(_ table: FeatureTable, folds allFolds: [Fold], settings: ModelSettings,
                     log: JobLog? = nil) throws -> (settings: ModelSettings, record: ModelFile.TuningRecord) {
    let folds = Array(allFolds.suffix(self.folds))
    guard !folds.isEmpty else { throw TrainerError.noTuningFolds }
    let grid = settings.grid(columns: table.columnNames.count)
    log?.line("tuning: \(grid.count) candidates × \(folds.count) folds (\(folds.map(\.name).joined(separator: ", "))), by mean \(metric.rawValue)")
    var candidates: [ModelFile.TuningRecord.Candidate] = []
    var best: (settings: ModelSettings, value: Double)?
    for candidate in grid {
      let predictions = try Backtest.run(table, folds: folds, settings: candidate)
      var losses: [Double] = [], aucs: [Double] = []
      for f in predictions {
        losses.append(try logLoss(probabilities: f.probabilities, labels: f.labels))
        aucs.append(try rocAUC(scores: f.probabilities, labels: f.labels))
      }
      let loss = losses.reduce(0, +) / Double(losses.count), auc = aucs.reduce(0, +) / Double(aucs.count)
      candidates.append(ModelFile.TuningRecord.Candidate(settings: candidate.summary, meanLogLoss: loss, meanAUC: auc))
      log?.line("  \(candidate.summary): mean log loss \(String(format: "%.5f", loss)), mean AUC \(String(format: "%.4f", auc))")
      let value = metric == .auc ? -auc : loss
      if best == nil || value < best!.value { best = (candidate, value) }
    }
    let chosen = best!.settings
    let kind = folds.first?.testCutoff != nil ? "out-of-time" : "cross-validation"
    let reason = metric == .auc ? "highest mean AUC over \(folds.count) \(kind) folds" : "lowest mean log loss over \(folds.count) \(kind) folds"
    log?.line("tuning chose \(chosen.summary) (\(reason))")
    return (chosen, .init(metric: metric.rawValue, folds: folds.map(\.name), candidates: candidates, chosen: chosen.summary, reason: reason))
  }
}
