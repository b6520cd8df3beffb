import ChurnCore

/// The vocabulary of simulated customers: event types, attribute levels and their shares.
enum SimulatedCatalog {
  /// Event types in the order of `EventKind`'s raw values.
  static let eventNames = [
    "login", "order", "ticket", "complaint", "resolution", "survey", "nps", "payment",
    "upsell_accepted", "upsell_declined", "visit",
  ]
  static let industries = ["manufacturing", "retail", "technology", "healthcare", "finance", "logistics", "education"]
  static let industryShares = [0.22, 0.18, 0.17, 0.12, 0.11, 0.11, 0.09]
  static let sizes = ["small", "mid", "large"]
  static let sizeShares = [0.50, 0.35, 0.15]
  static let regions = ["north", "south", "east", "west"]
  static let plans = ["basic", "pro", "enterprise"]
  /// Plan shares by size (rows: small, mid, large).
  static let planSharesBySize = [[0.60, 0.35, 0.05], [0.30, 0.50, 0.20], [0.10, 0.40, 0.50]]
  static let tiers = ["silver", "gold", "platinum"]
  static let customerHeader = "customer_id,industry,size,region,tier,plan,monthly_revenue,signup_date,churn_date,account_manager\n"
  static let eventHeader = "customer_id,timestamp,event_type,value\n"
}

/// The account managers of a simulated customer base: about `customersPerManager` customers
/// each, every manager covering one region (a territory), one manager per customer for the
/// whole period.
///
/// A customer's manager is drawn from its own random stream, apart from the streams that
/// make its attributes and events (`streamOffset` + customer index), so adding managers
/// changed no other column and no event.
struct AccountManagers {
  static let customersPerManager = 40
  /// Stream numbers of the managers' draws start here; customer streams are below
  /// `SimulationSettings.maximumCustomers`.
  static let streamOffset: UInt64 = 1 << 40
  static let firstNames = [
    "Maria", "James", "Aisha", "Daniel", "Sofia", "Liam", "Priya", "Noah", "Elena", "Lucas",
    "Hannah", "Mateo", "Chloe", "Omar", "Grace", "Ethan", "Yuki", "Samuel", "Fatima", "Leo",
    "Isabel", "Jonas", "Amara", "Felix", "Nora", "Diego", "Clara", "Ravi", "Emma", "Tomas",
    "Lena", "Hugo", "Mei", "Oscar", "Zara", "Adrian", "Ingrid", "Kofi", "Alice", "Marco",
    "Julia", "Arjun", "Sara", "Victor", "Olivia", "Pablo", "Nadia", "Erik", "Laura", "Chen",
  ]
  static let lastNames = [
    "Keller", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Rossi", "Novak", "Fischer", "Haddad", "Brennan",
    "Schmidt", "Alvarez", "Kowalski", "Nguyen", "Petrov", "Jensen", "Costa", "Murphy", "Weber", "Sato",
    "Romero", "Larsen", "Dubois", "Khan", "Bauer", "Silva", "Walsh", "Ivanova", "Meyer", "Park",
    "Fontaine", "Hughes", "Berg", "Mensah", "Ortiz", "Vogel", "Laine", "Quinn", "Richter", "Santos",
    "Hoffmann", "Ali", "Carter", "Engel", "Bianchi", "Nakamura", "Duarte", "Holm", "Farrell", "Wagner",
  ]

  /// Managers for `customerCount` customers: round(customers / 40), at least 1.
  let names: [String]

  init(customerCount: Int) {
    let count = max(1, (customerCount + Self.customersPerManager / 2) / Self.customersPerManager)
    names = (0..<count).map(Self.name)
  }

  /// Manager k's name: distinct for every k (first name k mod 50 with a last name that moves
  /// on each round of first names; past 2,500 managers a round number is added).
  static func name(_ k: Int) -> String {
    let f = firstNames.count, l = lastNames.count
    let base = firstNames[k % f] + " " + lastNames[(k % f + k / f) % l]
    let round = k / (f * l)
    return round == 0 ? base : base + " " + String(round + 1)
  }

  /// The manager of customer `index` in `region`: one of the managers covering that region
  /// (manager k covers region k mod 4), drawn from the customer's manager stream.
  func manager(customerIndex: Int, region: Int, seed: UInt64) -> String {
    var rng = SeededGenerator(seed: seed, stream: Self.streamOffset + UInt64(customerIndex))
    let regions = SimulatedCatalog.regions.count
    // Fewer managers than regions: every manager covers every region.
    guard names.count >= regions else { return names[rng.integer(below: names.count)] }
    let covering = (names.count - region + regions - 1) / regions  // k = region, region + 4, ... < count
    return names[region + regions * rng.integer(below: covering)]
  }
}

/// Simulated event types; raw values index `SimulatedCatalog.eventNames`.
enum EventKind: UInt8 {
  case login, order, ticket, complaint, resolution, survey, nps, payment, upsellAccepted, upsellDeclined, visit
}
