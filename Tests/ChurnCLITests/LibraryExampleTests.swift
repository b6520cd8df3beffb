import ChurnTestSupport
import Foundation
import Testing

/// The README's "Use churn as a Swift library" block is real code: `scripts/check-library-example`
/// extracts it, builds it as the `main.swift` of a separate package that depends on this one by
/// path, runs it on the demo data and compares its risk.csv with what `churn train` and
/// `churn score` write for the same settings. So the README and the library cannot drift apart.
@Suite("The README's library example")
struct LibraryExampleTests {
  /// The repository root: this file is Tests/ChurnCLITests/LibraryExampleTests.swift.
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// The churn binary built with the tests (as `runChurn` finds it).
  static var churn: String {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let beside = directory.appendingPathComponent("churn").path
    return FileManager.default.fileExists(atPath: beside) ? beside : directory.deletingLastPathComponent().appendingPathComponent("churn").path
  }

  @Test("compiles as a package of its own, runs from the repository root, and writes churn score's ranked list: the demo's eligible customers with reasons",
        .timeLimit(.minutes(30)))
  func readmeExample() throws {
    let dir = try TemporaryDirectory("library-example")
    defer { dir.remove() }
    let process = Process()
    process.executableURL = Self.root.appendingPathComponent("scripts/check-library-example")
    process.arguments = ["--out", dir.path]
    process.currentDirectoryURL = Self.root
    // The churn the tests built: a `swift build` from inside `swift test` would wait for its lock.
    process.environment = ProcessInfo.processInfo.environment.merging(["CHURN": Self.churn]) { $1 }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "scripts/check-library-example failed:\n\(log)")
    #expect(log.contains("OK: the example's risk.csv is byte-identical to churn score's"), "\(log)")
    let list = try String(contentsOfFile: dir.file("risk.csv"), encoding: .utf8)
    let lines = list.split(separator: "\n", omittingEmptySubsequences: true)
    let header = lines.first.map { $0.split(separator: ",").map(String.init) } ?? []
    #expect(header.contains("customer_id") && header.contains("reason_1"), "header \(header)")
    #expect(lines.count - 1 > 1000, "\(lines.count - 1) customers ranked; the demo has over 1000 eligible")
  }
}
