import ChurnTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

@Suite("churn monthly")
struct MonthlyCommandTests {
  func run(_ dir: TemporaryDirectory, _ extra: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    try runChurn(["monthly", "--events", dir.file("events.csv"), "--customers", dir.file("customers.csv"), "--cutoffs", MonthlyFixture.cutoffs,
                  "--horizon", MonthlyFixture.horizon, "--threads", "1"] + extra)
  }

  /// The fixture's analysis as worked out by hand (see `MonthlyFixture`).
  static let expected = """
    14 labelled rows at 2 cutoffs (2025-02-01 to 2025-03-01), 3 churned (churn rate 21.4%).

    Churn rate by cutoff (Wilson 95% interval):
    cutoff          rows  churned  churn rate (95% CI)
    2025-02-01         8        2  25.0% (7.1–59.1%)
    2025-03-01         6        1  16.7% (3.0–56.4%)

    Churn rate by industry, all cutoffs:
    level          rows  churned  churn rate (95% CI)
    retail            5        2  40.0% (11.8–76.9%)
    technology        5        1  20.0% (3.6–62.4%)
    (blank)           2        0  0.0% (0.0–65.8%)
    finance           2        0  0.0% (0.0–65.8%)

    Churn rate by size, all cutoffs:
    level          rows  churned  churn rate (95% CI)
    small             7        1  14.3% (2.6–51.3%)
    large             5        2  40.0% (11.8–76.9%)
    mid               2        0  0.0% (0.0–65.8%)

    Churned against retained: each level's share of the 3 churned rows and of the 11 retained rows, the difference in points with Newcombe's 95% interval; all 7, largest first:
    attribute = level       churned  retained  difference (95% CI)         churn rate
    industry = retail         66.7%     27.3%  +39.4 (-15.1 to +71.7)      40.0%
    size = large              66.7%     27.3%  +39.4 (-15.1 to +71.7)      40.0%
    size = small              33.3%     54.5%  -21.2 (-57.6 to +31.8)      14.3%
    industry = (blank)         0.0%     18.2%  -18.2 (-47.7 to +39.5)      0.0%
    industry = finance         0.0%     18.2%  -18.2 (-47.7 to +39.5)      0.0%
    size = mid                 0.0%     18.2%  -18.2 (-47.7 to +39.5)      0.0%
    industry = technology     33.3%     36.4%  -3.0 (-42.2 to +47.5)       20.0%

    Satisfaction (survey mean) and NPS (nps: promoters% − detractors%) by month, beside the churn rate of the cutoffs in the month:
    month     surveys  satisfaction  answers     NPS    rows  churn rate
    2025-01         2         70.00        5     0.0       0           -
    2025-02         0             -        2    50.0       8       25.0%
    2025-03         1         90.00        0       -       6       16.7%
    2025-04         0             -        1  -100.0       0           -
    Correlation with the churn rate of the month (Pearson, Fisher-z interval): satisfaction undefined (1 month with both); NPS undefined (1 month with both).
    note: account_manager left out: 8 levels (more than 4); name it with --attributes to include it
    note: 1 survey event without a value left out of satisfaction
    note: 1 nps event without a value left out of NPS
    note: 2 nps events with a value outside 0–10 left out of NPS (NPS answers are 0 to 10)

    """

  final class Collector: NSObject, XMLParserDelegate {
    var ids: [String] = []
    var elements: Set<String> = []
    var references: [String] = []
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
      elements.insert(name.lowercased())
      if let id = attributes["id"] { ids.append(id) }
      for (key, value) in attributes where ["src", "href", "xlink:href", "data", "action", "srcset"].contains(key.lowercased()) {
        references.append("\(name) \(key)=\(value)")
      }
    }
  }

  /// Problems of a page: not well-formed, a section missing, anything fetched from elsewhere.
  static func problems(_ html: String) -> [String] {
    var problems: [String] = []
    let parser = XMLParser(data: Data(html.utf8))
    let collector = Collector()
    parser.delegate = collector
    // On Linux parse() can return true with an error recorded: check both.
    if !parser.parse() || parser.parserError != nil { problems.append("not well formed at line \(parser.lineNumber)") }
    if collector.ids != ["summary", "overall", "attributes", "profiles", "months", "notes"] { problems.append("sections \(collector.ids)") }
    for element in ["script", "link", "iframe", "img", "object", "embed"] where collector.elements.contains(element) { problems.append("<\(element)>") }
    problems += collector.references.map { "external reference: \($0)" }
    for needle in ["http:", "https:", "@import", "url(", "//fonts."] where html.contains(needle) { problems.append("contains \(needle)") }
    return problems
  }

  @Test("The analysis of the hand-built log, exactly; a directory gets the page and three CSV files")
  func directory() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try MonthlyFixture.write(to: dir)
    let printed = try run(dir, ["--max-levels", "4"])
    #expect(printed.status == 0, "\(printed.stderr)")
    #expect(printed.stdout == Self.expected)
    let out = try run(dir, ["--max-levels", "4", "--out", dir.file("monthly")])
    #expect(out.status == 0 && out.stdout == Self.expected)
    #expect(out.stderr.hasSuffix("monthly: written to \(dir.file("monthly")) (monthly.html, rates.csv, profiles.csv, months.csv)\n"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("monthly")).sorted() == ["monthly.html", "months.csv", "profiles.csv", "rates.csv"])
    let months = try String(contentsOfFile: dir.file("monthly/months.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
    #expect(months.count == 5 && months[4] == "2025-04,0,,1,0,0,1,-100.0,0,0,0,0,,,")
    let profiles = try String(contentsOfFile: dir.file("monthly/profiles.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
    #expect(profiles.map { $0.split(separator: ",").prefix(2).joined(separator: ",") }
      == ["attribute,level", "industry,retail", "size,large", "size,small", "industry,(blank)", "industry,finance", "size,mid", "industry,technology"])
    let rates = try String(contentsOfFile: dir.file("monthly/rates.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
    #expect(rates.count == 17 && rates[2].hasPrefix("(all),(all),2025-03-01,6,1,0.16666666666666666,"))
    let html = try String(contentsOfFile: dir.file("monthly/monthly.html"), encoding: .utf8)
    #expect(Self.problems(html) == [])
    #expect(html.contains("industry = retail") && html.contains("retail: 40.0% of 5 rows") && html.contains("<td class=\"n\">-100.0</td>"))
  }

  @Test("A .html name gets the page alone, a .json name every number; --attributes names the columns")
  func files() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try MonthlyFixture.write(to: dir)
    let page = try run(dir, ["--out", dir.file("m.html")])
    #expect(page.status == 0, "\(page.stderr)")
    #expect(Self.problems(try String(contentsOfFile: dir.file("m.html"), encoding: .utf8)) == [])
    // With the default --max-levels 12, account_manager's 8 levels are in.
    #expect(page.stdout.contains("Churn rate by account_manager, all cutoffs:"))
    let json = try run(dir, ["--attributes", "size", "--out", dir.file("m.json")])
    #expect(json.status == 0, "\(json.stderr)")
    let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("m.json")))) as! [String: Any]
    #expect(document["labelledRows"] as? Int == 14 && document["churned"] as? Int == 3)
    let trends = document["trends"] as! [[String: Any]]
    #expect(trends.map { $0["attribute"] as! String } == ["size"])
    let months = document["months"] as! [[String: Any]]
    #expect(months.map { $0["nps"] as? Double } == [0, 50, nil, -100] && months[2]["nps"] as? String == "nan")
    let overall = document["overall"] as! [[String: Any]]
    #expect(overall.map { $0["cutoff"] as! String } == ["2025-02-01", "2025-03-01"])
  }

  @Test("Flags that cannot work are refused with their message; a library error stops with its own")
  func errors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try MonthlyFixture.write(to: dir)
    let stdout = try run(dir, ["--out", "-"])
    #expect(stdout.status == 64)
    #expect(stdout.stderr.hasPrefix("Error: --out - is not supported: the monthly analysis writes a page or files; give a .html or .json name or a directory\n"))
    let both = try run(dir, ["--attributes", "size", "--max-levels", "3"])
    #expect(both.status == 64 && both.stderr.hasPrefix("Error: --max-levels applies only without --attributes (which names the columns); drop one\n"))
    let small = try run(dir, ["--max-levels", "1"])
    #expect(small.status == 64 && small.stderr.hasPrefix("Error: --max-levels 1 is too small; expected 2 or more\n"))
    let empty = try run(dir, ["--attributes", " , "])
    #expect(empty.status == 64 && empty.stderr.hasPrefix("Error: --attributes \" , \" names no column; expected a list such as industry,size\n"))
    let blankType = try run(dir, ["--nps-type", " "])
    #expect(blankType.status == 64 && blankType.stderr.hasPrefix("Error: --survey-type and --nps-type must name event types\n"))
    let help = try runChurn(["monthly", "--help"])
    #expect(help.status == 0 && help.stdout.contains("--survey-type <survey-type>") && help.stdout.contains("(default: nps)"))
    let noEvents = try runChurn(["monthly", "--cutoff", "2025-02-01"])
    #expect(noEvents.status == 64 && noEvents.stderr.hasPrefix("Error: --events is required: the monthly analysis is made from an event log's labelled rows\n"))
    let noCutoffs = try runChurn(["monthly", "--events", dir.file("events.csv")])
    #expect(noCutoffs.status == 64 && noCutoffs.stderr.hasPrefix("Error: give --cutoffs FROM:TO:STEP or --cutoff DATE: the rows analysed\n"))
    try "x".write(toFile: dir.file("file"), atomically: true, encoding: .utf8)
    let onFile = try run(dir, ["--out", dir.file("file")])
    #expect(onFile.status == 64)
    #expect(onFile.stderr.hasPrefix("Error: --out \(dir.file("file")) is a file; expected a .html or .json name, or a directory for monthly.html and the CSV files\n"))
    let unknown = try run(dir, ["--attributes", "sector", "--out", dir.file("m.html")])
    #expect(unknown.status == 1 && unknown.stdout == "")
    #expect(unknown.stderr.hasSuffix("Error: --attributes: \"sector\" is not a categorical column of the customer table (they are industry, size, "
      + "account_manager); expected categorical column names separated by commas\n"))
    #expect(!FileManager.default.fileExists(atPath: dir.file("m.html")))
    // A directory made for a run that fails is not left behind.
    let inDirectory = try run(dir, ["--attributes", "sector", "--out", dir.file("new/monthly")])
    #expect(inDirectory.status == 1 && !FileManager.default.fileExists(atPath: dir.file("new/monthly")))
  }
}
