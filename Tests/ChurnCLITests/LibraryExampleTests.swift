import ChurnTestSupport
import Foundation
import Testing

/// The README's "Use churn as a Swift library" block is real code: `scripts/check-library-example`
/// extracts it, builds it as the `main.swift` of a separate package that depends on this one by
/// path, runs it on the demo data and compares its risk.csv with what `churn train` and
/// `churn score` write for the same settings. So the README and the library cannot drift apart.
/// The DocC articles' ```swift blocks are compiled into the same package (not run), so an
/// article's code cannot drift from the API either.
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

  /// Runs scripts/check-library-example with `arguments`: its exit status and its output.
  func check(_ arguments: [String]) throws -> (status: Int32, log: String) {
    let process = Process()
    process.executableURL = Self.root.appendingPathComponent("scripts/check-library-example")
    process.arguments = arguments
    process.currentDirectoryURL = Self.root
    // The churn the tests built: a `swift build` from inside `swift test` would wait for its lock.
    process.environment = ProcessInfo.processInfo.environment.merging(["CHURN": Self.churn]) { $1 }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, log)
  }

  @Test("compiles as a package of its own, runs from the repository root, and writes churn score's ranked list: the demo's eligible customers with reasons",
        .timeLimit(.minutes(30)))
  func readmeExample() throws {
    let dir = try TemporaryDirectory("library-example")
    defer { dir.remove() }
    let (status, log) = try check(["--out", dir.path])
    try #require(status == 0, "scripts/check-library-example failed:\n\(log)")
    #expect(log.contains("OK: the example's risk.csv is byte-identical to churn score's"), "\(log)")
    // Every ```swift block of the DocC articles was compiled with it.
    let articles = URL(fileURLWithPath: Self.root.path + "/Sources/ChurnPipeline/ChurnPipeline.docc")
    let blocks = try FileManager.default.contentsOfDirectory(atPath: articles.path).filter { $0.hasSuffix(".md") }.map {
      try String(contentsOfFile: articles.path + "/" + $0, encoding: .utf8).split(separator: "\n").filter { $0 == "```swift" }.count
    }.reduce(0, +)
    #expect(blocks > 0 && log.contains("the DocC articles' snippets: \(blocks), compiled"), "\(blocks) blocks; \(log)")
    let list = try String(contentsOfFile: dir.file("risk.csv"), encoding: .utf8)
    let lines = list.split(separator: "\n", omittingEmptySubsequences: true)
    let header = lines.first.map { $0.split(separator: ",").map(String.init) } ?? []
    #expect(header.contains("customer_id") && header.contains("reason_1"), "header \(header)")
    #expect(lines.count - 1 > 1000, "\(lines.count - 1) customers ranked; the demo has over 1000 eligible")
  }

  @Test("a DocC article whose ```swift block does not compile fails the check, naming it", .timeLimit(.minutes(30)))
  func brokenArticle() throws {
    let dir = try TemporaryDirectory("docc-broken")
    defer { dir.remove() }
    try """
      # An article

      ```swift
      let analysis = try LifetimeAnalysis(EventData(events: "events.csv"), settings: .init(asOf: 0, horizon: .days(90)))
      print(analysis.bgnbd.model)
      ```
      """.write(toFile: dir.file("Broken.md"), atomically: true, encoding: .utf8)
    let (status, log) = try check(["--docc", dir.path])
    #expect(status == 1, "\(log)")
    #expect(log.contains("DocC_Broken_1.swift") && log.contains("must be unwrapped"), "\(log)")
    #expect(log.contains("FAILED: a DocC article's ```swift block does not compile"), "\(log)")
  }
}
