//! The test kit of cancel-conformance: code that exists only to test and
//! measure the suite, never shipped in its library. The library holds the
//! bodies of the fuzz targets ([`fuzzing`]), used by `fuzz/` and by
//! `tests/properties.rs`; the binaries (`src/bin/`) are the deliberately
//! broken client adapters the client cases must fail, and the benchmark
//! helpers `bench/*.sh` build.

pub mod fuzzing;
