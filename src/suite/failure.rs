//! What can go wrong in a case, as data; [`render`] is the one place it is
//! rendered for a person. Three kinds, never mixed: the target answered
//! wrongly (mismatch), no usable answer arrived (transport), or the case
//! itself is wrong (bug in case). Signatures and keys are always masked.
//! Beside them, a case that judges a capability the client does not
//! declare is not applicable: not a failure of anyone, never a pass.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::spec::rule_id::RuleId;
use crate::spec::yaml::YamlError;
use crate::wire::http::TransportError;
use crate::wire::message::{Received, SentRequest};
use crate::wire::text::{SHOWN_CHARS, clip};

mod render;

pub use render::{brief, brief_line, render, unexpected_pass};

/// What a difference rests on: the rules that decide whether it fails the
/// case or, when every one of them is an assumption or a SHOULD, only warns
/// (see [`super::verdict`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RestsOn {
    /// What the case's step expects: the rules the case cites.
    Case,
    /// The named rules: a check the runner makes whether or not the case
    /// asks, or one whose rule is known at the check.
    Rules(Vec<String>),
    /// No rule of the API: a requirement of the runner itself (a target's
    /// control plane refusing a call). Never a warning.
    Runner,
}

/// One field or schema path where the answer differs from the expectation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Diff {
    /// A field (`result.resultCode`), a schema path, or a header.
    pub at: String,
    pub expected: String,
    pub actual: String,
    /// The rules this difference rests on.
    pub rests_on: RestsOn,
}

impl Diff {
    /// A difference from what the case's step expects: it rests on the
    /// case's rules.
    pub fn new(
        at: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Diff {
            at: at.into(),
            expected: expected.into(),
            actual: actual.into(),
            rests_on: RestsOn::Case,
        }
    }

    /// A difference that breaks the named rules, whatever the case cites.
    pub fn ruled(
        rules: &[RuleId<'_>],
        at: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Diff {
            rests_on: RestsOn::Rules(rules.iter().map(RuleId::to_string).collect()),
            ..Diff::new(at, expected, actual)
        }
    }

    /// A difference that breaks no rule of the API but a requirement of the
    /// runner (the control plane's protocol).
    pub fn of_runner(
        at: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Diff {
            rests_on: RestsOn::Runner,
            ..Diff::new(at, expected, actual)
        }
    }
}

/// The exchange a failing step made, as sent and as received.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub request: SentRequest,
    pub response: Option<Received>,
}

/// Why a case did not pass.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The target answered, and the answer breaks the rules.
    Mismatch {
        step: usize,
        action: String,
        diffs: Vec<Diff>,
        transcript: Option<Box<Transcript>>,
    },
    /// No usable answer arrived.
    Transport {
        step: usize,
        action: String,
        error: TransportError,
        request: Option<Box<SentRequest>>,
    },
    /// The case file is wrong; the target was not judged.
    CaseBug(YamlError),
    /// The case judges capabilities the client does not declare in
    /// `hello` (protocol 3): the client was not judged.
    NotApplicable {
        /// The client's name, as it introduced itself.
        name: String,
        missing: Vec<crate::domain::Capability>,
    },
    /// A timing case that failed, was run once more and passed: the first
    /// run's failure. Neither a pass nor a failure of the target.
    Flaky { first: Box<Failure> },
}

impl Failure {
    /// The kind's heading, as the output and the reports name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Mismatch { .. } => "MISMATCH",
            Failure::Transport { .. } => "TRANSPORT FAILURE",
            Failure::CaseBug(_) => "BUG IN CASE",
            Failure::NotApplicable { .. } => "NOT APPLICABLE",
            Failure::Flaky { .. } => "FLAKY",
        }
    }

    /// Why a case is not applicable, in one line: the reports' message.
    pub fn not_applicable_reason(&self) -> Option<String> {
        let Failure::NotApplicable { name, missing } = self else {
            return None;
        };
        let missing: Vec<&str> = missing.iter().map(|c| c.as_str()).collect();
        Some(format!(
            "not applicable: the case judges {}, which {name} does not declare in `hello`",
            missing.join(", ")
        ))
    }
}

/// What a failure found, kept as data on the case's record (the reports
/// hold no transcript but the rendered one): a mismatch's differences, each
/// with the rules it rests on, a transport error, a case's bug. The
/// headline and the causes (`report::causes`) are drawn from it, and the
/// results file holds it (`found`), so that the gate and the matrix show a
/// failure from data, never by reading its rendering back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "found", rename_all = "kebab-case")]
pub enum Found {
    Differences {
        step: usize,
        action: String,
        diffs: Vec<Diff>,
    },
    Transport {
        step: usize,
        action: String,
        /// The error as shown (already masked).
        error: String,
    },
    CaseBug(YamlError),
    NotApplicable {
        /// [`Failure::not_applicable_reason`].
        reason: String,
    },
    Flaky {
        first: Box<Found>,
    },
}

impl Failure {
    /// What the failure found, without its exchange.
    pub fn found(&self) -> Found {
        match self {
            Failure::Mismatch {
                step,
                action,
                diffs,
                ..
            } => Found::Differences {
                step: *step,
                action: action.clone(),
                diffs: diffs.clone(),
            },
            Failure::Transport {
                step,
                action,
                error,
                ..
            } => Found::Transport {
                step: *step,
                action: action.clone(),
                error: error.to_string(),
            },
            Failure::CaseBug(error) => Found::CaseBug(error.clone()),
            Failure::NotApplicable { .. } => Found::NotApplicable {
                reason: self.not_applicable_reason().unwrap_or_default(),
            },
            Failure::Flaky { first } => Found::Flaky {
                first: Box::new(first.found()),
            },
        }
    }
}

impl Found {
    /// The same, every text cut at [`SHOWN_CHARS`] (as every rendering
    /// cuts it): what a results file holds, so that no length of anything
    /// a target sends can swell the file.
    pub fn clipped(&self) -> Found {
        let cut = |text: &str| clip(text, SHOWN_CHARS).into_owned();
        match self {
            Found::Differences {
                step,
                action,
                diffs,
            } => Found::Differences {
                step: *step,
                action: action.clone(),
                diffs: diffs
                    .iter()
                    .map(|diff| Diff {
                        at: cut(&diff.at),
                        expected: cut(&diff.expected),
                        actual: cut(&diff.actual),
                        rests_on: diff.rests_on.clone(),
                    })
                    .collect(),
            },
            Found::Transport {
                step,
                action,
                error,
            } => Found::Transport {
                step: *step,
                action: action.clone(),
                error: cut(error),
            },
            Found::CaseBug(error) => Found::CaseBug(YamlError {
                message: cut(&error.message),
                ..error.clone()
            }),
            Found::NotApplicable { reason } => Found::NotApplicable {
                reason: cut(reason),
            },
            Found::Flaky { first } => Found::Flaky {
                first: Box::new(first.clipped()),
            },
        }
    }
}

/// What a failure is about: the case's file, its statement and its rules.
#[derive(Debug, Clone)]
pub struct CaseContext {
    pub name: String,
    pub file: PathBuf,
    pub description: String,
    pub rules: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::catalog::Catalog;
    use crate::wire::headers::{CLIENT_ID, CONTENT_TYPE};

    fn bug_in(name: &str) -> String {
        let error = YamlError {
            file: PathBuf::from(format!("cases/{name}.yaml")),
            line: 3,
            column: 1,
            message: "unknown field `expcet`".to_string(),
        };
        let context = CaseContext {
            name: name.to_string(),
            file: PathBuf::from(format!("cases/{name}.yaml")),
            description: String::new(),
            rules: Vec::new(),
        };
        let catalog = Catalog::embedded().expect("the embedded catalog loads");
        render(&Failure::CaseBug(error), &context, &catalog)
    }

    use proptest::prelude::*;

    /// A string from each length class a formatter or a report could trip
    /// on: empty, short, around 255/256, around 65,535/65,536 (the most a
    /// format width can be), 70,000, and 200,000 characters, of one
    /// character (any, multi-byte and control ones included) and a tail.
    fn text_of_any_length() -> impl Strategy<Value = String> {
        let length = prop_oneof![
            Just(0usize),
            1..16usize,
            250..260usize,
            65_530..65_540usize,
            Just(70_000usize),
            Just(200_000usize),
        ];
        (length, any::<char>(), "\\PC{0,8}").prop_map(|(length, c, tail)| {
            let mut text: String = std::iter::repeat_n(c, length).collect();
            text.push_str(&tail);
            text
        })
    }

    proptest! {
        // No regression files in the checkout (as in tests/properties.rs).
        #![proptest_config(ProptestConfig {
            cases: 48,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// No length of a field, header or body from the target panics the
        /// renderer, and each value is shown clipped.
        #[test]
        fn no_length_of_target_text_panics_or_swells_the_rendering(
            at in text_of_any_length(),
            expected in text_of_any_length(),
            actual in text_of_any_length(),
            header in text_of_any_length(),
            body in text_of_any_length(),
        ) {
            let catalog = Catalog::embedded().expect("the embedded catalog loads");
            let context = CaseContext {
                name: "server/a-case".to_string(),
                file: PathBuf::from("cases/server/a-case.yaml"),
                description: "A case.".to_string(),
                rules: Vec::new(),
            };
            let request = SentRequest {
                method: "POST".to_string(),
                path: "/v1/payments/cancel".to_string(),
                headers: vec![(CLIENT_ID.to_string(), header.clone())],
                body: body.clone().into_bytes(),
            };
            let mismatch = Failure::Mismatch {
                step: 1,
                action: "cancel".to_string(),
                diffs: vec![
                    Diff::new(at.clone(), expected.clone(), actual.clone()),
                    Diff::new("result.resultCode", "SUCCESS", actual.clone()),
                ],
                transcript: Some(Box::new(Transcript {
                    request: request.clone(),
                    response: Some(Received {
                        status: 200,
                        headers: vec![(CONTENT_TYPE.to_string(), header.clone())],
                        body: body.clone().into_bytes(),
                    }),
                })),
            };
            let transport = Failure::Transport {
                step: 1,
                action: "cancel".to_string(),
                error: TransportError::Broken { detail: actual.clone() },
                request: Some(Box::new(request)),
            };
            for failure in [mismatch, transport] {
                let text = render(&failure, &context, &catalog);
                let longest = text.lines().map(|line| line.chars().count()).max().unwrap_or(0);
                // A clipped field and a clipped value, with indent and labels.
                prop_assert!(longest <= 2 * SHOWN_CHARS + 120, "a line of {longest} characters");
                prop_assert!(text.len() < 64 * SHOWN_CHARS, "{} bytes rendered", text.len());
            }
        }
    }

    #[test]
    fn a_bug_in_a_case_points_at_its_own_half_s_schema() {
        let server = bug_in("server/refund/a-case");
        assert!(
            server.contains("its schema is spec/case.schema.json"),
            "{server}"
        );
        let client = bug_in("client/retry/a-case");
        assert!(
            client.contains("its schema is spec/client-case.schema.json"),
            "{client}"
        );
    }
}
