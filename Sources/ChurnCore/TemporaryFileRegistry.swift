#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The temporary files this process has open, so that SIGINT and SIGTERM can remove them.
///
/// Every `OutputFile` and `OutputTransaction` registers the temporary files it creates and
/// unregisters them once they are renamed or removed. After `removeOnInterrupt()` (the CLI calls
/// it first thing), SIGINT and SIGTERM run a handler that unlinks every registered path and then
/// re-raises the signal with its default action, so the process still dies of that signal (exit
/// status 130 or 143 in a shell) and leaves no `NAME.tmp-PID-RAND` behind.
///
/// The handler is async-signal-safe: the registry is a fixed array of atomic slots holding
/// C strings (`strdup`'d at registration), and the handler calls only `unlink` and `raise`.
/// A string is freed at unregistration only while no handler has started; once one has, the
/// process is about to die and the strings are left alone, so a handler never reads freed
/// memory, whichever thread it runs on.
///
/// A signal that the process inherited as ignored (a background job of a non-interactive
/// shell ignores SIGINT; `nohup`) keeps being ignored.
///
/// Without `removeOnInterrupt()` (a library user with signal handlers of its own) nothing is
/// installed and registration costs two atomic operations.
public enum TemporaryFileRegistry {
  /// How many temporary files can be registered at once; more are still written and removed
  /// normally, but an interrupt does not remove them.
  public static let capacity = 64

  /// Installs the SIGINT and SIGTERM handlers (once; later calls do nothing).
  public static func removeOnInterrupt() {
    _ = installation
  }

  /// The paths registered now, for tests.
  public static var registeredPaths: [String] {
    (0..<capacity).compactMap { k in
      let bits = registrySlots[k].load(ordering: .sequentiallyConsistent)
      return bits == 0 ? nil : String(cString: UnsafePointer<CChar>(bitPattern: bits)!)
    }
  }

  /// Registers `path`; returns its slot, or nil when every slot is taken.
  static func register(_ path: String) -> Int? {
    guard let copy = strdup(path) else { return nil }
    let bits = Int(bitPattern: copy)
    for k in 0..<capacity where registrySlots[k].compareExchange(expected: 0, desired: bits, ordering: .sequentiallyConsistent).exchanged {
      return k
    }
    free(copy)
    return nil
  }

  /// Forgets the path in `slot` (after it was renamed or removed).
  static func unregister(_ slot: Int?) {
    guard let slot else { return }
    let bits = registrySlots[slot].exchange(0, ordering: .sequentiallyConsistent)
    // A handler that started before the exchange may still be reading the string: leave it.
    if bits != 0 && !registryCleaning.load(ordering: .sequentiallyConsistent) {
      free(UnsafeMutablePointer<CChar>(bitPattern: bits))
    }
  }

  private static let installation: Void = {
    // Initialize the globals here, not lazily inside the handler.
    _ = registrySlots[0].load(ordering: .sequentiallyConsistent)
    _ = registryCleaning.load(ordering: .sequentiallyConsistent)
    for signal in [SIGINT, SIGTERM] {
      // A signal ignored on entry (a job started in the background by a shell, nohup) stays
      // ignored, as the shell meant.
      var current = sigaction()
      if sigaction(signal, nil, &current) == 0 && unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == 1 { continue }
      var action = sigaction()
      action.__sigaction_handler.sa_handler = { removeRegisteredFilesAndDie($0) }
      // The handler runs once: the disposition is back to the default when it starts, so the
      // re-raised signal (pending until the handler returns) terminates the process.
      action.sa_flags = Int32(bitPattern: SA_RESETHAND)
      sigemptyset(&action.sa_mask)
      sigaction(signal, &action, nil)
    }
  }()
}

private let registrySlots: InlineArray<64, Atomic<Int>> = InlineArray { _ in Atomic(0) }
private let registryCleaning = Atomic<Bool>(false)

/// The signal handler: only async-signal-safe calls (`unlink`, `raise`) and atomic loads.
private func removeRegisteredFilesAndDie(_ signal: Int32) {
  registryCleaning.store(true, ordering: .sequentiallyConsistent)
  for k in 0..<TemporaryFileRegistry.capacity {
    let bits = registrySlots[k].load(ordering: .sequentiallyConsistent)
    if bits != 0, let path = UnsafePointer<CChar>(bitPattern: bits) { unlink(path) }
  }
  raise(signal)
}
