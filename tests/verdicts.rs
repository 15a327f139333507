//! Verdict levels, end to end through the command line: a target that
//! deviates from the project's assumptions only passes with warnings that
//! name each assumption and its reason, and fails with `--strict` (or
//! `strict: true` in the configuration file). The deviating server is a
//! proxy in front of the real reference server, never a switch inside the
//! shipped one; what it changes is re-signed with the provider's TEST-ONLY
//! key so that only the deviation shows.

mod cli_support;

use std::net::SocketAddr;
use std::path::Path;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Response, Uri};
use serde_json::Value;

use cancel_conformance::server::{self, ServerConfig};
use cancel_conformance::signing::{SignedContent, test_keys};
use cli_support::isolated_command;

mod testkit_support;
use testkit_support::broken_adapter;

/// The assumption the proxy breaks, and the code it answers instead.
const ASSUMPTION: &str = "codes.media-type-not-acceptable";
const REFUSED_MEDIA_TYPE: &str = "MEDIA_TYPE_NOT_ACCEPTABLE";
const ANSWERED_INSTEAD: &str = "PARAM_ILLEGAL";

/// A case that deviates only from the assumption, and one firm failure the
/// proxy must not cause.
const WARNED_CASE: &str = "server/http/text-plain-is-media-type-not-acceptable";

/// Forwards every call (API and control plane) to the reference server as
/// it came, and answers as it answered, except that a refused media type
/// is answered F / PARAM_ILLEGAL: a server that refuses what the
/// assumption refuses, with another F code.
async fn forward(
    upstream: String,
    http: reqwest::Client,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let path = uri
        .path_and_query()
        .map_or("/".to_string(), ToString::to_string);
    let mut request = http.request(method, format!("{upstream}{path}"));
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let answer = match request.body(body.to_vec()).send().await {
        Ok(answer) => answer,
        // The reference server held or dropped the answer (a case's
        // scripted fault): the proxy drops its connection too, unwinding
        // the connection's task without an answer (and without the noise
        // of a panic message).
        Err(_) => std::panic::resume_unwind(Box::new("the upstream answer was dropped")),
    };
    let status = answer.status();
    let answer_headers = answer.headers().clone();
    let mut bytes = answer.bytes().await.unwrap_or_default().to_vec();
    let mut signature = answer_headers
        .get("signature")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    if let Ok(mut json) = serde_json::from_slice::<Value>(&bytes)
        && json.pointer("/result/resultCode").and_then(Value::as_str) == Some(REFUSED_MEDIA_TYPE)
    {
        json["result"]["resultCode"] = Value::from(ANSWERED_INSTEAD);
        bytes = json.to_string().into_bytes();
        let header = |name: &str| {
            answer_headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        signature = SignedContent::post(
            uri.path(),
            &header("client-id"),
            &header("response-time"),
            &bytes,
        )
        .sign(&test_keys::provider_signing(), "1")
        .ok();
    }
    let mut response = Response::builder().status(status);
    for (name, value) in &answer_headers {
        if !matches!(
            name.as_str(),
            "content-length" | "signature" | "transfer-encoding" | "connection"
        ) {
            response = response.header(name, value);
        }
    }
    if let Some(signature) = signature {
        response = response.header("signature", signature);
    }
    response.body(Body::from(bytes)).unwrap_or_default()
}

/// Runs the reference server and the deviating proxy in front of it until
/// the process ends; returns the proxy's base URL.
fn start_deviating_target() -> String {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let reference = server::start(
                ServerConfig::test_default(),
                SocketAddr::from(([127, 0, 0, 1], 0)),
                None,
            )
            .await
            .expect("the reference server starts");
            let upstream = reference.base_url.clone();
            let http = cancel_conformance::wire::http::plain_http_client().expect("an HTTP client");
            let app = axum::Router::new().fallback(
                move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                    forward(upstream.clone(), http.clone(), method, uri, headers, body)
                },
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("the proxy binds");
            let address = listener.local_addr().expect("the proxy's address");
            sender
                .send(format!("http://{address}"))
                .expect("the test waits for the address");
            let _keep = reference;
            axum::serve(listener, app).await.expect("the proxy serves");
        });
    });
    receiver.recv().expect("the deviating target starts")
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, endpoint: &str, extra: &[&str]) -> Ran {
    let output = isolated_command(dir)
        .args(["run", "--endpoint", endpoint, "--cases"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("cases"))
        .args(extra)
        .output()
        .expect("the binary runs");
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cancel-conformance-verdicts-{name}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

#[test]
fn a_target_breaking_only_an_assumption_passes_with_warnings_and_fails_strict() {
    let endpoint = start_deviating_target();
    let dir = scratch("run");
    let json = dir.join("results.json");
    let junit = dir.join("junit.xml");
    let html = dir.join("report.html");
    let lenient = run(
        &dir,
        &endpoint,
        &[
            "--json",
            json.to_str().expect("a UTF-8 path"),
            "--junit",
            junit.to_str().expect("a UTF-8 path"),
            "--html",
            html.to_str().expect("a UTF-8 path"),
        ],
    );
    assert_eq!(
        lenient.code,
        Some(0),
        "only assumptions are broken: the run passes\n{}\n{}",
        lenient.stdout,
        lenient.stderr
    );
    // The warnings come after libtest's summary, each case with the
    // assumption it deviates from and the assumption's reason.
    let summary_at = lenient
        .stdout
        .find("test result: ok.")
        .expect("libtest's summary");
    let warnings = &lenient.stdout[summary_at..];
    assert!(
        warnings.contains(" warnings: these cases deviate only from assumptions"),
        "{warnings}"
    );
    assert!(warnings.contains(WARNED_CASE), "{warnings}");
    assert!(
        warnings.contains(&format!("deviates from assumption `{ASSUMPTION}`")),
        "{warnings}"
    );
    assert!(
        warnings.contains(
            "basis: assumption — The code belongs to the API family but is not confirmed for cancel"
        ),
        "{warnings}"
    );

    // JSON: the case's verdict, the rule and the reason.
    let results: Value =
        serde_json::from_slice(&std::fs::read(&json).expect("the JSON report")).expect("JSON");
    let case = results["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|case| case["name"] == WARNED_CASE)
        .expect("the case is reported");
    assert_eq!(case["outcome"], "warning", "{case}");
    assert_eq!(case["verdict"], "warning", "{case}");
    assert_eq!(case["deviations"][0]["rule"], ASSUMPTION, "{case}");
    assert_eq!(case["deviations"][0]["basis"], "assumption", "{case}");
    assert!(
        case["deviations"][0]["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("not confirmed for cancel")),
        "{case}"
    );
    assert!(
        results["counts"]["warnings"].as_u64() >= Some(2),
        "{}",
        results["counts"]
    );
    assert_eq!(results["counts"]["failed"], 0, "{}", results["counts"]);
    // JUnit: a passed testcase whose system-out says so, line by line.
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report");
    let at = xml
        .find(&format!("name=\"{WARNED_CASE}\""))
        .expect("the testcase");
    let testcase = &xml[at..at + xml[at..].find("</testcase>").expect("closed")];
    assert!(
        testcase.contains("<system-out>verdict: warning&#10;"),
        "{testcase}"
    );
    assert!(
        testcase.contains(&format!("&#10;deviates_from: {ASSUMPTION}&#10;")),
        "{testcase}"
    );
    assert!(!testcase.contains("<failure"), "{testcase}");
    // HTML: a section of its own.
    let page = std::fs::read_to_string(&html).expect("the HTML report");
    assert!(
        page.contains("<section id=\"warnings\">"),
        "a warnings section"
    );
    assert!(
        page.contains(&format!(
            "<li class=\"warning\" data-case=\"{WARNED_CASE}\">"
        )),
        "the case in the warnings section"
    );

    // Strict: the same deviations fail the run, for the stated reason.
    let strict = run(&dir, &endpoint, &["--strict", WARNED_CASE, "--exact"]);
    assert_eq!(
        strict.code,
        Some(101),
        "{}\n{}",
        strict.stdout,
        strict.stderr
    );
    assert!(
        strict
            .stdout
            .contains(&format!("MISMATCH in case {WARNED_CASE}")),
        "{}",
        strict.stdout
    );
    assert!(
        strict.stdout.contains("result.resultCode")
            && strict
                .stdout
                .contains(&format!("actual   {ANSWERED_INSTEAD}")),
        "{}",
        strict.stdout
    );
    assert!(
        strict
            .stdout
            .contains("only a warning, failed because the run is strict"),
        "{}",
        strict.stdout
    );

    // `strict: true` in the configuration file does the same.
    let config = dir.join("strict.yaml");
    std::fs::write(&config, "strict: true\n").expect("a config file");
    let configured = run(
        &dir,
        &endpoint,
        &[
            "--config",
            config.to_str().expect("a UTF-8 path"),
            WARNED_CASE,
            "--exact",
        ],
    );
    assert_eq!(
        configured.code,
        Some(101),
        "{}\n{}",
        configured.stdout,
        configured.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_help_shows_strict() {
    let dir = scratch("help");
    let output = isolated_command(&dir)
        .args(["run", "--help"])
        .output()
        .expect("the binary runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--strict"), "{help}");
    let output = isolated_command(&dir)
        .args(["client", "--help"])
        .output()
        .expect("the binary runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--strict"), "{help}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The client half: a client that retries an F breaks a SHOULD (and the
/// assumption that a settled cancel sends nothing more), nothing firm.
#[test]
fn a_client_breaking_only_a_should_passes_with_a_warning_and_fails_strict() {
    const CASE: &str = "client/failure/process-fail-is-not-retried";
    let adapter = format!("{} retries-on-f", broken_adapter().display());
    let dir = scratch("client");
    let client = |extra: &[&str]| {
        let output = isolated_command(&dir)
            .args(["client", "--adapter", &adapter, "--cases"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("cases"))
            .args(extra)
            .args([CASE, "--exact"])
            .output()
            .expect("the binary runs");
        Ran {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    };
    let lenient = client(&[]);
    assert_eq!(
        lenient.code,
        Some(0),
        "{}\n{}",
        lenient.stdout,
        lenient.stderr
    );
    assert!(
        lenient.stdout.contains("1 warning: ")
            && lenient
                .stdout
                .contains("deviates from SHOULD rule `retry.client-no-retry-on-f`"),
        "{}",
        lenient.stdout
    );
    let strict = client(&["--strict"]);
    assert_eq!(
        strict.code,
        Some(101),
        "{}\n{}",
        strict.stdout,
        strict.stderr
    );
    assert!(
        strict.stdout.contains(&format!("MISMATCH in case {CASE}"))
            && strict
                .stdout
                .contains("cancel requests sent [retry.client-no-retry-on-f"),
        "{}",
        strict.stdout
    );
    let _ = std::fs::remove_dir_all(&dir);
}
