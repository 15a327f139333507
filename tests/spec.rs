//! The generated spec documents: valid for other validators as they are, and
//! faithful to the seed document's samples. That the checked-in copies are
//! current is tests/generated.rs's job.

use cancel_conformance::spec::schema::{self, Dialect};
use cancel_conformance::spec::validate::{Message, validate};
use serde_json::{Value, json};

#[test]
fn every_schema_compiles_in_both_dialects_and_ids_are_absolute() {
    for (dialect, draft) in [
        (Dialect::Draft2020_12, jsonschema::Draft::Draft202012),
        (Dialect::Draft07, jsonschema::Draft::Draft7),
    ] {
        for (name, doc) in cancel_conformance::documents::generate(dialect) {
            if name == "openapi.json" {
                continue;
            }
            let id = doc["$id"].as_str().unwrap_or_default();
            assert!(
                id.starts_with(schema::ID_BASE) && id.ends_with(&name),
                "{name}: $id {id}"
            );
            jsonschema::options()
                .with_draft(draft)
                .build(&doc)
                .unwrap_or_else(|err| panic!("{name} does not compile: {err}"));
            let refs = doc.to_string();
            let defs_key = if dialect == Dialect::Draft07 {
                "#/definitions/"
            } else {
                "#/$defs/"
            };
            for reference in refs.split("\"$ref\":\"").skip(1) {
                assert!(
                    reference.starts_with(defs_key),
                    "{name}: $ref outside the file: {reference:.40}"
                );
            }
        }
    }
}

fn seed_requests() -> [Value; 2] {
    [
        json!({"paymentId": "2019061218401080010018882020035XXXX"}),
        json!({"paymentRequestId": "paymentRequestIdXXXX"}),
    ]
}

fn seed_response() -> Value {
    json!({
        "cancelTime": "2019-06-12T19:07:11+08:00",
        "paymentId": "2019061218401080010018882020035XXXX",
        "paymentRequestId": "pay_2089760038715669_20277574507XXXX",
        "result": {"resultCode": "SUCCESS", "resultMessage": "Success", "resultStatus": "S"}
    })
}

#[test]
fn the_seed_samples_are_valid() {
    for request in seed_requests() {
        let violations = validate(Message::CancelRequest, &request);
        assert!(violations.is_empty(), "{request}: {violations:?}");
    }
    let violations = validate(Message::CancelResponse, &seed_response());
    assert!(violations.is_empty(), "{violations:?}");
}

/// Asserts that `instance` is rejected and that one violation sits at
/// `instance_path` with a schema path ending in `keyword`.
fn assert_rejected_at(message: Message, instance: &Value, instance_path: &str, keyword: &str) {
    let violations = validate(message, instance);
    assert!(
        violations
            .iter()
            .any(|v| v.instance_path == instance_path && v.schema_path.ends_with(keyword)),
        "{instance}\nexpected a violation at {instance_path} by {keyword}, got: {violations:#?}"
    );
}

fn with(mut base: Value, pointer: &str, value: Option<Value>) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a parent");
    let object = base
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("parent is an object");
    match value {
        Some(value) => object.insert(key.to_string(), value),
        None => object.remove(key),
    };
    base
}

#[test]
fn a_response_without_result_is_rejected() {
    let instance = with(seed_response(), "/result", None);
    assert_rejected_at(Message::CancelResponse, &instance, "", "/required");
}

#[test]
fn an_unknown_result_status_is_rejected() {
    let instance = with(seed_response(), "/result/resultStatus", Some(json!("X")));
    assert_rejected_at(
        Message::CancelResponse,
        &instance,
        "/result/resultStatus",
        "enum",
    );
}

#[test]
fn a_cancel_time_without_offset_is_rejected() {
    let instance = with(
        seed_response(),
        "/cancelTime",
        Some(json!("2019-06-12T19:07:11")),
    );
    assert_rejected_at(
        Message::CancelResponse,
        &instance,
        "/cancelTime",
        "/pattern",
    );
    assert_rejected_at(Message::CancelResponse, &instance, "/cancelTime", "/format");
}

#[test]
fn a_65_character_payment_id_is_rejected() {
    let long = "1".repeat(65);
    let request = json!({"paymentId": long});
    assert_rejected_at(Message::CancelRequest, &request, "/paymentId", "/maxLength");
    let response = with(seed_response(), "/paymentId", Some(json!(long)));
    assert_rejected_at(
        Message::CancelResponse,
        &response,
        "/paymentId",
        "/maxLength",
    );
    let at_limit = json!({"paymentId": "1".repeat(64)});
    assert!(validate(Message::CancelRequest, &at_limit).is_empty());
}

#[test]
fn a_request_with_neither_id_is_rejected() {
    assert_rejected_at(Message::CancelRequest, &json!({}), "", "/anyOf");
    assert_rejected_at(
        Message::CancelRequest,
        &json!({"merchantAccountId": "M1"}),
        "",
        "/anyOf",
    );
}

#[test]
fn a_number_where_a_string_belongs_is_rejected() {
    assert_rejected_at(
        Message::CancelRequest,
        &json!({"paymentId": 2019061218401080u64}),
        "/paymentId",
        "/type",
    );
    let response = with(seed_response(), "/result/resultCode", Some(json!(0)));
    assert_rejected_at(
        Message::CancelResponse,
        &response,
        "/result/resultCode",
        "/type",
    );
}

/// A null request field is an absent one (rule ident.null-means-absent), so
/// it cannot stand in for the id the request needs; answers never hold null.
#[test]
fn null_means_absent_in_requests_only() {
    for request in [
        json!({"paymentId": null, "paymentRequestId": "R1"}),
        json!({"paymentId": "P1", "paymentRequestId": null, "merchantAccountId": null}),
    ] {
        let violations = validate(Message::CancelRequest, &request);
        assert!(violations.is_empty(), "{request}: {violations:?}");
        let violations = validate(Message::InquiryRequest, &request);
        assert!(violations.is_empty(), "{request}: {violations:?}");
    }
    assert_rejected_at(
        Message::CancelRequest,
        &json!({"paymentId": null, "paymentRequestId": null}),
        "",
        "/anyOf",
    );
    let response = with(seed_response(), "/paymentId", Some(Value::Null));
    assert_rejected_at(Message::CancelResponse, &response, "/paymentId", "/type");
}

#[test]
fn success_without_cancel_time_is_rejected() {
    let instance = with(seed_response(), "/cancelTime", None);
    assert_rejected_at(Message::CancelResponse, &instance, "", "/then/required");
}

#[test]
fn process_fail_with_status_s_is_rejected() {
    let instance = with(
        seed_response(),
        "/result/resultCode",
        Some(json!("PROCESS_FAIL")),
    );
    assert_rejected_at(
        Message::CancelResponse,
        &instance,
        "/result/resultStatus",
        "/then/properties/resultStatus/const",
    );
}

#[test]
fn an_unknown_code_may_carry_any_status() {
    for status in ["S", "F", "U"] {
        let instance = with(
            seed_response(),
            "/result/resultCode",
            Some(json!("SOME_NEW_CODE")),
        );
        let instance = with(instance, "/result/resultStatus", Some(json!(status)));
        assert!(
            validate(Message::CancelResponse, &instance).is_empty(),
            "{status}"
        );
    }
}

#[test]
fn an_amount_is_not_part_of_a_cancel_request() {
    let request = json!({"paymentId": "P1", "cancelAmount": {"currency": "USD", "value": "100"}});
    assert_rejected_at(
        Message::CancelRequest,
        &request,
        "",
        "/additionalProperties",
    );
}

#[test]
fn a_failure_needs_no_ids() {
    let failure = json!({"result": {"resultCode": "PROCESS_FAIL", "resultStatus": "F", "resultMessage": "refunded"}});
    assert!(validate(Message::CancelResponse, &failure).is_empty());
}
