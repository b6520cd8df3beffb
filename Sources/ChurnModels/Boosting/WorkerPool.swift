import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Threads kept for one fit that run the units of each job beside the caller: the boosting
/// fit's many short parallel loops (a histogram pass of a small leaf takes tens of
/// microseconds) without the cost of starting or waking threads for each.
///
/// `run(units:_:)` publishes a job of `units` units and the caller and the helpers claim them
/// one at a time (an atomic counter) until none is left; the caller returns when every unit
/// has finished. Which thread runs a unit is left to the moment, so a unit must write only its
/// own outputs (a share of the features' histograms, a chunk of rows): then the results do not
/// depend on the thread count or the timing. A helper that is late (descheduled on a busy
/// machine) claims nothing and the caller runs the units itself: the caller never waits for a
/// helper to start, only for a unit a helper has begun.
///
/// Between jobs a helper spins on the job counter for a while (about 50 microseconds,
/// the gap between two passes of one tree), then sleeps on a condition variable until the next
/// job. This is what LightGBM gets from OpenMP's thread team (libgomp's threads spin before
/// they sleep): `DispatchQueue.concurrentPerform` for each pass cost more than a small leaf's
/// pass saves (measured last session: no gain).
///
/// On a machine with more runnable threads than cores a helper loses its processor for
/// milliseconds at a time, and when that happens in the middle of a unit the caller waits for
/// it: a stall far longer than the job. So when the caller has waited on a helper much longer
/// than it worked itself, it runs the next `soloJobsAfterStall` jobs alone (the results are the
/// same either way); on a quiet machine no job stalls and every job is shared.
///
/// `stop()` ends the helpers; the pool must be stopped before it is dropped (the helpers hold it).
final class WorkerPool: @unchecked Sendable {
  /// The caller and the helpers.
  let threads: Int
  /// (generation << 32) | (units << 16) | the next unit to claim, for the job being run.
  private let state = Atomic<UInt64>(0)
  /// Units of the current job finished.
  private let finished = Atomic<Int>(0)
  /// Helpers asleep (or going to sleep) on `condition`.
  private let sleepers = Atomic<Int>(0)
  private let stopping = Atomic<Bool>(false)
  /// The current job's body. Written by the caller before it publishes the job's generation, and
  /// read by a helper only after it claimed a unit of that generation (so the caller, which waits
  /// for that unit, cannot replace it meanwhile).
  nonisolated(unsafe) private var body: (@Sendable (Int) -> Void)?
  /// Jobs the caller still runs alone after a stall (only the caller reads and writes it).
  private var soloJobs = 0
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private let condition: UnsafeMutablePointer<pthread_cond_t>

  /// Spins (each a CPU pause hint, about 50 ns here) a helper waits for the next job before it
  /// sleeps: about 50 µs, longer than the gaps between the jobs of one tree. Spinning longer
  /// (1 ms) cost CPU a busy machine takes from the caller (measured: 24% of the fit's samples
  /// in the helper's spin on a machine with load 8 on 2 cores).
  static let spinsBeforeSleep = 1_000
  /// Jobs run on the caller alone after a helper stalled one: about a tree's passes of a fit on
  /// 100,000 rows, a few milliseconds, the time a busy machine's scheduler keeps a thread waiting.
  static let soloJobsAfterStall = 64

  /// Starts `threads − 1` helper threads (none for 1 thread: every job then runs on the caller).
  init(threads: Int) {
    self.threads = max(1, threads)
    mutex = .allocate(capacity: 1)
    mutex.initialize(to: pthread_mutex_t())
    pthread_mutex_init(mutex, nil)
    condition = .allocate(capacity: 1)
    condition.initialize(to: pthread_cond_t())
    pthread_cond_init(condition, nil)
    for _ in 1..<self.threads {
      let thread = Thread { [self] in helperLoop() }
      thread.start()
    }
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    condition.deallocate()
    mutex.deallocate()
  }

  /// Ends the helper threads (each after the job it is running, if any).
  func stop() {
    stopping.store(true, ordering: .sequentiallyConsistent)
    pthread_mutex_lock(mutex)
    pthread_cond_broadcast(condition)
    pthread_mutex_unlock(mutex)
  }

  /// Runs `body(0)`, …, `body(units − 1)`, each once, on the caller and the helpers; returns
  /// when all have finished. The units may run in any order and on any thread.
  ///
  /// - Precondition: 0 ≤ units < 65,536; not called from inside a unit.
  func run(units: Int, _ body: @escaping @Sendable (Int) -> Void) {
    precondition(units >= 0 && units < 1 << 16, "WorkerPool.run: \(units) units; expected 0..<65536")
    if units <= 1 || threads == 1 || soloJobs > 0 {
      if units > 1 && soloJobs > 0 { soloJobs -= 1 }
      for unit in 0..<units { body(unit) }
      return
    }
    let start = Self.nanoseconds()
    self.body = body
    finished.store(0, ordering: .relaxed)
    let generation = (state.load(ordering: .relaxed) >> 32) &+ 1
    state.store(generation << 32 | UInt64(units) << 16, ordering: .sequentiallyConsistent)
    // A helper about to sleep counts itself before it checks the generation (both sequentially
    // consistent), so either it sees this job or this sees it and wakes it.
    if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
      pthread_mutex_lock(mutex)
      pthread_cond_broadcast(condition)
      pthread_mutex_unlock(mutex)
    }
    claimUnits(generation: generation)
    if finished.load(ordering: .acquiring) < units {
      // A unit still running on a helper: a short wait, unless the helper has lost its processor.
      let own = Self.nanoseconds() &- start
      var spins = 0
      while finished.load(ordering: .acquiring) < units {
        spins &+= 1
        if spins < 1_000 { spinPause() } else { sched_yield() }
      }
      let waited = Self.nanoseconds() &- start &- own
      if waited > max(4 &* own, 200_000) { soloJobs = Self.soloJobsAfterStall }
    }
    self.body = nil
  }

  /// A monotonic clock in nanoseconds.
  private static func nanoseconds() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return time.tv_sec &* 1_000_000_000 &+ time.tv_nsec
  }

  /// Claims and runs units of job `generation` until none is left (or another job began).
  private func claimUnits(generation: UInt64) {
    var current = state.load(ordering: .acquiring)
    while current >> 32 == generation {
      let units = (current >> 16) & 0xFFFF, next = current & 0xFFFF
      guard next < units else { return }
      let (exchanged, original) = state.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
      if exchanged {
        body!(Int(next))
        finished.add(1, ordering: .releasing)
        current = state.load(ordering: .acquiring)
      } else {
        current = original
      }
    }
  }

  private func helperLoop() {
    var seen: UInt64 = 0
    while true {
      var current = state.load(ordering: .acquiring)
      var spins = 0
      while current >> 32 == seen {
        if stopping.load(ordering: .relaxed) { return }
        spins &+= 1
        if spins < Self.spinsBeforeSleep {
          spinPause()
        } else {
          pthread_mutex_lock(mutex)
          sleepers.add(1, ordering: .sequentiallyConsistent)
          while state.load(ordering: .sequentiallyConsistent) >> 32 == seen && !stopping.load(ordering: .sequentiallyConsistent) {
            pthread_cond_wait(condition, mutex)
          }
          sleepers.subtract(1, ordering: .sequentiallyConsistent)
          pthread_mutex_unlock(mutex)
          spins = 0
        }
        current = state.load(ordering: .acquiring)
      }
      seen = current >> 32
      claimUnits(generation: seen)
    }
  }
}

#if arch(x86_64)
/// The x86 `pause` instruction: a spin-wait hint (saves power and lets a sibling hyperthread run).
@_silgen_name("llvm.x86.sse2.pause")
private func spinPause()
#else
@inline(__always) private func spinPause() {}
#endif
