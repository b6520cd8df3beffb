// libFuzzer harness for CSVReader (Sources/ChurnCore/CSVReader.swift); built by scripts/fuzz-parsers.
//
// Property: for any bytes, opening and reading the file returns records or throws CSVError /
// FileError / GzipError (input that starts with the gzip magic is decompressed); it never
// traps, hangs or touches memory out of bounds (AddressSanitizer). The input is read twice,
// with the smallest block (1,024 bytes, so records cross refills) and the default one, and
// both reads must agree; records must come in increasing line order.
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

/// What a read saw: the header, a hash of every record's line, field count and bytes (FNV-1a),
/// the number of records, and the error's text if it threw.
struct Outcome: Equatable {
  var header: [String] = []
  var hash: UInt64 = 0xCBF2_9CE4_8422_2325
  var records = 0
  var error: String?

  mutating func mix(_ value: UInt64) {
    hash = (hash ^ value) &* 0x0000_0100_0000_01B3
  }
}

func readAll(blockSize: Int) -> Outcome {
  var outcome = Outcome()
  do {
    let reader = try CSVReader(path: fuzzPath, blockSize: blockSize)
    outcome.header = reader.header
    var lastLine = 1
    try reader.forEachRecord { record in
      precondition(record.line > lastLine, "lines go backwards: \(record.line) after \(lastLine)")
      precondition(record.count >= 1, "a record with no field")
      precondition(record.lineSpan >= 1, "a record spanning \(record.lineSpan) lines")
      lastLine = record.line + record.lineSpan - 1
      outcome.records += 1
      outcome.mix(UInt64(record.line))
      outcome.mix(UInt64(record.count))
      for i in 0..<record.count {
        let field = record.field(i)
        outcome.mix(UInt64(field.count))
        for byte in field { outcome.mix(UInt64(byte)) }
        let trimmed = record.trimmedField(i)
        precondition(trimmed.count <= field.count, "trimming grew a field")
        _ = record.isBlank(i)
      }
    }
  } catch let error as CSVError {
    outcome.error = error.description
  } catch let error as FileError {
    outcome.error = error.description
  } catch let error as GzipError {
    outcome.error = error.description
  } catch {
    preconditionFailure("unexpected error type \(type(of: error)): \(error)")
  }
  return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSVReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  writeInput(data, size)
  let small = readAll(blockSize: 1024)
  let large = readAll(blockSize: 16 << 10)  // larger than any input (-max_len=8192): one read
  precondition(small == large, "the block size changed the result: \(small) against \(large)")
  return 0
}
