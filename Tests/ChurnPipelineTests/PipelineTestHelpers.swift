import ChurnPipeline
import ChurnTestSupport
import Foundation
import Synchronization

/// Runs the built `churn` executable (SwiftPM places it next to the test bundle), to check
/// that the library's results are what the CLI writes.
func runChurnExecutable(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
  let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  var executable = directory.appendingPathComponent("churn")
  if !FileManager.default.fileExists(atPath: executable.path) {
    executable = directory.deletingLastPathComponent().appendingPathComponent("churn")
  }
  let process = Process()
  process.executableURL = executable
  process.arguments = arguments
  let out = Pipe(), err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let stdout = out.fileHandleForReading.readDataToEndOfFile()
  let stderr = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

/// A `JobLog` that keeps its lines, to check what a job says.
final class RecordedLog: Sendable {
  private let recorded = Mutex<[String]>([])
  var lines: [String] { recorded.withLock { $0 } }
  var log: JobLog { JobLog(line: { line in self.recorded.withLock { $0.append(line) } }) }
}

/// A planted-signal table: churn rises with `tickets` and falls with `logins`; `noise` is noise;
/// `plan` is a categorical column whose "basic" level churns more.
func plantedTable(rows: Int = 600, seed: UInt64 = 7) -> FeatureTable {
  let signal = PlantedSignal(rows: rows, weights: [1.5, -1.0, 0], intercept: -0.5, seed: seed)
  let column = { (j: Int) in (0..<rows).map { signal.features[$0, j] } }
  let plan = (0..<rows).map { i -> String? in signal.labels[i] == 1 ? (i % 3 == 0 ? "pro" : "basic") : (i % 3 == 0 ? "basic" : "pro") }
  return FeatureTable(ids: (0..<rows).map { "c\($0)" }, columnNames: ["tickets", "logins", "noise", "plan"],
                      columns: [.numeric(column(0)), .numeric(column(1)), .numeric(column(2)), .categorical(plan)], labels: signal.labels)
}

/// A model file for `table`, fitted by the library with `settings`.
func modelFile(_ table: FeatureTable, _ settings: ModelSettings) throws -> ModelFile {
  let trained = try settings.fit(table)
  let churned = table.labels!.filter { $0 == 1 }.count
  return ModelFile(churnVersion: churnVersion, idColumn: "customer_id", labelColumn: "churned", trained: trained,
                   training: .init(rows: table.rowCount, churned: churned, dataFingerprint: ModelFile.fingerprint(table), notes: []))
}
