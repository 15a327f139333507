//! A fixture's payment on a target without a control plane: taken from the
//! fixtures file's pool, then looked at (an inquiry) before the case's
//! first step. A payment that is used up, in another state than the case
//! needs, or unknown to the target ignores the case with the reason: a
//! case run against such a payment would pass without proving anything,
//! or fail for a reason that is not the target's.
//!
//! The same inquiry serves `cancel-conformance fixtures check`.

use super::*;
use crate::spec::api::PaymentStatus;
use crate::suite::server_half::case::Owner;
use crate::suite::server_half::sandbox;
use crate::wire::headers::{CLIENT_ID, CONTENT_TYPE, REQUEST_TIME, SIGNATURE};

/// How long the runner waits before asking again when a target without a
/// control plane throttles it (REQUEST_TRAFFIC_EXCEED_LIMIT or HTTP 429);
/// after the last wait, the case is ignored as throttled.
pub const THROTTLE_WAITS: [std::time::Duration; 3] = [
    std::time::Duration::from_secs(1),
    std::time::Duration::from_secs(2),
    std::time::Duration::from_secs(4),
];

/// Whether an answer says the caller is sending too fast.
pub fn is_throttled(received: &Received) -> bool {
    received.status == 429
        || serde_json::from_slice::<Value>(&received.body).is_ok_and(|json| {
            json.pointer("/result/resultCode").and_then(Value::as_str)
                == Some("REQUEST_TRAFFIC_EXCEED_LIMIT")
        })
}

/// What an inquiry says of a prepared payment, measured against the state
/// a fixture needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// The inquiry reports the status the fixture's state shows as.
    Ready,
    /// It is cancelled and the fixture needs it not to be.
    UsedUp { status: String },
    /// It is in another state.
    WrongState { status: String, want: PaymentStatus },
    /// The target does not know the id (F ORDER_NOT_EXIST).
    Unknown { code: String },
    /// The target kept throttling the inquiry.
    Throttled,
    /// No answer the runner can read (the case itself will judge the
    /// target's inquiry; this only observes).
    Unclear { why: String },
}

impl Readiness {
    /// The reason a case is ignored for, or `None` when it may run.
    pub fn reason(&self, fixture: &Fixture, ids: &PaymentIds) -> Option<String> {
        let name = &fixture.name;
        let id = &ids.payment_id;
        let needs = fixture.state_once_seeded().as_str();
        match self {
            Readiness::Ready | Readiness::Unclear { .. } => None,
            Readiness::UsedUp { status } => Some(format!(
                "fixture `{name}` used up: its payment {id} is {status} by inquiry and the case needs it {needs}: replace it in the fixtures file with a fresh one"
            )),
            Readiness::WrongState { status, want } => Some(format!(
                "fixture `{name}` in the wrong state: its payment {id} is {status} by inquiry and the case needs it {needs} ({})",
                want.as_str()
            )),
            Readiness::Unknown { code } => Some(format!(
                "fixture `{name}` names an unknown id: the target answers F {code} for payment {id}"
            )),
            Readiness::Throttled => Some(format!(
                "throttled: the target kept answering REQUEST_TRAFFIC_EXCEED_LIMIT (or HTTP 429) to the inquiry about fixture `{name}` after {} waits; run with a lower --rate",
                THROTTLE_WAITS.len()
            )),
        }
    }
}

/// Why a case gets no payment for its fixture: it is ignored with this
/// reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum NoPayment {
    /// The fixture's name.
    #[error("fixture `{0}`: no fixtures file")]
    NoFixturesFile(String),
    /// The pool gives none (missing, or every payment used up).
    #[error("{0}")]
    Pool(crate::suite::server_half::target::FixtureError),
    /// The inquiry finds the payment unfit ([`Readiness::reason`]).
    #[error("{0}")]
    NotReady(String),
}

/// The payment of `fixture` for `case` from the target's fixtures file,
/// checked by inquiry; `Err` is why the case is ignored.
pub(super) async fn take(
    case: &Case,
    which: Which,
    fixture: &Fixture,
    target: &Target,
    http: &reqwest::Client,
) -> Result<PaymentIds, NoPayment> {
    let pools = target
        .fixtures
        .as_ref()
        .ok_or_else(|| NoPayment::NoFixturesFile(fixture.name.clone()))?;
    let ids = pools
        .take(&fixture.name, sandbox::uses_up(case, which, fixture))
        .map_err(NoPayment::Pool)?;
    let readiness = readiness(target, http, fixture, &ids).await;
    match readiness.reason(fixture, &ids) {
        Some(reason) => Err(NoPayment::NotReady(reason)),
        None => Ok(ids),
    }
}

/// Asks the target about `ids` (as the fixture's owner) and compares the
/// answer with the state `fixture` needs.
pub async fn readiness(
    target: &Target,
    http: &reqwest::Client,
    fixture: &Fixture,
    ids: &PaymentIds,
) -> Readiness {
    let client_id = match fixture.owner {
        Owner::Own => target.client_id.clone(),
        Owner::Other => target.other_client_id.clone().unwrap_or_default(),
    };
    let body = json!({"paymentId": ids.payment_id})
        .to_string()
        .into_bytes();
    let path = path_for_client(&client_id, INQUIRY_PATH);
    let mut waits = THROTTLE_WAITS.iter();
    let received = loop {
        let request_time = super::now_request_time();
        let signature = match SignedContent::post(&path, &client_id, &request_time, &body)
            .sign(&target.merchant_key, &target.key_version)
        {
            Ok(signature) => signature,
            Err(err) => {
                return Readiness::Unclear {
                    why: format!("cannot sign the inquiry: {err}"),
                };
            }
        };
        let request = SentRequest {
            method: "POST".into(),
            path: path.clone(),
            headers: vec![
                (
                    CONTENT_TYPE.into(),
                    "application/json; charset=UTF-8".into(),
                ),
                (CLIENT_ID.into(), client_id.clone()),
                (REQUEST_TIME.into(), request_time),
                (SIGNATURE.into(), signature),
            ],
            body: body.clone(),
        };
        target.pace().await;
        let received = match http::exchange(http, &target.base_url, &request, target.timeout).await
        {
            Ok(exchanged) => exchanged.received,
            Err(error) => {
                return Readiness::Unclear {
                    why: error.to_string(),
                };
            }
        };
        if !is_throttled(&received) {
            break received;
        }
        match waits.next() {
            Some(wait) => tokio::time::sleep(*wait).await,
            None => return Readiness::Throttled,
        }
    };
    judge_answer(fixture, &received)
}

/// What an inquiry's answer says of the payment, against `fixture`.
fn judge_answer(fixture: &Fixture, received: &Received) -> Readiness {
    let Ok(json) = serde_json::from_slice::<Value>(&received.body) else {
        return Readiness::Unclear {
            why: format!("HTTP {} without a JSON body", received.status),
        };
    };
    let text = |pointer: &str| json.pointer(pointer).and_then(Value::as_str);
    match (text("/result/resultStatus"), text("/result/resultCode")) {
        (Some("S"), _) => {}
        (Some("F"), Some(code @ "ORDER_NOT_EXIST")) => {
            return Readiness::Unknown {
                code: code.to_string(),
            };
        }
        (status, code) => {
            return Readiness::Unclear {
                why: format!(
                    "the inquiry answered {} {}",
                    status.unwrap_or("(no resultStatus)"),
                    code.unwrap_or("")
                ),
            };
        }
    }
    let want = invariants::status_of_state(fixture.state_once_seeded());
    match text("/paymentStatus") {
        Some(status) if status == want.as_str() => Readiness::Ready,
        Some(status @ "CANCELLED") => Readiness::UsedUp {
            status: status.to_string(),
        },
        Some(status) => Readiness::WrongState {
            status: status.to_string(),
            want,
        },
        None => Readiness::Unclear {
            why: "the inquiry's S answer has no paymentStatus".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PaymentState;

    fn fixture(state: PaymentState) -> Fixture {
        Fixture {
            name: "paid-wallet".into(),
            state,
            method: Default::default(),
            age: None,
            clock: None,
            paid_at: None,
            created_at: None,
            owner: Owner::Own,
        }
    }

    fn answer(status: u16, body: &str) -> Received {
        Received {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    const SUCCESS: &str =
        r#"{"result":{"resultStatus":"S","resultCode":"SUCCESS"},"paymentStatus":"SUCCESS"}"#;
    const CANCELLED: &str =
        r#"{"result":{"resultStatus":"S","resultCode":"SUCCESS"},"paymentStatus":"CANCELLED"}"#;

    #[test]
    fn a_paid_payment_is_ready_for_a_paid_fixture_and_used_up_once_cancelled() {
        let paid = fixture(PaymentState::Paid);
        assert_eq!(judge_answer(&paid, &answer(200, SUCCESS)), Readiness::Ready);
        let used = judge_answer(&paid, &answer(200, CANCELLED));
        assert!(matches!(used, Readiness::UsedUp { .. }), "{used:?}");
        let ids = PaymentIds {
            payment_id: "P1".into(),
            payment_request_id: "R1".into(),
        };
        let reason = used.reason(&paid, &ids).expect("ignored");
        assert!(
            reason.starts_with("fixture `paid-wallet` used up"),
            "{reason}"
        );
        // A cancelled fixture is ready when cancelled, and in the wrong
        // state when still paid.
        let cancelled = fixture(PaymentState::Cancelled);
        assert_eq!(
            judge_answer(&cancelled, &answer(200, CANCELLED)),
            Readiness::Ready
        );
        assert!(matches!(
            judge_answer(&cancelled, &answer(200, SUCCESS)),
            Readiness::WrongState { .. }
        ));
    }

    #[test]
    fn an_unknown_id_is_said_and_an_unreadable_answer_leaves_the_case_to_judge() {
        let paid = fixture(PaymentState::Paid);
        let unknown = judge_answer(
            &paid,
            &answer(
                200,
                r#"{"result":{"resultStatus":"F","resultCode":"ORDER_NOT_EXIST"}}"#,
            ),
        );
        assert!(matches!(unknown, Readiness::Unknown { .. }), "{unknown:?}");
        let ids = PaymentIds {
            payment_id: "P1".into(),
            payment_request_id: "R1".into(),
        };
        for unclear in [answer(500, "oops"), answer(200, r#"{"result":{}}"#)] {
            let readiness = judge_answer(&paid, &unclear);
            assert!(
                matches!(readiness, Readiness::Unclear { .. }),
                "{readiness:?}"
            );
            assert_eq!(readiness.reason(&paid, &ids), None);
        }
    }

    #[test]
    fn throttling_is_recognised_by_code_and_by_http_429() {
        assert!(is_throttled(&answer(429, "")));
        assert!(is_throttled(&answer(
            200,
            r#"{"result":{"resultStatus":"F","resultCode":"REQUEST_TRAFFIC_EXCEED_LIMIT"}}"#
        )));
        assert!(!is_throttled(&answer(200, SUCCESS)));
    }
}
