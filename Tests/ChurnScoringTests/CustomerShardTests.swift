import ChurnCore
import ChurnTestSupport
import Foundation
import Testing

@testable import ChurnScoring

@Suite("CustomerShard: a stable hash of the id; RankedList.merge of parts")
struct CustomerShardTests {
  @Test("FNV-1a 64 of fixed ids equals values computed independently (Python), so the shards cannot drift")
  func pinnedHashes() {
    // Python: h = 14695981039346656037; for b in id.encode(): h = ((h ^ b) * 1099511628211) % 2**64
    let pinned: [(String, UInt64, Int)] = [
      ("", 14_695_981_039_346_656_037, 1), ("C000001", 1_892_450_728_066_757_717, 1), ("C000002", 1_892_447_429_531_873_084, 0),
      ("007", 5_656_221_068_875_067_950, 2), ("7", 12_638_132_224_974_231_446, 2), ("Zoë", 1_703_406_763_299_003_580, 0),
    ]
    for (id, hash, shard) in pinned {
      #expect(CustomerShard.hash(id) == hash, "\(id)")
      #expect(CustomerShard.shard(of: id, count: 4) == shard, "\(id)")
    }
    // Leading zeros count: "007" and "7" are different customers (here they share a shard of 4, not a hash).
    #expect(CustomerShard.hash("007") != CustomerShard.hash("7"))
  }

  @Test("The shards partition the customers: every id in exactly one shard, for 1 to 7 shards")
  func partition() throws {
    let ids = (0..<5000).map { String(format: "C%06d", $0) } + ["a", "ü", " x", "007", "7"]
    for n in 1...7 {
      let shards = try (0..<n).map { try CustomerShard(index: $0, count: n) }
      for id in ids { #expect(shards.filter { $0.contains(id) }.count == 1, "\(id) in \(n) shards") }
      // Roughly even: each shard of n holds within 20% of its share of 5000 ids.
      for shard in shards where n > 1 {
        let held = ids.filter(shard.contains).count
        #expect(abs(Double(held) - Double(ids.count) / Double(n)) < 0.2 * Double(ids.count) / Double(n), "shard \(shard): \(held)")
      }
    }
  }

  @Test("i/n is parsed and checked, errors exactly")
  func parsing() throws {
    #expect(try CustomerShard(parsing: "3/4") == CustomerShard(index: 3, count: 4))
    #expect(try CustomerShard(parsing: "0/1").description == "0/1")
    for text in ["4/4", "-1/4", "0/0"] {
      #expect(throws: CustomerShardError.outOfRange(text: text)) { try CustomerShard(parsing: text) }
    }
    for text in ["1", "1/", "a/4", "1/4/2", ""] {
      #expect(throws: CustomerShardError.malformed(text: text)) { try CustomerShard(parsing: text) }
    }
    #expect("\(CustomerShardError.outOfRange(text: "4/4"))"
      == "--shard 4/4: expected i/n with 0 ≤ i < n (shards are numbered from 0: 0/4, 1/4, 2/4, 3/4); fix: give a shard from 0 to n − 1")
  }

  @Test("Parts written with every digit merge into the list of all rows, byte for byte, where 6 digits would tie")
  func mergeOfNearTies() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var generator = SeededGenerator(seed: 7)
    // Probabilities that print alike at 6 decimals but differ after, exact ties, and ids out of order.
    var rows: [RiskRow] = []
    for k in 0..<400 {
      let p = k % 3 == 0 ? 0.25 : 0.123456 + Double(generator.next() % 1000) * 1e-10 + Double(k % 7) * 1e-6
      var row = RiskRow(id: "C\((k * 7919) % 1000)", probability: p, band: p > 0.2 ? "red" : "green",
                        reasons: k < 390 ? ["reason \(k)"] : [], revenueAtRisk: k % 5 == 0 ? nil : p * 123.456789, segment: "s\(k % 4)")
      row.owner = k % 6 == 0 ? nil : "owner, \(k % 3)"
      rows.append(row)
    }
    var whole = RankedList(rows)
    whole.showsOwners = true
    // Reasons only for the first 100 ranks, as a run with --reasons 100 gives them.
    var limited = rows
    let top = Set(whole.rows.prefix(100).map(\.id))
    for k in limited.indices where !top.contains(limited[k].id) { limited[k].reasons = [] }
    whole = RankedList(limited)
    whole.showsOwners = true
    try whole.write(to: dir.file("whole.csv"), idHeader: "customer_id")

    var parts: [PartialList] = []
    for p in 0..<3 {
      // Each part gives reasons to its own riskiest 100, as a shard scored with --reasons 100 does.
      var part = RankedList(rows.enumerated().filter { $0.offset % 3 == p }.map(\.element))
      part.showsOwners = true
      let mine = Set(part.rows.prefix(100).map(\.id))
      var own = rows.enumerated().filter { $0.offset % 3 == p }.map(\.element)
      for k in own.indices where !mine.contains(own[k].id) { own[k].reasons = [] }
      part = RankedList(own)
      part.showsOwners = true
      try part.write(to: dir.file("part\(p).csv"), idHeader: "customer_id", partial: true)
      parts.append(try PartialList(path: dir.file("part\(p).csv")))
    }
    let merged = try RankedList.merge(parts, reasons: 100)
    try merged.write(to: dir.file("merged.csv"), idHeader: "customer_id")
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("merged.csv"))) == Data(contentsOf: URL(fileURLWithPath: dir.file("whole.csv"))))
    #expect(merged.rows.map(\.probability) == whole.rows.map(\.probability))
    // The same parts written at 6 digits would not tell these apart.
    let sixDigits = Set(rows.map { String(format: "%.6f", $0.probability) }).count
    #expect(sixDigits < Set(rows.map(\.probability)).count)
  }
}
