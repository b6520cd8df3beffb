import Foundation

/// Helpers for the plain-text tables churn renders (fixed-width columns, cut names, percents)
/// and its JSON outputs: the library's `text` renderings and the CLI use the same ones.
public enum TextTable {
  /// `s` padded with spaces to `width` characters (on the left when `right`); a text as wide or
  /// wider keeps one space before (right) or after it, so columns never run together.
  public static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let count = s.count
    guard count < width else { return right ? " " + s : s + " " }
    let padding = String(repeating: " ", count: width - count)
    return right ? padding + s : s + padding
  }

  /// `s` cut to `width` characters, its last one an ellipsis when it was longer.
  public static func cut(_ s: String, _ width: Int) -> String {
    s.count > width ? String(s.prefix(width - 1)) + "…" : s
  }

  /// How churn's JSON outputs are written: pretty-printed, keys sorted (stable diffs), NaN and
  /// infinities as the strings "nan", "inf" and "-inf" (JSON has no numbers for them).
  public static func json(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }

  /// "12.3%".
  public static func percent(_ fraction: Double) -> String { String(format: "%.1f%%", fraction * 100) }
}
