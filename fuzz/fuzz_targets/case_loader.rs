//! Arbitrary bytes as a server case file and as a client case file, through
//! the loader `run` and `client` use: no panic, every error located.
#![no_main]

use cancel_conformance_testkit::fuzzing::CaseLoader;
use libfuzzer_sys::fuzz_target;

thread_local! {
    static LOADER: CaseLoader = CaseLoader::new();
}

fuzz_target!(|data: &[u8]| {
    LOADER.with(|loader| loader.check(data));
});
