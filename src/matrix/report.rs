//! The matrix as one JSON document: what ran, when, with which version of
//! the suite, and per implementation its status, its tally and the results
//! file its half wrote, unchanged (so a tool that reads `run --json` reads
//! each implementation's results the same way). Read back, it is the
//! baseline of a later matrix run.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::error::ReadError;
use super::run::{Ran, Status};
use crate::suite::outcome::Outcome;
use crate::suite::report::results::{self, RunResult};

/// Bumped when a field changes meaning or disappears.
pub const FORMAT_VERSION: u32 = 1;

/// What the whole matrix run was.
#[derive(Debug, Clone)]
pub struct MatrixInfo {
    /// The matrix file, as given.
    pub file: String,
    pub started: OffsetDateTime,
    pub duration: std::time::Duration,
}

/// The tally of one implementation, by cell.
pub fn counts(result: Option<&RunResult>) -> Value {
    let mut counts = serde_json::Map::new();
    for cell in Outcome::TALLIED {
        counts.insert(
            cell.as_str().to_string(),
            json!(result.map_or(0, |result| result.count(cell))),
        );
    }
    counts.insert(
        "total".to_string(),
        json!(result.map_or(0, |result| result.cases.len())),
    );
    Value::Object(counts)
}

pub fn to_value(info: &MatrixInfo, ran: &[Ran]) -> Value {
    let implementations: Vec<Value> = ran
        .iter()
        .map(|ran| {
            let (status, reason, exit_code, written) = match &ran.status {
                Status::Judged {
                    exit_code, written, ..
                } => ("judged", None, Some(*exit_code), (**written).clone()),
                Status::CouldNotStart { reason } => {
                    ("could-not-start", Some(reason.clone()), None, Value::Null)
                }
            };
            let mut value = json!({
                "name": ran.name,
                "description": ran.description,
                "half": ran.half,
                "status": status,
                "reason": reason,
                "exit_code": exit_code,
                "duration_ms": millis(ran.duration),
                "counts": counts(ran.result()),
                "result": written,
            });
            if let Some(result) = ran.result() {
                // Protocol 3: who the client said it is, and how each
                // capability fared.
                if result.half == "client" {
                    value["implementation"] = json!(result.implementation);
                    value["capabilities"] = super::capabilities::to_value(result);
                }
            }
            if let Some(date) = &ran.stale {
                value["stale_since"] = json!(date);
            }
            value
        })
        .collect();
    json!({
        "format_version": FORMAT_VERSION,
        "kind": "matrix",
        "tool": {"name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION")},
        "matrix_file": info.file,
        "start_time": rfc3339(info.started),
        "duration_ms": millis(info.duration),
        "implementations": implementations,
    })
}

pub fn render(info: &MatrixInfo, ran: &[Ran]) -> String {
    let mut text = serde_json::to_string_pretty(&to_value(info, ran)).unwrap_or_default();
    text.push('\n');
    text
}

/// A matrix results file read back: per implementation name, its results,
/// or `None` where it could not start.
pub type Implementations = BTreeMap<String, Option<RunResult>>;

/// Whether a JSON value is a matrix results file (not one half's).
pub fn is_matrix(value: &Value) -> bool {
    value.get("kind").and_then(Value::as_str) == Some("matrix")
}

/// Reads a matrix results file; the error names what is wrong.
pub fn from_value(value: &Value) -> Result<Implementations, ReadError> {
    if !is_matrix(value)
        || value.get("format_version").and_then(Value::as_u64) != Some(u64::from(FORMAT_VERSION))
    {
        return Err(ReadError::NotMatrix);
    }
    let list = value
        .get("implementations")
        .and_then(Value::as_array)
        .ok_or(ReadError::NoImplementations)?;
    let mut implementations = Implementations::new();
    for entry in list {
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .ok_or(ReadError::NoName)?;
        let result = match entry.get("result") {
            None | Some(Value::Null) => None,
            Some(result) => {
                Some(
                    results::from_value(result).map_err(|source| ReadError::Result {
                        name: name.to_string(),
                        source,
                    })?,
                )
            }
        };
        implementations.insert(name.to_string(), result);
    }
    Ok(implementations)
}

/// Reads a matrix results file from disk.
pub fn load(file: &Path) -> Result<Implementations, ReadError> {
    let value = results::load_value(file).map_err(ReadError::File)?;
    from_value(&value).map_err(|err| ReadError::InFile {
        file: file.to_path_buf(),
        source: Box::new(err),
    })
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// RFC 3339 to the second: the page and the file say when, not how long
/// to the nanosecond.
pub fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
