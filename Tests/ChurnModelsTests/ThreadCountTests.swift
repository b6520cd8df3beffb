import ChurnCore
import ChurnModels
import ChurnTestSupport
import Foundation
import Synchronization
import Testing

/// The project rule: the same data and seed give the same model, bit for bit, whatever the
/// thread count. Each test here uses sizes at which the work really is split (checked, not
/// assumed), since below them "2 threads" runs on one.
@Suite("Thread count never changes a model")
struct ThreadCountTests {
  func bits(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }

  func expectIdentical(_ a: LogisticModel, _ b: LogisticModel, _ label: String) {
    #expect(a.intercept.bitPattern == b.intercept.bitPattern, "\(label): intercept \(a.intercept) vs \(b.intercept)")
    #expect(bits(a.coefficients) == bits(b.coefficients),
            "\(label): coefficients differ by up to \(maxRelativeDifference(a.coefficients, b.coefficients)) (relative)")
    #expect(a.objective.bitPattern == b.objective.bitPattern, "\(label): objective \(a.objective) vs \(b.objective)")
    #expect(a.gradientNorm.bitPattern == b.gradientNorm.bitPattern, "\(label): gradient norm \(a.gradientNorm) vs \(b.gradientNorm)")
    #expect(a.iterations == b.iterations && a.evaluations == b.evaluations && a.subsampleEvaluations == b.subsampleEvaluations,
            "\(label): iterations \(a.iterations)/\(b.iterations), evaluations \(a.evaluations)/\(b.evaluations)")
    // The covariance comes from LAPACK (dsyrk, Cholesky inverse) under OpenBLAS's process-wide
    // thread count, which `threads` does not touch but suites running alongside do
    // (RandomForest.fit sets it to 1): its last bits follow them, not this model's threads.
    #expect((a.covariance == nil) == (b.covariance == nil) && maxRelativeDifference(a.covariance ?? [], b.covariance ?? []) <= 1e-12,
            "\(label): covariance differs by up to \(maxRelativeDifference(a.covariance ?? [], b.covariance ?? [])) (relative)")
  }

  /// Rows spanning several of `fusedGradient`'s chunks, with a short last one.
  static let rows = 5 * Matrix.fusedGradientChunkRows + 777

  @Test("The gradient pass is split into fixed chunks whatever the thread count; 2 threads work on 2 of them or more")
  func gradientChunks() throws {
    let data = PlantedSignal(rows: Self.rows, weights: [1, -0.5, 0.25, 0, 0.1], seed: 2)
    let beta = [0.3, -0.2, 0.1, 0.05, -0.01]
    var results: [(gradient: [Double], total: Double, residualSum: Double)] = []
    var seen: [[Range<Int>]] = []
    for threads in [1, 2, 3, 8] {
      let ranges = Mutex<[Range<Int>]>([])
      let labels = data.labels
      results.append(data.features.fusedGradient(beta, threads: threads) { rows, z in
        ranges.withLock { $0.append(rows) }
        var loss = 0.0
        for i in 0..<z.count {
          let p = 1 / (1 + exp(-z[i]))
          loss += p - labels[rows.lowerBound + i]
          z[i] = p - labels[rows.lowerBound + i]
        }
        return loss
      })
      seen.append(ranges.withLock { $0.sorted { $0.lowerBound < $1.lowerBound } })
    }
    let chunk = Matrix.fusedGradientChunkRows
    let chunkCount = (Self.rows + chunk - 1) / chunk
    #expect(chunkCount == 6)
    #expect(Matrix.fusedGradientWorkers(rows: Self.rows, threads: 2) == 2)
    #expect(Matrix.fusedGradientWorkers(rows: Self.rows, threads: 8) == chunkCount)
    #expect(Matrix.fusedGradientWorkers(rows: chunk, threads: 2) == 1, "one chunk cannot be split")
    for (k, ranges) in seen.enumerated() {
      // Every row once, and no block crossing a chunk boundary.
      #expect(ranges.map(\.count).reduce(0, +) == Self.rows)
      #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
      #expect(ranges.allSatisfy { $0.lowerBound / chunk == ($0.upperBound - 1) / chunk })
      #expect(Set(ranges.map { $0.lowerBound / chunk }).count == chunkCount)
      #expect(ranges == seen[0], "thread count #\(k) saw other blocks")
    }
    for r in results.dropFirst() {
      #expect(bits(r.gradient) == bits(results[0].gradient), "gradient differs by \(maxRelativeDifference(r.gradient, results[0].gradient))")
      #expect(r.total.bitPattern == results[0].total.bitPattern && r.residualSum.bitPattern == results[0].residualSum.bitPattern)
    }
  }

  @Test("Logistic regression: 1, 2 and 3 threads give the same model bit for bit (Newton, L-BFGS, OWL-QN, warm start, balanced)",
        arguments: [("newton", LogisticRegression(l2Penalty: 1, solver: .newton)),
                    ("lbfgs", LogisticRegression(l2Penalty: 1, solver: .lbfgs)),
                    ("owlqn", LogisticRegression(l2Penalty: 0, l1Penalty: 20, solver: .owlqn)),
                    ("lbfgs warm start, balanced", LogisticRegression(l2Penalty: 0.5, classWeight: .balanced, solver: .lbfgs,
                                                                      warmStartMinimumRows: 10_000, warmStartSampleRows: 4_000))])
  func logistic(label: String, settings: LogisticRegression) throws {
    #expect(Matrix.fusedGradientWorkers(rows: Self.rows, threads: 2) == 2, "the test must split the gradient")
    let data = PlantedSignal(rows: Self.rows, weights: [1.2, -0.8, 0.4, 0, 0, 0.15, -0.05], seed: 17)
    var fits: [LogisticModel] = []
    for threads in [1, 2, 3] {
      var s = settings
      s.threads = threads
      fits.append(try s.fit(features: data.features, labels: data.labels))
    }
    #expect(fits[0].converged, "\(label) did not converge")
    if label.contains("warm") { #expect(fits[0].subsampleEvaluations != nil, "no warm start ran") }
    for (k, f) in fits.enumerated().dropFirst() { expectIdentical(fits[0], f, "\(label), \(k + 1) threads") }
  }
  @Test("Random forest: 1, 2 and 3 threads give the same trees, out-of-bag predictions, importances, probabilities and reasons bit for bit",
        arguments: [("bootstrap", RandomForest(treeCount: 7, minLeafSize: 2, seed: 5)),
                    ("balanced weights, no bootstrap, 70% of rows", RandomForest(treeCount: 7, featuresPerSplit: 3, minLeafSize: 4, maxDepth: 9,
                                                                                 sampleFraction: 0.7, bootstrap: false, classWeight: .balanced, seed: 6))])
  func forest(label: String, settings: RandomForest) throws {
    // Trees are dealt to threads round-robin (tree t on thread t mod threads): with 7 trees every
    // thread grows several, in an order that differs with the count.
    let data = PlantedSignal(rows: 3000, weights: [1.2, -0.8, 0.4, 0, 0, 0.15], seed: 23)
    let test = randomMatrix(rows: 5000, columns: 6, seed: 24)
    var fits: [ForestModel] = []
    for threads in [1, 2, 3] {
      var s = settings
      s.threads = threads
      fits.append(try s.fit(features: data.features, labels: data.labels))
    }
    let a = fits[0]
    #expect(a.trees.count == 7 && a.trees.allSatisfy { $0.nodeCount > 50 })
    #expect(a.outOfBag.filter { !$0.isNaN }.count > 500, "few out-of-bag rows to compare")
    let probabilities = bits(a.probabilities(test))
    for (k, b) in fits.enumerated().dropFirst() {
      #expect(a.trees == b.trees, "\(label), \(k + 1) threads: trees differ")
      #expect(zip(a.trees, b.trees).allSatisfy { bits($0.impurityDecrease) == bits($1.impurityDecrease) })
      #expect(bits(a.impurityImportance) == bits(b.impurityImportance), "\(label), \(k + 1) threads: importances")
      #expect(bits(a.outOfBag) == bits(b.outOfBag), "\(label), \(k + 1) threads: out-of-bag predictions")
      #expect(bits(b.probabilities(test)) == probabilities, "\(label), \(k + 1) threads: probabilities")
      for row in stride(from: 0, to: test.rows, by: 997) {
        let (baseA, phiA) = a.shapleyValues(test, row: row), (baseB, phiB) = b.shapleyValues(test, row: row)
        #expect(baseA.bitPattern == baseB.bitPattern && bits(phiA) == bits(phiB), "\(label): Shapley values of row \(row)")
        let (pathA, cA) = a.pathContributions(test, row: row), (pathB, cB) = b.pathContributions(test, row: row)
        #expect(pathA.bitPattern == pathB.bitPattern && bits(cA) == bits(cB), "\(label): path contributions of row \(row)")
      }
    }
  }
  @Test("Training from a table (both families, balanced) and permutation importance: 1 and 2 threads give the same bits",
        arguments: [ModelFamily.logistic, .forest])
  func pipeline(family: ModelFamily) throws {
    // More rows than one gradient chunk, a categorical column (one-hot) and a missing value.
    let n = 2 * Matrix.fusedGradientChunkRows + 500
    let data = PlantedSignal(rows: n, weights: [1, -0.7, 0.3], seed: 31)
    let levels = ["a", "b", "c"]
    var rng = SeededGenerator(seed: 32)
    let plans: [String?] = (0..<n).map { i in i == 17 ? nil : levels[Int(rng.uniform() * 3)] }
    var x2 = (0..<n).map { data.features[$0, 2] }
    x2[99] = .nan
    let table = FeatureTable(ids: (0..<n).map { "c\($0)" }, columnNames: ["x0", "x1", "x2", "plan"],
                             columns: [.numeric((0..<n).map { data.features[$0, 0] }), .numeric((0..<n).map { data.features[$0, 1] }),
                                       .numeric(x2), .categorical(plans)],
                             labels: data.labels)
    var results: [(probabilities: [Double], importance: PermutationImportance)] = []
    for threads in [1, 2] {
      let settings = testSettings(family, trees: 6, classWeight: .balanced, threads: threads)
      let model = try settings.fit(table)
      let importance = try PermutationImportance.compute(model, on: table, metric: "AUC", score: { p, y in Self.auc(p, y) }, repeats: 2, seed: 4,
                                                         rows: "training", threads: threads)
      results.append((try model.probabilities(table), importance))
    }
    #expect(bits(results[0].probabilities) == bits(results[1].probabilities), "\(family): probabilities differ")
    #expect(results[0].importance == results[1].importance, "\(family): permutation importances differ")
  }

  /// AUC by counting pairs (ties half), enough for a comparison of two runs.
  static func auc(_ p: [Double], _ y: [Double]) -> Double {
    let order = p.indices.sorted { p[$0] < p[$1] }
    var rankSum = 0.0, positives = 0.0, i = 0
    while i < order.count {
      var j = i
      while j + 1 < order.count && p[order[j + 1]] == p[order[i]] { j += 1 }
      let rank = Double(i + j + 2) / 2
      for k in i...j where y[order[k]] == 1 { rankSum += rank; positives += 1 }
      i = j + 1
    }
    let negatives = Double(p.count) - positives
    return (rankSum - positives * (positives + 1) / 2) / (positives * negatives)
  }
}
