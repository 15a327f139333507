//! The adapter protocol around the client.

use super::*;
use crate::client::adapter::{self, EnvError, Message, Op};

// ---------------------------------------------------------------- adapter

#[test]
fn protocol_lines_parse() {
    assert_eq!(
        adapter::parse_line(r#"{"id": 1, "op": "cancel", "paymentId": "P1"}"#),
        Ok(Message {
            id: json!(1),
            op: Op::Cancel(PaymentRef::by_payment_id("P1"))
        })
    );
    assert_eq!(
        adapter::parse_line(r#"{"id": "a", "op": "refund"}"#).map(|m| m.op),
        Ok(Op::Unsupported("refund".into()))
    );
    let malformed = adapter::parse_line("not json").expect_err("malformed");
    assert_eq!(malformed.id, Value::Null);
    let malformed =
        adapter::parse_line(r#"{"id": 7, "op": "notify", "path": "/n"}"#).expect_err("no body");
    assert_eq!(malformed.id, json!(7));
    let malformed = adapter::parse_line(r#"{"id": 8, "op": "cancel", "paymentId": 5}"#)
        .expect_err("a number is not an id");
    assert_eq!(malformed.id, json!(8));
}

#[test]
fn the_adapter_answers_every_line_in_order() {
    let provider = Provider::start(vec![
        Step::U("SYSTEM_ERROR"),
        Step::S,
        Step::F("PROCESS_FAIL"),
    ]);
    let client = client_for(&provider);
    let notification = payment_success("P1", "R1");
    let notify = json!({
        "id": 3, "op": "notify", "path": NOTIFY_PATH,
        "headers": provider_headers(CLIENT, &notification)
            .into_iter()
            .map(|(name, value)| (name, Value::String(value)))
            .collect::<serde_json::Map<String, Value>>(),
        "body": notification,
    });
    let input = [
        r#"{"id": 1, "op": "cancel", "paymentId": "P1", "paymentRequestId": "R1"}"#.to_string(),
        String::new(),
        r#"{"id": 2, "op": "status", "paymentRequestId": "R1"}"#.to_string(),
        notify.to_string(),
        r#"{"id": 4, "op": "status", "paymentId": "P1"}"#.to_string(),
        r#"{"id": 5, "op": "cancel", "paymentId": "P2"}"#.to_string(),
        r#"{"id": 6, "op": "status", "paymentId": "P2"}"#.to_string(),
        r#"{"id": 7, "op": "refund"}"#.to_string(),
        "{oops".to_string(),
        r#"{"id": 8, "op": "cancel"}"#.to_string(),
    ]
    .join("\n");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut output = Vec::new();
    let mut log = Vec::new();
    adapter::serve_lines(&client, &runtime, input.as_bytes(), &mut output, &mut log)
        .expect("served");
    let answers: Vec<Value> = String::from_utf8(output)
        .expect("UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each answer is one JSON line"))
        .collect();
    assert_eq!(answers.len(), 9, "{answers:#?}");
    assert_eq!(
        answers[0],
        json!({"id": 1, "outcome": "cancelled", "resultCode": "SUCCESS", "cancelTime": CANCEL_TIME})
    );
    assert_eq!(answers[1], json!({"id": 2, "status": "CANCELLED"}));
    assert_eq!(answers[2], json!({"id": 3, "accepted": true}));
    assert_eq!(answers[3], json!({"id": 4, "status": "CANCELLED"}));
    assert_eq!(
        answers[4],
        json!({"id": 5, "outcome": "failed", "resultCode": "PROCESS_FAIL"})
    );
    assert_eq!(answers[5], json!({"id": 6, "status": "NONE"}));
    assert_eq!(answers[6], json!({"id": 7, "error": "unsupported"}));
    assert_eq!(answers[7]["id"], Value::Null);
    assert!(answers[7]["error"].is_string());
    assert_eq!(answers[8]["id"], json!(8));
    assert!(answers[8]["error"].is_string());
    let log = String::from_utf8(log).expect("UTF-8");
    assert!(log.contains("attempt 1: U / SYSTEM_ERROR"), "{log}");
    assert!(!log.to_ascii_lowercase().contains("signature="), "{log}");
}

#[test]
fn the_environment_makes_the_configuration() {
    let merchant = test_keys::MERCHANT_PRIVATE.to_string();
    let provider = test_keys::PROVIDER_PUBLIC.to_string();
    let env = |overrides: &[(&str, &str)]| {
        let mut vars = vec![
            ("CC_PROTOCOL", "2".to_string()),
            ("CC_BASE_URL", "http://127.0.0.1:41234".to_string()),
            ("CC_CLIENT_ID", "SANDBOX_X".to_string()),
            ("CC_MERCHANT_PRIVATE_KEY", merchant.clone()),
            ("CC_PROVIDER_PUBLIC_KEY", provider.clone()),
            ("CC_TIMEOUT_MS", "250".to_string()),
        ];
        for (name, value) in overrides {
            vars.retain(|(existing, _)| existing != name);
            vars.push((name, value.to_string()));
        }
        adapter::config_from(move |name| {
            vars.iter()
                .find(|(existing, _)| *existing == name)
                .map(|(_, value)| value.clone())
        })
    };
    let config = env(&[]).expect("configuration");
    assert_eq!(config.timeout, Duration::from_millis(250));
    // The default written out, not read from the constant the code uses.
    assert_eq!(config.max_attempts, 5);
    assert_eq!(config.key_version, "1");
    assert_eq!(
        env(&[("CC_KEY_VERSION", "7")]).expect("config").key_version,
        "7"
    );
    assert_eq!(
        env(&[("CC_MAX_ATTEMPTS", "2")])
            .expect("config")
            .max_attempts,
        2
    );
    assert_eq!(
        env(&[("CC_CLIENT_ID", "")]).map(|_| ()),
        Err(EnvError::Missing {
            name: "CC_CLIENT_ID"
        })
    );
    assert!(matches!(
        env(&[("CC_TIMEOUT_MS", "soon")]),
        Err(EnvError::Invalid {
            name: "CC_TIMEOUT_MS",
            ..
        })
    ));
    assert!(matches!(
        env(&[("CC_PROTOCOL", "1")]),
        Err(EnvError::Protocol { .. })
    ));
    assert!(env(&[("CC_PROTOCOL", "3")]).is_ok());
    let error = env(&[("CC_MERCHANT_PRIVATE_KEY", "bm90IGEga2V5")])
        .map(|_| ())
        .expect_err("not a key");
    assert!(!error.to_string().contains("bm90IGEga2V5"), "{error}");
}

#[test]
fn hello_introduces_the_client_with_every_capability_valid_against_its_schema() {
    assert_eq!(
        adapter::parse_line(r#"{"id": 1, "op": "hello", "protocol": 3}"#).map(|m| m.op),
        Ok(Op::Hello)
    );
    let answer = adapter::hello_answer(json!(1), crate::domain::Capability::ALL.to_vec());
    assert_eq!(answer["id"], json!(1));
    assert_eq!(answer["language"], "Rust");
    assert_eq!(
        answer["capabilities"],
        json!([
            "sign", "verify", "tls", "timeout", "retry", "orders", "notify"
        ])
    );
    assert_eq!(crate::adapter_protocol::violation("hello", &answer), None);
}

#[test]
fn environment_errors_read_as_they_always_have() {
    assert_eq!(
        EnvError::Missing {
            name: "CC_CLIENT_ID"
        }
        .to_string(),
        "CC_CLIENT_ID is not set; the adapter is started by `cancel-conformance client`, \
         which sets CC_BASE_URL, CC_CLIENT_ID, CC_MERCHANT_PRIVATE_KEY, \
         CC_PROVIDER_PUBLIC_KEY and CC_TIMEOUT_MS"
    );
    assert_eq!(
        EnvError::Protocol { found: "1".into() }.to_string(),
        "CC_PROTOCOL is `1`, but this adapter speaks protocols 2 and 3 only"
    );
    assert_eq!(
        EnvError::Invalid {
            name: "CC_TIMEOUT_MS",
            reason: "is `x`".into()
        }
        .to_string(),
        "CC_TIMEOUT_MS is `x`"
    );
}
