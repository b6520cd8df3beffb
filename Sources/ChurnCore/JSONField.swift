import Foundation

/// Says which field of a JSON file is wrong, what was expected there and what the file holds,
/// for a `DecodingError` (whose own text names Swift types and coding keys).
public enum JSONField {
  /// A JSON value, to say what a field holds.
  public enum Value: Decodable, Sendable, CustomStringConvertible {
    case null, bool(Bool), number(Double), string(String), array(Int), object

    public init(from decoder: Decoder) throws {
      let c = try decoder.singleValueContainer()
      if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let n = try? c.decode(Double.self) {
        self = .number(n)
      } else if let s = try? c.decode(String.self) { self = .string(s) } else if let a = try? c.decode([Value].self) {
        self = .array(a.count)
      } else { self = .object }
    }

    /// Found any JSON value: "the string \"nan\"", "the number 5", "null", "a list of 3 items", ...
    init(any value: Any?) {
      switch value {
      case nil, is NSNull: self = .null
      case let s as String: self = .string(s)
      case let a as [Any]: self = .array(a.count)
      case is [String: Any]: self = .object
      case let n as NSNumber:
        if String(cString: n.objCType) == "c" || type(of: value!) == Bool.self { self = .bool(n.boolValue) } else { self = .number(n.doubleValue) }
      default: self = .object
      }
    }

    public var description: String {
      switch self {
      case .null: return "null"
      case .bool(let b): return "\(b)"
      case .number(let n): return "the number " + (n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : "\(n)")
      case .string(let s): return "the string \"" + (s.count > 40 ? s.prefix(40) + "…" : s) + "\""
      case .array(let n): return "a list of \(n) item\(n == 1 ? "" : "s")"
      case .object: return "an object"
      }
    }
  }

  /// `logistic.coefficients[3]` for a coding path.
  public static func name(_ path: [CodingKey]) -> String {
    var out = ""
    for key in path {
      if let i = key.intValue, key.stringValue.hasPrefix("Index") || key.stringValue == "\(i)" { out += "[\(i)]" } else {
        out += (out.isEmpty ? "" : ".") + key.stringValue
      }
    }
    return out.isEmpty ? "(the whole file)" : out
  }

  /// A `DecodingError` as the field, what was expected and what the file holds there (read
  /// from `data` itself); nil when the data is not JSON at all.
  public static func describe(_ error: DecodingError, data: Data) -> (name: String, expected: String, found: String)? {
    func found(_ codingPath: [CodingKey]) -> String {
      var node: Any? = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
      for key in codingPath {
        if let i = key.intValue, let list = node as? [Any] { node = i < list.count ? list[i] : nil } else if let object = node as? [String: Any] {
          guard let next = object[key.stringValue] else { return "nothing (the field is missing)" }
          node = next
        } else { return "nothing (the field is missing)" }
      }
      return Value(any: node).description
    }
    func expected(_ type: Any.Type) -> String {
      switch type {
      case is Double.Type, is Float.Type: return "a finite number"
      case is Int.Type, is Int32.Type, is UInt64.Type, is Int64.Type: return "a whole number"
      case is String.Type: return "text in quotes"
      case is Bool.Type: return "true or false"
      default:
        let name = "\(type)"
        if name.hasPrefix("Array") { return "a list" }
        if name.hasPrefix("Dictionary") { return "an object" }
        if name.hasPrefix("Optional") { return expected(type) }
        return "a \(name) value"
      }
    }
    switch error {
    case .typeMismatch(let type, let context):
      return (name(context.codingPath), expected(type), found(context.codingPath))
    case .valueNotFound(let type, let context):
      return (name(context.codingPath), expected(type), found(context.codingPath))
    case .keyNotFound(let key, let context):
      return (name(context.codingPath + [key]), "a value (the field is required)", "nothing (the field is missing)")
    case .dataCorrupted(let context):
      if context.codingPath.isEmpty { return nil }
      let detail = context.debugDescription
      let expected = detail.hasPrefix("Cannot initialize") ? "one of the values this churn knows" : detail
      return (name(context.codingPath), expected, found(context.codingPath))
    @unknown default:
      return ("(unknown)", "a valid file", "\(error)")
    }
  }

}
