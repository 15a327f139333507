//! The official Python SDK (`global-open-sdk-python`, pinned in
//! `adapters/python/requirements.txt`) as a real client of the reference
//! server, over TLS.
//!
//! Each test starts the reference server with a self-signed certificate for
//! `localhost`, seeds a payment through the control plane, and runs
//! `adapters/python/sdk_cancel.py`, which makes the SDK cancel that payment:
//! the server verifies the SDK's request signature (its pretty-printed body,
//! its ISO 8601 `Request-Time`, its header spelling) and the SDK verifies the
//! server's response signature. The SDK always dials port 443; the harness
//! re-routes that inside the Python process (see the script's module doc), so
//! the server runs on an ephemeral port.
//!
//! The tests need a Python with the SDK installed, so they are `#[ignore]`d
//! and run explicitly:
//!
//! ```sh
//! python3 -m venv .venv/sdk
//! .venv/sdk/bin/pip install -r adapters/python/requirements.txt
//! CANCEL_CONFORMANCE_PYTHON=$PWD/.venv/sdk/bin/python \
//!     cargo test --test python_sdk -- --ignored
//! ```
//!
//! Run that way without `CANCEL_CONFORMANCE_PYTHON`, they fail (never pass
//! vacuously).

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cancel_conformance::server::{
    self, DEFAULT_CLIENT_ID, RunningServer, SANDBOX_CLIENT_ID, ServerConfig, TlsSetup,
};
use cancel_conformance::signing::test_keys;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Names the venv's Python, the one with the SDK installed.
const PYTHON_ENV: &str = "CANCEL_CONFORMANCE_PYTHON";
/// The whole SDK run: interpreter start, imports, one TLS exchange. The SDK's
/// own socket timeout is 15 s.
const SDK_TIMEOUT: Duration = Duration::from_secs(60);
/// One control-plane call.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(10);
/// Where the SDK sends a cancel, and where it sends it for a `SANDBOX_`
/// client id.
const CANCEL_PATH: &str = "/ams/api/v1/payments/cancel";
const SANDBOX_CANCEL_PATH: &str = "/ams/sandbox/api/v1/payments/cancel";

fn python() -> PathBuf {
    let python = match std::env::var_os(PYTHON_ENV) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => panic!(
            "{PYTHON_ENV} is not set. These tests drive the official Python SDK; set it up with\n\
             \x20   python3 -m venv .venv/sdk\n\
             \x20   .venv/sdk/bin/pip install -r adapters/python/requirements.txt\n\
             and run\n\
             \x20   {PYTHON_ENV}=$PWD/.venv/sdk/bin/python cargo test --test python_sdk -- --ignored"
        ),
    };
    assert!(
        python.exists(),
        "{PYTHON_ENV}={} does not exist",
        python.display()
    );
    python
}

/// A path segment or query value, percent-encoded.
fn encode(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

fn harness() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("adapters/python/sdk_cancel.py")
}

/// A file under the system temp dir, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "cancel-conformance-python-sdk-{}-{}-{name}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
        ));
        fs::write(&path, contents)
            .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// The ids of a payment seeded through the control plane.
struct Seeded {
    payment_id: String,
    payment_request_id: String,
}

/// Which identifier the SDK cancels by.
enum CancelBy<'a> {
    PaymentId(&'a str),
    PaymentRequestId(&'a str),
}

/// What one run of the harness printed.
struct SdkRun {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    /// The one JSON line on stdout, if there was exactly one and it parsed.
    answer: Option<Value>,
}

impl SdkRun {
    /// The harness's answer, after checking it kept its side of the protocol.
    fn answer(&self) -> &Value {
        match &self.answer {
            Some(answer) => answer,
            None => panic!("the harness did not print exactly one JSON line\n{self}"),
        }
    }

    /// A string field of an `"ok": true` answer; panics with the whole run
    /// shown otherwise.
    fn field(&self, name: &str) -> Option<&str> {
        let answer = self.answer();
        if answer.get("ok") != Some(&Value::Bool(true)) {
            panic!("the SDK did not return a response\n{self}");
        }
        answer.get(name).and_then(Value::as_str)
    }

    /// The answer the SDK accepted carried a response signature (so the SDK
    /// verified one: it would also accept an unsigned F or U).
    fn assert_response_signed(&self) {
        let _ = self.field("resultStatus");
        assert_eq!(
            self.answer().get("responseSigned"),
            Some(&Value::Bool(true)),
            "the answer carried no `signature` / `response-time` header\n{self}"
        );
    }
}

impl fmt::Display for SdkRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "harness {}", self.status)?;
        writeln!(f, "stdout:\n{}", self.stdout.trim_end())?;
        write!(f, "stderr:\n{}", self.stderr.trim_end())
    }
}

/// The reference server over TLS, and a control-plane client that trusts it.
struct Served {
    server: RunningServer,
    /// The server's certificate, for the SDK's `SSL_CERT_FILE`.
    cert: TempFile,
    http: reqwest::Client,
}

impl Served {
    async fn start() -> Self {
        let server = server::start(
            ServerConfig::test_default(),
            "127.0.0.1:0".parse().expect("a socket address"),
            Some(TlsSetup::SelfSigned {
                hosts: vec!["localhost".into(), "127.0.0.1".into()],
            }),
        )
        .await
        .expect("the reference server starts with TLS");
        let pem = server
            .ca_cert_pem
            .clone()
            .expect("a TLS server reports its self-signed certificate");
        let cert = TempFile::new("cert.pem", &pem);
        // reqwest is built without a crypto provider; the crate names its own.
        let _ = cancel_conformance::signing::tls_crypto_provider().install_default();
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(CONTROL_TIMEOUT)
            .add_root_certificate(
                reqwest::Certificate::from_pem(pem.as_bytes()).expect("the certificate is PEM"),
            )
            .build()
            .expect("an HTTP client for the control plane");
        Self { server, cert, http }
    }

    /// The URL the SDK is given: the certificate names `localhost`.
    fn sdk_base_url(&self) -> String {
        format!("https://localhost:{}", self.server.addr.port())
    }

    fn control_url(&self, path: &str) -> String {
        format!(
            "{}/control/v1{path}",
            self.server.base_url.trim_end_matches('/')
        )
    }

    async fn control(&self, request: reqwest::RequestBuilder, call: &str) -> Value {
        let response = request
            .send()
            .await
            .unwrap_or_else(|error| panic!("{call}: {error}"));
        let status = response.status();
        let text = response
            .text()
            .await
            .unwrap_or_else(|error| panic!("{call}: cannot read the answer: {error}"));
        assert_eq!(status.as_u16(), 200, "{call} answered {status}: {text}");
        serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("{call} answered with no JSON ({error}): {text}"))
    }

    /// Seeds a wallet payment of `owner` in `state`.
    async fn seed(&self, state: &str, owner: &str) -> Seeded {
        let call = format!("POST /control/v1/payments (state {state})");
        let answer = self
            .control(
                self.http
                    .post(self.control_url("/payments"))
                    .header("content-type", "application/json")
                    .body(
                        json!({ "state": state, "method": "wallet", "owner": owner }).to_string(),
                    ),
                &call,
            )
            .await;
        let id = |name: &str| {
            answer
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{call}: no {name} in {answer}"))
                .to_string()
        };
        Seeded {
            payment_id: id("paymentId"),
            payment_request_id: id("paymentRequestId"),
        }
    }

    /// The payment as the control plane shows it (`state`, `cancelTime`...).
    async fn payment(&self, payment_id: &str) -> Value {
        let call = format!("GET /control/v1/payments/{payment_id}");
        self.control(
            self.http
                .get(self.control_url(&format!("/payments/{}", encode(payment_id)))),
            &call,
        )
        .await
    }

    /// The API requests the server logged for the payment, oldest first.
    async fn requests_for(&self, payment_id: &str) -> Vec<Value> {
        let call = format!("GET /control/v1/requests?paymentId={payment_id}");
        let answer = self
            .control(
                self.http
                    .get(self.control_url(&format!("/requests?paymentId={}", encode(payment_id)))),
                &call,
            )
            .await;
        match answer {
            Value::Array(entries) => entries,
            other => panic!("{call}: not a list: {other}"),
        }
    }

    /// Checks that the one logged request for the payment has the SDK's own
    /// shape, so that the proof is about what the SDK really sends: the
    /// `path` it chose, its body pretty-printed with a 3-space indent, an
    /// ISO 8601 Request-Time.
    async fn assert_sent_by_sdk(&self, payment_id: &str, client_id: &str, path: &str) {
        let requests = self.requests_for(payment_id).await;
        let [request] = requests.as_slice() else {
            panic!("expected exactly one logged request, got {requests:#?}");
        };
        let text = |name: &str| request.get(name).and_then(Value::as_str);
        assert_eq!(text("method"), Some("POST"), "{request:#}");
        assert_eq!(text("path"), Some(path), "{request:#}");
        assert_eq!(text("clientId"), Some(client_id), "{request:#}");
        let body = text("body").unwrap_or_default();
        assert!(
            body.starts_with("{\n   \""),
            "not the SDK's indent=3 body: {body:?}"
        );
        let request_time = text("requestTime").unwrap_or_default();
        OffsetDateTime::parse(request_time, &Rfc3339).unwrap_or_else(|error| {
            panic!("Request-Time {request_time:?} is not ISO 8601 / RFC 3339: {error}")
        });
    }

    /// Runs the harness: the SDK, as `client_id`, cancels one payment.
    async fn sdk_cancel(&self, client_id: &str, by: CancelBy<'_>) -> SdkRun {
        let mut command = tokio::process::Command::new(python());
        command
            .arg(harness())
            .env("CC_BASE_URL", self.sdk_base_url())
            .env("CC_CLIENT_ID", client_id)
            .env(
                "CC_MERCHANT_PRIVATE_KEY",
                test_keys::MERCHANT_PRIVATE.trim(),
            )
            .env("CC_PROVIDER_PUBLIC_KEY", test_keys::PROVIDER_PUBLIC.trim())
            .env_remove("CC_PAYMENT_ID")
            .env_remove("CC_PAYMENT_REQUEST_ID")
            .env("SSL_CERT_FILE", &self.cert.0)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        match by {
            CancelBy::PaymentId(id) => command.env("CC_PAYMENT_ID", id),
            CancelBy::PaymentRequestId(id) => command.env("CC_PAYMENT_REQUEST_ID", id),
        };
        let child = command.spawn().unwrap_or_else(|error| {
            panic!(
                "cannot run {} (from {PYTHON_ENV}): {error}",
                python().display()
            )
        });
        // On a timeout the child is dropped, and so killed (kill_on_drop).
        let output = tokio::time::timeout(SDK_TIMEOUT, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("the SDK harness did not finish within {SDK_TIMEOUT:?}"))
            .expect("the SDK harness's output can be read");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        eprintln!("SDK harness answered: {}", stdout.trim_end());
        let lines: Vec<&str> = stdout.lines().filter(|line| !line.is_empty()).collect();
        let answer = match lines.as_slice() {
            [line] => serde_json::from_str(line).ok(),
            _ => None,
        };
        SdkRun {
            status: output.status,
            stdout,
            stderr,
            answer,
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Checks an S / SUCCESS answer for `seeded`.
fn assert_cancelled(run: &SdkRun, seeded: &Seeded) {
    assert!(run.status.success(), "the harness failed\n{run}");
    assert_eq!(run.field("resultStatus"), Some("S"), "\n{run}");
    assert_eq!(run.field("resultCode"), Some("SUCCESS"), "\n{run}");
    run.assert_response_signed();
    assert_eq!(
        run.field("paymentId"),
        Some(seeded.payment_id.as_str()),
        "\n{run}"
    );
    assert_eq!(
        run.field("paymentRequestId"),
        Some(seeded.payment_request_id.as_str()),
        "\n{run}"
    );
    let cancel_time = run
        .field("cancelTime")
        .unwrap_or_else(|| panic!("no cancelTime in an S answer\n{run}"));
    OffsetDateTime::parse(cancel_time, &Rfc3339)
        .unwrap_or_else(|error| panic!("cancelTime {cancel_time:?} is not RFC 3339: {error}"));
}

/// The control plane agrees: the payment is cancelled, at the time the SDK
/// was told.
async fn assert_payment_cancelled(served: &Served, seeded: &Seeded, run: &SdkRun) {
    let payment = served.payment(&seeded.payment_id).await;
    assert_eq!(payment["state"], "cancelled", "{payment:#}");
    assert_eq!(
        payment.get("cancelTime").and_then(Value::as_str),
        run.field("cancelTime"),
        "{payment:#}\n{run}"
    );
}

#[test]
#[ignore = "needs the official Python SDK in a venv: .ci/run sets CANCEL_CONFORMANCE_PYTHON"]
fn sdk_cancels_a_paid_payment() {
    let _ = python();
    runtime().block_on(async {
        let served = Served::start().await;
        let seeded = served.seed("paid", DEFAULT_CLIENT_ID).await;

        let run = served
            .sdk_cancel(DEFAULT_CLIENT_ID, CancelBy::PaymentId(&seeded.payment_id))
            .await;

        assert_cancelled(&run, &seeded);
        served
            .assert_sent_by_sdk(&seeded.payment_id, DEFAULT_CLIENT_ID, CANCEL_PATH)
            .await;
        assert_payment_cancelled(&served, &seeded, &run).await;
    });
}

#[test]
#[ignore = "needs the official Python SDK in a venv: .ci/run sets CANCEL_CONFORMANCE_PYTHON"]
fn sdk_gets_process_fail_for_a_partly_refunded_payment() {
    let _ = python();
    runtime().block_on(async {
        let served = Served::start().await;
        let seeded = served.seed("partly-refunded", DEFAULT_CLIENT_ID).await;

        let run = served
            .sdk_cancel(DEFAULT_CLIENT_ID, CancelBy::PaymentId(&seeded.payment_id))
            .await;

        // The SDK does not raise on F: it verifies the answer's signature and
        // returns it, and the caller reads result.resultStatus.
        assert!(run.status.success(), "the harness failed\n{run}");
        assert_eq!(run.field("resultStatus"), Some("F"), "\n{run}");
        assert_eq!(run.field("resultCode"), Some("PROCESS_FAIL"), "\n{run}");
        assert_eq!(run.field("cancelTime"), None, "\n{run}");
        run.assert_response_signed();
        served
            .assert_sent_by_sdk(&seeded.payment_id, DEFAULT_CLIENT_ID, CANCEL_PATH)
            .await;
        let payment = served.payment(&seeded.payment_id).await;
        assert_eq!(payment["state"], "partly-refunded", "{payment:#}");
    });
}

#[test]
#[ignore = "needs the official Python SDK in a venv: .ci/run sets CANCEL_CONFORMANCE_PYTHON"]
fn sandbox_sdk_cancels_by_payment_request_id_on_the_sandbox_path() {
    let _ = python();
    runtime().block_on(async {
        let served = Served::start().await;
        let seeded = served.seed("paid", SANDBOX_CLIENT_ID).await;

        // A SANDBOX_ client id makes the SDK send and sign
        // /ams/sandbox/api/v1/payments/cancel.
        let run = served
            .sdk_cancel(
                SANDBOX_CLIENT_ID,
                CancelBy::PaymentRequestId(&seeded.payment_request_id),
            )
            .await;

        assert_cancelled(&run, &seeded);
        served
            .assert_sent_by_sdk(&seeded.payment_id, SANDBOX_CLIENT_ID, SANDBOX_CANCEL_PATH)
            .await;
        assert_payment_cancelled(&served, &seeded, &run).await;
    });
}
