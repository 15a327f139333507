//! Property tests of the parsers that face untrusted input: the case
//! loader, the `Signature` header, a cancel request's body (through the
//! whole reference server) and the adapter protocol reader. The checks are
//! the bodies of the `cargo fuzz` targets (`cancel_conformance_testkit::fuzzing`),
//! so these tests are also the stable-Rust smoke run of those targets.
//!
//! Case counts are kept modest so the file runs in seconds; `fuzz/` is the
//! place for long runs.

use std::path::Path;
use std::sync::OnceLock;

use cancel_conformance::suite::client_half::adapter::AdapterError;
use cancel_conformance_testkit::fuzzing::{self, AdapterLines, CancelBody, CaseLoader};
use proptest::prelude::*;
use proptest::test_runner::Config;

fn config(cases: u32) -> Config {
    Config {
        cases,
        // No regression files in the checkout: a failure prints its
        // minimal input, which is what a fix needs.
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// The case loader
// ---------------------------------------------------------------------------

/// Every case file of the project, as text: mutating real cases reaches the
/// loader's checks behind the YAML parser.
fn real_cases() -> &'static [String] {
    static CASES: OnceLock<Vec<String>> = OnceLock::new();
    CASES.get_or_init(|| {
        let mut texts = Vec::new();
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("cases/ is readable") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|ext| ext == "yaml") {
                    texts.push(std::fs::read_to_string(&path).expect("a case file"));
                }
            }
        }
        texts.sort();
        assert!(texts.len() > 100, "the project's cases are found");
        texts
    })
}

/// YAML-looking noise: the characters YAML gives meaning to (a lone CR
/// is a line break to YAML, as LF is).
fn yaml_noise() -> impl Strategy<Value = String> {
    "[a-z_:\\- \n\r\t\"'\\[\\]{}#&*!|>%@,?0-9.]{0,40}"
}

/// A real case with one edit: a slice cut out, noise put in, or a line
/// doubled.
fn mutated_case() -> impl Strategy<Value = String> {
    (
        proptest::sample::select(real_cases()),
        any::<proptest::sample::Index>(),
        any::<proptest::sample::Index>(),
        0..3u8,
        yaml_noise(),
    )
        .prop_map(|(text, at, len, edit, noise)| {
            let chars: Vec<char> = text.chars().collect();
            let start = at.index(chars.len() + 1);
            let end = (start + len.index(20)).min(chars.len());
            match edit {
                0 => chars[..start].iter().chain(&chars[end..]).collect(),
                1 => chars[..start]
                    .iter()
                    .copied()
                    .chain(noise.chars())
                    .chain(chars[start..].iter().copied())
                    .collect(),
                _ => {
                    let lines: Vec<&str> = text.lines().collect();
                    let line = at.index(lines.len());
                    let mut out: Vec<&str> = lines[..=line].to_vec();
                    out.extend(&lines[line..]);
                    out.join("\n")
                }
            }
        })
}

// Each test thread has its own harnesses: they write scratch files.
thread_local! {
    static LOADER: CaseLoader = CaseLoader::new();
    static CANCEL: CancelBody = CancelBody::new();
    static ADAPTER: AdapterLines = AdapterLines::new();
}

fn load_case(text: &[u8]) {
    LOADER.with(|loader| loader.check(text));
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn case_loader_locates_every_error_in_arbitrary_bytes(text in proptest::collection::vec(any::<u8>(), 0..400)) {
        load_case(&text);
    }

    #[test]
    fn case_loader_locates_every_error_in_yaml_noise(text in proptest::collection::vec(yaml_noise(), 0..12)) {
        load_case(text.join("\n").as_bytes());
    }

    #[test]
    fn case_loader_locates_every_error_in_edited_cases(text in mutated_case()) {
        load_case(text.as_bytes());
    }
}

// ---------------------------------------------------------------------------
// The Signature header
// ---------------------------------------------------------------------------

/// Header values built from the grammar's own pieces, so that most parse
/// far enough to hit the decoding and the duplicate checks.
fn signature_like() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("algorithm"),
        Just("Algorithm"),
        Just("keyVersion"),
        Just("KEYVERSION"),
        Just("signature"),
        Just("Signature"),
        Just("other"),
        Just(""),
    ];
    let value = prop_oneof![
        Just("RSA256".to_string()),
        "[A-Za-z0-9+/=%._* -]{0,40}",
        "(%[0-9a-fA-F]{2}){1,8}",
        "[A-Za-z0-9+/]{4,60}={0,2}",
    ];
    let pair = (name, 0..3u8, value).prop_map(|(name, eq, value)| match eq {
        0 => format!("{name}{value}"),
        1 => format!("{name}={value}"),
        _ => format!(" {name} = {value} "),
    });
    (
        proptest::collection::vec(pair, 0..5),
        prop_oneof![Just(","), Just(", "), Just(",,")],
    )
        .prop_map(|(pairs, comma)| pairs.join(comma))
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn signature_header_never_panics_on_arbitrary_text(text in ".{0,200}") {
        fuzzing::signature_header(text.as_bytes());
    }

    #[test]
    fn signature_header_never_panics_on_header_like_text(text in signature_like()) {
        fuzzing::signature_header(text.as_bytes());
    }

    #[test]
    fn signature_header_format_then_parse_round_trips(
        key_version in ".{0,20}",
        signature in proptest::collection::vec(any::<u8>(), 1..600),
    ) {
        fuzzing::signature_round_trip(&key_version, &signature);
    }
}

// ---------------------------------------------------------------------------
// A cancel request's body, through the reference server
// ---------------------------------------------------------------------------

fn send_cancel(body: &[u8]) -> String {
    CANCEL.with(|harness| harness.check(body))
}

/// The seeded payments' ids, quoted, for generators to name.
fn seeded_ids() -> Vec<String> {
    CANCEL.with(|harness| {
        harness
            .payment_ids
            .iter()
            .chain(&harness.payment_request_ids)
            .map(|id| format!("\"{id}\""))
            .collect()
    })
}

/// A JSON value of any kind, including the spellings serde_json reads
/// differently from other parsers (huge numbers, escapes, deep nesting).
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        proptest::sample::select(seeded_ids()),
        "\"[A-Za-z0-9_ -]{0,70}\"",
        Just("\"\"".to_string()),
        Just("\"\\u0000\\ud800\"".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("1e400".to_string()),
        Just("-0".to_string()),
        Just("123456789012345678901234567890".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4)
                .prop_map(|v| format!("[{}]", v.join(","))),
            proptest::collection::vec(("[a-z]{1,3}", inner), 0..3).prop_map(|fields| {
                let fields: Vec<String> =
                    fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    })
}

/// An object with the request's own keys (possibly twice) among others.
fn cancel_like() -> impl Strategy<Value = (String, bool)> {
    let key = prop_oneof![
        Just("paymentId"),
        Just("paymentRequestId"),
        Just("merchantAccountId"),
        Just("payment\\u0049d"),
        Just("amount"),
        Just(""),
    ];
    // Mostly ids that would be looked up: a duplicate must not be decided
    // by whichever spelling comes last.
    let value = prop_oneof![
        3 => proptest::sample::select(seeded_ids()),
        3 => "\"[A-Za-z0-9]{1,20}\"",
        1 => json_value(),
    ];
    proptest::collection::vec((key, value), 0..4).prop_map(|fields| {
        let mut seen = std::collections::HashSet::new();
        let duplicate = !fields
            .iter()
            .all(|(key, _)| seen.insert(key.replace("\\u0049", "I")));
        let body: Vec<String> = fields
            .iter()
            .map(|(key, value)| format!("\"{key}\":{value}"))
            .collect();
        (format!("{{{}}}", body.join(",")), duplicate)
    })
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn cancel_body_of_arbitrary_bytes_gets_a_signed_answer(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        send_cancel(&body);
    }

    #[test]
    fn cancel_body_of_arbitrary_json_gets_a_signed_answer(body in json_value()) {
        send_cancel(body.as_bytes());
    }

    #[test]
    fn cancel_body_with_a_duplicate_key_is_param_illegal((body, duplicate) in cancel_like()) {
        let code = send_cancel(body.as_bytes());
        if duplicate {
            prop_assert_eq!(code, "PARAM_ILLEGAL", "{}", body);
        }
    }
}

#[test]
fn cancel_body_deeply_nested_or_oversized_is_param_illegal() {
    CANCEL.with(|harness| {
        // Nesting is bounded by serde_json's recursion limit, well inside the
        // body limit: 30,000 brackets are refused, not followed.
        assert_eq!(
            harness.check("[".repeat(30_000).as_bytes()),
            "PARAM_ILLEGAL"
        );
        assert_eq!(
            harness.check(format!("{{\"paymentId\":{}}}", "[".repeat(30_000)).as_bytes()),
            "PARAM_ILLEGAL"
        );
        // Over the 64 KiB limit.
        let big = format!("{{\"paymentId\":\"{}\"}}", "x".repeat(70_000));
        assert_eq!(harness.check(big.as_bytes()), "PARAM_ILLEGAL");
        // And the harness does reach the business rules.
        let paid = format!("{{\"paymentId\":\"{}\"}}", harness.payment_ids[0]);
        assert_eq!(harness.check(paid.as_bytes()), "SUCCESS");
    });
}

// ---------------------------------------------------------------------------
// The adapter protocol reader
// ---------------------------------------------------------------------------

fn adapter_answer(output: &[u8]) -> Result<serde_json::Value, AdapterError> {
    ADAPTER.with(|adapter| adapter.check(output))
}

fn adapter_output() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        // An answer with the right id, then anything.
        (json_value(), ".{0,40}").prop_map(|(value, rest)| {
            format!("{{\"id\":1,\"outcome\":{value}}}\n{rest}").into_bytes()
        }),
        // Almost an answer: another id, no id, not an object, CRLF.
        prop_oneof![
            Just("{\"id\":2}\n".to_string()),
            Just("{\"id\":\"1\"}\n".to_string()),
            Just("[{\"id\":1}]\n".to_string()),
            Just("{\"id\":1}\r\n".to_string()),
            Just("{\"id\":1}".to_string()),
            Just("\n{\"id\":1}\n".to_string()),
        ]
        .prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn adapter_reader_takes_only_a_protocol_line(output in adapter_output()) {
        let _ = adapter_answer(&output);
    }
}

#[test]
fn adapter_reader_refuses_a_line_too_long_with_a_short_message() {
    // 2 MiB without a newline: over the reader's 1 MiB line limit.
    let flood = vec![b'y'; 2 * 1024 * 1024];
    match adapter_answer(&flood) {
        Err(AdapterError::Io { detail, .. }) => {
            assert!(detail.contains("longer than"), "{detail}");
        }
        other => panic!("a 2 MiB line: {other:?}"),
    }
    // The right answer, though, is taken, even with a CRLF ending.
    let answer =
        adapter_answer(b"{\"id\":1,\"outcome\":\"cancelled\"}\r\n").expect("a protocol line");
    assert_eq!(answer["outcome"], "cancelled");
}
