/// Purchases keyed for one sort that groups them by customer, in the byte order of the ids, then
/// by day: the key is the customer's rank in that order in the high 32 bits and the day (offset by
/// 100,000, so the plausible range 1900–2199 is positive) in the low 32. Shared by
/// `PurchaseSummary` (one as-of date) and `PurchaseCalendar` (every cutoff).
enum PurchaseKeys {
  /// The purchases' keys and values sorted by key, and the customer index of each rank.
  static func sorted(ids: [String], customerIndex: [Int32], day: [Int64], value: [Double])
    -> (keyed: [(key: UInt64, value: Double)], rankOf: [Int]) {
    let rankOf = ids.indices.sorted { ids[$0].utf8.lexicographicallyPrecedes(ids[$1].utf8) }
    var rank = [UInt64](repeating: 0, count: ids.count)
    for (r, i) in rankOf.enumerated() { rank[i] = UInt64(r) }
    var keyed = customerIndex.indices.map { (key: rank[Int(customerIndex[$0])] << 32 | UInt64(day[$0] + 100_000), value: value[$0]) }
    keyed.sort { $0.key < $1.key }
    return (keyed, rankOf)
  }
}
