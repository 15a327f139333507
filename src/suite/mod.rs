//! The conformance runner. Placeholder.
