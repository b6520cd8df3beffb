import ChurnTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// A brief page's problems and the customer ids it lists (`<td class="id">`).
struct BriefPageCheck {
  final class Collector: NSObject, XMLParserDelegate {
    var ids: [String] = []
    var elements: Set<String> = []
    var references: [String] = []
    var inId = false
    var text = ""
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
      elements.insert(name.lowercased())
      if name == "td" && attributes["class"] == "id" { (inId, text) = (true, "") }
      for (key, value) in attributes where ["src", "srcset", "data", "action", "xlink:href"].contains(key.lowercased()) {
        references.append("\(name) \(key)=\(value)")
      }
      // Links only between the brief's own files.
      if let href = attributes["href"], href.contains(":") || href.contains("/") { references.append("\(name) href=\(href)") }
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { if inId { text += string } }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
      if name == "td" && inId { (inId, ids) = (false, ids + [text]) }
    }
  }

  static func check(_ html: String) -> (problems: [String], ids: [String]) {
    var problems: [String] = []
    let parser = XMLParser(data: Data(html.utf8))
    let collector = Collector()
    parser.delegate = collector
    if !parser.parse() || parser.parserError != nil { problems.append("not well formed: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)") }
    for element in ["script", "link", "iframe", "img", "object", "embed"] where collector.elements.contains(element) {
      problems.append("<\(element)> element")
    }
    problems += collector.references.map { "external reference: \($0)" }
    for needle in ["http:", "https:", "@import", "url(", "//fonts."] where html.contains(needle) { problems.append("contains \(needle)") }
    if !html.hasPrefix("<!DOCTYPE html>") { problems.append("no doctype") }
    return (problems, collector.ids)
  }
}

@Suite("churn brief: one page per owner")
struct BriefCommandTests {
  static let demo = GzipInputCommandTests.demo
  static let data = ["--events", demo + "/events.csv", "--customers", demo + "/customers.csv"]

  /// A model of the demo trained with --owner-column account_manager, last week's list (with
  /// the demo's rules) and this week's, made once for the suite.
  struct Prepared: Sendable {
    let dir: String
    var model: String { dir + "/model.json" }
    var previous: String { dir + "/previous.csv" }
    var current: String { dir + "/current.csv" }
  }

  static let prepared: Result<Prepared, any Error> = Result {
    let dir = try TemporaryDirectory()
    let p = Prepared(dir: dir.path)
    let train = try runChurn(["train"] + data + ["--cutoffs", "2025-08-01:2025-11-01:1m", "--horizon", "30d", "--l2", "1",
                                                 "--owner-column", "account_manager", "--out", p.model])
    guard train.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: train.stderr]) }
    for (asOf, out) in [("2025-11-17", p.previous), ("2025-12-01", p.current)] {
      let r = try runChurn(["score", "--model", p.model] + data + ["--as-of", asOf, "--rules", demo + "/rules.csv",
                                                                   "--revenue-column", "monthly_revenue", "--out", out])
      guard r.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: r.stderr]) }
    }
    return p
  }

  /// Manager of every customer of the demo's customers.csv.
  static func managers() throws -> [String: String] {
    let table = try csvRecords(demo + "/customers.csv")
    let id = try #require(table.header.firstIndex(of: "customer_id")), manager = try #require(table.header.firstIndex(of: "account_manager"))
    return Dictionary(uniqueKeysWithValues: table.rows.map { ($0[id], $0[manager]) })
  }

  /// The rows of a CSV as dictionaries by header name.
  static func rows(_ path: String) throws -> [[String: String]] {
    let table = try csvRecords(path)
    return table.rows.map { Dictionary(uniqueKeysWithValues: zip(table.header, $0)) }
  }

  static func slug(_ name: String) -> String {
    name.lowercased().split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }.joined(separator: "-")
  }

  @Test("The demo's brief: a page and a CSV per manager, each listing only that manager's customers, every page well formed and self-contained")
  func pagePerManager() throws {
    let p = try Self.prepared.get()
    let out = p.dir + "/brief"
    let r = try runChurn(["brief", "--model", p.model] + Self.data + ["--as-of", "2025-12-01", "--rules", Self.demo + "/rules.csv",
                                                                      "--revenue-column", "monthly_revenue", "--previous", p.previous, "--out", out])
    #expect(r.status == 0, "\(r.stderr)")
    let managers = try Self.managers()
    let scored = try Self.rows(p.current)
    // Every manager with a customer scored as of 2025-12-01 gets a page, and nothing else does.
    let owning = Set(scored.map { managers[$0["customer_id"]!]! })
    #expect(owning.count == 50)
    let files = try FileManager.default.contentsOfDirectory(atPath: out)
    let pages = Set(files.filter { $0.hasSuffix(".html") && $0 != "index.html" && $0 != "monthly.html" }.map { String($0.dropLast(5)) })
    #expect(pages == Set(owning.map(Self.slug)))
    #expect(Set(files.filter { $0.hasSuffix(".csv") }.map { String($0.dropLast(4)) }) == pages)
    #expect(files.count == 2 * pages.count + 2 && files.contains("monthly.html"))
    let index = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
    #expect(BriefPageCheck.check(index).problems.isEmpty, "index: \(BriefPageCheck.check(index).problems)")
    for manager in owning {
      let html = try String(contentsOfFile: out + "/\(Self.slug(manager)).html", encoding: .utf8)
      let (problems, ids) = BriefPageCheck.check(html)
      #expect(problems.isEmpty, "\(manager): \(problems)")
      #expect(html.contains("<h1>Weekly brief: \(manager)</h1>"))
      #expect(!ids.isEmpty, "\(manager): no customer listed")
      for id in ids { #expect(managers[id] == manager, "\(manager)'s page lists \(id), whose manager is \(managers[id] ?? "nobody")") }
      let csv = try Self.rows(out + "/\(Self.slug(manager)).csv")
      for row in csv {
        #expect(managers[row["customer_id"]!] == manager && row["owner"] == manager, "\(manager)'s CSV: \(row)")
      }
      // The page and the CSV list the same customers.
      #expect(Set(csv.map { $0["customer_id"]! }) == Set(ids))
      #expect(index.contains("<a href=\"\(Self.slug(manager)).html\">\(manager)</a>"))
    }
  }

  @Test("The brief's monthly analysis is churn monthly's over the last 12 month starts whose labels are known, linked from the index; --monthly-cutoffs 0 leaves it out")
  func monthlyAnalysis() throws {
    let p = try Self.prepared.get()
    let out = p.dir + "/brief-monthly"
    let r = try runChurn(["brief", "--model", p.model] + Self.data + ["--as-of", "2025-12-01", "--out", out])
    #expect(r.status == 0, "\(r.stderr)")
    let page = try String(contentsOfFile: out + "/monthly.html", encoding: .utf8)
    #expect(BriefPageCheck.check(page).problems.isEmpty, "\(BriefPageCheck.check(page).problems)")
    // 30-day horizon: 2025-11-01 + 30 days = 2025-12-01, the last month start whose labels are
    // known as of 2025-12-01; twelve of them back to 2024-12-01.
    let alone = try runChurn(["monthly"] + Self.data + ["--cutoffs", "2024-12-01:2025-11-01:1m", "--horizon", "30d", "--out", p.dir + "/monthly.html"])
    #expect(alone.status == 0, "\(alone.stderr)")
    let expected = try String(contentsOfFile: p.dir + "/monthly.html", encoding: .utf8)
    #expect(page == expected.replacingOccurrences(of: "Monthly churn analysis", with: "Monthly churn analysis, as of 2025-12-01"))
    let index = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
    #expect(index.contains("<a href=\"monthly.html\">Churn rate by segment, churned against retained, satisfaction and NPS by month</a>, "
      + "over 12 month starts (2024-12-01 to 2025-11-01)"))
    let none = try runChurn(["brief", "--model", p.model] + Self.data + ["--as-of", "2025-12-01", "--monthly-cutoffs", "0", "--out", out + "-none"])
    #expect(none.status == 0, "\(none.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out + "-none/monthly.html"))
    #expect(try !String(contentsOfFile: out + "-none/index.html", encoding: .utf8).contains("monthly.html"))
    let bad = try runChurn(["brief", "--model", p.model] + Self.data + ["--as-of", "2025-12-01", "--monthly-cutoffs", "61", "--out", out + "-bad"])
    #expect(bad.status == 1 && bad.stderr.contains("--monthly-cutoffs 61 is out of range; expected 0 to 60; fix: pass a count in that range"))
  }

  @Test("New warnings are exactly the customers red or yellow now who were not on last week's list, red first")
  func newWarnings() throws {
    let p = try Self.prepared.get()
    let out = p.dir + "/brief-warnings"
    let r = try runChurn(["brief", "--model", p.model] + Self.data + ["--as-of", "2025-12-01", "--rules", Self.demo + "/rules.csv",
                                                                      "--previous", p.previous, "--out", out])
    #expect(r.status == 0, "\(r.stderr)")
    let warned: Set<String> = ["red", "yellow"]
    let before = Dictionary(uniqueKeysWithValues: try Self.rows(p.previous).map { ($0["customer_id"]!, $0["risk_band"]!) })
    let now = try Self.rows(p.current)
    var expected: [String: Set<String>] = [:]
    for row in now where warned.contains(row["risk_band"]!) && !warned.contains(before[row["customer_id"]!] ?? "") {
      expected[row["owner"]!, default: []].insert(row["customer_id"]!)
    }
    #expect(expected.values.map(\.count).reduce(0, +) > 20, "too few new warnings to test: \(expected)")
    let bandNow = Dictionary(uniqueKeysWithValues: now.map { ($0["customer_id"]!, $0["risk_band"]!) })
    for owner in Set(now.map { $0["owner"]! }) {
      let rows = try Self.rows(out + "/\(Self.slug(owner)).csv").filter { $0["section"] == "new_warning" }
      #expect(Set(rows.map { $0["customer_id"]! }) == expected[owner] ?? [], "\(owner)")
      // Bands as this week's list has them, red before yellow.
      let bands = rows.map { $0["risk_band"]! }
      #expect(bands == bands.sorted { $0 == "red" && $1 != "red" }, "\(owner): \(bands)")
      for row in rows { #expect(row["risk_band"] == bandNow[row["customer_id"]!]) }
    }
    #expect(r.stderr.contains("brief: 50 owners (account_manager), \(expected.values.map(\.count).reduce(0, +)) new warnings; 102 files written to \(out)"),
            "\(r.stderr)")
  }

  @Test("churn score puts each customer's manager on its row; the model stores the owner column, so no flag is needed")
  func scoreOwner() throws {
    let p = try Self.prepared.get()
    let managers = try Self.managers()
    let rows = try Self.rows(p.current)
    let header = try csvRecords(p.current).header
    // owner follows band_from (or change) and comes before the health columns.
    #expect(header.firstIndex(of: "owner").map { header[$0 + 1] } == "health")
    #expect(rows.count > 1000)
    for row in rows { #expect(row["owner"] == managers[row["customer_id"]!]) }
    // The owner is never a feature.
    let model = try String(contentsOfFile: p.model, encoding: .utf8)
    #expect(model.contains("\"ownerColumn\" : \"account_manager\""))
    #expect(model.components(separatedBy: "account_manager").count == 2)
  }

  @Test("Customers with no owner are briefed on the page \"unassigned\"")
  func unassigned() throws {
    let p = try Self.prepared.get()
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    // Managers whose name starts with A lose their customers to nobody.
    let text = try String(contentsOfFile: Self.demo + "/customers.csv", encoding: .utf8)
    var lines = text.split(separator: "\n").map(String.init)
    var orphans = Set<String>()
    for k in 1..<lines.count {
      var fields = lines[k].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      if fields.last!.hasPrefix("A") {
        orphans.insert(fields[0])
        fields[fields.count - 1] = ""
        lines[k] = fields.joined(separator: ",")
      }
    }
    try (lines.joined(separator: "\n") + "\n").write(toFile: dir.file("customers.csv"), atomically: true, encoding: .utf8)
    let r = try runChurn(["brief", "--model", p.model, "--events", Self.demo + "/events.csv", "--customers", dir.file("customers.csv"),
                          "--as-of", "2025-12-01", "--revenue-column", "monthly_revenue", "--key-accounts", "1000", "--out", dir.file("brief")])
    #expect(r.status == 0, "\(r.stderr)")
    let html = try String(contentsOfFile: dir.file("brief/unassigned.html"), encoding: .utf8)
    let (problems, ids) = BriefPageCheck.check(html)
    #expect(problems.isEmpty)
    #expect(html.contains("<h1>Weekly brief: unassigned</h1>"))
    // With every key account listed, the page holds exactly the scored customers with no owner.
    let scored = Set(try Self.rows(p.current).map { $0["customer_id"]! })
    #expect(Set(ids) == orphans.intersection(scored))
    #expect(!FileManager.default.fileExists(atPath: dir.file("brief/aisha-lindqvist.html")))
  }

  @Test("An unknown owner column is refused, naming the near columns; nothing is written")
  func unknownOwnerColumn() throws {
    let p = try Self.prepared.get()
    let out = p.dir + "/never"
    let customers = Self.demo + "/customers.csv"
    let r = try runChurn(["brief", "--model", p.model] + Self.data + ["--as-of", "2025-12-01", "--owner-column", "acount_manager", "--out", out])
    #expect(r.status == 1)
    #expect(r.stderr == "Error: \(customers): no owner column \"acount_manager\" (near: account_manager); the header has customer_id, industry, "
      + "size, region, tier, plan, monthly_revenue, signup_date, churn_date, account_manager; fix: pass --owner-column with the column "
      + "that names each customer's owner, such as account_manager\n")
    #expect(!FileManager.default.fileExists(atPath: out))
    let score = try runChurn(["score", "--model", p.model] + Self.data + ["--as-of", "2025-12-01", "--owner-column", "manager"])
    #expect(score.stderr.hasPrefix("Error: \(customers): no owner column \"manager\" (near: account_manager); the header has"))
    let id = try runChurn(["score", "--model", p.model] + Self.data + ["--as-of", "2025-12-01", "--owner-column", "customer_id"])
    #expect(id.stderr == "Error: \(customers): --owner-column customer_id is the customer id column; expected a column naming each customer's owner; "
      + "fix: pass the owner's column, such as account_manager\n")
  }

  @Test("A model without an owner column and no --owner-column: the brief says how to name one")
  func noOwnerColumn() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let train = try runChurn(["train"] + Self.data + ["--cutoffs", "2025-10-01:2025-11-01:1m", "--l2", "1", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    // Without the flag the manager column is no feature either: 50 levels for 2,000 customers reads as a name.
    #expect(train.stderr.contains("note: column account_manager left out of the features: 50 levels for 2000 customers (40 a level on average) "
      + "reads as a name or an id; name it in --categorical to use it as a feature, or --owner-column to put it on the lists"))
    #expect(!(try String(contentsOfFile: dir.file("m.json"), encoding: .utf8)).contains("\"name\" : \"account_manager\""))
    let r = try runChurn(["brief", "--model", dir.file("m.json")] + Self.data + ["--as-of", "2025-12-01", "--out", dir.file("brief")])
    #expect(r.status == 1)
    #expect(r.stderr == "Error: \(dir.file("m.json")) names no owner column and none was given; expected the customer-table column that names "
      + "each customer's owner; fix: pass --owner-column COLUMN (such as account_manager), or train the model with --owner-column\n")
    #expect(!FileManager.default.fileExists(atPath: dir.file("brief")))
  }

  @Test("A run that fails part way writes nothing: a bad previous list, an output in the way")
  func atomic() throws {
    let p = try Self.prepared.get()
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try "rank,customer_id,churn_probability,risk_band\n1,C000001,2.5,red\n".write(toFile: dir.file("bad.csv"), atomically: true, encoding: .utf8)
    let bad = try runChurn(["brief", "--model", p.model] + Self.data + ["--as-of", "2025-12-01", "--previous", dir.file("bad.csv"), "--out", dir.file("b1")])
    #expect(bad.status == 1)
    #expect(!FileManager.default.fileExists(atPath: dir.file("b1")))
    // A directory where the index page goes: no owner's page is written either.
    try FileManager.default.createDirectory(atPath: dir.file("b2/index.html"), withIntermediateDirectories: true)
    let blocked = try runChurn(["brief", "--model", p.model] + Self.data + ["--as-of", "2025-12-01", "--out", dir.file("b2")])
    #expect(blocked.status == 1)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("b2")) == ["index.html"])
  }

  @Test("Counts out of range are refused with their range")
  func counts() throws {
    let p = try Self.prepared.get()
    let r = try runChurn(["brief", "--model", p.model] + Self.data + ["--as-of", "2025-12-01", "--trend-points", "0", "--out", p.dir + "/never2"])
    #expect(r.stderr == "Error: --trend-points 0 is out of range; expected 1 to 24; fix: pass a count in that range\n")
  }

  @Test("A prepared table's owner column: train leaves it out of the inputs and stores it; score --table puts it on every row")
  func tableOwner() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let telco = try csvRecords(TrainScoreCommandTests.telco)
    let id = try #require(telco.header.firstIndex(of: "customerid"))
    var text = (telco.header + ["rep"]).joined(separator: ",") + "\n"
    var repOf: [String: String] = [:]
    for (k, row) in telco.rows.enumerated() {
      let rep = k % 7 == 0 ? "" : "Rep \(k % 3)"  // 3 levels: no name-like rule; blanks are no owner
      repOf[row[id]] = rep
      text += (row.map(CSVFieldQuote.quote) + [rep]).joined(separator: ",") + "\n"
    }
    try text.write(toFile: dir.file("t.csv"), atomically: true, encoding: .utf8)
    let train = try runChurn(["train", "--table", dir.file("t.csv"), "--id", "customerid", "--label", "churn", "--l2", "1",
                              "--owner-column", "REP", "--out", dir.file("m.json")])
    #expect(train.status == 0, "\(train.stderr)")
    let model = try String(contentsOfFile: dir.file("m.json"), encoding: .utf8)
    #expect(model.contains("\"ownerColumn\" : \"REP\"") && !model.contains("\"rep\""))
    let score = try runChurn(["score", "--model", dir.file("m.json"), "--table", dir.file("t.csv"), "--out", dir.file("r.csv")])
    #expect(score.status == 0, "\(score.stderr)")
    let rows = try Self.rows(dir.file("r.csv"))
    #expect(rows.count == telco.rows.count)
    for row in rows { #expect(row["owner"] == repOf[row["customerid"]!]) }
    let label = try runChurn(["train", "--table", dir.file("t.csv"), "--id", "customerid", "--label", "churn", "--owner-column", "churn",
                              "--out", dir.file("m2.json")])
    #expect(label.stderr == "Error: \(dir.file("t.csv")): --owner-column churn is the label column; expected a column naming each customer's owner; "
      + "fix: pass the owner's column, such as account_manager\n")
  }
}

/// A CSV field quoted when it needs it.
enum CSVFieldQuote {
  static func quote(_ s: String) -> String {
    s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
  }
}
