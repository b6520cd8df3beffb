import ChurnCore
import ChurnTestSupport
import Foundation
import Testing

@Suite("The outputs of a run: checked first, committed together")
struct OutputTransactionTests {
  func write(_ text: String, _ path: String) throws { try text.write(toFile: path, atomically: false, encoding: .utf8) }
  func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

  @Test("An output that is an input is refused by device and inode: the same name, ./name, a hard link, a symbolic link")
  func outputIsInput() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try write("customer_id,timestamp,event_type\n", dir.file("events.csv"))
    try FileManager.default.linkItem(atPath: dir.file("events.csv"), toPath: dir.file("hard.csv"))
    try FileManager.default.createSymbolicLink(atPath: dir.file("soft.csv"), withDestinationPath: "events.csv")
    let spellings = [dir.file("events.csv"), dir.path + "/./events.csv", dir.file("hard.csv"), dir.file("soft.csv")]
    for out in spellings {
      #expect(throws: OutputError.sameAsInput(name: "--out", path: out, inputName: "--events", inputPath: dir.file("events.csv"))) {
        _ = try OutputTransaction(outputs: [("--out", out)], inputs: [("--customers", nil), ("--events", dir.file("events.csv"))])
      }
    }
    #expect(OutputError.sameAsInput(name: "--out", path: "./e.csv", inputName: "--events", inputPath: "e.csv").description
      == "--out ./e.csv is the same file as --events e.csv, an input of this run; writing it would destroy that input. Choose another path for --out")
    #expect(try read(dir.file("events.csv")) == "customer_id,timestamp,event_type\n")
    #expect(dir.contents() == ["events.csv", "hard.csv", "soft.csv"])
  }

  @Test("Two outputs that are the same file are refused, and so are two outputs on standard output")
  func sameOutput() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(throws: OutputError.sameOutput(name: "--out", path: dir.file("x.json"), otherName: "--save-spec", otherPath: dir.path + "/./x.json")) {
      _ = try OutputTransaction(outputs: [("--out", dir.file("x.json")), ("--save-spec", dir.path + "/./x.json")], inputs: [])
    }
    #expect(OutputError.sameOutput(name: "--out", path: "x.json", otherName: "--save-spec", otherPath: "./x.json").description
      == "--out x.json and --save-spec ./x.json are the same file; give each output its own path")
    #expect(throws: OutputError.sameOutput(name: "--out", path: "-", otherName: "--save-spec", otherPath: "-")) {
      _ = try OutputTransaction(outputs: [("--out", "-"), ("--save-spec", "-")], inputs: [])
    }
    #expect(OutputError.sameOutput(name: "--out", path: "-", otherName: "--save-spec", otherPath: "-").description
      == "--out and --save-spec both write to standard output (-); send at most one output to -")
    #expect(dir.contents().isEmpty)
  }

  @Test("A bad second output fails before any work and leaves nothing, not even the first output's temporary file")
  func validatedFirst() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(throws: OutputError.missingDirectory(name: "--save-spec", path: "/nonexistent-churn/s.json", directory: "/nonexistent-churn")) {
      _ = try OutputTransaction(outputs: [("--out", dir.file("f.csv")), ("--save-spec", "/nonexistent-churn/s.json")], inputs: [])
    }
    #expect(dir.contents().isEmpty)
  }

  @Test("Outputs appear only at commit, all of them; an abandoned transaction writes nothing and removes its temporary files")
  func commitTogether() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try write("old\n", dir.file("a.csv"))
    do {
      let outputs = try OutputTransaction(outputs: [("--out", dir.file("a.csv")), ("--save-spec", dir.file("s.json"))], inputs: [])
      try OutputFile.write("new a\n", to: outputs.path(for: "--out"))
      try OutputFile.write("new s\n", to: outputs.path(for: "--save-spec"))
      #expect(try read(dir.file("a.csv")) == "old\n")
      #expect(!dir.contents().contains("s.json"))
      #expect(TemporaryFileRegistry.registeredPaths.filter { $0.hasPrefix(dir.path) }.count == 2)
      // The run fails here: the transaction is dropped without commit.
    }
    #expect(dir.contents() == ["a.csv"])
    #expect(try read(dir.file("a.csv")) == "old\n")
    #expect(!TemporaryFileRegistry.registeredPaths.contains { $0.hasPrefix(dir.path) })

    let outputs = try OutputTransaction(outputs: [("--out", dir.file("a.csv")), ("--save-spec", dir.file("s.json"))], inputs: [])
    try OutputFile.write("new a\n", to: outputs.path(for: "--out"))
    try OutputFile.write("new s\n", to: outputs.path(for: "--save-spec"))
    try outputs.commit()
    #expect(dir.contents() == ["a.csv", "s.json"])
    #expect(try read(dir.file("a.csv")) == "new a\n" && read(dir.file("s.json")) == "new s\n")
    #expect(!TemporaryFileRegistry.registeredPaths.contains { $0.hasPrefix(dir.path) })
  }

  @Test("When the second of three renames fails, the first output is put back and the third is never replaced")
  func rollback() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try write("old a\n", dir.file("a.csv"))
    try write("old c\n", dir.file("c.csv"))
    let outputs = try OutputTransaction(outputs: [("--a", dir.file("a.csv")), ("--b", dir.file("b.csv")), ("--c", dir.file("c.csv"))], inputs: [])
    for name in ["--a", "--b", "--c"] { try OutputFile.write("new\n", to: outputs.path(for: name)) }
    // After the checks, a directory with a file in it takes --b's place: its rename must fail.
    try FileManager.default.createDirectory(atPath: dir.file("b.csv/inside"), withIntermediateDirectories: true)
    #expect(throws: OutputError.commitFailed(name: "--b", path: dir.file("b.csv"), reason: "Is a directory", restored: ["--a \(dir.file("a.csv"))"], notRestored: [])) {
      try outputs.commit()
    }
    #expect(try read(dir.file("a.csv")) == "old a\n" && read(dir.file("c.csv")) == "old c\n")
    #expect(dir.contents() == ["a.csv", "b.csv", "c.csv"])
    #expect(!TemporaryFileRegistry.registeredPaths.contains { $0.hasPrefix(dir.path) })
    #expect(OutputError.commitFailed(name: "--b", path: "b.csv", reason: "Is a directory", restored: ["--a a.csv"], notRestored: []).description
      == "cannot replace --b b.csv by the finished output (Is a directory); it keeps its old contents; outputs already replaced were put back: --a a.csv")
    #expect(OutputError.commitFailed(name: "--b", path: "b.csv", reason: "Is a directory", restored: [], notRestored: ["--a a.csv"]).description
      == "cannot replace --b b.csv by the finished output (Is a directory); it keeps its old contents; outputs already replaced that could NOT be put back (they hold this run's output): --a a.csv")
  }

  @Test("A new first output is removed again when a later rename fails")
  func rollbackOfNewFile() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let outputs = try OutputTransaction(outputs: [("--a", dir.file("a.csv")), ("--b", dir.file("b.csv"))], inputs: [])
    for name in ["--a", "--b"] { try OutputFile.write("new\n", to: outputs.path(for: name)) }
    try FileManager.default.createDirectory(atPath: dir.file("b.csv/inside"), withIntermediateDirectories: true)
    #expect(throws: OutputError.self) { try outputs.commit() }
    #expect(dir.contents() == ["b.csv"])
  }

  @Test("Streams are written through at once and need no commit to appear")
  func streams() throws {
    let outputs = try OutputTransaction(outputs: [("--out", "/dev/null"), ("--other", "-")], inputs: [])
    #expect(outputs.path(for: "--out") == "/dev/null" && outputs.path(for: "--other") == "-")
    #expect(outputs.writesToStandardOutput)
    try outputs.commit()
  }
}
