import ChurnScoring
import Testing

@Suite("SVG charts for pages outside the report")
struct SVGChartsTests {
  static let ticks = (0..<4).map { (x: Double($0), label: "2025-0\($0 + 1)") }

  func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

  @Test("A NaN value breaks a trend line in two; each stretch of two or more banded points gets its band; every label once")
  func trend() {
    let points = [SVGCharts.Point(x: 0, value: 0.1, lower: 0.05, upper: 0.2), SVGCharts.Point(x: 1, value: 0.12, lower: 0.06, upper: 0.2),
                  SVGCharts.Point(x: 2, value: .nan), SVGCharts.Point(x: 3, value: 0.3, lower: 0.2, upper: 0.4)]
    let svg = SVGCharts.trend(title: "T <1>", xLabel: "x", yLabel: "y", xTicks: Self.ticks, series: [SVGCharts.Series(name: "a & b", points: points)],
                              yPercent: true)
    #expect(count("<polyline", in: svg) == 2)
    #expect(count("<polygon", in: svg) == 1)  // the lone last point gets a bar, not a band
    #expect(count("<circle", in: svg) == 3)
    #expect(svg.contains("T &lt;1&gt;") && svg.contains("a &amp; b"))
    for t in Self.ticks { #expect(count(">\(t.label)</text>", in: svg) == 1) }
  }

  @Test("Small multiples: one panel per series, the reference dashed in each, first and last x labels inside the panel")
  func panels() {
    let series = (0..<5).map { k in
      SVGCharts.Series(name: "level \(k)", points: Self.ticks.map { SVGCharts.Point(x: $0.x, value: 0.01 * Double(k), lower: 0, upper: 0.9) })
    }
    let reference = SVGCharts.Series(name: "all", points: Self.ticks.map { SVGCharts.Point(x: $0.x, value: 0.02) }, band: false)
    let svg = SVGCharts.panels(title: "P", xTicks: Self.ticks, panels: series, reference: reference, yPercent: true)
    #expect(count("stroke-dasharray=\"4 3\"", in: svg) == 5)
    #expect(count("fill-opacity=\"0.15\"", in: svg) == 5)
    // Five panels, four to a row: two rows of 168 px under a 26 px title, 4 × 280 px wide.
    #expect(svg.hasPrefix("<svg class=\"plot\" width=\"1120\" height=\"362\""))
    // The scale stops at 1.6 × the highest rate (4%): 6.4%, so no 90% tick from the bands.
    #expect(!svg.contains(">90%<") && svg.contains(">6.0%<"))
    #expect(count("text-anchor=\"start\">2025-01<", in: svg) == 5 && count("text-anchor=\"end\">2025-04<", in: svg) == 5)
  }
}
