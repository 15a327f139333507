//! Every answer line an adapter writes is judged against the schema of its
//! operation, generated from the types in [`super::messages`]: an answer
//! that breaks it is named with the schema file and the failing keyword.

use std::sync::OnceLock;

use serde_json::Value;

use super::messages::{CancelAnswer, HelloAnswer, NotifyAnswer, StatusAnswer};
use crate::spec::schema::schema_of;

/// The file under `spec/` (without the suffix) each answer's schema is
/// written to.
pub fn schema_name(op: &str) -> Option<&'static str> {
    match op {
        "cancel" => Some("adapter-cancel-answer"),
        "notify" => Some("adapter-notify-answer"),
        "status" => Some("adapter-status-answer"),
        "hello" => Some("adapter-hello-answer"),
        _ => None,
    }
}

struct Validators {
    cancel: jsonschema::Validator,
    notify: jsonschema::Validator,
    status: jsonschema::Validator,
    hello: jsonschema::Validator,
}

fn compile(schema: &Value) -> jsonschema::Validator {
    match jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(schema)
    {
        Ok(validator) => validator,
        // Generated from the types above; caught by the tests.
        Err(err) => panic!("generated adapter schema does not compile: {err}"),
    }
}

/// Where an answer line breaks its schema: the schema file, the schema
/// path of the keyword that failed, and what is wrong. `None` when the
/// line is valid or the operation has no schema.
pub fn violation(op: &str, answer: &Value) -> Option<(String, String, String)> {
    static VALIDATORS: OnceLock<Validators> = OnceLock::new();
    let all = VALIDATORS.get_or_init(|| Validators {
        cancel: compile(&schema_of::<CancelAnswer>("adapter-cancel-answer")),
        notify: compile(&schema_of::<NotifyAnswer>("adapter-notify-answer")),
        status: compile(&schema_of::<StatusAnswer>("adapter-status-answer")),
        hello: compile(&schema_of::<HelloAnswer>("adapter-hello-answer")),
    });
    let validator = match op {
        "cancel" => &all.cancel,
        "notify" => &all.notify,
        "status" => &all.status,
        "hello" => &all.hello,
        _ => return None,
    };
    let name = schema_name(op)?;
    // anyOf reports only "not valid under any"; the most telling
    // error is the one from the branch that is not the error answer.
    let error = validator.iter_errors(answer).next()?;
    let mut detail = error.to_string();
    if answer.get("error").is_none() {
        let branch = &validator_branch(op);
        if let Some(inner) = branch.iter_errors(answer).next() {
            detail = format!(
                "{} at {} (schema #/anyOf/0{})",
                inner,
                if inner.instance_path().to_string().is_empty() {
                    "/".to_string()
                } else {
                    inner.instance_path().to_string()
                },
                inner.schema_path()
            );
        }
    }
    Some((
        format!("spec/{name}.schema.json"),
        error.schema_path().to_string(),
        detail,
    ))
}

/// The non-error branch of an answer schema, compiled on its own so
/// that its first violation can be named.
fn validator_branch(op: &str) -> jsonschema::Validator {
    let schema = match op {
        "cancel" => schema_of::<CancelAnswer>("adapter-cancel-answer"),
        "notify" => schema_of::<NotifyAnswer>("adapter-notify-answer"),
        "hello" => schema_of::<HelloAnswer>("adapter-hello-answer"),
        _ => schema_of::<StatusAnswer>("adapter-status-answer"),
    };
    let mut branch = schema
        .pointer("/anyOf/0")
        .cloned()
        .unwrap_or(Value::Bool(true));
    if let (Some(object), Some(defs)) = (branch.as_object_mut(), schema.get("$defs")) {
        object.insert("$defs".to_string(), defs.clone());
    }
    compile(&branch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_are_judged_against_their_schemas() {
        assert_eq!(
            violation("cancel", &json!({"id": 1, "outcome": "cancelled"})),
            None
        );
        assert_eq!(
            violation("cancel", &json!({"id": 1, "error": "unsupported"})),
            None
        );
        let (file, _, detail) =
            violation("cancel", &json!({"id": 1, "outcome": "CANCELLED"})).expect("invalid");
        assert_eq!(file, "spec/adapter-cancel-answer.schema.json");
        assert!(detail.contains("/outcome"), "{detail}");
        assert!(violation("status", &json!({"id": 3, "status": "PAID"})).is_some());
        assert!(violation("notify", &json!({"id": 2, "accepted": "yes"})).is_some());
        assert_eq!(
            violation("notify", &json!({"id": 2, "accepted": false, "why": "x"})),
            None
        );
        assert_eq!(
            violation(
                "cancel",
                &json!({"id": 1, "outcome": "failed", "resultCode": "X", "cancelTime": null})
            ),
            None
        );
    }

    #[test]
    fn hello_answers_are_judged_against_their_schema() {
        let hello = json!({"id": 1, "name": "x", "version": "1", "language": "Go",
            "homepage": "https://example.com", "capabilities": ["sign", "verify"]});
        assert_eq!(violation("hello", &hello), None);
        assert_eq!(
            violation("hello", &json!({"id": 1, "error": "unsupported"})),
            None
        );
        let mut unknown = hello.clone();
        unknown["capabilities"] = json!(["sign", "refunds"]);
        let (file, _, detail) = violation("hello", &unknown).expect("invalid");
        assert_eq!(file, "spec/adapter-hello-answer.schema.json");
        assert!(detail.contains("capabilities"), "{detail}");
        let mut nameless = hello;
        nameless.as_object_mut().map(|o| o.remove("name"));
        assert!(violation("hello", &nameless).is_some());
    }
}
