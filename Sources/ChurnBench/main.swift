// churn-bench: the Swift side of the benchmark scripts in scripts/. Not a user command.
//
//   churn-bench logistic ROWS COLUMNS SEED DATA_PREFIX THREADS
//     generates a dense, standardized-scale logistic problem (seeded), writes it to
//     DATA_PREFIX.x.f64 (row-major float64) and DATA_PREFIX.y.f64 for the Python peers, then fits
//     L2 logistic regression (λ₂ = 1, scikit-learn's C = 1) and prints one JSON line of results.
//     Stopping rule: largest gradient entry ≤ 1e-6 · n, which leaves the objective within about
//     ½·‖g‖²/λ_min(H) ≈ 1e-11 (relative) of its minimum here: tighter than scikit-learn's lbfgs at
//     tol = 1e-6, and far inside the benchmark's 1e-6 agreement check.
//
//   churn-bench forest ROWS COLUMNS SEED DATA_PREFIX THREADS
//     the same data; fits 100 trees on the first 80% and scores the rest.
//
//   churn-bench table ROWS COLUMNS SEED OUT.csv THREADS
//     the same data as a CSV table (customer_id, x1..xd with 6 decimals, churn) for the
//     command-line benchmarks (scripts/bench-score).
//
//   churn-bench numbers COUNT SEED
//     NumberParsing.double against glibc strtod on COUNT seeded texts, then both parsers' speed
//     (Numbers.swift; scripts/check-number-parsing).
import ChurnCore
import ChurnModels
import Foundation

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data((message + "\n").utf8))
  exit(2)
}

let arguments = CommandLine.arguments
if arguments.count == 4, arguments[1] == "numbers", let count = Int(arguments[2]), let seed = UInt64(arguments[3]) {
  numbersBenchmark(count: count, seed: seed)
}
guard arguments.count == 7, ["logistic", "forest", "table"].contains(arguments[1]), let rows = Int(arguments[2]),
      let columns = Int(arguments[3]), let seed = UInt64(arguments[4]), let threads = Int(arguments[6])
else { fail("usage: churn-bench logistic|forest|table ROWS COLUMNS SEED DATA_PREFIX THREADS, or churn-bench numbers COUNT SEED") }
let prefix = arguments[5]
let mode = arguments[1]

// Data: x ~ N(0, 1), true β ~ N(0, 0.3²), y ~ Bernoulli(σ(x·β − 1)).
var x = Matrix(rows: rows, columns: columns)
var y = [Double](repeating: 0, count: rows)
do {
  var rng = SeededGenerator(seed: seed, stream: 0)
  let beta = (0..<columns).map { _ in rng.normal(mean: 0, standardDeviation: 0.3) }
  x.storage.withUnsafeMutableBufferPointer { s in
    for i in 0..<rows {
      var eta = -1.0
      for j in 0..<columns {
        let v = rng.normal()
        s[i * columns + j] = v
        eta += beta[j] * v
      }
      y[i] = rng.uniform() < 1 / (1 + exp(-eta)) ? 1 : 0
    }
  }
  // Written straight from the arrays: a Data copy would double the peak memory being measured.
  func dump(_ values: [Double], _ path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { fail("cannot write \(path)") }
    values.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let n = write(fd, raw.baseAddress! + offset, min(raw.count - offset, 1 << 26))
        guard n > 0 else { fail("cannot write \(path)") }
        offset += n
      }
    }
    close(fd)
  }
  if mode == "table" {
    var out: [UInt8] = Array("customer_id,".utf8) + Array((1...columns).map { "x\($0)" }.joined(separator: ",").utf8) + Array(",churn\n".utf8)
    out.reserveCapacity(1 << 24)
    let fd = open(prefix, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { fail("cannot write \(prefix)") }
    func flush() {
      out.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
          let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
          guard n > 0 else { fail("cannot write \(prefix)") }
          offset += n
        }
      }
      out.removeAll(keepingCapacity: true)
    }
    for i in 0..<rows {
      out.append(contentsOf: Array(String(format: "C%08d,", i).utf8))
      for j in 0..<columns {
        DecimalFormatting.appendFixed(x[i, j], fractionDigits: 6, to: &out)
        out.append(UInt8(ascii: ","))
      }
      out.append(y[i] == 1 ? UInt8(ascii: "1") : UInt8(ascii: "0"))
      out.append(UInt8(ascii: "\n"))
      if out.count > 1 << 23 { flush() }
    }
    flush()
    close(fd)
    exit(0)
  }
  dump(x.storage, prefix + ".x.f64")
  dump(y, prefix + ".y.f64")
}

if mode == "forest" {
  // Train on the first 80% of rows, test on the rest; 100 trees, scikit-learn's defaults for
  // min_samples_leaf (1) and max_features (√d).
  let train = rows * 4 / 5
  let xTrain = Matrix(rows: train, columns: columns, storage: Array(x.storage[0..<(train * columns)]))
  let xTest = Matrix(rows: rows - train, columns: columns, storage: Array(x.storage[(train * columns)...]))
  let clock = ContinuousClock()
  func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
  let start = clock.now
  let forest = try RandomForest(treeCount: 100, minLeafSize: 1, seed: seed, threads: threads).fit(features: xTrain, labels: Array(y[0..<train]))
  let fitSeconds = seconds(clock.now - start)
  // Best of three: the first call also pays for page faults on the output.
  var predictSeconds = Double.infinity
  var p: [Double] = []
  for _ in 0..<3 {
    let predictStart = clock.now
    p = forest.probabilities(xTest)
    predictSeconds = min(predictSeconds, seconds(clock.now - predictStart))
  }
  // One customer at a time, as an interactive lookup would: the median of 1,000 calls.
  var oneRow: [Double] = []
  for i in 0..<min(1000, xTest.rows) {
    let customer = Matrix(rows: 1, columns: columns, storage: xTest.row(i))
    let oneStart = clock.now
    let q = forest.probabilities(customer)
    oneRow.append(seconds(clock.now - oneStart))
    precondition(q[0] == p[i], "row \(i): one at a time \(q[0]), in the batch \(p[i])")
  }
  oneRow.sort()
  let testLabels = Array(y[train...])
  // AUC by the rank formula, ties counted half (as ChurnScoring.rocAUC).
  let order = p.indices.sorted { p[$0] < p[$1] }
  var rankSum = 0.0, k = 0
  while k < order.count {
    var e = k + 1
    while e < order.count && p[order[e]] == p[order[k]] { e += 1 }
    for m in k..<e where testLabels[order[m]] == 1 { rankSum += Double(k + 1 + e) / 2 }
    k = e
  }
  let positives = testLabels.reduce(0, +)
  let auc = (rankSum - positives * (positives + 1) / 2) / (positives * (Double(testLabels.count) - positives))
  let encoder = JSONEncoder()
  let bytes = (try? encoder.encode(forest))?.count ?? 0
  print("{\"fit_seconds\": \(fitSeconds), \"predict_seconds\": \(predictSeconds), \"one_row_seconds\": \(oneRow[oneRow.count / 2]), \"test_rows\": \(testLabels.count), \"auc\": \(auc), "
    + "\"nodes\": \(forest.nodeCount), \"json_bytes\": \(bytes)}")
  exit(0)
}

var results: [String] = []
// One fused pass (X·β, residuals, Xᵀ·r), the unit of work of the first-order solvers.
do {
  let beta = [Double](repeating: 0.01, count: columns)
  let clock = ContinuousClock()
  var best = Double.infinity
  for _ in 0..<5 {
    let start = clock.now
    _ = x.fusedGradient(beta, threads: threads) { _, z in
      var total = 0.0
      for k in 0..<z.count { total += z[k]; z[k] = 0.5 }
      return total
    }
    let e = clock.now - start
    best = min(best, Double(e.components.seconds) + Double(e.components.attoseconds) * 1e-18)
  }
  results.append("\"pass_seconds\": \(best)")
}
for solver in [LogisticRegression.Solver.auto, .lbfgs, .newton] where solver != .newton || columns <= 50 {
  let trainer = LogisticRegression(l2Penalty: 1, solver: solver, gradientTolerance: 1e-6, threads: threads, computeStandardErrors: false)
  let clock = ContinuousClock()
  let start = clock.now
  let model = try trainer.fit(features: x, labels: y)
  let elapsed = clock.now - start
  let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
  results.append("\"\(solver.rawValue)\": {\"solver\": \"\(model.solver.rawValue)\", \"seconds\": \(seconds), \"iterations\": \(model.iterations), "
    + "\"evaluations\": \(model.evaluations), \"subsample_evaluations\": \(model.subsampleEvaluations ?? 0), \"objective\": \(model.objective), \"converged\": \(model.converged)}")
}
print("{" + results.joined(separator: ", ") + "}")
