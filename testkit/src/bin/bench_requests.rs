//! Pre-signed cancel requests for the load generator (`bench/`): every
//! request must be signed over its exact body, which a load generator
//! cannot do at speed, so the pool is made here and `bench/cancel.lua`
//! replays it.
//!
//! ```sh
//! cargo run --release -p cancel-conformance-testkit --bin bench_requests -- \
//!     --first-payment-id 2026112600000000000000001 --count 1000 \
//!     --requests 2000 --pick sequential --out pool.tsv
//! ```
//!
//! The payments are those of one bulk seed (INTERPRETING.md §5): the i-th
//! has the first one's id with i added to its trailing decimal number.
//! `--pick sequential` walks them in order (so a pool longer than the
//! payments repeats cancels, which answer S again); `--pick random` draws
//! them uniformly with a fixed seed (`--seed`). Each output line is
//! `<request-time>\t<signature header>\t<body>`, signed with the TEST-ONLY
//! merchant key as the default test client for the production cancel path.

use std::io::Write;

use cancel_conformance::server::{DEFAULT_CLIENT_ID, DEFAULT_KEY_VERSION};
use cancel_conformance::signing::{SignedContent, SigningKey, test_keys};
use cancel_conformance::spec::api::CANCEL_PATH;

const REQUEST_TIME: &str = "2026-11-26T12:00:00+08:00";

fn usage() -> ! {
    eprintln!(
        "usage: bench_requests --first-payment-id ID --count N --requests M \
         [--pick sequential|random] [--seed S] --out FILE"
    );
    std::process::exit(2)
}

fn main() {
    let (mut first, mut count, mut requests, mut random, mut seed, mut out) =
        (None, 0u64, 0usize, false, 7u64, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--first-payment-id" => first = Some(value),
            "--count" => count = value.parse().unwrap_or_else(|_| usage()),
            "--requests" => requests = value.parse().unwrap_or_else(|_| usage()),
            "--pick" if value == "sequential" => random = false,
            "--pick" if value == "random" => random = true,
            "--seed" => seed = value.parse().unwrap_or_else(|_| usage()),
            "--out" => out = Some(value),
            _ => usage(),
        }
    }
    let (Some(first), Some(out)) = (first, out) else {
        usage()
    };
    if count == 0 || requests == 0 {
        usage();
    }
    let mut state = seed;
    let picks: Vec<u64> = (0..requests as u64)
        .map(|n| {
            if random {
                splitmix64(&mut state) % count
            } else {
                n % count
            }
        })
        .collect();
    let ids: Vec<String> = picks
        .iter()
        .map(|&i| nth_id(&first, i).unwrap_or_else(|| usage()))
        .collect();

    // Signing is the slow part: spread it over the cores.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = ids.len().div_ceil(threads);
    let lines: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = ids
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let merchant = test_keys::merchant_signing();
                    part.iter()
                        .map(|id| line(&merchant, id))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("no panic"))
            .collect()
    });
    let mut file = std::io::BufWriter::new(std::fs::File::create(&out).expect("--out is writable"));
    for line in lines {
        writeln!(file, "{line}").expect("write");
    }
    file.flush().expect("write");
}

fn line(merchant: &SigningKey, payment_id: &str) -> String {
    let body = format!(r#"{{"paymentId":"{payment_id}"}}"#);
    let signature = SignedContent::post(
        CANCEL_PATH,
        DEFAULT_CLIENT_ID,
        REQUEST_TIME,
        body.as_bytes(),
    )
    .sign(merchant, DEFAULT_KEY_VERSION)
    .expect("signs");
    format!("{REQUEST_TIME}\t{signature}\t{body}")
}

/// `first` with `n` added to its trailing decimal number, keeping its width.
fn nth_id(first: &str, n: u64) -> Option<String> {
    let digits = first.len() - first.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return None;
    }
    let (prefix, number) = first.split_at(first.len() - digits);
    let value = number.parse::<u128>().ok()? + u128::from(n);
    Some(format!("{prefix}{value:0digits$}"))
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
