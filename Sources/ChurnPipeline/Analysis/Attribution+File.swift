import ChurnScoring

extension Attribution {
  /// The grouping rules of the `pattern,category` file at `path` (first match wins), as
  /// `churn weights`, `churn score` and `churn explain` read `--groups`.
  ///
  /// A rule that places none of `columns` is noted on `log` ("RULES line N: no column name
  /// contains \"seat\""), for it is usually a typo or listed after a broader rule.
  ///
  /// - Throws: `AttributionError`, `FileError` and `TextFileError` for a file that cannot be used.
  public static func read(path: String, columns: [String], log: JobLog = .silent) throws -> Attribution {
    let lines = try Attribution.rules(path: path)
    let attribution = Attribution(rules: lines.map(\.rule))
    for (k, shadowed) in attribution.unusedRules(columns: columns) {
      let pattern = lines[k].rule.pattern
      log.note("\(path) line \(lines[k].line): " + (shadowed
        ? "every column that contains \"\(pattern)\" is placed by an earlier rule" : "no column name contains \"\(pattern)\""))
    }
    return attribution
  }
}
