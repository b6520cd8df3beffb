#if canImport(Glibc)
import Glibc
#endif

/// The outputs of one run: checked before the work starts, written to temporary files while it
/// runs, and put in place together by `commit()` once it has succeeded. A run that fails (or
/// is interrupted, after `TemporaryFileRegistry.removeOnInterrupt()`) writes nothing.
///
/// ```swift
/// let outputs = try OutputTransaction(outputs: [("--out", out), ("--save-spec", saveSpec)],
///                                     inputs: [("--events", events), ("--spec", spec)])
/// try table.writeCSV(to: outputs.path(for: "--out"))      // a temporary file beside --out
/// try outputs.commit()                                    // renamed onto --out
/// ```
///
/// `init` refuses, before anything is written: an output that is one of `inputs` (the same
/// device and inode, so `./x.csv`, a hard link or a symbolic link to an input are caught), two
/// outputs that are the same file, a directory, a missing directory, and a directory where no
/// file can be created (it creates each output's temporary file right away, which proves it).
///
/// Outputs that are streams (`-`, a FIFO, /dev/stdout: see `OutputTarget`) are written
/// straight through while the run works; `path(for:)` returns their path unchanged.
///
/// Commit order and failures: the temporary files are renamed onto their outputs in the order
/// the outputs were given. Before replacing an existing output that is not the last one, a
/// hard link to its old contents is kept (`NAME.old-PID-RAND`). If renaming the k-th output
/// fails (its directory lost its permissions, a directory appeared at its path), the outputs
/// before it are put back: their old contents are renamed back from the links, and those that
/// did not exist are removed. The error names the output that failed and every output it put
/// back, or could not put back (a file system without hard links, or a second failure), which
/// then holds this run's new contents. A signal that arrives during the renames themselves (a
/// few microseconds) can leave some outputs new and others old.
public final class OutputTransaction {
  /// One output of the run.
  public struct Output {
    /// How the user named it (a flag such as `--out`).
    public let name: String
    /// The path as given.
    public let path: String
    public let target: OutputTarget
    /// The temporary file the work writes, for a file target.
    let staged: TemporarySibling?

    var subject: String { OutputError.subject(name, path) }
  }

  public let outputs: [Output]
  private var finished = false

  /// Checks every output against the others and against `inputs`; entries with a nil path are
  /// left out. Names must be distinct.
  ///
  /// - Throws: `OutputError` for the first output that cannot be written safely; nothing is
  ///   left behind.
  public init(outputs requested: [(name: String, path: String?)], inputs: [(name: String, path: String?)]) throws(OutputError) {
    let given = requested.compactMap { r in r.path.map { (name: r.name, path: $0) } }
    precondition(Set(given.map(\.name)).count == given.count, "OutputTransaction: output names repeat: \(given.map(\.name))")
    var targets: [(name: String, path: String, target: OutputTarget, identity: FileIdentity?)] = []
    let read = inputs.compactMap { i in i.path.flatMap { path in FileIdentity(path: path).map { (i.name, path, $0) } } }
    for (name, path) in given {
      let target = try OutputTarget.resolve(path, name: name)
      let identity = target.identity
      if let identity, let input = read.first(where: { $0.2 == identity }) {
        throw .sameAsInput(name: name, path: path, inputName: input.0, inputPath: input.1)
      }
      if let other = targets.first(where: { ($0.identity != nil && $0.identity == identity) || ($0.target == target && target == .standardOutput) }) {
        throw .sameOutput(name: other.name, path: other.path, otherName: name, otherPath: path)
      }
      targets.append((name, path, target, identity))
    }
    var made: [Output] = []
    for t in targets {
      var staged: TemporarySibling?
      if case .file(let destination) = t.target {
        do {
          staged = try TemporarySibling(beside: destination, name: t.name, shownPath: t.path)
        } catch {
          for m in made { m.staged?.remove() }
          throw error
        }
        close(staged!.descriptor)
      }
      made.append(Output(name: t.name, path: t.path, target: t.target, staged: staged))
    }
    self.outputs = made
  }

  deinit {
    if !finished { for output in outputs { output.staged?.remove() } }
  }

  /// Where the work should write the output `name`: its temporary file, or its own path for a
  /// stream. The writer may write it in place or atomically (an `OutputFile` on this path).
  public func path(for name: String) -> String {
    guard let output = outputs.first(where: { $0.name == name }) else {
      preconditionFailure("OutputTransaction: no output \(name); outputs are \(outputs.map(\.name))")
    }
    return output.staged?.path ?? output.path
  }

  /// Whether one of the outputs is this process's standard output, so the run must print
  /// nothing else there.
  public var writesToStandardOutput: Bool { outputs.contains { $0.target.isStandardOutput } }

  /// Renames every temporary file onto its output, in order; see the type's discussion for a
  /// failure part way.
  ///
  /// - Throws: `OutputError.commitFailed`.
  public func commit() throws(OutputError) {
    precondition(!finished, "OutputTransaction committed twice")
    finished = true
    let files = outputs.filter { $0.staged != nil }
    var replaced: [(output: Output, destination: String, existed: Bool, backup: String?, backupSlot: Int?)] = []
    for (k, output) in files.enumerated() {
      guard let staged = output.staged, case .file(let destination) = output.target else { continue }
      var info = stat()
      let existed = lstat(destination, &info) == 0
      var backup: String?, backupSlot: Int?
      if existed && k < files.count - 1 {
        let name = destination + ".old-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        // Registered before the link exists, as OutputFile's temporary files are.
        let slot = TemporaryFileRegistry.register(name)
        if link(destination, name) == 0 {
          backup = name
          backupSlot = slot
        } else {
          TemporaryFileRegistry.unregister(slot)
        }
      }
      if rename(staged.path, destination) != 0 {
        let reason = lastError()
        var restored: [String] = [], notRestored: [String] = []
        for r in replaced.reversed() {
          let undone: Bool
          if let b = r.backup {
            undone = rename(b, r.destination) == 0
          } else {
            undone = !r.existed && unlink(r.destination) == 0
          }
          if undone { restored.append(r.output.subject) } else { notRestored.append(r.output.subject) }
          if let b = r.backup, !undone { unlink(b) }
          TemporaryFileRegistry.unregister(r.backupSlot)
        }
        if let backup { unlink(backup) }
        TemporaryFileRegistry.unregister(backupSlot)
        for rest in files[k...] { rest.staged?.remove() }
        throw .commitFailed(name: output.name, path: output.path, reason: reason, restored: restored.reversed(), notRestored: notRestored.reversed())
      }
      TemporaryFileRegistry.unregister(staged.slot)
      replaced.append((output, destination, existed, backup, backupSlot))
    }
    for r in replaced {
      if let b = r.backup { unlink(b) }
      TemporaryFileRegistry.unregister(r.backupSlot)
    }
  }
}
