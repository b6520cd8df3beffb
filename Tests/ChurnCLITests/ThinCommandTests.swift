import Foundation
import Testing

/// The CLI stays a thin layer over ChurnPipeline: each command's `run()` parses, makes one
/// library call and renders (at most 25 lines), imports nothing of churn but ChurnPipeline,
/// and never asks which model family it holds.
@Suite("The CLI is thin")
struct ThinCommandTests {
  static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Sources/ChurnCLI")

  static func files() throws -> [(name: String, lines: [String])] {
    try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }.sorted().map { name in
      (name, try String(contentsOf: sources.appendingPathComponent(name), encoding: .utf8).components(separatedBy: "\n"))
    }
  }

  /// The length in lines of each `func run()` in `lines`, braces included.
  static func runLengths(_ lines: [String]) -> [Int] {
    var lengths: [Int] = []
    for (start, line) in lines.enumerated() where line.trimmingCharacters(in: .whitespaces).hasPrefix("func run()") {
      var depth = 0
      for end in start..<lines.count {
        depth += lines[end].filter { $0 == "{" }.count - lines[end].filter { $0 == "}" }.count
        if depth == 0 && end > start { lengths.append(end - start + 1); break }
      }
    }
    return lengths
  }

  @Test("Every command's run() is at most 25 lines, and every subcommand has one")
  func shortRuns() throws {
    var found = 0
    for (name, lines) in try Self.files() {
      for length in Self.runLengths(lines) {
        found += 1
        #expect(length <= 25, "\(name): run() is \(length) lines")
      }
    }
    #expect(found >= 10, "found \(found) run() functions; expected one per subcommand")
    #expect(Self.runLengths(["  func run() throws {", "    let a = 1", "    if a > 0 { print(a) }", "  }"]) == [4])
  }

  @Test("The CLI imports only ChurnPipeline of churn's modules and never branches on a model family")
  func noFamilyBranching() throws {
    let forbidden = ["import ChurnCore", "import ChurnFeatures", "import ChurnModels", "import ChurnScoring", "logistic != nil", "forest != nil",
                     "forest!", "logistic!", ".logistic?.", ".forest?.", "as? LogisticModel", "as? ForestModel", "as! LogisticModel",
                     "as! ForestModel", "file.family ==", "model.family =="]
    for (name, lines) in try Self.files() {
      for (k, line) in lines.enumerated() {
        for pattern in forbidden { #expect(!line.contains(pattern), "\(name):\(k + 1): \(line.trimmingCharacters(in: .whitespaces))") }
      }
    }
  }
}
