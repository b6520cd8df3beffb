// The weekly job as a library: train, backtest, tune, score, explain, weights, cohorts and
// report, each one call returning a typed result. A Swift user imports this module alone: it
// re-exports the modules below it (tables and parsing, features, models, metrics), whose types
// appear in its API.
@_exported import ChurnCore
@_exported import ChurnFeatures
@_exported import ChurnModels
@_exported import ChurnScoring

/// churn's version, written into every model file (`ModelFile.churnVersion`) and shown by `churn --version`.
public let churnVersion = "0.1.0"
