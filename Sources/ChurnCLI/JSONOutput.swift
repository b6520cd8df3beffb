import Foundation

/// How the CLI writes JSON: pretty-printed, keys sorted (stable diffs), NaN and infinities as
/// the strings "nan", "inf" and "-inf" (JSON has no numbers for them).
enum JSONOutput {
  static func text(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }
}
