//! Deliberately broken clients of the cancel API, each with one real,
//! plausible bug, behind the adapter protocol (INTERPRETING.md §8).
//!
//! TEST-ONLY, never shipped: these exist to prove that the suite's client
//! cases catch each bug. `broken_adapter <defect>` behaves like the
//! project's own client except for that one defect; the flawed logic lives
//! here, built from the same public parts as `CancelClient`, so that the
//! shipped client has no switch that could turn a bug on.
//!
//! ```sh
//! cargo run --example broken_adapter -- fails-on-u
//! ```

use std::process::ExitCode;

use serde_json::Value;

use cancel_conformance::client::adapter::{AdapterClient, run_adapter};
use cancel_conformance::client::notify::verify_notification;
use cancel_conformance::client::retry::{AttemptKind, Backoff, Decision, decide};
use cancel_conformance::client::wire::{
    RawAnswer, TransportFailure, cancel_request, check_echo, compact_body, parse_answer,
    verify_answer,
};
use cancel_conformance::client::{
    AttemptNote, CancelClient, CancelOutcome, CancelReport, ClientError, NotificationEffect,
    NotificationError, OrderStatus, PaymentRef, Untrusted, conclusion,
};
use cancel_conformance::spec::api::{CANCEL_PATH, CancelRequest, CancelResponse, ResultStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Defect {
    /// Mints a fresh paymentRequestId for every retry, as it would for a
    /// new pay request.
    NewIdOnRetry,
    /// Reads U as "it did not work" and reports failed.
    FailsOnU,
    /// Retries an F as if it were transient.
    RetriesOnF,
    /// Never checks the answer's signature.
    IgnoresSignature,
    /// Signs the compact JSON but sends a pretty-printed copy.
    SignsReserialisedBody,
    /// Hard-codes the production path.
    ProductionPathForSandbox,
    /// Lets a payment-success notification overwrite a cancelled order.
    FlipsAfterLateNotification,
    /// Sends an amount, as if partial cancellation existed.
    SendsAmount,
    /// Treats a timeout as final.
    NoRetryOnTimeout,
}

const DEFECTS: [(&str, Defect); 9] = [
    ("new-id-on-retry", Defect::NewIdOnRetry),
    ("fails-on-u", Defect::FailsOnU),
    ("retries-on-f", Defect::RetriesOnF),
    ("ignores-signature", Defect::IgnoresSignature),
    ("signs-reserialised-body", Defect::SignsReserialisedBody),
    (
        "production-path-for-sandbox",
        Defect::ProductionPathForSandbox,
    ),
    (
        "flips-after-late-notification",
        Defect::FlipsAfterLateNotification,
    ),
    ("sends-amount", Defect::SendsAmount),
    ("no-retry-on-timeout", Defect::NoRetryOnTimeout),
];

fn main() -> ExitCode {
    let argument = std::env::args().nth(1);
    let Some(defect) = argument.as_deref().and_then(|name| {
        DEFECTS
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, defect)| *defect)
    }) else {
        let names: Vec<&str> = DEFECTS.iter().map(|(name, _)| *name).collect();
        eprintln!(
            "usage: broken_adapter <defect>\n  defects: {}\n  (got {})",
            names.join(", "),
            argument.as_deref().unwrap_or("nothing")
        );
        return ExitCode::from(2);
    };
    run_adapter("broken_adapter", |config| {
        Ok(BrokenClient {
            defect,
            inner: CancelClient::new(config)?,
        })
    })
}

struct BrokenClient {
    defect: Defect,
    /// Supplies configuration, signing, transport and the order records.
    inner: CancelClient,
}

impl BrokenClient {
    fn path(&self) -> &str {
        if self.defect == Defect::ProductionPathForSandbox {
            CANCEL_PATH
        } else {
            self.inner.cancel_path()
        }
    }

    fn body(&self, sent: &CancelRequest) -> Result<Vec<u8>, ClientError> {
        if self.defect != Defect::SendsAmount {
            return compact_body(sent);
        }
        let mut value = serde_json::to_value(sent).map_err(|err| ClientError::Body {
            detail: err.to_string(),
        })?;
        if let Value::Object(object) = &mut value {
            object.insert(
                "cancelAmount".to_string(),
                serde_json::json!({"currency": "USD", "value": "100"}),
            );
        }
        serde_json::to_vec(&value).map_err(|err| ClientError::Body {
            detail: err.to_string(),
        })
    }

    fn judge(&self, sent: &CancelRequest, answer: &RawAnswer) -> Result<CancelResponse, Untrusted> {
        let config = self.inner.config();
        if self.defect == Defect::IgnoresSignature {
            if answer.status != 200 {
                return Err(Untrusted::Status {
                    status: answer.status,
                });
            }
        } else {
            verify_answer(&config.provider_key, &config.client_id, self.path(), answer)?;
        }
        let response = parse_answer(answer)?;
        check_echo(sent, &response)?;
        Ok(response)
    }

    async fn run_cancel(&self, payment: &PaymentRef) -> CancelReport {
        let mut attempts = Vec::new();
        let mut sent = match cancel_request(payment) {
            Ok(sent) => sent,
            Err(reason) => return not_sent(reason, attempts),
        };
        let original_request_id = sent
            .payment_request_id
            .clone()
            .or_else(|| sent.payment_id.clone())
            .unwrap_or_default();
        let max_attempts = self.inner.config().max_attempts;
        let mut backoff = Backoff::new();
        let mut last_code = None;
        for number in 1..=max_attempts {
            if number > 1 {
                tokio::time::sleep(backoff.next_pause().min(self.inner.config().timeout)).await;
                if self.defect == Defect::NewIdOnRetry {
                    sent.payment_request_id = Some(format!("{original_request_id}-retry{number}"));
                }
            }
            let body = match self.body(&sent) {
                Ok(body) => body,
                Err(reason) => return not_sent(reason, attempts),
            };
            let request = if self.defect == Defect::SignsReserialisedBody {
                let pretty = serde_json::to_vec_pretty(&sent).unwrap_or_else(|_| body.clone());
                self.inner.sign(self.path(), body).map(|mut request| {
                    request.body = pretty;
                    request
                })
            } else {
                self.inner.sign(self.path(), body)
            };
            let request = match request {
                Ok(request) => request,
                Err(reason) => return not_sent(reason, attempts),
            };
            let (note, response) = match self.inner.send(&request).await {
                Err(failure) => (AttemptNote::NoAnswer(failure), None),
                Ok(answer) => match self.judge(&sent, &answer) {
                    Err(reason) => (AttemptNote::Untrusted(reason), None),
                    Ok(response) => (AttemptNote::from_response(&response), Some(response)),
                },
            };
            let timed_out = matches!(
                note,
                AttemptNote::NoAnswer(TransportFailure::NoAnswer { .. })
            );
            let decision = match note.kind() {
                AttemptKind::Answered(ResultStatus::U) if self.defect == Defect::FailsOnU => {
                    Decision::Conclude
                }
                AttemptKind::Answered(ResultStatus::F) if self.defect == Defect::RetriesOnF => {
                    Decision::Retry
                }
                AttemptKind::NoAnswer if timed_out && self.defect == Defect::NoRetryOnTimeout => {
                    Decision::Conclude
                }
                kind => decide(kind),
            };
            last_code = match &note {
                AttemptNote::Answered { code, .. } => Some(code.clone()),
                _ => None,
            };
            attempts.push(note);
            let last_attempt = number == max_attempts;
            if decision == Decision::Retry && !last_attempt {
                continue;
            }
            let outcome = match response {
                Some(response)
                    if self.defect == Defect::FailsOnU
                        && response.result.result_status == ResultStatus::U =>
                {
                    CancelOutcome::Failed {
                        code: response.result.result_code,
                        message: response.result.result_message,
                    }
                }
                Some(response) if response.result.result_status != ResultStatus::U => {
                    conclusion(response, number)
                }
                _ => match attempts.last() {
                    Some(AttemptNote::Untrusted(reason)) => CancelOutcome::Refused {
                        reason: reason.clone(),
                    },
                    _ => CancelOutcome::Unknown {
                        attempts: number,
                        last_code: last_code.clone(),
                    },
                },
            };
            return CancelReport { outcome, attempts };
        }
        CancelReport {
            outcome: CancelOutcome::Unknown {
                attempts: max_attempts,
                last_code,
            },
            attempts,
        }
    }
}

fn not_sent(reason: ClientError, attempts: Vec<AttemptNote>) -> CancelReport {
    CancelReport {
        outcome: CancelOutcome::NotSent { reason },
        attempts,
    }
}

impl AdapterClient for BrokenClient {
    async fn cancel(&self, payment: &PaymentRef) -> CancelReport {
        let report = self.run_cancel(payment).await;
        self.inner.orders().record_outcome(payment, &report.outcome);
        report
    }

    fn notify(
        &self,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<NotificationEffect, NotificationError> {
        if self.defect != Defect::FlipsAfterLateNotification {
            return self.inner.handle_notification(path, headers, body);
        }
        let config = self.inner.config();
        let notification =
            verify_notification(&config.provider_key, &config.client_id, path, headers, body)?;
        let order_status = notification.is_payment_success().then(|| {
            self.inner
                .orders()
                .overwrite(&notification.payment, OrderStatus::Success);
            OrderStatus::Success
        });
        Ok(NotificationEffect {
            notification,
            order_status,
        })
    }

    fn status(&self, payment: &PaymentRef) -> OrderStatus {
        self.inner.status(payment)
    }
}
