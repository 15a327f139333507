//! The configuration file's format, `cancel-conformance.yaml`: what each
//! key holds. The command line reads it (`cli::config`, where each setting
//! gets its value: flag, environment, file, default) and the matrix embeds
//! its sections, one per implementation (`matrix::file`), so the format sits
//! apart from both.

use std::fmt;
use std::path::PathBuf;

use serde::de;
use serde::{Deserialize, Deserializer};

/// The file looked for in the current directory when no `--config` is given.
pub const FILE_NAME: &str = "cancel-conformance.yaml";

/// The contents of `cancel-conformance.yaml`. Every key is optional; the
/// top-level keys are the settings of `run`, the `client:` section those of
/// `client`.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub endpoint: Option<String>,
    pub client_id: Option<String>,
    pub other_client_id: Option<String>,
    pub merchant_private_key_file: Option<PathBuf>,
    pub provider_public_key_file: Option<PathBuf>,
    /// A number or a string in the file (`key_version: 1`).
    #[serde(default, deserialize_with = "number_or_string")]
    #[schemars(with = "Option<KeyVersion>")]
    pub key_version: Option<String>,
    pub ca_cert: Option<PathBuf>,
    /// A file holding the target's control-plane token.
    pub control_token_file: Option<PathBuf>,
    pub fixtures: Option<PathBuf>,
    pub expectations: Option<PathBuf>,
    pub timeout_ms: Option<u64>,
    /// The most requests a second the runner sends to the target, `N/s`
    /// (a sandbox's rate limit); unpaced when absent.
    pub rate: Option<Rate>,
    /// Fail the cases that only deviate from assumptions (or SHOULD rules)
    /// instead of passing them as warnings, in both halves.
    pub strict: Option<bool>,
    /// The acquirer profile the run checks (`apo`, `antom`).
    pub profile: Option<crate::profile::Profile>,
    /// The target's contract time zone (`+08:00`), for `run`.
    pub time_zone: Option<crate::time_zone::TimeZone>,
    /// The cases directory (holding `server/` and `client/`), for both halves.
    pub cases: Option<PathBuf>,
    /// The suite version the runs are pinned to (`--suite-version`): cases
    /// added after it are pending, never failing, in both halves.
    pub suite_version: Option<String>,
    pub reports: Option<ReportsSection>,
    pub client: Option<ClientSection>,
}

/// `reports:` in the file.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportsSection {
    pub junit: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub html: Option<PathBuf>,
}

/// `client:` in the file: the settings of `cancel-conformance client`.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientSection {
    pub adapter: Option<String>,
    pub tls: Option<bool>,
    pub client_timeout_ms: Option<u64>,
    pub max_attempts: Option<u32>,
    pub adapter_deadline_ms: Option<u64>,
    /// Variables of the runner's environment passed on to the adapter
    /// beside PATH, HOME, the user's name, the terminal, the time zone,
    /// TMPDIR and the locale (e.g. `HTTPS_PROXY`, `NO_PROXY`); the
    /// runner's own `CANCEL_CONFORMANCE_*` never are.
    pub adapter_env: Option<Vec<String>>,
    pub expectations: Option<PathBuf>,
    pub reports: Option<ReportsSection>,
}

/// A request rate, `N/s` (`5/s`; a bare `N` means the same): how many
/// requests a second the runner may send to a target. 0 is no pacing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, schemars::JsonSchema)]
#[schemars(with = "RateText")]
pub struct Rate {
    pub per_second: u32,
}

/// A rate as the file spells it, for the schemas only.
#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
struct RateText(#[schemars(regex(pattern = r"^[0-9]+(/s)?$"))] String);

impl std::str::FromStr for Rate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let number = text.trim().strip_suffix("/s").unwrap_or(text.trim());
        number
            .parse()
            .map(|per_second| Rate { per_second })
            .map_err(|_| format!("`{text}` is not a rate: write N/s, e.g. 5/s"))
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        number_or_string(d)?
            .unwrap_or_default()
            .parse()
            .map_err(de::Error::custom)
    }
}

/// A key version as the file may spell it, for the schemas only.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum KeyVersion {
    Number(u64),
    Text(String),
}

fn number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Visitor;
    impl de::Visitor<'_> for Visitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a key version, such as 1")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
    }
    d.deserialize_any(Visitor)
}
