//! The adapter as a process: the environment it is given (an allow-list,
//! never the runner's own), how its command is started (exec'd directly
//! when it needs no shell, else through `sh -c`), and its process group,
//! which is ended as a whole when its case ends, when the run ends, and on
//! Ctrl-C or SIGTERM, so that nothing it forked outlives the run.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::sync::Mutex;

use tokio::process::Command;

use crate::adapter_protocol::env;

/// Variables of the runner's environment a process needs to run at all,
/// passed on to the adapter unchanged. Everything else, above all the
/// runner's own settings and secrets (`CANCEL_CONFORMANCE_*`: the merchant
/// private key, the control token), stays with the runner.
pub const PASSED_THROUGH: &[&str] = &[
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TZ", "TMPDIR", "LANG", "LANGUAGE",
];

/// Prefix of the locale variables (`LC_ALL`, `LC_CTYPE`, ...), passed on
/// like [`PASSED_THROUGH`].
const LOCALE_PREFIX: &str = "LC_";

/// The prefix of the runner's own variables, never passed on, even when
/// named with `--adapter-env`.
pub const RUNNER_PREFIX: &str = "CANCEL_CONFORMANCE_";

/// The adapter's whole environment: the allow-listed variables of the
/// runner's environment, the ones the user named (`extra`, e.g. proxy
/// settings), then the protocol's `CC_*` variables (`protocol`), which win.
pub fn adapter_env(protocol: &[(String, String)], extra: &[String]) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(name, _)| {
            let name = name.to_string_lossy();
            PASSED_THROUGH.contains(&name.as_ref())
                || name.starts_with(LOCALE_PREFIX)
                || (extra.iter().any(|wanted| *wanted == name)
                    && !name.starts_with(RUNNER_PREFIX)
                    && !env::is_protocol_variable(&name))
        })
        .collect();
    env.extend(
        protocol
            .iter()
            .map(|(name, value)| (OsString::from(name), OsString::from(value))),
    );
    env
}

/// True when `command` is not plain words naming a program: quoting,
/// expansion, redirection, globbing, job control, a leading `NAME=value`
/// assignment, or a first word that is no program on PATH (a shell
/// builtin such as `exec` or `while`, or a typo the shell then reports).
/// A command of plain words naming a program is exec'd directly.
pub fn needs_shell(command: &str) -> bool {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:,+@%=".contains(c);
    let mut words = command.split(' ').filter(|word| !word.is_empty());
    let Some(program) = words.next() else {
        return true;
    };
    program.contains('=')
        || !command.chars().all(|c| c == ' ' || plain(c))
        || (!program.contains('/') && !on_path(program))
}

/// Whether `program` is an executable file in a directory of PATH.
fn on_path(program: &str) -> bool {
    let Some(paths) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&paths).any(|dir| {
        let path = dir.join(program);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(&path)
                .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        }
        #[cfg(not(unix))]
        {
            path.is_file()
        }
    })
}

/// The command that starts the adapter, in a process group of its own,
/// with exactly `env` as its environment.
pub fn command(line: &str, env: &[(OsString, OsString)]) -> Command {
    let mut command = if needs_shell(line) {
        let mut command = Command::new("sh");
        command.arg("-c").arg(line);
        command
    } else {
        let mut words = line.split(' ').filter(|word| !word.is_empty());
        let mut command = Command::new(words.next().unwrap_or_default());
        command.args(words);
        command
    };
    command.env_clear().envs(env.iter().map(|(k, v)| (k, v)));
    #[cfg(unix)]
    command.process_group(0);
    command
}

/// Process groups of adapters still running: ended on Ctrl-C or at the
/// end of the run if their case did not end them.
static LIVE: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// Records a started adapter's process group (its id is the adapter's pid).
pub fn track(group: u32) {
    if let Ok(mut live) = LIVE.lock() {
        live.insert(group);
    }
}

/// Ends every process of `group` and forgets it. The group's id cannot
/// be reused by another process while any member is left, so this never
/// reaches a stranger's processes.
pub fn end_group(group: u32) {
    if let Ok(mut live) = LIVE.lock() {
        live.remove(&group);
    }
    kill_group(group);
}

/// Ends every adapter's process group still running.
pub fn end_all() {
    let groups: Vec<u32> = match LIVE.lock() {
        Ok(mut live) => std::mem::take(&mut *live).into_iter().collect(),
        Err(_) => return,
    };
    for group in groups {
        kill_group(group);
    }
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM, then ends every adapter's process
/// group and the runner with the shell's status for an interrupt (130).
/// The adapters' groups are not the terminal's foreground group, so the
/// terminal's Ctrl-C reaches only the runner: it must pass it on.
pub async fn end_all_on_interrupt() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut interrupt), Ok(mut terminate)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        end_all();
        eprintln!("interrupted: every adapter's processes were ended");
        std::process::exit(130);
    }
}

#[cfg(unix)]
fn kill_group(group: u32) {
    let Ok(group) = libc::pid_t::try_from(group) else {
        return;
    };
    // Zero or less would name the runner's own group or every process.
    if group <= 1 {
        return;
    }
    // SAFETY: kill(2) takes plain integers and touches no memory of ours;
    // a negative pid names the process group.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_group: u32) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_commands_are_exec_d_and_anything_else_goes_through_the_shell() {
        for plain in [
            "/work/target/debug/cancel-conformance adapter",
            "/tmp/venv/bin/python adapters/python/adapter.py",
            "./adapter.js --port=8080",
            "sh adapter.sh",
        ] {
            assert!(!needs_shell(plain), "{plain}");
        }
        for shell in [
            "TOKEN=x node adapter.js",
            "node adapter.js 2>/dev/null",
            "python 'my adapter.py'",
            "exec $HOME/adapter",
            "a; b",
            "a && b",
            "a | b",
            "sleep 300 &",
            "~/bin/adapter",
            "adapter *.js",
            "exec yes",
            "while read -r line; do :; done",
            "no-such-program-on-path --flag",
            "",
        ] {
            assert!(needs_shell(shell), "{shell}");
        }
    }

    #[test]
    fn the_adapter_gets_the_allow_list_and_the_protocol_never_the_runner_s_secrets() {
        // The test's own environment is the runner's: it has PATH, and
        // whatever CANCEL_CONFORMANCE_* it has must not pass.
        let protocol = vec![(env::PROTOCOL.to_string(), "3".to_string())];
        let env = adapter_env(&protocol, &["CANCEL_CONFORMANCE_CONTROL_TOKEN".into()]);
        let names: Vec<String> = env
            .iter()
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|name| {
                PASSED_THROUGH.contains(&name.as_str())
                    || name.starts_with(LOCALE_PREFIX)
                    || name == env::PROTOCOL
            }),
            "{names:?}"
        );
        assert!(names.contains(&env::PROTOCOL.to_string()));
        if std::env::var_os("PATH").is_some() {
            assert!(names.contains(&"PATH".to_string()), "{names:?}");
        }
    }
}
