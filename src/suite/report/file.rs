//! The results file (`run --json`, `client --json`) as types: what the run
//! writes ([`ResultsFile::of`]) and what the gate and the matrix read back
//! through serde, and the source of its schema
//! (`spec/results.schema.json`). Field order is the file's: the types
//! serialize to exactly what [`super::json`] writes.
//!
//! Reading is lenient about fields added later within a format version and
//! about fields the reader does not rely on (one of the wrong type reads as
//! absent), and strict about what it relies on: [`Probe`] checks those
//! first, so that a refusal says what is wrong rather than where serde
//! stopped.
//!
//! A field the run has no value for is written as `null` (the schema says
//! so: `x-null-means-absent` keeps the `null` the project's schemas
//! otherwise leave out), save `capabilities` and `implementation`, which
//! only a client run writes.

use std::fmt;
use std::marker::PhantomData;

use schemars::JsonSchema;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::{CaseRecord, Counts, Report, rfc3339};
use crate::domain::capability::{Capability, Implementation};
use crate::suite::failure::Found;
use crate::suite::outcome::Outcome;

/// Bumped when a field changes meaning or disappears.
pub const FORMAT_VERSION: u32 = 1;

/// One half's run as one JSON document, for tools: what was judged, when,
/// the tally (the same numbers as libtest's summary line) and every case's
/// outcome. Fields are only ever added within a format version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResultsFile {
    /// Bumped when a field changes meaning or disappears (this is 1).
    pub format_version: u32,
    /// The tool that wrote the file.
    #[serde(default, deserialize_with = "lenient")]
    pub tool: Tool,
    /// `server` (`run`) or `client` (`client`).
    pub half: String,
    /// The command that ran.
    #[serde(default, deserialize_with = "lenient")]
    pub command: String,
    /// What was judged, for people; never holds a secret.
    #[serde(default, deserialize_with = "lenient")]
    pub target: String,
    /// The suite judged: its version and where its cases came from.
    #[serde(default, deserialize_with = "lenient")]
    pub suite: String,
    /// The acquirer profile the run checked (server half).
    #[serde(default, deserialize_with = "lenient")]
    #[schemars(extend("x-null-means-absent" = true))]
    pub profile: Option<String>,
    /// What the pre-flight probe found of the target's control plane.
    #[serde(default, deserialize_with = "lenient")]
    #[schemars(extend("x-null-means-absent" = true))]
    pub control_plane: Option<String>,
    /// When the run started, RFC 3339 to the millisecond.
    #[serde(default, deserialize_with = "lenient")]
    pub start_time: String,
    #[serde(default, deserialize_with = "lenient")]
    pub duration_ms: u64,
    #[serde(default, deserialize_with = "lenient")]
    pub counts: Counts,
    /// Every case of the run, sorted by name.
    pub cases: Vec<CaseEntry>,
    /// Client half only (protocol 3): who the client said it is in
    /// `hello`; `null` for a protocol 2 adapter, judged on everything.
    /// One this version cannot read is left out rather than failing a
    /// file whose cases are sound.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    #[schemars(extend("x-null-means-absent" = true))]
    pub implementation: Option<Option<Implementation>>,
}

/// The tool that wrote a results file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    #[serde(default, deserialize_with = "lenient")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient")]
    pub version: String,
}

/// One case of a results file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CaseEntry {
    /// The case's permanent name (`server/refund/...`).
    pub name: String,
    /// Its case file.
    #[serde(default, deserialize_with = "lenient")]
    pub file: String,
    /// The rules it cites.
    #[serde(default, deserialize_with = "strings")]
    pub rules: Vec<String>,
    pub outcome: Outcome,
    /// The failure's heading (`MISMATCH`, `TRANSPORT FAILURE`, `BUG IN
    /// CASE`, `UNEXPECTED PASS`, ...).
    #[serde(default, deserialize_with = "lenient")]
    #[schemars(extend("x-null-means-absent" = true))]
    pub kind: Option<String>,
    /// The rendered (masked) failure, or why the case was ignored.
    #[serde(default, deserialize_with = "lenient")]
    #[schemars(extend("x-null-means-absent" = true))]
    pub message: Option<String>,
    /// The failure's first difference on one line.
    #[serde(default, deserialize_with = "lenient")]
    #[schemars(extend("x-null-means-absent" = true))]
    pub headline: Option<String>,
    /// What the failure found, as data: a mismatch's step and differences
    /// (each with the rules it rests on), a transport error, a case's bug,
    /// why a case did not apply, a flaky case's first run. The gate and
    /// the matrix show a failure from it.
    #[serde(default, deserialize_with = "lenient")]
    #[schemars(extend("x-null-means-absent" = true))]
    pub found: Option<Found>,
    /// The expectations file's reason, when the case is listed there.
    #[serde(default, deserialize_with = "lenient")]
    #[schemars(extend("x-null-means-absent" = true))]
    pub expected_failure_reason: Option<String>,
    /// What the outcome means for the run: `pass` (an expected failure
    /// too), `warning`, `flaky`, `fail` (an unexpected pass too),
    /// `ignored`, `not-applicable` or `pending`.
    #[serde(default, deserialize_with = "lenient")]
    pub verdict: String,
    /// For a warning (or a listed one): the assumptions and SHOULD rules
    /// the target deviates from.
    #[serde(default, deserialize_with = "lenient")]
    pub deviations: Vec<DeviationEntry>,
    #[serde(default, deserialize_with = "lenient")]
    pub duration_ms: u64,
    /// Client half only: the capabilities the case judges. Names this
    /// version does not know are left out.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "known_capabilities"
    )]
    pub capabilities: Option<Vec<Capability>>,
}

/// One rule a warning-only difference rests on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct DeviationEntry {
    pub rule: String,
    /// `MUST`, `SHOULD` or `MAY`.
    pub level: String,
    /// `assumption`, `seed`, `vendor-docs` or `sdk`.
    pub basis: String,
    /// Why the rule is not firm.
    pub reason: String,
}

impl ResultsFile {
    /// The results file of `report`.
    pub fn of(report: &Report) -> ResultsFile {
        let info = &report.info;
        let client = info.client.as_ref();
        ResultsFile {
            format_version: FORMAT_VERSION,
            tool: Tool {
                name: env!("CARGO_PKG_NAME").to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
            half: info.half.as_str().to_string(),
            command: info.half.command().to_string(),
            target: info.target.clone(),
            suite: info.suite.clone(),
            profile: info.profile.clone(),
            control_plane: info.control_plane.clone(),
            start_time: rfc3339(info.started),
            duration_ms: duration_ms(info.duration),
            counts: report.counts(),
            cases: report
                .cases
                .iter()
                .map(|case| {
                    let capabilities =
                        client.and_then(|facts| facts.capabilities.get(&case.name).cloned());
                    CaseEntry::of(case, capabilities)
                })
                .collect(),
            implementation: client.map(|facts| facts.implementation.clone()),
        }
    }
}

impl CaseEntry {
    fn of(case: &CaseRecord, capabilities: Option<Vec<Capability>>) -> CaseEntry {
        CaseEntry {
            name: case.name.clone(),
            file: case.file.display().to_string(),
            rules: case.rules.clone(),
            outcome: case.outcome,
            kind: case.kind.clone(),
            message: case.message.clone(),
            headline: case.headline(),
            found: case.found.as_ref().map(Found::clipped),
            expected_failure_reason: case.expected_failure_reason.clone(),
            verdict: verdict(case.outcome).to_string(),
            deviations: case
                .deviations
                .iter()
                .map(|deviation| DeviationEntry {
                    rule: deviation.rule.to_string(),
                    level: deviation.level.to_string(),
                    basis: deviation.basis_shown().to_string(),
                    reason: deviation.reason.clone(),
                })
                .collect(),
            duration_ms: duration_ms(case.duration),
            capabilities,
        }
    }
}

/// What a case's outcome means for the run: `pass` (it passes, an expected
/// failure too), `warning` (it passes, but deviates from assumptions),
/// `fail`, `ignored`, or `not-applicable` (a capability the client does
/// not declare).
fn verdict(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass | Outcome::ExpectedFail => "pass",
        Outcome::Warning => "warning",
        Outcome::Flaky => "flaky",
        Outcome::Fail | Outcome::UnexpectedPass => "fail",
        Outcome::Ignored => "ignored",
        Outcome::NotApplicable => "not-applicable",
        Outcome::Pending => "pending",
    }
}

fn duration_ms(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// What the reader relies on, read first and leniently, so that what is
/// missing or wrong is refused with a reason ([`super::results::ReadError`]).
#[derive(Debug, Default, Deserialize)]
pub(super) struct Probe {
    #[serde(default)]
    pub(super) kind: Loose<String>,
    #[serde(default)]
    pub(super) format_version: Loose<u64>,
    #[serde(default)]
    pub(super) half: Loose<String>,
    #[serde(default)]
    pub(super) cases: Loose<Vec<Loose<Fields<ProbeCase>>>>,
}

/// What the reader relies on of one case.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ProbeCase {
    #[serde(default)]
    pub(super) name: Loose<String>,
    #[serde(default)]
    pub(super) outcome: Loose<String>,
}

/// A value of `T`, or nothing where the file holds something else: never
/// fails to read (but on broken JSON).
#[derive(Debug)]
pub(super) struct Loose<T>(pub(super) Option<T>);

impl<T> Default for Loose<T> {
    fn default() -> Self {
        Loose(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either<T> {
            Read(T),
            Other(IgnoredAny),
        }
        Ok(Loose(match Either::<T>::deserialize(deserializer)? {
            Either::Read(value) => Some(value),
            Either::Other(_) => None,
        }))
    }
}

/// A `T` read only from an object (serde reads a struct from a list too,
/// field by field, which would take `[1, 2]` for a file of version 2).
#[derive(Debug)]
pub(super) struct Fields<T>(pub(super) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Fields<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Object<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(Object(PhantomData))
            .map(Fields)
    }
}

/// A field the reader does not rely on: of another type, it reads as absent.
fn lenient<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    deserializer: D,
) -> Result<T, D::Error> {
    Ok(Loose::<T>::deserialize(deserializer)?.0.unwrap_or_default())
}

/// A list of strings, of which only the strings are kept.
fn strings<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let items: Vec<Loose<String>> = lenient(deserializer)?;
    Ok(items.into_iter().filter_map(|item| item.0).collect())
}

/// Capability names, of which only those this version knows are kept.
fn known_capabilities<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<Capability>>, D::Error> {
    let names: Option<Vec<Loose<String>>> = Loose::deserialize(deserializer)?.0;
    Ok(names.map(|names| {
        names
            .into_iter()
            .filter_map(|name| name.0.as_deref().and_then(Capability::parse))
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::schema::Dialect;

    /// The generated schema accepts what the tool writes, for both halves.
    #[test]
    fn the_schema_accepts_a_written_results_file() {
        let docs = crate::documents::generate(Dialect::Draft2020_12);
        let schema = docs.get("results.schema.json").expect("generated");
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(schema)
            .expect("the results schema compiles");
        let mut report = super::super::tests::sample();
        let mut files = vec![serde_json::to_value(ResultsFile::of(&report)).expect("a value")];
        report.info.half = super::super::Half::Client;
        report.info.client = Some(super::super::ClientFacts {
            implementation: None,
            capabilities: [("server/a/fails".to_string(), vec![Capability::Sign])].into(),
        });
        files.push(serde_json::to_value(ResultsFile::of(&report)).expect("a value"));
        for file in files {
            let errors: Vec<String> = validator
                .iter_errors(&file)
                .map(|err| err.to_string())
                .collect();
            assert!(errors.is_empty(), "{errors:?}");
        }
    }
}
