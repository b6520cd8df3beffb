import ChurnCore

/// A recursive-descent parser of rule conditions (see `RuleCondition`), with the character
/// position of every token for error messages.
///
/// ```
/// condition  := or
/// or         := and ("or" and)*
/// and        := not ("and" not)*
/// not        := "not" not | primary                       not binds tighter than and,
/// primary    := "(" or ")" | comparison                   and tighter than or
/// comparison := column ("<" | "<=" | ">" | ">=" | "==" | "!=") number
///             | number ("<" | "<=" | ">" | ">=" | "==" | "!=") column    (2 <= x is x >= 2)
///             | column ("==" | "!=") "level"                           (or 'level')
/// column     := a name of letters, digits, _ and . not starting with a digit, or `any name`
/// number     := [+-]digits[.digits][e[+-]digits], such as 2, -0.5, 3.5, .25, 1e3
/// ```
///
/// `and`, `or` and `not` are keywords in any case; a column with such a name, or with spaces or
/// other characters, is written in backticks. A level is quoted with " or ' and holds no such quote.
/// A condition has at most 100 nested parentheses and nots and at most 1000 comparisons.
public enum RuleParser {
  /// Parses `text`.
  ///
  /// - Throws: `RuleSyntaxError` at the first token that does not fit, with what was expected.
  public static func parse(_ text: String) throws -> RuleCondition {
    var parser = Parser(Array(text))
    let condition = try parser.or()
    if parser.token.kind != .end {
      throw parser.error(expected: "and, or or the end of the condition")
    }
    return condition
  }

  /// `name` as a condition writes it: bare when it is a plain name, else in backticks.
  static func quotedColumn(_ name: String) -> String {
    guard let first = name.first, first.isLetter || first == "_", name.allSatisfy(Lexer.isNameCharacter),
          !["and", "or", "not"].contains(name.lowercased())
    else { return "`" + name + "`" }
    return name
  }
}

/// A condition that does not parse: at 1-based character `position`, `found` (a token in
/// quotes, or "the end of the condition") where `expected` was expected.
public struct RuleSyntaxError: Error, Equatable, Sendable {
  public var position: Int
  public var found: String
  public var expected: String
}

enum TokenKind: Equatable {
  case name, quotedName, number, level, comparison, open, close, and, or, not, other, end
}

struct Token {
  var kind: TokenKind
  var text: String
  /// 1-based character position of the token's first character.
  var position: Int
  /// For an unterminated quote, the closing character it lacks.
  var unterminated: Character?
  /// The quote of a level (" or ').
  var quote: Character = "\""

  /// The token as an error message quotes it, its text cut to `MessageText.excerptLimit`.
  var described: String {
    let text = MessageText.excerpt(self.text)
    switch kind {
    case .end: return "the end of the condition"
    case .level: return unterminated == nil ? String(quote) + text + String(quote) : String(quote) + text
    case .quotedName: return unterminated == nil ? "`" + text + "`" : "`" + text
    default: return "\"" + text + "\""
    }
  }
}

struct Lexer {
  let characters: [Character]
  var index = 0

  static func isNameCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "." }

  init(_ characters: [Character]) { self.characters = characters }

  mutating func next() -> Token {
    while index < characters.count, characters[index].isWhitespace { index += 1 }
    guard index < characters.count else { return Token(kind: .end, text: "", position: characters.count + 1) }
    let start = index, c = characters[index]
    func token(_ kind: TokenKind, length: Int) -> Token {
      index = start + length
      return Token(kind: kind, text: String(characters[start..<index]), position: start + 1)
    }
    func at(_ i: Int) -> Character? { i < characters.count ? characters[i] : nil }
    switch c {
    case "(": return token(.open, length: 1)
    case ")": return token(.close, length: 1)
    case "\"", "'", "`":
      var end = start + 1
      while end < characters.count, characters[end] != c { end += 1 }
      let text = String(characters[(start + 1)..<end])
      index = min(end + 1, characters.count)
      return Token(kind: c == "`" ? .quotedName : .level, text: text, position: start + 1, unterminated: end < characters.count ? nil : c,
                   quote: c)
    case "<", ">", "=", "!":
      // <= >= == != and < >; a lone = or ! is no operator (the message quotes it).
      if at(start + 1) == "=" { return token(.comparison, length: 2) }
      return token(c == "<" || c == ">" ? .comparison : .other, length: 1)
    default: break
    }
    if c.isNumber || c == "." || ((c == "-" || c == "+") && (at(start + 1).map { $0.isNumber || $0 == "." } ?? false)) {
      var end = start + 1
      while let d = at(end), d.isNumber || d == "." { end += 1 }
      if let e = at(end), e == "e" || e == "E" {
        let sign = at(end + 1) == "-" || at(end + 1) == "+" ? 1 : 0
        if let d = at(end + 1 + sign), d.isNumber {
          end += 1 + sign
          while let d = at(end), d.isNumber { end += 1 }
        }
      }
      // A number runs into letters ("2d"): the whole run is one token, and not a number.
      if let d = at(end), Self.isNameCharacter(d) {
        while let d = at(end), Self.isNameCharacter(d) { end += 1 }
        return token(.other, length: end - start)
      }
      let t = token(.number, length: end - start)
      return Double(t.text) == nil ? Token(kind: .other, text: t.text, position: t.position) : t
    }
    if c.isLetter || c == "_" {
      var end = start + 1
      while let d = at(end), Self.isNameCharacter(d) { end += 1 }
      let t = token(.name, length: end - start)
      switch t.text.lowercased() {
      case "and": return Token(kind: .and, text: t.text, position: t.position)
      case "or": return Token(kind: .or, text: t.text, position: t.position)
      case "not": return Token(kind: .not, text: t.text, position: t.position)
      default: return t
      }
    }
    // Anything else (&&, ||, a stray sign): one token of the characters up to a space, a name
    // or a parenthesis, so that the message quotes it whole.
    var end = start + 1
    while let d = at(end), !d.isWhitespace, !Self.isNameCharacter(d), !"()\"'`".contains(d) { end += 1 }
    return token(.other, length: end - start)
  }
}

struct Parser {
  var lexer: Lexer
  var token: Token
  /// Parentheses and nots open around the current token, and comparisons so far: bounded so
  /// that a hostile condition cannot exhaust the stack of the recursive parser or evaluator.
  var depth = 0
  var comparisons = 0
  static let maximumDepth = 100
  static let maximumComparisons = 1000

  init(_ characters: [Character]) {
    lexer = Lexer(characters)
    token = lexer.next()
  }

  mutating func advance() { token = lexer.next() }

  func error(expected: String) -> RuleSyntaxError {
    if let closing = token.unterminated {
      return RuleSyntaxError(position: token.position, found: token.described, expected: "a closing \(closing)")
    }
    return RuleSyntaxError(position: token.position, found: token.described, expected: expected)
  }

  mutating func or() throws -> RuleCondition {
    var left = try and()
    while token.kind == .or {
      advance()
      left = .or(left, try and())
    }
    return left
  }

  mutating func and() throws -> RuleCondition {
    var left = try not()
    while token.kind == .and {
      advance()
      left = .and(left, try not())
    }
    return left
  }

  mutating func not() throws -> RuleCondition {
    if token.kind == .not {
      try deeper()
      advance()
      defer { depth -= 1 }
      return .not(try not())
    }
    return try primary()
  }

  /// One more level of parentheses or not, within `maximumDepth`.
  mutating func deeper() throws {
    depth += 1
    if depth > Self.maximumDepth { throw error(expected: "at most \(Self.maximumDepth) nested parentheses and nots") }
  }

  /// One more comparison, within `maximumComparisons`.
  mutating func compared() throws {
    comparisons += 1
    if comparisons > Self.maximumComparisons { throw error(expected: "at most \(Self.maximumComparisons) comparisons in a condition") }
  }

  mutating func primary() throws -> RuleCondition {
    switch token.kind {
    case .open:
      let open = token.position
      try deeper()
      advance()
      defer { depth -= 1 }
      let inner = try or()
      guard token.kind == .close else {
        throw error(expected: token.kind == .end ? "\")\" to close the \"(\" at character \(open)" : "and, or or \")\"")
      }
      advance()
      return inner
    case .name, .quotedName:
      if token.unterminated != nil { throw error(expected: "") }
      try compared()
      let column = token.text, position = token.position
      advance()
      guard token.kind == .comparison, let op = RuleComparison(rawValue: token.text) else {
        throw error(expected: "a comparison: <, <=, >, >=, == or !=")
      }
      advance()
      switch token.kind {
      case .number:
        let value = Double(token.text)!
        advance()
        return .compare(column: column, op: op, value: value, position: position)
      case .level where token.unterminated == nil && (op == .equal || op == .notEqual):
        let level = token.text
        advance()
        return .level(column: column, equal: op == .equal, level: level, position: position)
      default:
        throw error(expected: op == .equal || op == .notEqual ? "a number or a quoted level such as \"gold\" after \(op.rawValue)"
                                                                 : "a number after \(op.rawValue)")
      }
    case .number:
      // A number first: 2 <= x is x >= 2.
      try compared()
      let value = Double(token.text)!
      advance()
      guard token.kind == .comparison, let op = RuleComparison(rawValue: token.text) else {
        throw error(expected: "a comparison: <, <=, >, >=, == or !=")
      }
      advance()
      guard token.kind == .name || token.kind == .quotedName, token.unterminated == nil else {
        throw error(expected: "a column name after \(op.rawValue)")
      }
      let column = token.text, position = token.position
      advance()
      return .compare(column: column, op: op.mirrored, value: value, position: position)
    default:
      throw error(expected: "a column name, not or (")
    }
  }
}

extension RuleComparison {
  /// The operator with its sides swapped: `a < b` is `b > a`.
  var mirrored: RuleComparison {
    switch self {
    case .less: return .greater
    case .lessOrEqual: return .greaterOrEqual
    case .greater: return .less
    case .greaterOrEqual: return .lessOrEqual
    case .equal, .notEqual: return self
    }
  }
}
