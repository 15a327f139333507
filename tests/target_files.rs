//! The files a user gives the runner for a target without a control plane
//! and for a target's known deviations: the fixtures file and the
//! expectations file, exercised through the real command line.

mod cli_support;
use cancel_conformance_testkit::process::code_and_output;
use cli_support::isolated_command;

use std::path::Path;

use serde_json::{Value, json};

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cc-target-files-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn cases_dir() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("cases")
        .display()
        .to_string()
}

/// Runs `cancel-conformance run ARGS` and returns (exit code, stdout+stderr).
fn run(args: &[&str]) -> (i32, String) {
    code_and_output(
        isolated_command(&std::env::temp_dir())
            .arg("run")
            .args(["--cases", &cases_dir()])
            .args(args),
    )
}

/// Seeds a payment through the reference server's control plane, as a
/// person would prepare one in a sandbox.
async fn seed(base_url: &str, state: &str, method: &str) -> (String, String) {
    let http = cancel_conformance::wire::http::client(None).expect("client");
    let answer: Value = http
        .post(format!("{base_url}/control/v1/payments"))
        .header("content-type", "application/json")
        .body(json!({"state": state, "method": method}).to_string())
        .send()
        .await
        .expect("control plane answers")
        .json_text()
        .await;
    (
        answer["paymentId"].as_str().expect("paymentId").to_string(),
        answer["paymentRequestId"]
            .as_str()
            .expect("paymentRequestId")
            .to_string(),
    )
}

trait JsonText {
    async fn json_text(self) -> Value;
}

impl JsonText for reqwest::Response {
    async fn json_text(self) -> Value {
        let text = self.text().await.expect("a body");
        serde_json::from_str(&text).expect("JSON")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixtures_file_runs_mapped_cases_and_ignores_the_rest_with_reasons() {
    let server = cancel_conformance::server::start(
        cancel_conformance::server::ServerConfig::test_default(),
        "127.0.0.1:0".parse().expect("address"),
        None,
    )
    .await
    .expect("server starts");
    let base_url = server.base_url.clone();
    let (partly_id, partly_request) = seed(&base_url, "partly-refunded", "wallet").await;
    let dir = scratch("fixtures");
    let fixtures = dir.join("fixtures.yaml");
    std::fs::write(
        &fixtures,
        format!(
            "fixtures:\n  partly-refunded-wallet:\n    payment_id: \"{partly_id}\"\n    payment_request_id: \"{partly_request}\"\n"
        ),
    )
    .expect("write fixtures");
    let fixtures = fixtures.display().to_string();
    let (code, output) = tokio::task::spawn_blocking(move || {
        run(&[
            "--endpoint",
            &base_url,
            "--fixtures",
            &fixtures,
            "--test-threads",
            "1",
            "refund/",
        ])
    })
    .await
    .expect("joined");
    assert_eq!(code, 0, "{output}");
    let line_of = |name: &str| {
        output
            .lines()
            .find(|line| line.starts_with(&format!("test {name} ")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line_of("server/refund/partly-refunded-is-process-fail").ends_with("... ok"),
        "the mapped fixture runs:\n{output}"
    );
    assert!(
        output.contains("fixture `fully-refunded-wallet` is not in the fixtures file"),
        "a missing fixture is ignored with its reason:\n{output}"
    );
    assert!(output.contains("1 passed"), "{output}");
}

#[test]
fn an_expected_failure_passes_and_an_unexpected_pass_fails() {
    let dir = scratch("expectations");
    let file = dir.join("expectations.yaml");
    // The embedded reference server passes every case, so a listed case
    // "passes unexpectedly": the run must fail and say so.
    std::fs::write(
        &file,
        "expected_failures:\n  - case: server/cancel/paid-card-is-success\n    reason: pretend the target cannot cancel cards\n",
    )
    .expect("write expectations");
    let file = file.display().to_string();
    let (code, output) = run(&["--expectations", &file, "cancel/"]);
    assert_ne!(code, 0, "{output}");
    assert!(
        output.contains("UNEXPECTED PASS in case server/cancel/paid-card-is-success"),
        "{output}"
    );
    assert!(
        output.contains("pretend the target cannot cancel cards"),
        "{output}"
    );

    // A listed case that does fail (here: against a target that refuses
    // every signature, because the runner signs with the provider's key)
    // counts as passed.
    let provider_private = dir.join("not-the-merchant.b64");
    std::fs::write(
        &provider_private,
        cancel_conformance::signing::test_keys::PROVIDER_PRIVATE,
    )
    .expect("write key");
    let key = provider_private.display().to_string();
    let (code, output) = run(&[
        "--expectations",
        &file,
        "--merchant-private-key-file",
        &key,
        "--exact",
        "server/cancel/paid-card-is-success",
    ]);
    assert_eq!(code, 0, "{output}");
    let line = output
        .lines()
        .find(|line| line.contains("[expected-fail] server/cancel/paid-card-is-success"))
        .unwrap_or_default();
    assert!(line.ends_with("... ok"), "{output}");
}

#[test]
fn an_expectation_naming_no_case_is_an_error_with_its_location() {
    let dir = scratch("bad-expectations");
    let file = dir.join("expectations.yaml");
    std::fs::write(
        &file,
        "expected_failures:\n  - case: server/no/such-case\n    reason: typo\n",
    )
    .expect("write expectations");
    let file_arg = file.display().to_string();
    let (code, output) = run(&["--expectations", &file_arg]);
    assert_eq!(code, 2, "{output}");
    assert!(
        output.contains(&format!("{}:2:", file.display())),
        "{output}"
    );
    assert!(
        output.contains("`server/no/such-case` is not a case"),
        "{output}"
    );
}
