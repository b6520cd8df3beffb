import ChurnCore
import Foundation

/// Gradient boosting of regression trees on log loss (Friedman 2001), with trees grown the way
/// LightGBM grows them (Ke et al. 2017): features binned once to ≤ 255 bins, second-order
/// histograms, best-first (leaf-wise) growth and histogram subtraction (`BoostedTreeGrower`).
///
/// The model is F(x) = b + Σₜ fₜ(x) in log-odds, p = σ(F). b is the log-odds of the
/// (weighted) churn rate; round t fits tree fₜ to the gradients and hessians of the weighted
/// log loss at the current scores:
///
/// ```
/// gᵢ = wᵢ (pᵢ − yᵢ),   hᵢ = wᵢ pᵢ (1 − pᵢ),   pᵢ = σ(Fᵢ)
/// ```
///
/// Randomness (only with `rowFraction` or `featureFraction` below 1): round t draws its rows
/// from `SeededGenerator(seed, stream: 2t)` and its features from stream 2t + 1, so the same
/// seed gives the same model with any number of threads; threads split the features of each
/// histogram pass, and every feature's histogram is summed in row order by one thread.
struct GradientBoosting {
  let spec: BoostingSpec
  let classWeight: ClassWeight
  let seed: UInt64
  let threads: Int

  /// Rows a column's bin cut points are found from at most (LightGBM's
  /// `bin_construct_sample_cnt`): a larger training set bins on a sample of this many rows
  /// (`FeatureBins.sampledRows`), a smaller one on all of them.
  static let binSampleRows = 200_000

  /// Fits the trees.
  ///
  /// - Parameters:
  ///   - binCuts: the columns' bin cut points when already known (`FitOptions.binCuts`).
  ///   - afterRound: called after each round with the base score, the round's tree and the
  ///     training rows' scores so far; returning false stops the fit there (early stopping, `BoostingSearch`).
  ///     The trees up to a round are the same whether or not the fit goes on.
  /// - Returns: the model and its training rows' final scores (log-odds, as the fit summed them).
  /// - Throws: `BoostingError` for labels or values it cannot fit.
  /// - Complexity: O(rounds × (n × d × log(leaves) + leaves × d × 255)) for the histograms and scans.
  func fitWithScores(_ x: Matrix, labels: [Double], featureNames: [String], binCuts: [[Double]?]? = nil,
                     afterRound: ((_ baseScore: Double, _ tree: DecisionTree, _ scores: [Double]) -> Bool)? = nil) throws -> (model: BoostedModel, scores: [Double]) {
    let n = x.rows, d = x.columns
    guard labels.count == n else { throw BoostingError.labelCount(rows: n, labels: labels.count) }
    if let i = labels.firstIndex(where: { $0 != 0 && $0 != 1 }) { throw BoostingError.invalidLabel(row: i, value: labels[i]) }
    let positives = labels.reduce(0, +)
    guard positives > 0 && positives < Double(n) else { throw BoostingError.singleClass(rows: n) }
    let weights = classWeight.applied(to: [Double](repeating: 1, count: n), labels: labels, positives: positives)
    let bins = FeatureBins(x, knownCuts: binCuts, sampleRows: Self.binSampleRows, threads: threads, missingBin: true)
    var churnedWeight = 0.0, retainedWeight = 0.0
    for i in 0..<n {
      if labels[i] == 1 { churnedWeight += weights[i] } else { retainedWeight += weights[i] }
    }
    let base = log(churnedWeight / retainedWeight)
    // Threads started once for the fit's parallel loops (histogram passes, partitions, gradients).
    let pool = WorkerPool(threads: threads)
    defer { pool.stop() }
    let grower = BoostedTreeGrower(bins: bins, spec: spec, pool: pool)
    defer { grower.deallocate() }
    var scores = [Double](repeating: base, count: n)
    // Each row's (g, h) side by side: a gather of a leaf's rows reads one 16-byte pair a row.
    var gh = [BoostedTreeGrower.Bin](repeating: .zero, count: n)
    var trees: [DecisionTree] = []
    var importance = [Double](repeating: 0, count: d)
    let chunks = n >= 8_192 ? 4 * pool.threads : 1
    for round in 0..<spec.treeCount {
      // Gradients and hessians, row by row (the same numbers in chunks on any thread).
      scores.withUnsafeBufferPointer { s in
        gh.withUnsafeMutableBufferPointer { ghOut in
          nonisolated(unsafe) let (s, ghOut) = (s, ghOut)
          pool.run(units: chunks) { c in
            for i in (c * n / chunks)..<((c + 1) * n / chunks) {
              let p = sigmoid(s[i])
              ghOut[i] = BoostedTreeGrower.Bin(weights[i] * (p - labels[i]), weights[i] * p * (1 - p))
            }
          }
        }
      }
      let bag = spec.rowFraction < 1 ? Self.sample(n, fraction: spec.rowFraction, stream: 2 * UInt64(round), seed: seed) : nil
      let allowed = spec.featureFraction < 1 ? Self.sample(d, fraction: spec.featureFraction, stream: 2 * UInt64(round) + 1, seed: seed) : nil
      let grown = grower.grow(gradients: gh, rows: bag, features: allowed)
      for (j, gain) in grown.gains { importance[j] += gain }
      grower.addLeafValues(grown, to: &scores, bagged: bag != nil)
      trees.append(grown.tree.preordered())
      if let afterRound, !afterRound(base, trees[trees.count - 1], scores) { break }
    }
    let total = importance.reduce(0, +)
    if total > 0 { importance = importance.map { $0 / total } }
    return (BoostedModel(featureNames: featureNames, baseScore: base, trees: trees, gainImportance: importance, learningRate: spec.learningRate),
            scores)
  }

  /// The shift c in log-odds after which the mean probability of the training rows is their
  /// churn rate, Σᵢ σ(sᵢ + c) = Σᵢ yᵢ (Newton's method from `start`): the prior correction of a
  /// class-weighted boosted model. For a logistic model with an intercept King & Zeng's
  /// logit τ − logit ȳ_w does this; a boosted model's leaves are not fitted jointly with one
  /// intercept, so that shift is only a start (measured: 16% off the churn rate).
  static func meanMatchingShift(scores: [Double], labels: [Double], start: Double) -> Double {
    let target = labels.reduce(0, +)
    var c = start
    for _ in 0..<50 {
      var f = -target, slope = 0.0
      for s in scores {
        let p = sigmoid(s + c)
        f += p
        slope += p * (1 - p)
      }
      guard slope > 0 else { break }
      let step = f / slope
      c -= step
      if abs(step) < 1e-12 { break }
    }
    return c
  }

  /// ⌈fraction · count⌉ (at least 1) of 0..<count drawn without replacement (a partial
  /// Fisher–Yates shuffle), ascending.
  static func sample(_ count: Int, fraction: Double, stream: UInt64, seed: UInt64) -> [Int32] {
    var rng = SeededGenerator(seed: seed, stream: stream)
    let k = min(count, max(1, Int((fraction * Double(count)).rounded(.up))))
    var order = Array(0..<Int32(count))
    for i in 0..<k { order.swapAt(i, i + rng.integer(below: count - i)) }
    return order[..<k].sorted()
  }
}

/// Data gradient boosting cannot be fitted on.
public enum BoostingError: Error, Equatable, CustomStringConvertible {
  case labelCount(rows: Int, labels: Int)
  case invalidLabel(row: Int, value: Double)
  case singleClass(rows: Int)

  public var description: String {
    switch self {
    case .labelCount(let rows, let labels): return "\(rows) rows but \(labels) labels; expected one label per row"
    case .invalidLabel(let row, let value): return "label of row \(row + 1) is \(value); expected 0 or 1"
    case .singleClass(let rows): return "all \(rows) labels are the same; a churn model needs both churned and retained customers"
    }
  }
}

/// Grows one boosted tree at a time from binned features, reusing its buffers from tree to tree.
///
/// The phases of LightGBM's serial tree learner (src/treelearner/serial_tree_learner.cpp):
///
/// 1. the root: the rows (all, or the round's sample) with their gradients and hessians laid
///    out by position; histograms of every feature; each feature's best split;
/// 2. best-first: the leaf whose best split gains most is split (`partition`, stable, so each
///    child's rows stay in row order); the smaller child's histograms are built from its rows
///    and the larger child's are the parent's minus the smaller's (`histogramPass`); both
///    children's best splits are found; until `maxLeaves` leaves or no split gains;
/// 3. leaf values −G / (H + λ) × η.
///
/// A histogram holds, per bin of every feature, Σg and Σh in Double (16 bytes a bin, as
/// LightGBM's). Splits "code ≤ b goes left" are scored by the second-order gain
///
/// ```
/// gain = G_L² / (H_L + λ) + G_R² / (H_R + λ) − G² / (H + λ)
/// ```
///
/// and allowed when each side keeps `minChildRows` rows and a hessian sum of `minChildHessian`;
/// among equal gains the lower feature, then the higher bin, wins (as in LightGBM). The rows a
/// side keeps are counted as LightGBM counts them: a histogram has no row counts, and a bin's
/// count is estimated from its hessian sum, ⌊h · n / H + ½⌋ for a leaf of n rows and hessian
/// sum H (src/treelearner/feature_histogram.hpp, `cnt_factor`). So a child can hold somewhat
/// fewer (or more) than `minChildRows` rows. Counting them exactly took a third value a bin
/// (32 bytes with padding), twice the memory traffic and instructions of every histogram add:
/// measured, 16-byte bins took the whole training process of 100k × 50 (100 rounds, 2 threads)
/// to 0.85× its CPU time, and the model file stayed the same bytes.
///
/// Missing values (LightGBM's `use_missing` with `MissingType::NaN`): a feature with missing
/// training values has a missing bin beside its histogram, and its splits learn where missing
/// values go (`scan`); the split's `defaultLeft` flag sends them there at prediction.
final class BoostedTreeGrower: @unchecked Sendable {
  let bins: FeatureBins
  let spec: BoostingSpec
  /// The fit's threads; every parallel loop's units write disjoint outputs (`WorkerPool`).
  let pool: WorkerPool
  let n: Int
  let d: Int
  /// Feature j's bins start at offset[j] (in bins) in a histogram.
  let offset: [Int]
  let totalBins: Int
  /// When every feature's histogram is given the same number of bins (`offset[j]` = j × stride),
  /// that number, else 0: the row-wise pass then steps from feature to feature without reading
  /// `offset`. Chosen when it costs at most a quarter more memory than packed histograms.
  let stride: Int
  /// Every row's codes, row-major: rowCodes[i * d + j] (the histograms' reads of sparse leaves).
  let rowCodes: UnsafeMutablePointer<UInt8>
  /// Row indices by position; a leaf is a range of positions.
  let order: UnsafeMutablePointer<Int32>
  /// (g, h) by position, for the rows of the leaf whose histograms are built (`gather`):
  /// a histogram bin adds one vector.
  let ordered: UnsafeMutablePointer<Bin>
  let scratchOrder: UnsafeMutablePointer<Int32>
  /// A histogram bin: (Σg, Σh), 16 bytes, as LightGBM's `hist_t` pairs; its row count is
  /// estimated from Σh where the split search needs it (`scan`).
  typealias Bin = SIMD2<Double>
  /// Histograms, at most one per leaf; free ones in `free`.
  var slots: [UnsafeMutablePointer<Bin>] = []
  var free: [Int] = []
  /// Per feature, the best split of the leaf being scanned (two: the two children of a split).
  let bestOfFeature: UnsafeMutablePointer<Split>
  /// Whether `order` is 0..<n (the tree grows on all rows): the root's histograms then read each column straight through.
  var identityOrder = false

  /// A split of a leaf: rows with code ≤ `bin` on `feature` go left, and with `defaultLeft`
  /// so do rows whose value is missing (otherwise they go right). `bin` = the feature's last
  /// value bin (`binCount − 1`) puts every value left and the missing ones right: a split on
  /// missingness alone.
  struct Split {
    var feature: Int
    var bin: Int
    var gain: Double
    var leftG: Double
    var leftH: Double
    var defaultLeft: Bool

    static let none = Split(feature: -1, bin: -1, gain: 0, leftG: 0, leftH: 0, defaultLeft: false)
  }

  /// A leaf of the tree being grown.
  struct Leaf {
    var node: Int
    var lower: Int
    var upper: Int
    var depth: Int
    var sumG: Double
    var sumH: Double
    /// Its histograms' slot, or −1.
    var slot: Int
    var best: Split

    var count: Int { upper - lower }
  }

  /// A grown tree (nodes in creation order), the bin of each split, each leaf's rows (its
  /// range of `order`) and value, and the gain of each split by feature.
  struct Grown {
    var tree: DecisionTree
    var splitBin: [Int]
    var leaves: [(node: Int, lower: Int, upper: Int)]
    var gains: [(feature: Int, gain: Double)]
  }

  init(bins: FeatureBins, spec: BoostingSpec, pool: WorkerPool) {
    self.bins = bins
    self.spec = spec
    self.pool = pool
    n = bins.rows
    d = bins.columns
    var offset: [Int] = [], total = 0
    for j in 0..<d {
      offset.append(total)
      total += bins.histogramBinCount(j)
    }
    let widest = (0..<d).map { bins.histogramBinCount($0) }.max() ?? 0
    if d * widest * 4 <= total * 5 {
      stride = widest
      offset = (0..<d).map { $0 * widest }
      total = d * widest
    } else {
      stride = 0
    }
    self.offset = offset
    totalBins = total
    order = .allocate(capacity: max(n, 1))
    rowCodes = .allocate(capacity: max(n * d, 1))
    let rowCodes = self.rowCodes, n = self.n, d = self.d
    bins.codes.withUnsafeBufferPointer { codes in
      // Blocks of rows, so that each block's columns are read once and its rows written once.
      var lower = 0
      while lower < n {
        let upper = min(n, lower + 4096)
        for j in 0..<d {
          let column = codes.baseAddress! + j * n
          for i in lower..<upper { rowCodes[i * d + j] = column[i] }
        }
        lower = upper
      }
    }
    ordered = .allocate(capacity: max(n, 1))
    scratchOrder = .allocate(capacity: max(n, 1))
    bestOfFeature = .allocate(capacity: 2 * max(d, 1))
  }

  func deallocate() {
    order.deallocate()
    rowCodes.deallocate()
    ordered.deallocate()
    scratchOrder.deallocate()
    bestOfFeature.deallocate()
    for slot in slots { slot.deallocate() }
  }

  func acquire() -> Int {
    if let k = free.popLast() { return k }
    slots.append(.allocate(capacity: max(totalBins, 1)))
    return slots.count - 1
  }

  func release(_ k: Int) { if k >= 0 { free.append(k) } }

  /// Grows one tree on `rows` (nil: all rows) and `features` (nil: all; else the allowed ones)
  /// from every row's (gradient, hessian).
  func grow(gradients gh: [Bin], rows: [Int32]?, features: [Int32]?) -> Grown {
    var allowed = [Bool](repeating: features == nil, count: d)
    for j in features ?? [] { allowed[Int(j)] = true }
    // A feature of one value can still split its missing rows off.
    for j in 0..<d where bins.binCount(j) < 2 && !bins.hasMissing[j] { allowed[j] = false }
    let count = rows?.count ?? n
    var sumG = 0.0, sumH = 0.0
    identityOrder = rows == nil
    // The rows' (g, h) laid out by position in parallel chunks; summed in position order.
    gh.withUnsafeBufferPointer { gh in
      nonisolated(unsafe) let gh = gh
      nonisolated(unsafe) let (order, ordered) = (self.order, self.ordered)
      let chunks = count >= 8_192 ? 4 * pool.threads : 1
      pool.run(units: chunks) { c in
        for p in (c * count / chunks)..<((c + 1) * count / chunks) {
          let i = rows.map { Int($0[p]) } ?? p
          order[p] = Int32(i)
          ordered[p] = gh[i]
        }
      }
    }
    for p in 0..<count {
      sumG += ordered[p][0]
      sumH += ordered[p][1]
    }
    var grown = Grown(tree: DecisionTree(feature: [], threshold: [], left: [], right: [], value: [], cover: [], impurityDecrease: []),
                      splitBin: [], leaves: [], gains: [])
    _ = grown.appendLeaf()
    var root = Leaf(node: 0, lower: 0, upper: count, depth: 0, sumG: sumG, sumH: sumH, slot: -1, best: .none)
    var leaves: [Leaf] = []
    if canSplit(root, leaves: 1) {
      root.slot = acquire()
      histogramPass(allowed: allowed, build: root, buildSlot: root.slot, scanBuilt: true, larger: nil)
      root.best = bestSplit(0)
    }
    leaves.append(root)
    while leaves.count < spec.maxLeaves {
      // The leaf whose best split gains most (the first among equals).
      var chosen = -1
      for (k, leaf) in leaves.enumerated() where leaf.best.feature >= 0 && (chosen < 0 || leaf.best.gain > leaves[chosen].best.gain) {
        chosen = k
      }
      guard chosen >= 0 else { break }
      let parent = leaves[chosen]
      let split = parent.best
      let mid = partition(parent.lower..<parent.upper, feature: split.feature, bin: split.bin, defaultLeft: split.defaultLeft)
      let (leftNode, rightNode) = grown.split(parent.node, feature: split.feature, threshold: threshold(split), bin: split.bin,
                                              defaultLeft: split.defaultLeft)
      grown.gains.append((split.feature, split.gain))
      var left = Leaf(node: leftNode, lower: parent.lower, upper: mid, depth: parent.depth + 1, sumG: split.leftG, sumH: split.leftH,
                      slot: -1, best: .none)
      var right = Leaf(node: rightNode, lower: mid, upper: parent.upper, depth: parent.depth + 1, sumG: parent.sumG - split.leftG,
                       sumH: parent.sumH - split.leftH, slot: -1, best: .none)
      let leafCount = leaves.count + 1
      let smallerIsLeft = left.count <= right.count
      var small = smallerIsLeft ? left : right, large = smallerIsLeft ? right : left
      let splitSmall = canSplit(small, leaves: leafCount), splitLarge = canSplit(large, leaves: leafCount)
      if splitLarge {
        // The larger child's histograms: the parent's minus the smaller child's, in place.
        small.slot = acquire()
        large.slot = parent.slot
        gather(small, gradients: gh)
        histogramPass(allowed: allowed, build: small, buildSlot: small.slot, scanBuilt: splitSmall, larger: large)
        if splitSmall { small.best = bestSplit(0) } else { release(small.slot); small.slot = -1 }
        large.best = bestSplit(1)
      } else {
        release(parent.slot)
        if splitSmall {
          small.slot = acquire()
          gather(small, gradients: gh)
          histogramPass(allowed: allowed, build: small, buildSlot: small.slot, scanBuilt: true, larger: nil)
          small.best = bestSplit(0)
        }
      }
      (left, right) = smallerIsLeft ? (small, large) : (large, small)
      leaves[chosen] = left
      leaves.append(right)
    }
    for leaf in leaves { release(leaf.slot) }
    // Leaf values; inner nodes get the cover-weighted mean of their children (for path
    // contributions), children after parents.
    let lr = spec.learningRate, l2 = spec.l2Penalty
    for leaf in leaves {
      let denominator = leaf.sumH + l2
      grown.tree.value[leaf.node] = denominator > 0 ? Float(-leaf.sumG / denominator * lr) : 0
      grown.tree.cover[leaf.node] = Float(leaf.count)
      grown.leaves.append((leaf.node, leaf.lower, leaf.upper))
    }
    grown.tree.setInnerValues()
    // A tree none of whose splits sends missing values left stores no flags (as before they existed).
    if !grown.tree.defaultLeft.contains(true) { grown.tree.defaultLeft = [] }
    return grown
  }

  /// Lays out the (g, h) of `leaf`'s rows at its positions of `ordered`, for its
  /// histograms (in parallel chunks for a large leaf).
  func gather(_ leaf: Leaf, gradients gh: [Bin]) {
    gh.withUnsafeBufferPointer { gh in
      nonisolated(unsafe) let (gh, order, ordered) = (gh, self.order, self.ordered)
      let lower = leaf.lower, count = leaf.count
      let chunks = count >= 4_096 ? 2 * pool.threads : 1
      pool.run(units: chunks) { c in
        for p in (lower + c * count / chunks)..<(lower + (c + 1) * count / chunks) {
          ordered[p] = gh[Int(order[p])]
        }
      }
    }
  }

  /// The value threshold of `split`: its bin's upper cut point; for a split on missingness
  /// alone (every value left), the largest finite Double, which every value is at most.
  func threshold(_ split: Split) -> Double {
    let cuts = bins.thresholds[split.feature]
    return split.bin < cuts.count ? cuts[split.bin] : .greatestFiniteMagnitude
  }

  /// Whether a leaf may be split: room for another leaf, below the depth limit, rows enough
  /// for two children.
  func canSplit(_ leaf: Leaf, leaves: Int) -> Bool {
    leaves < spec.maxLeaves && leaf.depth < (spec.maxDepth ?? Int.max) && leaf.count >= 2 * spec.minChildRows && leaf.count >= 2
  }

  /// The best of the per-feature splits of pass side `side` (0: the built leaf, 1: the larger
  /// child), lowest feature first among equal gains.
  func bestSplit(_ side: Int) -> Split {
    var best = Split.none
    for j in 0..<d {
      let s = bestOfFeature[side * d + j]
      if s.feature >= 0 && s.gain > best.gain { best = s }
    }
    return best
  }

  /// One pass over the allowed features, split into units of the pool (a contiguous share of
  /// the features each, on whichever thread claims it): builds `build`'s histograms into `buildSlot` from its rows, scans them
  /// when `scanBuilt` (results at `bestOfFeature[j]`); with `larger`, turns its slot (the
  /// parent's histograms) into the larger child's by subtraction and scans them (results at
  /// `bestOfFeature[d + j]`).
  ///
  /// How a histogram is read depends on the leaf's share of the rows (both sum each feature's
  /// bins in position order, so they give the same bits):
  ///
  /// - a leaf of at least half the rows, feature by feature (LightGBM's column-wise
  ///   mode with ordered gradients): for a block of 1,024 positions, each feature of the
  ///   thread's share reads its codes at the block's rows from the column-major `bins.codes`
  ///   (a dense leaf's rows are near each other, so a cache line serves many) and adds their
  ///   (g, h) to its histogram (4 KB, in the first-level cache); the root of a fit on
  ///   every row reads each column straight through;
  /// - a smaller leaf, row by row (LightGBM's row-wise mode): each row's codes are one read
  ///   of the row-major `rowCodes`, prefetched 8 rows ahead, added to every feature of the
  ///   share.
  ///
  /// Measured on 1M × 50 (30 rounds, 2 threads): row by row for every leaf without prefetch,
  /// 40% of the pass waited on the first code of a row; column by column for every leaf, the
  /// sparse leaves missed the cache on nearly every code; the mix above took the fit from
  /// 17.3 to 8 CPU seconds. Each feature's histogram is summed in position (row) order by one
  /// thread, so the thread count changes no bit. With 16-byte bins the row-by-row pass gained
  /// most, and leaves of a quarter to half the rows are now read row by row too (before: feature
  /// by feature; measured, paired: 0.965× the CPU of the whole fit of 100k × 50, 1.0× at 1M; the
  /// same models). Only the root (and a child of exactly half the rows) is read feature by feature.
  ///
  /// Every pass is split, however small its leaf: a small leaf's pass is mostly its scans
  /// (255 bins of each feature, twice with `larger`), and the pool's helper is already spinning
  /// for it. A row-by-row pass is split in as many shares as threads (each share reads every
  /// row's index, gradients and codes once more); a feature-by-feature pass in four per thread
  /// (a share costs no extra reads there), so that a late helper leaves less for the caller.
  func histogramPass(allowed: [Bool], build: Leaf, buildSlot: Int, scanBuilt: Bool, larger: Leaf?) {
    nonisolated(unsafe) let built = slots[buildSlot]
    nonisolated(unsafe) let parent = larger.map { slots[$0.slot] }
    let features = (0..<d).filter { allowed[$0] }
    let offsets = features.map { offset[$0] }
    let rowByRow = build.count &* 2 < n
    let units = min(features.count, rowByRow ? pool.threads : 4 * pool.threads)
    for j in 0..<(2 * d) { bestOfFeature[j] = .none }
    pool.run(units: units) { unit in
      let share = (unit * features.count / units)..<((unit + 1) * features.count / units)
      guard !share.isEmpty else { return }
      for k in share { built.advanced(by: offsets[k]).update(repeating: .zero, count: self.bins.histogramBinCount(features[k])) }
      let n = self.n, order = self.order, ordered = self.ordered
      if rowByRow {
        // A leaf of less than half the rows: each row's codes from its row of
        // `rowCodes` (one or two cache lines, fetched 8 rows ahead), added to every feature of
        // the share. Reading a column per feature instead would miss the cache on nearly every
        // code of a sparse leaf's rows.
        // With every feature allowed, feature k is column k, and the codes are read without
        // the list of features (a load less per code: measured 25–30% less time a code); with
        // histograms of one width (`stride`), without `offsets` either (3–4% less CPU for the
        // whole fit of 100k × 50).
        let d = self.d, rowCodes = self.rowCodes, ahead = 8, everyFeature = features.count == d, stride = self.stride
        features.withUnsafeBufferPointer { features in
          offsets.withUnsafeBufferPointer { offsets in
            for p in build.lower..<build.upper {
              if p &+ ahead < build.upper {
                let next = UnsafeRawPointer(rowCodes + Int(order[p &+ ahead]) &* d)
                prefetch(next, 0, 3, 1)
                prefetch(next + (d - 1), 0, 3, 1)
              }
              let gh = ordered[p]
              let row = rowCodes + Int(order[p]) &* d
              if everyFeature && stride > 0 {
                var hist = built + share.lowerBound &* stride
                for k in share {
                  hist[Int(row[k])] += gh
                  hist += stride
                }
              } else if everyFeature {
                for k in share { built[offsets[k] &+ Int(row[k])] += gh }
              } else {
                for k in share { built[offsets[k] &+ Int(row[features[k]])] += gh }
              }
            }
          }
        }
      } else {
        self.withCodes { codes in
          // Blocks of positions, so that a block's row indices and (g, h) stay in the
          // first-level cache while every feature of the share reads its codes for them.
          let identity = build.lower == 0 && build.upper == n && self.identityOrder
          var lower = build.lower
          while lower < build.upper {
            let upper = min(build.upper, lower &+ 1024)
            // Two features at a time: each position's row index and (g, h) are read once
            // for both (measured: 25–30% less time a code than one feature at a time).
            var k = share.lowerBound
            while k < share.upperBound {
              let column = codes + features[k] &* n, hist = built + offsets[k]
              if k &+ 1 < share.upperBound {
                let column2 = codes + features[k &+ 1] &* n, hist2 = built + offsets[k &+ 1]
                if identity {
                  for p in lower..<upper {
                    let gh = ordered[p]
                    hist[Int(column[p])] += gh
                    hist2[Int(column2[p])] += gh
                  }
                } else {
                  for p in lower..<upper {
                    let i = Int(order[p]), gh = ordered[p]
                    hist[Int(column[i])] += gh
                    hist2[Int(column2[i])] += gh
                  }
                }
                k &+= 2
              } else {
                if identity {
                  // All rows in row order (the root without a sample): the column read straight through.
                  for p in lower..<upper { hist[Int(column[p])] += ordered[p] }
                } else {
                  for p in lower..<upper { hist[Int(column[Int(order[p])])] += ordered[p] }
                }
                k &+= 1
              }
            }
            lower = upper
          }
        }
      }
      for k in share {
        let j = features[k], bins = self.bins.binCount(j)
        let hist = built + offsets[k]
        if scanBuilt { self.bestOfFeature[j] = self.scan(hist, feature: j, bins: bins, leaf: build) }
        if let parent, let larger {
          let other = parent + offsets[k]
          for b in 0..<self.bins.histogramBinCount(j) { other[b] -= hist[b] }
          self.bestOfFeature[self.d + j] = self.scan(other, feature: j, bins: bins, leaf: larger)
        }
      }
    }
  }

  @inline(__always)
  private func withCodes<R>(_ body: (UnsafePointer<UInt8>) -> R) -> R {
    bins.codes.withUnsafeBufferPointer { body($0.baseAddress!) }
  }

  /// The best split "code ≤ b" of `feature` for `leaf` from its histograms (`Split.none` when
  /// no allowed split gains).
  ///
  /// Scanned from the top bin down, the right side's sums accumulated and the left's the
  /// leaf's minus them, as LightGBM scans a numeric feature without missing values: among
  /// equal gains (thresholds in a gap of the leaf's values) the highest threshold wins, so an
  /// unseen value in the gap goes left, as it does in LightGBM.
  ///
  /// A feature with missing training values is scanned twice, as LightGBM scans one of
  /// `MissingType::NaN` (src/treelearner/feature_histogram.hpp, `FindBestThresholdSequentially`
  /// with and without `REVERSE`): first as above, where the missing bin is never added to the
  /// right side, so the leaf's missing rows go left (`defaultLeft`); then from the lowest bin
  /// up, the left side's sums accumulated, so they go right, up to the split that sends every
  /// value left and only the missing rows right. The second scan's split is kept only when it
  /// gains strictly more. So a leaf with no missing rows of the feature sends missing values
  /// left, as LightGBM does; a feature with no missing training value has no missing bin and
  /// its splits send missing values right (LightGBM would read them as 0).
  func scan(_ hist: UnsafeMutablePointer<Bin>, feature j: Int, bins: Int, leaf: Leaf) -> Split {
    let l2 = spec.l2Penalty, minRows = spec.minChildRows, minHessian = spec.minChildHessian
    let G = leaf.sumG, H = leaf.sumH, C = leaf.count
    // A bin's row count, estimated from its hessian sum as LightGBM estimates it.
    let perHessian = H > 0 ? Double(C) / H : 0
    @inline(__always) func rows(_ bin: Bin) -> Int { Int(bin[1] * perHessian + 0.5) }
    let parentScore = G * G / (H + l2)
    let missing = self.bins.hasMissing[j]
    var best = Split.none
    var gr = 0.0, hr = 0.0, cr = 0
    var b = bins - 1
    while b >= 1 {
      // Bin b joins the right side; the split is "code ≤ b − 1".
      let bin = hist[b]
      gr += bin[0]
      hr += bin[1]
      cr += rows(bin)
      b -= 1
      if cr < minRows || hr < minHessian { continue }
      let cl = C - cr, hl = H - hr
      if cl < minRows || hl < minHessian { break }
      let gl = G - gr
      let gain = gl * gl / (hl + l2) + gr * gr / (hr + l2) - parentScore
      if gain > best.gain { best = Split(feature: j, bin: b, gain: gain, leftG: gl, leftH: hl, defaultLeft: missing) }
    }
    // Missing rows to the right: only when the leaf has some (a positive hessian sum in the
    // missing bin; else every split gains as above).
    guard missing, hist[bins][1] > 0 else { return best }
    var gl = 0.0, hl = 0.0, cl = 0
    for b in 0..<bins {
      // Bin b joins the left side; the split is "code ≤ b", missing values right.
      let bin = hist[b]
      gl += bin[0]
      hl += bin[1]
      cl += rows(bin)
      if cl < minRows || hl < minHessian { continue }
      let cr = C - cl, hr = H - hl
      if cr < minRows || hr < minHessian { break }
      let gr = G - gl
      let gain = gl * gl / (hl + l2) + gr * gr / (hr + l2) - parentScore
      if gain > best.gain { best = Split(feature: j, bin: b, gain: gain, leftG: gl, leftH: hl, defaultLeft: false) }
    }
    return best
  }

  /// Stable partition of the rows at `positions`: codes ≤ `bin` on `feature` (and with
  /// `defaultLeft` its missing code) first, each side in its order. Returns the first position
  /// of the right side. Only the row indices move (4 bytes a row); the gradients follow them
  /// to the positions of the leaf whose histograms are built next (`gather`), as LightGBM's
  /// ordered gradients do: moving each row's 16 bytes of (g, h) with its index, to the
  /// scratch and back, was most of the partition's memory traffic.
  func partition(_ positions: Range<Int>, feature j: Int, bin: Int, defaultLeft: Bool) -> Int {
    // The code that goes left besides 0...bin: the missing bin's, or none (256 is no code).
    let alsoLeft = defaultLeft ? bins.binCount(j) : 256
    // Chunks of positions partitioned in parallel (each its left rows in place, its right
    // rows to its own stretch of the scratch), then put together in chunk order: the same
    // layout as one pass over all positions, in any number of chunks.
    let workers = positions.count >= 8_192 ? 2 * pool.threads : 1
    let lower = positions.lowerBound, count = positions.count
    let lefts = UnsafeMutablePointer<Int>.allocate(capacity: workers)
    defer { lefts.deallocate() }
    withCodes { codes in
      nonisolated(unsafe) let column = codes + j * n, lefts = lefts
      pool.run(units: workers) { c in
        let a = lower + c * count / workers, b = lower + (c + 1) * count / workers
        let order = self.order, scratchOrder = self.scratchOrder + (a - lower)
        // Without a branch: each row is written to both sides and the side it belongs to
        // keeps it (a branch on the code mispredicts about as often as a split is balanced).
        var l = a, r = 0
        for p in a..<b {
          let i = order[p], code = Int(column[Int(i)])
          let left = (code <= bin ? 1 : 0) | (code == alsoLeft ? 1 : 0)
          order[l] = i
          scratchOrder[r] = i
          l &+= left
          r &+= 1 &- left
        }
        lefts[c] = l - a
      }
    }
    // The chunks' left rows moved together (memmove: a chunk's left rows move down over
    // positions already read), then the right rows after them.
    var l = lower
    for c in 0..<workers {
      let a = lower + c * count / workers
      if c > 0 {
        UnsafeMutableRawPointer(order + l).copyMemory(from: order + a, byteCount: lefts[c] * MemoryLayout<Int32>.stride)
      }
      l += lefts[c]
    }
    // The right rows' stretches of the scratch go to disjoint places: copied in parallel.
    let starts = UnsafeMutablePointer<Int>.allocate(capacity: workers)
    defer { starts.deallocate() }
    var r = l
    for c in 0..<workers {
      starts[c] = r
      r += (lower + (c + 1) * count / workers) - (lower + c * count / workers) - lefts[c]
    }
    nonisolated(unsafe) let (order, scratchOrder, lefts2, starts2) = (self.order, self.scratchOrder, lefts, starts)
    pool.run(units: workers) { c in
      let a = lower + c * count / workers, b = lower + (c + 1) * count / workers
      (order + starts2[c]).update(from: scratchOrder + (a - lower), count: (b - a) - lefts2[c])
    }
    return l
  }

  /// Adds the grown tree's leaf values to `scores`: by the leaves' rows, and with `bagged`, for
  /// the rows the round did not draw, by walking the tree on their codes.
  func addLeafValues(_ grown: Grown, to scores: inout [Double], bagged: Bool) {
    let tree = grown.tree
    if !bagged {
      // Each leaf's rows are its own: leaves in parallel shares, the same sums on any thread.
      let leaves = grown.leaves, units = n >= 8_192 ? min(leaves.count, 2 * pool.threads) : 1
      scores.withUnsafeMutableBufferPointer { scores in
        nonisolated(unsafe) let (scores, order) = (scores, self.order)
        pool.run(units: units) { u in
          for leaf in leaves[(u * leaves.count / units)..<((u + 1) * leaves.count / units)] {
            let v = Double(tree.value[leaf.node])
            for p in leaf.lower..<leaf.upper { scores[Int(order[p])] += v }
          }
        }
      }
      return
    }
    var drawn = [Bool](repeating: false, count: n)
    for leaf in grown.leaves {
      let v = Double(tree.value[leaf.node])
      for p in leaf.lower..<leaf.upper {
        scores[Int(order[p])] += v
        drawn[Int(order[p])] = true
      }
    }
    withCodes { codes in
      for i in 0..<n where !drawn[i] {
        var k = 0
        while tree.feature[k] >= 0 {
          let f = Int(tree.feature[k])
          let code = Int(codes[f * n + i])
          let left = code <= grown.splitBin[k] || (code == bins.binCount(f) && bins.hasMissing[f] && !tree.defaultLeft.isEmpty && tree.defaultLeft[k])
          k = Int(left ? tree.left[k] : tree.right[k])
        }
        scores[i] += Double(tree.value[k])
      }
    }
  }
}

extension BoostedTreeGrower.Grown {
  /// Appends a leaf and returns its index.
  mutating func appendLeaf() -> Int {
    tree.feature.append(-1)
    tree.threshold.append(0)
    tree.left.append(-1)
    tree.right.append(-1)
    tree.value.append(0)
    tree.cover.append(0)
    tree.defaultLeft.append(false)
    splitBin.append(-1)
    return tree.feature.count - 1
  }

  /// Turns leaf `node` into a split and appends its two children (left first).
  mutating func split(_ node: Int, feature: Int, threshold: Double, bin: Int, defaultLeft: Bool) -> (left: Int, right: Int) {
    tree.feature[node] = Int32(feature)
    tree.threshold[node] = threshold
    tree.defaultLeft[node] = defaultLeft
    splitBin[node] = bin
    let left = appendLeaf(), right = appendLeaf()
    tree.left[node] = Int32(left)
    tree.right[node] = Int32(right)
    return (left, right)
  }
}

extension DecisionTree {
  /// Sets every split's value and cover from its children (children after parents): cover
  /// the sum, value the cover-weighted mean (the value path contributions start from).
  mutating func setInnerValues() {
    for k in stride(from: nodeCount - 1, through: 0, by: -1) where feature[k] >= 0 {
      let l = Int(left[k]), r = Int(right[k])
      let cl = Double(cover[l]), cr = Double(cover[r])
      cover[k] = Float(cl + cr)
      value[k] = cl + cr > 0 ? Float((cl * Double(value[l]) + cr * Double(value[r])) / (cl + cr)) : 0
    }
  }
}

/// LLVM's prefetch hint (address, 0 read / 1 write, locality 0...3, 1 data cache): starts
/// fetching a cache line that a later iteration reads, without waiting for it.
@_silgen_name("llvm.prefetch.p0")
func prefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ cache: Int32)
