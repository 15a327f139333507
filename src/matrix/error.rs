//! Why the matrix could not read a results file, merge its parts, or start
//! an implementation: one error type per step, each saying what is wrong
//! in the words a person fixes it by.

use std::path::PathBuf;

use super::report::FORMAT_VERSION;
use crate::suite::report::results;

/// Why a matrix results file (`matrix --json`, a part, a baseline) cannot
/// be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file is unreadable or no JSON.
    #[error(transparent)]
    File(results::ReadError),
    #[error(
        "not a matrix results file of format_version {FORMAT_VERSION} (as `matrix --json` writes)"
    )]
    NotMatrix,
    #[error("no `implementations` list")]
    NoImplementations,
    #[error("an implementation without a name")]
    NoName,
    #[error("implementation `{name}`: {source}")]
    Result {
        name: String,
        source: results::ReadError,
    },
    #[error("implementation `{name}`: {source}")]
    Half { name: String, source: HalfError },
    #[error("no `start_time` in RFC 3339")]
    NoStartTime,
    #[error("`shard.implementations` is not a list")]
    ShardColumns,
    #[error("a shard column without a name")]
    ShardColumnName,
    #[error(transparent)]
    ShardColumnHalf(HalfError),
    /// Any of the above, in the named file.
    #[error("{}: {source}", file.display())]
    InFile {
        file: PathBuf,
        source: Box<ReadError>,
    },
}

/// A half that is neither of the two.
#[derive(Debug, thiserror::Error)]
#[error("the half `{0}` is neither client nor server")]
pub struct HalfError(pub String);

/// Why parts of a split matrix cannot be joined.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("no part to merge")]
    NoPart,
    #[error(
        "{} is a part of the matrix {matrix}, but {} of {first_matrix}: parts of one matrix only",
        part.display(),
        first.display()
    )]
    OtherMatrix {
        part: PathBuf,
        matrix: String,
        first: PathBuf,
        first_matrix: String,
    },
    #[error(
        "{} was split differently from {} (another --shard N, or another version of the matrix file)",
        part.display(),
        first.display()
    )]
    SplitDifferently { part: PathBuf, first: PathBuf },
    #[error("part {index} is given twice ({})", part.display())]
    Twice { index: usize, part: PathBuf },
    #[error("the implementation `{0}` is in more than one part")]
    InTwoParts(String),
}

/// Why an implementation cannot start (the cheap checks before running it).
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    #[error("no adapter command")]
    NoAdapter,
    #[error("the adapter command is empty")]
    EmptyCommand,
    #[error(
        "the adapter's program `{program}` does not exist (or is not executable) in {}",
        dir.display()
    )]
    NotInFolder { program: String, dir: PathBuf },
    #[error("the adapter's program `{0}` is not on PATH")]
    NotOnPath(String),
    /// The endpoint is no URL the runner takes ([`crate::wire::url::endpoint`]).
    #[error("{0}")]
    Endpoint(String),
    #[error("the endpoint `{0}` is not an http:// or https:// URL")]
    NotHttp(String),
    #[error("cannot resolve the endpoint `{shown}`: {source}")]
    Resolve {
        shown: String,
        source: std::io::Error,
    },
    #[error(
        "the endpoint `{shown}` is unreachable: {}",
        last.as_ref().map_or("no address".to_string(), |err| err.to_string())
    )]
    Unreachable {
        shown: String,
        last: Option<std::io::Error>,
    },
}

/// A `--shard` that is no part of a whole.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not K/N with 1 <= K <= N (e.g. 2/3)")]
pub struct ShardError(pub String);
