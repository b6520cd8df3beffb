import ArgumentParser
import ChurnPipeline
#if canImport(Glibc)
import Glibc
#endif

/// The `churn` executable. Exit codes: 0 success; 64 a usage error (a flag refused in a
/// command's `validate()`, printed with the usage text by ArgumentParser); 1 an error the
/// library throws while working (its typed errors: `FeatureError`, `ModelFileError`,
/// `TrainerError`, `ScorerError`, ... each printed as `Error: <found, expected, fix>`, without
/// usage text); killed by SIGINT or SIGTERM, after removing the run's temporary files.
@main
struct Churn: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "churn",
    abstract: "Churn prediction from customer interaction histories.",
    discussion: """
      Turn an event log (customer, time, event type, value) and an optional customer table into
      point-in-time features, and see who is about to leave.
      """,
    version: churnVersion,
    subcommands: [Simulate.self, Describe.self, Features.self, SQLCommand.self, CohortsCommand.self, RulesCommand.self, MonthlyCommand.self, Train.self, BacktestCommand.self, Score.self, MergeCommand.self, BriefCommand.self, LifetimeCommand.self, Weights.self, Explain.self, Report.self])

  static func main() {
    // `churn train ... | head`: a reader that leaves must not kill the run before its files are
    // written. Writes to standard output then fail with EPIPE, which `print` drops quietly.
    signal(SIGPIPE, SIG_IGN)
    // Ctrl-C or a kill: remove the temporary files of the outputs, then die of that signal.
    TemporaryFileRegistry.removeOnInterrupt()
    main(nil)
  }
}
