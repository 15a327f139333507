//! The second hostile round, against the binary as a user runs it: what
//! the runner hands an adapter, what it shows of an endpoint, what is left
//! running when it is done, what a target's long answer does to a
//! failure's text, and what it does with files that are not what they
//! should be. One test per item of issue 27:
//!
//! 1. an adapter printing its whole environment leaves no key or token
//!    of the runner's in any output or report;
//! 2. an endpoint with a password is refused before the run, the password
//!    in no output, and the wire layer never shows it either;
//! 3. an adapter that forks a sleeping child leaves no process behind,
//!    whether exec'd directly or through `sh -c`, and on Ctrl-C too;
//! 4. a 70,000-character resultCode is shown clipped, never a panic;
//! 5. a FIFO among the cases, a symbolic-link loop under `cases/`, a
//!    device as a configuration file, a report path that is a symbolic
//!    link and two reports on one path each get a clear error, fast;
//!    a matrix name with an escape sequence never reaches the terminal raw.
//!
//! (The reference server's total seeding cap is proven in the store's
//! unit tests: reaching it takes five million payments.)

mod cli_support;
use cli_support::isolated_command;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::header;
use axum::response::Response;

use cancel_conformance::server;
use cancel_conformance::wire::http::{self, TransportError};
use cancel_conformance::wire::message::SentRequest;

/// A fresh, empty directory for this test.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cc-hostile-in-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Writes an adapter script into `dir` and returns its path.
fn script(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the adapter script");
    path
}

/// Waits for `child` at most `limit`; kills it and fails the test after.
fn wait_within(mut child: Child, limit: Duration, what: &str) -> Output {
    let started = Instant::now();
    loop {
        match child.try_wait().expect("wait") {
            Some(_) => return child.wait_with_output().expect("output"),
            None if started.elapsed() > limit => {
                let _ = child.kill();
                let output = child.wait_with_output().expect("output");
                panic!(
                    "{what} did not finish within {limit:?}:\n{}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn spawn(mut command: Command) -> Child {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// stdout, stderr and every file in `reports` that exists, by name.
fn everything(output: &Output, reports: &[PathBuf]) -> Vec<(String, String)> {
    let mut all = vec![
        ("stdout".to_string(), text(&output.stdout)),
        ("stderr".to_string(), text(&output.stderr)),
    ];
    for report in reports {
        if let Ok(body) = std::fs::read_to_string(report) {
            all.push((report.display().to_string(), body));
        }
    }
    all
}

// ---------------------------------------------------------------------------
// 1. The adapter's environment
// ---------------------------------------------------------------------------

#[test]
fn an_adapter_printing_its_environment_leaves_no_key_or_token_in_any_output() {
    let dir = scratch("env");
    let adapter = script(
        &dir,
        "adapter.sh",
        "env >&2\nenv\nwhile read -r line; do env; done\n",
    );
    let key = "MARKERKEYmiiEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC";
    let token = "MARKERTOKEN-4f1c9a7e2b";
    let other = "MARKEROTHERSECRET-91d2";
    let reports: Vec<PathBuf> = ["r.json", "r.xml", "r.html"]
        .iter()
        .map(|name| dir.join(name))
        .collect();
    let mut command = isolated_command(&dir);
    command
        .arg("client")
        .arg("--adapter")
        .arg(format!("sh {}", adapter.display()))
        .arg("--json")
        .arg(&reports[0])
        .arg("--junit")
        .arg(&reports[1])
        .arg("--html")
        .arg(&reports[2])
        .arg("--cases")
        .arg(root().join("cases"))
        .arg("client/failure/")
        .env("CANCEL_CONFORMANCE_MERCHANT_PRIVATE_KEY", key)
        .env("CANCEL_CONFORMANCE_CONTROL_TOKEN", token)
        .env("SOME_CLOUD_SECRET_ACCESS_KEY", other);
    let output = wait_within(spawn(command), Duration::from_secs(120), "client");
    assert_eq!(output.status.code(), Some(101), "{}", text(&output.stderr));
    let all = everything(&output, &reports);
    assert_eq!(all.len(), 5, "every report was written");
    // The environment did reach the reports: the proof is not vacuous.
    assert!(
        all.iter()
            .any(|(name, body)| name.ends_with("r.json") && body.contains("CC_PROTOCOL=")),
        "the adapter's printed environment is not in the JSON report"
    );
    for (name, body) in &all {
        for secret in [key, token, other, "CANCEL_CONFORMANCE_"] {
            assert!(!body.contains(secret), "{name} shows `{secret}`");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------
// 2. Endpoint credentials
// ---------------------------------------------------------------------------

#[test]
fn an_endpoint_with_a_password_is_refused_before_the_run_and_never_shown() {
    let dir = scratch("userinfo");
    let password = "S3cretPassw0rdMarker";
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    for scheme in ["http", "https"] {
        let report = dir.join(format!("{scheme}.json"));
        let mut command = isolated_command(&dir);
        command
            .arg("run")
            .arg("--endpoint")
            .arg(format!("{scheme}://merchant:{password}@127.0.0.1:{closed}"))
            .arg("--json")
            .arg(&report);
        let output = wait_within(spawn(command), Duration::from_secs(60), "run");
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("user-info"), "{stderr}");
        assert!(stderr.contains("***@127.0.0.1"), "{stderr}");
        for (name, body) in everything(&output, &[report]) {
            assert!(!body.contains(password), "{name} shows the password");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wire_layer_never_shows_a_password_in_a_url() {
    let password = "S3cretPassw0rdMarker";
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let request = SentRequest {
        method: "POST".into(),
        path: "/v1/payments/cancel".into(),
        headers: Vec::new(),
        body: b"{}".to_vec(),
    };
    let client = http::client(None).expect("client");
    for base in [
        format!("http://u:{password}@127.0.0.1:{closed}"),
        format!("https://u:{password}@127.0.0.1:{closed}"),
    ] {
        let error = http::exchange(&client, &base, &request, Duration::from_secs(5))
            .await
            .expect_err("never sent");
        assert!(matches!(error, TransportError::Request { .. }), "{error}");
        assert!(!error.to_string().contains(password), "{error}");
    }
    // The plain sender (the control plane's and the project's client's)
    // connects without the user-info in its error text.
    let error = http::send(
        &client,
        &format!("https://u:{password}@127.0.0.1:{closed}"),
        &request,
        Duration::from_secs(5),
    )
    .await
    .expect_err("nothing listens");
    assert!(matches!(error, TransportError::Connect { .. }), "{error}");
    assert!(!error.to_string().contains(password), "{error}");
}

// ---------------------------------------------------------------------------
// 3. Adapters die with the run
// ---------------------------------------------------------------------------

/// Processes whose command line is `sleep MARK`.
fn sleepers(mark: &str) -> Vec<String> {
    let wanted = format!("sleep\0{mark}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|entry| {
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            String::from_utf8_lossy(&cmdline)
                .contains(&wanted)
                .then(|| entry.file_name().to_string_lossy().into_owned())
        })
        .collect()
}

/// Waits up to a few seconds for every `sleep MARK` to be gone.
fn assert_no_sleepers(mark: &str, what: &str) {
    let started = Instant::now();
    while !sleepers(mark).is_empty() && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let left = sleepers(mark);
    for pid in &left {
        let _ = Command::new("kill").args(["-KILL", pid]).status();
    }
    assert!(left.is_empty(), "{what}: processes left behind: {left:?}");
}

/// An adapter that forks a sleeper (and one that detaches from the shell
/// by a double fork), then answers every line with an error.
fn forking_adapter(dir: &Path, mark: &str) -> PathBuf {
    script(
        dir,
        &format!("fork-{mark}.sh"),
        &format!(
            "sleep {mark} &\n(sleep {mark} &)\nwhile read -r line; do echo '{{\"id\":1,\"error\":\"unsupported: nothing\"}}'; done\n"
        ),
    )
}

#[test]
fn an_adapter_that_forks_a_sleeping_child_leaves_no_process_behind() {
    if !Path::new("/proc/self/cmdline").exists() {
        eprintln!("no /proc: cannot look for processes left behind");
        return;
    }
    let dir = scratch("fork");
    let id = std::process::id();
    // Exec'd directly (plain words), and through `sh -c` (an assignment).
    for (n, prefix) in [(1, ""), (2, "CC_UNUSED=1 ")] {
        let mark = format!("99{id}{n}");
        let adapter = forking_adapter(&dir, &mark);
        let mut command = isolated_command(&dir);
        command
            .arg("client")
            .arg("--adapter")
            .arg(format!("{prefix}sh {}", adapter.display()))
            .arg("--cases")
            .arg(root().join("cases"))
            .arg("client/failure/");
        let output = wait_within(spawn(command), Duration::from_secs(120), "client");
        assert_eq!(output.status.code(), Some(101), "{}", text(&output.stderr));
        assert_no_sleepers(&mark, &format!("adapter `{prefix}sh ...`"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_ends_every_adapter_s_processes_and_the_run() {
    if !Path::new("/proc/self/cmdline").exists() {
        eprintln!("no /proc: cannot look for processes left behind");
        return;
    }
    let dir = scratch("ctrl-c");
    let mark = format!("98{}", std::process::id());
    // Forks, then never answers: the run waits on it until interrupted.
    let adapter = script(
        &dir,
        "hang.sh",
        &format!("sleep {mark} &\nwhile read -r line; do :; done\n"),
    );
    let mut command = isolated_command(&dir);
    command
        .arg("client")
        .arg("--adapter")
        .arg(format!("sh {}", adapter.display()))
        .arg("--cases")
        .arg(root().join("cases"))
        .arg("client/failure/");
    let child = spawn(command);
    let started = Instant::now();
    while sleepers(&mark).is_empty() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!sleepers(&mark).is_empty(), "the adapter never started");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let output = wait_within(child, Duration::from_secs(20), "client after Ctrl-C");
    assert_eq!(output.status.code(), Some(130), "{}", text(&output.stderr));
    assert_no_sleepers(&mark, "Ctrl-C");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------
// 4. A long string from the target
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_70000_character_result_code_is_shown_clipped_never_a_panic() {
    fn long_code() -> Response {
        let code = "X".repeat(70_000);
        let body = serde_json::json!({
            "result": {"resultCode": code, "resultStatus": "F", "resultMessage": code}
        });
        Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("a response")
    }
    let target = server::serve_router(
        Router::new().fallback(|| async { long_code() }),
        Duration::from_secs(10),
        "127.0.0.1:0".parse().expect("an address"),
        None,
    )
    .await
    .expect("the hostile server starts");
    let dir = scratch("long");
    let report = dir.join("report.json");
    let mut command = isolated_command(&dir);
    command
        .arg("run")
        .arg("--endpoint")
        .arg(&target.base_url)
        .arg("--json")
        .arg(&report)
        // Cases that need no payment: they run on a target without a
        // control plane, as this one is.
        .arg("server/ident/");
    let output = tokio::task::spawn_blocking(move || {
        wait_within(spawn(command), Duration::from_secs(120), "run")
    })
    .await
    .expect("the run");
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(101), "{stderr}");
    for shown in [&stdout, &stderr] {
        assert!(!shown.contains("panicked"), "{shown:.3000}");
        assert!(!shown.contains("out of range"), "{shown:.3000}");
    }
    assert!(stdout.contains("more bytes)"), "{stdout:.3000}");
    let longest = stdout.lines().map(|line| line.chars().count()).max();
    assert!(longest < Some(5_000), "a line of {longest:?} characters");
    let size = std::fs::metadata(&report).expect("the report").len();
    let cases = stdout.matches("MISMATCH in case").count().max(1) as u64;
    assert!(
        size < cases * 40_000,
        "{size} bytes of report for {cases} failures"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------
// 5. Files that are not what they should be
// ---------------------------------------------------------------------------

/// A cases directory with one real server case in it.
fn cases_with_one_case(dir: &Path) -> PathBuf {
    let cases = dir.join("cases");
    let server = cases.join("server");
    std::fs::create_dir_all(&server).expect("cases dir");
    std::fs::copy(
        root().join("cases/server/auth/bad-signature-is-invalid-signature.yaml"),
        server.join("bad-signature-is-invalid-signature.yaml"),
    )
    .expect("copy a case");
    cases
}

fn run_in(dir: &Path, args: &[&std::ffi::OsStr]) -> Output {
    let mut command = isolated_command(dir);
    command.arg("run").args(args);
    wait_within(spawn(command), Duration::from_secs(60), "run")
}

#[test]
fn a_fifo_among_the_cases_is_a_bug_in_that_case_never_a_hang() {
    let dir = scratch("fifo");
    let cases = cases_with_one_case(&dir);
    let fifo = cases.join("server/pipe.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let output = run_in(&dir, &["--cases".as_ref(), cases.as_os_str()]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(101), "{stdout}");
    assert!(
        stdout.contains("BUG IN CASE in case server/pipe"),
        "{stdout}"
    );
    assert!(
        stdout.contains("it is a FIFO, not a regular file"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_symbolic_link_loop_under_cases_is_refused_by_name() {
    let dir = scratch("loop");
    let cases = cases_with_one_case(&dir);
    std::os::unix::fs::symlink(cases.join("server"), cases.join("server/loop")).expect("symlink");
    let output = run_in(&dir, &["--cases".as_ref(), cases.as_os_str()]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("loop is a symbolic link to a directory"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_device_as_the_configuration_file_is_refused_by_name() {
    let dir = scratch("device");
    let config = dir.join("cancel-conformance.yaml");
    std::os::unix::fs::symlink("/dev/zero", &config).expect("symlink");
    let output = run_in(&dir, &["--config".as_ref(), config.as_os_str()]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("it is a device, not a regular file"),
        "{stderr}"
    );
}

#[test]
fn report_paths_are_checked_before_the_run_and_never_followed() {
    let dir = scratch("reports");
    let elsewhere = dir.join("elsewhere.txt");
    let link = dir.join("report.json");
    std::os::unix::fs::symlink(&elsewhere, &link).expect("symlink");
    let started = Instant::now();
    let output = run_in(&dir, &["--json".as_ref(), link.as_os_str()]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is a symbolic link"), "{stderr}");
    assert!(
        !elsewhere.exists(),
        "the report was written through the link"
    );
    // Refused before any case ran.
    assert!(!text(&output.stdout).contains("test result"));
    assert!(started.elapsed() < Duration::from_secs(30));

    let same = dir.join("same.out");
    let output = run_in(
        &dir,
        &[
            "--json".as_ref(),
            same.as_os_str(),
            "--html".as_ref(),
            same.as_os_str(),
        ],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--json and --html both name"), "{stderr}");
    assert!(!same.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_matrix_name_with_an_escape_sequence_never_reaches_the_terminal_raw() {
    let dir = scratch("matrix-name");
    let file = dir.join("matrix.yaml");
    std::fs::write(
        &file,
        "implementations:\n  - name: \"evil\\e[2J\\e]0;owned\\a\"\n    server:\n      endpoint: embedded\n",
    )
    .expect("write the matrix file");
    let mut command = isolated_command(&dir);
    command.arg("matrix").arg(&file);
    let output = wait_within(spawn(command), Duration::from_secs(60), "matrix");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("control characters"), "{stderr}");
    assert!(stderr.contains("evil\\u{1b}[2J"), "{stderr}");
    for shown in [&output.stdout, &output.stderr] {
        assert!(
            !shown.contains(&0x1b) && !shown.contains(&0x07),
            "a raw control byte"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
