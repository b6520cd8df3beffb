#if canImport(Glibc)
import Glibc
#endif

/// A file written atomically: bytes go to a temporary file beside the destination, which
/// replaces the destination only when `commit()` succeeds.
///
/// A run that fails or is interrupted leaves the destination as it was (absent, or its old
/// contents) and removes its temporary file, so no reader ever sees half an output.
public final class OutputFile {
  public let path: String
  let temporaryPath: String
  private var descriptor: Int32
  private var buffer: [UInt8] = []
  private let bufferLimit = 1 << 20
  private var committed = false

  /// Opens a temporary file next to `path` for writing.
  ///
  /// - Throws: `FileError` when the directory does not exist or is not writable.
  public init(path: String) throws {
    self.path = path
    self.temporaryPath = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    if descriptor < 0 { throw FileError.fromErrno(path: path, action: "create") }
    buffer.reserveCapacity(bufferLimit + 4096)
  }

  deinit {
    if !committed {
      if descriptor >= 0 { close(descriptor) }
      unlink(temporaryPath)
    }
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
    try buffer.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let n = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          throw FileError.fromErrno(path: path, action: "write")
        }
        offset += n
      }
    }
    buffer.removeAll(keepingCapacity: true)
  }

  /// Flushes, syncs and renames the temporary file onto `path`.
  public func commit() throws {
    precondition(!committed, "OutputFile \(path) committed twice")
    try flush()
    if fsync(descriptor) != 0 { throw FileError.fromErrno(path: path, action: "sync") }
    if close(descriptor) != 0 {
      descriptor = -1
      throw FileError.fromErrno(path: path, action: "close")
    }
    descriptor = -1
    if rename(temporaryPath, path) != 0 { throw FileError.fromErrno(path: path, action: "rename a temporary file onto") }
    committed = true
  }

  /// Writes `contents` to `path` atomically in one call.
  public static func write(_ contents: String, to path: String) throws {
    let file = try OutputFile(path: path)
    try file.write(contents)
    try file.commit()
  }
}
