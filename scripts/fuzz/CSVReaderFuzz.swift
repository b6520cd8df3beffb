// libFuzzer harness for CSVReader (Sources/ChurnCore/CSVReader.swift); built by scripts/fuzz-parsers.
//
// Property: for any bytes, opening and reading the file returns records or throws CSVError /
// FileError; it never traps, hangs or touches memory out of bounds (AddressSanitizer). The
// input is read twice, with the smallest block (1,024 bytes, so records cross refills) and
// the default one, and both reads must agree; records must come in increasing line order.
#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) let fuzzPath = "/dev/shm/churn-fuzz-csv-\(getpid()).csv"

func writeInput(_ data: UnsafePointer<UInt8>, _ size: Int) {
  let fd = open(fuzzPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
  precondition(fd >= 0, "cannot create \(fuzzPath)")
  var written = 0
  while written < size {
    let n = write(fd, data + written, size - written)
    precondition(n > 0, "write failed")
    written += n
  }
  close(fd)
}

/// Every record's fields as byte arrays, or the error's text.
func readAll(blockSize: Int) -> (header: [String], records: [[[UInt8]]], error: String?) {
  var records: [[[UInt8]]] = []
  var header: [String] = []
  do {
    let reader = try CSVReader(path: fuzzPath, blockSize: blockSize)
    header = reader.header
    var lastLine = 1
    try reader.forEachRecord { record in
      precondition(record.line > lastLine, "lines go backwards: \(record.line) after \(lastLine)")
      precondition(record.count >= 1, "a record with no field")
      precondition(record.lineSpan >= 1, "a record spanning \(record.lineSpan) lines")
      lastLine = record.line + record.lineSpan - 1
      records.append((0..<record.count).map { Array(record.field($0)) })
      for i in 0..<record.count {
        _ = record.string(i)
        _ = record.trimmedField(i)
        _ = record.isBlank(i)
      }
    }
    return (header, records, nil)
  } catch let error as CSVError {
    _ = MessageText.excerpt(error.description)
    return (header, records, error.description)
  } catch let error as FileError {
    return (header, records, error.description)
  } catch {
    preconditionFailure("unexpected error type \(type(of: error)): \(error)")
  }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSVReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  writeInput(data, size)
  let small = readAll(blockSize: 1024)
  let large = readAll(blockSize: 1 << 16)
  precondition(small.header == large.header && small.records == large.records && small.error == large.error,
               "the block size changed the result")
  return 0
}
