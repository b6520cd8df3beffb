import ChurnCore

extension Folds {
  /// `k` folds of whole customers: each customer's rows (at every cutoff) fall in one fold, so
  /// no fold tests a customer whose near-identical rows at neighbouring cutoffs it trained on.
  /// Customers who churned at some cutoff, then the others, are shuffled with a generator
  /// seeded by `seed` and dealt round-robin, so every fold gets its share of churners. Rows
  /// with unknown labels are left out.
  ///
  /// - Returns: the folds, or none when some fold's training or test rows hold one class only.
  public static func byCustomer(ids: [String], labels: [Double], k: Int, seed: UInt64) -> [Fold] {
    guard k >= 2 else { return [] }
    // Stratified by customer: those with a churned row dealt first, then the others.
    var churned = Set<String>()
    for (id, y) in zip(ids, labels) where y == 1 { churned.insert(id) }
    let all = Set(ids)
    var rng = SeededGenerator(seed: seed, stream: 0xC057)
    var fold: [String: Int] = [:]
    var next = 0
    for group in [churned.sorted(), all.subtracting(churned).sorted()] {
      var customers = group
      customers.shuffle(using: &rng)
      for id in customers {
        fold[id] = next % k
        next += 1
      }
    }
    let labelled = labels.indices.filter { !labels[$0].isNaN }
    let folds = (0..<k).map { f in
      Fold(name: "customers \(f + 1) of \(k)", train: labelled.filter { fold[ids[$0]]! != f }, test: labelled.filter { fold[ids[$0]]! == f })
    }
    return folds.allSatisfy { bothClasses($0.train, labels) && bothClasses($0.test, labels) } ? folds : []
  }
}
