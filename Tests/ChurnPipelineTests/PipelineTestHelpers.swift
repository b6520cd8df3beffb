import ChurnPipeline
import ChurnTestSupport
import Foundation
import Synchronization

/// The bytes of the file at `path`.
func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

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
