import ChurnCore

extension FeatureBuilder.Result {
  /// A result made elsewhere, such as by a database running the feature query (`FeatureQuery`):
  /// the table, the spec it follows, and what a report says about the run.
  public init(rows table: FeatureTable, spec: FeatureSpec, summaries: [FeatureBuilder.CutoffSummary], skipped: EventLogReader.SkippedRows = .init(),
              events: Int, firstEvent: Int64, dataEnd: Int64, notes: [String]) {
    self.table = table
    self.spec = spec
    self.summaries = summaries
    self.skipped = skipped
    self.events = events
    self.firstEvent = firstEvent
    self.dataEnd = dataEnd
    self.notes = notes
  }
}

extension FeatureBuilder.CutoffSummary {
  /// The summary of one cutoff: customers eligible, labelled and churned.
  public init(at cutoff: Int64, eligible: Int, labelled: Int, churned: Int) {
    self.cutoff = cutoff
    self.eligible = eligible
    self.labelled = labelled
    self.churned = churned
  }
}
