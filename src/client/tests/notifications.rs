//! Payment notifications and the merchant's order records.

use super::*;

// ---------------------------------------------------------- notifications

#[tokio::test]
async fn a_late_payment_success_does_not_uncancel() {
    let provider = Provider::start(vec![Step::S]);
    let client = client_for(&provider);
    let outcome = client.cancel(&PaymentRef::by_request_id("R1")).await;
    assert!(matches!(outcome, CancelOutcome::Cancelled { .. }));
    let body = payment_success(SERVER_PAYMENT_ID, "R1");
    let accepted = client.on_payment_notification(
        NOTIFY_PATH,
        &provider_headers(CLIENT, &body),
        body.as_bytes(),
    );
    assert!(accepted);
    assert_eq!(
        client.status(&PaymentRef::by_request_id("R1")),
        OrderStatus::Cancelled
    );
    assert_eq!(
        client.status(&PaymentRef::by_payment_id(SERVER_PAYMENT_ID)),
        OrderStatus::Cancelled
    );
}

#[test]
fn a_payment_success_marks_an_open_order_paid() {
    let client = CancelClient::new(config("http://127.0.0.1:1", CLIENT)).expect("client");
    let body = payment_success("P1", "R1");
    assert!(client.on_payment_notification(
        NOTIFY_PATH,
        &provider_headers(CLIENT, &body),
        body.as_bytes()
    ));
    assert_eq!(
        client.status(&PaymentRef::by_request_id("R1")),
        OrderStatus::Success
    );
    assert_eq!(
        client.status(&PaymentRef::by_payment_id("P1")),
        OrderStatus::Success
    );
}

#[test]
fn unverified_notifications_change_nothing() {
    let client = CancelClient::new(config("http://127.0.0.1:1", CLIENT)).expect("client");
    let body = payment_success("P1", "R1");
    let headers = provider_headers(CLIENT, &body);
    let tampered = body.replace("\"value\":\"100\"", "\"value\":\"1\"");
    assert!(!client.on_payment_notification(NOTIFY_PATH, &headers, tampered.as_bytes()));
    assert!(!client.on_payment_notification("/elsewhere", &headers, body.as_bytes()));
    let unsigned: Vec<_> = headers
        .iter()
        .filter(|(name, _)| name != "signature")
        .cloned()
        .collect();
    assert!(!client.on_payment_notification(NOTIFY_PATH, &unsigned, body.as_bytes()));
    let other_client = provider_headers("CONFORMANCE_OTHER_CLIENT", &body);
    assert!(!client.on_payment_notification(NOTIFY_PATH, &other_client, body.as_bytes()));
    assert_eq!(
        client.status(&PaymentRef::by_payment_id("P1")),
        OrderStatus::None
    );
}

#[test]
fn other_notifications_are_accepted_without_effect() {
    let client = CancelClient::new(config("http://127.0.0.1:1", CLIENT)).expect("client");
    let body = json!({
        "notifyType": "PAYMENT_RESULT",
        "result": {"resultCode": "USER_BALANCE_NOT_ENOUGH", "resultStatus": "F"},
        "paymentId": "P1"
    })
    .to_string();
    let effect = client
        .handle_notification(
            NOTIFY_PATH,
            &provider_headers(CLIENT, &body),
            body.as_bytes(),
        )
        .expect("accepted");
    assert_eq!(effect.order_status, None);
    assert_eq!(
        client.status(&PaymentRef::by_payment_id("P1")),
        OrderStatus::None
    );
}
