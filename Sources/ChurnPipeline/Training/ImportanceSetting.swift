/// Whether training measures permutation importance (`Trainer.importance`, `churn train --importance`).
public enum ImportanceSetting: String, Sendable, Equatable, CaseIterable {
  /// Measured on held-out rows (at most 10,000, a seeded sample), else on 5,000 training rows,
  /// whenever those rows hold both classes.
  case auto
  /// Not measured: the model file has no `permutationImportance`, and `churn weights` and the
  /// report rank a forest's columns by impurity importance, saying so.
  case none
}
