//! The binary carries its suite: copied alone into an empty directory it
//! runs `run`, `client --adapter`, `fixtures --template`, `schema` and
//! `cases export` with no checkout; and a pinned run keeps newer cases
//! pending (`--suite-version`, `--baseline`), never failing on them.

mod cli_support;
use cli_support::isolated_command;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A new, empty directory for one test.
fn empty_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cc-standalone-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `exe ARGS` in `dir`, out of reach of the caller's settings.
fn run_in(dir: &Path, exe: &Path, args: &[&str]) -> Output {
    let mut copied = std::process::Command::new(exe);
    copied.current_dir(dir).args(args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CANCEL_CONFORMANCE_") {
            copied.env_remove(name);
        }
    }
    copied.output().expect("the binary runs")
}

#[test]
fn a_binary_copied_alone_into_an_empty_directory_runs_the_whole_suite() {
    let dir = empty_dir("alone");
    let exe = dir.join("cancel-conformance");
    std::fs::copy(env!("CARGO_BIN_EXE_cancel-conformance"), &exe).expect("copy the binary");
    let exe_text = exe.display().to_string();

    let run = run_in(&dir, &exe, &["run", "-q", "--json", "run.json"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert!(
        text(&run).contains(&format!("suite: {VERSION} (embedded)")),
        "{}",
        text(&run)
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.join("run.json")).expect("report"))
            .expect("JSON");
    assert_eq!(report["suite"], format!("{VERSION} (embedded)"));
    assert!(
        report["counts"]["passed"].as_u64() > Some(100),
        "{}",
        report["counts"]
    );
    assert_eq!(report["counts"]["failed"], 0);

    let adapter = format!("{exe_text} adapter");
    let client = run_in(&dir, &exe, &["client", "-q", "--adapter", &adapter]);
    assert_eq!(client.status.code(), Some(0), "{}", text(&client));

    let template = run_in(&dir, &exe, &["fixtures", "--template"]);
    assert_eq!(template.status.code(), Some(0), "{}", text(&template));
    assert!(String::from_utf8_lossy(&template.stdout).contains("partly-refunded-wallet"));

    let schema = run_in(&dir, &exe, &["schema", "--out", "spec"]);
    assert_eq!(schema.status.code(), Some(0), "{}", text(&schema));
    assert!(dir.join("spec/cancel-request.schema.json").is_file());

    let export = run_in(&dir, &exe, &["cases", "export", "my-cases"]);
    assert_eq!(export.status.code(), Some(0), "{}", text(&export));
    let case = dir.join("my-cases/server/refund/partly-refunded-is-process-fail.yaml");
    assert!(case.is_file(), "{}", text(&export));
    // The exported set is the suite, case for case.
    let listed = |args: &[&str]| {
        let output = run_in(&dir, &exe, args);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert_eq!(
        listed(&["run", "--list"]),
        listed(&["run", "--list", "--cases", "my-cases"])
    );
    let again = run_in(&dir, &exe, &["cases", "export", "my-cases"]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "never overwrites: {}",
        text(&again)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// One exported case made to fail (it expects HTTP 202 where the
/// reference server answers 200) and marked as added in a later suite.
fn suite_with_a_newer_failing_case(name: &str) -> (PathBuf, &'static str) {
    let dir = empty_dir(name);
    let export = isolated_command(&dir)
        .args(["cases", "export", "cases"])
        .output()
        .expect("export");
    assert_eq!(export.status.code(), Some(0), "{}", text(&export));
    let case = "server/refund/partly-refunded-is-process-fail";
    let file = dir.join("cases").join(format!("{case}.yaml"));
    let yaml = std::fs::read_to_string(&file).expect("exported case");
    let broken = yaml
        .replace("since: \"0.1.0\"", &format!("since: \"{VERSION}\""))
        .replace("http_status: 200", "http_status: 202");
    assert_ne!(broken, yaml);
    std::fs::write(&file, broken).expect("write the case");
    (dir, case)
}

fn outcome_of(json: &Path, case: &str) -> Value {
    let report: Value =
        serde_json::from_slice(&std::fs::read(json).expect("report")).expect("JSON");
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["name"] == case)
        .cloned()
        .expect("the case is in the report")
}

#[test]
fn a_case_newer_than_the_pin_is_pending_and_never_fails_the_run() {
    let (dir, case) = suite_with_a_newer_failing_case("pin");
    let run = |args: &[&str]| {
        isolated_command(&dir)
            // This case alone: the suite's other cases added after 0.1.0
            // would be pending too.
            .args(["run", "-q", "--cases", "cases", "--exact", case])
            .args(args)
            .output()
            .expect("run")
    };
    // Unpinned, the case is judged and fails the run.
    let judged = run(&[]);
    assert_eq!(judged.status.code(), Some(101), "{}", text(&judged));

    let pinned = run(&[
        "--suite-version",
        "0.1.0",
        "--json",
        "pinned.json",
        "--junit",
        "pinned.xml",
    ]);
    assert_eq!(pinned.status.code(), Some(0), "{}", text(&pinned));
    let record = outcome_of(&dir.join("pinned.json"), case);
    assert_eq!(record["outcome"], "pending", "{record}");
    let message = record["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("added in suite") && message.contains("it would fail (MISMATCH)"),
        "{message}"
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.join("pinned.json")).expect("report"))
            .expect("JSON");
    assert_eq!(report["counts"]["pending"], 1, "{}", report["counts"]);
    assert_eq!(report["counts"]["failed"], 0, "{}", report["counts"]);
    let junit = std::fs::read_to_string(dir.join("pinned.xml")).expect("junit");
    assert!(
        junit.contains("<property name=\"pending\" value=\"1\"/>"),
        "{junit}"
    );

    // The configuration file pins as the flag does.
    std::fs::write(dir.join("pin.yaml"), "suite_version: 0.1.0\n").expect("config");
    let configured = run(&["--config", "pin.yaml"]);
    assert_eq!(configured.status.code(), Some(0), "{}", text(&configured));

    // A pin that is no version stops the run before any case.
    let bad = run(&["--suite-version", "v0.1"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_case_absent_from_the_baseline_is_pending() {
    let (dir, case) = suite_with_a_newer_failing_case("baseline");
    let run = |args: &[&str]| {
        isolated_command(&dir)
            .args(["run", "-q", "--cases", "cases"])
            .args(args)
            .output()
            .expect("run")
    };
    // The baseline: a run of every other refund case.
    let base = run(&["--json", "base.json", "refund/fully-refunded"]);
    assert_eq!(base.status.code(), Some(0), "{}", text(&base));
    let gated = run(&["--baseline", "base.json", "--json", "now.json", "refund"]);
    assert_eq!(gated.status.code(), Some(0), "{}", text(&gated));
    let record = outcome_of(&dir.join("now.json"), case);
    assert_eq!(record["outcome"], "pending", "{record}");
    assert!(
        record["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not in the baseline"),
        "{record}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
