//! The target a run judges: where it is, who the suite calls as, which keys
//! sign and verify, and how fixtures come to exist (the control plane, or a
//! fixtures file of payments a person prepared).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::case::{Fixture, Owner, parse_duration};
use crate::signing::{SigningKey, VerifyingKey};
use crate::spec::control_plane::{
    ControlToken, ErrorAnswer, PROBE_PAYMENT_ID, SeedRequest, SeededPayment,
};
use crate::spec::yaml::{self, YamlError};
use crate::wire::http::TransportError;

/// A client id no provider knows, for the CLIENT_INVALID cases.
pub const UNKNOWN_CLIENT_ID: &str = "UNKNOWN_CONFORMANCE_CLIENT";

/// The prefix of the control plane every conforming mock implements
/// (INTERPRETING.md, "Control plane"), as the contract gives it.
pub use crate::spec::control_plane::PREFIX as CONTROL_PREFIX;

use crate::domain::PaymentIds;
use crate::wire::headers::CONTENT_TYPE;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixturesFile {
    fixtures: BTreeMap<String, PoolEntry>,
}

/// A fixture name's payments: one (`payment_id:` ...) or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum PoolEntry {
    One(PaymentIds),
    Many(Vec<PaymentIds>),
}

/// Reads a fixtures file: fixture name → the ids of the prepared payments
/// (a pool; a name may give one payment or a list).
pub fn load_fixtures(file: &Path) -> Result<BTreeMap<String, Vec<PaymentIds>>, YamlError> {
    yaml::load::<FixturesFile>(file).map(|f| {
        f.fixtures
            .into_iter()
            .map(|(name, entry)| {
                let pool = match entry {
                    PoolEntry::One(ids) => vec![ids],
                    PoolEntry::Many(list) => list,
                };
                (name, pool)
            })
            .collect()
    })
}

/// The payments of a fixtures file, handed out to the cases of one run:
/// a case that changes a payment (cancels it) takes one of its own; the
/// cases that only read share one payment that no case changes. A name
/// whose payments have run out leaves its further cases ignored as used
/// up, never run against a payment another case has cancelled.
#[derive(Debug)]
pub struct FixturePools {
    pools: BTreeMap<String, Vec<PaymentIds>>,
    /// How many payments a full run takes from each name.
    need: BTreeMap<String, usize>,
    /// The names read by some case: their first payment is kept for them.
    read: std::collections::BTreeSet<String>,
    /// The next payment of each name for a case that uses one up.
    next: std::sync::Mutex<BTreeMap<String, usize>>,
}

impl FixturePools {
    /// `need`: per name, how many payments a full run takes, and whether
    /// some case only reads it (see `server_half::sandbox::FixtureUse`).
    pub fn new(
        pools: BTreeMap<String, Vec<PaymentIds>>,
        need: BTreeMap<String, (usize, bool)>,
    ) -> Self {
        let read = need
            .iter()
            .filter(|(_, (_, read))| *read)
            .map(|(name, _)| name.clone())
            .collect();
        FixturePools {
            pools,
            need: need
                .into_iter()
                .map(|(name, (count, _))| (name, count))
                .collect(),
            read,
            next: std::sync::Mutex::new(BTreeMap::new()),
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.pools.contains_key(name)
    }

    /// Every name with its payments.
    pub fn pools(&self) -> &BTreeMap<String, Vec<PaymentIds>> {
        &self.pools
    }

    /// A payment of `name` for a case: its own when the case uses it up,
    /// else the one kept for readers. `Err` is why the case is ignored.
    pub fn take(&self, name: &str, uses_up: bool) -> Result<PaymentIds, FixtureError> {
        let pool = self
            .pools
            .get(name)
            .ok_or_else(|| FixtureError::NotInFile {
                name: name.to_string(),
            })?;
        let kept = usize::from(self.read.contains(name));
        let index = if uses_up {
            // A poisoned lock only means another case panicked while
            // holding it; the counter itself is still whole.
            let mut next = self
                .next
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let slot = next.entry(name.to_string()).or_insert(kept);
            let index = *slot;
            *slot += 1;
            index
        } else {
            0
        };
        pool.get(index)
            .cloned()
            .ok_or_else(|| FixtureError::UsedUp {
                name: name.to_string(),
                given: pool.len(),
                need: self
                    .need
                    .get(name)
                    .copied()
                    .unwrap_or(index + 1)
                    .max(index + 1),
            })
    }
}

/// Why a fixtures file gives a case no payment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FixtureError {
    #[error("fixture `{name}` is not in the fixtures file")]
    NotInFile { name: String },
    /// Every payment of the name went to earlier cases.
    #[error(
        "fixture `{name}` used up: the fixtures file gives {given} payment{} for it and a full run needs {need}: add {} more (`cancel-conformance fixtures --template` says which cases use it up)",
        if *.given == 1 { "" } else { "s" },
        need.saturating_sub(*given)
    )]
    UsedUp {
        name: String,
        given: usize,
        need: usize,
    },
}

/// Spaces the requests of a whole run to a target at most `rate` a second
/// (`--rate N/s`): a sandbox's rate limit is the account's, not a case's.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Pacer {
    /// `None` for a rate of 0 (no pacing).
    pub fn per_second(rate: u32) -> Option<Self> {
        (rate > 0).then(|| Pacer {
            interval: Duration::from_secs(1) / rate,
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        })
    }

    /// Waits for this request's turn.
    pub async fn wait(&self) {
        let turn = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let turn = (*next).max(now);
            *next = turn + self.interval;
            turn
        };
        tokio::time::sleep_until(turn).await;
    }
}

/// Whether the target has a control plane, as the pre-flight probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlPlane {
    /// It answered the probe as INTERPRETING.md §5 says.
    Present,
    /// It did not; `why` says what the probe saw.
    Absent { why: String },
}

impl ControlPlane {
    /// One line for the run's header and reports.
    pub fn describe(&self) -> String {
        match self {
            ControlPlane::Present => "present".to_string(),
            ControlPlane::Absent { why } => format!("absent ({why})"),
        }
    }
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
    pub fixtures: Option<Arc<FixturePools>>,
    /// What the pre-flight probe found (the embedded server has one).
    pub control_plane: ControlPlane,
    /// Paces every request to the target (`--rate N/s`); `None`: as fast
    /// as the cases go.
    pub pacer: Option<Arc<Pacer>>,
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

/// Why the pre-flight probe cannot tell whether the target has a control
/// plane: the run cannot start.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProbeError {
    #[error(
        "the target's control plane wants a token ({call} answered HTTP 401): give --control-token-file FILE"
    )]
    TokenWanted { call: String },
    #[error("the target's control plane refuses the token given ({call} answered HTTP 401)")]
    TokenRefused { call: String },
    #[error("cannot reach the target at {target}: {error}")]
    Unreachable {
        target: String,
        error: TransportError,
    },
}

impl Target {
    /// Waits for the next request's turn under `--rate`.
    pub async fn pace(&self) {
        if let Some(pacer) = &self.pacer {
            pacer.wait().await;
        }
    }

    /// True when fixtures are seeded and faults scripted through the
    /// control plane: the target has one and no fixtures file replaces it.
    pub fn has_control_plane(&self) -> bool {
        self.control_plane == ControlPlane::Present && self.fixtures.is_none()
    }

    /// Why this target cannot run a case with this fixture, if it cannot.
    pub fn cannot_provide(&self, fixture: &Fixture) -> Option<String> {
        if fixture.owner == Owner::Other && self.other_client_id.is_none() {
            return Some(format!(
                "fixture `{}` belongs to another client id: give --other-client-id",
                fixture.name
            ));
        }
        if self.has_control_plane() {
            return None;
        }
        if fixture.needs_seeding_on_time() {
            return Some(format!(
                "fixture `{}` must be seeded at the moment of the case (its own clock, times given to the second), which needs the control plane",
                fixture.name
            ));
        }
        match &self.fixtures {
            None => Some(format!(
                "fixture `{}` needs a prepared payment and this target has no control plane to seed one: give --fixtures FILE (`cancel-conformance fixtures --template` writes its skeleton; INTERPRETING.md §6)",
                fixture.name
            )),
            Some(pools) if !pools.contains(&fixture.name) => Some(format!(
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
            Some(_) => None,
        }
    }

    /// Finds out whether the target has a control plane: one harmless read,
    /// `GET /control/v1/payments/cancel-conformance-probe`, which a control
    /// plane answers HTTP 404 with exactly `{"error": "<message>"}` (no
    /// such payment, INTERPRETING.md §5), or 200 with the payment should
    /// one have that id; 401 when it wants a token that was not given.
    pub async fn probe_control_plane(
        &self,
        http: &reqwest::Client,
    ) -> Result<ControlPlane, ProbeError> {
        let path = format!("/payments/{PROBE_PAYMENT_ID}");
        let call = format!("GET {CONTROL_PREFIX}{path}");
        // Exactly `{"error": "<message>"}`: the contract's error answer,
        // nothing beside it.
        let only_an_error = |body: &str| serde_json::from_str::<ErrorAnswer>(body).is_ok();
        match self.control_call(http, "GET", &path, None).await {
            Ok(json) if json.get("state").is_some() => Ok(ControlPlane::Present),
            Err(ControlError::Refused {
                status: 404, body, ..
            }) if only_an_error(&body) => Ok(ControlPlane::Present),
            Ok(_) => Ok(ControlPlane::Absent {
                why: format!("{call} answered HTTP 200 without a payment's `state`"),
            }),
            Err(ControlError::Refused { status: 401, .. }) if self.control_token.is_none() => {
                Err(ProbeError::TokenWanted { call })
            }
            Err(ControlError::Refused { status: 401, .. }) => {
                Err(ProbeError::TokenRefused { call })
            }
            Err(ControlError::Refused { status, .. }) => Ok(ControlPlane::Absent {
                why: format!("{call} answered HTTP {status}, not the control plane's 404"),
            }),
            Err(ControlError::Transport(error)) => Err(ProbeError::Unreachable {
                target: self.description.clone(),
                error,
            }),
        }
    }

    /// Seeds the fixture's payment (or looks it up in the fixtures file).
    pub async fn provide(
        &self,
        http: &reqwest::Client,
        fixture: &Fixture,
    ) -> Result<PaymentIds, ControlError> {
        if self.fixtures.is_some() || self.control_plane != ControlPlane::Present {
            // `cannot_provide` and the pools have already dealt with a
            // target without a control plane; this is a runner bug.
            return Err(ControlError::Refused {
                call: format!("fixture {}", fixture.name),
                status: 0,
                body: "the target has no control plane to seed it".into(),
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
        // Control plane 1.1: a payment seeded at absolute times on its own
        // clock (INTERPRETING.md §5); sent only by the cases that need it,
        // so a 1.0 mock still runs every other case. Its age is then
        // given by those times, never by `ageMs` beside them.
        let at_times = fixture.paid_at.is_some() || fixture.created_at.is_some();
        let body = SeedRequest {
            state: fixture.state,
            method: fixture.method,
            age_ms: (!at_times).then_some(age_ms),
            owner: Some(owner),
            clock: fixture.clock.clone(),
            paid_at: fixture.paid_at.clone(),
            created_at: fixture.created_at.clone(),
            count: None,
        };
        let answer = self.control(http, "/payments", &body).await?;
        match serde_json::from_value::<SeededPayment>(answer.clone()) {
            Ok(seeded) => Ok(seeded.into()),
            Err(_) => Err(ControlError::Refused {
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

    /// One control-plane call: POST the JSON of `body` (one of the
    /// contract's requests, `crate::spec::control_plane`), expect 200 and a
    /// JSON answer.
    pub async fn control(
        &self,
        http: &reqwest::Client,
        path: &str,
        body: &impl Serialize,
    ) -> Result<Value, ControlError> {
        // Serializing the contract's types (or a JSON value) cannot fail:
        // their keys are strings and their numbers finite.
        let body = serde_json::to_vec(body).unwrap_or_default();
        self.control_call(http, "POST", path, Some(body)).await
    }

    async fn control_call(
        &self,
        http: &reqwest::Client,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Value, ControlError> {
        let call = format!("{method} {CONTROL_PREFIX}{path}");
        let request = crate::wire::message::SentRequest {
            method: method.into(),
            path: format!("{CONTROL_PREFIX}{path}"),
            headers: self.control_headers(body.is_some()),
            body: body.unwrap_or_default(),
        };
        self.pace().await;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> PaymentIds {
        PaymentIds {
            payment_id: format!("P{n}"),
            payment_request_id: format!("R{n}"),
        }
    }

    #[test]
    fn a_pool_hands_out_its_payments_and_then_says_how_many_more_it_needs() {
        let pools = FixturePools::new(
            BTreeMap::from([("paid".to_string(), vec![ids(1), ids(2)])]),
            BTreeMap::from([("paid".to_string(), (4, true))]),
        );
        // The first payment is kept for readers; users-up take the rest.
        assert_eq!(pools.take("paid", false), Ok(ids(1)));
        assert_eq!(pools.take("paid", true), Ok(ids(2)));
        assert_eq!(
            pools.take("paid", true).map_err(|err| err.to_string()),
            Err("fixture `paid` used up: the fixtures file gives 2 payments for it and a full run needs 4: add 2 more (`cancel-conformance fixtures --template` says which cases use it up)".to_string())
        );
        let one = FixturePools::new(
            BTreeMap::from([("x".to_string(), vec![ids(1)])]),
            BTreeMap::new(),
        );
        assert_eq!(one.take("x", true), Ok(ids(1)));
        assert_eq!(
            one.take("x", true).map_err(|err| err.to_string()),
            Err("fixture `x` used up: the fixtures file gives 1 payment for it and a full run needs 2: add 1 more (`cancel-conformance fixtures --template` says which cases use it up)".to_string())
        );
        assert_eq!(
            one.take("y", false).map_err(|err| err.to_string()),
            Err("fixture `y` is not in the fixtures file".to_string())
        );
    }
}
