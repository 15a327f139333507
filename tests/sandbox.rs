//! Against a server without a control plane, through the real command
//! line: with no fixtures file nothing fails and every ignored case says
//! why; `serve --no-control-plane --write-fixtures` gives a sandbox whose
//! fixtures file lets most of the suite pass; with `--pool 1` the cases
//! beyond the pool are ignored as used up, and a second run finds the used
//! payments by inquiry instead of passing on them; `fixtures check` says
//! the same before a run.

mod cli_support;
use cancel_conformance_testkit::process::code_and_output;
use cli_support::isolated_command;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cc-sandbox-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

/// A `serve` process, ended when dropped.
struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve --no-control-plane ARGS` and waits until it listens.
fn serve(dir: &Path, args: &[&str]) -> Served {
    serve_with(dir, &[&["--no-control-plane"], args].concat())
}

/// Starts `serve ARGS` and waits until it listens.
fn serve_with(dir: &Path, args: &[&str]) -> Served {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let child = isolated_command(dir)
        .args(["serve", "--addr", &addr])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let served = Served {
        child,
        url: format!("http://{addr}"),
    };
    for _ in 0..200 {
        if std::net::TcpStream::connect(&addr).is_ok() {
            return served;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("serve did not listen on {addr}");
}

/// Runs the binary with ARGS and returns (exit code, stdout+stderr).
fn command(dir: &Path, args: &[&str]) -> (i32, String) {
    code_and_output(isolated_command(dir).args(args))
}

/// The count libtest prints before `label` on its result line.
fn count(output: &str, label: &str) -> usize {
    let line = output
        .lines()
        .find(|line| line.starts_with("test result:"))
        .unwrap_or_else(|| panic!("no result line:\n{output}"));
    line.split(';')
        .find_map(|part| part.trim().strip_suffix(label))
        .and_then(|part| part.trim().rsplit(' ').next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no `{label}` in {line}"))
}

/// Every line of an ignored case carries a reason.
fn every_ignored_case_says_why(output: &str) {
    for line in output.lines().filter(|line| line.starts_with("test ")) {
        if line.contains("... ignored") {
            assert!(line.contains("... ignored ("), "no reason: {line}");
        }
    }
}

#[test]
fn the_probe_finds_a_control_plane_and_the_cases_seed_through_it() {
    let dir = scratch("present");
    let served = serve_with(&dir, &[]);
    let (code, output) = command(&dir, &["run", "--endpoint", &served.url]);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("control plane: present"), "{output}");
    assert!(count(&output, "passed") > 130, "{output}");
    // Only the other profile's cases are ignored.
    assert!(!output.contains("needs the control plane"), "{output}");
    assert!(!output.contains("needs a prepared payment"), "{output}");
}

#[test]
fn without_a_control_plane_or_fixtures_nothing_fails_and_the_header_says_why() {
    let dir = scratch("bare");
    let served = serve(&dir, &[]);
    let (code, output) = command(&dir, &["run", "--endpoint", &served.url]);
    assert_eq!(code, 0, "{output}");
    assert_eq!(count(&output, "failed"), 0, "{output}");
    assert!(count(&output, "passed") > 0, "{output}");
    assert!(output.contains("control plane: absent"), "{output}");
    assert!(
        output.contains("needs a prepared payment and this target has no control plane")
            && output.contains("--fixtures FILE"),
        "{output}"
    );
    assert!(
        !output.contains("/control/v1/payments expected"),
        "{output}"
    );
    every_ignored_case_says_why(&output);
}

#[test]
fn a_written_fixtures_file_runs_most_of_the_suite_and_a_used_one_is_found_out() {
    let dir = scratch("full");
    let file = dir.join("fixtures.yaml");
    let file_arg = file.display().to_string();
    let served = serve(&dir, &["--write-fixtures", &file_arg]);
    let (code, checked) = command(
        &dir,
        &["fixtures", "check", &file_arg, "--endpoint", &served.url],
    );
    assert_eq!(code, 0, "{checked}");
    assert!(
        checked.contains(" 0 used up, 0 in the wrong state"),
        "{checked}"
    );

    let run = ["run", "--endpoint", &served.url, "--fixtures", &file_arg];
    let (code, output) = command(&dir, &run);
    assert_eq!(code, 0, "{output}");
    assert_eq!(count(&output, "failed"), 0, "{output}");
    assert!(count(&output, "passed") > 90, "{output}");
    assert!(
        !output.contains("used up"),
        "a full pool runs out of nothing:\n{output}"
    );
    every_ignored_case_says_why(&output);

    // The run used payments up: the check says which, and a second run
    // ignores their cases instead of passing on a cancelled payment.
    let (code, checked) = command(
        &dir,
        &["fixtures", "check", &file_arg, "--endpoint", &served.url],
    );
    assert_eq!(code, 1, "{checked}");
    assert!(checked.contains("used up     "), "{checked}");
    let (code, again) = command(&dir, &run);
    assert_eq!(code, 0, "{again}");
    assert_eq!(count(&again, "failed"), 0, "{again}");
    assert!(
        again.contains("used up: its payment") && again.contains("is CANCELLED by inquiry"),
        "{again}"
    );
    assert!(
        count(&again, "passed") < count(&output, "passed"),
        "{again}"
    );
}

#[test]
fn a_pool_of_one_ignores_the_cases_beyond_it_as_used_up() {
    let dir = scratch("pool-1");
    let file = dir.join("fixtures.yaml");
    let file_arg = file.display().to_string();
    let served = serve(&dir, &["--write-fixtures", &file_arg, "--pool", "1"]);
    let (code, output) = command(
        &dir,
        &["run", "--endpoint", &served.url, "--fixtures", &file_arg],
    );
    assert_eq!(code, 0, "{output}");
    assert_eq!(count(&output, "failed"), 0, "{output}");
    assert!(
        output.contains("fixture `paid-wallet` used up: the fixtures file gives 1 payment for it and a full run needs"),
        "{output}"
    );
    assert!(
        output.contains("warning: fixture `paid-wallet` has 1 payment and a full run needs"),
        "{output}"
    );
    every_ignored_case_says_why(&output);
}

#[test]
fn the_template_says_how_many_payments_each_name_needs() {
    let (code, template) = command(&std::env::temp_dir(), &["fixtures", "--template"]);
    assert_eq!(code, 0, "{template}");
    let block = template
        .split("\n  # state:")
        .find(|block| block.contains("\n  paid-wallet:\n"))
        .expect("paid-wallet");
    let line = block
        .lines()
        .find(|line| line.contains("payments for a full run:"))
        .expect("a count");
    let need: usize = line
        .split("payments for a full run: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse().ok())
        .expect("a number");
    assert!(need > 1, "{line}");
    assert_eq!(block.matches("- payment_id:").count(), need, "{block}");
}

/// `schema | head` and `fixtures --template | head`: a reader that goes
/// away early ends the printing quietly, with no panic.
#[test]
fn a_closed_pipe_ends_printing_quietly() {
    use std::io::Read as _;
    let dir = scratch("pipe");
    let out_dir = dir.join("schemas").display().to_string();
    for args in [
        vec!["schema", "--out", out_dir.as_str()],
        vec!["fixtures", "--template"],
    ] {
        let mut child = isolated_command(&dir)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        // The reader goes away before the command has printed anything
        // (it first loads the spec or the cases): every write finds the
        // pipe closed.
        drop(child.stdout.take().expect("stdout"));
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr)
            .expect("stderr read");
        let status = child.wait().expect("ends");
        assert!(status.success(), "{args:?}: {status:?} {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// One misconfiguration (here: the wrong provider public key) fails
/// nearly every case the same way: the run says so once, with the likely
/// fix, and the JUnit failure message is the first difference, not a bare
/// kind.
#[test]
fn one_cause_is_shown_once_with_its_fix_and_junit_names_the_difference() {
    let dir = scratch("one-cause");
    let junit = dir.join("report.xml");
    let key = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/keys/merchant-public.spki.b64");
    let (code, output) = command(
        &dir,
        &[
            "run",
            "--provider-public-key-file",
            &key.display().to_string(),
            "--junit",
            &junit.display().to_string(),
        ],
    );
    assert_eq!(code, 101, "{output}");
    let failed = count(&output, "failed");
    assert!(failed > 100, "{output}");
    let line = format!(
        "  {failed} cases: answer signature does not verify — check the provider public key"
    );
    assert_eq!(output.matches(&line).count(), 1, "{output}");
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report");
    assert!(
        xml.contains("<failure message=\"MISMATCH: step 1 (cancel): header signature [rule sign.response-signed]: expected verifies with the provider public key"),
        "{}",
        xml.chars().take(3000).collect::<String>()
    );
}
