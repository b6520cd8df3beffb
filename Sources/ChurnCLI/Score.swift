import ArgumentParser
import ChurnCore
import ChurnModels
import Foundation

struct Score: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Score customers with a trained model: a ranked list of churn probabilities.",
    discussion: "Writes rank, id, churn_probability, percentile (highest risk first); prints the top rows without --out.")

  @Option(help: "Model file written by churn train.")
  var model: String

  @Option(help: "Table CSV with the model's feature columns (other columns are ignored).")
  var table: String

  @Option(help: "Name of the id column (default: the model's).")
  var id: String?

  @Option(help: "Rows to print when no --out is given.")
  var top = 20

  @Option(help: "Where to write the ranked list (CSV).")
  var out: String?

  func run() throws {
    let file = try ModelFile.read(path: model)
    var kinds: [String: TypedCSV.Kind] = [:]
    for (name, numeric) in zip(file.preprocessor.inputNames, file.preprocessor.inputKinds) { kinds[name] = numeric ? .numeric : .categorical }
    let header = try CSVReader(path: table).header
    kinds = kinds.filter { name, _ in header.contains { $0.lowercased() == name.lowercased() } }
    let csv = try TypedCSV(path: table, idColumn: id ?? file.idColumn, kinds: kinds)
    let features = try csv.featureTable(label: nil)
    let p = try file.probabilities(features)
    let ranked = RankedList(ids: features.ids, probabilities: p)
    if let out {
      try ranked.write(to: out, idHeader: id ?? file.idColumn)
      StandardError.print("score: \(features.rowCount) customers scored; ranked list written to \(out)")
      print(out)
    } else {
      print(ranked.text(top: top, idHeader: id ?? file.idColumn))
    }
  }
}

/// Customers ordered by churn probability, highest first (ties by id).
struct RankedList {
  var ids: [String]
  var probabilities: [Double]
  var order: [Int]
  /// Percent of scored customers with a lower probability.
  var percentiles: [Double]

  init(ids: [String], probabilities: [Double]) {
    self.ids = ids
    self.probabilities = probabilities
    order = ids.indices.sorted { probabilities[$0] != probabilities[$1] ? probabilities[$0] > probabilities[$1] : ids[$0] < ids[$1] }
    let ascending = probabilities.sorted()
    percentiles = probabilities.map { p in
      var lo = 0, hi = ascending.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if ascending[mid] < p { lo = mid + 1 } else { hi = mid }
      }
      return 100 * Double(lo) / Double(max(ascending.count, 1))
    }
  }

  func write(to path: String, idHeader: String) throws {
    let file = try OutputFile(path: path)
    try file.write("rank,\(CSVField.escape(idHeader)),churn_probability,percentile\n")
    var line: [UInt8] = []
    for (rank, i) in order.enumerated() {
      line.removeAll(keepingCapacity: true)
      DecimalFormatting.appendInteger(rank + 1, to: &line)
      line.append(0x2C)
      line.append(contentsOf: CSVField.escape(ids[i]).utf8)
      line.append(0x2C)
      DecimalFormatting.appendFixed(probabilities[i], fractionDigits: 6, to: &line)
      line.append(0x2C)
      DecimalFormatting.appendFixed(percentiles[i], fractionDigits: 1, to: &line)
      line.append(0x0A)
      try file.write(line)
    }
    try file.commit()
  }

  func text(top: Int, idHeader: String) -> String {
    var lines = [DescribeReport.pad("rank", 6) + DescribeReport.pad(idHeader, 20) + "churn probability  percentile"]
    for (rank, i) in order.prefix(top).enumerated() {
      lines.append(DescribeReport.pad(String(rank + 1), 6) + DescribeReport.pad(ids[i], 20)
        + String(format: "%17.4f  %10.1f", probabilities[i], percentiles[i]))
    }
    return lines.joined(separator: "\n")
  }
}
