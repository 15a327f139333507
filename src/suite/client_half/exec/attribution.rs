//! Which rules a difference in a client's conclusion, its order record or
//! its handling of a notification rests on: the rules that make the
//! expected value necessary *for the value the client gave*, not every
//! rule the case is about (INTERPRETING.md §4, "Which rule a difference
//! rests on"). The verdict level follows from them: booking CANCELLED
//! without a trusted S breaks the seed, NONE instead of SUCCESS after an F
//! only the project's order-record assumption.

use super::super::case::{AnswerSignature, HeaderStyle, Outcomes, ScriptedAnswer, Status};
use crate::domain::{CancelConclusion, OrderStatus};
use crate::spec::rule_id::{self, RuleId};

/// What makes a client's conclusion `actual` wrong when the case expects
/// `expected`, given the answers its requests got in that cancel (`got`)
/// and whether the provider's certificate was one it may trust.
pub(in crate::suite::client_half) fn conclusion_rules(
    expected: &Outcomes,
    actual: &str,
    got: &[ScriptedAnswer],
    certificate_trusted: bool,
) -> &'static [RuleId<'static>] {
    if !certificate_trusted {
        return &[rule_id::TLS_CLIENT_VERIFIES_CERTIFICATE];
    }
    let refused_allowed = expected.allows(CancelConclusion::Refused.as_str());
    let untrusted_seen = got
        .iter()
        .any(|answer| !answer.is_no_answer() && !trusted(answer));
    let settled = |status: Status| {
        got.iter()
            .any(|answer| answer.status == status && trusted(answer) && !answer.held)
    };
    match actual {
        "cancelled" | "failed" => {
            let status = if actual == "cancelled" {
                Status::S
            } else {
                Status::F
            };
            if settled(status) {
                if refused_allowed && untrusted_seen {
                    // It went on after an untrusted answer and believed a
                    // later one: that the untrusted answer ends the cancel
                    // is the project's choice.
                    &[rule_id::SIGN_CLIENT_UNTRUSTED_ENDS_CANCEL]
                } else {
                    &[rule_id::RESULT_STATUS_MEANING]
                }
            } else if got
                .iter()
                .any(|answer| answer.status == status && !answer.is_no_answer() && !trusted(answer))
            {
                &[rule_id::SIGN_CLIENT_VERIFIES_RESPONSE]
            } else if got
                .iter()
                .any(|answer| answer.status == status && answer.held && !answer.never)
            {
                &[rule_id::RETRY_CLIENT_TIMEOUT_BOUNDED]
            } else {
                // No answer of that status came at all.
                &[rule_id::RESULT_STATUS_MEANING]
            }
        }
        // A non-200 answer may be taken for no answer: a client that did
        // so and then stopped short of the answer that settles the cancel
        // broke the retry rules, not the untrusted-ends-cancel choice.
        "unknown"
            if refused_allowed
                && untrusted_seen
                && !(only_status_untrusted(got) && settles_later(expected)) =>
        {
            &[rule_id::SIGN_CLIENT_UNTRUSTED_ENDS_CANCEL]
        }
        "unknown" => {
            let wanted = [Status::S, Status::F]
                .into_iter()
                .any(|status| settled(status) && expected.allows(conclusion_of(status)));
            if wanted {
                // A trusted S or F came and the client did not conclude
                // from it.
                &[rule_id::RESULT_STATUS_MEANING]
            } else {
                // The answer that settles it never came: the client gave
                // up before the retry that would have got it.
                &[
                    rule_id::RETRY_CLIENT_U_SAME_ID,
                    rule_id::RETRY_CLIENT_TIMEOUT_SAME_ID,
                ]
            }
        }
        "refused" => {
            let restyled = got
                .iter()
                .any(|answer| trusted(answer) && answer.header != HeaderStyle::Plain);
            if restyled {
                &[rule_id::SIGN_HEADER_FORMAT]
            } else {
                &[rule_id::SIGN_CLIENT_VERIFIES_RESPONSE]
            }
        }
        _ => &[rule_id::RESULT_STATUS_MEANING],
    }
}

/// Whether every untrusted answer in `got` is signed validly and
/// untrusted only for its HTTP status.
fn only_status_untrusted(got: &[ScriptedAnswer]) -> bool {
    got.iter()
        .filter(|answer| !answer.is_no_answer() && !trusted(answer))
        .all(|answer| {
            matches!(
                answer.signature,
                AnswerSignature::Valid | AnswerSignature::NoClientId
            )
        })
}

/// Whether the case expects a cancel that a later answer settles.
fn settles_later(expected: &Outcomes) -> bool {
    expected.allows(CancelConclusion::Cancelled.as_str())
        || expected.allows(CancelConclusion::Failed.as_str())
}

/// Whether the client must trust `answer`: signed as the provider signs,
/// sent whole, with HTTP status 200.
fn trusted(answer: &ScriptedAnswer) -> bool {
    matches!(
        answer.signature,
        AnswerSignature::Valid | AnswerSignature::NoClientId
    ) && answer.http_status.unwrap_or(200) == 200
        && !answer.is_no_answer()
}

fn conclusion_of(status: Status) -> &'static str {
    match status {
        Status::S => CancelConclusion::Cancelled.as_str(),
        Status::F => CancelConclusion::Failed.as_str(),
        Status::U => CancelConclusion::Unknown.as_str(),
    }
}

/// What last happened to the order before a `status` step, as far as the
/// rules that bear on its record go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(in crate::suite::client_half) enum LastEvent {
    /// Nothing yet, a cancel, or an accepted payment-success notification.
    #[default]
    Other,
    /// A notification the client had to reject.
    RejectedNotification,
    /// An accepted notification saying the payment failed.
    FailedPaymentNotification,
}

/// What makes a record `actual` wrong when the case expects `expected`,
/// after `last`.
pub(in crate::suite::client_half) fn status_rules(
    expected: OrderStatus,
    actual: &str,
    last: LastEvent,
) -> &'static [RuleId<'static>] {
    let cancelled = OrderStatus::Cancelled.as_str();
    if actual == cancelled {
        // Booked cancelled without a trusted S: S alone means cancelled.
        &[rule_id::RESULT_STATUS_MEANING]
    } else if expected == OrderStatus::Cancelled {
        // A trusted S came: CANCELLED is final, nothing undoes it.
        &[rule_id::STATE_CANCELLED_IS_FINAL]
    } else if last == LastEvent::RejectedNotification {
        &[rule_id::SIGN_CLIENT_VERIFIES_NOTIFICATION]
    } else if last == LastEvent::FailedPaymentNotification
        && actual == OrderStatus::Success.as_str()
    {
        &[rule_id::NOTIFY_PAYMENT_RESULT_MEANING]
    } else {
        &[rule_id::STATE_CLIENT_ORDER_RECORD]
    }
}

/// What makes the client's `accepted` wrong for a notification signed
/// `signing`, spelled `style`, its body laid out otherwise than compactly
/// when `relaid`.
pub(in crate::suite::client_half) fn notification_rules(
    signing: AnswerSignature,
    style: HeaderStyle,
    relaid: bool,
) -> &'static [RuleId<'static>] {
    if signing == AnswerSignature::Valid && style != HeaderStyle::Plain {
        &[rule_id::SIGN_HEADER_FORMAT]
    } else if signing == AnswerSignature::Valid && relaid {
        &[
            rule_id::SIGN_CLIENT_VERIFIES_NOTIFICATION,
            rule_id::NOTIFY_PAYMENT_RESULT_MEANING,
        ]
    } else {
        &[rule_id::SIGN_CLIENT_VERIFIES_NOTIFICATION]
    }
}

/// Which rules a wrong exact number of attempts breaks.
pub(in crate::suite::client_half) fn attempts_rule(
    want: u32,
    actual: u32,
) -> &'static [RuleId<'static>] {
    if actual > want && want == 1 {
        &[
            rule_id::RETRY_CLIENT_NO_RETRY_ON_F,
            rule_id::SIGN_CLIENT_UNTRUSTED_ENDS_CANCEL,
        ]
    } else if actual > want {
        &[rule_id::RETRY_CLIENT_ATTEMPTS_BOUNDED]
    } else {
        &[
            rule_id::RETRY_CLIENT_U_SAME_ID,
            rule_id::RETRY_CLIENT_TIMEOUT_SAME_ID,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::case::{Answer, Transport};
    use super::*;
    use crate::spec::Catalog;

    fn one(outcome: CancelConclusion) -> Outcomes {
        Outcomes::One(outcome)
    }

    fn signed(answer: Answer) -> ScriptedAnswer {
        answer.spelled_out()
    }

    fn with(signature: AnswerSignature, status: Status) -> ScriptedAnswer {
        ScriptedAnswer {
            status,
            signature,
            ..Answer::Success.spelled_out()
        }
    }

    /// Whether every rule in `rules` is firm (a MUST from the sources):
    /// what decides whether a plain run fails or warns.
    fn firm(rules: &[RuleId<'_>]) -> bool {
        let catalog = Catalog::embedded().expect("catalog");
        rules.iter().any(|id| {
            let rule = catalog.rule(*id).expect("the rule exists");
            !rule.assumption && rule.level == crate::spec::catalog::Level::Must
        })
    }

    // One test per row of the table in INTERPRETING.md §4.

    #[test]
    fn cancelled_after_an_f_or_u_rests_on_the_seed() {
        for got in [
            vec![signed(Answer::Fail("PROCESS_FAIL".into()))],
            vec![signed(Answer::Unknown("UNKNOWN_EXCEPTION".into())); 3],
            vec![signed(Answer::Never); 3],
        ] {
            let rules = conclusion_rules(&one(CancelConclusion::Failed), "cancelled", &got, true);
            assert_eq!(rules, ["result.status-meaning"]);
            assert!(firm(rules));
        }
    }

    #[test]
    fn believing_an_untrusted_answer_rests_on_verification_which_is_firm() {
        for signature in [
            AnswerSignature::Unsigned,
            AnswerSignature::Bad,
            AnswerSignature::OtherClient,
            AnswerSignature::WrongKey,
        ] {
            let got = [with(signature, Status::S)];
            let rules = conclusion_rules(&one(CancelConclusion::Refused), "cancelled", &got, true);
            assert_eq!(rules, ["sign.client-verifies-response"], "{signature:?}");
            assert!(firm(rules));
        }
        let non_200 = ScriptedAnswer {
            http_status: Some(500),
            ..signed(Answer::Fail("PROCESS_FAIL".into()))
        };
        let any = Outcomes::AnyOf(vec![CancelConclusion::Refused, CancelConclusion::Unknown]);
        assert_eq!(
            conclusion_rules(&any, "failed", &[non_200], true),
            ["sign.client-verifies-response"]
        );
    }

    #[test]
    fn believing_an_answer_after_giving_up_rests_on_the_timeout_assumption() {
        let got = [
            signed(Answer::Unknown("UNKNOWN_EXCEPTION".into())),
            signed(Answer::Timeout),
        ];
        let rules = conclusion_rules(&one(CancelConclusion::Unknown), "cancelled", &got, true);
        assert_eq!(rules, ["retry.client-timeout-bounded"]);
        assert!(!firm(rules));
    }

    #[test]
    fn going_on_after_an_untrusted_answer_rests_on_the_assumption_that_it_ends_the_cancel() {
        let got = [signed(Answer::BadSignature), signed(Answer::Success)];
        let rules = conclusion_rules(&one(CancelConclusion::Refused), "cancelled", &got, true);
        assert_eq!(rules, ["sign.client-untrusted-ends-cancel"]);
        assert!(!firm(rules));
        let rules = conclusion_rules(
            &one(CancelConclusion::Refused),
            "unknown",
            &[signed(Answer::BadSignature)],
            true,
        );
        assert_eq!(rules, ["sign.client-untrusted-ends-cancel"]);
    }

    #[test]
    fn stopping_after_a_non_200_answer_taken_for_no_answer_breaks_the_retry_rules() {
        let non_200 = ScriptedAnswer {
            http_status: Some(400),
            ..signed(Answer::Fail("PROCESS_FAIL".into()))
        };
        let either = Outcomes::AnyOf(vec![CancelConclusion::Refused, CancelConclusion::Cancelled]);
        let rules = conclusion_rules(&either, "unknown", &[non_200], true);
        assert_eq!(
            rules,
            ["retry.client-u-same-id", "retry.client-timeout-same-id"]
        );
        assert!(firm(rules));
    }

    #[test]
    fn unknown_after_a_trusted_s_or_too_few_retries_is_firm() {
        let got = [
            signed(Answer::Unknown("UNKNOWN_EXCEPTION".into())),
            signed(Answer::Success),
        ];
        let rules = conclusion_rules(&one(CancelConclusion::Cancelled), "unknown", &got, true);
        assert_eq!(rules, ["result.status-meaning"]);
        let gave_up = [signed(Answer::Never)];
        let rules = conclusion_rules(&one(CancelConclusion::Cancelled), "unknown", &gave_up, true);
        assert_eq!(
            rules,
            ["retry.client-u-same-id", "retry.client-timeout-same-id"]
        );
        assert!(firm(rules));
    }

    #[test]
    fn refusing_a_trusted_answer_rests_on_verification_or_the_header_grammar() {
        let got = [signed(Answer::Success)];
        let rules = conclusion_rules(&one(CancelConclusion::Cancelled), "refused", &got, true);
        assert_eq!(rules, ["sign.client-verifies-response"]);
        let spaced = ScriptedAnswer {
            header: HeaderStyle::SpacesAfterCommas,
            ..signed(Answer::Success)
        };
        let rules = conclusion_rules(
            &one(CancelConclusion::Cancelled),
            "refused",
            &[spaced],
            true,
        );
        assert_eq!(rules, ["sign.header-format"]);
        assert!(firm(rules));
    }

    #[test]
    fn anything_through_an_untrusted_certificate_rests_on_tls() {
        let any = Outcomes::AnyOf(vec![CancelConclusion::Unknown, CancelConclusion::Refused]);
        let rules = conclusion_rules(&any, "cancelled", &[signed(Answer::Success)], false);
        assert_eq!(rules, ["tls.client-verifies-certificate"]);
    }

    #[test]
    fn a_refused_or_cut_off_connection_is_no_answer() {
        for transport in [Transport::Refused, Transport::CutOff] {
            let answer = ScriptedAnswer {
                transport,
                ..signed(Answer::Success)
            };
            assert!(answer.is_no_answer());
            assert!(!trusted(&answer));
        }
    }

    #[test]
    fn order_records_rest_on_the_seed_where_cancelled_is_concerned_and_on_the_assumption_elsewhere()
    {
        let cancelled = status_rules(OrderStatus::None, "CANCELLED", LastEvent::Other);
        assert_eq!(cancelled, ["result.status-meaning"]);
        assert!(firm(cancelled));
        let undone = status_rules(OrderStatus::Cancelled, "SUCCESS", LastEvent::Other);
        assert_eq!(undone, ["state.cancelled-is-final"]);
        assert!(firm(undone));
        let paid = status_rules(OrderStatus::Success, "NONE", LastEvent::Other);
        assert_eq!(paid, ["state.client-order-record"]);
        assert!(!firm(paid));
        let rejected = status_rules(
            OrderStatus::Unknown,
            "SUCCESS",
            LastEvent::RejectedNotification,
        );
        assert_eq!(rejected, ["sign.client-verifies-notification"]);
        assert!(firm(rejected));
        let failed = status_rules(
            OrderStatus::None,
            "SUCCESS",
            LastEvent::FailedPaymentNotification,
        );
        assert_eq!(failed, ["notify.payment-result-meaning"]);
        assert!(firm(failed));
    }

    #[test]
    fn notification_acceptance_rests_on_verification_or_the_header_grammar() {
        assert_eq!(
            notification_rules(AnswerSignature::Valid, HeaderStyle::TitleCaseNames, false),
            ["sign.header-format"]
        );
        assert_eq!(
            notification_rules(AnswerSignature::Unsigned, HeaderStyle::Plain, false),
            ["sign.client-verifies-notification"]
        );
        assert_eq!(
            notification_rules(AnswerSignature::Valid, HeaderStyle::Plain, true),
            [
                "sign.client-verifies-notification",
                "notify.payment-result-meaning"
            ]
        );
        assert!(firm(notification_rules(
            AnswerSignature::NoClientId,
            HeaderStyle::Plain,
            false
        )));
    }
}
