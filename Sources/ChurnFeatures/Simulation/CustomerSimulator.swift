import ChurnCore
import Dispatch
import Foundation

/// Generates realistic B2B customer histories whose churn is *caused* by the warning signals
/// that customer-success teams watch, and streams them to `events.csv` and `customers.csv`.
///
/// Each customer is simulated month by month from its own random stream
/// `SeededGenerator(seed, stream: customerIndex)`, so the files are byte-identical for a seed
/// whatever the thread count, and memory stays bounded by one chunk of customers.
/// The generating process is documented in `datasets/demo/README.md`; in short:
///
/// ```
/// health[m]  = 0.8·health[m−1] + 0.2·target[m] + N(0, 0.2)   (target drops 1.3 after a decline onset;
///              service incidents subtract 0.8; slow resolutions the month before subtract 0.15)
/// events[m]  ~ Poisson(rate_T · exp(±k_T · health[m]))     (logins, orders up with health; tickets,
///              complaints, late payments, slow resolutions up as health falls)
/// P(churn in month m) = σ(−5.3 + 0.45·complaints₁ + 0.6·[complaints₃ ≥ 2] + 1.3·loginDrop
///              + 0.3·slowResolution + late·(0.07 small | 0.02 other) + 0.9·orderDrop
///              + 0.045·satisfactionGap + 1.2·[no interaction for 2 months] + segment terms + N(0, 0.35))
/// ```
/// where every signal is computed from the events the customer really produced in the months
/// before m, so a model that reads the event log can recover them.
public struct CustomerSimulator: Sendable {
  public let settings: SimulationSettings

  public init(settings: SimulationSettings) throws {
    try settings.validate()
    self.settings = settings
  }

  /// What one run wrote.
  public struct Summary: Sendable, Equatable {
    public var customers: Int
    public var churnedCustomers: Int
    public var events: Int
    public var eventsByType: [String: Int]
  }

  /// Writes `directory/events.csv` and `directory/customers.csv` atomically (both files appear
  /// only when both are complete).
  ///
  /// - Parameter progress: called after each chunk with the number of customers done.
  /// - Throws: `FileError` when the directory cannot be written.
  /// - Complexity: O(customers × months + events) time; O(chunk) memory.
  @discardableResult
  public func write(to directory: String, progress: ((Int) -> Void)? = nil) throws -> Summary {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let events = try OutputFile(path: directory + "/events.csv")
    let customers = try OutputFile(path: directory + "/customers.csv")
    try events.write(SimulatedCatalog.eventHeader)
    try customers.write(SimulatedCatalog.customerHeader)

    let chunkSize = 1024
    let chunkCount = (settings.customerCount + chunkSize - 1) / chunkSize
    let batch = max(1, settings.threads)
    var summary = Summary(customers: settings.customerCount, churnedCustomers: 0, events: 0, eventsByType: [:])
    var typeCounts = [Int](repeating: 0, count: SimulatedCatalog.eventNames.count)
    let managers = AccountManagers(customerCount: settings.customerCount)
    var firstChunk = 0
    while firstChunk < chunkCount {
      let chunksNow = min(batch, chunkCount - firstChunk)
      let results = ResultSlots(count: chunksNow)
      let base = firstChunk
      DispatchQueue.concurrentPerform(iterations: chunksNow) { k in
        let lower = (base + k) * chunkSize
        let upper = min(lower + chunkSize, settings.customerCount)
        results.store(simulateChunk(lower..<upper, managers: managers), at: k)
      }
      for k in 0..<chunksNow {
        let chunk = results.take(k)
        try events.write(chunk.events)
        try customers.write(chunk.customers)
        summary.churnedCustomers += chunk.churned
        for t in 0..<typeCounts.count { typeCounts[t] += chunk.typeCounts[t] }
      }
      firstChunk += chunksNow
      progress?(min(firstChunk * chunkSize, settings.customerCount))
    }
    summary.events = typeCounts.reduce(0, +)
    for (t, name) in SimulatedCatalog.eventNames.enumerated() { summary.eventsByType[name] = typeCounts[t] }
    try events.commit()
    try customers.commit()
    return summary
  }

  struct ChunkOutput: Sendable {
    var events: [UInt8] = []
    var customers: [UInt8] = []
    var churned = 0
    var typeCounts = [Int](repeating: 0, count: SimulatedCatalog.eventNames.count)
  }

  /// One slot per concurrently simulated chunk; each slot is written by exactly one thread.
  final class ResultSlots: @unchecked Sendable {
    private var slots: [ChunkOutput?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func store(_ value: ChunkOutput, at index: Int) {
      lock.lock()
      slots[index] = value
      lock.unlock()
    }
    func take(_ index: Int) -> ChunkOutput {
      lock.lock()
      defer { lock.unlock() }
      return slots[index]!
    }
  }

  func simulateChunk(_ range: Range<Int>, managers: AccountManagers) -> ChunkOutput {
    var output = ChunkOutput()
    output.events.reserveCapacity(range.count * 200 * 40)
    output.customers.reserveCapacity(range.count * 100)
    let idWidth = max(6, String(settings.customerCount).count)
    var history = CustomerHistory(settings: settings)
    for index in range {
      history.simulate(customerIndex: index)
      var id: [UInt8] = [UInt8(ascii: "C")]
      IdentifierFormatting.appendZeroPadded(index + 1, width: idWidth, to: &id)
      history.appendEvents(id: id, to: &output.events, typeCounts: &output.typeCounts)
      let manager = managers.manager(customerIndex: index, region: history.region, seed: settings.seed)
      history.appendCustomerRow(id: id, accountManager: manager, to: &output.customers)
      if history.churnMilliseconds != nil { output.churned += 1 }
    }
    return output
  }
}

/// Zero-padded integers for identifiers.
enum IdentifierFormatting {
  static func appendZeroPadded(_ value: Int, width: Int, to out: inout [UInt8]) {
    var digits: [UInt8] = []
    DecimalFormatting.appendInteger(value, to: &digits)
    if digits.count < width { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - digits.count)) }
    out.append(contentsOf: digits)
  }
}
