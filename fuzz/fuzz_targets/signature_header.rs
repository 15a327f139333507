//! Arbitrary text as a `Signature` header (parsed, and verified with), and
//! format → parse round trips of arbitrary key versions and signatures.
#![no_main]

use cancel_conformance_testkit::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzzing::signature_header(data);
    // The first byte splits the rest into a key version and a signature.
    if let Some((&split, rest)) = data.split_first() {
        let (version, signature) = rest.split_at(usize::from(split).min(rest.len()));
        fuzzing::signature_round_trip(&String::from_utf8_lossy(version), signature);
    }
});
