//! The HTTP ceiling of this machine, for `bench/throughput.sh`: the
//! reference server's own transport (axum on axum-server, HTTP/1, the same
//! `serve_router` and runtime as `cancel-conformance serve`) with a handler
//! that reads the body and answers a constant S answer.
//!
//! ```sh
//! cargo run --release -p cancel-conformance-testkit --bin bare_axum -- --addr 127.0.0.1:0 [--work none|verify|verify-sign]
//! ```
//!
//! `--work` adds the RSA work every signed API exchange costs, and nothing
//! else: `verify` checks the request's `Signature` with the TEST merchant
//! key (what the server does even with `--unsigned-answers`), `verify-sign`
//! also signs the constant answer with the TEST provider key. These give the
//! ceilings of "HTTP plus the cryptography the API demands", measured.
//! Prints `listening on http://ADDR` once the socket listens.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use cancel_conformance::server::{DEFAULT_CLIENT_ID, serve_router};
use cancel_conformance::signing::{SignedContent, SigningKey, VerifyingKey, test_keys};
use cancel_conformance::spec::api::CANCEL_PATH;

const ANSWER: &[u8] = br#"{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"Success"},"paymentId":"2026112600000000000000001","paymentRequestId":"PAY_REQ_20261126_00000000000000001","cancelTime":"2026-11-26T12:00:00+08:00"}"#;
const RESPONSE_TIME: &str = "2026-11-26T12:00:00+08:00";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Work {
    None,
    Verify,
    VerifySign,
}

struct Keys {
    work: Work,
    merchant: VerifyingKey,
    provider: SigningKey,
}

fn main() {
    let mut addr: std::net::SocketAddr = "127.0.0.1:0".parse().expect("an address");
    let mut work = Work::None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        match (arg.as_str(), value.as_str()) {
            ("--addr", _) => addr = value.parse().expect("--addr HOST:PORT"),
            ("--work", "none") => work = Work::None,
            ("--work", "verify") => work = Work::Verify,
            ("--work", "verify-sign") => work = Work::VerifySign,
            _ => {
                eprintln!("usage: bare_axum [--addr HOST:PORT] [--work none|verify|verify-sign]");
                std::process::exit(2);
            }
        }
    }
    let keys = Arc::new(Keys {
        work,
        merchant: test_keys::merchant_verifying(),
        provider: test_keys::provider_signing(),
    });
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let router = Router::new().fallback(answer).with_state(keys);
        let mut server = serve_router(router, Duration::from_secs(10), addr, None)
            .await
            .expect("binds");
        println!("listening on {}", server.base_url);
        tokio::select! {
            _ = server.wait() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    });
}

async fn answer(State(keys): State<Arc<Keys>>, headers: HeaderMap, body: Bytes) -> Response {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    };
    if keys.work != Work::None {
        let verified =
            SignedContent::post(CANCEL_PATH, text("client-id"), text("request-time"), &body)
                .verify(&keys.merchant, text("signature"));
        if verified.is_err() {
            return (axum::http::StatusCode::UNAUTHORIZED, "bad signature").into_response();
        }
    }
    let mut out = HeaderMap::new();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    out.insert("client-id", HeaderValue::from_static(DEFAULT_CLIENT_ID));
    out.insert("response-time", HeaderValue::from_static(RESPONSE_TIME));
    if keys.work == Work::VerifySign {
        let signature = SignedContent::post(CANCEL_PATH, DEFAULT_CLIENT_ID, RESPONSE_TIME, ANSWER)
            .sign(&keys.provider, "1")
            .expect("signs");
        if let Ok(value) = HeaderValue::from_str(&signature) {
            out.insert("signature", value);
        }
    }
    (out, ANSWER).into_response()
}
