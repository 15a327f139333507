//! Driving a client under test through its adapter: a child process that
//! speaks JSON lines (INTERPRETING.md §8), the protocol of
//! [`crate::adapter_protocol`], whose types the runner sends and whose
//! schemas judge every answer. An adapter that
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
use crate::adapter_protocol::messages::Operation;
use crate::adapter_protocol::violation;

/// The protocol's messages, where the client half's users have always
/// found them.
pub use crate::adapter_protocol::messages;

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

    /// Sends one operation, numbered here, and waits at most `deadline`
    /// for its answer, which is valid against the operation's schema.
    pub async fn send(
        &mut self,
        operation: Operation,
        deadline: Duration,
    ) -> Result<Value, AdapterError> {
        let id = self.number();
        let op = operation.name().to_string();
        let request = operation.numbered(id).to_object();
        self.exchange(op, id, request, deadline).await
    }

    /// Sends a raw request object (numbered here, its `op` whatever it
    /// says): for tests that send what no runner would, such as a `cancel`
    /// that names no payment.
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
        let id = self.number();
        request["id"] = json!(id);
        self.exchange(op, id, request, deadline).await
    }

    fn number(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Writes `request` as one line and reads the answer line carrying
    /// `id`, judged against the schema of `op`.
    async fn exchange(
        &mut self,
        op: String,
        id: u64,
        request: Value,
        deadline: Duration,
    ) -> Result<Value, AdapterError> {
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
        if let Some((schema, schema_path, detail)) = violation(&op, &value) {
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
