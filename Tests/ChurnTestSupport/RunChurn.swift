import Foundation

/// Runs the built `churn` executable, which SwiftPM places next to the test bundle, with
/// `environment` added to this process's, and returns its exit status and both outputs.
public func runChurn(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
  let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  var executable = directory.appendingPathComponent("churn")
  if !FileManager.default.fileExists(atPath: executable.path) {
    // Under some runners argv[0] is inside the .xctest bundle.
    executable = directory.deletingLastPathComponent().appendingPathComponent("churn")
  }
  let process = Process()
  process.executableURL = executable
  process.arguments = arguments
  if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
  let out = Pipe(), err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let stdout = out.fileHandleForReading.readDataToEndOfFile()
  let stderr = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}
