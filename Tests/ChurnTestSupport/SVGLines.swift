import Foundation

/// The lines of a report's line chart (`SVGPlot.lines`), read back from its SVG in data units:
/// each `<polyline>` with the legend text that follows it, its points mapped back through the
/// axes. y is mapped by the two lowest labelled y ticks (percent labels such as `60%`, drawn 4
/// px below their tick), x by the plot's fixed frame (64 px to 540 px) over `xRange`.
public struct SVGLines {
  public var names: [String]
  public var points: [[(x: Double, y: Double)]]

  /// The lines of `svg` (one `<svg>…</svg>`), x spanning `xRange`.
  public init(svg: String, xRange: ClosedRange<Double>) throws {
    func matches(_ pattern: String) throws -> [[String]] {
      let regex = try NSRegularExpression(pattern: pattern)
      let ns = svg as NSString
      return regex.matches(in: svg, range: NSRange(location: 0, length: ns.length)).map { m in
        (1..<m.numberOfRanges).map { ns.substring(with: m.range(at: $0)) }
      }
    }
    // y ticks: <text x="58.0" y="Y" text-anchor="end">NN%</text>, at Y − 4.
    let ticks = try matches(#"<text x="58\.0" y="([0-9.]+)" text-anchor="end">([0-9.]+)%</text>"#)
      .map { (py: Double($0[0])! - 4, value: Double($0[1])! / 100) }
    guard ticks.count >= 2 else { throw CocoaError(.coderReadCorrupt, userInfo: [NSLocalizedDescriptionKey: "fewer than 2 y ticks: \(ticks)"]) }
    let (a, b) = (ticks[0], ticks[1])
    let perPixel = (b.value - a.value) / (b.py - a.py)
    let lines = try matches(#"<polyline points="([^"]*)""#).map { $0[0] }
    names = try matches(#"class="k">([^<]*)</text>"#).map { $0[0].replacingOccurrences(of: "&amp;", with: "&") }
    points = lines.map { line in
      line.split(separator: " ").map { pair in
        let xy = pair.split(separator: ",").map { Double($0)! }
        return (x: xRange.lowerBound + (xy[0] - 64) / (560 - 64 - 20) * (xRange.upperBound - xRange.lowerBound), y: a.value + (xy[1] - a.py) * perPixel)
      }
    }
  }

  /// The `k`-th `<svg>…</svg>` of the section `id` of a report page.
  public static func svg(_ html: String, section id: String, index k: Int) -> String? {
    guard let start = html.range(of: "<section id=\"\(id)\">"), let end = html[start.upperBound...].range(of: "</section>") else { return nil }
    let parts = html[start.upperBound..<end.lowerBound].components(separatedBy: "<svg ").dropFirst()
    guard k < parts.count else { return nil }
    return "<svg " + parts[parts.index(parts.startIndex, offsetBy: k)].components(separatedBy: "</svg>")[0] + "</svg>"
  }
}
