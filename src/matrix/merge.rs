//! `matrix merge PART.json... --json OUT --html OUT`: the parts of a split
//! matrix (`matrix FILE --shard K/N --json PART`, one per CI job) joined
//! into the result one unsplit run gives: every implementation in the
//! matrix file's order, each with the results its part wrote, unchanged.
//!
//! A column whose part is missing (its job failed before writing it)
//! keeps its last known result from `--previous` (an earlier matrix
//! results file, split or not), marked stale with the date of that run,
//! instead of vanishing; with no earlier result it is shown as not run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;

use super::error::{HalfError, MergeError, ReadError};
use super::report::{FORMAT_VERSION, MatrixInfo, is_matrix};
use super::run::{Ran, Status};
use crate::suite::report::gate::GateSettings;
use crate::suite::report::results;

/// What `cancel-conformance matrix merge` was asked to do.
#[derive(Debug)]
pub struct MergeSettings {
    /// The parts: what `matrix FILE --shard K/N --json PART` wrote, one
    /// per part (a missing part's columns come from --previous).
    pub parts: Vec<PathBuf>,
    /// Write the joined matrix as JSON here.
    pub json: Option<PathBuf>,
    /// Write the joined matrix page here.
    pub html: Option<PathBuf>,
    /// An earlier matrix results file: a column whose part is missing keeps
    /// its result from there, marked stale with that run's date.
    pub previous: Option<PathBuf>,
    pub gate: GateSettings,
}

/// One implementation the matrix file lists: its name and half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub half: &'static str,
}

/// A matrix results file (a part, or a whole matrix) read back.
#[derive(Debug, Clone)]
pub struct Part {
    pub path: PathBuf,
    pub matrix_file: String,
    pub started: OffsetDateTime,
    pub duration: Duration,
    /// `(K, N)` for a part of a split matrix.
    pub shard: Option<(usize, usize)>,
    /// Every implementation of the matrix file, in its order (a part
    /// lists them all, not only its own).
    pub columns: Vec<Column>,
    pub ran: Vec<Ran>,
}

fn half_of(text: &str) -> Result<&'static str, HalfError> {
    match text {
        "client" => Ok("client"),
        "server" => Ok("server"),
        other => Err(HalfError(other.to_string())),
    }
}

/// Reads a matrix results file; the error names the file and the problem.
pub fn read(path: &Path) -> Result<Part, ReadError> {
    let value = results::load_value(path).map_err(ReadError::File)?;
    part_of(path, &value).map_err(|err| ReadError::InFile {
        file: path.to_path_buf(),
        source: Box::new(err),
    })
}

fn part_of(path: &Path, value: &Value) -> Result<Part, ReadError> {
    if !is_matrix(value)
        || value.get("format_version").and_then(Value::as_u64) != Some(u64::from(FORMAT_VERSION))
    {
        return Err(ReadError::NotMatrix);
    }
    let text = |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(String::from);
    let started = text(value, "start_time")
        .and_then(|at| {
            OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339).ok()
        })
        .ok_or(ReadError::NoStartTime)?;
    let ran = value
        .get("implementations")
        .and_then(Value::as_array)
        .ok_or(ReadError::NoImplementations)?
        .iter()
        .map(ran_of)
        .collect::<Result<Vec<_>, _>>()?;
    let shard = value.get("shard");
    let columns = match shard.and_then(|shard| shard.get("implementations")) {
        Some(list) => list
            .as_array()
            .ok_or(ReadError::ShardColumns)?
            .iter()
            .map(|column| {
                Ok(Column {
                    name: text(column, "name").ok_or(ReadError::ShardColumnName)?,
                    half: half_of(&text(column, "half").unwrap_or_default())
                        .map_err(ReadError::ShardColumnHalf)?,
                })
            })
            .collect::<Result<Vec<_>, ReadError>>()?,
        None => ran
            .iter()
            .map(|ran| Column {
                name: ran.name.clone(),
                half: ran.half,
            })
            .collect(),
    };
    let number = |key: &str| {
        shard
            .and_then(|shard| shard.get(key))
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
    };
    Ok(Part {
        path: path.to_path_buf(),
        matrix_file: text(value, "matrix_file").unwrap_or_default(),
        started,
        duration: Duration::from_millis(
            value
                .get("duration_ms")
                .and_then(Value::as_u64)
                .unwrap_or(0),
        ),
        shard: number("index").zip(number("count")),
        columns,
        ran,
    })
}

/// One implementation of a matrix results file, as the matrix ran it.
fn ran_of(entry: &Value) -> Result<Ran, ReadError> {
    let text = |key: &str| entry.get(key).and_then(Value::as_str).map(String::from);
    let name = text("name").ok_or(ReadError::NoName)?;
    let half = half_of(&text("half").unwrap_or_default()).map_err(|source| ReadError::Half {
        name: name.clone(),
        source,
    })?;
    let status = match text("status").as_deref() {
        Some("judged") => {
            let written = entry.get("result").cloned().unwrap_or(Value::Null);
            let result = results::from_value(&written).map_err(|source| ReadError::Result {
                name: name.clone(),
                source,
            })?;
            Status::Judged {
                exit_code: entry
                    .get("exit_code")
                    .and_then(Value::as_i64)
                    .and_then(|code| i32::try_from(code).ok())
                    .unwrap_or(0),
                written: Box::new(written),
                result: Box::new(result),
            }
        }
        _ => Status::CouldNotStart {
            reason: text("reason").unwrap_or_else(|| "no reason recorded".to_string()),
        },
    };
    Ok(Ran {
        description: text("description"),
        half,
        status,
        duration: Duration::from_millis(
            entry
                .get("duration_ms")
                .and_then(Value::as_u64)
                .unwrap_or(0),
        ),
        stale: text("stale_since"),
        name,
    })
}

/// The joined matrix: its description, every column in the file's order,
/// and notes for people (parts missing, columns made stale).
#[derive(Debug)]
pub struct Merged {
    pub info: MatrixInfo,
    pub ran: Vec<Ran>,
    pub notes: Vec<String>,
}

/// Joins `parts`; columns no part holds come from `previous`, stale.
pub fn merge(parts: &[Part], previous: Option<&Part>) -> Result<Merged, MergeError> {
    let Some(first) = parts.first() else {
        return Err(MergeError::NoPart);
    };
    let count = first.shard.map(|(_, count)| count);
    let mut seen_shards = BTreeSet::new();
    for part in parts {
        if part.matrix_file != first.matrix_file {
            return Err(MergeError::OtherMatrix {
                part: part.path.clone(),
                matrix: part.matrix_file.clone(),
                first: first.path.clone(),
                first_matrix: first.matrix_file.clone(),
            });
        }
        if part.shard.map(|(_, count)| count) != count || part.columns != first.columns {
            return Err(MergeError::SplitDifferently {
                part: part.path.clone(),
                first: first.path.clone(),
            });
        }
        if let Some((index, _)) = part.shard
            && !seen_shards.insert(index)
        {
            return Err(MergeError::Twice {
                index,
                part: part.path.clone(),
            });
        }
    }
    let mut notes = Vec::new();
    if let Some(count) = count {
        let missing: Vec<String> = (1..=count)
            .filter(|index| !seen_shards.contains(index))
            .map(|index| format!("{index}/{count}"))
            .collect();
        if !missing.is_empty() {
            notes.push(format!(
                "matrix merge: part {} missing; its columns keep their last known result",
                missing.join(", ")
            ));
        }
    }
    let mut found: BTreeMap<&str, &Ran> = BTreeMap::new();
    for ran in parts.iter().flat_map(|part| &part.ran) {
        if found.insert(ran.name.as_str(), ran).is_some() {
            return Err(MergeError::InTwoParts(ran.name.clone()));
        }
    }
    let earlier: BTreeMap<&str, &Ran> = previous
        .map(|previous| {
            previous
                .ran
                .iter()
                .map(|ran| (ran.name.as_str(), ran))
                .collect()
        })
        .unwrap_or_default();
    let mut ran = Vec::new();
    for column in &first.columns {
        if let Some(found) = found.get(column.name.as_str()) {
            ran.push((*found).clone());
            continue;
        }
        match (earlier.get(column.name.as_str()), previous) {
            (Some(before), Some(previous)) => {
                let since = before
                    .stale
                    .clone()
                    .unwrap_or_else(|| super::report::rfc3339(previous.started));
                notes.push(format!(
                    "matrix merge: `{}` was not run; it keeps its result of {since} from {} (stale)",
                    column.name,
                    previous.path.display()
                ));
                ran.push(Ran {
                    stale: Some(since),
                    ..(*before).clone()
                });
            }
            _ => {
                notes.push(format!(
                    "matrix merge: `{}` was not run and no earlier result holds it",
                    column.name
                ));
                ran.push(Ran {
                    name: column.name.clone(),
                    description: None,
                    half: column.half,
                    status: Status::CouldNotStart {
                        reason: "not run: its part of the split matrix is missing, and no --previous result holds it".to_string(),
                    },
                    duration: Duration::ZERO,
                    stale: None,
                });
            }
        }
    }
    let started = parts
        .iter()
        .map(|part| part.started)
        .min()
        .unwrap_or(first.started);
    let duration = parts
        .iter()
        .map(|part| part.duration)
        .max()
        .unwrap_or_default();
    Ok(Merged {
        info: MatrixInfo {
            file: first.matrix_file.clone(),
            started,
            duration,
        },
        ran,
        notes,
    })
}
