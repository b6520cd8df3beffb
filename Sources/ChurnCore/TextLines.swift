import Foundation

/// A small text file read whole, as its non-blank lines: a list of ids (`--holdout-ids`), a
/// rules file (`--groups`).
///
/// A UTF-8 byte order mark is dropped, `\r\n` and `\n` both end a line, and each line is trimmed
/// of spaces and tabs; blank lines are skipped but keep their place in the line numbering, so an
/// error can name the line a user sees in an editor.
public struct TextLines: Sendable {
  /// One non-blank line: its 1-based number in the file and its trimmed text.
  public struct Line: Sendable, Equatable {
    public let number: Int
    public let text: String
  }

  public let path: String
  public let lines: [Line]

  /// Reads `path` whole.
  ///
  /// - Throws: `FileError` when the path is missing, a directory or unreadable;
  ///   `TextFileError.notUTF8` naming the first line that is not valid UTF-8.
  public init(path: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw FileError(path: path, action: "read", reason: "No such file or directory")
    }
    guard !isDirectory.boolValue else { throw FileError(path: path, action: "read", reason: "Is a directory") }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw FileError(path: path, action: "read", reason: "Permission denied")
    }
    try self.init(bytes: [UInt8](data), path: path)
  }

  /// The lines of `text`, split and trimmed as a file's are; `name` stands for the path in errors.
  public init(text: String, name: String) {
    // A Swift string is valid UTF-8, so `notUTF8` cannot happen.
    self = try! TextLines(bytes: Array(text.utf8), path: name)
  }

  private init(bytes given: [UInt8], path: String) throws {
    self.path = path
    var bytes = given
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
    var lines: [Line] = []
    var number = 0
    for raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
      number += 1
      guard let text = String(validating: raw, as: UTF8.self) else { throw TextFileError.notUTF8(path: path, line: number) }
      let trimmed = text.trimmingCharacters(in: CharacterSet(charactersIn: " \t\r"))
      if !trimmed.isEmpty { lines.append(Line(number: number, text: trimmed)) }
    }
    self.lines = lines
  }

  /// The comma-separated fields of `line`, each trimmed of spaces; a field in double quotes may
  /// hold commas, and `""` inside it is one quote. `nil` when a quote is never closed.
  public static func fields(of line: String) -> [String]? {
    var fields: [String] = []
    var field = ""
    var quoted = false, wasQuoted = false
    var characters = Array(line)[...]
    while let c = characters.popFirst() {
      if quoted {
        if c == "\"" {
          if characters.first == "\"" { field.append("\""); characters.removeFirst() } else { quoted = false }
        } else {
          field.append(c)
        }
      } else if c == "\"" && field.allSatisfy({ $0 == " " }) && !wasQuoted {
        field = ""
        quoted = true
        wasQuoted = true
      } else if c == "," {
        fields.append(wasQuoted ? field : field.trimmingCharacters(in: .whitespaces))
        field = ""
        wasQuoted = false
      } else if !(wasQuoted && c == " ") {
        field.append(c)
      }
    }
    guard !quoted else { return nil }
    fields.append(wasQuoted ? field : field.trimmingCharacters(in: .whitespaces))
    return fields
  }
}

/// A text file whose bytes are not what was expected.
public enum TextFileError: Error, Equatable, CustomStringConvertible {
  case notUTF8(path: String, line: Int)

  public var description: String {
    switch self {
    case .notUTF8(let path, let line):
      return "\(path) line \(line): the text is not valid UTF-8; expected a UTF-8 text file; fix: save the file as UTF-8 (\"CSV UTF-8\" in a spreadsheet)"
    }
  }
}
