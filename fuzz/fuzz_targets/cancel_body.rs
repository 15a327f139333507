//! Arbitrary bytes as the body of a correctly signed cancel, through the
//! whole reference server in process: always HTTP 200 and a signed answer
//! valid against the response schema; PARAM_ILLEGAL for any invalid body.
#![no_main]

use cancel_conformance_testkit::fuzzing::CancelBody;
use libfuzzer_sys::fuzz_target;

thread_local! {
    static SERVER: CancelBody = CancelBody::new();
}

fuzz_target!(|data: &[u8]| {
    SERVER.with(|server| {
        server.check(data);
    });
});
