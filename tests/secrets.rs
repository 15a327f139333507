//! Secrets never reach output. A fresh RSA key pair, made here with the
//! `openssl` command line, plays a real merchant key; `cancel-conformance
//! run` signs with it (from a file, then from the environment) against the
//! embedded server, which knows only the TEST-ONLY keys, and verifies
//! answers with a provider key that did not sign them: every case fails,
//! with its request and answer shown. Then stdout, stderr and every report
//! are searched for
//!
//! * the private key: any 40-character slice of its base64 body;
//! * signatures: `signature=` followed by anything but a short mask, and
//!   any run of 200+ base64 or percent-encoded characters (an RSA-2048
//!   signature is 344 base64 characters).
//!
//! The API has no bearer tokens: its credentials are the key and the
//! signatures made with it. A private key file that others can read gets
//! a warning naming the file and `chmod 600`.

mod cli_support;
use cli_support::isolated_command;

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The reports `run` writes: adding a report format is one line here.
const REPORTS: &[(&str, &str)] = &[
    ("--junit", "report.xml"),
    ("--json", "report.json"),
    ("--html", "report.html"),
];

/// A fresh, empty directory for this test.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cc-secrets-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn openssl(args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl command line is installed");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A fresh key pair: the private key in PEM (mode 600) and its base64 PKCS#8
/// body, and the public key (PEM) of another fresh pair.
struct Keys {
    merchant_pem: PathBuf,
    merchant_base64: String,
    wrong_provider_pem: PathBuf,
}

fn fresh_keys(dir: &Path) -> Keys {
    let merchant_pem = dir.join("merchant-private.pem");
    let provider_private = dir.join("provider-private.pem");
    let wrong_provider_pem = dir.join("provider-public.pem");
    for key in [&merchant_pem, &provider_private] {
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            key.to_str().expect("a UTF-8 path"),
        ]);
    }
    openssl(&[
        "pkey",
        "-in",
        provider_private.to_str().expect("a UTF-8 path"),
        "-pubout",
        "-out",
        wrong_provider_pem.to_str().expect("a UTF-8 path"),
    ]);
    std::fs::set_permissions(&merchant_pem, std::fs::Permissions::from_mode(0o600))
        .expect("chmod 600");
    let pem = std::fs::read_to_string(&merchant_pem).expect("the key");
    let merchant_base64: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    assert!(merchant_base64.len() > 1000, "a 2048-bit PKCS#8 key");
    Keys {
        merchant_pem,
        merchant_base64,
        wrong_provider_pem,
    }
}

/// Runs `cancel-conformance run ARGS` with `env`, writing every report into
/// `dir`; returns the output and every report's text.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Output, Vec<(String, String)>) {
    let mut command = isolated_command(dir);
    command.arg("run").args(args);
    for (flag, name) in REPORTS {
        command.arg(flag).arg(dir.join(name));
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("the binary runs");
    let reports = REPORTS
        .iter()
        .map(|(flag, name)| {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|err| panic!("{flag} wrote no {}: {err}", path.display()));
            (name.to_string(), text)
        })
        .collect();
    (output, reports)
}

/// Every place a secret could leak to, by name.
fn outputs(output: &Output, reports: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut all = vec![
        (
            "stdout".to_string(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ),
        (
            "stderr".to_string(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ),
    ];
    all.extend(reports);
    all
}

/// Where a secret shows, if anywhere: "place: what".
fn leaks(outputs: &[(String, String)], key_base64: &str) -> Vec<String> {
    let windows: HashSet<&[u8]> = key_base64.as_bytes().windows(40).collect();
    let mut found = Vec::new();
    for (place, text) in outputs {
        // Any 40 characters of the key, in any line of the output.
        if text
            .as_bytes()
            .windows(40)
            .any(|window| windows.contains(window))
        {
            found.push(format!("{place}: a slice of the private key"));
        }
        // A signature value after `signature=` (a mask or a placeholder
        // like `<URL-encoded base64>` is fine).
        for (at, _) in text.match_indices("signature=") {
            let value: String = text[at + "signature=".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "%+/=".contains(*c))
                .collect();
            if value.len() >= 16 {
                found.push(format!("{place}: signature={value:.40}…"));
            }
        }
        // Any long base64 or percent-encoded run: a signature or a key,
        // whatever it is labelled.
        let mut run = 0;
        for c in text.chars() {
            if c.is_ascii_alphanumeric() || "%+/=".contains(c) {
                run += 1;
                if run == 200 {
                    found.push(format!("{place}: a run of 200+ base64 characters"));
                }
            } else {
                run = 0;
            }
        }
    }
    found
}

/// The run failed every case as a mismatch with its exchange shown, so the
/// outputs searched do hold requests and answers.
fn assert_failed_loudly(output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "the run failed");
    assert!(stdout.contains("MISMATCH in case"), "{stdout:.3000}");
    assert!(stdout.contains("signature: ***"), "{stdout:.3000}");
    assert!(stdout.contains("does not verify"), "{stdout:.3000}");
    assert!(
        !stdout.contains(" ... ok"),
        "no case may pass: {stdout:.3000}"
    );
}

#[test]
fn a_failing_run_with_real_keys_shows_no_key_and_no_signature() {
    let dir = scratch("run");
    let keys = fresh_keys(&dir);
    let merchant = keys.merchant_pem.to_str().expect("a UTF-8 path");
    let provider = keys.wrong_provider_pem.to_str().expect("a UTF-8 path");

    // The keys from files.
    let (output, reports) = run(
        &dir,
        &[
            "--merchant-private-key-file",
            merchant,
            "--provider-public-key-file",
            provider,
        ],
        &[],
    );
    assert_failed_loudly(&output);
    let found = leaks(&outputs(&output, reports), &keys.merchant_base64);
    assert!(
        found.is_empty(),
        "secrets in the output:\n{}",
        found.join("\n")
    );

    // The keys from the environment, the merchant key as bare base64 DER.
    let provider_pem = std::fs::read_to_string(&keys.wrong_provider_pem).expect("the key");
    let (output, reports) = run(
        &dir,
        &[],
        &[
            (
                "CANCEL_CONFORMANCE_MERCHANT_PRIVATE_KEY",
                &keys.merchant_base64,
            ),
            ("CANCEL_CONFORMANCE_PROVIDER_PUBLIC_KEY", &provider_pem),
        ],
    );
    assert_failed_loudly(&output);
    let found = leaks(&outputs(&output, reports), &keys.merchant_base64);
    assert!(
        found.is_empty(),
        "secrets in the output:\n{}",
        found.join("\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_leak_search_finds_what_it_looks_for() {
    let key = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7".repeat(30);
    let clean = [(
        "stdout".to_string(),
        "signature: ***\nsend `algorithm=RSA256,keyVersion=1,signature=<URL-encoded base64>`"
            .to_string(),
    )];
    assert!(leaks(&clean, &key).is_empty());
    let slice = [(
        "stderr".to_string(),
        format!("error near {}", &key[100..141]),
    )];
    assert_eq!(leaks(&slice, &key).len(), 1);
    let signature = [(
        "report.json".to_string(),
        "algorithm=RSA256,keyVersion=1,signature=kZ3bQ%2Bx9yYq0abcdefgh".to_string(),
    )];
    assert_eq!(leaks(&signature, &key).len(), 1);
    let long = [(
        "report.html".to_string(),
        format!("<td>{}</td>", "Ab9%2F".repeat(60)),
    )];
    assert_eq!(leaks(&long, &key).len(), 1);
}

#[test]
fn a_key_file_others_can_read_gets_a_warning() {
    let dir = scratch("mode");
    let keys = fresh_keys(&dir);
    let one_case = ["--exact", "server/cancel/paid-card-is-success"];
    let merchant = keys.merchant_pem.to_str().expect("a UTF-8 path");

    // Mode 600: no warning.
    let (output, _) = run(
        &dir,
        &[&["--merchant-private-key-file", merchant][..], &one_case].concat(),
        &[],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");

    // Mode 644 (and 640): a warning that names the file and the fix, and
    // the run goes on.
    for mode in [0o644, 0o640] {
        std::fs::set_permissions(&keys.merchant_pem, std::fs::Permissions::from_mode(mode))
            .expect("chmod");
        let (output, reports) = run(
            &dir,
            &[&["--merchant-private-key-file", merchant][..], &one_case].concat(),
            &[],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!(
                "warning: the private key file {merchant} can be read by other users (mode {mode:03o}); run `chmod 600 {merchant}`"
            )),
            "{stderr}"
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("1 failed"), "the case still runs: {stdout}");
        assert!(leaks(&outputs(&output, reports), &keys.merchant_base64).is_empty());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
