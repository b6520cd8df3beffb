import ArgumentParser

@main
struct Churn: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "churn",
    abstract: "Churn prediction from customer interaction histories.",
    discussion: """
      Turn an event log (customer, time, event type, value) and an optional customer table into
      point-in-time features, and see who is about to leave.
      """,
    version: "0.1.0",
    subcommands: [Simulate.self, Describe.self, Features.self, CohortsCommand.self, Train.self, BacktestCommand.self, Score.self, Weights.self, Explain.self, Report.self])
}
