//! The bodies of the fuzz targets under `fuzz/`, kept in the test kit so
//! that `tests/properties.rs` runs the very same checks on stable Rust.
//!
//! Each entry point takes raw fuzzer input, feeds it to one parser the way
//! the tool does, and panics when a property breaks: the parser panicked,
//! hung, or failed without a clear, located message. Not part of the API.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use cancel_conformance::server::{self, DEFAULT_CLIENT_ID, OTHER_CLIENT_ID, ServerConfig};
use cancel_conformance::signing::{SignatureHeader, SignedContent, test_keys};
use cancel_conformance::spec::Catalog;
use cancel_conformance::spec::api::CANCEL_PATH;
use cancel_conformance::spec::validate::{Message, validate};
use cancel_conformance::suite::client_half::adapter::{Adapter, AdapterError};
use cancel_conformance::suite::client_half::case::ClientCase;
use cancel_conformance::suite::load;
use cancel_conformance::suite::server_half::case::Case;

const REQUEST_TIME: &str = "2026-11-26T12:00:00+08:00";

/// A directory of its own under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(what: &str) -> Scratch {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "cancel-conformance-fuzz-{what}-{}-{n}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|err| panic!("cannot create {}: {err}", dir.display()));
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

// ---------------------------------------------------------------------------
// The Signature header
// ---------------------------------------------------------------------------

/// Parses `input` as a `Signature` header value (and verifies with it): no
/// panic; a parsed header is RSA256 with a non-empty signature and survives
/// format → parse; an error has a message that never quotes the value.
pub fn signature_header(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    match SignatureHeader::parse(&text) {
        Ok(header) => {
            assert!(
                header
                    .algorithm
                    .eq_ignore_ascii_case(cancel_conformance::signing::ALGORITHM),
                "accepted algorithm {:?}",
                header.algorithm
            );
            assert!(!header.signature.is_empty(), "accepted an empty signature");
            let version = header.key_version.clone().unwrap_or_else(|| "1".into());
            signature_round_trip(&version, &header.signature);
        }
        Err(error) => {
            let message = error.to_string();
            assert!(!message.is_empty(), "an error without a message: {error:?}");
            // The signature value never reaches a message (secrets stay out
            // of every output).
            let value = text
                .split(',')
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("signature"))
                .map(|(_, value)| value.trim());
            if let Some(value) = value.filter(|value| value.len() >= 8) {
                assert!(
                    !message.contains(value),
                    "the error quotes the signature: {message}"
                );
            }
        }
    }
    let key = test_keys::provider_verifying();
    let _ = SignedContent::post(CANCEL_PATH, "C", "T", b"{}").verify(&key, &text);
}

/// `format` then `parse` gives back the key version and the signature.
pub fn signature_round_trip(key_version: &str, signature: &[u8]) {
    if signature.is_empty() {
        return; // an empty signature is refused by design
    }
    let value = SignatureHeader::format(key_version, signature);
    let parsed = SignatureHeader::parse(&value)
        .unwrap_or_else(|err| panic!("the formatted header {value:?} does not parse: {err}"));
    assert_eq!(parsed.algorithm, cancel_conformance::signing::ALGORITHM);
    assert_eq!(parsed.key_version.as_deref(), Some(key_version), "{value}");
    assert_eq!(parsed.signature, signature, "{value}");
}

// ---------------------------------------------------------------------------
// The case loader
// ---------------------------------------------------------------------------

/// Loads arbitrary text as a server case and as a client case, through the
/// same loader `run` and `client` use.
pub struct CaseLoader {
    scratch: Scratch,
    catalog: Catalog,
}

impl Default for CaseLoader {
    fn default() -> Self {
        Self::new()
    }
}

impl CaseLoader {
    pub fn new() -> CaseLoader {
        let scratch = Scratch::new("cases");
        for half in ["server", "client"] {
            std::fs::create_dir_all(scratch.0.join(half)).expect("case directory");
        }
        CaseLoader {
            scratch,
            catalog: Catalog::embedded().expect("the embedded catalog loads"),
        }
    }

    /// No panic; the one file is found; a case that cannot be used is a
    /// located error: the file, line ≥ 1 and within the text (or just past
    /// its end), column ≥ 1, and a message.
    pub fn check(&self, text: &[u8]) {
        let dir = &self.scratch.0;
        for half in ["server", "client"] {
            let file = dir.join(half).join("fuzzed.yaml");
            std::fs::write(&file, text).expect("write the case file");
            let error = if half == "server" {
                let loaded = load::cases_in::<Case>(dir, &self.catalog).expect("the file is found");
                assert_eq!(loaded.len(), 1);
                loaded.into_iter().next().and_then(|case| case.case.err())
            } else {
                let loaded =
                    load::cases_in::<ClientCase>(dir, &self.catalog).expect("the file is found");
                assert_eq!(loaded.len(), 1);
                loaded.into_iter().next().and_then(|case| case.case.err())
            };
            if let Some(error) = error {
                check_located(&error, &file, text);
            }
        }
    }
}

fn check_located(error: &cancel_conformance::spec::YamlError, file: &Path, text: &[u8]) {
    // Lines as YAML counts them: CRLF, a lone CR and LF each end a line.
    let breaks = text
        .iter()
        .enumerate()
        .filter(|&(at, &b)| b == b'\n' || (b == b'\r' && text.get(at + 1) != Some(&b'\n')))
        .count();
    let lines = breaks as u64 + 1;
    assert_eq!(error.file, file, "{error}");
    assert!(error.line >= 1 && error.column >= 1, "unlocated: {error:?}");
    assert!(
        error.line <= lines + 1,
        "line {} of a {lines}-line file: {error}",
        error.line
    );
    assert!(!error.message.trim().is_empty(), "no message: {error:?}");
    let shown = error.to_string();
    let prefix = format!("{}:{}:{}: ", file.display(), error.line, error.column);
    assert!(shown.starts_with(&prefix), "{shown}");
}

// ---------------------------------------------------------------------------
// A cancel request's body, through the reference server
// ---------------------------------------------------------------------------

/// The reference server's whole router, in process: any bytes sent as a
/// correctly signed cancel body get HTTP 200 and a signed answer that is
/// valid against the response schema.
pub struct CancelBody {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    /// Payments seeded in states that answer S, F and ACCESS_DENIED, for
    /// generators to name.
    pub payment_ids: Vec<String>,
    pub payment_request_ids: Vec<String>,
}

impl Default for CancelBody {
    fn default() -> Self {
        Self::new()
    }
}

impl CancelBody {
    pub fn new() -> CancelBody {
        let runtime = runtime();
        let router = server::app(ServerConfig::test_default());
        let mut payment_ids = Vec::new();
        let mut payment_request_ids = Vec::new();
        for (state, owner) in [
            ("paid", DEFAULT_CLIENT_ID),
            ("captured", DEFAULT_CLIENT_ID),
            ("partly-refunded", DEFAULT_CLIENT_ID),
            ("awaiting-buyer", DEFAULT_CLIENT_ID),
            ("paid", OTHER_CLIENT_ID),
        ] {
            let seed = json!({"state": state, "method": "card", "owner": owner}).to_string();
            let request = Request::post("/control/v1/payments")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(seed))
                .expect("a request");
            let (status, body) = runtime.block_on(call(router.clone(), request));
            assert_eq!(status, StatusCode::OK, "seeding");
            let ids: Value = serde_json::from_slice(&body).expect("seeding answers JSON");
            payment_ids.push(ids["paymentId"].as_str().expect("paymentId").to_string());
            payment_request_ids.push(
                ids["paymentRequestId"]
                    .as_str()
                    .expect("paymentRequestId")
                    .to_string(),
            );
        }
        CancelBody {
            runtime,
            router,
            payment_ids,
            payment_request_ids,
        }
    }

    /// Sends `body` as a signed cancel; returns the answer's result code
    /// after checking every property of the answer.
    pub fn check(&self, body: &[u8]) -> String {
        let key = test_keys::merchant_signing();
        let signature = SignedContent::post(CANCEL_PATH, DEFAULT_CLIENT_ID, REQUEST_TIME, body)
            .sign(&key, "1")
            .expect("signing works");
        let request = Request::post(CANCEL_PATH)
            .header(header::CONTENT_TYPE, "application/json; charset=UTF-8")
            .header("client-id", DEFAULT_CLIENT_ID)
            .header("request-time", REQUEST_TIME)
            .header("signature", signature)
            .body(Body::from(body.to_vec()))
            .expect("a request");
        let router = self.router.clone();
        let (status, headers, answer) = self.runtime.block_on(async move {
            let response = oneshot(router, request).await;
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, 1024 * 1024)
                .await
                .expect("the answer body is complete");
            (parts.status, parts.headers, bytes)
        });
        let shown = String::from_utf8_lossy(&answer);
        assert_eq!(status, StatusCode::OK, "{shown}");
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_else(|| panic!("no {name} header: {shown}"))
        };
        assert_eq!(header("content-type"), "application/json; charset=UTF-8");
        assert_eq!(header("client-id"), DEFAULT_CLIENT_ID);
        SignedContent::post(
            CANCEL_PATH,
            DEFAULT_CLIENT_ID,
            header("response-time"),
            &answer,
        )
        .verify(&test_keys::provider_verifying(), header("signature"))
        .unwrap_or_else(|err| panic!("the answer's signature: {err}: {shown}"));
        let json: Value = serde_json::from_slice(&answer)
            .unwrap_or_else(|err| panic!("the answer is not JSON ({err}): {shown}"));
        let violations = validate(Message::CancelResponse, &json);
        assert!(violations.is_empty(), "{violations:?}: {shown}");
        let code = json["result"]["resultCode"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let valid_request = serde_json::from_slice::<Value>(body)
            .is_ok_and(|request| validate(Message::CancelRequest, &request).is_empty());
        if !valid_request {
            assert_eq!(code, "PARAM_ILLEGAL", "for an invalid body: {shown}");
        }
        code
    }
}

/// Calls the router once, as a server would for one request.
async fn oneshot<S>(mut service: S, request: Request<Body>) -> S::Response
where
    S: axum::ServiceExt<Request<Body>>,
    S::Error: std::fmt::Debug,
{
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .expect("the router is ready");
    service.call(request).await.expect("the router answers")
}

async fn call(router: axum::Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = oneshot(router, request).await;
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1024 * 1024)
        .await
        .expect("a complete body");
    (status, body.to_vec())
}

// ---------------------------------------------------------------------------
// The adapter protocol reader
// ---------------------------------------------------------------------------

/// A fake adapter that prints the fuzzed bytes as its answer, then closes
/// stdout: the runner reads it like any adapter.
pub struct AdapterLines {
    runtime: tokio::runtime::Runtime,
    scratch: Scratch,
}

impl Default for AdapterLines {
    fn default() -> Self {
        Self::new()
    }
}

/// How long a fake adapter may take: it answers at once, so reaching this
/// would mean the reader hung.
const ADAPTER_DEADLINE: Duration = Duration::from_secs(10);

impl AdapterLines {
    pub fn new() -> AdapterLines {
        AdapterLines {
            runtime: runtime(),
            scratch: Scratch::new("adapter"),
        }
    }

    /// The answer to one `cancel` is `output`: no panic, no hang; it is
    /// accepted only as a JSON object carrying the request's id, and every
    /// refusal is a short message (a flood is never echoed whole).
    pub fn check(&self, output: &[u8]) -> Result<Value, AdapterError> {
        let file = self.scratch.0.join("output");
        std::fs::write(&file, output).expect("write the adapter's output");
        let env = [(
            "CC_FUZZ_OUTPUT".to_string(),
            file.to_string_lossy().into_owned(),
        )];
        // Print, close stdout (end of stream), then read stdin to its end
        // so the runner's request is always taken.
        let command = r#"cat "$CC_FUZZ_OUTPUT"; exec 1>&-; exec cat >/dev/null"#;
        let started = Instant::now();
        let result = self.runtime.block_on(async {
            let mut adapter = Adapter::start(command, &env, &[]).expect("sh starts");
            let result = adapter
                .call(json!({"op": "cancel"}), ADAPTER_DEADLINE)
                .await;
            adapter.finish().await;
            result
        });
        let took = started.elapsed();
        match &result {
            Ok(answer) => {
                assert_eq!(answer.get("id"), Some(&json!(1)), "{answer}");
                let first = output.split(|&b| b == b'\n').next().unwrap_or_default();
                let parsed: Value = serde_json::from_slice(first)
                    .unwrap_or_else(|err| panic!("accepted a line that is not JSON: {err}"));
                assert_eq!(&parsed, answer);
            }
            Err(error) => {
                assert!(
                    !matches!(error, AdapterError::Hung { .. }),
                    "the reader hung on {} bytes of output: {error}",
                    output.len()
                );
                let message = error.to_string();
                assert!(!message.is_empty());
                assert!(
                    message.chars().count() <= 400,
                    "a {}-character message",
                    message.chars().count()
                );
            }
        }
        assert!(took < ADAPTER_DEADLINE, "took {took:?}");
        result
    }
}
