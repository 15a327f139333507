//! Driving a client under test through its adapter: a child process that
//! speaks JSON lines (INTERPRETING.md §8), and the protocol's messages as
//! types that generate `spec/adapter-*.schema.json`. An adapter that
//! crashes, hangs or prints something that is not a protocol line valid
//! against its schema ends the case with a clear message (naming the
//! schema path) and its stderr; it never stops the run.

use std::fmt;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

use super::process;

/// The longest protocol line the runner reads; an adapter flooding stdout
/// is failed rather than allowed to exhaust memory.
const MAX_LINE_BYTES: usize = 1024 * 1024;
/// How much of the adapter's stderr is kept to show in a failure.
const STDERR_TAIL_BYTES: usize = 16 * 1024;

/// Why the adapter did not give a usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdapterError {
    Spawn {
        command: String,
        detail: String,
    },
    Exited {
        op: String,
        status: String,
    },
    Hung {
        op: String,
        after: Duration,
    },
    Garbage {
        op: String,
        line: String,
    },
    /// A JSON line that breaks the schema of its answer.
    Invalid {
        op: String,
        schema: String,
        schema_path: String,
        detail: String,
    },
    Io {
        op: String,
        detail: String,
    },
}

impl fmt::Display for AdapterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdapterError::Spawn { command, detail } => {
                write!(f, "cannot start the adapter `{command}`: {detail}")
            }
            AdapterError::Exited { op, status } => {
                write!(f, "the adapter exited ({status}) before answering `{op}`")
            }
            AdapterError::Hung { op, after } => write!(
                f,
                "the adapter did not answer `{op}` within {} ms",
                after.as_millis()
            ),
            AdapterError::Garbage { op, line } => write!(
                f,
                "the adapter answered `{op}` with something that is not a protocol line: {line:.200}"
            ),
            AdapterError::Invalid {
                op,
                schema,
                schema_path,
                detail,
            } => write!(
                f,
                "the adapter's answer to `{op}` is not valid against {schema} (schema path {schema_path}): {detail:.300}"
            ),
            AdapterError::Io { op, detail } => {
                write!(f, "cannot talk to the adapter during `{op}`: {detail}")
            }
        }
    }
}

/// A running adapter.
pub struct Adapter {
    child: Child,
    /// The adapter's process group, ended with the adapter.
    group: Option<u32>,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr: Arc<Mutex<Vec<u8>>>,
    next_id: u64,
}

impl Adapter {
    /// Starts `command` (exec'd directly, or through `sh -c` when it needs
    /// a shell) in a process group of its own, with the protocol's `env`
    /// and the allow-listed variables of [`process::adapter_env`] as its
    /// whole environment (`pass` names the user's extra variables).
    pub fn start(
        command: &str,
        env: &[(String, String)],
        pass: &[String],
    ) -> Result<Adapter, AdapterError> {
        let mut child = process::command(command, &process::adapter_env(env, pass))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|err| AdapterError::Spawn {
                command: crate::suite::report::describe_adapter(command),
                detail: err.to_string(),
            })?;
        // The adapter leads its own group: the group's id is its pid.
        let group = child.id();
        if let Some(group) = group {
            process::track(group);
        }
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(AdapterError::Spawn {
                command: command.to_string(),
                detail: "its standard streams are not available".into(),
            });
        };
        let tail = Arc::new(Mutex::new(Vec::new()));
        tokio::spawn(keep_tail(stderr, tail.clone()));
        Ok(Adapter {
            child,
            group,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
            stderr: tail,
            next_id: 1,
        })
    }

    /// Sends one operation and waits at most `deadline` for its answer.
    pub async fn call(
        &mut self,
        mut request: Value,
        deadline: Duration,
    ) -> Result<Value, AdapterError> {
        let op = request
            .get("op")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let id = self.next_id;
        self.next_id += 1;
        request["id"] = json!(id);
        let mut line = request.to_string();
        line.push('\n');
        let io = |err: std::io::Error| AdapterError::Io {
            op: op.clone(),
            detail: err.to_string(),
        };
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(AdapterError::Io {
                op,
                detail: "stdin is closed".into(),
            });
        };
        if let Err(err) = stdin.write_all(line.as_bytes()).await {
            return Err(self.exited_or(op.clone(), io(err)).await);
        }
        let _ = stdin.flush().await;
        let answer = tokio::time::timeout(deadline, read_line_capped(&mut self.stdout)).await;
        let text = match answer {
            Err(_) => {
                return Err(AdapterError::Hung {
                    op,
                    after: deadline,
                });
            }
            Ok(Err(err)) => return Err(io(err)),
            Ok(Ok(None)) => {
                let status = self.exit_status().await;
                return Err(AdapterError::Exited { op, status });
            }
            Ok(Ok(Some(text))) => text,
        };
        let value: Value = serde_json::from_str(&text).map_err(|_| AdapterError::Garbage {
            op: op.clone(),
            line: text.clone(),
        })?;
        if value.get("id") != Some(&json!(id)) {
            return Err(AdapterError::Garbage { op, line: text });
        }
        if let Some((schema, schema_path, detail)) = messages::violation(&op, &value) {
            return Err(AdapterError::Invalid {
                op,
                schema,
                schema_path,
                detail,
            });
        }
        Ok(value)
    }

    /// What the adapter wrote to stderr (its last part).
    pub fn stderr_tail(&self) -> String {
        self.stderr
            .lock()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// Closes stdin (the adapter should exit), waits a moment for it, then
    /// ends its whole process group: whatever it forked ends with it.
    pub async fn finish(mut self) {
        drop(self.stdin.take());
        if tokio::time::timeout(Duration::from_secs(2), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.start_kill();
        }
        self.end_group();
    }

    fn end_group(&mut self) {
        if let Some(group) = self.group.take() {
            process::end_group(group);
        }
    }

    async fn exited_or(&mut self, op: String, fallback: AdapterError) -> AdapterError {
        match tokio::time::timeout(Duration::from_millis(200), self.child.wait()).await {
            Ok(Ok(status)) => AdapterError::Exited {
                op,
                status: status.to_string(),
            },
            _ => fallback,
        }
    }

    async fn exit_status(&mut self) -> String {
        match tokio::time::timeout(Duration::from_secs(1), self.child.wait()).await {
            Ok(Ok(status)) => status.to_string(),
            _ => "closed its stdout".into(),
        }
    }
}

impl Drop for Adapter {
    /// A case that ends early (a failure, a panic) still ends the adapter's
    /// whole group, not only the adapter (`kill_on_drop`).
    fn drop(&mut self) {
        self.end_group();
    }
}

/// One line of at most [`MAX_LINE_BYTES`]; `None` at end of stream.
async fn read_line_capped<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(if line.is_empty() {
                None
            } else {
                Some(String::from_utf8_lossy(&line).into_owned())
            });
        }
        match available.iter().position(|&b| b == b'\n') {
            Some(end) => {
                line.extend_from_slice(&available[..end]);
                reader.consume(end + 1);
                return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
            }
            None => {
                let taken = available.len();
                line.extend_from_slice(available);
                reader.consume(taken);
            }
        }
        if line.len() > MAX_LINE_BYTES {
            return Err(std::io::Error::other(format!(
                "a line longer than {MAX_LINE_BYTES} bytes"
            )));
        }
    }
}

/// Keeps the last [`STDERR_TAIL_BYTES`] of a stream.
async fn keep_tail<R: AsyncRead + Unpin>(mut stream: R, tail: Arc<Mutex<Vec<u8>>>) {
    let mut buffer = [0u8; 4096];
    while let Ok(read) = stream.read(&mut buffer).await {
        if read == 0 {
            break;
        }
        if let Ok(mut tail) = tail.lock() {
            tail.extend_from_slice(&buffer[..read]);
            if tail.len() > STDERR_TAIL_BYTES {
                let excess = tail.len() - STDERR_TAIL_BYTES;
                tail.drain(..excess);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The protocol's messages, as data: these types generate the schemas
// `spec/adapter-*.schema.json`, and every answer line is validated against
// the schema of its operation.
// ---------------------------------------------------------------------------

/// Messages of the adapter protocol (INTERPRETING.md §8) and their schemas.
pub mod messages {
    use std::collections::BTreeMap;
    use std::sync::OnceLock;

    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};
    use serde_json::Value;

    use crate::spec::schema::schema_of;

    /// One operation the runner sends to the adapter.
    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    #[serde(tag = "op", rename_all = "lowercase")]
    #[schemars(title = "AdapterOperation")]
    pub enum Operation {
        /// Protocol 3: the first operation. Say who you are and what you
        /// implement. A protocol 2 adapter answers it with an error.
        Hello {
            id: u64,
            /// The protocol the runner speaks (`3`).
            protocol: u32,
        },
        /// Cancel a payment, retries included, and report the conclusion.
        Cancel {
            /// Echoed in the answer.
            id: u64,
            #[serde(rename = "paymentId", default, skip_serializing_if = "Option::is_none")]
            payment_id: Option<String>,
            #[serde(
                rename = "paymentRequestId",
                default,
                skip_serializing_if = "Option::is_none"
            )]
            payment_request_id: Option<String>,
        },
        /// Hand over a notification as the provider sends it.
        Notify {
            id: u64,
            /// The path the provider posted to.
            path: String,
            /// Header name to value; names in any letter case.
            headers: BTreeMap<String, String>,
            /// The exact body text (see the notification body schema).
            body: String,
        },
        /// Report the client's record of a payment.
        Status {
            id: u64,
            #[serde(rename = "paymentId")]
            payment_id: String,
            #[serde(rename = "paymentRequestId")]
            payment_request_id: String,
        },
    }

    // The values a cancel answer and a status answer carry are the
    // domain's, shared with client cases and the project's client.
    pub use crate::domain::{CancelConclusion, OrderStatus};

    /// The answer to `cancel`.
    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    #[schemars(title = "AdapterCancelAnswer")]
    #[serde(untagged)]
    pub enum CancelAnswer {
        Concluded {
            id: u64,
            outcome: CancelConclusion,
            /// The trusted answer's resultCode (required with `failed`).
            #[serde(rename = "resultCode", default)]
            #[schemars(schema_with = "nullable_string")]
            result_code: Option<String>,
            /// The S answer's cancelTime (required with `cancelled`).
            #[serde(rename = "cancelTime", default)]
            #[schemars(schema_with = "nullable_string")]
            cancel_time: Option<String>,
        },
        Error(ErrorAnswer),
    }

    /// The answer to `notify`.
    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    #[schemars(title = "AdapterNotifyAnswer")]
    #[serde(untagged)]
    pub enum NotifyAnswer {
        Handled {
            id: u64,
            /// True when the client accepted the notification.
            accepted: bool,
        },
        Error(ErrorAnswer),
    }

    /// The answer to `status`.
    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    #[schemars(title = "AdapterStatusAnswer")]
    #[serde(untagged)]
    pub enum StatusAnswer {
        Record { id: u64, status: OrderStatus },
        Error(ErrorAnswer),
    }

    /// The answer to `hello`: who the client under test is and which
    /// capabilities it implements.
    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    #[schemars(title = "AdapterHelloAnswer")]
    #[serde(untagged)]
    pub enum HelloAnswer {
        Introduced {
            id: u64,
            #[serde(flatten)]
            implementation: Implementation,
        },
        Error(ErrorAnswer),
    }

    pub use crate::domain::{Capability, Implementation};

    /// An operation the adapter could not carry out.
    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    pub struct ErrorAnswer {
        #[schemars(schema_with = "nullable_integer")]
        pub id: Option<u64>,
        /// Why, for a person (e.g. `unsupported: ...`).
        pub error: String,
    }

    /// The body of a payment notification, as `notify` carries it.
    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[schemars(title = "AdapterNotificationBody")]
    pub struct NotificationBody {
        /// `PAYMENT_RESULT`.
        pub notify_type: String,
        pub result: NotificationResult,
        pub payment_request_id: String,
        pub payment_id: String,
        pub payment_amount: Amount,
        /// RFC 3339 with offset.
        pub payment_create_time: String,
        /// RFC 3339 with offset.
        pub payment_time: String,
    }

    /// The result object of a notification: `S` means the payment succeeded.
    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct NotificationResult {
        pub result_code: String,
        pub result_status: String,
        pub result_message: String,
    }

    /// An amount: ISO 4217 currency and the value in minor units, as text.
    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct Amount {
        pub currency: String,
        pub value: String,
    }

    /// A string that may also be `null` (an adapter may write an absent
    /// value either way). Spelled with `const` so that the schema
    /// generator's rule against nulls in API messages leaves it alone.
    fn nullable_string(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"anyOf": [{"type": "string"}, {"const": null}]})
    }

    fn nullable_integer(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"anyOf": [{"type": "integer", "minimum": 0}, {"const": null}]})
    }

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
}
