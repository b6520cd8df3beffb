@testable import ChurnPipeline
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

@Suite("The weekly brief's files")
struct WeeklyBriefTests {
  @Test("File names: lower-case ASCII words joined by hyphens, distinct, never index or unassigned")
  func fileNames() {
    let owners = ["Maria Keller", "maria  keller!", "Index", "Unassigned", "María Núñez", "—", "O'Brien, Pat", ""]
    let names = BriefFileNames(owners: owners, unassigned: true)
    #expect(owners.map { names.stem(for: $0) } == ["maria-keller", "maria-keller-2", "index-2", "unassigned-2", "mar-a-n-ez", "owner",
                                                   "o-brien-pat", "owner-2"])
    #expect(names.stem(for: nil) == "unassigned")
  }

  @Test("An owner's name with markup characters stays text: the page is still well-formed XML")
  func escaping() throws {
    let account = WeeklyBrief.Account(id: "C<1>&\"2\"", owner: "A & <B>", probability: 0.25, band: "red", bandSource: "rules",
                                      warnings: ["x < 3 & y"], reasons: ["plan is <basic> (+2.0 pts)"], monthlyRevenue: 10,
                                      previousProbability: nil, previousBand: nil, trend: [nil, 0.1, 0.25])
    let owner = WeeklyBrief.OwnerBrief(owner: "A & <B>", fileStem: "a-b", customers: 1, red: 1, yellow: 0, newWarnings: [account], movers: [],
                                       keyAccounts: [account])
    let brief = WeeklyBrief(asOf: "2025-12-01", ownerColumn: "rep\u{1}", idHeader: "customer_id", previous: "last <week>.csv",
                            revenueColumn: "monthly_revenue", usesRules: true, trendCutoffs: ["2025-10-01", "2025-11-01", "2025-12-01"], owners: [owner])
    for (name, html) in [("page", brief.html(for: owner)), ("index", brief.indexHTML())] {
      let parser = XMLParser(data: Data(html.utf8))
      #expect(parser.parse() && parser.parserError == nil, "\(name): \(parser.parserError.map { "\($0)" } ?? "")")
      #expect(html.contains("A &amp; &lt;B&gt;"), "\(name)")
    }
    #expect(brief.csv(for: owner).split(separator: "\n").map(String.init) == [
      "section,customer_id,owner,churn_probability,risk_band,band_from,warnings,previous_probability,previous_band,change,monthly_revenue,reason_1,reason_2,reason_3,trend",
      "new_warning,\"C<1>&\"\"2\"\"\",A & <B>,0.250000,red,rules,x < 3 & y,,,new,10.00,plan is <basic> (+2.0 pts),,,;0.100000;0.250000",
      "key_account,\"C<1>&\"\"2\"\"\",A & <B>,0.250000,red,rules,x < 3 & y,,,new,10.00,plan is <basic> (+2.0 pts),,,;0.100000;0.250000",
    ])
  }
}
