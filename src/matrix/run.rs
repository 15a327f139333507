//! Runs every implementation of a matrix through its half. Each one is a
//! `cancel-conformance run` or `cancel-conformance client` of its own (this
//! same binary, in the matrix file's directory), given its settings as
//! flags and writing its JSON results to a scratch file: the matrix judges
//! exactly as a person running that half by hand would, and one
//! implementation that hangs its adapter or crashes cannot take the others
//! down with it.
//!
//! Implementations that share a target (two entries naming one endpoint)
//! run one after the other; all others run side by side, at most `jobs` at
//! once. Before an implementation runs, what can be checked cheaply is: its
//! adapter's program exists, its endpoint accepts a connection. An
//! implementation that cannot start is a result too, with the reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::file::{Entry, Judged, Matrix};
use crate::config_file::{ClientSection, ConfigFile};
use crate::suite::outcome::Outcome;
use crate::suite::report::results::{self, RunResult};
use crate::wire::text::escape_controls;

/// What became of one implementation.
#[derive(Debug, Clone)]
pub struct Ran {
    pub name: String,
    pub description: Option<String>,
    /// `client` or `server`.
    pub half: &'static str,
    pub status: Status,
    pub duration: Duration,
    /// `Some(date)`: not run this time (its part of a split matrix failed);
    /// the result is the last known one, from the run of that date.
    pub stale: Option<String>,
}

/// Whether an implementation was judged.
#[derive(Debug, Clone)]
pub enum Status {
    /// Its half ran: the results file as written, and as read.
    Judged {
        exit_code: i32,
        written: Box<Value>,
        result: Box<RunResult>,
    },
    /// It never got as far as its cases; why, for people.
    CouldNotStart { reason: String },
}

impl Ran {
    pub fn result(&self) -> Option<&RunResult> {
        match &self.status {
            Status::Judged { result, .. } => Some(result),
            Status::CouldNotStart { .. } => None,
        }
    }

    /// Whether this implementation fails the matrix (without a baseline).
    pub fn fails(&self) -> bool {
        match &self.status {
            Status::Judged { result, .. } => {
                result.cases.iter().any(|case| case.outcome.fails_the_run())
            }
            Status::CouldNotStart { .. } => true,
        }
    }

    /// The name as the terminal is shown it: a matrix file is anyone's,
    /// and its names print with control characters escaped.
    pub fn shown_name(&self) -> String {
        escape_controls(&self.name)
    }

    /// The progress line printed when it is done.
    pub fn progress_line(&self) -> String {
        let head = format!("{} ({})", self.shown_name(), self.half);
        match &self.status {
            Status::CouldNotStart { reason } => {
                format!("{head}: COULD NOT START: {}", escape_controls(reason))
            }
            Status::Judged { result, .. } => {
                let counts: Vec<String> = Outcome::TALLIED
                    .into_iter()
                    .filter_map(|cell| {
                        let n = result.count(cell);
                        (n > 0).then(|| format!("{n} {}", cell.as_str()))
                    })
                    .collect();
                format!(
                    "{head}: {} ({} cases, {:.1} s)",
                    if counts.is_empty() {
                        "no case".to_string()
                    } else {
                        counts.join(", ")
                    },
                    result.cases.len(),
                    self.duration.as_secs_f64()
                )
            }
        }
    }
}

/// How the runner runs the halves.
#[derive(Debug, Clone)]
pub struct Runner {
    /// The `cancel-conformance` binary to run each half with.
    pub exe: PathBuf,
    /// How many implementations run at once.
    pub jobs: usize,
    /// A libtest filter given to every half (only cases whose name holds it).
    pub filter: Option<String>,
    /// `--suite-version` given to every half: cases newer than it are
    /// pending in every column.
    pub suite_version: Option<String>,
    /// Where the halves write their results; removed by the caller.
    pub scratch: PathBuf,
    /// An empty configuration file, written once before any half starts,
    /// given to every half as `--config` so that no stray
    /// `cancel-conformance.yaml` in the matrix's folder applies.
    pub empty_config: PathBuf,
}

/// Runs every implementation; `progress` is called once per implementation
/// as it finishes (from the worker that ran it). The results keep the
/// file's order.
pub fn run_cells(matrix: &Matrix, runner: &Runner, progress: &(dyn Fn(&Ran) + Sync)) -> Vec<Ran> {
    let mut groups = groups(&matrix.entries);
    // Workers pop from the end: the first group goes first.
    groups.reverse();
    let queue: Arc<Mutex<Vec<Vec<usize>>>> = Arc::new(Mutex::new(groups));
    let done: Mutex<Vec<(usize, Ran)>> = Mutex::new(Vec::new());
    let workers = runner.jobs.max(1).min(matrix.entries.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let next = queue
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .pop();
                    let Some(group) = next else { break };
                    for index in group {
                        let ran = run_one(matrix, &matrix.entries[index], index, runner);
                        progress(&ran);
                        done.lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                            .push((index, ran));
                    }
                }
            });
        }
    });
    let mut done = done
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, ran)| ran).collect()
}

/// The entries (by index) in groups that may run side by side; the
/// entries of one group share a target and run in order. A client has its
/// own scripted provider and an embedded server is started for its entry
/// alone: each is a group of its own. Groups keep the file's order.
pub(super) fn groups(entries: &[Entry]) -> Vec<Vec<usize>> {
    let mut by_target: BTreeMap<String, usize> = BTreeMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        match entry.endpoint() {
            Some(Some(endpoint)) => {
                let at = *by_target.entry(target_key(endpoint)).or_insert_with(|| {
                    groups.push(Vec::new());
                    groups.len() - 1
                });
                groups[at].push(index);
            }
            _ => groups.push(vec![index]),
        }
    }
    groups
}

/// `host:port` of an endpoint, so that two spellings of one server share a
/// group.
fn target_key(endpoint: &str) -> String {
    match authority(endpoint) {
        Some((host, port)) => format!("{}:{port}", host.to_ascii_lowercase()),
        None => endpoint.to_string(),
    }
}

/// Host and port of an http(s) URL (userinfo dropped, default ports filled).
pub(super) fn authority(endpoint: &str) -> Option<(String, u16)> {
    let (scheme, rest) = endpoint.split_once("://")?;
    let default_port = match scheme {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    // An IPv6 literal keeps its brackets out of the host.
    if let Some(rest) = host_port.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(port) => port.parse().ok()?,
            None => default_port,
        };
        return Some((host.to_string(), port));
    }
    match host_port.rsplit_once(':') {
        Some((host, port)) => Some((host.to_string(), port.parse().ok()?)),
        None => Some((host_port.to_string(), default_port)),
    }
}

fn run_one(matrix: &Matrix, entry: &Entry, index: usize, runner: &Runner) -> Ran {
    let clock = Instant::now();
    let status = match super::preflight::preflight(matrix, entry) {
        Err(err) => Status::CouldNotStart {
            reason: err.to_string(),
        },
        Ok(()) => judge(matrix, entry, index, runner),
    };
    Ran {
        name: entry.name.clone(),
        description: entry.description.clone(),
        half: entry.judged.half(),
        status,
        duration: clock.elapsed(),
        stale: None,
    }
}

/// Runs the implementation's half as a child process and reads its results.
fn judge(matrix: &Matrix, entry: &Entry, index: usize, runner: &Runner) -> Status {
    let json = runner.scratch.join(format!("{index}.json"));
    let mut command = Command::new(&runner.exe);
    command.current_dir(&matrix.dir);
    // Only the matrix file says what each implementation is: no setting
    // comes from the caller's environment or a stray configuration file.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CANCEL_CONFORMANCE_") {
            command.env_remove(name);
        }
    }
    command.arg(entry.judged.half_command());
    command.arg("--config").arg(&runner.empty_config);
    command.arg("--json").arg(&json);
    command.args(["--quiet", "--color", "never"]);
    settings_as_flags(&mut command, &entry.judged, matrix.cases.as_deref());
    // A server section's own `suite_version:` wins (passed above).
    let own_pin = matches!(&entry.judged, Judged::Server(server) if server.suite_version.is_some());
    if let Some(version) = runner.suite_version.as_ref().filter(|_| !own_pin) {
        command.arg("--suite-version").arg(version);
    }
    if let Some(filter) = &runner.filter {
        command.arg(filter);
    }
    command.stdin(Stdio::null());
    let output = match command.output() {
        Ok(output) => output,
        Err(err) => {
            return Status::CouldNotStart {
                reason: format!("cannot run {}: {err}", runner.exe.display()),
            };
        }
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(code @ (0 | 101)) => match results::load_value(&json)
            .and_then(|value| results::from_value(&value).map(|result| (value, result)))
        {
            Ok((written, result)) => Status::Judged {
                exit_code: code,
                written: Box::new(written),
                result: Box::new(result),
            },
            Err(err) => Status::CouldNotStart {
                reason: format!("its results could not be read: {err}"),
            },
        },
        code => Status::CouldNotStart {
            reason: reason_of(&stderr, code),
        },
    }
}

/// Why a half stopped before judging: its `error:` lines, else the end of
/// what it printed. Text the halves print is already masked.
fn reason_of(stderr: &str, code: Option<i32>) -> String {
    let errors: Vec<&str> = stderr
        .lines()
        .filter_map(|line| line.strip_prefix("error: "))
        .collect();
    if !errors.is_empty() {
        return errors.join("; ");
    }
    let tail: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    let tail = tail[tail.len().saturating_sub(3)..].join(" / ");
    match code {
        Some(code) => format!("stopped with exit code {code}: {tail}"),
        None => format!("stopped by a signal: {tail}"),
    }
}

impl Judged {
    fn half_command(&self) -> &'static str {
        match self {
            Judged::Client(_) => "client",
            Judged::Server(_) => "run",
        }
    }
}

/// An implementation's settings as the flags of its half. Every field is
/// named (no `..`): a setting added to the configuration file does not
/// compile here until the matrix passes it on too.
fn settings_as_flags(command: &mut Command, judged: &Judged, matrix_cases: Option<&Path>) {
    let mut flag = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            command.arg(format!("--{name}")).arg(value);
        }
    };
    let path = |path: &Option<PathBuf>| path.as_ref().map(|path| path.display().to_string());
    let matrix_cases = matrix_cases.map(Path::to_path_buf);
    match judged {
        Judged::Client(ClientSection {
            adapter,
            tls,
            client_timeout_ms,
            max_attempts,
            adapter_deadline_ms,
            adapter_env,
            expectations,
            reports: _,
        }) => {
            for name in adapter_env.iter().flatten() {
                flag("adapter-env", Some(name.clone()));
            }
            flag("adapter", adapter.clone());
            flag(
                "client-timeout-ms",
                client_timeout_ms.map(|v| v.to_string()),
            );
            flag("max-attempts", max_attempts.map(|v| v.to_string()));
            flag(
                "adapter-deadline-ms",
                adapter_deadline_ms.map(|v| v.to_string()),
            );
            flag("expectations", path(expectations));
            flag("cases", path(&matrix_cases));
            if *tls == Some(true) {
                command.arg("--tls");
            }
        }
        Judged::Server(server) => {
            let ConfigFile {
                endpoint,
                client_id,
                other_client_id,
                merchant_private_key_file,
                provider_public_key_file,
                key_version,
                ca_cert,
                control_token_file,
                fixtures,
                expectations,
                timeout_ms,
                rate,
                strict,
                profile,
                time_zone,
                cases,
                suite_version,
                reports: _,
                client: _,
            } = &**server;
            flag(
                "endpoint",
                endpoint
                    .clone()
                    .filter(|endpoint| endpoint != super::file::EMBEDDED),
            );
            flag("client-id", client_id.clone());
            flag("other-client-id", other_client_id.clone());
            flag("merchant-private-key-file", path(merchant_private_key_file));
            flag("provider-public-key-file", path(provider_public_key_file));
            flag("key-version", key_version.clone());
            flag("ca-cert", path(ca_cert));
            flag("control-token-file", path(control_token_file));
            flag("fixtures", path(fixtures));
            flag("expectations", path(expectations));
            flag("timeout-ms", timeout_ms.map(|v| v.to_string()));
            flag("rate", rate.map(|v| format!("{}/s", v.per_second)));
            flag("profile", profile.map(|v| v.to_string()));
            flag("time-zone", time_zone.map(|v| v.to_string()));
            flag("suite-version", suite_version.clone());
            flag("cases", path(&cases.clone().or(matrix_cases)));
            if *strict == Some(true) {
                command.arg("--strict");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_implementations_sharing_an_endpoint_run_one_after_the_other() {
        let server = |endpoint: Option<&str>| Entry {
            name: String::new(),
            description: None,
            judged: Judged::Server(Box::new(ConfigFile {
                endpoint: endpoint.map(String::from),
                ..ConfigFile::default()
            })),
        };
        let client = Entry {
            name: String::new(),
            description: None,
            judged: Judged::Client(ClientSection::default()),
        };
        let entries = [
            server(Some("http://127.0.0.1:8080")),
            server(None),
            client.clone(),
            server(Some("embedded")),
            server(Some("http://127.0.0.1:8080/")),
            server(Some("http://127.0.0.1:9090")),
            client,
        ];
        assert_eq!(
            groups(&entries),
            [vec![0, 4], vec![1], vec![2], vec![3], vec![5], vec![6]]
        );
    }

    #[test]
    fn endpoints_group_by_host_and_port() {
        assert_eq!(target_key("http://LOCALHOST:8080/x"), "localhost:8080");
        assert_eq!(target_key("https://u:p@host.example"), "host.example:443");
        assert_eq!(target_key("http://[::1]:9/"), "::1:9");
        assert_eq!(authority("ftp://x"), None);
    }

    #[test]
    fn a_half_that_stopped_says_why() {
        assert_eq!(
            reason_of(
                "note: settings from x\nerror: cannot read the key file k: No such file\n",
                Some(2)
            ),
            "cannot read the key file k: No such file"
        );
        assert_eq!(
            reason_of("a\nb\nthread panicked\n", Some(3)),
            "stopped with exit code 3: a / b / thread panicked"
        );
    }
}
