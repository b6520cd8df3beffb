import ChurnCore
import ChurnTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

@Suite("Atomic output files and number formatting")
struct OutputFileTests {
  @Test("A committed file has all its bytes and no temporary file remains")
  func commit() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let file = try OutputFile(path: dir.file("out.csv"))
    for i in 0..<100_000 { try file.write("row \(i)\n") }
    #expect(dir.contents().count == 1 && !dir.contents().contains("out.csv"))
    try file.commit()
    #expect(dir.contents() == ["out.csv"])
    let text = try String(contentsOfFile: dir.file("out.csv"), encoding: .utf8)
    #expect(text.hasPrefix("row 0\n") && text.hasSuffix("row 99999\n"))
  }

  @Test("An abandoned file leaves the old contents and no temporary file")
  func abandon() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try OutputFile.write("old\n", to: dir.file("out.csv"))
    do {
      let file = try OutputFile(path: dir.file("out.csv"))
      try file.write("new, but never committed\n")
    }
    #expect(dir.contents() == ["out.csv"])
    #expect(try String(contentsOfFile: dir.file("out.csv"), encoding: .utf8) == "old\n")
  }

  @Test("A missing directory, a file in the path and a directory target are clear errors")
  func badTargets() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(throws: OutputError.missingDirectory(name: nil, path: "/nonexistent-churn-dir/out.csv", directory: "/nonexistent-churn-dir")) {
      _ = try OutputFile(path: "/nonexistent-churn-dir/out.csv")
    }
    #expect(OutputError.missingDirectory(name: "--save-spec", path: "/x/s.json", directory: "/x").description
      == "--save-spec /x/s.json: directory /x does not exist; create it first or choose another path")
    try "a\n".write(toFile: dir.file("a.csv"), atomically: true, encoding: .utf8)
    #expect(throws: OutputError.notADirectory(name: nil, path: dir.file("a.csv/x.csv"), directory: dir.file("a.csv"))) {
      _ = try OutputFile(path: dir.file("a.csv/x.csv"))
    }
    #expect(OutputError.notADirectory(name: "--out", path: "a.csv/x.csv", directory: "a.csv").description
      == "--out a.csv/x.csv: a.csv is not a directory; choose a path inside a directory")
    #expect(throws: OutputError.isDirectory(name: nil, path: dir.path)) { _ = try OutputFile(path: dir.path) }
    #expect(OutputError.isDirectory(name: "--out", path: "models").description
      == "--out models is a directory; expected a file path, such as models/NAME")
    #expect(OutputError.cannotCreate(name: "--out", path: "/ro/x.csv", directory: "/ro", reason: "Read-only file system").description
      == "--out /ro/x.csv: cannot create a file in /ro (Read-only file system); choose a directory you can write to")
    #expect(dir.contents() == ["a.csv"])
  }

  @Test("A symbolic link is followed: the file it names gets the new contents atomically and the link stays")
  func symbolicLink() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try FileManager.default.createDirectory(atPath: dir.file("models"), withIntermediateDirectories: false)
    try OutputFile.write("old\n", to: dir.file("models/v1.json"))
    try FileManager.default.createSymbolicLink(atPath: dir.file("current.json"), withDestinationPath: "models/v1.json")
    let file = try OutputFile(path: dir.file("current.json"))
    #expect(file.target == .file(dir.file("models/v1.json")))
    try file.write("new\n")
    // The temporary file sits beside the file the link names, so the rename is atomic.
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("models")).count == 2)
    try file.commit()
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.file("current.json")) == "models/v1.json")
    #expect(try String(contentsOfFile: dir.file("models/v1.json"), encoding: .utf8) == "new\n")
    #expect(dir.contents() == ["current.json", "models"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("models")) == ["v1.json"])
    // A dangling link creates the file it names; a loop is an error.
    try FileManager.default.createSymbolicLink(atPath: dir.file("next.json"), withDestinationPath: "models/v2.json")
    try OutputFile.write("v2\n", to: dir.file("next.json"))
    #expect(try String(contentsOfFile: dir.file("models/v2.json"), encoding: .utf8) == "v2\n")
    try FileManager.default.createSymbolicLink(atPath: dir.file("loop"), withDestinationPath: "loop")
    #expect(throws: OutputError.unresolvableLink(name: nil, path: dir.file("loop"), reason: "more than 40 links in a chain")) {
      _ = try OutputFile(path: dir.file("loop"))
    }
    #expect(OutputError.unresolvableLink(name: "--out", path: "loop", reason: "more than 40 links in a chain").description
      == "--out loop: cannot follow the symbolic link (more than 40 links in a chain); fix the link or choose another path")
  }

  @Test("The new file keeps the permissions of the one it replaces")
  func permissions() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try OutputFile.write("old\n", to: dir.file("out.csv"))
    chmod(dir.file("out.csv"), 0o600)
    try OutputFile.write("new\n", to: dir.file("out.csv"))
    let mode = try FileManager.default.attributesOfItem(atPath: dir.file("out.csv"))[.posixPermissions] as? Int
    #expect(mode == 0o600)
  }

  @Test("A FIFO and /dev/null are written straight through: no temporary file, no rename")
  func streams() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(mkfifo(dir.file("pipe"), 0o600) == 0)
    nonisolated(unsafe) var received = ""
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      received = FileHandle(forReadingAtPath: dir.file("pipe")).map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) } ?? "(unreadable)"
      done.signal()
    }
    thread.start()
    let file = try OutputFile(path: dir.file("pipe"))
    #expect(file.target == .stream(dir.file("pipe")) && file.temporaryPath == nil)
    try file.write("through the pipe\n")
    #expect(dir.contents() == ["pipe"])
    try file.commit()
    withExtendedLifetime(file) {}
    done.wait()
    #expect(received == "through the pipe\n")
    var info = stat()
    #expect(lstat(dir.file("pipe"), &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO)
    let null = try OutputFile(path: "/dev/null")
    #expect(null.target == .stream("/dev/null"))
    try null.write("x")
    try null.commit()
    #expect(try OutputTarget.resolve("/dev/stdout") == .stream("/dev/stdout"))
    #expect(try OutputTarget.resolve("-") == .standardOutput)
  }

  @Test("Temporary files are registered for removal on SIGINT/SIGTERM while they exist, and only then")
  func registry() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let file = try OutputFile(path: dir.file("out.csv"))
    #expect(TemporaryFileRegistry.registeredPaths.contains(file.temporaryPath!))
    try file.commit()
    #expect(!TemporaryFileRegistry.registeredPaths.contains { $0.hasPrefix(dir.path) })
    do {
      let abandoned = try OutputFile(path: dir.file("other.csv"))
      #expect(TemporaryFileRegistry.registeredPaths.contains(abandoned.temporaryPath!))
    }
    #expect(!TemporaryFileRegistry.registeredPaths.contains { $0.hasPrefix(dir.path) })
    #expect(dir.contents() == ["out.csv"])
  }

  @Test("Fixed-point formatting rounds half away from zero and keeps trailing zeros", arguments: [
    (3.14159, 2, "3.14"), (2.5, 0, "3"), (-2.5, 0, "-3"), (0.125, 2, "0.13"), (-0.001, 2, "0.00"),
    (1234567.5, 1, "1234567.5"), (7, 3, "7.000"), (0, 0, "0"), (Double.nan, 2, "nan"), (-Double.infinity, 1, "-inf"),
  ])
  func fixed(value: Double, digits: Int, expected: String) {
    var out: [UInt8] = []
    DecimalFormatting.appendFixed(value, fractionDigits: digits, to: &out)
    #expect(String(decoding: out, as: UTF8.self) == expected)
  }

  @Test("Integers", arguments: [0, 7, -7, 1_000_000, Int.max, Int.min])
  func integers(value: Int) {
    var out: [UInt8] = []
    DecimalFormatting.appendInteger(value, to: &out)
    #expect(String(decoding: out, as: UTF8.self) == String(value))
  }
}
