import Foundation

/// The report's self-contained SVG charts for pages built outside this module (the monthly
/// analysis): the same axes, colours and classes as `HTMLReport`'s, no scripts, no fonts or
/// styles from elsewhere. A page that shows them carries `SVGCharts.style` in its `<style>`.
public enum SVGCharts {
  /// One point of a trend: a value with its interval (NaN bounds for none).
  public struct Point: Sendable, Equatable {
    public var x: Double
    public var value: Double
    public var lower: Double
    public var upper: Double

    public init(x: Double, value: Double, lower: Double = .nan, upper: Double = .nan) {
      self.x = x
      self.value = value
      self.lower = lower
      self.upper = upper
    }
  }

  /// A named line through points; its interval drawn as a shaded band when `band`.
  public struct Series: Sendable, Equatable {
    public var name: String
    public var points: [Point]
    public var band: Bool
    public var dashed: Bool

    public init(name: String, points: [Point], band: Bool = true, dashed: Bool = false) {
      self.name = name
      self.points = points
      self.band = band
      self.dashed = dashed
    }
  }

  /// Ten colours, the report's five first; lines past ten reuse them.
  static let palette = SVGPlot.colors + ["#c71585", "#008b8b", "#6b8e23", "#cd5c5c", "#4b0082"]

  /// The CSS rules the charts' classes need.
  public static let style = """
    svg.plot { font-size: 11px; } svg text { fill: #333; } svg .t { font-size: 13px; font-weight: bold; } svg .l { font-size: 12px; }
    svg .k { font-size: 11px; } svg .g { stroke: #e4e4e4; } svg .box { fill: none; stroke: #888; }
    svg .ref { stroke: #999; stroke-dasharray: 4 4; } svg .mark { stroke: #c00; stroke-width: 1.5; } svg .err { stroke: #222; stroke-width: 1.2; }
    """

  /// `text` with `&`, `<`, `>` and `"` escaped for HTML and XML.
  public static func escape(_ text: String) -> String { SVGPlot.escape(text) }

  /// Lines over labelled x positions (cutoffs, months), each with its interval as a shaded band
  /// (15% opacity) and a dot per point. A point whose value is NaN breaks its line there.
  ///
  /// - Parameters:
  ///   - xTicks: tick positions and their labels (dates); the x range spans them with half a
  ///     step of margin.
  ///   - yRange: the y range (nil: from 0, or the lowest value when negative, to the highest
  ///     upper bound plus 10%).
  public static func trend(title: String, xLabel: String, yLabel: String, xTicks: [(x: Double, label: String)], series: [Series],
                           yPercent: Bool = false, yRange: ClosedRange<Double>? = nil) -> String {
    let xs = xTicks.map(\.x) + series.flatMap { $0.points.map(\.x) }
    var lo = xs.min() ?? 0, hi = xs.max() ?? 1
    let margin = xTicks.count > 1 ? (hi - lo) / Double(xTicks.count - 1) / 2 : 1
    lo -= margin
    hi += margin
    let ys = series.flatMap { s in s.points.flatMap { s.band ? [$0.value, $0.lower, $0.upper] : [$0.value] } }.filter(\.isFinite)
    let range: ClosedRange<Double>
    if let yRange {
      range = yRange
    } else {
      let top = ys.max() ?? 1, bottom = min(0, ys.min() ?? 0)
      let span = top - bottom
      // Room above the data for the legend, a line per series.
      let room = span * (0.1 + 0.07 * Double(series.count))
      range = bottom...(span > 0 ? (yPercent ? max(top, min(1, top + room)) : top + room) : bottom + 1)
    }
    let axes = SVGPlot.Axes(xRange: lo...hi, yRange: range, xLabel: xLabel, yLabel: yLabel, yPercent: yPercent, xTicks: [])
    var s = SVGPlot.frame(axes, title: title)
    // Thin the labels so they do not run into each other (about 6.5 px a character, 14 px apart).
    let widest = Double(xTicks.map(\.label.count).max() ?? 1) * 6.5 + 14
    let fit = max(1, Int((SVGPlot.width - SVGPlot.left - SVGPlot.right) / widest))
    let every = max(1, Int((Double(xTicks.count) / Double(fit)).rounded(.up)))
    for (k, t) in xTicks.enumerated() {
      s += "<line x1=\"\(SVGPlot.f(axes.x(t.x)))\" y1=\"\(SVGPlot.f(SVGPlot.top))\" x2=\"\(SVGPlot.f(axes.x(t.x)))\" "
        + "y2=\"\(SVGPlot.f(SVGPlot.height - SVGPlot.bottom))\" class=\"g\"/>"
      if k % every == 0 {
        s += "<text x=\"\(SVGPlot.f(axes.x(t.x)))\" y=\"\(SVGPlot.f(SVGPlot.height - SVGPlot.bottom + 16))\" text-anchor=\"middle\">"
          + "\(escape(t.label))</text>"
      }
    }
    func clamp(_ v: Double) -> Double { min(max(v, range.lowerBound), range.upperBound) }
    for (k, line) in series.enumerated() {
      let color = palette[k % palette.count]
      for run in runs(line.points) {
        if line.band {
          let banded = run.filter { $0.lower.isFinite && $0.upper.isFinite }
          if banded.count > 1 {
            let upper = banded.map { "\(SVGPlot.f(axes.x($0.x))),\(SVGPlot.f(axes.y(clamp($0.upper))))" }
            let lower = banded.reversed().map { "\(SVGPlot.f(axes.x($0.x))),\(SVGPlot.f(axes.y(clamp($0.lower))))" }
            s += "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"0.15\" stroke=\"none\"/>"
          } else if let p = banded.first {
            s += "<line x1=\"\(SVGPlot.f(axes.x(p.x)))\" y1=\"\(SVGPlot.f(axes.y(clamp(p.lower))))\" x2=\"\(SVGPlot.f(axes.x(p.x)))\" "
              + "y2=\"\(SVGPlot.f(axes.y(clamp(p.upper))))\" stroke=\"\(color)\" stroke-opacity=\"0.4\" stroke-width=\"6\"/>"
          }
        }
        let path = run.map { "\(SVGPlot.f(axes.x($0.x))),\(SVGPlot.f(axes.y(clamp($0.value))))" }.joined(separator: " ")
        s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(line.dashed ? " stroke-dasharray=\"5 4\"" : "")/>"
        for p in run { s += "<circle cx=\"\(SVGPlot.f(axes.x(p.x)))\" cy=\"\(SVGPlot.f(axes.y(clamp(p.value))))\" r=\"3\" fill=\"\(color)\"/>" }
      }
      s += "<rect x=\"\(SVGPlot.f(SVGPlot.left + 10))\" y=\"\(SVGPlot.f(SVGPlot.top + 8 + 16 * Double(k)))\" width=\"12\" height=\"3\" fill=\"\(color)\"/>"
      s += "<text x=\"\(SVGPlot.f(SVGPlot.left + 27))\" y=\"\(SVGPlot.f(SVGPlot.top + 13 + 16 * Double(k)))\" class=\"k\">\(escape(line.name))</text>"
    }
    return s + "</svg>"
  }

  /// Small multiples: one small chart per series in a grid (four to a row) on one shared y
  /// scale, each with its band (the interval, 15% opacity), line and dots, and `reference`
  /// (such as the rate of all rows) as a dashed grey line in every panel, so the levels of an
  /// attribute can be compared without their bands hiding each other.
  ///
  /// - Parameters:
  ///   - xTicks: tick positions and labels; the first, middle and last are labelled.
  ///   - panels: one per panel, its name the panel's title.
  public static func panels(title: String, xTicks: [(x: Double, label: String)], panels: [Series], reference: Series? = nil,
                            yPercent: Bool = false) -> String {
    let columns = max(1, min(4, panels.count)), rowCount = (panels.count + columns - 1) / columns
    let panelWidth = 280.0, panelHeight = 168.0, head = 26.0
    let inner = (left: 46.0, right: 10.0, top: 22.0, bottom: 24.0)
    let width = Double(columns) * panelWidth, height = head + Double(rowCount) * panelHeight
    let xs = xTicks.map(\.x) + panels.flatMap { $0.points.map(\.x) }
    var lo = xs.min() ?? 0, hi = xs.max() ?? 1
    let margin = xTicks.count > 1 ? (hi - lo) / Double(xTicks.count - 1) / 2 : 1
    lo -= margin
    hi += margin
    let ys = (panels + (reference.map { [$0] } ?? [])).flatMap { s in s.points.flatMap { s.band ? [$0.value, $0.lower, $0.upper] : [$0.value] } }
      .filter(\.isFinite)
    let bottom = min(0, ys.min() ?? 0)
    // Up to the highest bound, but no higher than 1.6 times the highest value: a small level's
    // wide band then runs off the top (clipped) instead of flattening every line.
    let values = (panels + (reference.map { [$0] } ?? [])).flatMap { $0.points.map(\.value) }.filter(\.isFinite)
    var top = max(ys.max() ?? 1, bottom + 1e-9)
    if let highest = values.max(), highest > bottom { top = min(top, bottom + (highest - bottom) * 1.6) }
    top = yPercent ? max(top, min(1, top + (top - bottom) * 0.05)) : top + (top - bottom) * 0.05
    var s = "<svg class=\"plot\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" "
      + "aria-label=\"\(escape(title))\"><title>\(escape(title))</title>"
    s += "<text x=\"\(SVGPlot.f(width / 2))\" y=\"17\" text-anchor=\"middle\" class=\"t\">\(escape(title))</text>"
    let labelled = Set([0, xTicks.count / 2, xTicks.count - 1])
    for (k, panel) in panels.enumerated() {
      let ox = Double(k % columns) * panelWidth, oy = head + Double(k / columns) * panelHeight
      let x0 = ox + inner.left, x1 = ox + panelWidth - inner.right, y0 = oy + inner.top, y1 = oy + panelHeight - inner.bottom
      func x(_ v: Double) -> Double { x0 + (v - lo) / (hi - lo) * (x1 - x0) }
      func y(_ v: Double) -> Double { y1 - (min(max(v, bottom), top) - bottom) / (top - bottom) * (y1 - y0) }
      s += "<text x=\"\(SVGPlot.f((x0 + x1) / 2))\" y=\"\(SVGPlot.f(oy + 14))\" text-anchor=\"middle\" class=\"l\">\(escape(panel.name))</text>"
      for v in SVGPlot.ticks(bottom, top) {
        s += "<line x1=\"\(SVGPlot.f(x0))\" y1=\"\(SVGPlot.f(y(v)))\" x2=\"\(SVGPlot.f(x1))\" y2=\"\(SVGPlot.f(y(v)))\" class=\"g\"/>"
        s += "<text x=\"\(SVGPlot.f(x0 - 4))\" y=\"\(SVGPlot.f(y(v) + 4))\" text-anchor=\"end\">\(SVGPlot.tick(v, percent: yPercent))</text>"
      }
      for (j, t) in xTicks.enumerated() where labelled.contains(j) {
        // The first label starts at its tick and the last ends at its tick, so neither leaves the panel.
        let anchor = xTicks.count > 1 && j == 0 ? "start" : (xTicks.count > 1 && j == xTicks.count - 1 ? "end" : "middle")
        s += "<text x=\"\(SVGPlot.f(x(t.x)))\" y=\"\(SVGPlot.f(y1 + 14))\" text-anchor=\"\(anchor)\">\(escape(t.label))</text>"
      }
      s += "<rect x=\"\(SVGPlot.f(x0))\" y=\"\(SVGPlot.f(y0))\" width=\"\(SVGPlot.f(x1 - x0))\" height=\"\(SVGPlot.f(y1 - y0))\" class=\"box\"/>"
      let color = palette[k % palette.count]
      for run in runs(panel.points) {
        let banded = run.filter { $0.lower.isFinite && $0.upper.isFinite }
        if panel.band && banded.count > 1 {
          let upper = banded.map { "\(SVGPlot.f(x($0.x))),\(SVGPlot.f(y($0.upper)))" }
          let lower = banded.reversed().map { "\(SVGPlot.f(x($0.x))),\(SVGPlot.f(y($0.lower)))" }
          s += "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"0.15\" stroke=\"none\"/>"
        }
      }
      if let reference {
        for run in runs(reference.points) {
          s += "<polyline points=\"\(run.map { "\(SVGPlot.f(x($0.x))),\(SVGPlot.f(y($0.value)))" }.joined(separator: " "))\" fill=\"none\" "
            + "stroke=\"#888\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>"
        }
      }
      for run in runs(panel.points) {
        s += "<polyline points=\"\(run.map { "\(SVGPlot.f(x($0.x))),\(SVGPlot.f(y($0.value)))" }.joined(separator: " "))\" fill=\"none\" "
          + "stroke=\"\(color)\" stroke-width=\"2\"/>"
        for p in run { s += "<circle cx=\"\(SVGPlot.f(x(p.x)))\" cy=\"\(SVGPlot.f(y(p.value)))\" r=\"2.5\" fill=\"\(color)\"/>" }
      }
    }
    return s + "</svg>"
  }

  /// The stretches of points with a finite value, in order (a NaN value ends a stretch).
  static func runs(_ points: [Point]) -> [[Point]] {
    var out: [[Point]] = [[]]
    for p in points {
      if p.value.isFinite { out[out.count - 1].append(p) } else if !out[out.count - 1].isEmpty { out.append([]) }
    }
    return out.filter { !$0.isEmpty }
  }

  /// Horizontal bars from a reference (orange above it, blue below) with interval whiskers and a
  /// text per row: `HTMLReport`'s weights and cohort chart.
  public static func horizontalBars(title: String, xLabel: String, rows: [HTMLReport.Bar], reference: Double = 0,
                                    xPercent: Bool = false) -> String {
    SVGPlot.horizontal(title: title, xLabel: xLabel, rows: rows.map { ($0.label, $0.value, $0.lower, $0.upper, $0.text) },
                       reference: reference, xPercent: xPercent)
  }
}
