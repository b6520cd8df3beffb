import Foundation

extension HTMLReport {
  /// A survival model's "Time to churn" section (`id` `time-to-churn`): the survival curves of
  /// the riskiest customers scored, and Kaplan–Meier survival by risk band against the model's
  /// mean predicted S(k) on labelled rows (`BandSurvival`).
  public struct TimeToChurn: Sendable {
    /// One scored customer's curve S(1) … S(K).
    public struct Customer: Sendable, Equatable {
      public var id: String
      public var survival: [Double]

      public init(id: String, survival: [Double]) {
        self.id = id
        self.survival = survival
      }
    }

    /// K, and the period (the model's horizon, such as "30d").
    public var periods: Int
    public var horizon: String
    /// The riskiest customers scored, riskiest first.
    public var customers: [Customer]
    /// Predicted against Kaplan–Meier per band, red first; empty when no labelled rows could be
    /// followed (then `source` says why).
    public var bands: [BandSurvival]
    /// Which rows the bands were measured on, and how far they were followed (or why none).
    public var source: String

    public init(periods: Int, horizon: String, customers: [Customer], bands: [BandSurvival], source: String) {
      (self.periods, self.horizon, self.customers, self.bands, self.source) = (periods, horizon, customers, bands, source)
    }
  }

  /// The y range of a survival plot: from a tenth below the lowest value (rounded down to a
  /// tenth, at least 0) to 1, so curves near 1 do not flatten against the top.
  static func survivalRange(_ values: [Double]) -> ClosedRange<Double> {
    let lowest = values.filter(\.isFinite).min() ?? 0
    return max(0, ((lowest - 0.05) * 10).rounded(.down) / 10)...1
  }

  static let bandColors = ["red": "#c0392b", "yellow": "#c9a000", "green": "#2e8b57"]

  func timeToChurnSection(_ t: TimeToChurn) -> String {
    let three = { (x: Double) in String(format: "%.3f", x) }
    let periodLabel = "periods of \(t.horizon) ahead"
    // (a) The riskiest customers' curves, S(0) = 1 first.
    var body = "<div class=\"cohort\">"
    if t.customers.isEmpty {
      body += missing("No customers were scored.")
    } else {
      var axes = SVGPlot.Axes(xRange: 0...Double(t.periods), yRange: Self.survivalRange(t.customers.flatMap(\.survival)), xLabel: periodLabel,
                              yLabel: "S(k): share still a customer", yPercent: true)
      axes.xTicks = t.periods <= 12 ? (0...t.periods).map(Double.init) : nil
      let series = t.customers.map { c in
        SVGPlot.Series(name: c.id, points: [(0, 1)] + c.survival.enumerated().map { (Double($0 + 1), $1) }, dots: true)
      }
      body += SVGPlot.lines(axes, title: Self.riskiestTitle(t.customers.count), series: series, legendBelow: true)
      body += table([idHeader] + (1...t.periods).map { "S(\($0))" } + ["expected periods", "median"],
                    t.customers.map { c in
                      let curve = SurvivalCurve(survival: c.survival)
                      return [c.id] + c.survival.map(three) + [String(format: "%.2f", curve.expectedPeriodsRemaining),
                                                               curve.medianPeriodsToChurn.map { "\($0)" } ?? "> \(t.periods)"]
                    })
    }
    body += "</div><div class=\"cohort\">"
    // (b) Kaplan–Meier per band (solid, dots) against the band's mean predicted curve (dashed).
    if t.bands.isEmpty {
      body += missing(t.source)
    } else {
      let values = t.bands.flatMap { $0.predicted + $0.kaplanMeier.compactMap { $0 } }
      var axes = SVGPlot.Axes(xRange: 0...Double(t.periods), yRange: Self.survivalRange(values), xLabel: periodLabel,
                              yLabel: "S(k): share still a customer", yPercent: true)
      axes.xTicks = t.periods <= 12 ? (0...t.periods).map(Double.init) : nil
      var series: [SVGPlot.Series] = []
      for b in t.bands {
        let color = Self.bandColors[b.band]
        let observed = b.kaplanMeier.enumerated().compactMap { k, s in s.map { (Double(k + 1), $0) } }
        series.append(SVGPlot.Series(name: "\(b.band): Kaplan–Meier (\(b.customers))", points: [(0, 1)] + observed, dots: true, color: color))
        series.append(SVGPlot.Series(name: "\(b.band): model", points: [(0, 1)] + b.predicted.enumerated().map { (Double($0 + 1), $1) },
                                     dashed: true, color: color))
      }
      body += SVGPlot.lines(axes, title: Self.bandsTitle, series: series, legendBelow: true)
      body += table(["band", "customers", "churned"] + (1...t.periods).map { "S(\($0)) model / KM" },
                    t.bands.map { b in
                      [b.band, "\(b.customers)", "\(b.churned)"]
                        + zip(b.predicted, b.kaplanMeier).map { p, km in three(p) + " / " + (km.map(three) ?? "—") }
                    })
    }
    body += "</div>"
    // The plots are named by their titles: side by side on a wide page, one above the other on a
    // narrower one (at 1,240 pixels the band table does not fit beside the first plot).
    return section("time-to-churn", "Time to churn",
                   "<p>S(k) is the model's probability that a customer is still a customer after k periods of \(e(t.horizon)) "
                     + "(survival_k in churn score's list). \(Self.riskiestTitle(t.customers.count)): the riskiest customers scored \(e(scoredOn)), "
                     + "by churn probability 1 − S(1). \(Self.bandsTitle): \(e(t.source))</p>" + body)
  }

  /// The first plot's title.
  static func riskiestTitle(_ count: Int) -> String { "Survival of the \(count) riskiest customers" }
  /// The second plot's title.
  static let bandsTitle = "Observed (Kaplan–Meier) against predicted, by band"
}
