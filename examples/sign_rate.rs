//! The RSA-2048 ceiling of this machine, for `bench/throughput.sh`: how many
//! SHA256withRSA signatures (and verifications) `ring` makes per second on
//! N threads, through the same calls the reference server makes per answer
//! (`signing::sign_message`) and per request (`signing::verify_message`).
//!
//! ```sh
//! cargo run --release --example sign_rate -- --threads 2 --seconds 2
//! ```
//!
//! Prints one JSON object: `sign_per_s`, `verify_per_s` and
//! `sign_verify_per_s` (one verify plus one sign, what a signed API
//! exchange costs the server in RSA).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cancel_conformance::server::DEFAULT_CLIENT_ID;
use cancel_conformance::signing::{sign_message, test_keys, verify_message};
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
    let verify = rate(Work::Verify, threads, duration);
    let both = rate(Work::SignVerify, threads, duration);
    let sign = rate(Work::Sign, threads, duration);
    println!(
        "{{\"threads\":{threads},\"seconds\":{seconds},\"sign_per_s\":{sign:.1},\"verify_per_s\":{verify:.1},\"sign_verify_per_s\":{both:.1}}}"
    );
}

/// Operations per second over all threads, each running `work` in a loop
/// for `duration`.
fn rate(work: Work, threads: usize, duration: Duration) -> f64 {
    let provider = Arc::new(test_keys::provider_signing());
    let merchant = test_keys::merchant_signing();
    let merchant_public = Arc::new(test_keys::merchant_verifying());
    let request_signature = Arc::new(
        sign_message(
            &merchant,
            "1",
            "POST",
            CANCEL_PATH,
            DEFAULT_CLIENT_ID,
            TIME,
            REQUEST,
        )
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
                let mut done = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    if matches!(work, Work::Verify | Work::SignVerify) {
                        verify_message(
                            &merchant_public,
                            &request_signature,
                            "POST",
                            CANCEL_PATH,
                            DEFAULT_CLIENT_ID,
                            TIME,
                            REQUEST,
                        )
                        .expect("verifies");
                    }
                    if matches!(work, Work::Sign | Work::SignVerify) {
                        let signature = sign_message(
                            &provider,
                            "1",
                            "POST",
                            CANCEL_PATH,
                            DEFAULT_CLIENT_ID,
                            TIME,
                            ANSWER,
                        )
                        .expect("signs");
                        std::hint::black_box(signature);
                    }
                    done += 1;
                }
                done
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let total: u64 = handles
        .into_iter()
        .map(|handle| handle.join().expect("no panic"))
        .sum();
    total as f64 / started.elapsed().as_secs_f64()
}
