//! RSA-2048 PKCS#1 v1.5 SHA-256 signing and verification rates of the
//! candidate backends, with the TEST-ONLY keys of `testdata/keys` and a
//! message the size of a signed cancel answer; `bench/rsa_backends.sh` runs
//! it beside `openssl speed rsa2048` so that every ratio compares moments
//! next to each other.
//!
//! ```sh
//! cargo run --release -- --backend aws-lc-rs --threads 2 --seconds 2
//! ```
//!
//! Prints one JSON object: operations per second over all threads (wall
//! clock) and the CPU time one operation took (the threads' own CPU time
//! from /proc/thread-self/schedstat, which a busy neighbour does not
//! inflate). Every backend first checks that the others verify its
//! signature, so a rate is never that of a broken signer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

const PRIVATE: &str = include_str!("../../../testdata/keys/provider-private.pkcs8.b64");
const PUBLIC: &str = include_str!("../../../testdata/keys/provider-public.spki.b64");
/// What the reference server signs for one answer: the signed content of a
/// cancel answer (`POST <path>\n<client-id>.<time>.<body>`).
const MESSAGE: &[u8] = b"POST /ams/api/v1/payments/cancel\nCONFORMANCE_TEST_CLIENT.2026-11-26T12:00:00+08:00.{\"result\":{\"resultCode\":\"SUCCESS\",\"resultStatus\":\"S\",\"resultMessage\":\"Success\"},\"paymentId\":\"2026112600000000000000001\",\"paymentRequestId\":\"PAY_REQ_20261126_00000000000000001\",\"cancelTime\":\"2026-11-26T12:00:00+08:00\"}";

type Signer = Box<dyn Fn(&[u8]) -> Vec<u8> + Send + Sync>;
type Verifier = Box<dyn Fn(&[u8], &[u8]) -> bool + Send + Sync>;

struct Backend {
    sign: Signer,
    verify: Verifier,
}

fn der(text: &str) -> Vec<u8> {
    STANDARD
        .decode(text.trim())
        .expect("the TEST key files are base64")
}

fn ring_backend() -> Backend {
    use ring::signature::{
        KeyPair as _, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey,
    };
    let key = RsaKeyPair::from_pkcs8(&der(PRIVATE)).expect("ring loads the key");
    // ring verifies with a PKCS#1 RSAPublicKey, the public half it gives.
    let public = key.public_key().as_ref().to_vec();
    let rng = ring::rand::SystemRandom::new();
    Backend {
        sign: Box::new(move |message| {
            let mut signature = vec![0; key.public().modulus_len()];
            key.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                .expect("ring signs");
            signature
        }),
        verify: Box::new(move |message, signature| {
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &public)
                .verify(message, signature)
                .is_ok()
        }),
    }
}

fn aws_lc_backend() -> Backend {
    use aws_lc_rs::signature::{
        ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair,
    };
    let key = RsaKeyPair::from_pkcs8(&der(PRIVATE)).expect("aws-lc-rs loads the key");
    // Parsed once, as src/signing/ does.
    let public = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der(PUBLIC))
        .expect("aws-lc-rs loads the public key");
    let rng = aws_lc_rs::rand::SystemRandom::new();
    Backend {
        sign: Box::new(move |message| {
            let mut signature = vec![0; key.public_modulus_len()];
            key.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                .expect("aws-lc-rs signs");
            signature
        }),
        verify: Box::new(move |message, signature| public.verify_sig(message, signature).is_ok()),
    }
}

fn openssl_backend() -> Backend {
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::sign::{Signer, Verifier};
    let key = PKey::private_key_from_pkcs8(&der(PRIVATE)).expect("OpenSSL loads the key");
    let public = PKey::public_key_from_der(&der(PUBLIC)).expect("OpenSSL loads the public key");
    Backend {
        sign: Box::new(move |message| {
            // RSA keys default to PKCS#1 v1.5 padding.
            let mut signer = Signer::new(MessageDigest::sha256(), &key).expect("a signer");
            signer.sign_oneshot_to_vec(message).expect("OpenSSL signs")
        }),
        verify: Box::new(move |message, signature| {
            let mut verifier = Verifier::new(MessageDigest::sha256(), &public).expect("a verifier");
            verifier.verify_oneshot(signature, message).unwrap_or(false)
        }),
    }
}

fn backend(name: &str) -> Option<Backend> {
    match name {
        "ring" => Some(ring_backend()),
        "aws-lc-rs" => Some(aws_lc_backend()),
        "openssl" => Some(openssl_backend()),
        _ => None,
    }
}

const BACKENDS: [&str; 3] = ["ring", "aws-lc-rs", "openssl"];

fn main() {
    let mut name = String::new();
    let mut threads = 1usize;
    let mut seconds = 2.0f64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        match arg.as_str() {
            "--backend" => name = value,
            "--threads" => threads = value.parse().expect("--threads N"),
            "--seconds" => seconds = value.parse().expect("--seconds S"),
            _ => usage(),
        }
    }
    let Some(chosen) = backend(&name) else {
        usage()
    };
    let chosen = Arc::new(chosen);
    // The signature format is fixed (PKCS#1 v1.5 is deterministic): every
    // backend must produce the same bytes and accept each other's.
    let signature = (chosen.sign)(MESSAGE);
    for other in BACKENDS {
        let other = backend(other).expect("a known backend");
        assert_eq!((other.sign)(MESSAGE), signature, "{name} signs differently");
        assert!(
            (other.verify)(MESSAGE, &signature),
            "{name}'s signature refused"
        );
        let mut damaged = signature.clone();
        damaged[10] ^= 1;
        assert!(
            !(other.verify)(MESSAGE, &damaged),
            "a damaged signature accepted"
        );
    }
    let duration = Duration::from_secs_f64(seconds);
    let signature = Arc::new(signature);
    let (verify, verify_cpu) = rate(threads, duration, {
        let (chosen, signature) = (Arc::clone(&chosen), Arc::clone(&signature));
        move || assert!((chosen.verify)(MESSAGE, &signature))
    });
    let (sign, sign_cpu) = rate(threads, duration, {
        let chosen = Arc::clone(&chosen);
        move || {
            std::hint::black_box((chosen.sign)(MESSAGE));
        }
    });
    println!(
        "{{\"backend\":\"{name}\",\"threads\":{threads},\"seconds\":{seconds},\"sign_per_s\":{sign:.1},\"verify_per_s\":{verify:.1},\"sign_cpu_us\":{sign_cpu:.2},\"verify_cpu_us\":{verify_cpu:.2}}}"
    );
}

fn usage() -> ! {
    eprintln!("usage: rsa-backends --backend ring|aws-lc-rs|openssl [--threads N] [--seconds S]");
    std::process::exit(2);
}

/// The CPU time this thread has run, in nanoseconds (0 where the kernel
/// does not say).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Operations per second over all threads, each running `work` in a loop
/// for `duration`, and the CPU microseconds one operation took.
fn rate(
    threads: usize,
    duration: Duration,
    work: impl Fn() + Send + Sync + Clone + 'static,
) -> (f64, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (work, stop) = (work.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let cpu_before = thread_cpu_ns();
                let mut done = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    work();
                    done += 1;
                }
                (done, thread_cpu_ns().saturating_sub(cpu_before))
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let (total, cpu_ns) = handles
        .into_iter()
        .map(|handle| handle.join().expect("no panic"))
        .fold((0u64, 0u64), |(n, cpu), (done, used)| {
            (n + done, cpu + used)
        });
    let per_second = total as f64 / started.elapsed().as_secs_f64();
    let cpu_us = cpu_ns as f64 / 1000.0 / total.max(1) as f64;
    (per_second, cpu_us)
}
