//! The broken server's proxy: what it remembers across requests, how it
//! forwards a call to the reference server, and an API call's way through
//! a defect, from the request it read to the answer it writes. Every
//! broken answer is re-signed with the provider's TEST-ONLY key (but for
//! the defects that are about signing), so that each defect shows on its
//! own rather than as a side effect of a broken signature.

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::sync::Mutex;

use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{Duration, OffsetDateTime, UtcOffset};

use cancel_conformance::signing::{SignedContent, test_keys};

use super::Defect;
use super::answers::Answered;
use super::front::{Incoming, Outgoing};

pub(super) const CANCEL: &str = "/ams/api/v1/payments/cancel";
pub(super) const SANDBOX_CANCEL: &str = "/ams/sandbox/api/v1/payments/cancel";
pub(super) const UTC8: UtcOffset = offset!(+8);

/// What the proxy remembers across requests.
#[derive(Default)]
pub(super) struct Memory {
    /// Payment ids that were seeded unpaid.
    pub(super) seeded_unpaid: HashSet<String>,
    /// Payment ids that received an event while cancelled.
    pub(super) evented_after_cancel: HashSet<String>,
    /// paymentId → the first paymentStatus an inquiry reported.
    pub(super) first_status: HashMap<String, Value>,
    /// paymentId → the payment's clock when a cancel of it was answered U.
    pub(super) unknown_at: HashMap<String, Value>,
    /// Payment ids (either kind) that have been answered U.
    pub(super) answered_unknown: HashSet<String>,
    /// Payment ids that received a late payment-success event.
    pub(super) notified: HashSet<String>,
    /// Payment ids that have been answered S on cancel.
    pub(super) cancelled: HashSet<String>,
    /// Counts S answers, to make each "new" cancelTime different.
    pub(super) successes: u32,
    /// Counts API calls, for the throttling proxies.
    pub(super) api_calls: u32,
    /// paymentRequestId → paymentId, from the seeding answers.
    pub(super) payment_ids: HashMap<String, String>,
    /// paymentId → when its order was created, on its clock.
    pub(super) created: HashMap<String, OffsetDateTime>,
}

/// The broken server: forwards to the reference server at `upstream`,
/// breaking what `defect` breaks.
pub(super) struct Proxy {
    pub(super) defect: Defect,
    pub(super) upstream: String,
    pub(super) http: reqwest::Client,
    pub(super) memory: Mutex<Memory>,
}

/// What the proxy reads off an API call before a defect changes anything.
pub(super) struct Call {
    pub(super) path: String,
    pub(super) is_cancel: bool,
    pub(super) client: String,
    /// The request body, `null` when it is not JSON.
    pub(super) json: Value,
    /// The paymentId the body names, directly or through its paymentRequestId.
    pub(super) named: Option<String>,
    pub(super) signature: String,
    /// The Request-Time header.
    pub(super) time: String,
}

pub(super) fn lock(memory: &Mutex<Memory>) -> std::sync::MutexGuard<'_, Memory> {
    memory
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(super) fn wire(instant: OffsetDateTime) -> String {
    instant
        .to_offset(UTC8)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]+08:00"
        ))
        .unwrap_or_default()
}

pub(super) fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// A Signature header value for `content`, signed by `key`.
pub(super) fn request_signature(path: &str, client: &str, time: &str, body: &[u8]) -> String {
    SignedContent::post(path, client, time, body)
        .sign(&test_keys::merchant_signing(), "1")
        .unwrap_or_default()
}

pub(super) fn result_json(code: &str, status: &str) -> Value {
    json!({"result": {"resultCode": code, "resultStatus": status, "resultMessage": code}})
}

/// An answer cut off mid-body, for a call the reference server dropped.
pub(super) fn cut() -> Outgoing {
    Outgoing {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: b"{\"result\":{}}".to_vec(),
        cut: true,
    }
}

pub(super) fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: String) {
    headers.retain(|(key, _)| !key.eq_ignore_ascii_case(name));
    headers.push((name.to_string(), value));
}

impl Proxy {
    /// An API call through the defect: the request as the defect reads it,
    /// the reference server's answer as the defect changes it, written as
    /// the defect writes it.
    pub(super) async fn api(&self, mut request: Incoming) -> Outgoing {
        let path = request.path().to_string();
        let json: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let call = Call {
            is_cancel: path.ends_with("/cancel"),
            client: request.header("client-id").unwrap_or_default().to_string(),
            named: self.payment_id_of(&json),
            signature: request.header("signature").unwrap_or_default().to_string(),
            time: request
                .header("request-time")
                .unwrap_or_default()
                .to_string(),
            path,
            json,
        };
        let forward_target = match self.broken_request(&call, &mut request).await {
            ControlFlow::Continue(target) => target,
            ControlFlow::Break(made_up) => return made_up,
        };
        let seen = match self.broken_window(&call).await {
            ControlFlow::Continue(seen) => seen,
            ControlFlow::Break(made_up) => return made_up,
        };
        let Some((status, _, answer_body)) = self
            .upstream(
                &request.method,
                &forward_target,
                &request.headers,
                request.body.clone(),
            )
            .await
        else {
            return cut();
        };
        let json: Value = serde_json::from_slice(&answer_body).unwrap_or(Value::Null);
        let answered = Answered::of(&json);
        let json = self
            .broken_answer(&call, &request, json, &answered, seen)
            .await;
        self.written(&call, &json, &answered.letter, status)
    }

    /// Sends a request on to the reference server; `None` when the
    /// connection broke (a scripted drop).
    pub(super) async fn upstream(
        &self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Option<(u16, Vec<(String, String)>, Vec<u8>)> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).ok()?;
        let mut request = self
            .http
            .request(method, format!("{}{target}", self.upstream))
            .body(body);
        for (name, value) in headers {
            let lower = name.to_ascii_lowercase();
            if lower != "host" && lower != "content-length" && lower != "connection" {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        let answer = request.send().await.ok()?;
        let status = answer.status().as_u16();
        let headers = answer
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = answer.bytes().await.ok()?.to_vec();
        Some((status, headers, body))
    }

    /// Sends a correctly signed cancel of `body` as `client`, as a broken
    /// server that carries a cancel out behind its answer would.
    pub(super) async fn cancel_behind(&self, client: &str, body: &[u8]) {
        let time = "2026-11-26T10:00:00+08:00";
        let headers = vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("client-id".to_string(), client.to_string()),
            ("request-time".to_string(), time.to_string()),
            (
                "signature".to_string(),
                request_signature(CANCEL, client, time, body),
            ),
        ];
        let _ = self.upstream("POST", CANCEL, &headers, body.to_vec()).await;
    }

    pub(super) async fn view(&self, payment_id: &str) -> Option<Value> {
        let (status, _, body) = self
            .upstream(
                "GET",
                &format!("/control/v1/payments/{payment_id}"),
                &[],
                Vec::new(),
            )
            .await?;
        (status == 200)
            .then(|| serde_json::from_slice(&body).ok())
            .flatten()
    }

    /// The paymentId a request body names, through the seeding answers
    /// for a paymentRequestId.
    pub(super) fn payment_id_of(&self, body: &Value) -> Option<String> {
        if let Some(id) = body.get("paymentId").and_then(Value::as_str) {
            return Some(id.to_string());
        }
        let request_id = body.get("paymentRequestId").and_then(Value::as_str)?;
        lock(&self.memory).payment_ids.get(request_id).cloned()
    }

    pub(super) async fn control(&self, request: Incoming) -> Outgoing {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let path = request.path().to_string();
        if path.ends_with("/events")
            && body.get("event") == Some(&json!("payment-success"))
            && let Some(id) = path.split('/').nth(4)
        {
            lock(&self.memory).notified.insert(id.to_string());
        }
        if path.ends_with("/events")
            && let Some(id) = path.split('/').nth(4)
            && self
                .view(id)
                .await
                .is_some_and(|view| view.get("state") == Some(&json!("cancelled")))
        {
            lock(&self.memory)
                .evented_after_cancel
                .insert(id.to_string());
        }
        let Some((status, headers, answer)) = self
            .upstream(
                &request.method,
                &request.target,
                &request.headers,
                request.body.clone(),
            )
            .await
        else {
            return cut();
        };
        if path == "/control/v1/payments" && status == 200 {
            let seeded: Value = serde_json::from_slice(&answer).unwrap_or(Value::Null);
            if let (Some(id), Some(request_id)) = (
                seeded.get("paymentId").and_then(Value::as_str),
                seeded.get("paymentRequestId").and_then(Value::as_str),
            ) {
                let now = self
                    .view(id)
                    .await
                    .and_then(|view| view.get("now")?.as_str().and_then(parse_time));
                let created = body
                    .get("createdAt")
                    .and_then(Value::as_str)
                    .and_then(parse_time)
                    .or_else(|| {
                        body.get("paidAt")
                            .and_then(Value::as_str)
                            .and_then(parse_time)
                    })
                    .or_else(|| {
                        let age = body.get("ageMs").and_then(Value::as_i64).unwrap_or(0);
                        now.map(|now| now - Duration::milliseconds(age))
                    });
                let mut memory = lock(&self.memory);
                if body.get("state") == Some(&json!("awaiting-buyer")) {
                    memory.seeded_unpaid.insert(id.to_string());
                }
                memory
                    .payment_ids
                    .insert(request_id.to_string(), id.to_string());
                if let Some(created) = created {
                    memory.created.insert(id.to_string(), created);
                }
            }
        }
        let content_type = headers
            .into_iter()
            .filter(|(name, _)| name == "content-type")
            .collect();
        Outgoing {
            status,
            headers: content_type,
            body: answer,
            cut: false,
        }
    }

    /// A signed answer the proxy makes up itself.
    pub(super) fn answer(&self, path: &str, client: &str, json: Value) -> Outgoing {
        let body = json.to_string().into_bytes();
        let time = "2026-11-26T10:00:00+08:00";
        let signature = SignedContent::post(path, client, time, &body)
            .sign(&test_keys::provider_signing(), "1")
            .unwrap_or_default();
        Outgoing {
            status: 200,
            headers: vec![
                (
                    "content-type".into(),
                    "application/json; charset=UTF-8".into(),
                ),
                ("signature".into(), signature),
                ("response-time".into(), time.into()),
                ("client-id".into(), client.into()),
            ],
            body,
            cut: false,
        }
    }
}
