import ChurnCore
import Foundation

/// One customer's line in the weekly risk list.
public struct RiskRow: Sendable, Equatable {
  public var id: String
  public var probability: Double
  public var band: String?
  /// Up to three reasons, strongest first (see `ReasonText`).
  public var reasons: [String]
  /// Probability × revenue over the horizon, when a revenue column was named.
  public var revenueAtRisk: Double?
  public var segment: String?

  public init(id: String, probability: Double, band: String? = nil, reasons: [String] = [], revenueAtRisk: Double? = nil,
              segment: String? = nil) {
    self.id = id
    self.probability = probability
    self.band = band
    self.reasons = reasons
    self.revenueAtRisk = revenueAtRisk
    self.segment = segment
  }
}

/// Customers ordered by churn probability, highest first (ties by id), with percentiles.
public struct RankedList: Sendable {
  public let rows: [RiskRow]
  /// Percent of scored customers with a lower probability, per row of `rows`.
  public let percentiles: [Double]

  public init(_ unordered: [RiskRow]) {
    rows = unordered.sorted { $0.probability != $1.probability ? $0.probability > $1.probability : $0.id < $1.id }
    let ascending = rows.map(\.probability).reversed().map { $0 }
    percentiles = rows.map { row in
      var lo = 0, hi = ascending.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if ascending[mid] < row.probability { lo = mid + 1 } else { hi = mid }
      }
      return 100 * Double(lo) / Double(max(ascending.count, 1))
    }
  }

  /// `rank, <id>, churn_probability, percentile, risk_band, reason_1, reason_2, reason_3,
  /// expected_revenue_at_risk, segment`, written atomically.
  public func write(to path: String, idHeader: String, top: Int? = nil) throws {
    let file = try OutputFile(path: path)
    try file.write("rank,\(CSVField.escape(idHeader)),churn_probability,percentile,risk_band,reason_1,reason_2,reason_3,expected_revenue_at_risk,segment\n")
    var line: [UInt8] = []
    for (rank, row) in rows.prefix(top ?? rows.count).enumerated() {
      line.removeAll(keepingCapacity: true)
      DecimalFormatting.appendInteger(rank + 1, to: &line)
      line.append(0x2C)
      line.append(contentsOf: CSVField.escape(row.id).utf8)
      line.append(0x2C)
      DecimalFormatting.appendFixed(row.probability, fractionDigits: 6, to: &line)
      line.append(0x2C)
      DecimalFormatting.appendFixed(percentiles[rank], fractionDigits: 1, to: &line)
      line.append(0x2C)
      line.append(contentsOf: (row.band ?? "").utf8)
      for k in 0..<3 {
        line.append(0x2C)
        if k < row.reasons.count { line.append(contentsOf: CSVField.escape(row.reasons[k]).utf8) }
      }
      line.append(0x2C)
      if let revenue = row.revenueAtRisk, !revenue.isNaN { DecimalFormatting.appendFixed(revenue, fractionDigits: 2, to: &line) }
      line.append(0x2C)
      line.append(contentsOf: CSVField.escape(row.segment ?? "").utf8)
      line.append(0x0A)
      try file.write(line)
    }
    try file.commit()
  }

  /// The top rows as a terminal table, reasons on the following lines.
  public func text(top: Int, idHeader: String) -> String {
    var lines = ["rank  " + pad(idHeader, 14) + "  churn   band    revenue at risk  segment"]
    for (rank, row) in rows.prefix(top).enumerated() {
      let revenue = row.revenueAtRisk.map { $0.isNaN ? "" : String(format: "%.2f", $0) } ?? ""
      lines.append(pad(String(rank + 1), 6) + pad(row.id, 14) + String(format: "  %5.1f%%  ", 100 * row.probability)
        + pad(row.band ?? "", 6) + pad(revenue, 17, right: true) + "  " + (row.segment ?? ""))
      for reason in row.reasons { lines.append("        - " + reason) }
    }
    return lines.joined(separator: "\n")
  }

  func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    guard s.count < width else { return s }
    let padding = String(repeating: " ", count: width - s.count)
    return right ? padding + s : s + padding
  }
}
