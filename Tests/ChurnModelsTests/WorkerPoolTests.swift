@testable import ChurnModels
import Synchronization
import Testing

@Suite("Worker pool of the boosting fit")
struct WorkerPoolTests {
  /// Many jobs of different sizes back to back (the helpers mostly spinning between them), then
  /// after a pause long enough for the helpers to sleep: every unit of every job runs exactly
  /// once, and before `run` returns.
  @Test("Every unit runs exactly once before run returns, with 1, 2 and 4 threads, awake or woken", arguments: [1, 2, 4])
  func everyUnitOnce(threads: Int) async throws {
    let pool = WorkerPool(threads: threads)
    defer { pool.stop() }
    let counts = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: 64)
    defer { counts.deallocate() }
    nonisolated(unsafe) let slots = counts
    for job in 0..<2_000 {
      if job == 1_000 { try await Task.sleep(for: .milliseconds(50)) }
      let units = job % 64
      for u in 0..<64 { (counts + u).initialize(to: Atomic(0)) }
      pool.run(units: units) { u in
        // Some units longer than others, so that both threads claim several.
        var x = UInt64(u)
        for _ in 0..<(u % 7) * 200 { x = x &* 6364136223846793005 &+ 1 }
        slots[u].add(x == .max ? 2 : 1, ordering: .relaxed)
      }
      let ran = (0..<64).map { counts[$0].load(ordering: .relaxed) }
      #expect(ran == (0..<64).map { $0 < units ? 1 : 0 }, "job \(job) of \(units) units on \(threads) threads: runs per unit \(ran)")
    }
  }

  @Test("A unit's writes are visible to the caller when run returns")
  func writesVisible() {
    let pool = WorkerPool(threads: 2)
    defer { pool.stop() }
    let values = UnsafeMutablePointer<Int>.allocate(capacity: 1_000)
    defer { values.deallocate() }
    nonisolated(unsafe) let out = values
    for job in 1...500 {
      pool.run(units: 10) { u in
        for i in (u * 100)..<((u + 1) * 100) { out[i] = i * job }
      }
      #expect((0..<1_000).allSatisfy { values[$0] == $0 * job }, "job \(job)")
    }
  }
}
