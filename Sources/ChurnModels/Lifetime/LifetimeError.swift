/// Why a BTYD model could not be fitted.
public enum LifetimeError: Error, Equatable, CustomStringConvertible {
  /// BG/NBD was given no customers.
  case noCustomers
  /// No customer made a repeat purchase: BG/NBD cannot tell how often customers buy or drop out.
  case noRepeatPurchases(customers: Int)
  /// Gamma–Gamma needs customers with repeat purchases of positive mean value.
  case tooFewSpenders(found: Int)
  /// The optimizer stopped before the gradient vanished (with lifetimes' `penalizer_coef`
  /// `penalty`, 0 for none).
  case didNotConverge(model: String, iterations: Int, gradient: Double, penalty: Double = 0)
  /// Gamma–Gamma's q ≤ 1: the expected spend per purchase is infinite.
  case infiniteMeanSpend(q: Double)

  public var description: String {
    switch self {
    case .noCustomers:
      return "no customers to fit; expected customers with at least one purchase"
    case .noRepeatPurchases(let customers):
      return "none of the \(customers) customers made a repeat purchase (a purchase on a later day than their first); "
        + "BG/NBD needs repeat purchases to learn how often customers buy: use a later --as-of or more of the log's event types as purchases"
    case .tooFewSpenders(let found):
      return "Gamma-Gamma needs at least 2 customers with repeat purchases of positive mean value; found \(found): "
        + "check the value column (--value-column) or use a later --as-of"
    case .didNotConverge(let model, let iterations, let gradient, let penalty):
      let flag = model == "Gamma-Gamma" ? "--spend-penalizer" : "--penalizer"
      return "the \(model) fit did not converge\(penalty > 0 ? " with penalizer_coef \(penalty)" : ""): after \(iterations) iterations "
        + "the largest gradient component is \(gradient), expected at most 1e-6; the likelihood is flat there (too few repeat purchases, "
        + "or customers who differ too little for the model to tell its parameters apart); fix: a \(penalty > 0 ? "larger " : "")penalty "
        + "(\(flag) \(penalty > 0 ? penalty * 10 : 0.001), lifetimes' penalizer_coef) keeps the fit off the flat edges, at the cost of a small bias"
    case .infiniteMeanSpend(let q):
      return "Gamma-Gamma fitted q = \(q) ≤ 1, for which the expected spend per purchase is infinite; "
        + "the spend values are too heavy-tailed for the model (look for outliers in the value column)"
    }
  }
}
