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
  static let customerHeader = "customer_id,industry,size,region,tier,plan,monthly_revenue,signup_date,churn_date\n"
  static let eventHeader = "customer_id,timestamp,event_type,value\n"
}

/// Simulated event types; raw values index `SimulatedCatalog.eventNames`.
enum EventKind: UInt8 {
  case login, order, ticket, complaint, resolution, survey, nps, payment, upsellAccepted, upsellDeclined, visit
}
