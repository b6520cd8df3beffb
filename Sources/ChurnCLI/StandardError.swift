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
