//! Every kind of user-visible failure has a golden file under
//! `tests/golden/`: what a person sees when a target answers wrongly, when
//! no answer arrives, and when a case file is wrong. `BLESS=1 cargo test
//! --test golden` rewrites them; review the change with `git diff`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cancel_conformance::server::{self, DEFAULT_CLIENT_ID, OTHER_CLIENT_ID, ServerConfig};
use cancel_conformance::spec::Catalog;
use cancel_conformance::suite::failure::{CaseContext, Diff, Failure, Transcript, render};
use cancel_conformance::suite::http::{Received, SentRequest, TransportError};
use cancel_conformance::suite::load::load_cases;
use cancel_conformance::suite::report::CaseRecord;
use cancel_conformance::suite::target::Target;
use cancel_conformance::suite::verdict;
use cancel_conformance::suite::{http, run_all};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn check_golden(name: &str, actual: &str) {
    let path: PathBuf = root().join("tests/golden").join(name);
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected == actual {
        return;
    }
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, actual).expect("can write the golden file");
        return;
    }
    panic!(
        "{} differs from the rendered output; if the change is intended, run `BLESS=1 cargo test --test golden` and review `git diff`.\n--- rendered ---\n{actual}",
        path.display()
    );
}

fn context() -> CaseContext {
    CaseContext {
        name: "server/refund/partly-refunded-is-process-fail".into(),
        file: "cases/server/refund/partly-refunded-is-process-fail.yaml".into(),
        description: "A partly refunded payment is not cancellable; the answer is F PROCESS_FAIL."
            .into(),
        rules: vec!["refund.partly-refunded-process-fail".into()],
    }
}

fn request() -> SentRequest {
    SentRequest {
        method: "POST".into(),
        path: "/ams/api/v1/payments/cancel".into(),
        headers: vec![
            (
                "content-type".into(),
                "application/json; charset=UTF-8".into(),
            ),
            ("client-id".into(), "CONFORMANCE_TEST_CLIENT".into()),
            ("request-time".into(), "2026-11-26T10:00:00Z".into()),
            (
                "signature".into(),
                "algorithm=RSA256,keyVersion=1,signature=SECRET%3D".into(),
            ),
        ],
        body: br#"{"paymentId":"2026112600000000000000001"}"#.to_vec(),
    }
}

#[test]
fn a_mismatch_shows_rules_exchange_and_differences() {
    let catalog = Catalog::embedded().expect("catalog");
    let failure = Failure::Mismatch {
        step: 1,
        action: "cancel".into(),
        diffs: vec![
            Diff::new("result.resultStatus", "F", "S"),
            Diff::new("result.resultCode", "PROCESS_FAIL", "SUCCESS"),
        ],
        transcript: Some(Box::new(Transcript {
            request: request(),
            response: Some(Received {
                status: 200,
                headers: vec![
                    ("content-type".into(), "application/json; charset=UTF-8".into()),
                    ("signature".into(), "algorithm=RSA256,keyVersion=1,signature=ALSOSECRET".into()),
                    ("response-time".into(), "2026-11-26T18:00:00+08:00".into()),
                    ("client-id".into(), "CONFORMANCE_TEST_CLIENT".into()),
                ],
                body: br#"{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"Success"},"paymentId":"2026112600000000000000001","paymentRequestId":"PAY_REQ_1","cancelTime":"2026-11-26T18:00:00+08:00"}"#.to_vec(),
            }),
        })),
    };
    let rendered = render(&failure, &context(), &catalog);
    assert!(
        !rendered.contains("SECRET"),
        "a signature leaked:\n{rendered}"
    );
    check_golden("mismatch.txt", &rendered);
}

#[test]
fn a_transport_failure_says_what_happened_to_the_connection() {
    let catalog = Catalog::embedded().expect("catalog");
    let failure = Failure::Transport {
        step: 1,
        action: "cancel".into(),
        error: TransportError::Connect {
            url: "http://127.0.0.1:9/ams/api/v1/payments/cancel".into(),
            detail: "Connection refused (os error 111)".into(),
        },
        request: Some(Box::new(request())),
    };
    let rendered = render(&failure, &context(), &catalog);
    assert!(
        !rendered.contains("SECRET"),
        "a signature leaked:\n{rendered}"
    );
    check_golden("transport.txt", &rendered);
}

/// A wrong answer that breaks only an assumption: what a person sees after
/// libtest's summary (the warning in full, then the list of warnings).
#[test]
fn a_warning_names_the_assumption_and_its_reason() {
    let catalog = Catalog::embedded().expect("catalog");
    let context = CaseContext {
        name: "server/http/text-plain-is-media-type-not-acceptable".into(),
        file: "cases/server/http/text-plain-is-media-type-not-acceptable.yaml".into(),
        description: "A text/plain body is refused with MEDIA_TYPE_NOT_ACCEPTABLE.".into(),
        rules: vec![
            "codes.media-type-not-acceptable".into(),
            "http.status-200".into(),
        ],
    };
    let failure = Failure::Mismatch {
        step: 1,
        action: "cancel".into(),
        diffs: vec![Diff::new(
            "result.resultCode",
            "MEDIA_TYPE_NOT_ACCEPTABLE",
            "PARAM_ILLEGAL",
        )],
        transcript: None,
    };
    let judged = verdict::judge_failure(&failure, &context, &catalog, false);
    let record = CaseRecord {
        name: context.name.clone(),
        file: context.file.clone(),
        description: context.description.clone(),
        rules: context.rules.clone(),
        outcome: judged.outcome,
        kind: Some(judged.kind.to_string()),
        message: Some(judged.message.clone()),
        deviations: judged.deviations,
        expected_failure_reason: None,
        duration: std::time::Duration::ZERO,
    };
    // The summary holds the warning as the case's output would show it.
    let shown = verdict::summary(&[record], &catalog);
    assert!(shown.contains(&judged.message), "{shown}");
    check_golden("warning.txt", &shown);
}

/// Broken case files are loaded for real, so the golden files hold the
/// loader's own locations and messages.
#[test]
fn a_broken_case_is_a_located_bug_in_the_case() {
    let catalog = Catalog::embedded().expect("catalog");
    let dir = root().join("tests/broken-cases");
    let cases = load_cases(&dir, "server", &catalog).expect("the files are found");
    let mut rendered = String::new();
    // The undeclared invalid request loads; the runner finds it out (below).
    for loaded in cases
        .iter()
        .filter(|case| !case.name.contains("undeclared-invalid"))
    {
        let error = loaded
            .case
            .as_ref()
            .err()
            .unwrap_or_else(|| panic!("{} loads, but it is broken", loaded.name));
        let context = CaseContext {
            name: loaded.name.clone(),
            file: loaded.file.clone(),
            description: String::new(),
            rules: Vec::new(),
        };
        rendered.push_str(&render(
            &Failure::CaseBug(error.clone()),
            &context,
            &catalog,
        ));
        rendered.push('\n');
    }
    // Paths are shown as found; make them independent of the checkout.
    let rendered = rendered.replace(&format!("{}/", root().display()), "");
    check_golden("bug-in-case.txt", &rendered);
}

/// A case with an undeclared invalid request is only found out when the
/// runner builds the request: it is still a bug in the case, not a failure
/// of the target, and carries the step's location.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeclared_invalid_request_is_a_bug_in_the_case() {
    let catalog = Catalog::embedded().expect("catalog");
    let dir = root().join("tests/broken-cases");
    let cases: Vec<_> = load_cases(&dir, "server", &catalog)
        .expect("the files are found")
        .into_iter()
        .filter(|case| case.name.contains("undeclared-invalid"))
        .collect();
    let server = server::start(
        ServerConfig::test_default(),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        None,
    )
    .await
    .expect("server starts");
    let target = Arc::new(Target::with_test_identity(
        &server.base_url,
        DEFAULT_CLIENT_ID,
        OTHER_CLIENT_ID,
    ));
    let results = run_all(&cases, target, http::client(None).expect("client")).await;
    let [(name, Err(failure))] = results.as_slice() else {
        panic!("one failing case expected, got {} results", results.len());
    };
    assert_eq!(failure.kind(), "BUG IN CASE", "{name}: {failure:?}");
    let Failure::CaseBug(error) = failure else {
        unreachable!()
    };
    assert_eq!((error.line, error.column), (4, 5), "{error}");
    assert!(error.message.contains("invalid_request: true"), "{error}");
}
