import ChurnCore

/// What one reading thread accumulates from its byte range of the log: its own customers,
/// event types and aggregates, merged into the first range's state at the end.
final class PartitionState {
  var accumulators: EventAccumulators
  /// Customer ids in accumulator order.
  private(set) var customerIds: [String] = []
  private var customerIndex: [String: Int] = [:]
  /// Event type name → (tracked index or −1, counts as activity).
  private(set) var typeInfo: [String: (index: Int, activity: Bool)] = [:]
  /// Tracked type names in accumulator order.
  private(set) var trackedNames: [String] = []
  private let fixedTypes: Bool
  private let activityTypes: Set<String>?
  private let maxTypes: Int
  /// The optional aggregates each tracked type keeps, by its name.
  private let typeOptions: (String) -> EventAccumulators.TypeOptions
  // The reader's interned indices → ours, filled once per new customer or type.
  private var customerOf: [Int] = []
  private var typeOf: [(index: Int, activity: Bool)] = []

  /// Most bytes all ranges' aggregates may hold (see `FeatureBuilder.memoryBudget`), and how
  /// many ranges share it (each range checks its own share).
  private let memoryBudget: Int
  private let partitions: Int

  init(accumulators: EventAccumulators, customers: [String], fixedTypes: [String]?, activityTypes: Set<String>?, maxTypes: Int,
       typeOptions: @escaping (String) -> EventAccumulators.TypeOptions = { _ in .init() }, memoryBudget: Int = .max, partitions: Int = 1) {
    self.accumulators = accumulators
    self.typeOptions = typeOptions
    self.memoryBudget = memoryBudget
    self.partitions = partitions
    self.fixedTypes = fixedTypes != nil
    self.activityTypes = activityTypes
    self.maxTypes = maxTypes
    var indices: [Int] = []
    register(customers, into: &indices)
    for name in fixedTypes ?? [] { typeInfo[name] = (trackType(name), activityTypes?.contains(name) ?? true) }
  }

  /// Appends to `map` our index of each id, registering the ids not seen yet, in order, in
  /// one growth of the aggregates (one hash per id that is new, the common case).
  private func register<Ids: Sequence<String>>(_ ids: Ids, into map: inout [Int]) {
    var next = accumulators.customerCount
    for id in ids {
      if let known = customerIndex.updateValue(next, forKey: id) {
        customerIndex[id] = known
        map.append(known)
      } else {
        customerIds.append(id)
        map.append(next)
        next += 1
      }
    }
    accumulators.addCustomers(next - accumulators.customerCount)
  }

  private func trackType(_ name: String) -> Int {
    trackedNames.append(name)
    return accumulators.addType(typeOptions(name))
  }

  /// The type's tracking for a name seen in the log.
  private func info(for name: String) throws -> (index: Int, activity: Bool) {
    if let known = typeInfo[name] { return known }
    let activity = activityTypes?.contains(name) ?? true
    let info: (index: Int, activity: Bool)
    if fixedTypes {
      info = (-1, activity)
    } else {
      guard trackedNames.count < maxTypes else { throw FeatureError.tooManyEventTypes(count: trackedNames.count + 1, limit: maxTypes) }
      info = (trackType(name), activity)
    }
    typeInfo[name] = info
    return info
  }

  /// Adds a block of events; `customers` and `types` name the reader's indices.
  func consume(_ batch: EventBatch, customers: ByteInterner, types: ByteInterner) throws {
    register((customerOf.count..<customers.count).lazy.map(customers.string), into: &customerOf)
    while typeOf.count < types.count { typeOf.append(try info(for: types.string(typeOf.count))) }
    try checkMemory()
    accumulators.add(batch, customerOf: customerOf, typeOf: typeOf)
  }

  /// Throws `FeatureError.tooMuchMemory` once the aggregates outgrow the budget (before the
  /// machine runs out of memory and the process is killed).
  func checkMemory() throws {
    let (bytes, overflow) = accumulators.bytes(customers: accumulators.customerCount).multipliedReportingOverflow(by: partitions)
    guard !overflow, bytes <= memoryBudget else {
      throw FeatureError.tooMuchMemory(customers: accumulators.customerCount, cutoffs: accumulators.slotsPerCustomer,
                                       eventTypes: accumulators.types.count, bytes: overflow ? .max : bytes, budget: memoryBudget)
    }
  }

  /// Adds another range's aggregates into this one: its customers not yet seen are
  /// registered in its order, all at once.
  func absorb(_ other: PartitionState) throws {
    var customerMap: [Int] = []
    customerMap.reserveCapacity(other.customerIds.count)
    customerIndex.reserveCapacity(customerIndex.count + other.customerIds.count)
    customerIds.reserveCapacity(customerIds.count + other.customerIds.count)
    register(other.customerIds, into: &customerMap)
    var typeMap = [Int](repeating: -1, count: other.accumulators.types.count)
    for name in other.trackedNames {
      let mine = try info(for: name)
      typeMap[other.typeInfo[name]!.index] = mine.index
    }
    for (name, theirs) in other.typeInfo where typeInfo[name] == nil { typeInfo[name] = theirs.index < 0 ? theirs : try info(for: name) }
    accumulators.merge(other.accumulators, customerMap: customerMap, typeMap: typeMap)
  }
}
