#if canImport(Glibc)
import Glibc
#endif

/// A file written atomically: bytes go to a temporary file beside the destination, which
/// replaces the destination only when `commit()` succeeds.
///
/// A run that fails leaves the destination as it was (absent, or its old contents) and removes
/// its temporary file, so no reader ever sees half an output; SIGINT and SIGTERM remove it too
/// once `TemporaryFileRegistry.removeOnInterrupt()` was called. The destination is resolved by
/// `OutputTarget.resolve`: a symbolic link is followed and the file it names is replaced (the
/// link stays); the new file keeps the old one's permissions. `-` (standard output), a FIFO,
/// a device or a link under /dev or /proc (such as /dev/stdout) are written straight through,
/// in order, without a temporary file: those cannot be atomic. When the reader of a pipe or
/// FIFO goes away (`EPIPE`, as after `| head`), the rest of the output is dropped quietly.
///
/// To keep the several outputs of one run together (all or none) and refuse outputs that are
/// the run's inputs, use `OutputTransaction`.
public final class OutputFile {
  /// The path as given.
  public let path: String
  public let target: OutputTarget
  private let temporary: TemporarySibling?
  private var descriptor: Int32
  private var buffer: [UInt8] = []
  private let bufferLimit = 1 << 20
  private var committed = false
  /// A pipe's reader left: further bytes are dropped.
  private var readerGone = false

  /// The temporary file, nil for a stream.
  public var temporaryPath: String? { temporary?.path }

  /// Opens a temporary file next to `path` for writing (or `path` itself for a stream).
  ///
  /// - Throws: `OutputError` when `path` is a directory, its directory does not exist or
  ///   cannot be written; `FileError` when a stream cannot be opened.
  public convenience init(path: String) throws {
    try self.init(path: path, name: nil)
  }

  /// As `init(path:)`; `name` (such as `--out`) goes into error messages.
  public init(path: String, name: String?) throws {
    self.path = path
    target = try OutputTarget.resolve(path, name: name)
    switch target {
    case .file(let resolved):
      let sibling = try TemporarySibling(beside: resolved, name: name, shownPath: path)
      temporary = sibling
      descriptor = sibling.descriptor
    case .standardOutput:
      temporary = nil
      descriptor = STDOUT_FILENO
    case .stream(let stream):
      temporary = nil
      descriptor = open(stream, O_WRONLY | O_CLOEXEC)
      if descriptor < 0 { throw FileError.fromErrno(path: path, action: "open for writing") }
    }
    buffer.reserveCapacity(bufferLimit + 4096)
  }

  deinit {
    if descriptor >= 0 && target != .standardOutput { close(descriptor) }
    if !committed { temporary?.remove() }
  }

  /// Appends bytes; they reach the disk in 1 MiB blocks.
  public func write(_ bytes: [UInt8]) throws {
    buffer.append(contentsOf: bytes)
    if buffer.count >= bufferLimit { try flush() }
  }

  /// Appends the UTF-8 bytes of a string.
  public func write(_ text: String) throws {
    buffer.append(contentsOf: text.utf8)
    if buffer.count >= bufferLimit { try flush() }
  }

  private func flush() throws {
    defer { buffer.removeAll(keepingCapacity: true) }
    if readerGone || buffer.isEmpty { return }
    // Whatever `print` buffered for standard output goes first, to keep the order.
    if target.isStandardOutput { fflush(nil) }
    try buffer.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let n = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          if errno == EPIPE && temporary == nil {
            readerGone = true
            return
          }
          throw FileError.fromErrno(path: path, action: "write")
        }
        offset += n
      }
    }
  }

  /// Flushes, syncs and renames the temporary file onto the destination (a stream: flushes).
  ///
  /// When it throws, the destination keeps its old contents and the temporary file is removed.
  public func commit() throws {
    precondition(!committed, "OutputFile \(path) committed twice")
    try flush()
    guard let temporary, case .file(let destination) = target else {
      committed = true
      // A stream is finished: its reader sees the end now (standard output stays open).
      if target != .standardOutput && descriptor >= 0 && close(descriptor) != 0 {
        descriptor = -1
        throw FileError.fromErrno(path: path, action: "close")
      }
      descriptor = -1
      return
    }
    let fd = descriptor
    descriptor = -1
    if fsync(fd) != 0 {
      let error = FileError.fromErrno(path: path, action: "sync")
      close(fd)
      throw error
    }
    if close(fd) != 0 { throw FileError.fromErrno(path: path, action: "close") }
    if rename(temporary.path, destination) != 0 { throw FileError.fromErrno(path: path, action: "rename a temporary file onto") }
    committed = true
    TemporaryFileRegistry.unregister(temporary.slot)
  }

  /// Writes `contents` to `path` atomically in one call.
  public static func write(_ contents: String, to path: String) throws {
    let file = try OutputFile(path: path)
    try file.write(contents)
    try file.commit()
  }
}
