import Foundation

/// Progress of a long step on standard error: redrawn in place on a terminal, one line per
/// 10% otherwise (logs stay readable). Shows count, rate and time left.
final class ProgressReporter {
  let label: String
  let total: Int
  let unit: String
  private let began = ContinuousClock.now
  private var lastTenth = 0
  private var drewOnTerminal = false

  init(label: String, total: Int, unit: String) {
    self.label = label
    self.total = max(total, 1)
    self.unit = unit
  }

  func update(_ done: Int) {
    let elapsed = (ContinuousClock.now - began).seconds
    guard elapsed > 0.5 || done == total else { return }
    let rate = Double(done) / max(elapsed, 1e-9)
    let left = rate > 0 ? Double(total - done) / rate : 0
    let line = String(format: "%@: %d/%d %@ (%.0f%%), %.0f %@/s, %.0f s left", label, done, total, unit,
                      100 * Double(done) / Double(total), rate, unit, left)
    if StandardError.isTerminal {
      let text = "\r" + line + "\u{1B}[K"
      _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
      drewOnTerminal = true
    } else {
      let tenth = 10 * done / total
      if tenth > lastTenth {
        lastTenth = tenth
        StandardError.print(line)
      }
    }
  }

  func finish() {
    if drewOnTerminal { StandardError.print("") }
  }
}
