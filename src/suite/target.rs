//! The target a run judges: where it is, who the suite calls as, which keys
//! sign and verify, and how fixtures come to exist (the control plane, or a
//! fixtures file of payments a person prepared).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::case::{Fixture, Owner, parse_duration};
use crate::server::ControlToken;
use crate::signing::{SigningKey, VerifyingKey};
use crate::spec::yaml::{self, YamlError};
use crate::wire::http::TransportError;

/// A client id no provider knows, for the CLIENT_INVALID cases.
pub const UNKNOWN_CLIENT_ID: &str = "UNKNOWN_CONFORMANCE_CLIENT";

/// The prefix of the control plane every conforming mock implements
/// (INTERPRETING.md, "Control plane"): the reference server's own.
pub use crate::server::CONTROL_PREFIX;

use crate::domain::PaymentIds;
use crate::wire::headers::CONTENT_TYPE;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixturesFile {
    fixtures: BTreeMap<String, PaymentIds>,
}

/// Reads a fixtures file: fixture name → the ids of a prepared payment.
pub fn load_fixtures(file: &Path) -> Result<BTreeMap<String, PaymentIds>, YamlError> {
    yaml::load::<FixturesFile>(file).map(|f| f.fixtures)
}

/// Everything the runner needs to talk to one target.
#[derive(Debug, Clone)]
pub struct Target {
    /// Scheme, host and port, no trailing slash.
    pub base_url: String,
    /// What the run is against, for people (never holds a secret).
    pub description: String,
    pub client_id: String,
    /// Another client id of the same merchant, signing with the same key,
    /// for the ACCESS_DENIED cases; `None` where the user has none.
    pub other_client_id: Option<String>,
    pub merchant_key: Arc<SigningKey>,
    pub key_version: String,
    pub provider_key: VerifyingKey,
    /// Fixtures come from this file instead of the control plane.
    pub fixtures: Option<BTreeMap<String, PaymentIds>>,
    /// How long an exchange may take unless a case says otherwise.
    pub timeout: Duration,
    /// Sent on every control-plane call when the target's control plane
    /// needs it; its `Debug` shows `***`.
    pub control_token: Option<ControlToken>,
    /// The acquirer profile the run checks: a case of another profile is
    /// ignored with the reason.
    pub profile: crate::profile::Profile,
    /// The contract time zone the run declares for the target: a case that
    /// names another zone is ignored with the reason.
    pub time_zone: crate::time_zone::TimeZone,
}

/// A control-plane call that did not do what INTERPRETING.md says.
#[derive(Debug, Clone)]
pub enum ControlError {
    Transport(TransportError),
    /// The control plane answered, but not as the contract says.
    Refused {
        call: String,
        status: u16,
        body: String,
    },
}

impl Target {
    /// A target at `base_url` called as the default test client with the
    /// TEST-ONLY keys: what a plain `serve` accepts.
    pub fn with_test_identity(base_url: &str, client_id: &str, other_client_id: &str) -> Target {
        Target {
            base_url: base_url.trim_end_matches('/').to_string(),
            description: base_url.to_string(),
            client_id: client_id.to_string(),
            other_client_id: Some(other_client_id.to_string()),
            merchant_key: Arc::new(crate::signing::test_keys::merchant_signing()),
            key_version: crate::signing::test_keys::KEY_VERSION.to_string(),
            provider_key: crate::signing::test_keys::provider_verifying(),
            fixtures: None,
            timeout: Duration::from_secs(10),
            control_token: None,
            profile: crate::profile::Profile::default(),
            time_zone: crate::time_zone::TimeZone::DEFAULT,
        }
    }

    /// True when fixtures are seeded and faults scripted through the
    /// control plane.
    pub fn has_control_plane(&self) -> bool {
        self.fixtures.is_none()
    }

    /// Why this target cannot run a case with this fixture, if it cannot.
    pub fn cannot_provide(&self, fixture: &Fixture) -> Option<String> {
        if fixture.owner == Owner::Other && self.other_client_id.is_none() {
            return Some(format!(
                "fixture `{}` belongs to another client id: give --other-client-id",
                fixture.name
            ));
        }
        if self.fixtures.is_some() && fixture.clock.is_some() {
            return Some(format!(
                "fixture `{}` sets the payment's clock, which needs the control plane",
                fixture.name
            ));
        }
        match &self.fixtures {
            Some(map) if !map.contains_key(&fixture.name) => Some(format!(
                "fixture `{}` is not in the fixtures file: prepare a payment that is {} ({}{}) and add its ids under that name",
                fixture.name,
                fixture.state.as_str(),
                fixture.method.as_str(),
                fixture
                    .age
                    .as_deref()
                    .map(|age| format!(", paid {age} ago"))
                    .unwrap_or_default()
            )),
            _ => None,
        }
    }

    /// Seeds the fixture's payment (or looks it up in the fixtures file).
    pub async fn provide(
        &self,
        http: &reqwest::Client,
        fixture: &Fixture,
    ) -> Result<PaymentIds, ControlError> {
        if let Some(map) = &self.fixtures {
            // `cannot_provide` has already turned a missing name into an
            // ignored case; this is only reached when the name is there.
            return map
                .get(&fixture.name)
                .cloned()
                .ok_or_else(|| ControlError::Refused {
                    call: format!("fixture {}", fixture.name),
                    status: 0,
                    body: "not in the fixtures file".into(),
                });
        }
        let age_ms = fixture
            .age
            .as_deref()
            .and_then(parse_duration)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let owner = match fixture.owner {
            Owner::Own => self.client_id.clone(),
            Owner::Other => self.other_client_id.clone().unwrap_or_default(),
        };
        let mut body = json!({
            "state": fixture.state.as_str(),
            "method": fixture.method.as_str(),
            "ageMs": age_ms,
            "owner": owner,
        });
        // Control plane 1.1: a payment seeded at absolute times on its own
        // clock (INTERPRETING.md §5); sent only by the cases that need it,
        // so a 1.0 mock still runs every other case.
        for (key, value) in [
            ("clock", &fixture.clock),
            ("paidAt", &fixture.paid_at),
            ("createdAt", &fixture.created_at),
        ] {
            if let Some(value) = value {
                body[key] = json!(value);
            }
        }
        if (fixture.paid_at.is_some() || fixture.created_at.is_some())
            && let Some(map) = body.as_object_mut()
        {
            map.remove("ageMs");
        }
        let answer = self.control(http, "/payments", body).await?;
        let ids = (
            answer.get("paymentId").and_then(Value::as_str),
            answer.get("paymentRequestId").and_then(Value::as_str),
        );
        match ids {
            (Some(payment_id), Some(payment_request_id)) => Ok(PaymentIds {
                payment_id: payment_id.to_string(),
                payment_request_id: payment_request_id.to_string(),
            }),
            _ => Err(ControlError::Refused {
                call: format!("POST {CONTROL_PREFIX}/payments"),
                status: 200,
                body: format!("{answer} (paymentId and paymentRequestId are missing)"),
            }),
        }
    }

    /// The headers of every control-plane call: JSON when it has a body,
    /// and the token when the target has one (reports mask `authorization`
    /// like a signature).
    fn control_headers(&self, with_body: bool) -> Vec<(String, String)> {
        let mut headers = Vec::new();
        if with_body {
            headers.push((CONTENT_TYPE.into(), "application/json".into()));
        }
        if let Some(token) = &self.control_token {
            headers.push(("authorization".into(), token.authorization().to_string()));
        }
        headers
    }

    /// What the control plane says of a payment now:
    /// `GET /control/v1/payments/{paymentId}`.
    pub async fn inspect(
        &self,
        http: &reqwest::Client,
        payment_id: &str,
    ) -> Result<Value, ControlError> {
        self.control_call(http, "GET", &format!("/payments/{payment_id}"), None)
            .await
    }

    /// One control-plane call: POST JSON, expect 200 and a JSON answer.
    pub async fn control(
        &self,
        http: &reqwest::Client,
        path: &str,
        body: Value,
    ) -> Result<Value, ControlError> {
        self.control_call(http, "POST", path, Some(body)).await
    }

    async fn control_call(
        &self,
        http: &reqwest::Client,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, ControlError> {
        let call = format!("{method} {CONTROL_PREFIX}{path}");
        let request = crate::wire::message::SentRequest {
            method: method.into(),
            path: format!("{CONTROL_PREFIX}{path}"),
            headers: self.control_headers(body.is_some()),
            body: body
                .map(|body| body.to_string().into_bytes())
                .unwrap_or_default(),
        };
        let received = crate::wire::http::send(http, &self.base_url, &request, self.timeout)
            .await
            .map_err(ControlError::Transport)?;
        let text = String::from_utf8_lossy(&received.body).into_owned();
        if received.status != 200 {
            return Err(ControlError::Refused {
                call,
                status: received.status,
                body: text,
            });
        }
        serde_json::from_str(&text).map_err(|_| ControlError::Refused {
            call,
            status: received.status,
            body: format!("{text} (not JSON)"),
        })
    }
}
