//! The cancel procedure: retries with the same identifiers, and which
//! answers it trusts.

use super::*;

// --------------------------------------------------------------- retries

#[tokio::test]
async fn u_answers_are_retried_with_the_same_identifiers() {
    let provider = Provider::start(vec![
        Step::U("SYSTEM_ERROR"),
        Step::U("SYSTEM_ERROR"),
        Step::S,
    ]);
    let client = client_for(&provider);
    let outcome = client.cancel(&both("P1", "R1")).await;
    assert_eq!(
        outcome,
        CancelOutcome::Cancelled {
            result_code: "SUCCESS".into(),
            cancel_time: Some(CANCEL_TIME.into()),
            payment_id: Some("P1".into()),
            payment_request_id: Some("R1".into()),
        }
    );
    let requests = provider.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_well_formed(request, CLIENT, "/ams/api/v1/payments/cancel");
        assert_eq!(
            request.body, requests[0].body,
            "every retry sends the same body"
        );
    }
    assert_eq!(
        requests[0].json(),
        json!({"paymentId": "P1", "paymentRequestId": "R1"})
    );
    assert_eq!(
        client.status(&PaymentRef::by_payment_id("P1")),
        OrderStatus::Cancelled
    );
}

#[tokio::test]
async fn only_u_answers_end_unknown_after_max_attempts() {
    let provider = Provider::start(vec![Step::U("SYSTEM_ERROR"); 5]);
    let client = client_for(&provider);
    let report = client
        .cancel_reported(&PaymentRef::by_request_id("R1"))
        .await;
    assert_eq!(
        report.outcome,
        CancelOutcome::Unknown {
            attempts: 3,
            last_code: Some("SYSTEM_ERROR".into())
        }
    );
    assert_eq!(report.attempts.len(), 3);
    assert_eq!(provider.requests().len(), 3);
    assert_eq!(
        client.status(&PaymentRef::by_request_id("R1")),
        OrderStatus::Unknown
    );
}

#[tokio::test]
async fn f_is_never_retried() {
    let provider = Provider::start(vec![Step::F("CANCEL_WINDOW_EXCEED")]);
    let client = client_for(&provider);
    let outcome = client.cancel(&PaymentRef::by_payment_id("P1")).await;
    assert_eq!(
        outcome,
        CancelOutcome::Failed {
            code: "CANCEL_WINDOW_EXCEED".into(),
            message: None
        }
    );
    assert_eq!(provider.requests().len(), 1);
    assert_eq!(
        client.status(&PaymentRef::by_payment_id("P1")),
        OrderStatus::None
    );
}

#[tokio::test]
async fn a_timeout_is_retried_with_the_same_identifiers() {
    let provider = Provider::start(vec![Step::Hold(Duration::from_millis(1500)), Step::S]);
    let client = client_for(&provider);
    let report = client
        .cancel_reported(&PaymentRef::by_request_id("R1"))
        .await;
    assert!(matches!(report.outcome, CancelOutcome::Cancelled { .. }));
    assert!(matches!(
        report.attempts[0],
        AttemptNote::NoAnswer(TransportError::NoAnswer { .. })
    ));
    let requests = provider.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body);
    // The provider's S named the paymentId too; the order is found by it.
    assert_eq!(
        client.status(&PaymentRef::by_payment_id(SERVER_PAYMENT_ID)),
        OrderStatus::Cancelled
    );
}

#[tokio::test]
async fn a_cut_connection_is_retried() {
    let provider = Provider::start(vec![Step::Cut, Step::S]);
    let client = client_for(&provider);
    let report = client.cancel_reported(&both("P1", "R1")).await;
    assert!(
        matches!(report.outcome, CancelOutcome::Cancelled { .. }),
        "{report:?}"
    );
    assert!(matches!(report.attempts[0], AttemptNote::NoAnswer(_)));
    assert_eq!(provider.requests().len(), 2);
}

#[tokio::test]
async fn timeouts_only_end_unknown() {
    let provider = Provider::start(vec![Step::Hold(Duration::from_millis(1500)); 3]);
    let mut config = config(&provider.base_url, CLIENT);
    config.max_attempts = 2;
    config.timeout = Duration::from_millis(150);
    let client = CancelClient::new(config).expect("client");
    let outcome = client.cancel(&PaymentRef::by_payment_id("P1")).await;
    assert_eq!(
        outcome,
        CancelOutcome::Unknown {
            attempts: 2,
            last_code: None
        }
    );
    assert_eq!(provider.requests().len(), 2);
}

#[tokio::test]
async fn nothing_listening_is_retried_then_unknown() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base_url = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let client = CancelClient::new(config(&base_url, CLIENT)).expect("client");
    let report = client
        .cancel_reported(&PaymentRef::by_payment_id("P1"))
        .await;
    assert_eq!(report.attempts.len(), 3);
    assert!(matches!(
        report.outcome,
        CancelOutcome::Unknown { attempts: 3, .. }
    ));
}

// ------------------------------------------------------- trusting answers

async fn refused_after_one_request(step: Step) -> Untrusted {
    let provider = Provider::start(vec![step, Step::S, Step::S]);
    let client = client_for(&provider);
    let outcome = client.cancel(&both("P1", "R1")).await;
    assert_eq!(
        provider.requests().len(),
        1,
        "an untrusted answer is not retried"
    );
    assert_eq!(
        client.status(&PaymentRef::by_payment_id("P1")),
        OrderStatus::Unknown,
        "an untrusted S does not cancel the order"
    );
    match outcome {
        CancelOutcome::Refused { reason } => reason,
        other => panic!("expected refused, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unsigned_answer_is_refused() {
    assert_eq!(
        refused_after_one_request(Step::Unsigned).await,
        Untrusted::MissingHeader { name: "signature" }
    );
}

#[tokio::test]
async fn a_forged_signature_is_refused() {
    assert!(matches!(
        refused_after_one_request(Step::ForgedSignature).await,
        Untrusted::BadSignature(_)
    ));
}

#[tokio::test]
async fn a_status_other_than_200_is_refused() {
    assert_eq!(
        refused_after_one_request(Step::HttpStatus(500)).await,
        Untrusted::Status { status: 500 }
    );
}

#[tokio::test]
async fn an_answer_about_another_payment_is_refused() {
    assert!(matches!(
        refused_after_one_request(Step::OtherPayment).await,
        Untrusted::OtherPayment {
            field: "paymentId",
            ..
        }
    ));
}

#[tokio::test]
async fn a_sandbox_client_calls_the_sandbox_path() {
    let provider = Provider::start(vec![Step::S]);
    let client = CancelClient::new(config(&provider.base_url, SANDBOX_CLIENT)).expect("client");
    assert_eq!(client.cancel_path(), "/ams/sandbox/api/v1/payments/cancel");
    let outcome = client.cancel(&PaymentRef::by_payment_id("P1")).await;
    assert!(
        matches!(outcome, CancelOutcome::Cancelled { .. }),
        "{outcome:?}"
    );
    let requests = provider.requests();
    assert_well_formed(
        &requests[0],
        SANDBOX_CLIENT,
        "/ams/sandbox/api/v1/payments/cancel",
    );
}

#[tokio::test]
async fn a_payment_without_ids_is_not_sent() {
    let provider = Provider::start(vec![]);
    let client = client_for(&provider);
    let outcome = client.cancel(&PaymentRef::default()).await;
    assert_eq!(
        outcome,
        CancelOutcome::NotSent {
            reason: ClientError::NoIdentifier
        }
    );
    assert!(provider.requests().is_empty());
}

#[test]
fn unusable_configuration_is_refused_up_front() {
    let mut bad = config("http://127.0.0.1:1", CLIENT);
    bad.max_attempts = 0;
    assert!(matches!(
        CancelClient::new(bad),
        Err(ClientError::InvalidConfig {
            field: "max_attempts",
            ..
        })
    ));
    let bad = config("127.0.0.1:1", CLIENT);
    assert!(matches!(
        CancelClient::new(bad),
        Err(ClientError::InvalidConfig {
            field: "base_url",
            ..
        })
    ));
}
