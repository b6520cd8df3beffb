import ChurnCore
import ChurnFeatures
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
    #expect(customers.first == "customer_id,industry,size,region,tier,plan,monthly_revenue,signup_date,churn_date")
    #expect(customers.count == 401)
    #expect(customers[1].hasPrefix("C000001,"))
    var churned = 0
    for row in customers.dropFirst() {
      let f = row.split(separator: ",", omittingEmptySubsequences: false)
      try #require(f.count == 9)
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
