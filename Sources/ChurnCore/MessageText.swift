/// Values echoed in error messages: short, on one line, and printable.
///
/// A message quotes what it found so that the user can search the file for it, but a
/// megabyte-long field or a run of binary bytes would bury the message itself. Every value an
/// error message echoes goes through `excerpt(_:)`.
public enum MessageText {
  /// The longest value echoed whole, in characters; longer ones are cut and end in "…".
  public static let excerptLimit = 40

  /// `text` with control characters escaped (`\n`, `\r`, `\t`, `\0`, `\u{1B}`) and cut to
  /// `excerptLimit` characters plus "…".
  ///
  /// ```
  /// excerpt("a\tb")                        a\tb
  /// excerpt(String(repeating: "x", 100))   xxxx…xxxx (40 x's) + "…"
  /// ```
  public static func excerpt(_ text: String, limit: Int = excerptLimit) -> String {
    var out = ""
    var count = 0
    for scalar in text.unicodeScalars {
      if count == limit { return out + "…" }
      count += 1
      switch scalar {
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "\0": out += "\\0"
      case "\"": out += "\\\""
      default:
        if scalar.value < 0x20 || scalar.value == 0x7F || (scalar.value >= 0x80 && scalar.value < 0xA0) {
          out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
  }

  /// Names joined by ", ", each an excerpt, at most `limit` of them and then "… (N columns)".
  public static func list(_ names: [String], limit: Int = 20) -> String {
    let shown = names.prefix(limit).map { excerpt($0) }.joined(separator: ", ")
    return names.count > limit ? shown + ", … (\(names.count) columns)" : shown
  }

  /// The name in `candidates` closest to `name` (case-insensitive Levenshtein distance), when
  /// the distance is at most 1 for names of up to 3 characters, else at most a third of the
  /// name's length (at least 2, at most 3): the "did you mean" of a misspelled column name.
  public static func nearest(_ name: String, in candidates: [String]) -> String? {
    let target = Array(name.lowercased().unicodeScalars)
    let bound = typoBound(target.count)
    var best: (name: String, distance: Int)?
    for candidate in candidates {
      let d = distance(target, Array(candidate.lowercased().unicodeScalars))
      if d <= bound, d < best?.distance ?? .max { best = (candidate, d) }
    }
    return best?.name
  }

  /// The edit distance a misspelling of a name of `length` characters may be from the name.
  static func typoBound(_ length: Int) -> Int { length <= 3 ? 1 : min(3, max(2, length / 3)) }

  /// Up to `limit` names of `candidates` near `name`: those within the edit distance
  /// `nearest(_:in:)` allows (nearest first), then those sharing a word of 3
  /// letters or more with it (words split at `_`, without digits, a plural's s dropped), so that
  /// `complaints_90d` finds `count_complaint_90d` (most words shared first, then the nearest;
  /// ties in candidate order): a misspelled column's alternatives.
  public static func near(_ name: String, in candidates: [String], limit: Int = 5) -> [String] {
    let target = Array(name.lowercased().unicodeScalars)
    let bound = typoBound(target.count)
    func words(_ s: String) -> Set<String> {
      Set(s.lowercased().split(separator: "_").map { $0.count > 3 && $0.hasSuffix("s") ? String($0.dropLast()) : String($0) }.filter { $0.count >= 3 && !$0.contains(where: \.isNumber) })
    }
    let wanted = words(name)
    var scored: [(distance: Int, shared: Int, index: Int)] = []
    for (i, candidate) in candidates.enumerated() {
      let d = distance(target, Array(candidate.lowercased().unicodeScalars))
      let shared = words(candidate).intersection(wanted).count
      if d <= bound || shared > 0 { scored.append((d, shared, i)) }
    }
    // Within the bound by distance; beyond it by words shared, then distance.
    func key(_ s: (distance: Int, shared: Int, index: Int)) -> (Int, Int, Int, Int) {
      s.distance <= bound ? (0, s.distance, 0, s.index) : (1, -s.shared, s.distance, s.index)
    }
    scored.sort { key($0) < key($1) }
    return scored.prefix(limit).map { candidates[$0.index] }
  }

  /// Levenshtein distance (insertions, deletions, substitutions each cost 1).
  static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      swap(&previous, &current)
    }
    return previous[b.count]
  }
}
