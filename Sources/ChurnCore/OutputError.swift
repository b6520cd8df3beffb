/// An output path that cannot be written safely, found before any work is done (or a commit
/// that failed at the end).
///
/// `name` is how the user named the output: a CLI flag such as `--out`, or nil for a path
/// given to `OutputFile` directly. Every message says what was found, what was expected and
/// how to fix it.
public enum OutputError: Error, Equatable, CustomStringConvertible {
  /// The output is the same file (device and inode) as an input of the run.
  case sameAsInput(name: String?, path: String, inputName: String, inputPath: String)
  /// Two outputs of one run are the same file (or both standard output).
  case sameOutput(name: String?, path: String, otherName: String?, otherPath: String)
  /// The directory that would hold the output does not exist.
  case missingDirectory(name: String?, path: String, directory: String)
  /// A component of the path that must be a directory is something else.
  case notADirectory(name: String?, path: String, directory: String)
  /// The output path is a directory.
  case isDirectory(name: String?, path: String)
  /// No file can be created beside the output (permissions, read-only file system, ...).
  case cannotCreate(name: String?, path: String, directory: String, reason: String)
  /// A symbolic link at the output path cannot be followed (a loop, too long).
  case unresolvableLink(name: String?, path: String, reason: String)
  /// Replacing the output by its finished temporary file failed at the end of the run.
  /// `restored` lists the outputs of the same run that had been replaced before and were put
  /// back; `notRestored` those that could not be put back and hold the new contents.
  case commitFailed(name: String?, path: String, reason: String, restored: [String], notRestored: [String])

  static func subject(_ name: String?, _ path: String) -> String {
    name.map { "\($0) \(path)" } ?? path
  }

  public var description: String {
    switch self {
    case let .sameAsInput(name, path, inputName, inputPath):
      return "\(Self.subject(name, path)) is the same file as \(inputName) \(inputPath), an input of this run; "
        + "writing it would destroy that input. Choose another path for \(name ?? "the output")"
    case let .sameOutput(name, path, otherName, otherPath):
      if path == "-" && otherPath == "-" {
        return "\(name ?? "an output") and \(otherName ?? "another output") both write to standard output (-); send at most one output to -"
      }
      return "\(Self.subject(name, path)) and \(Self.subject(otherName, otherPath)) are the same file; give each output its own path"
    case let .missingDirectory(name, path, directory):
      return "\(Self.subject(name, path)): directory \(directory) does not exist; create it first or choose another path"
    case let .notADirectory(name, path, directory):
      return "\(Self.subject(name, path)): \(directory) is not a directory; choose a path inside a directory"
    case let .isDirectory(name, path):
      return "\(Self.subject(name, path)) is a directory; expected a file path, such as \(path.hasSuffix("/") ? path : path + "/")NAME"
    case let .cannotCreate(name, path, directory, reason):
      return "\(Self.subject(name, path)): cannot create a file in \(directory) (\(reason)); choose a directory you can write to"
    case let .unresolvableLink(name, path, reason):
      return "\(Self.subject(name, path)): cannot follow the symbolic link (\(reason)); fix the link or choose another path"
    case let .commitFailed(name, path, reason, restored, notRestored):
      var text = "cannot replace \(Self.subject(name, path)) by the finished output (\(reason)); it keeps its old contents"
      if !restored.isEmpty { text += "; outputs already replaced were put back: \(restored.joined(separator: ", "))" }
      if !notRestored.isEmpty { text += "; outputs already replaced that could NOT be put back (they hold this run's output): \(notRestored.joined(separator: ", "))" }
      return text
    }
  }
}
