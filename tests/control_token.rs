//! The control plane is never open to a network: `serve` on a non-loopback
//! address refuses to start it without a token; with a token, every control
//! call needs it (HTTP 401 with a JSON error otherwise) while the API itself
//! stays open; the runner sends the token from a flag, the environment or the
//! configuration file, and never prints it.

mod cli_support;
mod server_support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cancel_conformance::server::{ControlToken, ServerConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

use cli_support::isolated_command;
use server_support::Harness;

/// Long and unusual, so that finding it in any output is a real leak.
const TOKEN: &str = "ctl-7fQ2xV9pLm3Rk8Zs4Wd1";

async fn harness_with_token() -> Harness {
    let config = ServerConfig {
        control_token: Some(ControlToken::new(TOKEN).expect("a valid token")),
        ..ServerConfig::test_default()
    };
    Harness::start_with(config, None).await
}

/// POST /control/v1/payments with the given Authorization header.
async fn seed_with(harness: &Harness, authorization: Option<&str>) -> (StatusCode, Value) {
    let mut request = harness
        .http
        .post(harness.url("/control/v1/payments"))
        .header("Content-Type", "application/json")
        .body(json!({"state": "paid", "method": "wallet"}).to_string());
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let text = response.text().await.expect("a body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn control_calls_without_the_token_are_refused_with_401_and_a_json_error() {
    let harness = harness_with_token().await;
    let wrong = format!("Bearer {TOKEN}x");
    let short = format!("Bearer {}", &TOKEN[..TOKEN.len() - 1]);
    let basic = format!("Basic {TOKEN}");
    for authorization in [
        None,
        Some(wrong.as_str()),
        Some(short.as_str()),
        Some(&basic),
    ] {
        let (status, body) = seed_with(&harness, authorization).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{authorization:?}: {body}"
        );
        let error = body["error"].as_str().expect("a JSON error");
        assert!(error.contains("Authorization: Bearer <token>"), "{error}");
        assert!(!error.contains(TOKEN), "the error never echoes the token");
    }
    // Every path under /control is covered, unknown ones and other methods
    // included: without the token nothing about the plane is revealed.
    for (method, path) in [
        ("GET", "/control/v1/requests"),
        ("GET", "/control/v1/payments/anything"),
        ("GET", "/control/v9/nothing"),
    ] {
        let (status, _) = harness.control(method, path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
}

#[tokio::test]
async fn control_calls_with_the_token_work_and_the_api_needs_no_token() {
    let harness = harness_with_token().await;
    let (status, body) = seed_with(&harness, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let payment_id = body["paymentId"].as_str().expect("a seeded payment");
    // The API is the provider's, signed as usual: the control token plays
    // no part in it.
    let answer = harness.cancel_by_id(payment_id).await;
    assert_eq!(answer.status_letter(), "S", "{:?}", answer.code());
}

#[test]
fn the_token_is_never_shown_by_debug() {
    let token = ControlToken::new(&format!("  {TOKEN}\n")).expect("blanks around are dropped");
    assert_eq!(format!("{token:?}"), "ControlToken(***)");
    assert!(token.admits(format!("Bearer {TOKEN}").as_bytes()));
    assert!(!token.admits(format!("bearer {TOKEN} ").as_bytes()));
    assert!(
        ControlToken::new(" \n").is_err(),
        "an empty token opens nothing"
    );
    assert!(ControlToken::new("two words").is_err());
}

// ----- through the command line

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cc-control-token-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// Reads `serve`'s start-up line (within 10 s), leaving the child running.
fn first_line(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("stdout is piped");
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = send.send(line);
    });
    receive
        .recv_timeout(Duration::from_secs(10))
        .expect("serve prints its start-up line in time")
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_on_a_non_loopback_address_refuses_an_open_control_plane() {
    let dir = scratch("refuse");
    let started = Instant::now();
    let output = isolated_command(&dir)
        .args(["serve", "--addr", "0.0.0.0:0"])
        .output()
        .expect("serve runs");
    assert_eq!(output.status.code(), Some(2), "refused at once, exit 2");
    assert!(started.elapsed() < Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("not a loopback address")
            && stderr.contains("--control-token-file")
            && stderr.contains("--no-control-plane"),
        "{stderr}"
    );

    // Without the control plane there is nothing to protect.
    let mut child = Killed(
        isolated_command(&dir)
            .args(["serve", "--addr", "0.0.0.0:0", "--no-control-plane"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts"),
    );
    let line = first_line(&mut child.0);
    assert!(
        line.contains("(listening on 0.0.0.0:") && line.contains("control plane off"),
        "the start-up line names the real bind address: {line}"
    );
}

#[test]
fn a_tokened_serve_is_judged_by_run_with_the_token_from_env_file_or_config() {
    let dir = scratch("run");
    let port = free_port();
    let mut serve = Killed(
        isolated_command(&dir)
            .args(["serve", "--addr", &format!("0.0.0.0:{port}")])
            .env("CANCEL_CONFORMANCE_CONTROL_TOKEN", TOKEN)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts"),
    );
    let line = first_line(&mut serve.0);
    assert!(
        line.contains(&format!("(listening on 0.0.0.0:{port};"))
            && line.contains("token required")
            && !line.contains(TOKEN),
        "{line}"
    );
    let endpoint = format!("http://127.0.0.1:{port}");
    // One case that seeds through the control plane is enough to show the
    // token travels; the whole suite runs in CI against a plain serve.
    let case = "server/cancel/paid-wallet-by-payment-id-is-success";
    let run = |configure: &dyn Fn(&mut Command)| {
        let mut command = isolated_command(&dir);
        command.args(["run", "--endpoint", &endpoint, case, "--exact"]);
        configure(&mut command);
        let output = command.output().expect("run runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !text.contains(TOKEN),
            "the token leaked into the output:\n{text}"
        );
        (output.status.code(), text)
    };

    // Without the token the pre-flight probe stops the run before any
    // case, saying what to give.
    let (code, text) = run(&|_| {});
    assert_eq!(
        code,
        Some(2),
        "without the token the run cannot start:\n{text}"
    );
    assert!(
        text.contains("401") && text.contains("--control-token-file"),
        "{text}"
    );

    let (code, text) = run(&|command| {
        command.env("CANCEL_CONFORMANCE_CONTROL_TOKEN", TOKEN);
    });
    assert_eq!(code, Some(0), "token from the environment:\n{text}");
    assert!(text.contains("1 passed"), "{text}");

    let token_file = dir.join("control.token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).expect("token file");
    let (code, text) = run(&|command| {
        command.arg("--control-token-file").arg(&token_file);
    });
    assert_eq!(code, Some(0), "token from a file given as a flag:\n{text}");

    std::fs::write(
        dir.join("cancel-conformance.yaml"),
        "control_token_file: control.token\n",
    )
    .expect("config file");
    let (code, text) = run(&|_| {});
    assert_eq!(code, Some(0), "token from the configuration file:\n{text}");

    std::fs::write(dir.join("cancel-conformance.yaml"), "control_token: x\n").expect("config");
    let (code, text) = run(&|_| {});
    assert_eq!(
        code,
        Some(2),
        "a token written into the file is refused:\n{text}"
    );
    assert!(text.contains("control_token_file"), "{text}");
}
