//! The client half judges clients: the project's own client (through its
//! adapter, `cancel-conformance adapter`) passes every client case, plain
//! and over TLS; each deliberately broken client in
//! `testkit/src/bin/broken_adapter.rs` is failed by the case named for it, as a
//! MISMATCH, for the stated reason; a run allowing fewer attempts than a
//! case needs ignores that case; an adapter line that breaks its
//! schema is a TRANSPORT FAILURE naming the schema; and a case judging a
//! capability the adapter's `hello` does not declare is not applicable.

use std::path::Path;
use std::time::Duration;

use cancel_conformance::spec::Catalog;
use cancel_conformance::suite::client_half::exec::ClientRun;
use cancel_conformance::suite::load::{LoadedClientCase, load_client_cases};
use cancel_conformance::suite::run_all_client;
use libtest_mimic::Completion;

mod testkit_support;
use testkit_support::broken_adapter;

/// Each broken client, the case that must catch it, and a fragment of the
/// failure that shows it is caught for the reason its defect gives.
const BROKEN: &[(&str, &str, &str)] = &[
    (
        "new-id-on-retry",
        "retry/u-then-success-retries-with-the-same-id",
        "identifiers on retry",
    ),
    (
        "fails-on-u",
        "retry/u-then-success-retries-with-the-same-id",
        r#"expected: "cancelled", actual: "failed""#,
    ),
    (
        "retries-on-f",
        "failure/process-fail-is-not-retried",
        "retry.client-no-retry-on-f",
    ),
    (
        "ignores-signature",
        "signature/bad-signature-is-refused",
        r#"expected: "refused", actual: "cancelled""#,
    ),
    (
        "signs-reserialised-body",
        "success/cancel-by-payment-id-is-cancelled",
        "[sign.client-signs-sent-bytes, sign.request-signature]",
    ),
    (
        "production-path-for-sandbox",
        "sandbox/sandbox-client-uses-sandbox-path",
        "path [path.sandbox-client]",
    ),
    (
        "flips-after-late-notification",
        "notification/late-payment-success-keeps-cancelled",
        r#"[state.client-order-record]", expected: "CANCELLED", actual: "SUCCESS""#,
    ),
    (
        "sends-amount",
        "success/cancel-by-payment-id-is-cancelled",
        "[full.no-partial]",
    ),
    (
        "no-retry-on-timeout",
        "retry/timeout-then-success-retries-with-the-same-id",
        r#"retry.client-timeout-same-id]", expected: "2", actual: "1""#,
    ),
    (
        "no-key-version",
        "success/cancel-by-payment-id-is-cancelled",
        "no `keyVersion=` pair",
    ),
    (
        "raw-base64-signature",
        "success/cancel-by-payment-id-is-cancelled",
        "must URL-encode the base64 value",
    ),
    (
        "hardcoded-key-version",
        "success/key-version-from-the-environment",
        r#"keyVersion [sign.header-format]", expected: "2 (CC_KEY_VERSION)", actual: "1""#,
    ),
    (
        "text-plain-content-type",
        "success/cancel-by-payment-id-is-cancelled",
        "header Content-Type [sign.request-headers]",
    ),
    (
        "no-request-time",
        "success/cancel-by-payment-id-is-cancelled",
        "header Request-Time [sign.request-headers]",
    ),
    (
        "signs-production-path-for-sandbox",
        "sandbox/sandbox-client-uses-sandbox-path",
        "[sign.client-signs-sent-bytes, sign.request-signature]",
    ),
    (
        "ignores-timeout",
        "retry/held-success-after-giving-up-is-not-believed",
        "[retry.client-timeout-bounded]",
    ),
    (
        "long-pause-before-retry",
        "retry/never-answered-then-success-retries",
        "to its next request [retry.client-timeout-bounded]",
    ),
    (
        "ignores-max-attempts",
        "retry/unknown-every-time-ends-unknown",
        r#"[retry.client-attempts-bounded]", expected: "at most 3 (CC_MAX_ATTEMPTS)", actual: "5""#,
    ),
    (
        "verifies-only-success",
        "signature/f-bad-is-refused",
        r#"expected: "refused", actual: "failed""#,
    ),
    (
        "accepts-unsigned-f-and-u",
        "signature/f-unsigned-is-refused",
        r#"expected: "refused", actual: "failed""#,
    ),
    (
        "verifies-for-answer-client-id",
        "signature/success-other-client-is-refused",
        r#"expected: "refused", actual: "cancelled""#,
    ),
    (
        "verifies-with-merchant-key",
        "success/cancel-by-payment-id-is-cancelled",
        r#"expected: "cancelled", actual: "refused""#,
    ),
    (
        "verifies-over-production-path",
        "sandbox/sandbox-client-uses-sandbox-path",
        r#"expected: "cancelled", actual: "refused""#,
    ),
    (
        "strict-signature-parser",
        "signature/success-header-spaces-after-commas-is-trusted",
        r#"expected: "cancelled", actual: "refused""#,
    ),
    (
        "uppercase-escapes-only",
        "signature/success-header-lowercase-escapes-is-trusted",
        r#"expected: "cancelled", actual: "refused""#,
    ),
    (
        "retries-after-untrusted",
        "signature/bad-signature-then-success-is-not-retried",
        r#"expected: "refused", actual: "cancelled""#,
    ),
    (
        "outcome-from-result-code",
        "retry/unknown-new-code-is-retried",
        r#"expected: "cancelled", actual: "failed""#,
    ),
    (
        "unknown-f-code-is-unknown",
        "failure/fail-with-new-code-is-failed",
        r#"expected: "failed", actual: "unknown""#,
    ),
    (
        "reports-local-cancel-time",
        "success/cancel-by-payment-id-is-cancelled",
        "the reported cancelTime [result.client-reports-answer]",
    ),
    (
        "cancelled-after-f",
        "state/failed-leaves-the-record-none",
        r#"[state.client-order-record]", expected: "NONE", actual: "CANCELLED""#,
    ),
    (
        "cancelled-after-unknown",
        "retry/unknown-every-time-ends-unknown",
        r#"[state.client-order-record]", expected: "UNKNOWN", actual: "CANCELLED""#,
    ),
    (
        "refused-leaves-no-record",
        "state/refused-is-recorded-unknown",
        r#"[state.client-order-record]", expected: "UNKNOWN", actual: "NONE""#,
    ),
    (
        "notification-settles-unknown",
        "notification/late-payment-success-keeps-unknown",
        r#"[state.client-order-record]", expected: "UNKNOWN", actual: "SUCCESS""#,
    ),
    (
        "f-keeps-unknown",
        "failure/fail-settles-a-cancel-in-doubt",
        r#"[state.client-order-record]", expected: "NONE", actual: "UNKNOWN""#,
    ),
    (
        "notification-ignores-client-id",
        "notification/notification-other-client-is-rejected",
        "signed `other-client` with headers `plain` [sign.client-verifies-notification]",
    ),
    (
        "accepts-unsigned-notification",
        "notification/notification-missing-is-rejected",
        "signed `missing` with headers `plain` [sign.client-verifies-notification]",
    ),
    (
        "case-sensitive-notification-headers",
        "notification/notification-header-title-case-names-is-accepted",
        "signed `valid` with headers `title-case-names` [sign.header-format]",
    ),
    (
        "no-certificate-verification",
        "tls/untrusted-certificate-authority-is-refused",
        "[tls.client-verifies-certificate]",
    ),
    (
        "ignores-http-status",
        "signature/success-with-http-500-is-not-believed",
        r#"actual: "cancelled""#,
    ),
    (
        "one-attempt-short",
        "retry/unknown-every-time-ends-unknown",
        "every attempt is used\", actual: \"2\"",
    ),
    (
        "seconds-of-backoff",
        "retry/u-then-success-retries-with-the-same-id",
        "(answered at once) to its next request [retry.client-timeout-bounded]",
    ),
    (
        "fixed-three-attempts",
        "retry/two-attempts-allowed-two-sent",
        r#"[retry.client-attempts-bounded]", expected: "at most 2 (CC_MAX_ATTEMPTS)", actual: "3""#,
    ),
    (
        "accepts-missing-signature",
        "signature/success-missing-is-refused",
        r#"expected: "refused", actual: "cancelled""#,
    ),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run_with(adapter: String, scratch: &str) -> ClientRun {
    let scratch_dir =
        std::env::temp_dir().join(format!("cc-client-half-{scratch}-{}", std::process::id()));
    std::fs::create_dir_all(&scratch_dir).expect("scratch dir");
    ClientRun {
        adapter,
        pass_env: Vec::new(),
        tls: false,
        client_timeout: Duration::from_millis(200),
        max_attempts: 3,
        adapter_deadline: None,
        scratch_dir,
        introductions: Default::default(),
    }
}

fn cases() -> Vec<LoadedClientCase> {
    let catalog = Catalog::embedded().expect("catalog");
    let cases = load_client_cases(&root().join("cases"), &catalog).expect("client cases load");
    assert!(cases.len() >= 60, "the client half has its cases");
    cases
}

/// Every case's name, the kind of what came of it (`PASSED`, `IGNORED`,
/// or a failure's kind) and the detail (the ignore reason, the failure).
async fn outcomes(run: &ClientRun, only: Option<&str>) -> Vec<(String, String, String)> {
    let cases: Vec<LoadedClientCase> = cases()
        .into_iter()
        .filter(|loaded| only.is_none_or(|name| loaded.name == format!("client/{name}")))
        .collect();
    assert!(!cases.is_empty(), "no case named {only:?}");
    run_all_client(&cases, run)
        .await
        .into_iter()
        .map(|(name, outcome)| match outcome {
            Ok(Completion::Completed) => (name, "PASSED".to_string(), String::new()),
            Ok(Completion::Ignored { reason }) => {
                (name, "IGNORED".to_string(), reason.unwrap_or_default())
            }
            Err(failure) => (name, failure.kind().to_string(), format!("{failure:?}")),
        })
        .collect()
}

async fn own_client_passes(tls: bool) {
    let command = format!("{} adapter", env!("CARGO_BIN_EXE_cancel-conformance"));
    let mut run = run_with(command, if tls { "good-tls" } else { "good" });
    run.tls = tls;
    let failing: Vec<String> = outcomes(&run, None)
        .await
        .into_iter()
        .filter(|(_, kind, _)| kind != "PASSED")
        .map(|(name, kind, detail)| format!("{name}: {kind} {detail}"))
        .collect();
    assert!(
        failing.is_empty(),
        "the good client fails (tls: {tls}):\n{}",
        failing.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_projects_own_client_passes_every_client_case() {
    own_client_passes(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_projects_own_client_passes_every_client_case_over_tls() {
    own_client_passes(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_broken_client_is_caught_by_its_case_for_its_reason() {
    assert!(BROKEN.len() >= 30, "at least 30 broken clients");
    let adapter = broken_adapter();
    let mut tasks = tokio::task::JoinSet::new();
    let mut missed = Vec::new();
    for (defect, case, reason) in BROKEN {
        let run = run_with(format!("{} {defect}", adapter.display()), defect);
        tasks.spawn(async move {
            let results = outcomes(&run, Some(case)).await;
            match results.first() {
                Some((_, kind, detail)) if kind == "MISMATCH" && detail.contains(reason) => None,
                Some((_, kind, detail)) => Some(format!(
                    "{defect}: case {case} gave {kind} {detail}, not a MISMATCH containing {reason:?}"
                )),
                None => Some(format!("{defect}: case {case} did not run")),
            }
        });
        // A few at a time: each case starts a process.
        while tasks.len() >= 4 {
            if let Some(joined) = tasks.join_next().await
                && let Some(miss) = joined.expect("task")
            {
                missed.push(miss);
            }
        }
    }
    while let Some(joined) = tasks.join_next().await {
        if let Some(miss) = joined.expect("task") {
            missed.push(miss);
        }
    }
    assert!(
        missed.is_empty(),
        "broken clients not caught for their reason:\n{}",
        missed.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_needing_more_attempts_than_allowed_is_ignored_not_failed() {
    let command = format!("{} adapter", env!("CARGO_BIN_EXE_cancel-conformance"));
    let mut run = run_with(command, "one-attempt");
    run.max_attempts = 1;
    let results = outcomes(&run, Some("retry/u-then-success-retries-with-the-same-id")).await;
    match &results[..] {
        [(_, kind, reason)] if kind == "IGNORED" => {
            assert!(reason.contains("2 attempts"), "{reason}");
            assert!(reason.contains("--max-attempts is 1"), "{reason}");
        }
        other => panic!("expected the case ignored, got {other:?}"),
    }
    // A case that needs one attempt still runs and passes.
    let results = outcomes(&run, Some("failure/process-fail-is-not-retried")).await;
    assert!(
        matches!(&results[..], [(_, kind, _)] if kind == "PASSED"),
        "{results:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_breaks_its_schema_is_a_transport_failure_naming_the_schema() {
    // A protocol 2 adapter (`hello` unknown), then a cancel answer in the
    // wrong letter case.
    let adapter = r#"read -r line; echo '{"id":1,"error":"unsupported"}'; while read -r line; do echo '{"id":2,"outcome":"CANCELLED"}'; done"#;
    let run = run_with(adapter.to_string(), "bad-line");
    let results = outcomes(&run, Some("success/cancel-by-payment-id-is-cancelled")).await;
    match &results[..] {
        [(_, kind, message)] => {
            assert_eq!(kind, "TRANSPORT FAILURE", "{message}");
            assert!(
                message.contains("spec/adapter-cancel-answer.schema.json"),
                "{message}"
            );
            assert!(message.contains("/outcome"), "{message}");
        }
        other => panic!("expected a transport failure, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_judging_an_undeclared_capability_is_not_applicable_and_the_rest_is_judged() {
    // Declares `sign` only, then cannot cancel anything: a case judging
    // retries is not applicable to it (never a pass), and a case within
    // what it declares is judged, and fails.
    let adapter = r#"read -r line; echo '{"id":1,"name":"signer","version":"0.1","language":"sh","homepage":"https://example.com","capabilities":["sign"]}'; while read -r line; do echo '{"id":2,"error":"unsupported"}'; done"#;
    let run = run_with(adapter.to_string(), "sign-only");
    let results = outcomes(&run, Some("retry/u-then-success-retries-with-the-same-id")).await;
    match &results[..] {
        [(_, kind, detail)] => {
            assert_eq!(kind, "NOT APPLICABLE", "{detail}");
            assert!(
                detail.contains("Retry") && detail.contains("signer"),
                "{detail}"
            );
        }
        other => panic!("expected one result, got {other:?}"),
    }
    let results = outcomes(&run, Some("success/cancel-by-payment-id-is-cancelled")).await;
    assert!(
        matches!(&results[..], [(_, kind, _)] if kind == "MISMATCH"),
        "{results:?}"
    );
    assert_eq!(
        run.introductions.first().map(|found| found.name),
        Some("signer".to_string())
    );
}
