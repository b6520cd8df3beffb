import ChurnCore
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

@Suite("Calibration: Platt, isotonic, prior correction")
struct CalibrationTests {
  struct Fixture: Decodable {
    struct Platt: Decodable {
      var a: Double
      var b: Double
    }
    var probabilities: [Double]
    var labels: [Double]
    var grid: [Double]
    var isotonic: [Double]
    var platt: Platt
  }

  static let fixture: Fixture = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/calibration.json")
    return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
  }()

  @Test("Isotonic regression equals scikit-learn's IsotonicRegression(out_of_bounds=\"clip\")")
  func isotonic() throws {
    let f = Self.fixture
    var map = Calibration()
    try map.fit(.isotonic, probabilities: f.probabilities, labels: f.labels, source: "fixture")
    for (x, expected) in zip(f.grid, f.isotonic) {
      #expect(abs(map.apply(x) - expected) < 1e-12, "at \(x): \(map.apply(x)) vs \(expected)")
    }
    #expect(map.problem == nil)
  }

  @Test("Platt scaling on the log-odds equals the scipy optimum of the same objective")
  func platt() throws {
    let f = Self.fixture
    var map = Calibration()
    try map.fit(.platt, probabilities: f.probabilities, labels: f.labels, source: "fixture")
    #expect(abs(map.plattA! - f.platt.a) < 1e-7 && abs(map.plattB! - f.platt.b) < 1e-7, "\(map.plattA!), \(map.plattB!) vs \(f.platt)")
    // Increasing, so rankings are kept.
    let grid = stride(from: 0.001, to: 1, by: 0.01).map { map.apply($0) }
    #expect(zip(grid, grid.dropFirst()).allSatisfy { $0 < $1 })
  }

  @Test("A single class cannot be calibrated; a damaged map is named")
  func errors() {
    var map = Calibration()
    #expect(throws: CalibrationError.needsBothClasses(rows: 3, churned: 0)) {
      try map.fit(.platt, probabilities: [0.1, 0.2, 0.3], labels: [0, 0, 0], source: "")
    }
    var broken = Calibration()
    broken.method = .isotonic
    broken.isotonicX = [0.1, 0.05]
    broken.isotonicY = [0.2, 0.3]
    #expect(broken.problem == "isotonic steps must increase, with values in [0, 1]")
  }

  func table(_ data: PlantedSignal) -> FeatureTable {
    FeatureTable(ids: data.labels.indices.map { "c\($0)" }, columnNames: data.weights.indices.map { "x\($0)" },
                 columns: data.weights.indices.map { j in .numeric((0..<data.features.rows).map { data.features[$0, j] }) },
                 labels: data.labels)
  }

  @Test("Balanced class weights, corrected, average to the real churn rate (within 10%)", arguments: ModelFamily.allCases)
  func priorCorrection(family: ModelFamily) throws {
    let data = PlantedSignal(rows: 3000, weights: [1.2, -0.8, 0.5, 0, 0], intercept: -2.5, seed: 11)
    let rate = data.labels.reduce(0, +) / Double(data.labels.count)
    let settings = testSettings(family, l2: 1, trees: 30, minLeaf: 20, classWeight: .balanced)
    let fitted = try settings.fit(table(data))
    // The logistic model keeps the shift beside its intercept; the forest's leaves carry it.
    #expect(family == .forest ? fitted.priorShift == 0 : fitted.priorShift < -1)
    var unweighted = settings
    unweighted.classWeight = .none
    let raw = family == .forest ? try unweighted.fit(table(data)).rawProbabilities(fitted.x) : fitted.rawProbabilities(fitted.x)
    let corrected = try fitted.probabilities(table(data))
    let rawMean = raw.reduce(0, +) / Double(raw.count), mean = corrected.reduce(0, +) / Double(corrected.count)
    if family == .logistic { #expect(rawMean > 2 * rate, "weighted fit not inflated? \(rawMean) vs \(rate)") }
    #expect(abs(mean - rate) / rate < 0.10, "\(family): corrected mean \(mean) vs churn rate \(rate)")
    if family == .logistic {
      // The correction keeps the order.
      let order = raw.indices.sorted { raw[$0] < raw[$1] }
      #expect(zip(order, order.dropFirst()).allSatisfy { corrected[$0.0] <= corrected[$0.1] })
    }
  }
}
