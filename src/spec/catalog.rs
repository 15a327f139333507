//! The two catalogs of the spec, `spec/rules.yaml` and
//! `spec/result-codes.yaml`, loaded into types with unknown keys rejected and
//! checked for the invariants the rest of the project relies on.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::api::ResultStatus;
use super::rule_id::{RuleId, is_rule_id};
use super::yaml::{self, YamlError};

/// Where the catalogs live in the repository, relative to its root.
pub const RULES_FILE: &str = "spec/rules.yaml";
pub const CODES_FILE: &str = "spec/result-codes.yaml";

const RULES_TEXT: &str = include_str!("../../spec/rules.yaml");
const CODES_TEXT: &str = include_str!("../../spec/result-codes.yaml");

/// How strongly a rule binds. Named as `spec/rules.yaml` and the reports
/// name it (`MUST`, `SHOULD`, `MAY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Level {
    #[serde(rename = "MUST")]
    Must,
    #[serde(rename = "SHOULD")]
    Should,
    #[serde(rename = "MAY")]
    May,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whom a rule binds: the server answering, the client calling, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Server,
    Client,
    Both,
}

/// What an entry of the catalogs finally rests on. Named as the catalogs
/// and the reports name it (`seed`, `vendor-docs`, `sdk`, `assumption`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// The seed document (the vendor's APO cancel guide).
    Seed,
    /// The vendor's published documentation (API reference, guides,
    /// change history).
    VendorDocs,
    /// What the official SDKs do, read in their source.
    Sdk,
    /// The project's own choice where the sources are silent.
    Assumption,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Seed => "seed",
            Basis::VendorDocs => "vendor-docs",
            Basis::Sdk => "sdk",
            Basis::Assumption => "assumption",
        }
    }
}

impl std::fmt::Display for Basis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One place an entry was read, with what it says in the project's words.
/// Exactly one of `url` (a public page) and `repo` (`owner/name path@version`
/// of an SDK repository) names the place.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    #[serde(default)]
    pub url: Option<Spanned<String>>,
    #[serde(default)]
    pub repo: Option<Spanned<String>>,
    pub says: Spanned<String>,
}

impl Source {
    /// The place, whichever form it takes.
    pub fn place(&self) -> &str {
        match (&self.url, &self.repo) {
            (Some(url), _) => &url.value,
            (None, Some(repo)) => &repo.value,
            (None, None) => "",
        }
    }
}

/// One rule of the API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: Spanned<String>,
    pub level: Level,
    pub side: Side,
    pub statement: String,
    pub source: String,
    /// True where the sources are silent and the project chose.
    #[serde(default)]
    pub assumption: bool,
    /// Why the project chose as it did; present exactly when `assumption`.
    #[serde(default)]
    pub reason: Option<String>,
    /// Which part of an assumption the project chose: absent, all of it;
    /// `result-code`, only the code that the sources' behaviour is answered
    /// with. Only on assumptions.
    #[serde(default)]
    pub assumed: Option<AssumedPart>,
    /// What the rule rests on; `assumption` exactly when `assumption: true`.
    /// Optional while loading so that a rule added without it still loads;
    /// the catalog tests demand it on every entry.
    #[serde(default)]
    pub basis: Option<Spanned<Basis>>,
    /// Where the rule was read.
    #[serde(default)]
    pub sources: Vec<Source>,
    /// Set on a rule no case can observe through the API, with the reason;
    /// the coverage checks do not ask for a case for it.
    #[serde(default)]
    pub uncheckable: Option<String>,
    /// The acquirer profiles the rule holds for, where the sources
    /// disagree; empty (absent) when it holds for every profile.
    #[serde(default)]
    pub profiles: Vec<crate::profile::Profile>,
}

impl Rule {
    /// Whether the rule holds under `profile`.
    pub fn holds_under(&self, profile: crate::profile::Profile) -> bool {
        self.profiles.is_empty() || self.profiles.contains(&profile)
    }
}

/// The part of an assumption the project chose (see [`Rule::assumed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssumedPart {
    /// The sources state the behaviour; only the result code it is
    /// answered with is the project's choice.
    ResultCode,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rules: Vec<Rule>,
}

/// One result code the API can answer on cancel.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultCode {
    pub code: Spanned<String>,
    pub status: ResultStatus,
    pub meaning: String,
    pub action: String,
    /// True when the vendor's docs confirm the code for cancel; false when
    /// the project assumes it from the rest of the API family.
    pub confirmed: bool,
    pub source: String,
    /// What the code's listing rests on (see [`Rule::basis`]).
    #[serde(default)]
    pub basis: Option<Spanned<Basis>>,
    /// Where the code was read.
    #[serde(default)]
    pub sources: Vec<Source>,
    /// False for codes the reference server never answers (listed so that
    /// clients handle them); every other code must appear in a case.
    #[serde(default = "answered_by_default")]
    pub reference_server: bool,
}

fn answered_by_default() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodesFile {
    codes: Vec<ResultCode>,
}

/// Both catalogs, checked.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub rules: Vec<Rule>,
    pub codes: Vec<ResultCode>,
}

impl Catalog {
    /// The catalogs compiled into this binary.
    pub fn embedded() -> Result<Catalog, YamlError> {
        Catalog::parse(RULES_TEXT, CODES_TEXT)
    }

    /// Reads the catalogs from a checkout (used by drift checks and tools
    /// that want the files on disk rather than the compiled-in copy).
    pub fn parse(rules_text: &str, codes_text: &str) -> Result<Catalog, YamlError> {
        let rules_path = Path::new(RULES_FILE);
        let codes_path = Path::new(CODES_FILE);
        let rules: RulesFile = yaml::parse(rules_path, rules_text)?;
        let codes: CodesFile = yaml::parse(codes_path, codes_text)?;
        check_rules(rules_path, &rules.rules)?;
        check_codes(codes_path, &codes.codes)?;
        Ok(Catalog {
            rules: rules.rules,
            codes: codes.codes,
        })
    }

    /// The rule `id` names: a constant of [`super::rule_id`], or the text
    /// a case or a results file gives.
    pub fn rule<'i>(&self, id: impl Into<RuleId<'i>>) -> Option<&Rule> {
        let id = id.into();
        self.rules.iter().find(|rule| id == rule.id.value.as_str())
    }

    pub fn code(&self, code: &str) -> Option<&ResultCode> {
        self.codes.iter().find(|entry| entry.code.value == code)
    }
}

fn check_rules(file: &Path, rules: &[Rule]) -> Result<(), YamlError> {
    let mut seen = BTreeMap::new();
    for rule in rules {
        let id = &rule.id.value;
        if !is_rule_id(id) {
            return Err(YamlError::at(
                file,
                rule.id.referenced,
                format!("rule id `{id}` is not of the form `area.kebab-name` (lowercase)"),
            ));
        }
        if let Some(first) = seen.insert(id.clone(), rule.id.referenced) {
            return Err(YamlError::at(
                file,
                rule.id.referenced,
                format!(
                    "rule id `{id}` is used twice (first at line {}); ids are permanent, pick a new one",
                    first.line()
                ),
            ));
        }
        match (rule.assumption, &rule.reason) {
            (true, None) => {
                return Err(YamlError::at(
                    file,
                    rule.id.referenced,
                    format!("rule `{id}` is an assumption: add `reason:` saying why this choice"),
                ));
            }
            (false, Some(_)) => {
                return Err(YamlError::at(
                    file,
                    rule.id.referenced,
                    format!("rule `{id}` has a `reason:` but is not marked `assumption: true`"),
                ));
            }
            _ => {}
        }
        if rule.assumed.is_some() && !rule.assumption {
            return Err(YamlError::at(
                file,
                rule.id.referenced,
                format!(
                    "rule `{id}` has `assumed:` but is not an assumption; `assumed: result-code` narrows an assumption to its code"
                ),
            ));
        }
        if let Some(basis) = &rule.basis {
            let assumed = basis.value == Basis::Assumption;
            if assumed != rule.assumption {
                return Err(YamlError::at(
                    file,
                    basis.referenced,
                    format!(
                        "rule `{id}` has basis `{}` but `assumption: {}`; basis `assumption` goes with `assumption: true` and only with it",
                        basis.value.as_str(),
                        rule.assumption
                    ),
                ));
            }
        }
        check_sources(file, id, &rule.sources)?;
        if rule
            .uncheckable
            .as_deref()
            .is_some_and(|why| why.trim().is_empty())
        {
            return Err(YamlError::at(
                file,
                rule.id.referenced,
                format!("rule `{id}` is `uncheckable` without saying why"),
            ));
        }
    }
    Ok(())
}

/// Each source names one place in a usable form and says something.
fn check_sources(file: &Path, owner: &str, sources: &[Source]) -> Result<(), YamlError> {
    for source in sources {
        match (&source.url, &source.repo) {
            (Some(url), None) => {
                if !url.value.starts_with("https://") || url.value.contains(char::is_whitespace) {
                    return Err(YamlError::at(
                        file,
                        url.referenced,
                        format!(
                            "`{owner}`: source url `{}` is not an https:// address",
                            url.value
                        ),
                    ));
                }
            }
            (None, Some(repo)) => {
                let well_formed = repo
                    .value
                    .split_once(' ')
                    .is_some_and(|(name, rest)| name.contains('/') && rest.contains('@'));
                if !well_formed {
                    return Err(YamlError::at(
                        file,
                        repo.referenced,
                        format!(
                            "`{owner}`: source repo `{}` is not of the form `owner/name path@version`",
                            repo.value
                        ),
                    ));
                }
            }
            _ => {
                return Err(YamlError::at(
                    file,
                    source.says.referenced,
                    format!("`{owner}`: a source names exactly one of `url` and `repo`"),
                ));
            }
        }
        if source.says.value.trim().is_empty() {
            return Err(YamlError::at(
                file,
                source.says.referenced,
                format!("`{owner}`: a source's `says` is empty"),
            ));
        }
    }
    Ok(())
}

fn check_codes(file: &Path, codes: &[ResultCode]) -> Result<(), YamlError> {
    let mut seen = BTreeMap::new();
    for entry in codes {
        let code = &entry.code.value;
        let well_formed = !code.is_empty()
            && code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !well_formed {
            return Err(YamlError::at(
                file,
                entry.code.referenced,
                format!("result code `{code}` is not UPPER_SNAKE_CASE"),
            ));
        }
        if seen.insert(code.clone(), ()).is_some() {
            return Err(YamlError::at(
                file,
                entry.code.referenced,
                format!("result code `{code}` is listed twice"),
            ));
        }
        if let Some(basis) = &entry.basis {
            // A code the vendor lists for cancel rests on the vendor's word;
            // one the project assumes cannot be called confirmed.
            let vendor_word = matches!(basis.value, Basis::Seed | Basis::VendorDocs);
            let consistent = vendor_word == entry.confirmed;
            if !consistent {
                return Err(YamlError::at(
                    file,
                    basis.referenced,
                    format!(
                        "result code `{code}` has basis `{}` but `confirmed: {}`; confirmed codes rest on the seed or the vendor docs, the others on the SDKs or an assumption",
                        basis.value.as_str(),
                        entry.confirmed
                    ),
                ));
            }
        }
        check_sources(file, code, &entry.sources)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
