//! What the command line hands the suite: every setting of a run of
//! either half, already chosen (flag, environment, configuration file or
//! default: that choice is the command line's, `cli::config`). The suite
//! reads these plain structs and never the command line itself.

use std::fmt;
use std::path::PathBuf;

use super::report::ReportPaths;

/// Where a key comes from: a file, an environment variable's value, or the
/// TEST-ONLY key (the command line chooses which, `cli::config`).
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    File(PathBuf),
    Env { var: &'static str, text: String },
    TestOnly,
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::File(path) => f.debug_tuple("File").field(path).finish(),
            KeySource::Env { var, text } => f
                .debug_struct("Env")
                .field("var", var)
                .field("text", &crate::signing::mask(text))
                .finish(),
            KeySource::TestOnly => f.write_str("TestOnly"),
        }
    }
}

impl KeySource {
    /// The key's text, never printed; `test_only` is the TEST-ONLY default.
    pub fn text(&self, test_only: &str) -> Result<String, String> {
        match self {
            KeySource::File(path) => crate::input_file::read_text(path).map_err(|err| {
                format!(
                    "cannot read the key file {}: {}",
                    path.display(),
                    err.reason()
                )
            }),
            KeySource::Env { text, .. } => Ok(text.clone()),
            KeySource::TestOnly => Ok(test_only.to_string()),
        }
    }
}

/// Every setting of `run`, chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSettings {
    pub endpoint: Option<String>,
    pub client_id: String,
    /// `None` when there is no other client id (given as `none`).
    pub other_client_id: Option<String>,
    pub merchant_key: KeySource,
    pub provider_key: KeySource,
    pub key_version: String,
    pub fixtures: Option<PathBuf>,
    pub expectations: Option<PathBuf>,
    pub cases: Option<PathBuf>,
    pub ca_cert: Option<PathBuf>,
    /// The target's control-plane token, if it has one; an unreadable or
    /// empty token file is an error when the run starts, not before (listing
    /// cases needs no target).
    pub control_token: Result<Option<crate::spec::control_plane::ControlToken>, String>,
    pub timeout_ms: u64,
    /// The most requests a second sent to the target; `None`: unpaced.
    pub rate: Option<crate::config_file::Rate>,
    /// Warnings fail the run.
    pub strict: bool,
    /// The acquirer profile checked; the embedded server plays it too.
    pub profile: crate::profile::Profile,
    /// The target's contract time zone; the embedded server counts its
    /// next-day cut-off in it too.
    pub time_zone: crate::time_zone::TimeZone,
    pub reports: ReportPaths,
}

/// Every setting of `client`, chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    pub adapter: String,
    pub tls: bool,
    pub client_timeout_ms: u64,
    pub max_attempts: u32,
    /// `None`: derived from the client's timeout and attempts.
    pub adapter_deadline_ms: Option<u64>,
    /// Variables passed on to the adapter beside the allow-list.
    pub adapter_env: Vec<String>,
    pub expectations: Option<PathBuf>,
    pub cases: Option<PathBuf>,
    /// Warnings fail the run.
    pub strict: bool,
    pub reports: ReportPaths,
}
