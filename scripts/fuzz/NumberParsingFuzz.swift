// libFuzzer harness for NumberParsing.double (Sources/ChurnCore/NumberParsing.swift); built by
// scripts/fuzz-parsers.
//
// Property: for any bytes the parser returns a number or nil, never traps; where both it and
// C's strtod accept the whole (space-trimmed) text, they give the same Double, bit for bit.
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNumberParsing(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeBufferPointer(start: data, count: size)
  let parsed = NumberParsing.double(bytes)
  guard let value = parsed else { return 0 }
  precondition(!value.isNaN, "NaN accepted")
  // strtod over the same text without the spaces, tabs and CR the parser trims.
  var s = 0
  var e = size
  while s < e, bytes[s] == 0x20 || bytes[s] == 0x09 { s += 1 }
  while e > s, bytes[e - 1] == 0x20 || bytes[e - 1] == 0x09 || bytes[e - 1] == 0x0D { e -= 1 }
  guard !bytes[s..<e].contains(0) else { preconditionFailure("accepted a NUL byte") }
  var text = [CChar](repeating: 0, count: e - s + 1)
  for i in s..<e { text[i - s] = CChar(bitPattern: bytes[i]) }
  text.withUnsafeBufferPointer { buffer in
    var endPointer: UnsafeMutablePointer<CChar>?
    let reference = strtod(buffer.baseAddress!, &endPointer)
    let consumed = buffer.baseAddress!.distance(to: UnsafePointer(endPointer!))
    if consumed == e - s {
      precondition(reference.bitPattern == value.bitPattern,
                   "\(String(decoding: bytes[s..<e], as: UTF8.self)): parser \(value), strtod \(reference)")
    }
  }
  return 0
}
