import ArgumentParser
import ChurnPipeline
import Foundation

struct MergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Merge the parts of a ranked list (churn score --shard i/n or --partial) into the list one churn score run writes.",
    discussion: """
      Each part holds some of the customers, scored on its own (churn score --shard i/n for
      i from 0 to n − 1, or --partial on each partition of --table - in a Spark job). The merge
      ranks every customer together by probability (highest first, ties by id), computes the
      percentiles over all of them, keeps reasons for the riskiest --reasons customers, and with
      --previous adds the change in points, band moves, new and vanished customers against last
      week's whole list: byte for byte the file one churn score run over every customer writes
      with the same options. Bands, reasons, segments, warnings, owners and health are each
      customer's own and come from the parts.

      With --contact-cost C --save-rate S (those the parts were scored with; every part must have
      expected_net_value_of_contact priced with them), the summary says who is worth a call, the
      line churn score prints for the whole list.
      """)

  @Argument(help: ArgumentHelp("The parts, files written by churn score --shard i/n or --partial.", valueName: "part"))
  var parts: [String]

  @Option(help: "The --reasons the parts were scored with: reasons are kept for this many of the riskiest customers.")
  var reasons = 10_000

  @Option(help: "Last week's ranked list (churn score's CSV): adds the change in points, band moves, new and vanished customers.")
  var previous: String?

  @Option(help: ArgumentHelp("The --contact-cost the parts were scored with (with --save-rate): the summary says who is worth a call, as churn score's does.",
                             valueName: "C"))
  var contactCost: Double?

  @Option(help: ArgumentHelp("The --save-rate the parts were scored with (with --contact-cost).", valueName: "S"))
  var saveRate: Double?

  @Option(help: "Rows to write (default: all).")
  var top: Int?

  @Option(help: "Output format of --out (default csv).")
  var format: ListFormat?

  @Option(name: [.short, .long], help: "Where to write the ranked list (- for standard output).")
  var out: String

  func validate() throws {
    if parts.isEmpty { throw ValidationError("no parts to merge; expected the files written by churn score --shard i/n (or --partial), one per part") }
    if let top, top < 1 { throw ValidationError("--top \(top) must be at least 1") }
    guard reasons >= 0 else { throw ValidationError("--reasons \(reasons) must be at least 0") }
    _ = try ContactOptions.economics(cost: contactCost, saveRate: saveRate)
  }

  func run() throws {
    let inputs = parts.enumerated().map { ("part \($0.offset + 1)", Optional($0.element)) }
    let outputs = try OutputTransaction(outputs: [("--out", out)], inputs: inputs + [("--previous", previous)])
    let read = try parts.map { try PartialList(path: $0) }
    let idHeader = read[0].idHeader
    let last = try previous.map { try PreviousList(path: $0, idColumn: idHeader) }
    let list = try RankedList.merge(read, reasons: reasons, previous: last?.entries)
    let cut = try ContactOptions.economics(cost: contactCost, saveRate: saveRate).map { try $0.checked(against: read) }.map(list.contactCut)
    switch format ?? .csv {
    case .csv: try list.write(to: outputs.path(for: "--out"), idHeader: idHeader, top: top)
    case .json: try list.writeJSON(to: outputs.path(for: "--out"), top: top)
    }
    try outputs.commit()
    if let last {
      let new = list.rows.filter { $0.change == "new" }.count, moved = list.rows.filter { $0.change?.contains("→") == true }.count
      StandardError.print("merge: against \(last.path): \(new) new, \(list.vanished.count) vanished, \(moved) changed band")
    }
    StandardError.print("merge: \(list.rows.count) customers from \(parts.count) parts; ranked list written to \(out)" + (cut.map { "\nmerge: " + $0.summary } ?? ""))
    if !outputs.writesToStandardOutput { print(out) }
  }
}
