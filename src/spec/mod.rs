//! The spec. Placeholder.
