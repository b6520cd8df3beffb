import Foundation

/// Compresses the file at `source` into `destination` with `/bin/gzip -n` (no name or time in
/// the header, so the same input always gives the same bytes).
public func gzipFile(_ source: String, to destination: String, level: Int = 6) throws {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/gzip")
  process.arguments = ["-n", "-c", "-\(level)", source]
  guard FileManager.default.createFile(atPath: destination, contents: nil) else {
    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination])
  }
  let out = try FileHandle(forWritingTo: URL(fileURLWithPath: destination))
  defer { try? out.close() }
  process.standardOutput = out
  try process.run()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination]) }
}

/// `data` compressed with `/bin/gzip -n` (one gzip member).
public func gzipped(_ data: Data) throws -> Data {
  let directory = try TemporaryDirectory("gzip")
  defer { directory.remove() }
  try data.write(to: URL(fileURLWithPath: directory.file("in")))
  try gzipFile(directory.file("in"), to: directory.file("out"))
  return try Data(contentsOf: URL(fileURLWithPath: directory.file("out")))
}
