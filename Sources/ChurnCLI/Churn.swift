import ArgumentParser
import ChurnPipeline
#if canImport(Glibc)
import Glibc
#endif

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
    subcommands: [Simulate.self, Describe.self, Features.self, CohortsCommand.self, Train.self, BacktestCommand.self, Score.self, Weights.self, Explain.self, Report.self])

  static func main() {
    // `churn train ... | head`: a reader that leaves must not kill the run before its files are
    // written. Writes to standard output then fail with EPIPE, which `print` drops quietly.
    signal(SIGPIPE, SIG_IGN)
    // Ctrl-C or a kill: remove the temporary files of the outputs, then die of that signal.
    TemporaryFileRegistry.removeOnInterrupt()
    main(nil)
  }
}
