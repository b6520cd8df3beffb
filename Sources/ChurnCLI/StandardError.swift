import ChurnPipeline
#if canImport(Glibc)
import Glibc
#endif

/// Diagnostics and progress go to standard error, so standard output stays clean for data.
enum StandardError {
  static func print(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { Glibc.write(STDERR_FILENO, $0, strlen($0)) }
  }

  static var isTerminal: Bool { isatty(STDERR_FILENO) != 0 }
}

extension JobLog {
  /// A job's lines on standard error, each after "label: ", and a progress display for long reads.
  static func standardError(_ label: String) -> JobLog {
    JobLog(line: { StandardError.print("\(label): " + $0) },
           reading: { _, bytes in ProgressReporter(label: label, total: bytes, unit: "MB", scale: 1e6) })
  }
}
