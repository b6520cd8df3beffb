import ChurnModels

/// Settings for `family` with the hyperparameters a test names (the rest at their defaults),
/// so one test can run over every family.
func testSettings(_ family: ModelFamily, l2: Double? = nil, l1: Double? = nil, fatTail: Bool = true, trees: Int? = nil, minLeaf: Int? = nil,
                  featuresPerSplit: Int? = nil, maxDepth: Int? = nil, seed: UInt64 = 1, classWeight: ClassWeight = .none,
                  threads: Int = 1) -> ModelSettings {
  let spec: ModelSpec
  switch family {
  case .logistic:
    let d = LogisticSpec()
    spec = .logistic(LogisticSpec(l2Penalty: l2 ?? d.l2Penalty, l1Penalty: l1 ?? d.l1Penalty, fatTailTransform: fatTail))
  case .forest:
    let d = ForestSpec()
    spec = .forest(ForestSpec(treeCount: trees ?? d.treeCount, minLeafSize: minLeaf ?? d.minLeafSize, featuresPerSplit: featuresPerSplit, maxDepth: maxDepth))
  case .boosting:
    let d = BoostingSpec()
    spec = .boosting(BoostingSpec(treeCount: trees ?? d.treeCount, maxDepth: maxDepth, minChildRows: minLeaf ?? d.minChildRows))
  }
  return ModelSettings(spec, classWeight: classWeight, seed: seed, threads: threads)
}
