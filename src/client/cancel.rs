//! [`CancelClient`]: the whole cancel procedure (sign, send, judge the
//! answer, retry with the same identifiers, conclude, record the order) and
//! the handling of payment notifications.

use std::fmt;

use super::config::{ClientConfig, ClientError};
use super::notify::{Notification, NotificationError, verify_notification};
use super::orders::OrderBook;
use super::retry::{AttemptKind, Backoff, Decision, decide};
use super::wire::{
    Untrusted, cancel_request, compact_body, exchange, http_client, signed_request, trust_answer,
};
use crate::domain::OrderStatus;
use crate::domain::{CancelConclusion, PaymentRef};
use crate::spec::api::{CANCEL_PATH, CancelRequest, CancelResponse, ResultStatus, path_for_client};
use crate::wire::http::TransportError;
use crate::wire::message::{Received, SentRequest};

/// What a cancel concluded, with what the client learnt on the way (the
/// bare conclusion is [`CancelConclusion`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    /// A trusted S answer: the payment is cancelled.
    Cancelled {
        result_code: String,
        cancel_time: Option<String>,
        payment_id: Option<String>,
        payment_request_id: Option<String>,
    },
    /// A trusted F answer: the payment was not cancelled; `code` says why
    /// (e.g. CANCEL_WINDOW_EXCEED: refund instead).
    Failed {
        code: String,
        message: Option<String>,
    },
    /// Every attempt ended in U or no answer. `last_code` is the code of
    /// the last U, if the last attempt got one.
    Unknown {
        attempts: u32,
        last_code: Option<String>,
    },
    /// An answer arrived that is not trusted.
    Refused { reason: Untrusted },
    /// Nothing was sent.
    NotSent { reason: ClientError },
}

impl CancelOutcome {
    /// The bare conclusion the adapter protocol and client cases speak of;
    /// `None` when nothing was sent, so there is nothing to conclude.
    pub fn conclusion(&self) -> Option<CancelConclusion> {
        match self {
            CancelOutcome::Cancelled { .. } => Some(CancelConclusion::Cancelled),
            CancelOutcome::Failed { .. } => Some(CancelConclusion::Failed),
            CancelOutcome::Unknown { .. } => Some(CancelConclusion::Unknown),
            CancelOutcome::Refused { .. } => Some(CancelConclusion::Refused),
            CancelOutcome::NotSent { .. } => None,
        }
    }
}

impl fmt::Display for CancelOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CancelOutcome::Cancelled { cancel_time, .. } => match cancel_time {
                Some(time) => write!(f, "cancelled at {time}"),
                None => f.write_str("cancelled"),
            },
            CancelOutcome::Failed { code, .. } => write!(f, "failed: {code}"),
            CancelOutcome::Unknown { attempts, .. } => {
                write!(f, "unknown after {attempts} attempt(s)")
            }
            CancelOutcome::Refused { reason } => write!(f, "refused: {reason}"),
            CancelOutcome::NotSent { reason } => write!(f, "not sent: {reason}"),
        }
    }
}

/// What one attempt came to, for the record of a cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptNote {
    Answered { status: ResultStatus, code: String },
    NoAnswer(TransportError),
    Untrusted(Untrusted),
}

impl fmt::Display for AttemptNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptNote::Answered { status, code } => write!(f, "{status} / {code}"),
            AttemptNote::NoAnswer(failure) => failure.fmt(f),
            AttemptNote::Untrusted(reason) => reason.fmt(f),
        }
    }
}

impl AttemptNote {
    pub fn from_response(response: &CancelResponse) -> Self {
        AttemptNote::Answered {
            status: response.result.result_status,
            code: response.result.result_code.clone(),
        }
    }

    pub fn kind(&self) -> AttemptKind {
        match self {
            AttemptNote::Answered { status, .. } => AttemptKind::Answered(*status),
            AttemptNote::NoAnswer(_) => AttemptKind::NoAnswer,
            AttemptNote::Untrusted(_) => AttemptKind::Untrusted,
        }
    }
}

/// A cancel's conclusion together with what each attempt came to, for
/// logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelReport {
    pub outcome: CancelOutcome,
    pub attempts: Vec<AttemptNote>,
}

/// What handling a verified notification did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationEffect {
    pub notification: Notification,
    /// The order's status afterwards; `None` when the notification is not a
    /// payment success and so changed nothing.
    pub order_status: Option<OrderStatus>,
}

/// The outcome a trusted answer concludes.
pub fn conclusion(response: CancelResponse, attempts: u32) -> CancelOutcome {
    match response.result.result_status {
        ResultStatus::S => CancelOutcome::Cancelled {
            result_code: response.result.result_code,
            cancel_time: response.cancel_time,
            payment_id: response.payment_id,
            payment_request_id: response.payment_request_id,
        },
        ResultStatus::F => CancelOutcome::Failed {
            code: response.result.result_code,
            message: response.result.result_message,
        },
        ResultStatus::U => CancelOutcome::Unknown {
            attempts,
            last_code: Some(response.result.result_code),
        },
    }
}

/// A client of the cancel API, with the merchant's order records.
///
/// Cheap to share behind an `Arc`; `cancel` may run concurrently for
/// different payments.
#[derive(Debug)]
pub struct CancelClient {
    config: ClientConfig,
    http: reqwest::Client,
    path: String,
    orders: OrderBook,
}

impl CancelClient {
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        config.check()?;
        let http = http_client(config.ca_cert_pem.as_deref())?;
        let path = path_for_client(&config.client_id, CANCEL_PATH);
        Ok(Self {
            config,
            http,
            path,
            orders: OrderBook::new(),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The cancel path this client calls (the sandbox path for `SANDBOX_`
    /// client ids).
    pub fn cancel_path(&self) -> &str {
        &self.path
    }

    pub fn orders(&self) -> &OrderBook {
        &self.orders
    }

    /// Signs `body` for `path` with this client's key and a fresh
    /// `Request-Time`.
    pub fn sign(&self, path: &str, body: Vec<u8>) -> Result<SentRequest, ClientError> {
        signed_request(&self.config, path, body)
    }

    /// One HTTP exchange within the configured timeout.
    pub async fn send(&self, request: &SentRequest) -> Result<Received, TransportError> {
        exchange(
            &self.http,
            self.config.trimmed_base_url(),
            request,
            self.config.timeout,
        )
        .await
    }

    /// Whether `answer` to `sent` (sent to `path`) can be trusted.
    pub fn trust(
        &self,
        sent: &CancelRequest,
        path: &str,
        answer: &Received,
    ) -> Result<CancelResponse, Untrusted> {
        trust_answer(&self.config, sent, path, answer)
    }

    /// Cancels `payment` in full and records the order accordingly.
    pub async fn cancel(&self, payment: &PaymentRef) -> CancelOutcome {
        self.cancel_reported(payment).await.outcome
    }

    /// [`cancel`](Self::cancel), with what each attempt came to.
    pub async fn cancel_reported(&self, payment: &PaymentRef) -> CancelReport {
        let report = self.run_cancel(payment).await;
        self.orders.record_outcome(payment, &report.outcome);
        report
    }

    async fn run_cancel(&self, payment: &PaymentRef) -> CancelReport {
        let mut attempts = Vec::new();
        // The request and its bytes are made once: every retry must carry
        // the same identifiers, and the provider deduplicates on them.
        let sent = match cancel_request(payment) {
            Ok(sent) => sent,
            Err(reason) => return not_sent(reason, attempts),
        };
        let body = match compact_body(&sent) {
            Ok(body) => body,
            Err(reason) => return not_sent(reason, attempts),
        };
        let mut backoff = Backoff::within(self.config.timeout);
        let mut last_code = None;
        for number in 1..=self.config.max_attempts {
            if number > 1 {
                tokio::time::sleep(backoff.next_pause()).await;
            }
            let request = match self.sign(&self.path, body.clone()) {
                Ok(request) => request,
                // Signing does not depend on the message, so a failure now
                // would repeat; what earlier attempts did stays open.
                Err(reason) if attempts.is_empty() => return not_sent(reason, attempts),
                Err(_) => break,
            };
            let (note, response) = match self.send(&request).await {
                Err(failure) => (AttemptNote::NoAnswer(failure), None),
                Ok(answer) => match self.trust(&sent, &request.path, &answer) {
                    Err(reason) => (AttemptNote::Untrusted(reason), None),
                    Ok(response) => (AttemptNote::from_response(&response), Some(response)),
                },
            };
            let decision = decide(note.kind());
            last_code = match &note {
                AttemptNote::Answered { code, .. } => Some(code.clone()),
                _ => None,
            };
            attempts.push(note);
            if decision == Decision::Retry
                && !super::retry::u_limit_reached(attempts.iter().map(AttemptNote::kind))
            {
                continue;
            }
            if decision == Decision::Retry {
                // Four U answers in a row: the payment goes to a person.
                break;
            }
            let outcome = match (response, attempts.last()) {
                (Some(response), _) => conclusion(response, number),
                (None, Some(AttemptNote::Untrusted(reason))) => CancelOutcome::Refused {
                    reason: reason.clone(),
                },
                // `decide` concludes only on a trusted answer or an
                // untrusted one; this arm keeps the match total.
                (None, _) => CancelOutcome::Unknown {
                    attempts: number,
                    last_code: None,
                },
            };
            return CancelReport { outcome, attempts };
        }
        CancelReport {
            outcome: CancelOutcome::Unknown {
                attempts: u32::try_from(attempts.len()).unwrap_or(u32::MAX),
                last_code,
            },
            attempts,
        }
    }

    /// The merchant's record of `payment`, found by either id.
    pub fn status(&self, payment: &PaymentRef) -> OrderStatus {
        self.orders.status(payment)
    }

    /// Handles a payment notification received at `path`; true when it is
    /// verified and accepted.
    pub fn on_payment_notification(
        &self,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> bool {
        self.handle_notification(path, headers, body).is_ok()
    }

    /// [`on_payment_notification`](Self::on_payment_notification), saying
    /// why a notification was not accepted or what it changed.
    pub fn handle_notification(
        &self,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<NotificationEffect, NotificationError> {
        let notification = verify_notification(
            &self.config.provider_key,
            &self.config.client_id,
            path,
            headers,
            body,
        )?;
        let order_status = notification
            .is_payment_success()
            .then(|| self.orders.record_payment_success(&notification.payment));
        Ok(NotificationEffect {
            notification,
            order_status,
        })
    }
}

fn not_sent(reason: ClientError, attempts: Vec<AttemptNote>) -> CancelReport {
    CancelReport {
        outcome: CancelOutcome::NotSent { reason },
        attempts,
    }
}
