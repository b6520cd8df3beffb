import ChurnCore
import Foundation

extension WeeklyBrief {
  /// The monthly analysis' page in the brief's directory (no owner's file can take the name:
  /// owners' stems never contain a dot).
  public static let monthlyPage = "monthly.html"

  /// The brief's files by name: `index.html`, then `STEM.html` and `STEM.csv` per owner (see
  /// `OwnerBrief.fileStem`), owners in order, then `monthly.html` with a monthly analysis.
  public func files() -> [(name: String, contents: String)] {
    var files = [(name: "index.html", contents: indexHTML())]
    for owner in owners {
      files.append((owner.fileStem + ".html", html(for: owner)))
      files.append((owner.fileStem + ".csv", csv(for: owner)))
    }
    if let monthly { files.append((Self.monthlyPage, monthly.html(title: "Monthly churn analysis, as of \(asOf)"))) }
    return files
  }

  /// Writes `files()` into `directory`, all or nothing: each file goes to a temporary file
  /// first and they are renamed into place together (`OutputTransaction`); if anything fails,
  /// no file is written and a directory this call created is removed. Files already in the
  /// directory under other names (last week's owners) are left alone.
  ///
  /// - Parameters:
  ///   - directory: where the files go; created (with its parents) when missing.
  ///   - inputs: the run's input files by flag, which no output may overwrite.
  /// - Returns: the paths written, `index.html` first.
  /// - Throws: `OutputError` (an output that is an input, a directory in the way, a directory
  ///   that cannot be written); `FileError`.
  @discardableResult
  public func write(to directory: String, inputs: [(name: String, path: String?)] = []) throws -> [String] {
    var isDirectory: ObjCBool = false
    let existed = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory)
    if existed && !isDirectory.boolValue {
      throw OutputError.notADirectory(name: "--out", path: directory, directory: directory)
    }
    if !existed {
      do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
        throw OutputError.cannotCreate(name: "--out", path: directory, directory: (directory as NSString).deletingLastPathComponent,
                                       reason: error.localizedDescription)
      }
    }
    let files = self.files()
    let paths = files.map { (directory as NSString).appendingPathComponent($0.name) }
    do {
      let outputs = try OutputTransaction(outputs: zip(files, paths).map { file, path in (name: file.name, path: Optional(path)) }, inputs: inputs)
      for file in files { try OutputFile.write(file.contents, to: outputs.path(for: file.name)) }
      try outputs.commit()
    } catch {
      if !existed { try? FileManager.default.removeItem(atPath: directory) }
      throw error
    }
    return paths
  }
}
