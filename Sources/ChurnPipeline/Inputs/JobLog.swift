import ChurnFeatures

/// Where a job's progress lines go: a job returns its results as typed values and tells this
/// log what it is doing meanwhile (rows read, folds fitted, notes on the data). The CLI prints
/// the lines on standard error with the command's name; the default says nothing.
public struct JobLog: Sendable {
  /// One line of progress or a note, without a trailing newline.
  public var line: @Sendable (String) -> Void
  /// For a long read of `bytes` bytes, something that is told each chunk read and when the
  /// read is over (the CLI draws a progress bar); nil to show nothing.
  public var reading: @Sendable (_ path: String, _ bytes: Int) -> ReadProgress?

  public init(line: @escaping @Sendable (String) -> Void = { _ in },
              reading: @escaping @Sendable (_ path: String, _ bytes: Int) -> ReadProgress? = { _, _ in nil }) {
    self.line = line
    self.reading = reading
  }

  /// Says nothing.
  public static let silent = JobLog()

  /// Prints "note: <text>" lines.
  public func note(_ text: String) { line("note: " + text) }

  /// Attaches the read progress to `reader` when its file is large (over 64 MB: smaller ones take a moment).
  func attach(to reader: inout EventLogReader) -> ReadProgress? {
    let size = EventData.fileSize(reader.path)
    guard size > 64 << 20, let progress = reading(reader.path, size) else { return nil }
    reader.progress = { progress.advance(by: $0) }
    return progress
  }
}

/// A progress display for a long read.
public protocol ReadProgress: AnyObject, Sendable {
  /// `bytes` more were read.
  func advance(by bytes: Int)
  /// The read is over.
  func finish()
}
