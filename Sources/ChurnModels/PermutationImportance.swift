import ChurnCore
import Dispatch
import Foundation

/// How much a model relies on each input column: the drop in a score (AUC by default in the
/// CLI) when that column's values are shuffled across the rows, breaking its link with churn
/// while keeping its distribution (Breiman 2001; scikit-learn's `permutation_importance`).
/// Measured on held-out rows, it is free of the bias of impurity importance toward columns with
/// many split points; correlated columns share their importance (shuffling one leaves its twin).
public struct PermutationImportance: Sendable, Equatable, Codable {
  public struct Column: Sendable, Equatable, Codable {
    public var column: String
    /// Mean drop of the score over the repeats, and its standard deviation.
    public var mean: Double
    public var standardDeviation: Double
  }

  public var columns: [Column]
  /// The score on the unshuffled rows.
  public var baseline: Double
  public var metric: String
  public var repeats: Int
  /// Which rows were shuffled ("holdout cutoff 2025-11-01, 1239 rows").
  public var rows: String
  public var seed: UInt64

  /// - Parameters:
  ///   - table: labelled rows with the model's input columns.
  ///   - probabilities: the model, from a table to probabilities.
  ///   - score: higher is better (AUC); the importance is baseline − shuffled score.
  ///   - repeats: shuffles per column; each (column, repeat) has its own seeded stream, so the
  ///     result does not depend on the thread count.
  public static func compute(table: FeatureTable, probabilities: @Sendable (FeatureTable) throws -> [Double], metric: String,
                             score: @Sendable ([Double], [Double]) throws -> Double, repeats: Int = 5, seed: UInt64 = 1,
                             rows: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> PermutationImportance {
    precondition(repeats >= 1)
    let labels = table.labels!
    let baseline = try score(try probabilities(table), labels)
    let count = table.columnNames.count
    final class Results: @unchecked Sendable {
      var drops: [[Double]]
      var error: Error?
      let lock = NSLock()
      init(_ n: Int) { drops = Array(repeating: [], count: n) }
    }
    let results = Results(count)
    DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { worker in
      for j in stride(from: worker, to: count, by: max(1, min(threads, count))) {
        var drops: [Double] = []
        do {
          for r in 0..<repeats {
            var rng = SeededGenerator(seed: seed, stream: UInt64(j) << 16 | UInt64(r))
            var shuffled = table
            switch table.columns[j] {
            case .numeric(var v):
              v.shuffle(using: &rng)
              shuffled.columns[j] = .numeric(v)
            case .categorical(var v):
              v.shuffle(using: &rng)
              shuffled.columns[j] = .categorical(v)
            }
            drops.append(baseline - (try score(try probabilities(shuffled), labels)))
          }
        } catch {
          results.lock.lock()
          results.error = results.error ?? error
          results.lock.unlock()
        }
        results.lock.lock()
        results.drops[j] = drops
        results.lock.unlock()
      }
    }
    if let error = results.error { throw error }
    let columns = zip(table.columnNames, results.drops).map { name, d -> Column in
      let mean = d.reduce(0, +) / Double(d.count)
      let sd = d.count > 1 ? (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d.count - 1)).squareRoot() : 0
      return Column(column: name, mean: mean, standardDeviation: sd)
    }
    return PermutationImportance(columns: columns.sorted { ($0.mean, $1.column) > ($1.mean, $0.column) }, baseline: baseline, metric: metric,
                                 repeats: repeats, rows: rows, seed: seed)
  }
}
