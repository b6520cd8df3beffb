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

  /// The importance of each input column of `table` to `model`.
  ///
  /// The rows are prepared once (`FittedPreprocessor.transform`); shuffling input column j
  /// then shuffles the rows of the model columns it produced (a numeric column's value and
  /// `_missing` indicator, a categorical column's one-hot columns) with the permutation that
  /// shuffling the column itself would apply. The preparation works row by row, so this is the
  /// same, bit for bit, as preparing each shuffled table again, without doing so. A forest
  /// scores coded rows (`BinnedForest`): the rows are coded once and the codes shuffled. An
  /// input column the model does not use (dropped by the preprocessor) has importance 0.
  ///
  /// - Parameters:
  ///   - model: the fitted preprocessing and model (its prior correction applied).
  ///   - table: labelled rows with the model's input columns.
  ///   - score: higher is better (AUC); the importance is baseline − shuffled score.
  ///   - repeats: shuffles per column; each (column, repeat) has its own seeded stream, so the
  ///     result does not depend on the thread count.
  ///   - rows: which rows these are, for reports.
  /// - Throws: the preprocessor's errors on `table`; `score`'s errors.
  /// - Complexity: one preparation of `table`, then columns × repeats scorings of the model;
  ///   each worker thread keeps one working copy of the prepared rows and rewrites only the
  ///   shuffled column's model columns.
  public static func compute(_ model: TrainedModel, on table: FeatureTable, metric: String,
                             score: @Sendable ([Double], [Double]) throws -> Double, repeats: Int = 5, seed: UInt64 = 1,
                             rows: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> PermutationImportance {
    precondition(repeats >= 1)
    let labels = table.labels!
    let x = try model.preprocessor.transform(table)
    let prepared = PreparedRows(model, x)
    let baseline = try score(prepared.probabilities(prepared.original), labels)
    // Model columns per input column of `table` (empty: the model does not read it).
    let count = table.columnNames.count
    var grouped = [[Int]](repeating: [], count: count)
    let index = model.preprocessor.inputIndices(table)
    for k in 0..<x.columns {
      if let j = index[model.preprocessor.source(ofOutput: k).column] { grouped[j].append(k) }
    }
    let groups = grouped
    let n = table.rowCount
    final class Results: @unchecked Sendable {
      var drops: [[Double]]
      var error: Error?
      let lock = NSLock()
      init(_ n: Int) { drops = Array(repeating: [], count: n) }
    }
    let results = Results(count)
    let workers = max(1, min(threads, count))
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      var work = prepared.original
      for j in stride(from: worker, to: count, by: workers) {
        var drops: [Double] = []
        do {
          for r in 0..<repeats {
            guard !groups[j].isEmpty else {
              // Shuffling a column the model does not read changes no probability.
              drops.append(baseline - baseline)
              continue
            }
            // The permutation `shuffle` would apply to the column itself: it depends only on
            // the count and the stream, not on the values.
            var rng = SeededGenerator(seed: seed, stream: UInt64(j) << 16 | UInt64(r))
            var order = Array(0..<n)
            order.shuffle(using: &rng)
            prepared.permute(&work, columns: groups[j], order: order)
            let p = prepared.probabilities(work)
            prepared.permute(&work, columns: groups[j], order: nil)
            drops.append(baseline - (try score(p, labels)))
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

/// The judged rows in the form the model scores: the prepared matrix, or for a forest that
/// walks coded rows, their codes (column by column in blocks, `BinnedForest.code`). A worker
/// copies them once (`Rows`), permutes a group of columns, scores, and puts the group back.
struct PreparedRows: Sendable {
  /// A matrix, or codes of `count` rows: block b (rows b·blockRows ..< (b+1)·blockRows) at
  /// b·blockBytes, feature j of its row r at + j·columnStride + r.
  struct Rows: Sendable {
    var matrix: Matrix
    var codes: [UInt8]
  }

  let model: TrainedModel
  let original: Rows
  let count: Int
  let forest: BinnedForest?
  let blockBytes: Int

  init(_ model: TrainedModel, _ x: Matrix) {
    // Row-major, as the coding and `permute` index it (`compute` transforms the rows so).
    let x = x.rowMajor
    self.model = model
    count = x.rows
    if let trees = model.model as? ForestModel, case .coded(let binned) = trees.walk, model.priorShift == 0 {
      forest = binned
      blockBytes = binned.columnStride * max(x.columns, 1)
      let blocks = (x.rows + binned.blockRows - 1) / binned.blockRows
      // Zeros where nothing is coded: leaves read feature 0's codes and ignore them.
      var codes = [UInt8](repeating: 0, count: max(blocks, 1) * blockBytes)
      let blockBytes = self.blockBytes
      x.storage.withUnsafeBufferPointer { input in
        codes.withUnsafeMutableBufferPointer { out in
          for b in 0..<blocks {
            let lower = b * binned.blockRows
            binned.code(input, columns: x.columns, rows: lower..<min(x.rows, lower + binned.blockRows), into: out.baseAddress! + b * blockBytes)
          }
        }
      }
      original = Rows(matrix: Matrix(rows: 0, columns: 0), codes: codes)
    } else {
      forest = nil
      blockBytes = 0
      original = Rows(matrix: x, codes: [])
    }
  }

  /// The model's probabilities (prior correction applied), as `TrainedModel.probabilities`.
  func probabilities(_ rows: Rows) -> [Double] {
    guard let forest else {
      let p = model.rawProbabilities(rows.matrix)
      return model.priorShift == 0 ? p : p.map { Calibration.shift($0, by: model.priorShift) }
    }
    // Only forests without a prior shift left (they apply it in their leaves) are coded.
    let scale = 1 / Double((model.model as! ForestModel).trees.count)
    var out = [Double](repeating: 0, count: count)
    rows.codes.withUnsafeBufferPointer { c in
      out.withUnsafeMutableBufferPointer { o in
        var lower = 0, b = 0
        while lower < count {
          let upper = min(count, lower + forest.blockRows)
          forest.walk(c.baseAddress! + b * blockBytes, rows: lower..<upper, scale: scale, into: o)
          lower = upper
          b += 1
        }
      }
    }
    return out
  }

  /// Row i of each model column in `columns` of `rows` gets row order[i] of `original`
  /// (order nil: row i, putting the column back).
  func permute(_ rows: inout Rows, columns: [Int], order: [Int]?) {
    if let forest {
      let blockRows = forest.blockRows, stride = forest.columnStride, blockBytes = self.blockBytes
      @inline(__always) func at(_ i: Int, _ j: Int) -> Int { (i / blockRows) * blockBytes + j * stride + i % blockRows }
      original.codes.withUnsafeBufferPointer { input in
        rows.codes.withUnsafeMutableBufferPointer { out in
          for j in columns where j < forest.cuts.count && !forest.cuts[j].isEmpty {
            for i in 0..<count { out[at(i, j)] = input[at(order?[i] ?? i, j)] }
          }
        }
      }
    } else {
      let w = original.matrix.columns
      original.matrix.storage.withUnsafeBufferPointer { input in
        rows.matrix.storage.withUnsafeMutableBufferPointer { out in
          for k in columns { for i in 0..<count { out[i * w + k] = input[(order?[i] ?? i) * w + k] } }
        }
      }
    }
  }
}
