//! Arbitrary bytes as an adapter's answer (a fake adapter prints them):
//! no panic, no hang; only a JSON object with the request's id is taken,
//! and every refusal is a short message.
#![no_main]

use cancel_conformance_testkit::fuzzing::AdapterLines;
use libfuzzer_sys::fuzz_target;

thread_local! {
    static ADAPTER: AdapterLines = AdapterLines::new();
}

fuzz_target!(|data: &[u8]| {
    ADAPTER.with(|adapter| {
        let _ = adapter.check(data);
    });
});
