import ChurnCore
@testable import ChurnFeatures
import ChurnTestSupport
import Foundation
import Testing

@Suite("churn simulate's generator")
struct CustomerSimulatorTests {
  func simulate(customers: Int = 300, months: Int = 12, seed: UInt64, threads: Int = 2) throws -> (events: Data, customers: Data, summary: CustomerSimulator.Summary) {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let simulator = try CustomerSimulator(settings: SimulationSettings(customerCount: customers, months: months, seed: seed, threads: threads))
    let summary = try simulator.write(to: dir.path)
    return (try Data(contentsOf: URL(fileURLWithPath: dir.file("events.csv"))),
            try Data(contentsOf: URL(fileURLWithPath: dir.file("customers.csv"))), summary)
  }

  @Test("The same seed writes byte-identical files with 1 and 2 threads; another seed differs")
  func determinism() throws {
    // 2,500 customers span three chunks, so chunk order across threads is exercised.
    let a = try simulate(customers: 2500, seed: 11, threads: 1)
    let b = try simulate(customers: 2500, seed: 11, threads: 2)
    let c = try simulate(customers: 2500, seed: 12, threads: 2)
    #expect(a.events == b.events && a.customers == b.customers)
    #expect(a.events != c.events && a.customers != c.customers)
  }

  @Test("Files follow the documented schema, in time order per customer, inside the period")
  func schema() throws {
    let run = try simulate(customers: 400, months: 12, seed: 5)
    let events = String(decoding: run.events, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    #expect(events.first == "customer_id,timestamp,event_type,value")
    #expect(events.last == "")
    let known: Set<Substring> = ["login", "order", "ticket", "complaint", "resolution", "survey", "nps", "payment",
                                 "upsell_accepted", "upsell_declined", "visit"]
    let start = UTCTime.parseMilliseconds("2024-01-01")!
    let end = UTCTime.parseMilliseconds("2025-01-01")!
    var lastByCustomer: [Substring: Int64] = [:]
    var eventCustomers = Set<Substring>()
    for line in events.dropFirst().dropLast() {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false)
      try #require(fields.count == 4, "line \(line)")
      let time = try #require(UTCTime.parseMilliseconds(String(fields[1])))
      #expect(time >= start && time < end, "\(line)")
      #expect(known.contains(fields[2]), "\(line)")
      #expect(time >= lastByCustomer[fields[0], default: .min], "events out of order at \(line)")
      lastByCustomer[fields[0]] = time
      eventCustomers.insert(fields[0])
      switch fields[2] {
      case "login", "ticket", "complaint", "upsell_accepted", "upsell_declined": #expect(fields[3].isEmpty)
      case "survey": #expect((0...100).contains(Int(fields[3]) ?? -1))
      case "nps": #expect((0...10).contains(Int(fields[3]) ?? -1))
      case "visit": #expect((1...5).contains(Int(fields[3]) ?? -1))
      default: #expect(Double(fields[3]).map { $0 >= 0 } == true, "\(line)")
      }
    }
    let customers = String(decoding: run.customers, as: UTF8.self).split(separator: "\n")
    #expect(customers.first == "customer_id,industry,size,region,tier,plan,monthly_revenue,signup_date,churn_date,account_manager")
    #expect(customers.count == 401)
    #expect(customers[1].hasPrefix("C000001,"))
    var churned = 0
    for row in customers.dropFirst() {
      let f = row.split(separator: ",", omittingEmptySubsequences: false)
      try #require(f.count == 10)
      let signup = try #require(UTCTime.parseMilliseconds(String(f[7])))
      if !f[8].isEmpty {
        churned += 1
        let churn = try #require(UTCTime.parseMilliseconds(String(f[8])))
        #expect(churn >= signup)
        // No event after the churn day.
        if let last = lastByCustomer[f[0]] { #expect(last < churn + UTCTime.millisecondsPerDay, "\(row)") }
      }
    }
    #expect(churned == run.summary.churnedCustomers)
    #expect(run.summary.events == events.count - 2)
  }

  @Test("Churn is caused by the watched signals: churners complained more and logged in less before leaving")
  func signalsPrecedeChurn() throws {
    let run = try simulate(customers: 3000, months: 18, seed: 21)
    let customers = String(decoding: run.customers, as: UTF8.self).split(separator: "\n").dropFirst()
    var churnDay: [Substring: Int64] = [:]
    for row in customers {
      let f = row.split(separator: ",", omittingEmptySubsequences: false)
      if !f[8].isEmpty { churnDay[f[0]] = UTCTime.parseMilliseconds(String(f[8]))! }
    }
    // Compare the 60 days before each churn with the 60 days before 2025-01-01 for customers who stayed.
    let window = 60 * UTCTime.millisecondsPerDay
    let stayCutoff = UTCTime.parseMilliseconds("2025-01-01")!
    var complaints: [Bool: Double] = [:], logins: [Bool: Double] = [:], late: [Bool: Double] = [:]
    var active: [Bool: Set<Substring>] = [true: [], false: []]
    for line in String(decoding: run.events, as: UTF8.self).split(separator: "\n").dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false)
      let time = UTCTime.parseMilliseconds(String(f[1]))!
      let churned = churnDay[f[0]] != nil
      let cutoff = churnDay[f[0]] ?? stayCutoff
      guard time >= cutoff - window, time < cutoff else { continue }
      active[churned]!.insert(f[0])
      switch f[2] {
      case "complaint": complaints[churned, default: 0] += 1
      case "login": logins[churned, default: 0] += 1
      case "payment": late[churned, default: 0] += Double(f[3])!
      default: break
      }
    }
    let nChurned = Double(active[true]!.count), nStayed = Double(active[false]!.count)
    #expect(nChurned > 300 && nStayed > 1000)
    #expect(complaints[true]! / nChurned > 1.5 * complaints[false]! / nStayed)
    #expect(logins[true]! / nChurned < 0.8 * logins[false]! / nStayed)
    #expect(late[true]! / nChurned > 1.3 * late[false]! / nStayed)
  }

  @Test("Account managers: round(customers / 40) distinct names, each covering one region, about 40 customers each")
  func accountManagers() throws {
    let run = try simulate(customers: 2000, months: 6, seed: 8)
    let rows = String(decoding: run.customers, as: UTF8.self).split(separator: "\n").dropFirst()
      .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    var customersOf: [String: Int] = [:], regionsOf: [String: Set<String>] = [:]
    for f in rows {
      customersOf[f[9], default: 0] += 1
      regionsOf[f[9], default: []].insert(f[3])
    }
    #expect(customersOf.count == 50)
    #expect(customersOf.values.min()! >= 20 && customersOf.values.max()! <= 65, "\(customersOf.values.sorted())")
    for (manager, regions) in regionsOf { #expect(regions.count == 1, "\(manager) covers \(regions.sorted())") }
    for name in customersOf.keys { #expect(name.split(separator: " ").count == 2 && name.first!.isUppercase, "\(name)") }
    // Names stay distinct far beyond 50 managers, and with fewer managers than regions.
    #expect(Set(AccountManagers(customerCount: 200_000).names).count == 5000)
    #expect(AccountManagers(customerCount: 10).names == ["Maria Keller"])
    let one = try simulate(customers: 10, months: 3, seed: 8)
    #expect(String(decoding: one.customers, as: UTF8.self).split(separator: "\n").dropFirst().allSatisfy { $0.hasSuffix(",Maria Keller") })
  }

  @Test("Adding account managers drew no other random number: the other columns and the events are those of the generator before them")
  func managersChangeNothingElse() throws {
    // The demo (seed 42, 2,000 customers, 24 months) was committed before the column existed;
    // its events.csv is unchanged, and its customer columns but the last are pinned here by a hash.
    let run = try simulate(customers: 2000, months: 24, seed: 42)
    let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("datasets/demo")
    #expect(run.events == (try Data(contentsOf: demo.appendingPathComponent("events.csv"))))
    let withoutManagers = String(decoding: run.customers, as: UTF8.self).split(separator: "\n")
      .map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",") }.joined(separator: "\n") + "\n"
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in withoutManagers.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    #expect(h == Self.customersBeforeManagers, "hash 0x\(String(h, radix: 16))")
  }

  /// FNV-1a of the demo's customers.csv as committed before account_manager (commit eab5da1).
  static let customersBeforeManagers: UInt64 = 0x2af7_91d1_40d0_62bb

  @Test("Invalid settings are rejected with the value named")
  func invalid() {
    #expect(throws: SimulationError.invalidSetting("customers must be at least 1, got 0")) {
      _ = try CustomerSimulator(settings: SimulationSettings(customerCount: 0, months: 12, seed: 1))
    }
    #expect(throws: SimulationError.invalidSetting("months must be between 3 and 600, got 2")) {
      _ = try CustomerSimulator(settings: SimulationSettings(customerCount: 5, months: 2, seed: 1))
    }
  }
}
