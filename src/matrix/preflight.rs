//! The cheap checks run before an implementation is judged, so that a
//! column says "could not start" (a missing adapter program, an endpoint
//! nobody listens on) instead of failing every case.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use super::error::PreflightError;
use super::file::{Entry, Judged, Matrix};
use super::run::authority;
use crate::config_file::ConfigFile;

/// The cheap checks that tell "cannot start" from "fails every case".
pub(super) fn preflight(matrix: &Matrix, entry: &Entry) -> Result<(), PreflightError> {
    match &entry.judged {
        Judged::Client(client) => match &client.adapter {
            Some(adapter) => program_exists(adapter, &matrix.dir),
            None => Err(PreflightError::NoAdapter),
        },
        Judged::Server(server) => match entry.endpoint().flatten() {
            None => Ok(()),
            Some(endpoint) => reachable(endpoint, server),
        },
    }
}

/// Shell words that are no program of their own.
const SHELL_BUILTINS: &[&str] = &["exec", "cd", ".", "source", "eval", "command", "set"];

/// Whether the program an adapter command starts exists: a path (relative
/// to `dir`, where the command runs) or a name on PATH. Leading `NAME=value`
/// assignments are skipped; a command the check cannot read (quotes, a
/// builtin) is left to the shell.
fn program_exists(command: &str, dir: &Path) -> Result<(), PreflightError> {
    let Some(program) = command.split_whitespace().find(|word| {
        !word
            .split_once('=')
            .is_some_and(|(name, _)| is_variable_name(name))
    }) else {
        return Err(PreflightError::EmptyCommand);
    };
    if program.contains(['"', '\'', '$', '`', '(', ';', '&', '|'])
        || SHELL_BUILTINS.contains(&program)
    {
        return Ok(());
    }
    let found = if program.contains('/') {
        let path = dir.join(program);
        executable(&path).then_some(path)
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(program))
                .find(|path| executable(path))
        })
    };
    match found {
        Some(_) => Ok(()),
        None if program.contains('/') => Err(PreflightError::NotInFolder {
            program: program.to_string(),
            dir: dir.to_path_buf(),
        }),
        None => Err(PreflightError::NotOnPath(program.to_string())),
    }
}

/// `NAME` of a shell assignment `NAME=value`.
fn is_variable_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Whether the endpoint accepts a TCP connection within a few seconds.
fn reachable(endpoint: &str, server: &ConfigFile) -> Result<(), PreflightError> {
    crate::wire::url::endpoint(endpoint).map_err(PreflightError::Endpoint)?;
    let shown = crate::wire::url::shown(endpoint);
    let Some((host, port)) = authority(endpoint) else {
        return Err(PreflightError::NotHttp(shown));
    };
    let wait = Duration::from_millis(server.timeout_ms.unwrap_or(3000).clamp(500, 5000));
    let addrs: Vec<_> = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|source| PreflightError::Resolve {
            shown: shown.clone(),
            source,
        })?
        .collect();
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, wait) {
            Ok(_) => return Ok(()),
            Err(err) => last = Some(err),
        }
    }
    Err(PreflightError::Unreachable { shown, last })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_is_found_before_any_case_runs() {
        let dir = std::env::temp_dir();
        assert!(program_exists("sh -c true", &dir).is_ok());
        assert!(program_exists("FOO=1 BAR=2 sh adapter.sh", &dir).is_ok());
        let err = program_exists("./no-such-adapter --flag", &dir)
            .expect_err("missing")
            .to_string();
        assert!(err.contains("`./no-such-adapter` does not exist"), "{err}");
        let err = program_exists("no-such-program-here arg", &dir)
            .expect_err("missing")
            .to_string();
        assert!(err.contains("not on PATH"), "{err}");
        assert!(program_exists("   ", &dir).is_err());
        // What the check cannot read is left to the shell.
        assert!(program_exists("\"my adapter\" x", &dir).is_ok());
    }

    #[test]
    fn an_unreachable_endpoint_is_said_so() {
        // A port just released by the kernel has nobody listening on it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let err = reachable(&format!("http://127.0.0.1:{port}"), &ConfigFile::default())
            .expect_err("nobody listens")
            .to_string();
        assert!(err.contains("unreachable"), "{err}");
    }
}
