// churn-bench numbers COUNT SEED: NumberParsing.double against glibc strtod (scripts/check-number-parsing).
import ChurnCore
import ChurnTestSupport
import Foundation

/// Checks COUNT seeded texts (all NumberTexts kinds in turn) bit for bit against strtod and prints
/// the number of differences, then both parsers' speed on 17-digit, 6-decimal and mixed texts.
/// Exits 1 when any text differs.
func numbersBenchmark(count: Int, seed: UInt64) -> Never {
  let clock = ContinuousClock()
  func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
  let start = clock.now
  let (differing, examples) = NumberTexts.differences(count: count, seed: seed)
  for example in examples { FileHandle.standardError.write(Data(("differs: " + example + "\n").utf8)) }
  print("checked \(count) texts (seed \(seed)) in \(String(format: "%.1f", seconds(clock.now - start))) s: \(differing) differences from strtod")

  // Speed: one buffer of NUL-terminated texts per set, each parser over all of it, best of 5.
  let perSet = 1_000_000
  var texts = NumberTexts(seed: seed &+ 1)
  let sets: [(String, () -> [UInt8])] = [
    ("17 digits (%.17g of N(0,1))", { texts.next(.seventeenDigits) }),
    ("6 decimals (%.6f)", { texts.next(.sixDecimals) }),
    ("all kinds mixed", { texts.next() }),
  ]
  print("set                          texts     MB   parser ns/number  MB/s   strtod ns/number  MB/s   speed-up")
  for (name, make) in sets {
    var buffer: [CChar] = []
    var starts: [Int] = []
    for _ in 0..<perSet {
      starts.append(buffer.count)
      buffer.append(contentsOf: make().map { CChar(bitPattern: $0) })
      buffer.append(0)
    }
    starts.append(buffer.count)
    let bytes = Double(buffer.count - perSet)
    var best = (parser: Double.infinity, strtod: Double.infinity)
    var sums = (parser: 0.0, strtod: 0.0)
    buffer.withUnsafeBufferPointer { all in
      let base = UnsafeRawPointer(all.baseAddress!).assumingMemoryBound(to: UInt8.self)
      for _ in 0..<5 {
        var t = clock.now
        var sum = 0.0
        for k in 0..<perSet {
          sum += NumberParsing.double(UnsafeBufferPointer(start: base + starts[k], count: starts[k + 1] - starts[k] - 1)) ?? 0
        }
        best.parser = min(best.parser, seconds(clock.now - t))
        sums.parser = sum
        t = clock.now
        sum = 0
        for k in 0..<perSet { sum += strtod(all.baseAddress! + starts[k], nil) }
        best.strtod = min(best.strtod, seconds(clock.now - t))
        sums.strtod = sum
      }
    }
    // Same sums, or the timings compared different work.
    precondition(sums.parser.bitPattern == sums.strtod.bitPattern || sums.parser.isNaN, "\(name): sums differ")
    func column(_ s: Double) -> String {
      String(format: "%16.1f %6.0f", s / Double(perSet) * 1e9, bytes / s / 1e6)
    }
    print(name.padding(toLength: 28, withPad: " ", startingAt: 0)
      + String(format: " %6d %6.1f", perSet, bytes / 1e6) + " " + column(best.parser) + "   " + column(best.strtod)
      + String(format: "   %5.2fx", best.strtod / best.parser))
  }
  exit(differing == 0 ? 0 : 1)
}
