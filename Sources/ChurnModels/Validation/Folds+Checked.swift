/// Stratified k-fold cross-validation asked for more folds than the smaller class has rows:
/// some folds would hold no churner (or no retained customer) and could not be measured.
public struct FoldCountError: Error, Equatable, CustomStringConvertible {
  public let folds: Int
  public let churned: Int
  public let retained: Int

  public var description: String {
    "\(folds) folds need at least \(folds) churned and \(folds) retained rows, one of each per fold; the labelled rows have \(churned) churned and \(retained) retained. "
      + (min(churned, retained) >= 2 ? "Use at most \(min(churned, retained)) folds (--folds \(min(churned, retained)))" : "Cross-validation needs at least 2 rows of each class")
  }
}

extension Folds {
  /// `stratified(labels:k:seed:)`, after checking that each of the `k` folds gets a row of
  /// each class, so a run fails before any fold is fitted rather than after all of them.
  ///
  /// - Throws: `FoldCountError` when `k` exceeds the number of churned or retained rows.
  public static func stratifiedChecked(labels: [Double], k: Int, seed: UInt64) throws -> [Fold] {
    let churned = labels.filter { $0 == 1 }.count
    let retained = labels.filter { $0 == 0 }.count
    guard k <= min(churned, retained) else { throw FoldCountError(folds: k, churned: churned, retained: retained) }
    return stratified(labels: labels, k: k, seed: seed)
  }
}
