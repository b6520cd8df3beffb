import Foundation

/// Small self-contained SVG charts for the HTML report: axes with ticks, labels and units,
/// no scripts, no fonts or styles from elsewhere.
enum SVGPlot {
  static let width = 560.0, height = 340.0
  static let left = 64.0, right = 20.0, top = 30.0, bottom = 52.0
  static let colors = ["#1f5aa6", "#d0582a", "#2e8b57", "#8a2be2", "#b8860b"]

  static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }

  static func f(_ x: Double) -> String { String(format: "%.1f", x) }

  /// A number for an axis tick.
  static func tick(_ x: Double, percent: Bool) -> String {
    // A tick computed as lo + k·step can land a rounding error off zero: label it 0, not -0.00.
    let x = abs(x) < 1e-12 ? 0 : x
    if percent { return String(format: abs(x) < 0.1 && x != 0 ? "%.1f%%" : "%.0f%%", 100 * x) }
    if x == x.rounded() && abs(x) < 1e6 { return String(Int(x)) }
    return String(format: abs(x) < 1 ? "%.2f" : "%.1f", x)
  }

  /// About five round tick values covering [lo, hi].
  static func ticks(_ lo: Double, _ hi: Double) -> [Double] {
    guard hi > lo else { return [lo] }
    let raw = (hi - lo) / 5
    let magnitude = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
    var out: [Double] = []
    var v = (lo / step).rounded(.up) * step
    while v <= hi + step * 1e-9 {
      out.append(abs(v) < step * 1e-9 ? 0 : v)
      v += step
    }
    return out
  }

  struct Axes {
    var xRange: ClosedRange<Double>
    var yRange: ClosedRange<Double>
    var xLabel: String
    var yLabel: String
    var xPercent = false
    var yPercent = false
    /// Tick positions on x, when the automatic round values do not fit (deciles 1...10).
    var xTicks: [Double]?

    func x(_ v: Double) -> Double { left + (v - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * (width - left - right) }
    func y(_ v: Double) -> Double { height - bottom - (v - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * (height - top - bottom) }
  }

  /// The frame, grid, ticks and axis labels.
  static func frame(_ a: Axes, title: String) -> String {
    var s = "<svg class=\"plot\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">"
    s += "<title>\(escape(title))</title>"
    s += "<text x=\"\(f(width / 2))\" y=\"18\" text-anchor=\"middle\" class=\"t\">\(escape(title))</text>"
    for v in a.xTicks ?? ticks(a.xRange.lowerBound, a.xRange.upperBound) {
      s += "<line x1=\"\(f(a.x(v)))\" y1=\"\(f(top))\" x2=\"\(f(a.x(v)))\" y2=\"\(f(height - bottom))\" class=\"g\"/>"
      s += "<text x=\"\(f(a.x(v)))\" y=\"\(f(height - bottom + 16))\" text-anchor=\"middle\">\(tick(v, percent: a.xPercent))</text>"
    }
    for v in ticks(a.yRange.lowerBound, a.yRange.upperBound) {
      s += "<line x1=\"\(f(left))\" y1=\"\(f(a.y(v)))\" x2=\"\(f(width - right))\" y2=\"\(f(a.y(v)))\" class=\"g\"/>"
      s += "<text x=\"\(f(left - 6))\" y=\"\(f(a.y(v) + 4))\" text-anchor=\"end\">\(tick(v, percent: a.yPercent))</text>"
    }
    s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(width - left - right))\" height=\"\(f(height - top - bottom))\" class=\"box\"/>"
    s += "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\" class=\"l\">\(escape(a.xLabel))</text>"
    s += "<text transform=\"translate(16 \(f((top + height - bottom) / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"l\">\(escape(a.yLabel))</text>"
    return s
  }

  struct Series {
    var name: String
    var points: [(Double, Double)]
    var dots = false
    var dashed = false
    /// The line's colour; nil: the palette's, by the series' place.
    var color: String? = nil
  }

  /// Lines through points, a legend line per series (top left, or bottom left with `legendBelow`
  /// for curves that start at the top left, such as survival curves).
  static func lines(_ a: Axes, title: String, series: [Series], diagonal: Bool = false, legendBelow: Bool = false) -> String {
    var s = frame(a, title: title)
    if diagonal {
      s += "<line x1=\"\(f(a.x(a.xRange.lowerBound)))\" y1=\"\(f(a.y(a.yRange.lowerBound)))\" x2=\"\(f(a.x(a.xRange.upperBound)))\" y2=\"\(f(a.y(a.yRange.upperBound)))\" class=\"ref\"/>"
    }
    let lineCount = series.count
    for (k, series) in series.enumerated() {
      let color = series.color ?? colors[k % colors.count]
      let path = series.points.map { "\(f(a.x($0.0))),\(f(a.y($0.1)))" }.joined(separator: " ")
      s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(series.dashed ? " stroke-dasharray=\"5 4\"" : "")/>"
      if series.dots {
        for p in series.points { s += "<circle cx=\"\(f(a.x(p.0)))\" cy=\"\(f(a.y(p.1)))\" r=\"3.5\" fill=\"\(color)\"/>" }
      }
      // The legend's line k, from the top, or from the bottom up to the last series.
      let line = legendBelow ? height - bottom - 14 - 16 * Double(lineCount - 1 - k) : top + 8 + 16 * Double(k)
      s += "<rect x=\"\(f(left + 10))\" y=\"\(f(line))\" width=\"12\" height=\"3\" fill=\"\(color)\"/>"
      s += "<text x=\"\(f(left + 27))\" y=\"\(f(line + 5))\" class=\"k\">\(escape(series.name))</text>"
    }
    return s + "</svg>"
  }

  /// Vertical bars at x positions (bins) with optional labels above them.
  static func bars(_ a: Axes, title: String, bars: [(x: Double, width: Double, height: Double, label: String?)], color: String = "#1f5aa6",
                   markers: [(x: Double, label: String)] = []) -> String {
    var s = frame(a, title: title)
    for b in bars {
      let x0 = a.x(b.x - b.width / 2), x1 = a.x(b.x + b.width / 2)
      s += "<rect x=\"\(f(x0))\" y=\"\(f(a.y(b.height)))\" width=\"\(f(max(0.5, x1 - x0 - 1)))\" height=\"\(f(max(0, a.y(a.yRange.lowerBound) - a.y(b.height))))\" fill=\"\(color)\"/>"
      if let label = b.label {
        s += "<text x=\"\(f((x0 + x1) / 2))\" y=\"\(f(a.y(b.height) - 4))\" text-anchor=\"middle\" class=\"k\">\(escape(label))</text>"
      }
    }
    for (k, m) in markers.enumerated() {
      s += "<line x1=\"\(f(a.x(m.x)))\" y1=\"\(f(top))\" x2=\"\(f(a.x(m.x)))\" y2=\"\(f(height - bottom))\" class=\"mark\"/>"
      // Labels stepped down one line each, so close cut points do not overprint.
      s += "<text x=\"\(f(a.x(m.x) + 4))\" y=\"\(f(top + 14 + 15 * Double(k)))\" class=\"k\">\(escape(m.label))</text>"
    }
    return s + "</svg>"
  }

  /// Horizontal bars, one per row, with an optional interval whisker and the value printed.
  static func horizontal(title: String, xLabel: String, rows: [(label: String, value: Double, lower: Double?, upper: Double?, text: String)],
                         reference: Double = 0, xPercent: Bool = false) -> String {
    let labelWidth = 210.0
    let rowHeight = 22.0
    let h = top + bottom + rowHeight * Double(max(rows.count, 1))
    let values = rows.flatMap { [$0.value, $0.lower ?? $0.value, $0.upper ?? $0.value] } + [reference]
    var lo = values.min() ?? 0, hi = values.max() ?? 1
    if hi == lo { hi = lo + 1 }
    let pad = (hi - lo) * 0.08
    lo -= lo < reference ? pad : 0
    hi += pad
    let plotLeft = labelWidth, plotRight = width - right - 70
    func x(_ v: Double) -> Double { plotLeft + (v - lo) / (hi - lo) * (plotRight - plotLeft) }
    var s = "<svg class=\"plot\" width=\"\(Int(width))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(width)) \(Int(h))\" role=\"img\" aria-label=\"\(escape(title))\">"
    s += "<title>\(escape(title))</title><text x=\"\(f(width / 2))\" y=\"18\" text-anchor=\"middle\" class=\"t\">\(escape(title))</text>"
    for v in ticks(lo, hi) {
      s += "<line x1=\"\(f(x(v)))\" y1=\"\(f(top))\" x2=\"\(f(x(v)))\" y2=\"\(f(h - bottom))\" class=\"g\"/>"
      s += "<text x=\"\(f(x(v)))\" y=\"\(f(h - bottom + 16))\" text-anchor=\"middle\">\(tick(v, percent: xPercent))</text>"
    }
    s += "<line x1=\"\(f(x(reference)))\" y1=\"\(f(top))\" x2=\"\(f(x(reference)))\" y2=\"\(f(h - bottom))\" class=\"ref\"/>"
    for (k, r) in rows.enumerated() {
      let yMid = top + rowHeight * (Double(k) + 0.5)
      let label = r.label.count > 32 ? String(r.label.prefix(31)) + "…" : r.label
      s += "<text x=\"\(f(plotLeft - 6))\" y=\"\(f(yMid + 4))\" text-anchor=\"end\">\(escape(label))</text>"
      let x0 = min(x(reference), x(r.value)), x1 = max(x(reference), x(r.value))
      s += "<rect x=\"\(f(x0))\" y=\"\(f(yMid - 7))\" width=\"\(f(max(1, x1 - x0)))\" height=\"14\" fill=\"\(r.value >= reference ? "#d0582a" : "#1f5aa6")\"/>"
      if let lower = r.lower, let upper = r.upper {
        s += "<line x1=\"\(f(x(lower)))\" y1=\"\(f(yMid))\" x2=\"\(f(x(upper)))\" y2=\"\(f(yMid))\" class=\"err\"/>"
        s += "<line x1=\"\(f(x(lower)))\" y1=\"\(f(yMid - 5))\" x2=\"\(f(x(lower)))\" y2=\"\(f(yMid + 5))\" class=\"err\"/>"
        s += "<line x1=\"\(f(x(upper)))\" y1=\"\(f(yMid - 5))\" x2=\"\(f(x(upper)))\" y2=\"\(f(yMid + 5))\" class=\"err\"/>"
      }
      s += "<text x=\"\(f(plotRight + 6))\" y=\"\(f(yMid + 4))\" class=\"k\">\(escape(r.text))</text>"
    }
    s += "<text x=\"\(f((plotLeft + plotRight) / 2))\" y=\"\(f(h - 12))\" text-anchor=\"middle\" class=\"l\">\(escape(xLabel))</text>"
    return s + "</svg>"
  }
}
