//! The adapter of protocol version 3 (INTERPRETING.md §8): JSON lines on
//! stdin and stdout around a client, configured from `CC_*` environment
//! variables. It answers `hello` with the client's name and every
//! capability: the project's client signs, verifies, keeps its timeout,
//! retries and keeps an order book (a protocol 2 runner never asks).
//!
//! The adapter itself never signs, verifies or retries: it hands each
//! operation to the client and reports the client's conclusion, so that what
//! the suite judges is the client. [`adapter_main`] runs it around
//! [`CancelClient`]; [`run_adapter`] runs it around any [`AdapterClient`]
//! (the project's deliberately broken test clients use that).

use std::io::{self, BufRead, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::cancel::{CancelClient, CancelOutcome, CancelReport, NotificationEffect};
use super::config::{ClientConfig, ClientError};
use super::notify::NotificationError;
use crate::adapter_protocol::env::{
    BASE_URL, CA_CERT, CLIENT_ID, KEY_VERSION as KEY_VERSION_VAR, MAX_ATTEMPTS,
    MERCHANT_PRIVATE_KEY, PROTOCOL, PROVIDER_PUBLIC_KEY, TIMEOUT_MS,
};
use crate::adapter_protocol::messages::{Answer, OPERATIONS, Received, Reply};
use crate::adapter_protocol::{PROTOCOL_VERSION, PROTOCOL_VERSION_BEFORE, is_accepted_version};
use crate::domain::PaymentRef;
use crate::domain::{Capability, Implementation, OrderStatus};
use crate::signing::{SigningKey, VerifyingKey};
/// `CC_MAX_ATTEMPTS` when unset.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// `CC_TIMEOUT_MS` when unset (the runner always sets it).
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// `CC_KEY_VERSION` when unset: the provider's default.
pub const KEY_VERSION: &str = crate::signing::test_keys::KEY_VERSION;

/// What the adapter needs from a client.
pub trait AdapterClient {
    /// Runs the client's whole cancel procedure, retries included.
    fn cancel(&self, payment: &PaymentRef) -> impl Future<Output = CancelReport>;
    /// Hands over a payment notification; `Ok` when the client accepts it.
    fn notify(
        &self,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<NotificationEffect, NotificationError>;
    /// The client's own record of a payment.
    fn status(&self, payment: &PaymentRef) -> OrderStatus;
    /// What `hello` says the client implements: by default everything, as
    /// the project's client does.
    fn capabilities(&self) -> Vec<Capability> {
        Capability::ALL.to_vec()
    }
}

impl AdapterClient for CancelClient {
    fn cancel(&self, payment: &PaymentRef) -> impl Future<Output = CancelReport> {
        self.cancel_reported(payment)
    }

    fn notify(
        &self,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<NotificationEffect, NotificationError> {
        self.handle_notification(path, headers, body)
    }

    fn status(&self, payment: &PaymentRef) -> OrderStatus {
        CancelClient::status(self, payment)
    }
}

/// `cancel-conformance adapter`: the adapter around the project's own
/// client.
pub fn adapter_main() -> ExitCode {
    run_adapter("adapter", CancelClient::new)
}

/// Reads the environment, builds the client with `build`, and serves
/// stdin until it closes. Exit status 0 at end of input, 2 for a
/// configuration the adapter cannot run with, 1 when stdout fails.
pub fn run_adapter<C, B>(name: &str, build: B) -> ExitCode
where
    C: AdapterClient,
    B: FnOnce(ClientConfig) -> Result<C, ClientError>,
{
    let config = match config_from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{name}: {error}");
            return ExitCode::from(2);
        }
    };
    let client = match build(config) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("{name}: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{name}: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    let stdin = io::stdin();
    let stdout = io::stdout();
    match serve_lines(&client, &runtime, stdin.lock(), stdout.lock(), io::stderr()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{name}: cannot write the answer: {error}");
            ExitCode::from(1)
        }
    }
}

/// Why the environment does not make a usable configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    #[error(
        "{name} is not set; the adapter is started by `cancel-conformance client`, \
         which sets {BASE_URL}, {CLIENT_ID}, {MERCHANT_PRIVATE_KEY}, \
         {PROVIDER_PUBLIC_KEY} and {TIMEOUT_MS}"
    )]
    Missing { name: &'static str },
    #[error("{name} {reason}")]
    Invalid { name: &'static str, reason: String },
    /// `CC_PROTOCOL` names a version this adapter does not speak.
    #[error(
        "{PROTOCOL} is `{found}`, but this adapter speaks protocols {PROTOCOL_VERSION_BEFORE} and {PROTOCOL_VERSION} only"
    )]
    Protocol { found: String },
}

/// The configuration from the process environment.
pub fn config_from_env() -> Result<ClientConfig, EnvError> {
    config_from(|name| std::env::var(name).ok())
}

/// The configuration from `lookup` (a variable's value, `None` if unset).
/// An empty value counts as unset.
pub fn config_from(lookup: impl Fn(&str) -> Option<String>) -> Result<ClientConfig, EnvError> {
    let get = |name: &'static str| lookup(name).filter(|value| !value.trim().is_empty());
    let required = |name: &'static str| get(name).ok_or(EnvError::Missing { name });
    if let Some(found) = get(PROTOCOL)
        && !is_accepted_version(&found)
    {
        return Err(EnvError::Protocol { found });
    }
    let base_url = required(BASE_URL)?.trim().to_string();
    let client_id = required(CLIENT_ID)?.trim().to_string();
    let merchant_key =
        SigningKey::from_base64_pkcs8(&required(MERCHANT_PRIVATE_KEY)?).map_err(|error| {
            EnvError::Invalid {
                name: MERCHANT_PRIVATE_KEY,
                reason: error.to_string(),
            }
        })?;
    let provider_key =
        VerifyingKey::from_base64_spki(&required(PROVIDER_PUBLIC_KEY)?).map_err(|error| {
            EnvError::Invalid {
                name: PROVIDER_PUBLIC_KEY,
                reason: error.to_string(),
            }
        })?;
    let timeout_ms = match get(TIMEOUT_MS) {
        None => DEFAULT_TIMEOUT_MS,
        Some(text) => positive(TIMEOUT_MS, &text)?,
    };
    let max_attempts = match get(MAX_ATTEMPTS) {
        None => DEFAULT_MAX_ATTEMPTS,
        Some(text) => {
            let value = positive(MAX_ATTEMPTS, &text)?;
            u32::try_from(value).map_err(|_| EnvError::Invalid {
                name: MAX_ATTEMPTS,
                reason: format!("is `{text}`, which is too large"),
            })?
        }
    };
    let ca_cert_pem = match get(CA_CERT) {
        None => None,
        Some(path) => Some(
            crate::input_file::read(std::path::Path::new(path.trim())).map_err(|error| {
                EnvError::Invalid {
                    name: CA_CERT,
                    reason: format!("names `{path}`, which cannot be read: {}", error.reason()),
                }
            })?,
        ),
    };
    Ok(ClientConfig {
        base_url,
        client_id,
        merchant_key: Arc::new(merchant_key),
        key_version: get(KEY_VERSION_VAR)
            .map_or_else(|| KEY_VERSION.to_string(), |v| v.trim().to_string()),
        provider_key,
        timeout: Duration::from_millis(timeout_ms),
        max_attempts,
        ca_cert_pem,
    })
}

fn positive(name: &'static str, text: &str) -> Result<u64, EnvError> {
    match text.trim().parse::<u64>() {
        Ok(value) if value > 0 => Ok(value),
        _ => Err(EnvError::Invalid {
            name,
            reason: format!("is `{text}`, but must be a whole number greater than 0"),
        }),
    }
}

/// One operation of the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Protocol 3: who the client is.
    Hello,
    Cancel(PaymentRef),
    Notify {
        path: String,
        headers: Vec<(String, String)>,
        body: String,
    },
    Status(PaymentRef),
    /// An operation this adapter does not know.
    Unsupported(String),
}

/// A request line: the `id` to echo and the operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: Value,
    pub op: Op,
}

/// A line that is not a usable request: the `id` to echo (`null` when the
/// line has none) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub id: Value,
    pub reason: String,
}

/// Parses one request line: the `id` is taken as it is (it is echoed),
/// an unknown `op` is an unsupported operation, and a known one is read
/// through the protocol's [`Received`].
pub fn parse_line(line: &str) -> Result<Message, Malformed> {
    let value: Value = serde_json::from_str(line).map_err(|error| Malformed {
        id: Value::Null,
        reason: format!("not JSON: {error}"),
    })?;
    let Value::Object(object) = value else {
        return Err(Malformed {
            id: Value::Null,
            reason: "not a JSON object".to_string(),
        });
    };
    let id = object.get("id").cloned().unwrap_or(Value::Null);
    let malformed = |reason: String| Malformed {
        id: id.clone(),
        reason,
    };
    let name = match object.get("op") {
        Some(Value::String(op)) => op.clone(),
        Some(_) => return Err(malformed("`op` is not a string".to_string())),
        None => return Err(malformed("no `op`".to_string())),
    };
    if !OPERATIONS.contains(&name.as_str()) {
        return Ok(Message {
            id,
            op: Op::Unsupported(name),
        });
    }
    let received: Received = serde_json::from_value(Value::Object(object))
        .map_err(|error| malformed(format!("`{name}`: {error}")))?;
    let op = match received {
        Received::Hello {} => Op::Hello,
        Received::Cancel {
            payment_id,
            payment_request_id,
        } => Op::Cancel(PaymentRef::new(payment_id, payment_request_id)),
        Received::Status {
            payment_id,
            payment_request_id,
        } => Op::Status(PaymentRef::new(payment_id, payment_request_id)),
        Received::Notify {
            path,
            headers,
            body,
        } => Op::Notify {
            path,
            headers: headers.0,
            body,
        },
    };
    Ok(Message { id, op })
}

/// Carries out one operation and returns the answer line's object; notes
/// for the log go to `log`.
pub async fn answer<C: AdapterClient>(client: &C, message: Message, log: &mut dyn Write) -> Value {
    let Message { id, op } = message;
    match op {
        Op::Hello => hello_answer(id, client.capabilities()),
        Op::Cancel(payment) => {
            let report = client.cancel(&payment).await;
            for (number, note) in report.attempts.iter().enumerate() {
                let _ = writeln!(log, "cancel {payment}: attempt {}: {note}", number + 1);
            }
            let _ = writeln!(log, "cancel {payment}: {}", report.outcome);
            cancel_answer(id, &report.outcome)
        }
        Op::Notify {
            path,
            headers,
            body,
        } => {
            // Header names come in any letter case (protocol 2); the
            // client matches them case-insensitively, so they are passed
            // on as they came.
            let accepted = match client.notify(&path, &headers, body.as_bytes()) {
                Ok(effect) => {
                    let change = match effect.order_status {
                        Some(status) => format!("order now {status}"),
                        None => "no change".to_string(),
                    };
                    let _ = writeln!(
                        log,
                        "notify {path}: accepted ({}): {change}",
                        effect.notification.payment
                    );
                    true
                }
                Err(reason) => {
                    let _ = writeln!(log, "notify {path}: not accepted: {reason}");
                    false
                }
            };
            reply(id, Answer::Handled { accepted })
        }
        Op::Status(payment) => reply(
            id,
            Answer::Record {
                status: client.status(&payment),
            },
        ),
        Op::Unsupported(op) => {
            let _ = writeln!(log, "op `{op}` is not supported");
            reply(
                id,
                Answer::Error {
                    error: "unsupported".to_string(),
                },
            )
        }
    }
}

/// The answer to `hello`: the project's client, with `capabilities`.
pub fn hello_answer(id: Value, capabilities: Vec<Capability>) -> Value {
    let implementation = Implementation {
        name: concat!(env!("CARGO_PKG_NAME"), " client").to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        language: "Rust".to_string(),
        // The crate is not published: its documentation is the README.
        homepage: "README.md".to_string(),
        capabilities,
    };
    reply(id, Answer::Introduced(implementation))
}

/// The answer to a cancel, as the protocol spells the outcome.
pub fn cancel_answer(id: Value, outcome: &CancelOutcome) -> Value {
    let (code, time) = match outcome {
        CancelOutcome::Cancelled {
            result_code,
            cancel_time,
            ..
        } => (Some(result_code), cancel_time.as_ref()),
        CancelOutcome::Failed { code, .. } => (Some(code), None),
        CancelOutcome::Unknown { last_code, .. } => (last_code.as_ref(), None),
        CancelOutcome::Refused { .. } => (None, None),
        CancelOutcome::NotSent { reason } => {
            return reply(
                id,
                Answer::Error {
                    error: reason.to_string(),
                },
            );
        }
    };
    reply(
        id,
        Answer::Concluded {
            outcome: outcome.conclusion(),
            result_code: code.cloned(),
            cancel_time: time.cloned(),
        },
    )
}

/// One answer line's object.
fn reply(id: Value, answer: Answer) -> Value {
    Reply { id, answer }.to_object()
}

/// Serves request lines from `input` until it ends, one at a time, each
/// answer written and flushed before the next line is read.
pub fn serve_lines<C: AdapterClient>(
    client: &C,
    runtime: &tokio::runtime::Runtime,
    mut input: impl BufRead,
    mut output: impl Write,
    mut log: impl Write,
) -> io::Result<()> {
    let mut raw = Vec::new();
    loop {
        raw.clear();
        let read = match input.read_until(b'\n', &mut raw) {
            Ok(read) => read,
            Err(error) => {
                // A broken stdin is the same as a closed one: nobody is left
                // to answer.
                let _ = writeln!(log, "cannot read stdin ({error}); stopping");
                return Ok(());
            }
        };
        if read == 0 {
            return Ok(());
        }
        let answer = match std::str::from_utf8(&raw) {
            Err(_) => Some(malformed_answer(Malformed {
                id: Value::Null,
                reason: "the line is not UTF-8".to_string(),
            })),
            // Blank lines carry no request, so they get no answer.
            Ok(line) if line.trim().is_empty() => None,
            Ok(line) => Some(match parse_line(line.trim()) {
                Ok(message) => runtime.block_on(answer(client, message, &mut log)),
                Err(malformed) => {
                    let _ = writeln!(log, "malformed line: {}", malformed.reason);
                    malformed_answer(malformed)
                }
            }),
        };
        if let Some(answer) = answer {
            writeln!(output, "{answer}")?;
            output.flush()?;
        }
    }
}

fn malformed_answer(malformed: Malformed) -> Value {
    reply(
        malformed.id,
        Answer::Error {
            error: malformed.reason,
        },
    )
}
