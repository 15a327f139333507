//! What each client case judges, of what a client implements
//! ([`Capability`], which the adapter declares in `hello`: protocol 3,
//! INTERPRETING.md §8).
//!
//! An SDK signs, verifies, speaks TLS and keeps a timeout; retries and the
//! order book belong to the merchant's service around it. A case judging a
//! layer the client never claims is *not applicable* to it, never a pass,
//! so that an SDK's column shows the SDK's defects, not the absence of a
//! service it never was. What a case judges is derived from what it does
//! (its steps and the provider's answers), so that a new case needs no
//! extra bookkeeping and cannot forget a capability it exercises.

use std::collections::BTreeSet;

use super::case::{AnswerSignature, Certificate, ClientCase, ClientStep, HeaderStyle};
use crate::domain::CancelConclusion;
pub use crate::domain::Capability;

/// The capabilities `case` judges.
///
/// - `sign`: a cancel step (every cancel request is judged against
///   "Sending a request").
/// - `verify`: an answer a correct client must not believe or must parse
///   leniently (not validly signed, another HTTP status, a Signature header
///   variant), or a cancel that must end `refused`.
/// - `tls`: a certificate other than the trusted one.
/// - `timeout`: an answer held past the client's timeout, or never sent.
/// - `retry`: a cancel step that needs more than one request, or a case
///   citing a `retry.` rule other than the timeout's bound (a client with
///   no retry policy passes "never retries after F" vacuously).
/// - `orders`: a status step. `notify`: a notify step.
pub fn judged_by(case: &ClientCase) -> BTreeSet<Capability> {
    let mut needed = BTreeSet::new();
    let mut cancels = false;
    for step in &case.steps {
        match &step.value {
            ClientStep::Cancel(cancel) => {
                cancels = true;
                needed.insert(Capability::Sign);
                let expect = &cancel.expect;
                if expect.outcome.is(CancelConclusion::Refused) {
                    needed.insert(Capability::Verify);
                }
                let allowed = case.max_attempts.unwrap_or(u32::MAX);
                if expect.attempts.unwrap_or(1) > 1
                    || expect.min_attempts.unwrap_or(1) > 1
                    || (expect.all_attempts && allowed > 1)
                {
                    needed.insert(Capability::Retry);
                }
            }
            ClientStep::Notify(_) => {
                needed.insert(Capability::Notify);
            }
            ClientStep::Status(_) => {
                needed.insert(Capability::Orders);
            }
        }
    }
    if cancels {
        for answer in &case.answers {
            let answer = answer.spelled_out();
            if answer.signature != AnswerSignature::Valid
                || answer.header != HeaderStyle::Plain
                || answer.http_status.is_some_and(|status| status != 200)
            {
                needed.insert(Capability::Verify);
            }
            if answer.held || answer.never {
                needed.insert(Capability::Timeout);
            }
        }
        if case.certificate != Certificate::Trusted {
            needed.insert(Capability::Tls);
        }
    }
    if case.rules.iter().any(|rule| {
        rule.value.starts_with("retry.")
            && crate::spec::rule_id::RETRY_CLIENT_TIMEOUT_BOUNDED != rule.value.as_str()
    }) {
        needed.insert(Capability::Retry);
    }
    needed
}

/// What a case needs that the client does not declare, in report order.
pub fn missing(needed: &BTreeSet<Capability>, declared: &BTreeSet<Capability>) -> Vec<Capability> {
    needed.difference(declared).copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::catalog::Catalog;
    use crate::suite::client_half::case::LoadedClientCase;
    use crate::suite::load::{self, CaseSource};

    fn all() -> Vec<LoadedClientCase> {
        let catalog = Catalog::embedded().expect("the catalog loads");
        load::cases::<ClientCase>(&CaseSource::Embedded, &catalog)
            .expect("the embedded client cases load")
    }

    fn case(name: &str) -> ClientCase {
        let cases = all();
        let loaded = cases
            .into_iter()
            .find(|loaded| loaded.name == name)
            .unwrap_or_else(|| panic!("no client case {name}"));
        loaded.case.expect("the case is well formed")
    }

    fn names(set: &BTreeSet<Capability>) -> Vec<&'static str> {
        set.iter().map(|capability| capability.as_str()).collect()
    }

    #[test]
    fn capabilities_follow_from_what_a_case_does() {
        assert_eq!(
            names(&judged_by(&case(
                "client/success/cancel-by-payment-id-is-cancelled"
            ))),
            ["sign"]
        );
        assert_eq!(
            names(&judged_by(&case(
                "client/signature/success-other-client-is-refused"
            ))),
            ["sign", "verify"]
        );
        assert_eq!(
            names(&judged_by(&case("client/tls/wrong-host-name-is-refused"))),
            ["sign", "tls"]
        );
        assert_eq!(
            names(&judged_by(&case(
                "client/retry/timeout-every-time-ends-unknown"
            ))),
            ["sign", "timeout", "retry", "orders"]
        );
        assert_eq!(
            names(&judged_by(&case(
                "client/notification/notification-wrong-key-is-rejected"
            ))),
            ["orders", "notify"]
        );
    }

    #[test]
    fn every_client_case_judges_something_and_names_round_trip() {
        for loaded in all() {
            let case = loaded.case.expect("well formed");
            assert!(
                !judged_by(&case).is_empty(),
                "{} judges nothing",
                loaded.name
            );
        }
        for capability in Capability::ALL {
            assert_eq!(Capability::parse(capability.as_str()), Some(capability));
        }
    }
}
