//! Interop of `cancel_conformance::signing` with an independent RSA
//! implementation, the `openssl` command line tool.
//!
//! Round trips inside the crate cannot catch a mistake made symmetrically on
//! both sides (wrong padding, wrong digest, wrong key wrapper); openssl can.
//! The tool is required: without it these tests fail instead of passing
//! vacuously.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use cancel_conformance::signing::{
    SignatureHeader, SignedContent, SigningKey, VerifyingKey, content_to_sign, test_keys,
};
use test_keys::to_pem;

const METHOD: &str = "POST";
const PATH: &str = "/ams/sandbox/api/v1/payments/cancel";
const CLIENT_ID: &str = "SANDBOX_5Y3A2N2YEB3U02799";
const TIME: &str = "1700000000123";
// Non-ASCII and a newline make sure the exact bytes, not a re-encoding, are signed.
const BODY: &[u8] =
    "{\"paymentRequestId\":\"pay-\u{e9}-1\",\n \"paymentId\":\"2024\u{2603}\"}".as_bytes();

/// A fresh directory under the system temp dir, removed when dropped.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(test: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "cancel-conformance-signing-{}-{}-{nanos}-{test}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
        ));
        fs::create_dir_all(&dir)
            .unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
        Self { dir }
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.join(name);
        fs::write(&path, contents)
            .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
        path
    }

    fn read(&self, name: &str) -> Vec<u8> {
        let path = self.dir.join(name);
        fs::read(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Best effort: a leftover temp dir must not turn a pass into a failure.
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn openssl<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new("openssl")
        .args(args)
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "this test needs the `openssl` command line tool as an independent RSA \
             implementation, but running `openssl` failed: {error}. Install OpenSSL \
             (e.g. `apt-get install openssl`) and make sure `openssl` is on PATH."
            )
        })
}

fn describe(output: &Output) -> String {
    format!(
        "status {}, stdout {:?}, stderr {:?}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `openssl dgst -sha256 -verify`; true when openssl accepts.
fn openssl_verifies(public_pem: &Path, signature_file: &Path, content_file: &Path) -> bool {
    let output = openssl([
        OsStr::new("dgst"),
        OsStr::new("-sha256"),
        OsStr::new("-verify"),
        public_pem.as_os_str(),
        OsStr::new("-signature"),
        signature_file.as_os_str(),
        content_file.as_os_str(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let accepted = output.status.success() && stdout.contains("Verified OK");
    let rejected = !output.status.success() && stdout.contains("Verification failure");
    assert!(
        accepted || rejected,
        "unexpected openssl dgst -verify result: {}",
        describe(&output)
    );
    accepted
}

/// Both TEST-ONLY pairs: (name, private base64, public base64).
fn key_pairs() -> [(&'static str, &'static str, &'static str); 2] {
    [
        (
            "merchant",
            test_keys::MERCHANT_PRIVATE,
            test_keys::MERCHANT_PUBLIC,
        ),
        (
            "provider",
            test_keys::PROVIDER_PRIVATE,
            test_keys::PROVIDER_PUBLIC,
        ),
    ]
}

#[test]
fn openssl_is_available() {
    let output = openssl(["version"]);
    assert!(
        output.status.success(),
        "`openssl version` failed: {}",
        describe(&output)
    );
}

#[test]
fn openssl_reads_the_same_public_keys() {
    for (name, private, public) in key_pairs() {
        let scratch = Scratch::new(&format!("pubkey-{name}"));
        let private_pem = scratch.write("private.pem", to_pem("PRIVATE KEY", private));
        let output = openssl([
            OsStr::new("pkey"),
            OsStr::new("-in"),
            private_pem.as_os_str(),
            OsStr::new("-pubout"),
            OsStr::new("-outform"),
            OsStr::new("DER"),
        ]);
        assert!(output.status.success(), "{name}: {}", describe(&output));

        let ours = SigningKey::from_base64_pkcs8(private)
            .expect("test key loads")
            .public_key();
        let theirs = VerifyingKey::from_base64_spki(&base64_of(&output.stdout))
            .expect("openssl's SPKI loads");
        assert_eq!(
            ours, theirs,
            "{name}: public key derived by openssl differs"
        );
        assert_eq!(ours.to_base64_spki(), public.trim(), "{name}");
    }
}

/// (1) openssl signs, we verify.
#[test]
fn signature_by_openssl_verifies_with_verifying_key() {
    for (name, private, public) in key_pairs() {
        let scratch = Scratch::new(&format!("openssl-signs-{name}"));
        let content = content_to_sign(METHOD, PATH, CLIENT_ID, TIME, BODY);
        let content_file = scratch.write("content.bin", &content);
        let private_pem = scratch.write("private.pem", to_pem("PRIVATE KEY", private));
        let signature_file = scratch.dir.join("signature.bin");
        let output = openssl([
            OsStr::new("dgst"),
            OsStr::new("-sha256"),
            OsStr::new("-sign"),
            private_pem.as_os_str(),
            OsStr::new("-out"),
            signature_file.as_os_str(),
            content_file.as_os_str(),
        ]);
        assert!(output.status.success(), "{name}: {}", describe(&output));
        let signature = scratch.read("signature.bin");

        let verifying = VerifyingKey::from_base64_spki(public).expect("test key loads");
        assert!(
            verifying.verify(&content, &signature),
            "{name}: openssl's signature does not verify"
        );
        let header = SignatureHeader::format("1", &signature);
        SignedContent {
            method: METHOD,
            path: PATH,
            client_id: CLIENT_ID,
            time: TIME,
            body: BODY,
        }
        .verify(&verifying, &header)
        .unwrap_or_else(|error| panic!("{name}: {error}"));

        let mut tampered = content.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 0x01;
        }
        assert!(
            !verifying.verify(&tampered, &signature),
            "{name}: openssl's signature verifies over different content"
        );

        // PKCS#1 v1.5 is deterministic, so both implementations must agree
        // byte for byte; a difference would point at digest or padding.
        let ours = SigningKey::from_base64_pkcs8(private)
            .expect("test key loads")
            .sign(&content)
            .expect("signing works");
        assert_eq!(
            ours, signature,
            "{name}: our signature differs from openssl's"
        );
    }
}

/// (2) we sign, openssl verifies.
#[test]
fn signature_by_signing_key_verifies_with_openssl() {
    for (name, private, public) in key_pairs() {
        let scratch = Scratch::new(&format!("we-sign-{name}"));
        let content = content_to_sign(METHOD, PATH, CLIENT_ID, TIME, BODY);
        let content_file = scratch.write("content.bin", &content);
        let public_pem = scratch.write("public.pem", to_pem("PUBLIC KEY", public));
        let signature = SigningKey::from_base64_pkcs8(private)
            .expect("test key loads")
            .sign(&content)
            .expect("signing works");
        let signature_file = scratch.write("signature.bin", &signature);

        assert!(
            openssl_verifies(&public_pem, &signature_file, &content_file),
            "{name}: openssl rejects our signature"
        );

        // Shows that openssl really checks: a one-byte change must fail.
        let mut tampered = content.clone();
        tampered[0] ^= 0x20;
        let tampered_file = scratch.write("tampered.bin", &tampered);
        assert!(
            !openssl_verifies(&public_pem, &signature_file, &tampered_file),
            "{name}: openssl accepts our signature over different content"
        );
    }
}

/// (3) header made by `SignatureHeader::format`, parsed back, verifies with openssl.
#[test]
fn formatted_header_parsed_back_verifies_with_openssl() {
    for (name, private, public) in key_pairs() {
        let scratch = Scratch::new(&format!("header-{name}"));
        let content = content_to_sign(METHOD, PATH, CLIENT_ID, TIME, BODY);
        let content_file = scratch.write("content.bin", &content);
        let public_pem = scratch.write("public.pem", to_pem("PUBLIC KEY", public));
        let key = SigningKey::from_base64_pkcs8(private).expect("test key loads");

        let signature = key.sign(&content).expect("signing works");
        let formatted = SignatureHeader::format("1", &signature);
        let via_signed_content = SignedContent {
            method: METHOD,
            path: PATH,
            client_id: CLIENT_ID,
            time: TIME,
            body: BODY,
        }
        .sign(&key, "1")
        .expect("signing works");
        assert_eq!(formatted, via_signed_content, "{name}");
        assert!(
            !formatted.contains(['+', '/', ' ']) && formatted.matches('=').count() == 3,
            "{name}: header value is not fully URL-encoded: {formatted}"
        );

        // Also the shape the docs show: spaces after commas, lowercase escapes.
        let doc_style = formatted
            .replace(',', ", ")
            .replace("%2B", "%2b")
            .replace("%2F", "%2f")
            .replace("%3D", "%3d");
        for value in [formatted.as_str(), doc_style.as_str()] {
            let parsed =
                SignatureHeader::parse(value).unwrap_or_else(|error| panic!("{name}: {error}"));
            assert_eq!(parsed.algorithm, "RSA256");
            assert_eq!(parsed.key_version.as_deref(), Some("1"));
            let signature_file = scratch.write("parsed-signature.bin", &parsed.signature);
            assert!(
                openssl_verifies(&public_pem, &signature_file, &content_file),
                "{name}: openssl rejects the signature parsed from {value:?}"
            );
        }
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
