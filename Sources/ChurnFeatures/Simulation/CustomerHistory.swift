import ChurnCore
import Foundation

/// One simulated customer: attributes, monthly latent health, the events it produced and
/// whether (and when) it churned. Reused from customer to customer to avoid allocations.
struct CustomerHistory {
  let settings: SimulationSettings
  /// First day of each simulated month (index 0 = settings start), plus one past the end;
  /// months −3...−1 are a burn-in for customers who signed up before the start.
  private let monthStarts: [Int64]
  private static let burnIn = 3
  private let startMilliseconds: Int64
  private let endMilliseconds: Int64

  // Attributes.
  var industry = 0, size = 0, region = 0, plan = 0, tier = 0
  var monthlyRevenue = 0.0
  var signupDay: Int64 = 0
  var churnMilliseconds: Int64?

  /// Events as (time, kind, value); value NaN = no value.
  private(set) var events: [(time: Int64, kind: UInt8, value: Double)] = []

  // Monthly aggregates over realized events, indexed by month + burnIn.
  private var logins: [Int] = []
  private var complaints: [Int] = []
  private var interactions: [Int] = []
  private var orderAmount: [Double] = []
  private var maxLateDays: [Int] = []
  private var resolutionDaysSum: [Double] = []
  private var resolutionCount: [Int] = []

  init(settings: SimulationSettings) {
    self.settings = settings
    monthStarts = (-Self.burnIn...settings.months).map { settings.monthStartDay($0) }
    startMilliseconds = monthStarts[Self.burnIn] * UTCTime.millisecondsPerDay
    endMilliseconds = monthStarts.last! * UTCTime.millisecondsPerDay
  }

  private static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

  mutating func simulate(customerIndex: Int) {
    var rng = SeededGenerator(seed: settings.seed, stream: UInt64(customerIndex))
    let slots = monthStarts.count - 1
    events.removeAll(keepingCapacity: true)
    logins = Array(repeating: 0, count: slots)
    complaints = Array(repeating: 0, count: slots)
    interactions = Array(repeating: 0, count: slots)
    orderAmount = Array(repeating: 0, count: slots)
    maxLateDays = Array(repeating: 0, count: slots)
    resolutionDaysSum = Array(repeating: 0, count: slots)
    resolutionCount = Array(repeating: 0, count: slots)
    churnMilliseconds = nil

    // Attributes.
    industry = rng.categorical(SimulatedCatalog.industryShares)
    size = rng.categorical(SimulatedCatalog.sizeShares)
    region = rng.integer(below: SimulatedCatalog.regions.count)
    plan = rng.categorical(SimulatedCatalog.planSharesBySize[size])
    let revenueBase = [600.0, 3000.0, 15000.0][size] * [0.7, 1.0, 1.6][plan]
    monthlyRevenue = (revenueBase * rng.logNormal(mu: 0, sigma: 0.5) * 100).rounded() / 100
    tier = monthlyRevenue < 1500 ? 0 : (monthlyRevenue < 8000 ? 1 : 2)
    let startDay = monthStarts[Self.burnIn]
    let spanDays = monthStarts.last! - startDay
    // Signups spread over three years before the start and the observed period, ending 45 days
    // before its end, so most customers are already on board when observation starts.
    signupDay = startDay - 3 * 365 + Int64(rng.integer(below: Int(3 * 365 + spanDays - 45)))
    let signupMilliseconds = signupDay * UTCTime.millisecondsPerDay

    let baseHealth = rng.normal(mean: 0.25, standardDeviation: 0.35)
    // A decline (a lost champion, a competitor's offer) starts for 30% of customers at a random
    // month; some onsets fall after the observed period and never show.
    let declineOnset = rng.bernoulli(0.3) ? rng.integer(below: settings.months + 6) : Int.max
    let dueDay = Int64(rng.integer(below: 28))
    var health = baseHealth + rng.normal(mean: 0, standardDeviation: 0.3)
    var incidentMonthsLeft = 0
    var lastSatisfaction = -1.0

    let nextStart = monthStarts.firstIndex { $0 > signupDay } ?? monthStarts.count
    let firstMonthSlot = max(0, nextStart - 1)
    var slot = firstMonthSlot
    while slot < slots {
      let month = slot - Self.burnIn
      let monthStart = monthStarts[slot] * UTCTime.millisecondsPerDay
      let monthEnd = monthStarts[slot + 1] * UTCTime.millisecondsPerDay
      let from = max(monthStart, signupMilliseconds)
      if from >= monthEnd {
        slot += 1
        continue
      }

      // Churn hazard for this month from what the customer did in the months before.
      if slot - firstMonthSlot >= 2 {
        let p = Self.sigmoid(hazardLogit(slot: slot, firstSlot: firstMonthSlot, lastSatisfaction: lastSatisfaction)
          + rng.normal(mean: 0, standardDeviation: 0.35))
        if rng.bernoulli(p) {
          churnMilliseconds = from + Int64(rng.uniform() * Double(monthEnd - from)) / 1000 * 1000
        }
      }
      let to = min(monthEnd, churnMilliseconds ?? Int64.max)

      // Latent health.
      let target = baseHealth - (month >= declineOnset ? 1.3 : 0)
      health = 0.8 * health + 0.2 * target + rng.normal(mean: 0, standardDeviation: 0.2)
      if slot > 0, resolutionCount[slot - 1] > 0, resolutionDaysSum[slot - 1] / Double(resolutionCount[slot - 1]) > 5 {
        health -= 0.15
      }
      if incidentMonthsLeft > 0 {
        incidentMonthsLeft -= 1
      } else if rng.bernoulli(0.03) {
        incidentMonthsLeft = 2
        health -= 0.8
      }
      let incident = incidentMonthsLeft > 0

      generateMonth(slot: slot, from: from, to: to, health: health, incident: incident, dueDay: dueDay,
                    lastSatisfaction: &lastSatisfaction, rng: &rng)
      if churnMilliseconds != nil { break }
      slot += 1
    }
    if let churn = churnMilliseconds {
      // Late payments and resolutions scheduled in earlier months never happen after churn.
      events.removeAll { $0.time >= churn }
    }
    events.sort { a, b in
      a.time != b.time ? a.time < b.time : (a.kind != b.kind ? a.kind < b.kind : a.value < b.value)
    }
  }

  private func hazardLogit(slot: Int, firstSlot: Int, lastSatisfaction: Double) -> Double {
    func sum<T: AdditiveArithmetic>(_ values: [T], _ months: ClosedRange<Int>) -> T {
      var total = T.zero
      for k in months where slot - k >= firstSlot { total += values[slot - k] }
      return total
    }
    let complaints1 = complaints[slot - 1]
    let complaints3 = sum(complaints, 1...3)
    let loginsBefore = Double(sum(logins, 2...3)) / Double(min(2, slot - 1 - firstSlot))
    let loginDrop = min(1, max(0, 1 - (Double(logins[slot - 1]) + 0.5) / (loginsBefore + 0.5)))
    let resolutions = sum(resolutionCount, 1...3)
    let slowResolution = resolutions > 0 ? min(5, max(0, sum(resolutionDaysSum, 1...3) / Double(resolutions) - 3.5)) : 0
    let late = Double(min(45, max(maxLateDays[slot - 1], maxLateDays[slot - 2])))
    let recentOrders = sum(orderAmount, 1...3)
    let earlierOrders = sum(orderAmount, 4...6)
    let orderDrop = earlierOrders > 0 ? min(1, max(0, 1 - (recentOrders + 1) / (earlierOrders + 1))) : 0
    let satisfactionGap = lastSatisfaction >= 0 ? max(0, 70 - lastSatisfaction) : 0
    let silent = interactions[slot - 1] + interactions[slot - 2] == 0

    var logit = -5.3
    logit += 0.45 * Double(min(complaints1, 4)) + (complaints3 >= 2 ? 0.6 : 0)
    logit += 1.3 * loginDrop
    logit += 0.3 * slowResolution
    logit += (size == 0 ? 0.07 : 0.02) * late
    logit += 0.9 * orderDrop
    logit += 0.045 * satisfactionGap
    logit += silent ? 1.2 : 0
    logit += [-0.3, 0.5, -0.4][size]
    logit += industry == 0 ? 0.35 : 0
    logit += [0.25, 0, -0.3][plan]
    return logit
  }

  private mutating func add(_ kind: EventKind, _ time: Int64, _ value: Double = .nan) {
    // Events outside the observed period (burn-in months, past the end) or after churn are never seen.
    guard time >= startMilliseconds, time < endMilliseconds, time < (churnMilliseconds ?? Int64.max) else { return }
    events.append((time, kind.rawValue, value))
  }

  private mutating func generateMonth(slot: Int, from: Int64, to: Int64, health h: Double, incident: Bool,
                                      dueDay: Int64, lastSatisfaction: inout Double, rng: inout SeededGenerator) {
    let monthMilliseconds = Double(monthStarts[slot + 1] - monthStarts[slot]) * Double(UTCTime.millisecondsPerDay)
    let coverage = Double(to - from) / monthMilliseconds
    let span = Double(to - from)
    func time(_ rng: inout SeededGenerator) -> Int64 { from + Int64(rng.uniform() * span) / 1000 * 1000 }
    let seats = [1.0, 1.3, 1.7][size]

    let loginCount = rng.poisson([2.0, 3.5, 6.0][plan] * seats * exp(0.8 * h) * coverage)
    for _ in 0..<loginCount { add(.login, time(&rng)) }
    logins[slot] = loginCount

    let orderCount = rng.poisson(1.0 * exp(0.5 * h) * coverage)
    for _ in 0..<orderCount {
      let amount = (monthlyRevenue * exp(0.3 * h) * rng.logNormal(mu: -0.08, sigma: 0.4) * 100).rounded() / 100
      add(.order, time(&rng), amount)
      orderAmount[slot] += amount
    }

    let ticketCount = rng.poisson(0.45 * seats * exp(-0.5 * h) * (incident ? 2.5 : 1) * coverage)
    let slowSupport = [1.0, 1.0, 1.6, 1.1][region]
    for _ in 0..<ticketCount {
      let opened = time(&rng)
      add(.ticket, opened)
      let days = (rng.gamma(shape: 2, scale: 1.75 * slowSupport * exp(-0.35 * h)) * 10).rounded() / 10
      let resolved = opened + Int64(days * Double(UTCTime.millisecondsPerDay)) / 1000 * 1000
      add(.resolution, resolved, days)
      if resolved < to {
        resolutionDaysSum[slot] += days
        resolutionCount[slot] += 1
      }
    }

    let complaintCount = rng.poisson(0.10 * exp(-1.1 * h) * (incident ? 3 : 1) * coverage)
    for _ in 0..<complaintCount { add(.complaint, time(&rng)) }
    complaints[slot] = complaintCount

    if rng.bernoulli(0.22 * coverage) {
      let score = min(100, max(0, (76 + 11 * h + rng.normal(mean: 0, standardDeviation: 7)).rounded()))
      add(.survey, time(&rng), score)
      lastSatisfaction = score
    }
    if rng.bernoulli(0.10 * coverage) {
      add(.nps, time(&rng), min(10, max(0, (7.6 + 1.6 * h + rng.normal(mean: 0, standardDeviation: 1.4)).rounded())))
    }

    // One invoice a month, due on the customer's due day; paid on time or some days late.
    let due = (monthStarts[slot] + dueDay) * UTCTime.millisecondsPerDay + 10 * 3_600_000
    if due >= from && due < to {
      var late = 0
      if rng.bernoulli(Self.sigmoid(-2.0 - 1.0 * h + (size == 0 ? 0.5 : 0))) {
        late = 1 + Int(rng.gamma(shape: 1.5, scale: 8 * exp(-0.3 * h)))
      }
      add(.payment, due + Int64(late) * UTCTime.millisecondsPerDay, Double(late))
      maxLateDays[slot] = max(maxLateDays[slot], late)
    }

    let offers = rng.poisson(0.07 * [0.7, 1.0, 1.4][tier] * coverage)
    for _ in 0..<offers {
      add(rng.bernoulli(Self.sigmoid(-0.6 + 1.3 * h)) ? .upsellAccepted : .upsellDeclined, time(&rng))
    }

    let visits = rng.poisson([0.1, 0.25, 0.5][tier] * coverage)
    for _ in 0..<visits {
      add(.visit, time(&rng), min(5, max(1, (3.4 + 0.9 * h + rng.normal(mean: 0, standardDeviation: 0.7)).rounded())))
    }
    interactions[slot] = loginCount + orderCount + ticketCount + visits
  }

  // MARK: Output

  func appendEvents(id: [UInt8], to out: inout [UInt8], typeCounts: inout [Int]) {
    for event in events {
      out.append(contentsOf: id)
      out.append(UInt8(ascii: ","))
      UTCTime.appendDateTime(milliseconds: event.time, to: &out)
      out.append(UInt8(ascii: ","))
      out.append(contentsOf: SimulatedCatalog.eventNames[Int(event.kind)].utf8)
      out.append(UInt8(ascii: ","))
      if !event.value.isNaN {
        let digits = event.kind == EventKind.order.rawValue ? 2 : (event.kind == EventKind.resolution.rawValue ? 1 : 0)
        DecimalFormatting.appendFixed(event.value, fractionDigits: digits, to: &out)
      }
      out.append(UInt8(ascii: "\n"))
      typeCounts[Int(event.kind)] += 1
    }
  }

  func appendCustomerRow(id: [UInt8], accountManager: String, to out: inout [UInt8]) {
    out.append(contentsOf: id)
    for field in [SimulatedCatalog.industries[industry], SimulatedCatalog.sizes[size], SimulatedCatalog.regions[region],
                  SimulatedCatalog.tiers[tier], SimulatedCatalog.plans[plan]] {
      out.append(UInt8(ascii: ","))
      out.append(contentsOf: field.utf8)
    }
    out.append(UInt8(ascii: ","))
    DecimalFormatting.appendFixed(monthlyRevenue, fractionDigits: 2, to: &out)
    out.append(UInt8(ascii: ","))
    UTCTime.appendDate(milliseconds: signupDay * UTCTime.millisecondsPerDay, to: &out)
    out.append(UInt8(ascii: ","))
    if let churn = churnMilliseconds { UTCTime.appendDate(milliseconds: churn, to: &out) }
    out.append(UInt8(ascii: ","))
    out.append(contentsOf: accountManager.utf8)
    out.append(UInt8(ascii: "\n"))
  }
}
