import ChurnTestSupport
import Foundation
import Testing

/// Model files are the same bytes as before issue 16's changes to training (permutation
/// importance on the prepared rows, one sort per column shared by the medians, the forest's
/// bins and the drift references): hashes of files written by the binary of main before them
/// (/work/bench/churn-old, commit b2eade8), on the demo event log and on Telco with its
/// holdout ids, for both families.
///
/// A failure means the same data and flags no longer give the same model file: if the change
/// is meant (a new field, a version bump), record the new hashes (the message prints them) and
/// say so in the commit.
@Suite("Model files pinned byte for byte")
struct ModelFileBytesPinTests {
  static let root = TrainScoreCommandTests.root

  /// FNV-1a, 64 bits, over the file's bytes.
  static func hash(_ path: String) throws -> (UInt64, Int) {
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    return (h, bytes.count)
  }

  static let demo = ["--events", root.appendingPathComponent("datasets/demo/events.csv").path,
                     "--customers", root.appendingPathComponent("datasets/demo/customers.csv").path,
                     "--cutoffs", "2025-01-01:2025-11-01:1m", "--horizon", "30d"]
  static let telco = ["--table", TrainScoreCommandTests.telco, "--id", "customerid", "--label", "churn", "--holdout-ids", TrainScoreCommandTests.holdout]

  @Test("Demo and Telco, logistic and forest: the model file's bytes", arguments: [
    ("demo logistic", demo + ["--model", "logistic"], UInt64(0x54e6_b5a8_0caf_4087), 809_286),
    ("demo forest", demo + ["--model", "forest", "--trees", "20"], 0x2dbf_4684_5e4b_8d79, 548_926),
    ("telco logistic", telco + ["--model", "logistic"], 0xa2a3_a664_8db0_a415, 114_823),
    ("telco forest", telco + ["--model", "forest", "--trees", "20"], 0xae42_0a1b_47f9_9fb8, 228_080),
  ])
  func pinned(name: String, arguments: [String], hash: UInt64, size: Int) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let r = try runChurn(["train"] + arguments + ["--threads", "2", "--out", dir.file("m.json")])
    #expect(r.status == 0, "\(r.stderr)")
    let (found, count) = try Self.hash(dir.file("m.json"))
    #expect(found == hash && count == size, "\(name): hash 0x\(String(found, radix: 16)), \(count) bytes")
  }
}
