//! The crate's own RSA-2048 rate, for `bench/throughput.sh`: how many
//! SHA256withRSA signatures (and verifications) the signing backend
//! (aws-lc-rs, underneath `src/signing/`) makes per second on N threads,
//! through the same calls the reference server makes per answer
//! (`SignedContent::sign`) and per request (`SignedContent::verify`).
//! The ceiling it is compared with is `openssl speed rsa2048`; the other
//! candidate backends are measured by `bench/rsa_backends.sh`.
//!
//! ```sh
//! cargo run --release -p cancel-conformance-testkit --bin sign_rate -- --threads 2 --seconds 2
//! ```
//!
//! Prints one JSON object: `sign_per_s`, `verify_per_s` and
//! `sign_verify_per_s` (one verify plus one sign, what a signed API
//! exchange costs the server in RSA), and for each the CPU time one
//! operation took (`sign_cpu_us`, ...: the threads' own CPU time from
//! /proc/thread-self/schedstat, which a busy neighbour does not inflate).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cancel_conformance::server::DEFAULT_CLIENT_ID;
use cancel_conformance::signing::{SignedContent, test_keys};
use cancel_conformance::spec::api::CANCEL_PATH;

const TIME: &str = "2026-11-26T12:00:00+08:00";
const REQUEST: &[u8] = br#"{"paymentId":"2026112600000000000000001"}"#;
const ANSWER: &[u8] = br#"{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"Success"},"paymentId":"2026112600000000000000001","paymentRequestId":"PAY_REQ_20261126_00000000000000001","cancelTime":"2026-11-26T12:00:00+08:00"}"#;

#[derive(Clone, Copy)]
enum Work {
    Sign,
    Verify,
    SignVerify,
}

fn main() {
    let mut threads = 2usize;
    let mut seconds = 2.0f64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        match arg.as_str() {
            "--threads" => threads = value.parse().expect("--threads N"),
            "--seconds" => seconds = value.parse().expect("--seconds S"),
            _ => {
                eprintln!("usage: sign_rate [--threads N] [--seconds S]");
                std::process::exit(2);
            }
        }
    }
    let duration = Duration::from_secs_f64(seconds);
    // Signing last: bench/throughput.sh measures the signed server right
    // after, so the two rates it compares are taken next to each other.
    let (verify, verify_cpu) = rate(Work::Verify, threads, duration);
    let (both, both_cpu) = rate(Work::SignVerify, threads, duration);
    let (sign, sign_cpu) = rate(Work::Sign, threads, duration);
    println!(
        "{{\"threads\":{threads},\"seconds\":{seconds},\"sign_per_s\":{sign:.1},\"verify_per_s\":{verify:.1},\"sign_verify_per_s\":{both:.1},\"sign_cpu_us\":{sign_cpu:.2},\"verify_cpu_us\":{verify_cpu:.2},\"sign_verify_cpu_us\":{both_cpu:.2}}}"
    );
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
fn rate(work: Work, threads: usize, duration: Duration) -> (f64, f64) {
    let provider = Arc::new(test_keys::provider_signing());
    let merchant = test_keys::merchant_signing();
    let merchant_public = Arc::new(test_keys::merchant_verifying());
    let request_signature = Arc::new(
        SignedContent::post(CANCEL_PATH, DEFAULT_CLIENT_ID, TIME, REQUEST)
            .sign(&merchant, "1")
            .expect("signs"),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (provider, merchant_public, request_signature, stop) = (
                Arc::clone(&provider),
                Arc::clone(&merchant_public),
                Arc::clone(&request_signature),
                Arc::clone(&stop),
            );
            std::thread::spawn(move || {
                let cpu_before = thread_cpu_ns();
                let mut done = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    if matches!(work, Work::Verify | Work::SignVerify) {
                        SignedContent::post(CANCEL_PATH, DEFAULT_CLIENT_ID, TIME, REQUEST)
                            .verify(&merchant_public, &request_signature)
                            .expect("verifies");
                    }
                    if matches!(work, Work::Sign | Work::SignVerify) {
                        let signature =
                            SignedContent::post(CANCEL_PATH, DEFAULT_CLIENT_ID, TIME, ANSWER)
                                .sign(&provider, "1")
                                .expect("signs");
                        std::hint::black_box(signature);
                    }
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
