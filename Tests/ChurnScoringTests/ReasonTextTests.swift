import ChurnCore
import ChurnScoring
import Testing

@Suite("Reasons in words")
struct ReasonTextTests {
  @Test("A column's contribution becomes a phrase with the customer's own value and the points", arguments: [
    ("count_complaint_30d", ColumnContribution.Value.number(4), 0.1104, "complaints in last 30 days = 4 (+11.0 pts)"),
    ("count_upsell_declined_90d", .number(3), 0.02, "upsell declined in last 90 days = 3 (+2.0 pts)"),
    ("mean_resolution_90d", .number(8.66), 0.061, "average resolution value in last 90 days = 8.66 (+6.1 pts)"),
    ("mean_payment_30d", .missing, 0.038, "no payment in last 30 days (+3.8 pts)"),
    ("days_since_last_login", .missing, 0.01, "no login ever (+1.0 pts)"),
    ("days_since_last_login", .number(37.6), 0.034, "days since last login = 37.6 (+3.4 pts)"),
    ("pct_change_count_login_30d", .number(-0.6), 0.025, "change in logins vs the 30 days before = -60% (+2.5 pts)"),
    ("rising_months_complaint", .number(3), 0.021, "months in a row of rising complaints = 3 (+2.1 pts)"),
    ("streak_upsell_declined", .number(3), 0.012, "upsell declined in a row = 3 (+1.2 pts)"),
    ("pct_change_sum_order_90d", .number(-0.45), 0.018, "change in order value vs the 90 days before = -45% (+1.8 pts)"),
    ("plan", .level("basic"), 0.007, "plan is basic (+0.7 pts)"),
    ("internetservice", .level("Fiber optic"), 0.078, "internetservice is Fiber optic (+7.8 pts)"),
    ("tenure", .number(2), 0.031, "tenure = 2 (+3.1 pts)"),
    ("rfm_segment", .level("needs_attention"), 0.012, "RFM segment is needs_attention (+1.2 pts)"),
    ("totalcharges", .missing, 0.002, "totalcharges is missing (+0.2 pts)"),
    ("contract", .missing, 0.05, "contract is missing (+5.0 pts)"),
    ("tenure_days", .number(120), 0.015, "days as a customer = 120 (+1.5 pts)"),
    ("monthly_revenue", .number(1234.5), 0.004, "monthly revenue = 1234.5 (+0.4 pts)"),
    ("btyd_p_alive", .number(0.36), 0.015, "chance still buying (BG/NBD) = 0.36 (+1.5 pts)"),
    ("btyd_expected_purchases", .number(0.2), 0.034, "expected purchases in the horizon (BG/NBD) = 0.20 (+3.4 pts)"),
    // Never +0.0 / -0.0 pts, -0.00 or nan: a contribution under 0.05 points, a small value, a flat change, a nan value.
    ("tenure", .number(3), 0.0004, "tenure = 3 (+<0.1 pts)"),
    ("discount", .number(-0.001), 0.02, "discount = -0.001 (+2.0 pts)"),
    ("discount", .number(0.0042), 0.02, "discount = 0.0042 (+2.0 pts)"),
    ("discount", .number(-0.0), 0.02, "discount = 0 (+2.0 pts)"),
    ("pct_change_count_login_30d", .number(-0.001), 0.025, "change in logins vs the 30 days before = -<1% (+2.5 pts)"),
    ("pct_change_count_login_30d", .number(0), 0.025, "change in logins vs the 30 days before = 0% (+2.5 pts)"),
    ("discount", .number(.nan), 0.02, "discount is missing (+2.0 pts)"),
  ])
  func reasons(column: String, value: ColumnContribution.Value, contribution: Double, expected: String) {
    #expect(ReasonText.reason(ColumnContribution(column: column, value: value, contribution: contribution)) == expected)
  }
}
