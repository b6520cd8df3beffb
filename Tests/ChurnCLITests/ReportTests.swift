import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// What a reader's browser would object to: malformed markup, missing sections, anything
/// fetched from elsewhere.
struct ReportCheck {
  static let sections = ["summary", "roc", "precision-recall", "lift", "gains", "calibration", "scores", "weights", "attribution",
                         "cohorts", "categories", "drift", "ranked-list"]

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
      if let style = attributes["style"], style.contains("url(") { references.append("\(name) style url(") }
    }
  }

  /// Problems found in `html`, empty when it is well formed, complete and self-contained.
  static func problems(_ html: String) -> [String] {
    var problems: [String] = []
    let parser = XMLParser(data: Data(html.utf8))
    let collector = Collector()
    parser.delegate = collector
    // On Linux parse() can return true with an error recorded: check both.
    if !parser.parse() || parser.parserError != nil { problems.append("not well formed: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)") }
    for id in sections where !collector.ids.contains(id) { problems.append("section \(id) missing") }
    for element in ["script", "link", "iframe", "img", "object", "embed"] where collector.elements.contains(element) {
      problems.append("<\(element)> element")
    }
    problems += collector.references.map { "external reference: \($0)" }
    for needle in ["http:", "https:", "@import", "url(", "//fonts."] where html.contains(needle) { problems.append("contains \(needle)") }
    return problems
  }
}

@Suite("The HTML report")
struct ReportTests {
  @Test("The checker catches what it should")
  func checker() {
    #expect(ReportCheck.problems("<html><body><p>unclosed</body></html>").contains { $0.hasPrefix("not well formed") })
    let good = "<!DOCTYPE html><html><body>" + ReportCheck.sections.map { "<section id=\"\($0)\"></section>" }.joined() + "</body></html>"
    #expect(ReportCheck.problems(good).isEmpty)
    #expect(ReportCheck.problems(good.replacingOccurrences(of: "<body>", with: "<body><img src=\"https://x.example/a.png\"/>")).count >= 2)
    #expect(ReportCheck.problems(good.replacingOccurrences(of: "<section id=\"drift\"></section>", with: "")) == ["section drift missing"])
  }
}
