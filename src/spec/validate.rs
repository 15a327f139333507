//! Validation of captured messages against the generated schemas, with the
//! path to every violation. Used by the runner (both directions), by the
//! reference server's request parsing, and by `cancel-conformance validate`.

use std::fmt;
use std::sync::OnceLock;

use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use super::api::{CancelRequest, CancelResponse, InquiryRequest, InquiryResponse};
use super::schema::schema_of;

/// The messages the spec has a schema for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Message {
    CancelRequest,
    CancelResponse,
    InquiryRequest,
    InquiryResponse,
}

impl Message {
    pub fn name(self) -> &'static str {
        match self {
            Message::CancelRequest => "cancel request",
            Message::CancelResponse => "cancel response",
            Message::InquiryRequest => "inquiry request",
            Message::InquiryResponse => "inquiry response",
        }
    }
}

/// One place where an instance breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the instance (`/result/resultStatus`); empty for the root.
    pub instance_path: String,
    /// JSON pointer into the schema to the keyword that failed.
    pub schema_path: String,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_path.is_empty() {
            "/"
        } else {
            &self.instance_path
        };
        write!(f, "at {at}: {} (schema {})", self.message, self.schema_path)
    }
}

struct Validators {
    cancel_request: jsonschema::Validator,
    cancel_response: jsonschema::Validator,
    inquiry_request: jsonschema::Validator,
    inquiry_response: jsonschema::Validator,
}

fn compile(schema: &Value) -> jsonschema::Validator {
    match jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
    {
        Ok(validator) => validator,
        // The schemas are generated from our own types at start-up; one that
        // does not compile is a bug in this program, caught by its tests.
        Err(err) => panic!("generated schema does not compile: {err}"),
    }
}

fn validators() -> &'static Validators {
    static VALIDATORS: OnceLock<Validators> = OnceLock::new();
    VALIDATORS.get_or_init(|| Validators {
        cancel_request: compile(&schema_of::<CancelRequest>("cancel-request")),
        cancel_response: compile(&schema_of::<CancelResponse>("cancel-response")),
        inquiry_request: compile(&schema_of::<InquiryRequest>("inquiry-request")),
        inquiry_response: compile(&schema_of::<InquiryResponse>("inquiry-response")),
    })
}

/// Every violation of `message`'s schema in `instance`; empty when valid.
pub fn validate(message: Message, instance: &Value) -> Vec<Violation> {
    let mut violations = Vec::new();
    for err in validator(message).iter_errors(instance) {
        explain(&err, &mut violations);
    }
    violations.sort_by(|a, b| {
        (&a.instance_path, &a.schema_path).cmp(&(&b.instance_path, &b.schema_path))
    });
    violations.dedup();
    violations
}

/// Adds `err` to `out`, or, for an `anyOf` that failed, the reasons every
/// branch shares. The request schemas are an `anyOf` of one complete shape
/// per id (see [`super::id_branches`]), so a too-long id or an unknown field
/// fails every branch the same way; saying "not valid under any of the
/// schemas" would hide it. The shared reasons are named as the branch with
/// the fewest errors has them. When even that branch fails for a reason of
/// its own too (each misses its own id), the `anyOf` error is added: it is
/// the answer alone when the branches share no reason.
fn explain(err: &ValidationError<'_>, out: &mut Vec<Violation>) {
    if let ValidationErrorKind::AnyOf { context } = err.kind() {
        let own = err.schema_path().to_string();
        let closest = context.iter().min_by_key(|errors| errors.len());
        let shared: Vec<&ValidationError<'static>> = closest
            .map(|errors| {
                errors
                    .iter()
                    .filter(|e| {
                        context
                            .iter()
                            .all(|other| other.iter().any(|o| same_reason(&own, e, o)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let only_shared = closest.is_some_and(|errors| errors.len() == shared.len());
        for inner in &shared {
            explain(inner, out);
        }
        if only_shared && !shared.is_empty() {
            return;
        }
    }
    out.push(Violation {
        instance_path: err.instance_path().to_string(),
        schema_path: err.schema_path().to_string(),
        message: err.masked().to_string(),
    });
}

/// Two errors from different branches of the `anyOf` at `any_of` are the
/// same reason when they are about the same place in the instance, found by
/// the same keyword at the same place within their branch, and (for
/// `required`) about the same field.
fn same_reason(any_of: &str, a: &ValidationError<'_>, b: &ValidationError<'_>) -> bool {
    let within_branch = |e: &ValidationError<'_>| {
        let path = e.schema_path().to_string();
        let rest = path.strip_prefix(any_of).unwrap_or(&path).to_string();
        // "/<branch index>/properties/paymentId/maxLength" without the index.
        rest.trim_start_matches('/')
            .split_once('/')
            .map(|(_, within)| within.to_string())
            .unwrap_or_default()
    };
    let same_field = match (a.kind(), b.kind()) {
        (
            ValidationErrorKind::Required { property: p },
            ValidationErrorKind::Required { property: q },
        ) => p == q,
        _ => true,
    };
    a.instance_path() == b.instance_path() && within_branch(a) == within_branch(b) && same_field
}

/// True when `instance` satisfies `message`'s schema.
pub fn is_valid(message: Message, instance: &Value) -> bool {
    validator(message).is_valid(instance)
}

fn validator(message: Message) -> &'static jsonschema::Validator {
    let all = validators();
    match message {
        Message::CancelRequest => &all.cancel_request,
        Message::CancelResponse => &all.cancel_response,
        Message::InquiryRequest => &all.inquiry_request,
        Message::InquiryResponse => &all.inquiry_response,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn places(message: Message, instance: Value) -> Vec<(String, String)> {
        validate(message, &instance)
            .into_iter()
            .map(|v| (v.instance_path, v.schema_path))
            .collect()
    }

    fn one(instance_path: &str, schema_path: &str) -> Vec<(String, String)> {
        vec![(instance_path.to_string(), schema_path.to_string())]
    }

    /// The request schemas are an anyOf of one shape per id; a reason that
    /// fails every shape is named where it is, once.
    #[test]
    fn a_reason_every_shape_shares_is_named_once_where_it_is() {
        let unknown_field = json!({"paymentId": "P1", "cancelAmount": {"value": "1"}});
        assert_eq!(
            places(Message::CancelRequest, unknown_field),
            one("", "/anyOf/0/additionalProperties")
        );
        let too_long = json!({"paymentId": "1".repeat(65)});
        assert_eq!(
            places(Message::CancelRequest, too_long),
            one("/paymentId", "/anyOf/0/properties/paymentId/maxLength")
        );
        let empty_second_id = json!({"paymentId": "P1", "paymentRequestId": ""});
        assert_eq!(
            places(Message::CancelRequest, empty_second_id),
            one(
                "/paymentRequestId",
                "/anyOf/0/properties/paymentRequestId/minLength"
            )
        );
        assert_eq!(
            places(Message::CancelRequest, json!(42)),
            one("", "/anyOf/0/type")
        );
        let long_merchant = json!({"paymentRequestId": "R1", "merchantAccountId": "M".repeat(33)});
        assert_eq!(
            places(Message::InquiryRequest, long_merchant),
            one(
                "/merchantAccountId",
                "/anyOf/1/properties/merchantAccountId/maxLength"
            )
        );
    }

    /// Shapes that fail each for its own reason (each misses its own id)
    /// leave the anyOf error itself: no one shape's complaint is the truth.
    #[test]
    fn shapes_failing_for_different_reasons_leave_the_any_of_error() {
        for instance in [
            json!({}),
            json!({"merchantAccountId": "M1"}),
            json!({"paymentId": null, "paymentRequestId": null}),
        ] {
            assert_eq!(
                places(Message::CancelRequest, instance.clone()),
                one("", "/anyOf"),
                "{instance}"
            );
        }
    }

    /// An unknown field in a body that names no payment: both faults.
    #[test]
    fn a_shared_reason_beside_a_missing_id_names_both() {
        let instance = json!({"cancelAmount": {"value": "1"}});
        assert_eq!(
            places(Message::CancelRequest, instance),
            vec![
                ("".to_string(), "/anyOf".to_string()),
                ("".to_string(), "/anyOf/0/additionalProperties".to_string()),
            ]
        );
    }
}
