//! What the reference server's HTTP tests share: a running server, a client
//! that signs requests like an SDK does, the control plane, and a check that
//! every answer is signed by the provider key.

// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use cancel_conformance::server::{self, RunningServer, ServerConfig, TlsSetup};
use cancel_conformance::signing::{SignedContent, SigningKey, VerifyingKey, test_keys};
use cancel_conformance::spec::api::CANCEL_PATH;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

pub(crate) const REQUEST_TIME: &str = "2026-11-26T12:00:00+08:00";
pub(crate) const JSON: &str = "application/json; charset=UTF-8";

/// A reqwest client using rustls with the crate's crypto provider, handed
/// over ready-made so that no process-wide crypto provider is needed.
/// `root_pem` adds a trusted certificate (the server's self-signed one).
pub(crate) fn http_client(root_pem: Option<&str>) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(pem) = root_pem {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            roots
                .add(cert.expect("PEM certificate"))
                .expect("a usable root");
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        cancel_conformance::signing::tls_crypto_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// How a test request is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sig<'a> {
    Valid,
    Missing,
    /// Signed over other bytes.
    Bad,
    /// A valid signature announced under this key version.
    KeyVersion(&'a str),
}

/// One API request, with everything a test may want to get wrong.
#[derive(Debug, Clone)]
pub(crate) struct Call<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub client_id: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub request_time: Option<&'a str>,
    pub sig: Sig<'a>,
    pub body: Vec<u8>,
}

impl<'a> Call<'a> {
    /// A correct cancel with this JSON body.
    pub(crate) fn cancel(body: Value) -> Self {
        Self::post(CANCEL_PATH, body.to_string().into_bytes())
    }

    pub(crate) fn post(path: &'a str, body: Vec<u8>) -> Self {
        Call {
            method: "POST",
            path,
            client_id: Some(server::DEFAULT_CLIENT_ID),
            content_type: Some(JSON),
            request_time: Some(REQUEST_TIME),
            sig: Sig::Valid,
            body,
        }
    }
}

/// An answer as received.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub json: Value,
}

impl Answer {
    pub(crate) fn code(&self) -> &str {
        self.json["result"]["resultCode"]
            .as_str()
            .unwrap_or("<none>")
    }

    pub(crate) fn status_letter(&self) -> &str {
        self.json["result"]["resultStatus"]
            .as_str()
            .unwrap_or("<none>")
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub(crate) struct Harness {
    pub server: RunningServer,
    pub http: reqwest::Client,
    merchant: SigningKey,
    provider: VerifyingKey,
}

impl Harness {
    pub(crate) async fn start() -> Self {
        Self::start_with(ServerConfig::test_default(), None).await
    }

    pub(crate) async fn start_with(config: ServerConfig, tls: Option<TlsSetup>) -> Self {
        let server = server::start(config, "127.0.0.1:0".parse().expect("address"), tls)
            .await
            .expect("the reference server starts");
        let http = http_client(server.ca_cert_pem.as_deref());
        Self {
            server,
            http,
            merchant: test_keys::merchant_signing(),
            provider: test_keys::provider_verifying(),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url)
    }

    // ----- control plane

    pub(crate) async fn control(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, self.url(path));
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("control plane answers");
        let status = response.status();
        let text = response.text().await.expect("control body");
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, json)
    }

    /// Seeds a payment; returns (paymentId, paymentRequestId).
    pub(crate) async fn seed(&self, body: Value) -> (String, String) {
        let (status, json) = self
            .control("POST", "/control/v1/payments", Some(body))
            .await;
        assert_eq!(status, StatusCode::OK, "seeding: {json}");
        (
            json["paymentId"].as_str().expect("paymentId").to_string(),
            json["paymentRequestId"]
                .as_str()
                .expect("paymentRequestId")
                .to_string(),
        )
    }

    pub(crate) async fn seed_state(&self, state: &str) -> (String, String) {
        self.seed(json!({ "state": state })).await
    }

    pub(crate) async fn state_of(&self, payment_id: &str) -> String {
        let (status, json) = self
            .control("GET", &format!("/control/v1/payments/{payment_id}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{json}");
        json["state"].as_str().expect("state").to_string()
    }

    pub(crate) async fn event(&self, payment_id: &str, event: &str) -> (bool, String) {
        let (status, json) = self
            .control(
                "POST",
                &format!("/control/v1/payments/{payment_id}/events"),
                Some(json!({ "event": event })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{json}");
        (
            json["applied"].as_bool().expect("applied"),
            json["state"].as_str().expect("state").to_string(),
        )
    }

    pub(crate) async fn fault(&self, payment_id: &str, fault: Value) {
        let (status, json) = self
            .control(
                "POST",
                &format!("/control/v1/payments/{payment_id}/faults"),
                Some(fault),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{json}");
    }

    pub(crate) async fn advance(&self, payment_id: &str, ms: u64) {
        let (status, json) = self
            .control(
                "POST",
                &format!("/control/v1/payments/{payment_id}/advance"),
                Some(json!({ "ms": ms })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{json}");
    }

    // ----- API

    /// Sends the request; `Err` when no complete answer arrived.
    pub(crate) async fn try_call(&self, call: &Call<'_>) -> Result<Answer, reqwest::Error> {
        let method = reqwest::Method::from_bytes(call.method.as_bytes()).expect("method");
        let mut request = self.http.request(method, self.url(call.path));
        if let Some(content_type) = call.content_type {
            request = request.header("Content-Type", content_type);
        }
        if let Some(client_id) = call.client_id {
            request = request.header("Client-Id", client_id);
        }
        if let Some(time) = call.request_time {
            request = request.header("Request-Time", time);
        }
        let client_id = call.client_id.unwrap_or_default();
        let time = call.request_time.unwrap_or_default();
        let sign = |version: &str, body: &[u8]| {
            SignedContent::post(call.path, client_id, time, body)
                .sign(&self.merchant, version)
                .expect("signing works")
        };
        let signature = match call.sig {
            Sig::Valid => Some(sign("1", &call.body)),
            Sig::Missing => None,
            Sig::Bad => Some(sign("1", b"{\"paymentId\":\"something else\"}")),
            Sig::KeyVersion(version) => Some(sign(version, &call.body)),
        };
        if let Some(signature) = signature {
            request = request.header("Signature", signature);
        }
        let response = request.body(call.body.clone()).send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?.to_vec();
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Ok(Answer {
            status,
            headers,
            body,
            json,
        })
    }

    /// Sends the request and checks what every API answer must be: HTTP 200,
    /// JSON with a result object, signed by the provider key over the path
    /// as requested and the request's client id.
    pub(crate) async fn call(&self, call: &Call<'_>) -> Answer {
        let answer = self.try_call(call).await.expect("a complete answer");
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "every API answer is HTTP 200"
        );
        assert!(
            answer.json["result"]["resultCode"].is_string(),
            "a result object: {}",
            String::from_utf8_lossy(&answer.body)
        );
        assert_eq!(answer.header("content-type"), Some(JSON));
        self.assert_signed(call, &answer);
        answer
    }

    pub(crate) fn assert_signed(&self, call: &Call<'_>, answer: &Answer) {
        let client_id = answer.header("client-id").expect("a client-id header");
        assert_eq!(client_id, call.client_id.unwrap_or_default());
        let time = answer
            .header("response-time")
            .expect("a response-time header");
        let signature = answer.header("signature").expect("a signature header");
        let header = SignedContent::post(call.path, client_id, time, &answer.body)
            .verify(&self.provider, signature)
            .expect("the answer verifies with the provider public key");
        assert_eq!(header.key_version.as_deref(), Some("1"));
    }

    pub(crate) async fn cancel(&self, body: Value) -> Answer {
        self.call(&Call::cancel(body)).await
    }

    pub(crate) async fn cancel_by_id(&self, payment_id: &str) -> Answer {
        self.cancel(json!({ "paymentId": payment_id })).await
    }

    pub(crate) async fn inquiry(&self, payment_id: &str) -> Answer {
        self.call(&Call::post(
            cancel_conformance::spec::api::INQUIRY_PATH,
            json!({ "paymentId": payment_id }).to_string().into_bytes(),
        ))
        .await
    }
}
