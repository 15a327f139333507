//! Validation of captured messages against the generated schemas, with the
//! path to every violation. Used by the runner (both directions), by the
//! reference server's request parsing, and by `cancel-conformance validate`.

use std::fmt;
use std::sync::OnceLock;

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
    let mut violations: Vec<Violation> = validator(message)
        .iter_errors(instance)
        .map(|err| Violation {
            instance_path: err.instance_path().to_string(),
            schema_path: err.schema_path().to_string(),
            message: err.masked().to_string(),
        })
        .collect();
    violations.sort_by(|a, b| {
        (&a.instance_path, &a.schema_path).cmp(&(&b.instance_path, &b.schema_path))
    });
    violations.dedup();
    violations
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
