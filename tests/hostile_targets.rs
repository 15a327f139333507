//! Hostile targets for the runner and the client half: an endpoint that is
//! down, one with an untrusted certificate, one that accepts and never
//! answers, non-JSON answers, a 10 MB answer, an HTML page instead of JSON,
//! a server killed and restarted mid-run; an adapter that hangs, one that
//! floods its stdout. Every case fails on its own with a clear message of
//! the right kind, within its time limits, and the run finishes.
//!
//! The kind follows INTERPRETING.md §4: no usable answer (refused, TLS
//! refused, timed out, cut off, too large; an adapter that hangs or talks
//! garbage) is a TRANSPORT FAILURE; an answer that arrived but is not JSON
//! is a MISMATCH (rule result.object-always-present), never a pass.

mod cli_support;
use cli_support::isolated_command;

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;
use libtest_mimic::Completion;
use tokio::io::{AsyncBufReadExt, BufReader};

use cancel_conformance::profile::Profile;
use cancel_conformance::server::{self, ServerConfig, TlsSetup};
use cancel_conformance::spec::Catalog;
use cancel_conformance::suite::client_half::adapter::{Adapter, AdapterError};
use cancel_conformance::suite::client_half::case::{ClientCase, LoadedClientCase};
use cancel_conformance::suite::client_half::exec::{ClientRun, run_client_case};
use cancel_conformance::suite::failure::{CaseContext, Failure, render};
use cancel_conformance::suite::load;
use cancel_conformance::suite::server_half::case::Step;
use cancel_conformance::suite::server_half::case::{Case, LoadedCase};
use cancel_conformance::suite::server_half::exec;
use cancel_conformance::wire::http;
use cancel_conformance::wire::http::TransportError;
use cancel_conformance_testkit::runs::{Outcomes, run_all, run_all_client, test_target};

/// How a case ended, for messages (`Completion` has no `Debug`).
fn verdict(outcome: &Result<Completion, Failure>) -> String {
    match outcome {
        Ok(Completion::Completed) => "passed".into(),
        Ok(Completion::Ignored { reason }) => format!("ignored: {reason:?}"),
        Err(failure) => format!("{failure:?}"),
    }
}

/// The failure of a case that must have failed.
fn failed(outcome: Result<Completion, Failure>) -> Failure {
    match outcome {
        Err(failure) => failure,
        ok => panic!("the case did not fail: {}", verdict(&ok)),
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::embedded().expect("catalog"))
}

/// The server cases a run of the default profile and time zone runs: the others are
/// ignored before any exchange, so a hostile target says nothing to them.
fn server_cases() -> Vec<LoadedCase> {
    let cases: Vec<LoadedCase> = load::cases_in::<Case>(&root().join("cases"), catalog())
        .expect("cases load")
        .into_iter()
        .filter(|loaded| {
            loaded.case.as_ref().map_or(true, |case| {
                case.profile
                    .is_none_or(|profile| profile == Profile::default())
                    && case
                        .time_zone
                        .is_none_or(|zone| zone == cancel_conformance::time_zone::TimeZone::DEFAULT)
            })
        })
        .collect();
    assert!(cases.len() > 50);
    cases
}

/// The failure as a person reads it.
fn shown(name: &str, failure: &Failure) -> String {
    let context = CaseContext {
        name: name.to_string(),
        file: Path::new("cases").join(format!("{name}.yaml")),
        description: String::new(),
        rules: Vec::new(),
    };
    render(failure, &context, catalog())
}

/// Runs every server case against `base_url`, as `run --endpoint` does,
/// with `timeout` per exchange; checks that the run ended in time.
async fn run_against(base_url: &str, timeout: Duration, bound: Duration) -> Outcomes {
    let mut target = test_target(base_url);
    target.timeout = timeout;
    let started = Instant::now();
    let outcomes = tokio::time::timeout(
        bound,
        run_all(
            &server_cases(),
            Arc::new(target),
            http::client(None).expect("client"),
        ),
    )
    .await
    .unwrap_or_else(|_| panic!("the run did not finish within {bound:?}"));
    println!("{} cases in {:?}", outcomes.len(), started.elapsed());
    outcomes
}

/// Every case failed with a failure of `kind` for which `check` holds; no
/// case passed, none was ignored.
fn every_case_failed(outcomes: &Outcomes, kind: &str, check: impl Fn(&Failure, &str) -> bool) {
    assert!(!outcomes.is_empty());
    for (name, outcome) in outcomes {
        match outcome {
            Err(failure) => {
                let text = shown(name, failure);
                assert_eq!(failure.kind(), kind, "{text}");
                assert!(
                    text.starts_with(&format!("{kind} in case {name}")),
                    "{text}"
                );
                assert!(check(failure, &text), "{text}");
            }
            Ok(_) => panic!("{name} did not fail: {}", verdict(outcome)),
        }
    }
}

fn transport_error(failure: &Failure) -> Option<&TransportError> {
    match failure {
        Failure::Transport { error, .. } => Some(error),
        _ => None,
    }
}

/// Serves `router` on a free loopback port.
async fn serve(router: Router) -> server::RunningServer {
    server::serve_router(
        router,
        Duration::from_secs(10),
        "127.0.0.1:0".parse().expect("an address"),
        None,
    )
    .await
    .expect("the hostile server starts")
}

/// A server that answers every request with the same response.
async fn answering(make: fn() -> Response) -> server::RunningServer {
    serve(Router::new().fallback(move || async move { make() })).await
}

// ---------------------------------------------------------------------------
// The runner (server half)
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_is_down_is_a_transport_failure_per_case() {
    // A port that was free a moment ago, so nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let outcomes = run_against(&url, Duration::from_secs(2), Duration::from_secs(30)).await;
    every_case_failed(&outcomes, "TRANSPORT FAILURE", |failure, text| {
        matches!(
            transport_error(failure),
            Some(TransportError::Connect { .. })
        ) && text.contains("cannot connect to")
            && text.contains("is the target running")
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_a_transport_failure_per_case() {
    let server = server::start(
        ServerConfig::test_default(),
        "127.0.0.1:0".parse().expect("an address"),
        Some(TlsSetup::self_signed()),
    )
    .await
    .expect("the TLS server starts");
    // The runner is not given the self-signed certificate to trust.
    let outcomes = run_against(
        &server.base_url,
        Duration::from_secs(2),
        Duration::from_secs(30),
    )
    .await;
    every_case_failed(&outcomes, "TRANSPORT FAILURE", |failure, text| {
        matches!(
            transport_error(failure),
            Some(TransportError::Connect { .. })
        ) && text.to_ascii_lowercase().contains("certificate")
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_never_answers_is_a_transport_failure_per_case() {
    // Accepts every connection, reads nothing, answers nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let held = Arc::new(Mutex::new(Vec::new()));
    let keeper = held.clone();
    let acceptor = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            keeper.lock().expect("lock").push(socket);
        }
    });
    let timeout = Duration::from_millis(300);
    let outcomes = run_against(&url, timeout, Duration::from_secs(30)).await;
    every_case_failed(&outcomes, "TRANSPORT FAILURE", |failure, text| {
        matches!(transport_error(failure), Some(TransportError::NoAnswer { after }) if *after == timeout)
            && text.contains("no answer within 300 ms")
    });
    acceptor.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_of_ten_megabytes_is_a_transport_failure_per_case() {
    fn huge() -> Response {
        static BODY: OnceLock<axum::body::Bytes> = OnceLock::new();
        let body = BODY
            .get_or_init(|| vec![b' '; 10 * 1024 * 1024].into())
            .clone();
        Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .expect("a response")
    }
    let server = answering(huge).await;
    let outcomes = run_against(
        &server.base_url,
        Duration::from_secs(5),
        Duration::from_secs(60),
    )
    .await;
    every_case_failed(&outcomes, "TRANSPORT FAILURE", |failure, text| {
        matches!(transport_error(failure), Some(TransportError::TooLarge))
            && text.contains("larger than 1048576 bytes")
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_json_answer_is_a_mismatch_per_case_never_a_pass() {
    // Claims JSON, is not.
    fn garbage() -> Response {
        Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{\"result\": oops"))
            .expect("a response")
    }
    let server = answering(garbage).await;
    let outcomes = run_against(
        &server.base_url,
        Duration::from_secs(5),
        Duration::from_secs(30),
    )
    .await;
    every_case_failed(&outcomes, "MISMATCH", |_, text| text.contains("not JSON"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_content_type_with_an_html_page_is_a_mismatch_per_case() {
    // What a captive portal or a proxy's error page looks like.
    fn page() -> Response {
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .body(Body::from("<html><body>Please log in</body></html>"))
            .expect("a response")
    }
    let server = answering(page).await;
    let outcomes = run_against(
        &server.base_url,
        Duration::from_secs(5),
        Duration::from_secs(30),
    )
    .await;
    every_case_failed(&outcomes, "MISMATCH", |_, text| {
        text.contains("not JSON") && text.contains("Please log in")
    });
}

/// `cancel-conformance serve` as a child process on `port`; returns once it
/// listens.
async fn serve_process(port: u16) -> tokio::process::Child {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_cancel-conformance"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("serve prints its address in time")
        .expect("readable stdout")
        .expect("a line");
    assert!(line.starts_with("cancel API at"), "{line}");
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_and_restarted_mid_run_is_never_a_pass() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let mut target = test_target(&url);
    target.timeout = Duration::from_secs(2);
    let http = http::client(None).expect("client");
    // The kill lands while this case waits for an answer the server holds
    // (a delay fault of 1.5 s): mid-exchange for sure, once its wait is
    // stretched from the case's 400 ms to 1 s.
    let victim = "server/retry/timeout-then-retry-is-success";
    let mut cases = server_cases();
    let victim_case = cases
        .iter_mut()
        .find(|case| case.name == victim)
        .and_then(|case| case.case.as_mut().ok())
        .expect("the victim case loads");
    let mut stretched = 0;
    for step in &mut victim_case.steps {
        if let Step::Cancel(cancel) = &mut step.value
            && cancel.timeout_ms.is_some()
        {
            cancel.timeout_ms = Some(1000);
            stretched += 1;
        }
    }
    assert_eq!(stretched, 1, "the victim waits once on a held answer");

    let mut serve = Some(serve_process(port).await);
    let t0 = Instant::now();
    let mut timeline = Vec::new(); // (name, start, end, outcome)
    let mut killer = None;
    // Twice through the cases, so that some run after the restart.
    for loaded in cases.iter().chain(&cases) {
        let Ok(case) = &loaded.case else {
            panic!("{}: a bug in the case", loaded.name)
        };
        if loaded.name == victim
            && let Some(mut child) = serve.take()
        {
            // Beside the cases: kill -9 the server 150 ms into the victim,
            // keep it down for a second (cases run meanwhile are refused),
            // start it again on the same port.
            killer = Some(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(150)).await;
                // When the kill is sent, not when the process is reaped:
                // a case the kill breaks can end (refused) before the
                // reaping does, and must not count as before the kill.
                let kill_at = t0.elapsed();
                child.kill().await.expect("kill -9 the server");
                tokio::time::sleep(Duration::from_secs(1)).await;
                let child = serve_process(port).await;
                (kill_at, t0.elapsed(), child)
            }));
        }
        let start = t0.elapsed();
        let outcome = exec::run_case(case, &loaded.file, &target, &http).await;
        timeline.push((loaded.name.clone(), start, t0.elapsed(), outcome));
    }
    let (kill_at, ready_at, mut serve) = killer
        .expect("the victim ran")
        .await
        .expect("the server was killed and restarted");

    let mut refused = 0;
    for (name, start, end, outcome) in &timeline {
        let passed = matches!(outcome, Ok(Completion::Completed));
        let text = match outcome {
            Err(failure) => shown(name, failure),
            Ok(_) => verdict(outcome),
        };
        if *end < kill_at || *start > ready_at {
            // Wholly before the kill or after the restart: the server was fine.
            assert!(passed, "{name} ran against a healthy server: {text}");
        } else if name == victim && *start < kill_at {
            assert!(!passed, "the case the kill interrupted passed");
            assert!(
                text.starts_with("TRANSPORT FAILURE") || text.starts_with("MISMATCH"),
                "{text}"
            );
        } else if *start > kill_at && *end < ready_at {
            // Wholly while the server was down.
            assert!(text.starts_with("TRANSPORT FAILURE"), "{text}");
            assert!(text.contains("cannot connect to"), "{text}");
            refused += 1;
        }
    }
    assert!(refused > 0, "no case ran while the server was down");
    println!(
        "killed at {kill_at:?}, back at {ready_at:?}; {refused} cases refused meanwhile; \
         the interrupted case: {}",
        timeline
            .iter()
            .find(|(name, ..)| name == victim)
            .and_then(|(name, _, _, outcome)| outcome.as_ref().err().map(|f| shown(name, f)))
            .unwrap_or_default()
    );
    let _ = serve.kill().await;
}

// ---------------------------------------------------------------------------
// The client half
// ---------------------------------------------------------------------------

fn client_cases() -> Vec<LoadedClientCase> {
    let cases =
        load::cases_in::<ClientCase>(&root().join("cases"), catalog()).expect("client cases load");
    assert!(cases.len() >= 10);
    cases
}

fn client_run(adapter: &str, scratch: &str) -> ClientRun {
    let scratch_dir = std::env::temp_dir().join(format!(
        "cc-hostile-targets-{scratch}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&scratch_dir).expect("scratch dir");
    ClientRun {
        adapter: adapter.to_string(),
        pass_env: Vec::new(),
        tls: false,
        // The smallest settings: the per-call deadline is
        // client_timeout × (4 × max_attempts + 4) + 10 s. Two attempts is
        // the most any client case needs, so none is ignored.
        client_timeout: Duration::from_millis(50),
        max_attempts: 2,
        adapter_deadline: None,
        scratch_dir,
        introductions: Default::default(),
    }
}

fn adapter_failure(failure: &Failure) -> String {
    match failure {
        Failure::Transport {
            error: TransportError::Adapter { detail },
            ..
        } => detail.clone(),
        other => panic!("not an adapter transport failure: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adapter_that_hangs_is_a_transport_failure_within_the_deadline() {
    // Reads its requests and never answers; does not even read.
    for (command, deadline) in [
        ("while read -r line; do :; done", Duration::from_millis(300)),
        ("exec sleep 30", Duration::from_millis(300)),
    ] {
        let mut adapter = Adapter::start(command, &[], &[]).expect("sh starts");
        let started = Instant::now();
        let error = adapter
            .call(serde_json::json!({"op": "cancel"}), deadline)
            .await
            .expect_err("no answer");
        assert!(matches!(error, AdapterError::Hung { .. }), "{error}");
        assert_eq!(
            error.to_string(),
            "the adapter did not answer `cancel` within 300 ms"
        );
        assert!(started.elapsed() < deadline + Duration::from_secs(1));
        tokio::time::timeout(Duration::from_secs(5), adapter.finish())
            .await
            .expect("a hung adapter is stopped");
    }

    // Through the runner: one case, with the shortest deadline the knobs
    // allow (10.4 s; see client_run).
    let cases = client_cases();
    let loaded = cases.first().expect("a client case");
    let case = loaded.case.as_ref().expect("a valid case");
    let run = client_run("while read -r line; do :; done", "hang");
    let started = Instant::now();
    let failure = failed(
        tokio::time::timeout(Duration::from_secs(30), run_client_case(case, &run))
            .await
            .expect("the case ends"),
    );
    let _ = std::fs::remove_dir_all(&run.scratch_dir);
    let detail = adapter_failure(&failure);
    assert!(detail.contains("did not answer"), "{detail}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(shown(&loaded.name, &failure).starts_with("TRANSPORT FAILURE"));
}

#[test]
fn the_adapter_deadline_can_be_set_on_the_command_line() {
    // The derived deadline is ten seconds and more; `--adapter-deadline-ms`
    // lets a release gate fail a hung client in half a second per case.
    // From a directory of its own, so no cancel-conformance.yaml is found.
    let dir = std::env::temp_dir().join(format!("cc-adapter-deadline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let mut command = isolated_command(&dir);
    command
        .args([
            "client",
            "--adapter",
            "while read -r line; do :; done",
            "--adapter-deadline-ms",
            "500",
            "--cases",
        ])
        .arg(root().join("cases"))
        .arg("client/success/");
    let started = Instant::now();
    let output = command.output().expect("the client half runs");
    let _ = std::fs::remove_dir_all(&dir);
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(101), "{stdout}");
    assert!(stdout.contains("TRANSPORT FAILURE"), "{stdout}");
    assert!(
        // Protocol 3: `hello` is the first operation.
        stdout.contains("the adapter did not answer `hello` within 500 ms"),
        "{stdout}"
    );
    assert!(!stdout.contains(" ok\n"), "no case passes: {stdout}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adapter_that_floods_stdout_is_a_transport_failure_per_case() {
    // `yes`: endless short lines. Every case, and the run finishes.
    let cases = client_cases();
    let flood = client_run("exec yes", "yes");
    let started = Instant::now();
    // Generous: a hundred cases, each starting a process, two at a time,
    // on a machine that other test binaries keep busy.
    let outcomes = tokio::time::timeout(Duration::from_secs(240), run_all_client(&cases, &flood))
        .await
        .expect("the run finishes");
    let _ = std::fs::remove_dir_all(&flood.scratch_dir);
    assert_eq!(outcomes.len(), cases.len());
    for (name, outcome) in &outcomes {
        let Err(failure) = outcome else {
            panic!("{name}: {}", verdict(outcome));
        };
        let detail = adapter_failure(failure);
        assert!(
            detail.contains("not a protocol line: y"),
            "{name}: {detail}"
        );
        assert!(
            detail.len() < 2000,
            "{name}: the flood is echoed: {} bytes",
            detail.len()
        );
    }
    println!("{} cases in {:?}", outcomes.len(), started.elapsed());

    // One endless line, no newline: refused at the line limit, not read
    // into memory without end.
    let loaded = cases.first().expect("a client case");
    let case = loaded.case.as_ref().expect("a valid case");
    // (`cat` keeps reading stdin, so the request always goes in.)
    let run = client_run("tr '\\0' x </dev/zero & exec cat >/dev/null", "line");
    let failure = failed(
        tokio::time::timeout(Duration::from_secs(30), run_client_case(case, &run))
            .await
            .expect("the case ends"),
    );
    let _ = std::fs::remove_dir_all(&run.scratch_dir);
    let detail = adapter_failure(&failure);
    assert!(
        detail.contains("a line longer than 1048576 bytes"),
        "{detail}"
    );
}
