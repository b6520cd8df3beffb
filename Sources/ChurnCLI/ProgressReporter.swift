import ChurnPipeline
import Foundation

/// Progress of a long step on standard error: redrawn in place on a terminal (at most ten
/// times a second), one line per 10% otherwise, so logs stay readable. Shows the amount done,
/// the rate and the time left. Safe to call from several threads.
final class ProgressReporter: ReadProgress, @unchecked Sendable {
  let label: String
  let total: Int
  let unit: String
  /// Divides counts for display (1e6 with unit "MB" shows bytes as megabytes).
  let scale: Double
  private let began = ContinuousClock.now
  private var lastTenth = 0
  private var lastDraw = -1.0
  private var drewOnTerminal = false
  private var done = 0
  private let lock = NSLock()

  init(label: String, total: Int, unit: String, scale: Double = 1) {
    self.label = label
    self.total = max(total, 1)
    self.unit = unit
    self.scale = scale
  }

  /// Sets the amount done so far.
  func update(_ done: Int) {
    lock.lock()
    defer { lock.unlock() }
    self.done = done
    draw()
  }

  /// Adds to the amount done.
  func advance(by amount: Int) {
    lock.lock()
    defer { lock.unlock() }
    done += amount
    draw()
  }

  private func draw() {
    let elapsed = (ContinuousClock.now - began).seconds
    guard elapsed > 0.5 || done >= total else { return }
    let rate = Double(done) / max(elapsed, 1e-9)
    let left = rate > 0 ? Double(max(total - done, 0)) / rate : 0
    let line = String(format: "%@: %.0f/%.0f %@ (%.0f%%), %.1f %@/s, %.0f s left", label, Double(done) / scale, Double(total) / scale, unit,
                      min(100, 100 * Double(done) / Double(total)), rate / scale, unit, left)
    if StandardError.isTerminal {
      guard elapsed - lastDraw >= 0.1 || done >= total else { return }
      lastDraw = elapsed
      let text = "\r" + line + "\u{1B}[K"
      _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
      drewOnTerminal = true
    } else {
      let tenth = min(10, 10 * done / total)
      if tenth > lastTenth {
        lastTenth = tenth
        StandardError.print(line)
      }
    }
  }

  /// Shows reading progress for logs over 64 MB (smaller ones take a moment).
  static func attach(to reader: inout EventLogReader, label: String) -> ProgressReporter? {
    let size = (try? FileManager.default.attributesOfItem(atPath: reader.path)[.size] as? Int) ?? 0
    guard size > 64 << 20 else { return nil }
    let reporter = ProgressReporter(label: label, total: size, unit: "MB", scale: 1e6)
    reader.progress = { reporter.advance(by: $0) }
    return reporter
  }

  func finish() {
    lock.lock()
    defer { lock.unlock() }
    if drewOnTerminal {
      StandardError.print("")
      drewOnTerminal = false
    }
  }
}
