//! The HTML report's hooks, its failures-first layout and its per-rule
//! counts, checked on the sample report.

use super::super::tests::sample;
use super::*;

#[test]
fn every_case_and_cited_rule_has_its_hooks() {
    let catalog = Catalog::embedded().expect("catalog");
    let html = render(&sample(), &catalog);
    for (id, value) in [
        ("count-total", 5),
        ("count-passed", 2),
        ("count-failed", 2),
        ("count-ignored", 1),
        ("count-expected-fail", 1),
        ("count-unexpected-pass", 1),
    ] {
        assert!(
            html.contains(&format!("id=\"{id}\">{value}</strong>")),
            "{id} = {value}"
        );
    }
    assert_eq!(html.matches("<tr class=\"case\" ").count(), 5);
    assert_eq!(html.matches("<details class=\"case-detail\" ").count(), 5);
    // Four cases cite the rule; the unexpected pass cites none.
    assert_eq!(html.matches("<td class=\"cell ").count(), 4);
    assert!(html.contains("data-rule=\"ident.either-id-suffices\" data-level=\"MUST\""));
    assert!(html.contains("&lt;b&gt;&amp;&quot;quoted&quot;\u{FFFD}"));
    assert!(!html.contains("<script"));
    assert!(
        !html.contains("http://") && !html.contains("src="),
        "no external asset"
    );
}

#[test]
fn the_page_opens_with_the_failures_and_a_rules_counts_add_up() {
    let catalog = Catalog::embedded().expect("catalog");
    let html = render(&sample(), &catalog);
    // The failures come first, before the summary and the matrix, each
    // linked to its details with its first difference.
    let failures = html.find("<section id=\"failures\">").expect("failures");
    assert!(failures < html.find("<section id=\"summary\">").expect("summary"));
    assert!(html.contains("<h2>Failures (2)</h2>"), "{html}");
    let fails_at = 1 + sample()
        .cases
        .iter()
        .position(|case| case.name == "server/a/fails")
        .expect("the failing case");
    assert!(
        html.contains(&format!(
            "<li data-case=\"server/a/fails\"><a href=\"#case-{fails_at}\">server/a/fails</a>"
        )),
        "{html}"
    );
    assert!(html.contains("<code>step 1 (cancel): result.resultCode [rule result.code-status-pairing]: expected SUCCESS, actual &lt;PROCESS_FAIL&gt;</code>"));
    assert!(html.contains(&format!("id=\"case-{fails_at}\"")));
    // Four cases cite the rule: one each of pass, fail, ignored and
    // expected failure; the rule's verdict is its worst case that ran.
    assert!(
        html.contains("<span class=\"badge fail\">fail</span> <small>1 pass · 1 fail · 1 ignored · 1 expected failure</small>"),
        "{html}"
    );
    assert!(html.contains("<dd id=\"profile\">apo</dd>"));
    assert!(html.contains("<dd id=\"control-plane\">absent (probe answered HTTP 404)</dd>"));
}

#[test]
fn a_rule_whose_cases_passed_or_were_ignored_passes() {
    let cases = [
        super::super::tests::record("server/a/one", Outcome::Pass, &[]),
        super::super::tests::record("server/a/two", Outcome::Ignored, &[]),
    ];
    assert_eq!(rule_outcome(cases.iter()), Some(Outcome::Pass));
    assert_eq!(breakdown(cases.iter()), "1 pass · 1 ignored");
    assert_eq!(rule_outcome(cases[1..].iter()), Some(Outcome::Ignored));
    assert_eq!(rule_outcome([].iter()), None);
}
