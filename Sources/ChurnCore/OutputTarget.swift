#if canImport(Glibc)
import Glibc
#endif

/// Where an output's bytes go, decided by looking at the file system before anything is written.
///
/// - A regular file, existing or new, is replaced atomically: bytes go to a temporary file
///   beside it, renamed onto it at the end. A symbolic link at the given path is followed
///   (through every link of a chain) to the file it names, and that file is replaced: the link
///   stays a link, as with a shell's `>`. A link to nothing (dangling) creates the file it names.
/// - `-` is standard output; a FIFO, a character device or a socket, and a link under `/dev/`
///   or `/proc/` (such as `/dev/stdout` or `/dev/fd/3`), are streams. Streams are written in
///   place, in order, with no temporary file and no rename, so they cannot be atomic: a run
///   that fails has already written what it wrote to them.
/// - A directory is refused.
public enum OutputTarget: Equatable, Sendable {
  /// A regular file (possibly not yet existing), symbolic links resolved.
  case file(String)
  /// Standard output, file descriptor 1 (`-`).
  case standardOutput
  /// Written in place: a FIFO, device, socket or a link under /dev or /proc.
  case stream(String)

  /// Classifies `path`; `name` (such as `--out`) only goes into error messages.
  ///
  /// - Throws: `OutputError` when `path` is a directory, sits in a missing directory or below
  ///   something that is not a directory, or is a link that cannot be followed.
  public static func resolve(_ path: String, name: String? = nil) throws(OutputError) -> OutputTarget {
    if path == "-" { return .standardOutput }
    if path.isEmpty { throw .missingDirectory(name: name, path: path, directory: "\"\"") }
    var current = path
    var info = stat()
    var hops = 0
    while lstat(current, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK {
      if current.hasPrefix("/dev/") || current.hasPrefix("/proc/") { return .stream(path) }
      hops += 1
      guard hops <= 40, let target = readLink(current) else {
        throw .unresolvableLink(name: name, path: path, reason: hops > 40 ? "more than 40 links in a chain" : lastError())
      }
      current = target.hasPrefix("/") ? target : directory(of: current) + "/" + target
    }
    if lstat(current, &info) == 0 {
      switch info.st_mode & S_IFMT {
      case S_IFDIR: throw .isDirectory(name: name, path: path)
      case S_IFREG: break
      default: return .stream(current)
      }
    } else if errno == ENOTDIR {
      throw .notADirectory(name: name, path: path, directory: firstNonDirectory(in: current))
    }
    let parent = directory(of: current)
    if stat(parent, &info) != 0 {
      if errno == ENOTDIR { throw .notADirectory(name: name, path: path, directory: firstNonDirectory(in: parent)) }
      throw .missingDirectory(name: name, path: path, directory: parent)
    }
    guard (info.st_mode & S_IFMT) == S_IFDIR else { throw .notADirectory(name: name, path: path, directory: parent) }
    return .file(current)
  }

  /// Whether the bytes go to this process's standard output (`-`, `/dev/stdout`, `/dev/fd/1`).
  public var isStandardOutput: Bool {
    switch self {
    case .standardOutput: return true
    case .file: return false
    case .stream(let path): return ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"].contains(path)
    }
  }

  /// The file the bytes end up in, for comparing outputs with inputs and with each other:
  /// device and inode when it exists, else its directory's device and inode and its name.
  var identity: FileIdentity? {
    switch self {
    case .standardOutput: return FileIdentity(descriptor: STDOUT_FILENO)
    case .stream(let path): return FileIdentity(path: path)
    case .file(let path):
      if let existing = FileIdentity(path: path) { return existing }
      guard var directory = FileIdentity(path: OutputTarget.directory(of: path)) else { return nil }
      directory.name = String(path.split(separator: "/").last ?? "")
      return directory
    }
  }

  /// The directory part of a path ("." when it has none).
  static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let head = path[..<slash]
    return head.isEmpty ? "/" : String(head)
  }

  private static func readLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink(path, &buffer, buffer.count - 1)
    guard n >= 0 else { return nil }
    return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// The shortest prefix of `path` (spelled as in `path`) that exists and is not a directory.
  private static func firstNonDirectory(in path: String) -> String {
    var info = stat()
    let ends = path.indices.filter { $0 != path.startIndex && path[$0] == "/" } + [path.endIndex]
    for end in ends where stat(String(path[..<end]), &info) == 0 && (info.st_mode & S_IFMT) != S_IFDIR {
      return String(path[..<end])
    }
    return directory(of: path)
  }
}

/// A file's device and inode (and, for a file not yet created, its name in that directory):
/// equal identities are the same file whatever the spelling, hard link or symbolic link.
struct FileIdentity: Hashable {
  var device: UInt64
  var inode: UInt64
  var name: String?

  init?(path: String) {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    self.init(info)
  }

  init?(descriptor: Int32) {
    var info = stat()
    guard fstat(descriptor, &info) == 0 else { return nil }
    self.init(info)
  }

  private init(_ info: stat) {
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
  }
}

/// The text of the current `errno`.
func lastError() -> String { String(cString: strerror(errno)) }

/// A new, exclusively created file beside `destination` (`destination.tmp-PID-RAND`), with
/// the destination's permissions when it exists, registered for removal on SIGINT/SIGTERM.
struct TemporarySibling {
  let path: String
  let descriptor: Int32
  let slot: Int?

  /// - Throws: `OutputError.cannotCreate` (or `missingDirectory`) naming `name` and `shownPath`.
  init(beside destination: String, name: String?, shownPath: String) throws(OutputError) {
    var fd: Int32 = -1
    var candidate = ""
    var registered: Int?
    repeat {
      candidate = destination + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
      // Registered before it exists: a signal between the creation and a later registration
      // would leave the file behind (seen under load). A name that turns out to be taken is
      // forgotten again at once (a random 32-bit name of this process id: practically never).
      registered = TemporaryFileRegistry.register(candidate)
      fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
      if fd < 0 {
        let error = errno
        TemporaryFileRegistry.unregister(registered)
        errno = error
      }
    } while fd < 0 && errno == EEXIST
    let directory = OutputTarget.directory(of: destination)
    if fd < 0 {
      if errno == ENOENT { throw .missingDirectory(name: name, path: shownPath, directory: directory) }
      throw .cannotCreate(name: name, path: shownPath, directory: directory, reason: lastError())
    }
    path = candidate
    descriptor = fd
    slot = registered
    var info = stat()
    if stat(destination, &info) == 0 { _ = fchmod(fd, info.st_mode & 0o7777) }
  }

  /// Removes the file and forgets it.
  func remove() {
    unlink(path)
    TemporaryFileRegistry.unregister(slot)
  }
}
