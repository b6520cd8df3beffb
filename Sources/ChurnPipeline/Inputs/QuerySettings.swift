import ChurnCore
import ChurnFeatures
import ChurnModels

/// What a caller of `churn sql` gives besides the features: the observation rules and the
/// tables' column names, each nil (or false) when not given. With a model, what is left open
/// is the model's (its horizon, eligibility rules, column names and, without cutoffs, its
/// training and holdout cutoffs); what is given wins; the defaults fill the rest.
///
/// ```swift
/// var settings = QuerySettings()
/// settings.cutoff = ["2025-12-01"]
/// let query = try settings.query(.model(try ModelFile.read(path: "model.json"), path: "model.json"),
///                                dialect: .postgres, eventsTable: "crm.events", customersTable: "crm.customers")
/// ```
public struct QuerySettings: Sendable, Equatable {
  /// Where the features come from.
  public enum Features: Sendable {
    /// A model trained from events: its spec, rules and column names (`path` names it in errors).
    case model(ModelFile, path: String)
    /// A saved spec (`churn features --save-spec`).
    case spec(FeatureSpec)
    /// The default families for these event types, those in `valued` with sums and means.
    case eventTypes([String], valued: Set<String>)
  }

  /// `ObservationPlan`'s texts: a cutoff range, single cutoffs, the horizon (nil: the model's,
  /// else 30d), lead, windows, eligibility (nil: the model's), purchase types, the data end.
  public var cutoffs: String?
  public var cutoff: [String] = []
  public var horizon: String?
  public var leadDays: Int?
  public var windows: [Int]?
  public var activeWindow: String?
  public var activityTypes: [String]?
  public var purchaseTypes: [String]?
  public var dataEnd: String?
  /// Feature families added to the default families of `.eventTypes` (`btyd`: refused, since
  /// SQL cannot fit its model).
  public var addedFamilies: [String] = []
  /// The events table's columns (nil: the model's, else `customer_id`, `timestamp`,
  /// `event_type`, `value`); `noValueColumn`: the table has none.
  public var customerColumn: String?
  public var timestampColumn: String?
  public var eventTypeColumn: String?
  public var valueColumn: String?
  public var noValueColumn = false
  /// The customers table's columns (nil: the events' customer column, the model's names, else
  /// `signup_date` and `churn_date`); `noSignupColumn`, `noChurnDateColumn`: it has none (no
  /// churn date makes labels inactivity labels).
  public var idColumn: String?
  public var signupColumn: String?
  public var churnDateColumn: String?
  public var noSignupColumn = false
  public var noChurnDateColumn = false

  public init() {}

  /// The query of `features` under these settings.
  ///
  /// - Throws: `QuerySettingsError.modelWithoutEvents` for a model trained on a prepared table;
  ///   `PlanError.specFixesFamilies` for added families with a model or spec; the errors of `ObservationPlan.init`, `FeatureQuery.defaultSpec` and `FeatureQuery.init`.
  public func query(_ features: Features, dialect: SQLDialect, eventsTable: String, customersTable: String? = nil) throws -> FeatureQuery {
    var model: ModelFile.EventSettings?
    if case .model(let file, let path) = features {
      guard file.featureSpec != nil, let events = file.events else { throw QuerySettingsError.modelWithoutEvents(path: path) }
      model = events
    }
    let plan = try plan(model: model)
    if case .eventTypes = features {} else if !plan.addedFamilies.isEmpty { throw PlanError.specFixesFamilies(plan.addedFamilies) }
    var spec: FeatureSpec
    switch features {
    case .model(let file, _): spec = file.featureSpec!
    case .spec(let given): spec = given
    case .eventTypes(let types, let valued):
      spec = try FeatureQuery.defaultSpec(eventTypes: types, valuedTypes: valued, windows: plan.windows ?? [7, 30, 90],
                                          leadDays: plan.leadDays ?? 0, purchaseTypes: plan.purchaseTypes)
      spec.btyd = plan.btydFamily
    }
    let columns = eventColumns(model: model)
    return try FeatureQuery(spec: spec, observation: try plan.design(), columns: columns, dialect: dialect, eventsTable: eventsTable,
                            customersTable: customersTable, customerColumns: customerColumns(model: model, events: columns))
  }

  /// The cutoffs, horizon and eligibility rules: a model supplies its horizon, rules and
  /// (without cutoffs here) its training and holdout cutoffs; what is set here wins.
  public func plan(model: ModelFile.EventSettings?) throws -> ObservationPlan {
    var cutoffTexts = cutoff
    if let model, cutoff.isEmpty, cutoffs == nil {
      cutoffTexts = model.trainingCutoffs + [model.holdoutCutoff].compactMap { $0 }
    }
    return try ObservationPlan(cutoffs: cutoffs, cutoff: cutoffTexts, horizon: horizon ?? model?.horizon ?? "30d", leadDays: leadDays,
                               windows: windows, activeWindow: activeWindow ?? model?.activeWindow,
                               activityTypes: activityTypes ?? model?.activityTypes, purchaseTypes: purchaseTypes, dataEnd: dataEnd,
                               features: addedFamilies)
  }

  /// The events table's column names: those set here, else the model's, else the defaults.
  public func eventColumns(model: ModelFile.EventSettings?) -> EventLogColumns {
    EventLogColumns(customer: customerColumn ?? model?.customerColumn ?? "customer_id",
                    timestamp: timestampColumn ?? model?.timestampColumn ?? "timestamp",
                    eventType: eventTypeColumn ?? model?.eventTypeColumn ?? "event_type",
                    value: noValueColumn ? nil : valueColumn ?? model?.valueColumn ?? "value")
  }

  /// The customers table's column names; a churn-date column only for contractual labels (the
  /// model's kind of label, else unless `noChurnDateColumn`).
  public func customerColumns(model: ModelFile.EventSettings?, events columns: EventLogColumns) -> FeatureQuery.CustomerColumns {
    let contractual = model.map(\.contractual) ?? !noChurnDateColumn
    return FeatureQuery.CustomerColumns(
      id: idColumn ?? columns.customer,
      signup: noSignupColumn ? nil : signupColumn ?? model?.signupColumn ?? CustomerTable.defaultSignupColumn,
      churnDate: contractual && !noChurnDateColumn ? churnDateColumn ?? model?.churnDateColumn ?? CustomerTable.defaultChurnDateColumn : nil)
  }
}

/// Settings that cannot make a query.
public enum QuerySettingsError: Error, Equatable, CustomStringConvertible {
  case modelWithoutEvents(path: String)

  public var description: String {
    switch self {
    case .modelWithoutEvents(let path):
      return "--model \(path) was trained on a prepared table, not from events; it has no feature spec to compile"
    }
  }
}
