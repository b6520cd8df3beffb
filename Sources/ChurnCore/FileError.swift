#if canImport(Glibc)
import Glibc
#endif

/// A file could not be opened, read, written or renamed.
public struct FileError: Error, Equatable, CustomStringConvertible {
  public let path: String
  public let action: String
  public let reason: String

  public init(path: String, action: String, reason: String) {
    self.path = path
    self.action = action
    self.reason = reason
  }

  /// An error carrying the text of the current `errno`.
  static func fromErrno(path: String, action: String) -> FileError {
    FileError(path: path, action: action, reason: String(cString: strerror(errno)))
  }

  public var description: String { "cannot \(action) \(path): \(reason)" }
}
