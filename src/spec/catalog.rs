//! The two catalogs of the spec, `spec/rules.yaml` and
//! `spec/result-codes.yaml`, loaded into types with unknown keys rejected and
//! checked for the invariants the rest of the project relies on.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::api::ResultStatus;
use super::yaml::{self, YamlError};

/// Where the catalogs live in the repository, relative to its root.
pub const RULES_FILE: &str = "spec/rules.yaml";
pub const CODES_FILE: &str = "spec/result-codes.yaml";

const RULES_TEXT: &str = include_str!("../../spec/rules.yaml");
const CODES_TEXT: &str = include_str!("../../spec/result-codes.yaml");

/// How strongly a rule binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
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

/// Whom a rule binds: the server answering, the client calling, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Server,
    Client,
    Both,
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

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|rule| rule.id.value == id)
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
    }
    Ok(())
}

fn is_rule_id(id: &str) -> bool {
    let Some((area, name)) = id.split_once('.') else {
        return false;
    };
    let part_ok = |part: &str| {
        !part.is_empty()
            && !part.starts_with('-')
            && !part.ends_with('-')
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    part_ok(area) && part_ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_CODE: &str = "codes:\n  - code: SUCCESS\n    status: S\n    meaning: m\n    action: a\n    confirmed: true\n    source: s\n";

    #[test]
    fn the_embedded_catalogs_load() {
        let catalog = Catalog::embedded().unwrap_or_else(|err| panic!("{err}"));
        assert!(!catalog.rules.is_empty());
        assert_eq!(
            catalog.code("SUCCESS").map(|c| c.status),
            Some(ResultStatus::S)
        );
    }

    #[test]
    fn an_unknown_key_in_a_rule_is_located() {
        let rules = "rules:\n  - id: a.b\n    level: MUST\n    side: server\n    statement: s\n    source: s\n    sauce: x\n";
        let err = Catalog::parse(rules, ONE_CODE).expect_err("unknown key");
        assert_eq!(err.line, 7, "{err}");
        assert!(err.to_string().starts_with("spec/rules.yaml:7:"), "{err}");
    }

    #[test]
    fn an_assumption_without_reason_is_located() {
        let rules = "rules:\n  - id: a.b\n    level: MUST\n    side: server\n    statement: s\n    source: s\n  - id: a.c\n    level: MAY\n    side: client\n    statement: s\n    source: s\n    assumption: true\n";
        let err = Catalog::parse(rules, ONE_CODE).expect_err("no reason");
        assert_eq!(err.line, 7, "{err}");
        assert!(err.message.contains("reason"), "{err}");
    }

    #[test]
    fn a_duplicate_rule_id_is_located() {
        let rules = "rules:\n  - id: a.b\n    level: MUST\n    side: server\n    statement: s\n    source: s\n  - id: a.b\n    level: MUST\n    side: server\n    statement: s\n    source: s\n";
        let err = Catalog::parse(rules, ONE_CODE).expect_err("duplicate");
        assert_eq!(err.line, 7, "{err}");
    }

    #[test]
    fn a_bad_status_is_located() {
        let codes = ONE_CODE.replace("status: S", "status: X");
        let rules = "rules: []\n";
        let err = Catalog::parse(rules, &codes).expect_err("bad status");
        assert_eq!(err.line, 3, "{err}");
    }
}
