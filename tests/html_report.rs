//! The reports agree with the run that wrote them. One run of the server
//! half, with every outcome present (passes, a mismatch, a bug in a case,
//! ignored cases, an expected failure, an unexpected pass), writes JUnit,
//! JSON and HTML; each must count what libtest's summary line counts.
//!
//! The HTML page is also opened in a real browser (Debian's `chromium`,
//! headless) and read back from the DOM it built, so that markup a browser
//! would repair or drop (a stray element in a table, an unclosed tag) shows
//! as a wrong count. That test needs chromium and is run by `.ci/run`.

mod browser_support;
mod cli_support;
use browser_support::{dump_dom, require_chromium};
use cli_support::isolated_command;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cc-html-report-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("dir entry").path();
        let target = to.join(path.file_name().expect("file name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy file");
        }
    }
}

/// The libtest summary line's numbers: passed, failed, ignored, filtered out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Summary {
    passed: u64,
    failed: u64,
    ignored: u64,
    filtered_out: u64,
}

fn summary_of(stdout: &str) -> Summary {
    let line = stdout
        .lines()
        .find(|line| line.starts_with("test result:"))
        .unwrap_or_else(|| panic!("no summary line in the run's output:\n{stdout}"));
    let number = |label: &str| -> u64 {
        let at = line
            .find(&format!(" {label}"))
            .unwrap_or_else(|| panic!("`{label}` missing from `{line}`"));
        line[..at]
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no number before `{label}` in `{line}`"))
    };
    Summary {
        passed: number("passed"),
        failed: number("failed"),
        ignored: number("ignored"),
        filtered_out: number("filtered out"),
    }
}

/// A run whose reports have something of every kind to show.
struct Run {
    dir: PathBuf,
    summary: Summary,
    json: Value,
    junit: String,
    html: PathBuf,
}

fn run_with_every_outcome(tag: &str) -> Run {
    let dir = scratch(tag);
    let cases = dir.join("cases");
    copy_dir(&root().join("cases/server"), &cases.join("server"));
    let original = std::fs::read_to_string(
        root().join("cases/server/refund/fully-refunded-card-is-process-fail.yaml"),
    )
    .expect("a case to vary");
    assert!(original.contains("result_code: PROCESS_FAIL"));
    let wrong = original.replace(
        "result_code: PROCESS_FAIL",
        "result_code: ORDER_STATUS_INVALID",
    );
    let extra = cases.join("server/zz-report");
    std::fs::create_dir_all(&extra).expect("extra cases dir");
    std::fs::write(extra.join("wrong-code.yaml"), &wrong).expect("write case");
    std::fs::write(extra.join("wrong-code-known.yaml"), &wrong).expect("write case");
    std::fs::write(
        extra.join("misspelled.yaml"),
        "description: A case whose steps key is misspelled.\nrules: [refund.fully-refunded-process-fail]\nstepz: []\n",
    )
    .expect("write case");
    let expectations = dir.join("expectations.yaml");
    std::fs::write(
        &expectations,
        "expected_failures:\n  - case: server/zz-report/wrong-code-known\n    reason: the report test lists it\n  - case: server/refund/fully-refunded-is-process-fail\n    reason: listed although it passes\n",
    )
    .expect("write expectations");
    let (junit, json, html) = (
        dir.join("reports/report.xml"),
        dir.join("reports/results.json"),
        dir.join("reports/report.html"),
    );
    let mut command = isolated_command(&dir);
    command
        .arg("run")
        .arg("--cases")
        .arg(&cases)
        .arg("--expectations")
        .arg(&expectations)
        // Without another client id the ACCESS_DENIED cases are ignored.
        .args(["--other-client-id", "none", "--test-threads", "4"])
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .arg("--html")
        .arg(&html);
    let output = command.output().expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(101),
        "a run with failing cases exits 101\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = summary_of(&stdout);
    Run {
        summary,
        json: serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON report"))
            .expect("the JSON report parses"),
        junit: std::fs::read_to_string(&junit).expect("the JUnit report"),
        html,
        dir,
    }
}

/// Outcome → how many cases had it, from the JSON report.
fn outcomes(json: &Value) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for case in json["cases"].as_array().expect("cases") {
        *counts
            .entry(case["outcome"].as_str().expect("outcome").to_string())
            .or_insert(0) += 1;
    }
    counts
}

/// The server cases a run of the default profile ignores as another
/// profile's.
fn cases_of_other_profiles() -> u64 {
    let catalog = cancel_conformance::spec::Catalog::embedded().expect("catalog");
    let cases = cancel_conformance::suite::load::cases_in::<
        cancel_conformance::suite::server_half::case::Case,
    >(&root().join("cases"), &catalog)
    .expect("cases load");
    let default = cancel_conformance::profile::Profile::default();
    let zone = cancel_conformance::time_zone::TimeZone::DEFAULT;
    // A case of another profile or of another contract time zone.
    let other = cases
        .iter()
        .filter_map(|loaded| loaded.case.as_ref().ok())
        .filter(|case| {
            case.profile.is_some_and(|profile| profile != default)
                || case.time_zone.is_some_and(|other| other != zone)
        })
        .count();
    assert!(other > 0, "some case belongs to another profile");
    other as u64
}

fn count(map: &BTreeMap<String, u64>, key: &str) -> u64 {
    map.get(key).copied().unwrap_or(0)
}

#[test]
fn the_json_and_junit_reports_count_what_libtest_counts() {
    let run = run_with_every_outcome("text");
    let s = run.summary;
    assert_eq!(
        s.failed, 3,
        "the mismatch, the bug in the case, the unexpected pass"
    );
    assert_eq!(
        s.ignored,
        2 + cases_of_other_profiles(),
        "the two cases that need another client id, and those of the profiles and time zones the run does not check"
    );

    let counts = &run.json["counts"];
    assert_eq!(counts["passed"], s.passed);
    assert_eq!(counts["failed"], s.failed);
    assert_eq!(counts["ignored"], s.ignored);
    assert_eq!(counts["filtered_out"], s.filtered_out);
    assert_eq!(counts["expected_failures"], 1);
    assert_eq!(counts["unexpected_passes"], 1);
    assert_eq!(counts["total"], s.passed + s.failed + s.ignored);
    let by_outcome = outcomes(&run.json);
    assert_eq!(
        count(&by_outcome, "pass") + count(&by_outcome, "expected-fail"),
        s.passed
    );
    assert_eq!(
        count(&by_outcome, "fail") + count(&by_outcome, "unexpected-pass"),
        s.failed
    );
    assert_eq!(run.json["target"], "embedded reference server");
    let case = |name: &str| -> &Value {
        run.json["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .find(|case| case["name"] == name)
            .unwrap_or_else(|| panic!("{name} is in the JSON report"))
    };
    assert_eq!(case("server/zz-report/wrong-code")["kind"], "MISMATCH");
    assert_eq!(case("server/zz-report/misspelled")["kind"], "BUG IN CASE");
    assert_eq!(
        case("server/zz-report/wrong-code-known")["outcome"],
        "expected-fail"
    );
    assert_eq!(
        case("server/refund/fully-refunded-is-process-fail")["kind"],
        "UNEXPECTED PASS"
    );

    let junit = &run.junit;
    let total = s.passed + s.failed + s.ignored;
    assert_eq!(junit.matches("<testcase ").count() as u64, total);
    assert_eq!(junit.matches("<failure ").count() as u64, s.failed);
    assert_eq!(junit.matches("<skipped ").count() as u64, s.ignored);
    assert!(junit.contains(&format!(
        "tests=\"{total}\" failures=\"{}\" errors=\"0\" skipped=\"{}\"",
        s.failed, s.ignored
    )));
    assert!(
        junit.contains(
            "<testcase classname=\"server/zz-report\" name=\"server/zz-report/wrong-code\""
        )
    );
    // A failure's message is its first difference (or the case file's
    // position), after its kind; the kind is also its type.
    assert!(junit.contains("<failure message=\"MISMATCH: step 1 (cancel): "));
    assert!(junit.contains("type=\"MISMATCH\""));
    assert!(junit.contains("<failure message=\"BUG IN CASE: "));
    assert!(junit.contains("<failure message=\"UNEXPECTED PASS in case "));
    // The exchange is shown, with its signatures masked.
    assert!(junit.contains("signature: ***"));
    assert!(!junit.contains("signature=") && !junit.contains("algorithm=RSA256"));
    let _ = std::fs::remove_dir_all(&run.dir);
}

#[test]
fn a_filtered_client_run_reports_only_the_cases_it_ran() {
    let dir = scratch("client");
    let json = dir.join("results.json");
    let junit = dir.join("report.xml");
    let output = isolated_command(&dir)
        .arg("client")
        .arg("--adapter")
        .arg(format!(
            "{} adapter",
            env!("CARGO_BIN_EXE_cancel-conformance")
        ))
        .arg("--cases")
        .arg(root().join("cases"))
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .arg("sandbox")
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(0),
        "the project's own client passes\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = summary_of(&stdout);
    assert!(
        summary.passed >= 1 && summary.filtered_out >= 1,
        "{summary:?}"
    );
    let value: Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("JSON report"))
        .expect("JSON parses");
    assert_eq!(value["half"], "client");
    assert_eq!(value["counts"]["passed"], summary.passed);
    assert_eq!(value["counts"]["filtered_out"], summary.filtered_out);
    assert_eq!(
        value["cases"].as_array().expect("cases").len() as u64,
        summary.passed
    );
    let junit = std::fs::read_to_string(&junit).expect("JUnit report");
    assert_eq!(junit.matches("<testcase ").count() as u64, summary.passed);
    assert!(junit.contains("classname=\"client/sandbox\""), "{junit}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The part of `dom` from `start` to the first `end` after it.
fn between<'a>(dom: &'a str, start: &str, end: &str) -> &'a str {
    let from = dom
        .find(start)
        .unwrap_or_else(|| panic!("`{start}` is not in the DOM"));
    let to = dom[from..]
        .find(end)
        .unwrap_or_else(|| panic!("`{end}` does not follow `{start}`"));
    &dom[from..from + to]
}

/// Elements opened by `open` in `html`, by their `data-outcome`.
fn by_outcome(html: &str, open: &str) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for piece in html.split(open).skip(1) {
        let tag = &piece[..piece.find('>').expect("the tag ends")];
        let outcome = tag
            .split("data-outcome=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("`{open}{tag}>` has no data-outcome"));
        *counts.entry(outcome.to_string()).or_insert(0) += 1;
    }
    counts
}

fn number_in(dom: &str, id: &str) -> u64 {
    let text = between(dom, &format!("id=\"{id}\">"), "<");
    text[format!("id=\"{id}\">").len()..]
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("#{id} holds no number: `{text}`"))
}

#[test]
#[ignore = "needs Debian's chromium: .ci/run installs it"]
fn the_html_page_renders_the_matrix_with_the_runs_counts_in_chromium() {
    require_chromium();
    let run = run_with_every_outcome("browser");
    let dom = dump_dom(&run.html, &run.dir.join("chromium-profile"));
    let s = run.summary;

    // The tally, as the page shows it, is libtest's.
    assert_eq!(number_in(&dom, "count-passed"), s.passed);
    assert_eq!(number_in(&dom, "count-failed"), s.failed);
    assert_eq!(number_in(&dom, "count-ignored"), s.ignored);
    assert_eq!(number_in(&dom, "count-expected-fail"), 1);
    assert_eq!(number_in(&dom, "count-unexpected-pass"), 1);
    assert_eq!(
        number_in(&dom, "count-total"),
        s.passed + s.failed + s.ignored
    );

    // One row per case in the case list, each with its outcome.
    let list = between(&dom, "<table id=\"cases\">", "</table>");
    let rows = by_outcome(list, "<tr class=\"case\" ");
    assert_eq!(
        count(&rows, "pass") + count(&rows, "expected-fail"),
        s.passed,
        "{rows:?}"
    );
    assert_eq!(
        count(&rows, "fail") + count(&rows, "unexpected-pass"),
        s.failed,
        "{rows:?}"
    );
    assert_eq!(count(&rows, "ignored"), s.ignored, "{rows:?}");
    assert_eq!(count(&rows, "expected-fail"), 1, "{rows:?}");
    assert_eq!(rows, outcomes(&run.json), "the page and the JSON agree");

    // The matrix: a column per case, a row per server rule, and a cell of
    // the case's outcome wherever a case cites a rule.
    let matrix = between(&dom, "<table id=\"matrix\">", "</table>");
    let catalog = cancel_conformance::spec::Catalog::embedded().expect("catalog");
    // Every rule binding a server, and any other rule a case cites.
    let cited: Vec<&str> = run.json["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .flat_map(|case| case["rules"].as_array().expect("rules"))
        .map(|rule| rule.as_str().expect("rule id"))
        .collect();
    let rules_shown = catalog
        .rules
        .iter()
        .filter(|rule| {
            rule.side != cancel_conformance::spec::catalog::Side::Client
                || cited.contains(&rule.id.value.as_str())
        })
        .count();
    assert_eq!(matrix.matches("<tr class=\"rule\" ").count(), rules_shown);
    assert_eq!(
        matrix.matches("<th class=\"case-col ").count() as u64,
        s.passed + s.failed + s.ignored
    );
    let mut cells_expected: BTreeMap<String, u64> = BTreeMap::new();
    for case in run.json["cases"].as_array().expect("cases") {
        let cited = case["rules"].as_array().expect("rules").len() as u64;
        if cited > 0 {
            *cells_expected
                .entry(case["outcome"].as_str().expect("outcome").to_string())
                .or_insert(0) += cited;
        }
    }
    let cells = by_outcome(matrix, "<td class=\"cell ");
    assert_eq!(cells, cells_expected, "matrix cells by outcome");
    for outcome in [
        "pass",
        "fail",
        "ignored",
        "expected-fail",
        "unexpected-pass",
    ] {
        assert!(count(&cells, outcome) > 0, "no `{outcome}` cell: {cells:?}");
    }

    // A section per case; failures show their exchange, signatures masked.
    let details = by_outcome(&dom, "<details class=\"case-detail\" ");
    assert_eq!(details, rows, "one section per case");
    assert!(dom.contains("signature: ***"));
    for (at, _) in dom.match_indices("signature=") {
        assert!(
            dom[at..].starts_with("signature=&lt;value&gt;"),
            "only a rule's statement may show `signature=`: {}",
            &dom[at..(at + 80).min(dom.len())]
        );
    }
    assert!(!dom.contains("<script"), "the page needs no script");
    let _ = std::fs::remove_dir_all(&run.dir);
}
