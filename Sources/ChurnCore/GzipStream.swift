internal import CZlib
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The decompressed bytes of a gzip file, read in blocks into the caller's buffer: what
/// `zcat` prints, never held whole in memory.
///
/// zlib's `inflate` with window bits 15 + 32 (RFC 1950/1952 header detected). Members that
/// follow one another, as `cat a.gz b.gz > c.gz` makes (RFC 1952 §2.2), are inflated in turn
/// and their data joined, as `zcat` does. A stream that stops inside a member, or data that
/// zlib rejects, is a failure reported only after every byte decompressed before it was handed
/// out, so a reader can say on which line the file breaks off.
///
/// After `startReadingAhead()` a thread of its own inflates up to `aheadSlots` blocks ahead of
/// the reader, so decompression and parsing share two cores instead of taking turns on one.
///
/// The only file that imports `CZlib`. Used by `CSVReader` for a file that starts with the
/// gzip magic bytes `1f 8b`, whatever its name.
final class GzipStream {
  /// Why the stream stopped early: the file ended inside a member, zlib refused the data (its
  /// message), or the file could not be read.
  enum Failure: Error {
    case truncated
    case corrupt(String)
    case unreadable(FileError)
  }

  /// The first two bytes of every gzip member (RFC 1952 §2.3.1).
  static let magic: [UInt8] = [0x1F, 0x8B]

  private let inflater: Inflater
  private var ahead: ReadAhead?

  /// A stream over the open file `descriptor` (positioned at its start; the caller keeps
  /// ownership and must call `stop()` before closing it).
  init(path: String, descriptor: Int32) {
    inflater = Inflater(path: path, descriptor: descriptor)
  }

  /// The compressed bytes behind the data handed out so far (for progress against the file size).
  var compressedBytesRead: Int { ahead?.compressedBytesRead ?? inflater.compressedBytesRead }

  /// Writes up to `capacity` decompressed bytes at `destination` and returns how many; 0 at the
  /// end of the last member.
  ///
  /// - Throws: `Failure`, once every byte before it has been returned.
  func read(into destination: UnsafeMutablePointer<UInt8>, capacity: Int) throws(Failure) -> Int {
    if let ahead { return try ahead.read(into: destination, capacity: capacity) }
    return try inflater.read(into: destination, capacity: capacity)
  }

  /// Inflates on a thread of its own from now on, ahead of `read`.
  func startReadingAhead() {
    if ahead == nil { ahead = ReadAhead(inflater) }
  }

  /// Stops the read-ahead thread, if any, and waits for it.
  func stop() {
    ahead?.stop()
    ahead = nil
  }

  deinit { stop() }
}

/// zlib's inflate state over a file descriptor, with the input buffer; used by one thread at a time.
private final class Inflater: @unchecked Sendable {
  let path: String
  private let descriptor: Int32
  // zlib keeps a pointer back to the z_stream in its state: it must not move.
  private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
  private let input = UnsafeMutablePointer<UInt8>.allocate(capacity: Inflater.inputCapacity)
  private static let inputCapacity = 1 << 18
  private var initialized = false
  private var memberOpen = false  // a member's header was started and its end not yet seen
  private var fileEnded = false
  private var fileBytesRead = 0
  private var pending: GzipStream.Failure?

  init(path: String, descriptor: Int32) {
    self.path = path
    self.descriptor = descriptor
    stream.initialize(to: z_stream())
  }

  deinit {
    if initialized { inflateEnd(stream) }
    stream.deallocate()
    input.deallocate()
  }

  /// The compressed bytes inflate has consumed.
  var compressedBytesRead: Int { fileBytesRead - Int(stream.pointee.avail_in) }

  func read(into destination: UnsafeMutablePointer<UInt8>, capacity: Int) throws(GzipStream.Failure) -> Int {
    if let pending { throw pending }
    var produced = 0
    while produced < capacity {
      if stream.pointee.avail_in == 0 && !fileEnded {
        let n = Glibc.read(descriptor, input, Self.inputCapacity)
        if n < 0 {
          pending = .unreadable(FileError.fromErrno(path: path, action: "read"))
          break
        }
        if n == 0 {
          fileEnded = true
        } else {
          fileBytesRead += n
          stream.pointee.next_in = input
          stream.pointee.avail_in = UInt32(n)
        }
      }
      if !memberOpen {
        if stream.pointee.avail_in == 0 && fileEnded {
          // The end of the file: fine after a member, not before the first.
          if !initialized { pending = .truncated }
          break
        }
        // A new member: the first, or one more after the end of the last (`cat a.gz b.gz`).
        let status = initialized ? inflateReset(stream) : churn_inflate_init(stream)
        guard status == Z_OK else {
          pending = .corrupt("zlib could not start: error \(status)")
          break
        }
        initialized = true
        memberOpen = true
      }
      stream.pointee.next_out = destination + produced
      stream.pointee.avail_out = UInt32(min(capacity - produced, Int(UInt32.max)))
      let roomBefore = Int(stream.pointee.avail_out), inputBefore = stream.pointee.avail_in
      let status = inflate(stream, Z_NO_FLUSH)
      let made = roomBefore - Int(stream.pointee.avail_out)
      produced += made
      switch status {
      case Z_OK, Z_BUF_ERROR:
        // More input or more room needed: the loop gives it. At the end of the file, inflate
        // may still hold output (the rest of a long match): only a call that neither reads
        // nor writes a byte says the file ends inside the member.
        if made == 0 && inputBefore == 0 && fileEnded { pending = .truncated }
      case Z_STREAM_END: memberOpen = false
      default:
        let message = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
        pending = .corrupt(message)
      }
      if pending != nil { break }
    }
    if produced == 0, let pending { throw pending }
    return produced
  }
}

/// Inflates on a thread of its own into a ring of blocks, which `read` hands out in order.
///
/// A bounded buffer (Dijkstra's producer and consumer with two counting semaphores): the
/// thread waits for a free block, fills it and signals it filled; `read` waits for a filled
/// block, copies from it and frees it once empty. A block of length 0 ends the stream, with
/// the failure, if any, that ended it.
private final class ReadAhead: @unchecked Sendable {
  private static let blockSize = 1 << 20
  private static let blockCount = 4
  private struct Block {
    let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: ReadAhead.blockSize)
    var count = 0  // 0: the end of the stream
    var compressedEnd = 0  // the inflater's compressed bytes read once the block was full
    var failure: GzipStream.Failure?
  }
  // Raw storage, not an Array: the two threads touch different blocks, and an Array's
  // copy-on-write check would make every write race with the other thread's reads.
  private let blocks = UnsafeMutablePointer<Block>.allocate(capacity: ReadAhead.blockCount)
  private let filled = DispatchSemaphore(value: 0)
  // Made at 0 and signalled once per block: libdispatch traps when a semaphore is freed with a
  // value below the one it was made with, as this one is when the reader stops early.
  private let free = DispatchSemaphore(value: 0)
  private let finished = DispatchSemaphore(value: 0)
  private let cancelled = Atomic<Bool>(false)
  private var stopped = false
  // The reader's side: the block being read, how far, and whether it was taken from `filled`.
  private var current = 0
  private var position = 0
  private var holding = false
  private var ended = false
  private(set) var compressedBytesRead: Int

  init(_ inflater: Inflater) {
    compressedBytesRead = inflater.compressedBytesRead
    for i in 0..<Self.blockCount {
      (blocks + i).initialize(to: Block())
      free.signal()
    }
    let thread = Thread { [self] in produce(inflater) }
    thread.name = "churn gzip"
    thread.start()
  }

  deinit {
    for i in 0..<Self.blockCount { blocks[i].bytes.deallocate() }
    blocks.deinitialize(count: Self.blockCount)
    blocks.deallocate()
  }

  private func produce(_ inflater: Inflater) {
    defer { finished.signal() }
    var index = 0
    while true {
      free.wait()
      if cancelled.load(ordering: .acquiring) { return }
      do throws(GzipStream.Failure) {
        blocks[index].count = try inflater.read(into: blocks[index].bytes, capacity: Self.blockSize)
      } catch {
        blocks[index].count = 0
        blocks[index].failure = error
      }
      blocks[index].compressedEnd = inflater.compressedBytesRead
      let last = blocks[index].count == 0
      filled.signal()
      if last { return }
      index = (index + 1) % Self.blockCount
    }
  }

  func read(into destination: UnsafeMutablePointer<UInt8>, capacity: Int) throws(GzipStream.Failure) -> Int {
    var copied = 0
    while copied < capacity && !ended {
      if !holding {
        // Wait for the next block only when nothing was copied yet; else return what there is.
        if copied == 0 { filled.wait() } else if filled.wait(timeout: .now()) == .timedOut { break }
        holding = true
        position = 0
      }
      let block = blocks[current]
      if block.count == 0 {
        // The end, kept as the current block: its failure, if any, is thrown below once
        // nothing is copied (now, or at the next call).
        ended = true
        break
      }
      let n = min(capacity - copied, block.count - position)
      (destination + copied).update(from: block.bytes + position, count: n)
      copied += n
      position += n
      if position == block.count {
        compressedBytesRead = block.compressedEnd
        holding = false
        current = (current + 1) % Self.blockCount
        free.signal()
      }
    }
    if copied == 0, ended, let failure = blocks[current].failure { throw failure }
    return copied
  }

  /// Ends the thread (at once when it waits for a free block, else after the block it fills).
  func stop() {
    if stopped { return }
    stopped = true
    cancelled.store(true, ordering: .releasing)
    free.signal()
    finished.wait()
  }
}

/// A gzip file that ends too early or holds data zlib cannot inflate.
public enum GzipError: Error, Equatable, CustomStringConvertible {
  /// The file ends inside a member after `bytes` bytes of data, in `line` of them (0 when none).
  case truncated(path: String, bytes: Int, line: Int)
  /// zlib refused the data after `bytes` bytes of data (in `line`); `reason` is zlib's message.
  case corrupt(path: String, bytes: Int, line: Int, reason: String)

  public var description: String {
    switch self {
    case .truncated(let path, let bytes, let line):
      return "\(path) is cut short: the gzip stream ends \(Self.place(bytes, line)); expected the complete file: it was "
        + "probably copied or downloaded only in part, so copy it again (gzip -t \(path) checks a file)"
    case .corrupt(let path, let bytes, let line, let reason):
      return "\(path) is damaged: its gzip data cannot be decompressed \(Self.place(bytes, line)) (zlib: \(reason)); "
        + "expected intact gzip data: copy or export the file again (gzip -t \(path) checks a file)"
    }
  }

  private static func place(_ bytes: Int, _ line: Int) -> String {
    bytes == 0 ? "before its first byte of data" : "after \(grouped(bytes)) bytes of data (line \(grouped(line)))"
  }

  /// `n` with commas between groups of three digits: 12,345,678.
  static func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
      out.append(c)
    }
    return (n < 0 ? "-" : "") + out
  }
}
