//! The test kit of cancel-conformance: code that exists only to test and
//! measure the suite, never shipped in its library. The library holds the
//! bodies of the fuzz targets ([`fuzzing`]), used by `fuzz/` and by
//! `tests/properties.rs`; the deliberately broken servers the server cases
//! must fail ([`broken_server`], `tests/defects.rs`); the harness-free runs
//! with which the tests judge the suite itself ([`runs`]); the coverage of
//! the rules by the cases ([`coverage`], `tests/coverage.rs` and
//! `cases/COVERAGE.md`); and running a command from a test ([`process`]).
//! The binaries (`src/bin/`) are the deliberately broken client adapters
//! the client cases must fail, and the benchmark helpers `bench/*.sh`
//! build.

pub mod broken_server;
pub mod coverage;
pub mod fuzzing;
pub mod process;
pub mod runs;
